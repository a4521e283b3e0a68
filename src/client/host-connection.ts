/**
 * The client's connection to one host: it queues commands for the actors on
 * that host and flushes them as one `execute` call per microtask (or at once
 * when someone awaits a reply). Commands for one actor run in issue order;
 * different hosts run concurrently. How the host is reached is its transport's
 * business (a worker thread today: src/client/thread-transport.ts).
 *
 * A host that dies rejects every call in flight and every later call: nothing
 * ever waits for an answer that cannot come.
 *
 * Backpressure: the commands (and tensor bytes) sent but not yet finished by
 * the host are bounded. Ops are issued synchronously (they return pointers at
 * once), so past the bound issuing blocks the caller until the host has
 * caught up to half of it, reading the host's progress counter in shared
 * memory (Atomics.wait: Node lets the main thread block). A loop of a million
 * ops then runs at the worker's pace in bounded memory instead of queueing
 * them all. A transport without such a counter (a socket) cannot block:
 * `await hook.drain()` in the loop is the way there.
 */
import * as Comlink from 'comlink';
import { confirmedEvents, isRead, nameOf, postedEvents, replyBytesOf } from '../core/commands.js';
import { InvalidArgumentError, remoteError, RuntimeShutDownError, SyftError, WorkerCrashedError } from '../core/errors.js';
import type { ActorBatch, ActorBatchResult, Command, HostApi, HostInitOptions, ReplyOf } from '../core/protocol.js';
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
  /** Kills the host as a crash would (sy.testing.crash), where that differs from terminate(). */
  crash?(): Promise<void>;
  /** Drops the connection as a network failure would (sy.testing.dropConnection); only links that redial have one. */
  drop?(): void;
  /** The host's progress, readable while the caller blocks (threads of this process only). */
  readonly progress?: HostProgress;
}

/** Counters a host updates in shared memory (src/core/protocol.ts PROGRESS_*). */
export interface HostProgress {
  /** Commands from this client the host has finished. */
  readonly done: number;
  /** The host stopped (it crashed, exited, or was terminated). */
  readonly stopped: boolean;
  /** Blocks until `done` moves past `seen`, at most `ms`. */
  waitPast(seen: number, ms: number): void;
}

/** How much may be sent to one host and not yet finished there before issuing waits. */
export interface BackpressureLimits {
  /** Commands (default 32,768: about 32 MB of queued commands, replies and messages). */
  readonly commands: number;
  /** Tensor bytes sent with them (default 64 MB; a single larger tensor still goes, alone). */
  readonly bytes: number;
  /** A host that finishes nothing for this long fails the blocked call (BACKPRESSURE_TIMEOUT). */
  readonly timeoutMs: number;
}

export const DEFAULT_BACKPRESSURE: Omit<BackpressureLimits, 'timeoutMs'> = { commands: 32_768, bytes: 64 * 2 ** 20 };

export interface ConnectionOptions {
  readonly backpressure: BackpressureLimits;
  /** Flushes every connection of the hook: before blocking, nothing a host may wait for can stay queued here. */
  readonly flushAll: () => void;
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
  /** Times issuing blocked because the host was a bound behind (backpressure). */
  backpressureWaits: number;
  /** Milliseconds spent blocked in them. */
  backpressureMs: number;
  /** The most commands ever sent to the host and not yet finished. */
  maxUnfinished: number;
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
  readonly #stats: TransportStats = { messages: 0, tensorBytesOut: 0, tensorBytesIn: 0, backpressureWaits: 0, backpressureMs: 0, maxUnfinished: 0 };
  readonly #options: ConnectionOptions;
  /** Commands sent in execute calls so far (the host counts those it finished). */
  #sent = 0;
  /** Tensor bytes of the flushes the host may not have finished: [commands sent after that flush, its bytes]. */
  readonly #sentBytes: [number, number][] = [];
  #unfinishedBytes = 0;
  /** Tensor bytes of commands queued here and not yet flushed. */
  #queuedBytes = 0;
  /** execute calls in flight, for drain(). */
  readonly #calls = new Set<Promise<unknown>>();
  #inFlight = 0;
  #dead: SyftError | undefined;
  readonly #died: Promise<never>;
  #die!: (error: SyftError) => void;

  private constructor(transport: HostTransport, bus: EventBus, options: ConnectionOptions) {
    this.#options = options;
    this.name = transport.name;
    this.#transport = transport;
    this.#bus = bus;
    this.#died = new Promise<never>((_, reject) => {
      this.#die = reject;
    });
    this.#died.catch(() => undefined);
    void transport.closed.then((reason) => this.#markDead(new WorkerCrashedError(this.name, reason)));
  }

  static async start(transport: HostTransport, init: Omit<HostInitOptions, 'thread'>, bus: EventBus, options: ConnectionOptions): Promise<HostConnection> {
    const connection = new HostConnection(transport, bus, options);
    await connection.#call(() => transport.host.init({ ...init, thread: transport.name }));
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

  async spawnAll(actors: readonly string[]): Promise<void> {
    this.#assertAlive(`spawning ${actors.length} workers`);
    await this.#call(() => this.#transport.host.spawnAll(actors));
  }

  /** Queues a command whose result nobody awaits (ops, sends). */
  enqueue(actor: string, command: Command, transfer?: readonly ArrayBuffer[]): void {
    this.#assertAlive(`worker '${actor}'`);
    // Buffers first: pushing may flush the batch, and they must leave with their command.
    let bytes = 0;
    if (transfer !== undefined) {
      for (const buffer of transfer) bytes += buffer.byteLength;
      this.#stats.tensorBytesOut += bytes;
      this.#queuedBytes += bytes;
      this.#transfer.push(...transfer);
    }
    this.#push({ actor, command, reply: undefined });
    for (const event of postedEvents(command, actor)) this.#bus.emit(event);
    this.#scheduleFlush();
    if (this.#behind(bytes)) this.#waitForHost();
  }

  /** Resolves once every command sent so far has finished at the host (the async form of backpressure). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.#calls]);
  }

  /** Queues a command and flushes at once; resolves with its reply, or rejects with RemoteError. */
  request<C extends Command>(actor: string, command: C): Promise<ReplyOf<C['type']>> {
    // Rejects, never throws: a caller gathering replies from several workers
    // (Promise.all over parties) must not leave the others' promises unhandled.
    return new Promise((resolve, reject) => {
      this.#assertAlive(`worker '${actor}'`);
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
    const { batches, owners } = groupByActor(queued, this.#bus.observed);
    // Kept until the reply, so nothing of the commands themselves (see Owner).
    const actors = batches.map((b) => b.actor);
    this.#stats.messages++;
    this.#sent += queued.length;
    this.#stats.maxUnfinished = Math.max(this.#stats.maxUnfinished, this.#sent - (this.#transport.progress?.done ?? 0));
    if (this.#queuedBytes > 0) {
      this.#sentBytes.push([this.#sent, this.#queuedBytes]);
      this.#unfinishedBytes += this.#queuedBytes;
      this.#queuedBytes = 0;
    }
    // Posted here, so no closure that lives until the reply holds the commands.
    const sent = this.#dead === undefined ? this.#execute(batches, transfer) : undefined;
    const call = this.#call(() => sent!).then(
      (results) => this.#settle(actors, owners, results),
      (error: Error) => {
        owners.forEach((batch, b) => batch.forEach((q) => this.#fail(actors[b]!, q, error)));
      },
    );
    this.#calls.add(call);
    void call.finally(() => this.#calls.delete(call));
  }

  async terminate(): Promise<void> {
    if (this.#dead === undefined) this.#markDead(new RuntimeShutDownError(`the thread ${this.name}`));
    await this.#transport.terminate();
  }

  /** Kills the host as a crash would (sy.testing.crash): everything waiting on it fails with WorkerCrashedError. */
  async crash(): Promise<void> {
    await (this.#transport.crash?.() ?? this.#transport.terminate());
  }

  /** sy.testing.dropConnection: the link drops as a network failure would, and the client redials. */
  dropConnection(): void {
    if (this.#transport.drop === undefined) throw new InvalidArgumentError(`${this.name} is a thread of this process: it has no connection to drop (use sy.testing.crash)`);
    this.#transport.drop();
  }

  #execute(batches: ActorBatch[], transfer: ArrayBuffer[]): Promise<ActorBatchResult[]> {
    return this.#transport.host.execute(Comlink.transfer(batches, transfer));
  }

  /**
   * Whether more than the bound was sent and not finished (queued commands
   * count as sent). A tensor larger than the byte bound still goes when
   * nothing else is unfinished.
   */
  #behind(lastBytes: number): boolean {
    const progress = this.#transport.progress;
    if (progress === undefined) return false;
    const { commands, bytes } = this.#options.backpressure;
    if (this.#sent + this.#queue.length - progress.done > commands) return true;
    const unfinished = this.#unfinishedBytesAt(progress.done) + this.#queuedBytes;
    return unfinished > bytes && unfinished > lastBytes;
  }

  #unfinishedBytesAt(done: number): number {
    while (this.#sentBytes.length > 0 && this.#sentBytes[0]![0] <= done) this.#unfinishedBytes -= this.#sentBytes.shift()![1];
    return this.#unfinishedBytes;
  }

  /** Blocks until the host has finished all but half the bound. */
  #waitForHost(): void {
    const progress = this.#transport.progress!;
    const { commands, bytes, timeoutMs } = this.#options.backpressure;
    this.#stats.backpressureWaits++;
    const started = performance.now();
    try {
      this.#blockUntilCaughtUp(progress, commands, bytes, timeoutMs);
    } finally {
      this.#stats.backpressureMs += performance.now() - started;
    }
  }

  #blockUntilCaughtUp(progress: HostProgress, commands: number, bytes: number, timeoutMs: number): void {
    this.#options.flushAll();
    let done = progress.done;
    let lastProgress = Date.now();
    while (this.#sent - done > commands / 2 || this.#unfinishedBytesAt(done) > bytes / 2) {
      if (progress.stopped) throw new WorkerCrashedError(this.name, 'it stopped while the caller waited for it to catch up');
      if (Date.now() - lastProgress > timeoutMs) {
        throw new SyftError(
          'BACKPRESSURE_TIMEOUT',
          `the thread ${this.name} finished none of the ${this.#sent - done} commands sent to it for ${timeoutMs} ms; ` +
            'a worker is stuck (an endless kernel?) or waits for something that cannot come. Raise waitTimeoutMs if it is just slow.',
        );
      }
      progress.waitPast(done, 50);
      const now = progress.done;
      if (now !== done) lastProgress = Date.now();
      done = now;
    }
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

  #settle(actors: readonly string[], owners: readonly (readonly Owner[])[], results: readonly ActorBatchResult[]): void {
    const observed = this.#bus.observed;
    results.forEach((result, b) => {
      const batch = owners[b]!;
      const actor = actors[b]!;
      for (const [i, cause, op] of result.failures) {
        const q = batch[i];
        const error = remoteError(actor, op, cause.message, cause.code);
        this.#bus.emit({ type: 'error', worker: actor, op, message: error.message, code: cause.code });
        if (typeof q === 'object') q.reply?.({ ok: false, error });
      }
      if (result.failures.length === 0 && !batch.some((q) => typeof q === 'object')) return;
      const failed = new Set(result.failures.map(([i]) => i));
      const replies = new Map(result.replies);
      batch.forEach((q, i) => {
        if (typeof q !== 'object' || failed.has(i)) return;
        const reply = replies.get(i);
        this.#stats.tensorBytesIn += replyBytesOf(q.command, reply);
        if (observed) for (const event of confirmedEvents(q.command, reply, q.actor)) this.#bus.emit(event);
        q.reply?.({ ok: true, value: reply });
      });
    });
  }

  #fail(actor: string, q: Owner, error: Error): void {
    this.#bus.emit({
      type: 'error',
      worker: actor,
      op: typeof q === 'object' ? nameOf(q.command) : q,
      message: error.message,
      code: error instanceof SyftError ? error.code : undefined,
    });
    if (typeof q === 'object') q.reply?.({ ok: false, error });
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
    for (const q of queued) this.#fail(q.actor, q, error);
  }
}

/**
 * What a flush keeps of a command until the host answers: the whole entry
 * when someone awaits its reply or watches events, else only its name (for an
 * error event). A synchronous loop of a million ops cannot let replies in
 * until it yields, so this is most of what it holds meanwhile.
 */
type Owner = Queued | string;

/** Splits the queue into runs of consecutive commands for the same actor. */
function groupByActor(queued: readonly Queued[], keepAll: boolean): { batches: ActorBatch[]; owners: Owner[][] } {
  const batches: ActorBatch[] = [];
  const owners: Owner[][] = [];
  let commands: Command[] = [];
  let owner: Owner[] = [];
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
    owner.push(keepAll || q.reply !== undefined ? q : nameOf(q.command));
  }
  if (actor !== undefined) {
    batches.push({ actor, commands });
    owners.push(owner);
  }
  return { batches, owners };
}
