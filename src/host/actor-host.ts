/**
 * The code that runs inside an actor thread: it hosts any number of actors,
 * exposes them to the main thread over comlink, and reaches the actors of other
 * threads over direct channels (one MessageChannel per direction and pair of
 * threads), so data moving from bob to alice never passes through the main
 * thread. `workers/actor-host.ts` is only the thread's entry point.
 */
import * as Comlink from 'comlink';
import type { MessagePort } from 'node:worker_threads';
import { SyftError } from '../core/errors.js';
import { nodeEndpoint } from '../transport/endpoint.js';
import type {
  ActorAddress,
  ActorBatch,
  ActorBatchResult,
  HostApi,
  Command,
  DeliveredItem,
  HostInitOptions,
  PeerApi,
} from '../core/protocol.js';
import { Actor, type ActorContext } from './actor.js';
import { useBackend } from '../core/backend.js';

/** The host's entry points: the client's, a peer's, and the channels between hosts. */
export interface ActorHostApi extends HostApi, PeerApi {
  /** The receiving end of a direct channel from thread `from` (this thread serves `from` on it). */
  acceptPeer(from: string, port: unknown): void;
  /** The sending end of a direct channel to thread `to`. */
  connectPeer(to: string, port: unknown): void;
}

export function createActorHost(): ActorHostApi {
  const actors = new Map<string, Actor>();
  const peers = new Map<string, Comlink.Remote<PeerApi>>();
  let thread = '';

  const actorAt = (id: string): Actor => {
    const actor = actors.get(id);
    if (actor === undefined) throw new SyftError('OBJECT_NOT_FOUND', `no actor '${id}' on thread ${thread}`);
    return actor;
  };
  const peerAt = (name: string): Comlink.Remote<PeerApi> => {
    const peer = peers.get(name);
    if (peer === undefined) throw new SyftError('OBJECT_NOT_FOUND', `thread ${thread} has no channel to thread ${name}`);
    return peer;
  };

  const context: ActorContext = {
    get thread() {
      return thread;
    },
    async forward(to: ActorAddress, commands: Command[]): Promise<ActorBatchResult> {
      if (to.thread === thread) return actorAt(to.actor).run(commands, [], true);
      const [result] = await peerAt(to.thread).forward([{ actor: to.actor, commands }]);
      return result!;
    },
    async deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): Promise<void> {
      if (to.thread === thread) return actorAt(to.actor).receive(id, item);
      await peerAt(to.thread).deliver(to.actor, id, Comlink.transfer(item, transfer));
    },
  };

  const run = (batches: readonly ActorBatch[], forwarded: boolean): ActorBatchResult[] | Promise<ActorBatchResult[]> => {
    const transfer: ArrayBuffer[] = [];
    const results = batches.map((batch) => {
      const actor = actors.get(batch.actor);
      if (actor === undefined) {
        const error = { name: 'SyftError', message: `no actor '${batch.actor}' on thread ${thread}`, code: 'OBJECT_NOT_FOUND' };
        return { failures: batch.commands.map((_, i) => [i, error, 'execute'] as const), replies: [] };
      }
      return actor.run(batch.commands, transfer, forwarded);
    });
    // Most batches run at once; one that waits for an object in transit makes the reply wait too.
    if (results.some((r) => r instanceof Promise)) {
      return Promise.all(results).then((done) => Comlink.transfer(done, transfer));
    }
    return Comlink.transfer(results as ActorBatchResult[], transfer);
  };

  const execute = (batches: readonly ActorBatch[]) => run(batches, false);
  const forward = (batches: readonly ActorBatch[]) => run(batches, true);
  const deliver = (actor: string, id: number, item: DeliveredItem): void => actorAt(actor).receive(id, item);

  return {
    async init(options: HostInitOptions): Promise<string> {
      thread = options.thread;
      return useBackend(options.backend);
    },

    spawn(id: string): void {
      if (actors.has(id)) throw new SyftError('DUPLICATE_WORKER', `actor '${id}' already lives on this thread`);
      actors.set(id, new Actor(id, context));
    },

    acceptPeer(_from: string, port: unknown): void {
      Comlink.expose({ forward, deliver } satisfies PeerApi, nodeEndpoint(port as MessagePort));
    },

    connectPeer(to: string, port: unknown): void {
      peers.set(to, Comlink.wrap<PeerApi>(nodeEndpoint(port as MessagePort)));
    },

    execute,
    forward,
    deliver,
  };
}

export function startActorHost(port: MessagePort): void {
  Comlink.expose(createActorHost(), nodeEndpoint(port));
}
