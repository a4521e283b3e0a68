/** Fault injection for tests: what a worker's failure looks like to everything that waits on it. */
import type { VirtualWorker } from '../client/virtual-worker.js';

/**
 * Kills the host (thread) of `worker` as a crash would: every call waiting on
 * it rejects with WorkerCrashedError, and so does every later one. Other
 * actors on the same host die with it.
 */
export async function crash(worker: VirtualWorker): Promise<void> {
  await worker.host.crash();
}
