/**
 * The main thread's handle on one actor thread: it queues commands for the
 * actors on that thread and flushes them as one comlink `execute` call per
 * microtask (or at once when someone awaits a reply). Commands for one actor run
 * in issue order; different threads run concurrently.
 *
 * A thread that dies rejects every call in flight and every later call: nothing
 * ever waits for an answer that cannot come.
 */
import * as Comlink from 'comlink';
import { nodeEndpoint } from '../transport/endpoint.js';
import { MessageChannel, Worker } from 'node:worker_threads';
import { RemoteError, RuntimeShutDownError, SyftError, WorkerCrashedError } from '../core/errors.js';
import { confirmedEvents, isRead, nameOf, postedEvents, replyBytesOf } from '../core/commands.js';
import type { ActorBatch, ActorBatchResult, Command, HostApi, PeerApi, ReplyOf } from '../core/protocol.js';
import type { EventBus } from './event-bus.js';
import { threadEntry } from './thread-entry.js';

/**
 * A batch is also sent once it holds this many commands, not only at the end of
 * the microtask: a synchronous loop issuing 20,000 ops would otherwise post
 * nothing until it ends, and the actor thread would sit idle while the main
 * thread works, then the other way round.
 */
const MAX_BATCH = 256;

interface ActorHostApi extends HostApi, PeerApi {
  acceptPeer(from: string, port: unknown): void;
  connectPeer(to: string, port: unknown): void;
}

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
  readonly #worker: Worker;
  readonly #host: Comlink.Remote<ActorHostApi>;
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

  private constructor(name: string, bus: EventBus) {
    this.name = name;
    this.#bus = bus;
    this.#died = new Promise<never>((_, reject) => {
      this.#die = reject;
    });
    this.#died.catch(() => undefined);
    const entry = threadEntry();
    this.#worker = new Worker(entry.filename, { workerData: entry.workerData, name, execArgv: threadExecArgv() });
    this.#worker.on('error', (error) => this.#markDead(new WorkerCrashedError(this.name, error.message)));
    this.#worker.on('exit', (code) => this.#markDead(new WorkerCrashedError(this.name, `exit code ${code}`)));
    this.#host = Comlink.wrap<ActorHostApi>(nodeEndpoint(this.#worker));
    // A script that forgets shutdown() must still exit: the thread only keeps the
    // process alive while a call is in flight.
    this.#worker.unref();
  }

  static async start(name: string, backend: string, bus: EventBus): Promise<HostConnection> {
    const thread = new HostConnection(name, bus);
    await thread.#call(() => thread.#host.init({ backend, thread: name }));
    return thread;
  }

  /**
   * Gives this thread and `other` a direct channel each way, so their actors
   * exchange data without the main thread. Each side serves the other on the
   * port it accepts and calls it on the port it connects.
   */
  async connect(other: HostConnection): Promise<void> {
    const there = new MessageChannel();
    const back = new MessageChannel();
    await Promise.all([
      this.#call(() => this.#host.connectPeer(other.name, Comlink.transfer(there.port1, [there.port1]))),
      other.#call(() => other.#host.acceptPeer(this.name, Comlink.transfer(there.port2, [there.port2]))),
      other.#call(() => other.#host.connectPeer(this.name, Comlink.transfer(back.port1, [back.port1]))),
      this.#call(() => this.#host.acceptPeer(other.name, Comlink.transfer(back.port2, [back.port2]))),
    ]);
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
    await this.#call(() => this.#host.spawn(actor));
  }

  /** Queues a command whose result nobody awaits (ops, sends). */
  enqueue(actor: string, command: Command, transfer?: readonly ArrayBuffer[]): void {
    this.#assertAlive(`worker '${actor}'`);
    this.#push({ actor, command, reply: undefined });
    if (transfer !== undefined) {
      for (const buffer of transfer) this.#stats.tensorBytesOut += buffer.byteLength;
      this.#transfer.push(...transfer);
    }
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
    this.#call(() => this.#host.execute(Comlink.transfer(batches, transfer))).then(
      (results) => this.#settle(owners, results),
      (error: Error) => {
        for (const q of queued) this.#fail(q, error);
      },
    );
  }

  async terminate(): Promise<void> {
    if (this.#dead === undefined) this.#markDead(new RuntimeShutDownError(`the thread ${this.name}`));
    await this.#worker.terminate();
  }

  /** Kills the host as a crash would (sy.testing.crash). */
  async crash(): Promise<void> {
    await this.#worker.terminate();
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
    if (this.#inFlight++ === 0) this.#worker.ref();
    try {
      return await Promise.race([fn(), this.#died]);
    } finally {
      if (--this.#inFlight === 0 && this.#dead === undefined) this.#worker.unref();
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

/**
 * Threads inherit the process's flags (--expose-gc, loaders) by default. An
 * `node --input-type=module -e ...` one-liner is the exception: that flag would
 * stop every actor thread from starting, and an explicit list cannot carry the
 * V8 flags, so such a script's threads start with none.
 */
function threadExecArgv(): string[] | undefined {
  return process.execArgv.some((arg) => arg.startsWith('--input-type')) ? [] : undefined;
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
