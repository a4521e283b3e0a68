/**
 * The client's connection to one host: it queues commands for the actors on
 * that host and flushes them as one `execute` call per microtask (or at once
 * when someone awaits a reply). Commands for one actor run in issue order;
 * different hosts run concurrently. How the host is reached is its transport's
 * business (a worker thread today: src/client/thread-transport.ts).
 *
 * A host that dies rejects every call in flight and every later call: nothing
 * ever waits for an answer that cannot come.
 */
import * as Comlink from 'comlink';
import { confirmedEvents, isRead, nameOf, postedEvents, replyBytesOf } from '../core/commands.js';
import { RemoteError, RuntimeShutDownError, SyftError, WorkerCrashedError } from '../core/errors.js';
import type { ActorBatch, ActorBatchResult, Command, HostApi, ReplyOf } from '../core/protocol.js';
import type { EventBus } from './event-bus.js';

/** How the client reaches one host: implemented by a worker thread today, by a socket next. */
export interface HostTransport {
  readonly name: string;
  /** The host's entry points (src/core/protocol.ts), called over the transport. */
  readonly host: Comlink.Remote<HostApi>;
  /** Resolves, with the reason, once the host is gone (a crash, an exit, a closed connection). */
  readonly closed: Promise<string>;
  /** Keep the process alive: a call is in flight. */
  hold(): void;
  /** No call is in flight: the host must not keep a script that forgot shutdown() from exiting. */
  release(): void;
  /** A direct channel to another host, so their actors exchange data without the client. */
  link(other: HostTransport): Promise<void>;
  terminate(): Promise<void>;
}

/**
 * A batch is also sent once it holds this many commands, not only at the end of
 * the microtask: a synchronous loop issuing 20,000 ops would otherwise post
 * nothing until it ends, and the actor thread would sit idle while the main
 * thread works, then the other way round.
 */
const MAX_BATCH = 256;

export interface TransportStats {
  /** execute calls posted to the thread (one per flush). */
  messages: number;
  /** Tensor bytes sent from the main thread (send) and received by it (get). */
  tensorBytesOut: number;
  tensorBytesIn: number;
}

interface Queued {
  readonly actor: string;
  readonly command: Command;
  readonly reply: ((outcome: { ok: true; value: unknown } | { ok: false; error: Error }) => void) | undefined;
}

export class HostConnection {
  readonly name: string;
  readonly #transport: HostTransport;
  readonly #bus: EventBus;
  #queue: Queued[] = [];
  #transfer: ArrayBuffer[] = [];
  /**
   * Deletes wait here, one list per actor: an id that was deleted can never be
   * named by a later command, so a delete may run later than issued, as long as
   * it runs before the next read of that actor (which must not see the object).
   * A thousand disposed or collected pointers then cost one command.
   */
  readonly #deletes = new Map<string, number[]>();
  #flushScheduled = false;
  readonly #stats: TransportStats = { messages: 0, tensorBytesOut: 0, tensorBytesIn: 0 };
  #inFlight = 0;
  #dead: SyftError | undefined;
  readonly #died: Promise<never>;
  #die!: (error: SyftError) => void;

  private constructor(transport: HostTransport, bus: EventBus) {
    this.name = transport.name;
    this.#transport = transport;
    this.#bus = bus;
    this.#died = new Promise<never>((_, reject) => {
      this.#die = reject;
    });
    this.#died.catch(() => undefined);
    void transport.closed.then((reason) => this.#markDead(new WorkerCrashedError(this.name, reason)));
  }

  static async start(transport: HostTransport, backend: string, bus: EventBus): Promise<HostConnection> {
    const connection = new HostConnection(transport, bus);
    await connection.#call(() => transport.host.init({ backend, thread: transport.name }));
    return connection;
  }

  /** Gives this host and `other` a direct channel each way, so their actors exchange data without the client. */
  async connect(other: HostConnection): Promise<void> {
    await this.#call(() => other.#call(() => this.#transport.link(other.#transport)));
  }

  /** Messages and tensor bytes that went between the main thread and this thread. */
  get stats(): TransportStats {
    return { ...this.#stats };
  }

  get isAlive(): boolean {
    return this.#dead === undefined;
  }

  async spawn(actor: string): Promise<void> {
    this.#assertAlive(`spawning '${actor}'`);
    await this.#call(() => this.#transport.host.spawn(actor));
  }

  /** Queues a command whose result nobody awaits (ops, sends). */
  enqueue(actor: string, command: Command, transfer?: readonly ArrayBuffer[]): void {
    this.#assertAlive(`worker '${actor}'`);
    // Buffers first: pushing may flush the batch, and they must leave with their command.
    if (transfer !== undefined) {
      for (const buffer of transfer) this.#stats.tensorBytesOut += buffer.byteLength;
      this.#transfer.push(...transfer);
    }
    this.#push({ actor, command, reply: undefined });
    for (const event of postedEvents(command, actor)) this.#bus.emit(event);
    this.#scheduleFlush();
  }

  /** Queues a command and flushes at once; resolves with its reply, or rejects with RemoteError. */
  request<C extends Command>(actor: string, command: C): Promise<ReplyOf<C['type']>> {
    this.#assertAlive(`worker '${actor}'`);
    return new Promise((resolve, reject) => {
      this.#push({
        actor,
        command,
        reply: (outcome) => (outcome.ok ? resolve(outcome.value as ReplyOf<C['type']>) : reject(outcome.error)),
      });
      this.flush();
    });
  }

  scheduleDelete(actor: string, id: number): void {
    if (this.#dead !== undefined) return;
    const ids = this.#deletes.get(actor);
    if (ids === undefined) this.#deletes.set(actor, [id]);
    else ids.push(id);
    this.#scheduleFlush();
  }

  flush(): void {
    this.#flushScheduled = false;
    for (const actor of [...this.#deletes.keys()]) this.#releaseDeletes(actor);
    if (this.#queue.length === 0) return;
    const queued = this.#queue;
    const transfer = this.#transfer;
    this.#queue = [];
    this.#transfer = [];
    const { batches, owners } = groupByActor(queued);
    this.#stats.messages++;
    this.#call(() => this.#transport.host.execute(Comlink.transfer(batches, transfer))).then(
      (results) => this.#settle(owners, results),
      (error: Error) => {
        for (const q of queued) this.#fail(q, error);
      },
    );
  }

  async terminate(): Promise<void> {
    if (this.#dead === undefined) this.#markDead(new RuntimeShutDownError(`the thread ${this.name}`));
    await this.#transport.terminate();
  }

  /** Kills the host as a crash would (sy.testing.crash): everything waiting on it fails with WorkerCrashedError. */
  async crash(): Promise<void> {
    await this.#transport.terminate();
  }

  #push(q: Queued): void {
    if (isRead(q.command)) this.#releaseDeletes(q.actor);
    this.#queue.push(q);
    if (this.#queue.length >= MAX_BATCH) this.flush();
  }

  /** Queues the actor's waiting deletes as one command. */
  #releaseDeletes(actor: string): void {
    const ids = this.#deletes.get(actor);
    if (ids === undefined) return;
    this.#deletes.delete(actor);
    this.#queue.push({ actor, command: { type: 'delete', ids }, reply: undefined });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      if (this.#flushScheduled) this.flush();
    });
  }

  async #call<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.#dead !== undefined) throw this.#dead;
    if (this.#inFlight++ === 0) this.#transport.hold();
    try {
      return await Promise.race([fn(), this.#died]);
    } finally {
      if (--this.#inFlight === 0 && this.#dead === undefined) this.#transport.release();
    }
  }

  #settle(owners: readonly (readonly Queued[])[], results: readonly ActorBatchResult[]): void {
    const observed = this.#bus.observed;
    results.forEach((result, b) => {
      const batch = owners[b]!;
      const failed = new Map(result.failures.map(([i, error, op]) => [i, { error, op }]));
      const replies = new Map(result.replies);
      batch.forEach((q, i) => {
        const failure = failed.get(i);
        if (failure !== undefined) {
          const error = new RemoteError(q.actor, failure.op, failure.error.message, failure.error.code);
          this.#bus.emit({ type: 'error', worker: q.actor, op: failure.op, message: error.message, code: failure.error.code });
          q.reply?.({ ok: false, error });
          return;
        }
        const reply = replies.get(i);
        this.#stats.tensorBytesIn += replyBytesOf(q.command, reply);
        if (observed) for (const event of confirmedEvents(q.command, reply, q.actor)) this.#bus.emit(event);
        q.reply?.({ ok: true, value: reply });
      });
    });
  }

  #fail(q: Queued, error: Error): void {
    this.#bus.emit({
      type: 'error',
      worker: q.actor,
      op: nameOf(q.command),
      message: error.message,
      code: error instanceof SyftError ? error.code : undefined,
    });
    q.reply?.({ ok: false, error });
  }

  #assertAlive(what: string): void {
    if (this.#dead !== undefined) {
      throw this.#dead instanceof WorkerCrashedError ? new WorkerCrashedError(what, 'its thread is dead') : new RuntimeShutDownError(what);
    }
  }

  #markDead(error: SyftError): void {
    if (this.#dead !== undefined) return;
    this.#dead = error;
    this.#die(error);
    // Commands queued but not yet flushed are rejected too.
    const queued = this.#queue;
    this.#queue = [];
    this.#deletes.clear();
    for (const q of queued) this.#fail(q, error);
  }
}

/** Splits the queue into runs of consecutive commands for the same actor. */
function groupByActor(queued: readonly Queued[]): { batches: ActorBatch[]; owners: Queued[][] } {
  const batches: ActorBatch[] = [];
  const owners: Queued[][] = [];
  let commands: Command[] = [];
  let owner: Queued[] = [];
  let actor: string | undefined;
  for (const q of queued) {
    if (q.actor !== actor) {
      if (actor !== undefined) {
        batches.push({ actor, commands });
        owners.push(owner);
      }
      actor = q.actor;
      commands = [];
      owner = [];
    }
    commands.push(q.command);
    owner.push(q);
  }
  if (actor !== undefined) {
    batches.push({ actor, commands });
    owners.push(owner);
  }
  return { batches, owners };
}
