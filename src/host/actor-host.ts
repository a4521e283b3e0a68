/**
 * A host runs any number of actors (virtual workers) and reaches the actors of
 * other hosts over direct channels, so data moving from bob to alice never
 * passes through the client. This file is transport-free: how the host is
 * reached (a worker thread, src/host/thread-main.ts) is wired up around it.
 */
import * as Comlink from 'comlink';
import { useBackend } from '../core/backend.js';
import { SyftError } from '../core/errors.js';
import type {
  ActorAddress,
  ActorBatch,
  ActorBatchResult,
  Command,
  DeliveredItem,
  HostApi,
  HostInitOptions,
  PeerApi,
} from '../core/protocol.js';
import { Actor, type ActorContext } from './actor.js';

export interface ActorHost {
  /** What the client calls. */
  readonly client: HostApi;
  /** What other hosts call over their direct channels. */
  readonly peer: PeerApi;
  /** A direct channel to host `name`: how this host's actors reach its actors. */
  addPeer(name: string, peer: Comlink.Remote<PeerApi>): void;
}

export function createActorHost(): ActorHost {
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

  return {
    client: {
      async init(options: HostInitOptions): Promise<string> {
        thread = options.thread;
        return useBackend(options.backend);
      },
      spawn(id: string): void {
        if (actors.has(id)) throw new SyftError('DUPLICATE_WORKER', `actor '${id}' already lives on this thread`);
        actors.set(id, new Actor(id, context));
      },
      execute: (batches) => run(batches, false),
    },
    peer: {
      forward: (batches) => run(batches, true),
      deliver: (actor, id, item) => actorAt(actor).receive(id, item),
    },
    addPeer(name, peer) {
      peers.set(name, peer);
    },
  };
}
