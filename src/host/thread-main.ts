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
import type { PeerApi } from '../core/protocol.js';
import { nodeEndpoint } from '../transport/endpoint.js';
import { exposeEntryPoints } from '../transport/expose.js';
import { isWireEncoding, type WireEncoding, wireEndpoint } from '../transport/wire.js';
import { createActorHost } from './actor-host.js';

/** What the client passes a new thread. */
export interface ThreadHostData {
  /** The link-setup port. */
  readonly links: MessagePort;
  readonly wire: WireEncoding;
}

function assertPort(port: unknown): asserts port is MessagePort {
  if (!(port instanceof MessagePort)) throw new InvalidArgumentError('a link needs a MessagePort');
}

export function startThreadHost(data: ThreadHostData = workerData as ThreadHostData): void {
  if (parentPort === null) throw new Error('the actor host must run inside a worker thread');
  assertPort(data.links);
  if (!isWireEncoding(data.wire)) throw new InvalidArgumentError(`unknown wire encoding '${String(data.wire)}'`);
  const wire = data.wire;
  const host = createActorHost();
  exposeEntryPoints(host.client, wireEndpoint(nodeEndpoint(parentPort), wire));
  exposeEntryPoints(
    {
      /** Serve thread `from` on this port: it forwards commands and delivers objects to our actors. */
      acceptPeer(_from: string, port: unknown): void {
        assertPort(port);
        exposeEntryPoints(host.peer, wireEndpoint(nodeEndpoint(port), wire));
      },
      /** Reach thread `to` on this port. */
      connectPeer(to: string, port: unknown): void {
        assertPort(port);
        host.addPeer(String(to), Comlink.wrap<PeerApi>(wireEndpoint(nodeEndpoint(port), wire)));
      },
    },
    nodeEndpoint(data.links),
  );
}
