/** Fault injection for tests: what a worker's failure looks like to everything that waits on it. */
import type { VirtualWorker } from '../client/virtual-worker.js';
import { InvalidArgumentError } from '../core/errors.js';

/**
 * Kills the host (thread) of `worker` as a crash would: every call waiting on
 * it rejects with WorkerCrashedError, and so does every later one. Other
 * actors on the same host die with it.
 */
export async function crash(worker: VirtualWorker): Promise<void> {
  await worker.host.crash();
}

/**
 * Makes `worker` a straggler: once this resolves, it waits `ms` before each
 * batch of commands it receives. `slow(worker, 0)` ends it. For testing
 * timeouts, FedAvg's deadlines and ordering under delay.
 */
export async function slow(worker: VirtualWorker, ms: number): Promise<void> {
  if (!(Number.isSafeInteger(ms) && ms >= 0)) {
    throw new InvalidArgumentError(`sy.testing.slow: ms must be a non-negative integer, got ${String(ms)}.`);
  }
  await worker.request({ type: 'slow', ms });
}

/**
 * Drops the connection to a worker in another process as a network failure
 * would: calls in flight reject with WORKER_DISCONNECTED, and the client
 * redials and resumes the session (the worker kept its objects).
 */
export function dropConnection(worker: VirtualWorker): void {
  worker.host.dropConnection();
}
