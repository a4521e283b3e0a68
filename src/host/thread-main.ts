/**
 * The host as a worker thread: the program `workers/actor-host.ts` starts.
 *
 * Two channels reach it. The thread's own parent port carries the host's
 * entry points, encoded as the client chose (structured clone, or bytes:
 * src/transport/wire.ts). A second port, handed over in workerData, carries
 * only link setup: the ports of direct channels to other threads, which
 * structured clone can move and bytes cannot. Both are served by sealed
 * comlink exposures (src/transport/expose.ts): a peer reaches the entry points
 * and nothing behind them.
 */
import * as Comlink from 'comlink';
import { MessagePort, parentPort, workerData } from 'node:worker_threads';
import { InvalidArgumentError } from '../core/errors.js';
import { EXIT_RETIRED, type PeerApi, PROGRESS_DONE, PROGRESS_SLOTS, PROGRESS_STOPPED } from '../core/protocol.js';
import { nodeEndpoint } from '../transport/endpoint.js';
import { exposeEntryPoints } from '../transport/expose.js';
import { isWireEncoding, type WireEncoding, wireEndpoint } from '../transport/wire.js';
import { createActorHost } from './actor-host.js';
import { checkLocalOps } from '../tensor/op-checking.js';

/** What the client passes a new thread. */
export interface ThreadHostData {
  /** The link-setup port. */
  readonly links: MessagePort;
  readonly wire: WireEncoding;
  /** Int32 slots PROGRESS_DONE and PROGRESS_STOPPED (src/core/protocol.ts), shared with the client. */
  readonly progress: SharedArrayBuffer;
}

function assertPort(port: unknown): asserts port is MessagePort {
  if (!(port instanceof MessagePort)) throw new InvalidArgumentError('a link needs a MessagePort');
}

export function startThreadHost(data: ThreadHostData = workerData as ThreadHostData): void {
  if (parentPort === null) throw new Error('the actor host must run inside a worker thread');
  assertPort(data.links);
  if (!isWireEncoding(data.wire)) throw new InvalidArgumentError(`unknown wire encoding '${String(data.wire)}'`);
  const wire = data.wire;
  // Models trained here in one message run syft-tensor ops on this thread's shared heap: check them too.
  checkLocalOps();
  const host = createActorHost({
    // Let the failing batch's reply (which names the op) leave first.
    retire: () => setTimeout(() => process.exit(EXIT_RETIRED), 50),
  });
  /** A direct channel closes when the thread at its other end dies or stops. */
  const watch = (name: string, port: MessagePort): void => {
    port.once('close', () => host.peerLost(name, 'its thread stopped'));
  };
  if (!(data.progress instanceof SharedArrayBuffer) || data.progress.byteLength < PROGRESS_SLOTS * 4) {
    throw new InvalidArgumentError('a thread host needs its progress counters (a SharedArrayBuffer)');
  }
  const progress = new Int32Array(data.progress);
  const finished = (count: number): void => {
    Atomics.add(progress, PROGRESS_DONE, count);
    Atomics.notify(progress, PROGRESS_DONE);
  };
  // An uncaught error ends the thread through here too: a client blocked on backpressure must wake.
  process.once('exit', () => {
    Atomics.store(progress, PROGRESS_STOPPED, 1);
    Atomics.notify(progress, PROGRESS_DONE);
  });
  exposeEntryPoints(
    {
      ...host.client,
      // Counts each batch's commands once they have run (and a waiting one once it is done waiting).
      execute: (batches) => {
        const count = Array.isArray(batches)
          ? (batches as unknown[]).reduce<number>((n, b) => n + (Array.isArray((b as { commands?: unknown })?.commands) ? (b as { commands: unknown[] }).commands.length : 0), 0)
          : 0;
        let result: ReturnType<typeof host.client.execute>;
        try {
          result = host.client.execute(batches);
        } catch (error) {
          finished(count); // refused whole: the client must not wait for it
          throw error;
        }
        if (result instanceof Promise) void result.finally(() => finished(count)).catch(() => undefined);
        else finished(count);
        return result;
      },
    },
    wireEndpoint(nodeEndpoint(parentPort), wire),
  );
  exposeEntryPoints(
    {
      /** Serve thread `from` on this port: it forwards commands and delivers objects to our actors. */
      acceptPeer(from: string, port: unknown): void {
        assertPort(port);
        watch(String(from), port);
        exposeEntryPoints(host.peer, wireEndpoint(nodeEndpoint(port), wire));
      },
      /** Reach thread `to` on this port. */
      connectPeer(to: string, port: unknown): void {
        assertPort(port);
        watch(String(to), port);
        host.addPeer(String(to), Comlink.wrap<PeerApi>(wireEndpoint(nodeEndpoint(port), wire)));
      },
    },
    nodeEndpoint(data.links),
  );
}
