/**
 * A host runs any number of actors (virtual workers) and reaches the actors of
 * other hosts over direct channels, so data moving from bob to alice never
 * passes through the client. This file is transport-free: how the host is
 * reached (a worker thread, src/host/thread-main.ts) is wired up around it.
 */
import * as Comlink from 'comlink';
import { useBackend } from '../core/backend.js';
import { checkDelivered } from '../core/commands.js';
import { InvalidArgumentError, MalformedCommandError, serializeError, SyftError, WorkerCrashedError } from '../core/errors.js';
import { address, name } from '../core/wire-schema.js';
import type {
  ActorAddress,
  ActorBatch,
  ActorBatchResult,
  Command,
  DeliveredItem,
  HostApi,
  HostInitOptions,
  PeerApi,
  StoredFailure,
} from '../core/protocol.js';
import { Actor, type ActorContext } from './actor.js';

export interface ActorHost {
  /** What the client calls. */
  readonly client: HostApi;
  /** What other hosts call over their direct channels. */
  readonly peer: PeerApi;
  /** A direct channel to host `name`: how this host's actors reach its actors. */
  addPeer(name: string, peer: Comlink.Remote<PeerApi>): void;
  /**
   * Host `name` is gone (its channel closed): calls in flight to it reject,
   * later ones fail at once, and every actor here fails what was on its way
   * from there. Idempotent.
   */
  peerLost(name: string, reason: string): void;
  /** Clears every actor's store (disposing its tensors) and removes the actors: a session that ended. */
  close(): void;
}

export interface ActorHostOptions {
  /** A kernel may have corrupted this thread's wasm heap: the thread must stop (after the current reply). */
  readonly retire?: (reason: string) => void;
}

interface Peer {
  readonly api: Comlink.Remote<PeerApi>;
  /** Rejects once the peer is lost, so no call to it outlives it. */
  readonly lost: Promise<never>;
  readonly lose: (error: SyftError) => void;
}

export function createActorHost(options: ActorHostOptions = {}): ActorHost {
  /**
   * Every actor spawned here. Its Actor (store, graph, privacy ledger, party
   * state: several kilobytes) is made on the first command or delivery for it,
   * so a population of 100,000 mostly idle workers costs a set of names.
   */
  const spawned = new Set<string>();
  /** The actors made so far. */
  const actors = new Map<string, Actor>();
  const actorOf = (id: string): Actor | undefined => {
    let actor = actors.get(id);
    if (actor === undefined && spawned.has(id)) {
      actor = new Actor(id, context);
      actors.set(id, actor);
    }
    return actor;
  };
  const peers = new Map<string, Peer>();
  /** Hosts that died, and why. */
  const gone = new Map<string, string>();
  let thread = '';
  let waitTimeoutMs = 0;
  let retiring = false;

  const crashed = (name: string): SyftError => new WorkerCrashedError(name, gone.get(name) ?? 'its channel closed');
  const actorAt = (id: string): Actor => {
    const actor = actorOf(id);
    if (actor === undefined) throw new SyftError('OBJECT_NOT_FOUND', `no actor '${String(id).slice(0, 64)}' on thread ${thread}`);
    return actor;
  };
  const peerAt = (name: string): Peer => {
    if (gone.has(name)) throw crashed(name);
    const peer = peers.get(name);
    if (peer === undefined) throw new SyftError('OBJECT_NOT_FOUND', `thread ${thread} has no channel to thread ${name}`);
    return peer;
  };
  /** A call to a peer that rejects if the peer dies before answering. */
  const call = <T>(peer: Peer, fn: (api: Comlink.Remote<PeerApi>) => Promise<T>): Promise<T> => Promise.race([fn(peer.api), peer.lost]);

  const context: ActorContext = {
    get thread() {
      return thread;
    },
    get waitTimeoutMs() {
      return waitTimeoutMs;
    },
    async forward(from: ActorAddress, to: ActorAddress, commands: Command[]): Promise<ActorBatchResult> {
      if (to.thread === thread) return actorAt(to.actor).run(commands, [], from);
      const [result] = await call(peerAt(to.thread), (api) => api.forward([{ actor: to.actor, commands, from }]));
      return result!;
    },
    async deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): Promise<void> {
      if (to.thread === thread) return actorAt(to.actor).receive(id, item);
      await call(peerAt(to.thread), (api) => api.deliver(to.actor, id, Comlink.transfer(item, transfer)));
    },
    unreachable(to: ActorAddress): StoredFailure | undefined {
      if (gone.has(to.thread)) {
        return { op: 'receive', message: `worker '${to.actor}' died (${gone.get(to.thread)!}: thread ${to.thread})`, code: 'WORKER_CRASHED' };
      }
      if (to.thread === thread ? spawned.has(to.actor) : peers.has(to.thread)) return undefined;
      return { op: 'receive', message: `no worker '${to.actor.slice(0, 64)}' on thread '${to.thread.slice(0, 64)}' is reachable from thread ${thread}`, code: 'INVALID_ARGUMENT' };
    },
    retire(reason: string): void {
      retiring = true;
      options.retire?.(reason);
    },
  };

  const run = (batches: unknown, forwarded: boolean): ActorBatchResult[] | Promise<ActorBatchResult[]> => {
    if (!Array.isArray(batches)) throw new MalformedCommandError('execute takes an array of { actor, commands } batches');
    const transfer: ArrayBuffer[] = [];
    const results = batches.map((batch: unknown) => {
      const { actor: id, commands, from } = (batch ?? {}) as Partial<ActorBatch>;
      if (typeof id !== 'string' || !Array.isArray(commands) || (forwarded && address(from) !== undefined)) {
        const error = serializeError(new MalformedCommandError('a batch is { actor: string, commands: Command[], from: ActorAddress (forwarded only) }'));
        return { failures: [[0, error, 'execute'] as const], replies: [] };
      }
      // A batch still arriving from a thread already declared dead would store what nobody can name any more.
      const senderGone = forwarded && gone.has(from!.thread);
      const actor = retiring || senderGone ? undefined : actorOf(id);
      if (actor === undefined) {
        const why = retiring ? crashed(thread) : senderGone ? crashed(from!.thread) : new SyftError('OBJECT_NOT_FOUND', `no actor '${id.slice(0, 64)}' on thread ${thread}`);
        const error = serializeError(why);
        return { failures: commands.map((_, i) => [i, error, 'execute'] as const), replies: [] };
      }
      return actor.run(commands, transfer, forwarded ? from : undefined);
    });
    // Most batches run at once; one that waits for an object in transit makes the reply wait too.
    if (results.some((r) => r instanceof Promise)) {
      return Promise.all(results).then((done) => Comlink.transfer(done, transfer));
    }
    return Comlink.transfer(results as ActorBatchResult[], transfer);
  };

  /** Registers every id, or none when one is malformed, repeated or already here. */
  function register(ids: readonly unknown[]): void {
    const fresh = new Set<string>();
    for (const id of ids) {
      const wrong = name(id);
      if (wrong !== undefined) throw new InvalidArgumentError(`an actor id must be ${wrong}`);
      if (spawned.has(id as string)) throw new SyftError('DUPLICATE_WORKER', `actor '${id as string}' already lives on this thread`);
      if (fresh.has(id as string)) throw new SyftError('DUPLICATE_WORKER', `actor '${id as string}' is named twice`);
      fresh.add(id as string);
    }
    for (const id of fresh) spawned.add(id);
  }

  return {
    client: {
      async init(init: HostInitOptions): Promise<string> {
        thread = init.thread;
        waitTimeoutMs = init.waitTimeoutMs;
        return useBackend(init.backend);
      },
      spawn(id: string): void {
        register([id]);
      },
      spawnAll(ids: readonly string[]): void {
        if (!Array.isArray(ids)) throw new MalformedCommandError('spawnAll takes an array of actor ids');
        register(ids);
      },
      execute: (batches) => run(batches, false),
    },
    peer: {
      forward: (batches) => run(batches, true),
      deliver: (actor, id, item) => {
        const malformed = checkDelivered(item) ?? (Number.isSafeInteger(id) && id >= 0 ? undefined : new MalformedCommandError('a delivered id is a non-negative safe integer'));
        if (malformed !== undefined) throw malformed;
        actorAt(actor).receive(id, item);
      },
    },
    addPeer(peerName, api) {
      let lose!: (error: SyftError) => void;
      const lost = new Promise<never>((_, reject) => (lose = reject));
      lost.catch(() => undefined);
      // A host reached again (a worker process's peer link redialled) is reachable again.
      gone.delete(peerName);
      peers.set(peerName, { api, lost, lose });
    },
    close() {
      for (const actor of actors.values()) void actor.run([{ type: 'clear' }], []);
      actors.clear();
      spawned.clear();
    },
    peerLost(peerName, reason) {
      if (gone.has(peerName) || peerName === thread) return;
      gone.set(peerName, reason);
      const error = crashed(peerName);
      peers.get(peerName)?.lose(error);
      for (const actor of actors.values()) {
        actor.peerLost(peerName, (from) => ({ op: 'receive', message: `worker '${from.actor}' died (${reason}: thread ${peerName}) before sending it`, code: 'WORKER_CRASHED' }));
      }
    },
  };
}
