/**
 * One virtual worker, thread side: an id and the store it owns.
 *
 * It runs the commands of each batch in order. A command that fails is recorded
 * and the rest still run, so one bad op never harms the worker's other objects.
 *
 * Ops, deletes and moves on chain links are forwarded to where the data is, with
 * the same ids (every id is chosen by the main thread, so none can collide);
 * tensors travel worker to worker. Three rules keep this consistent without
 * ever letting two workers wait for each other:
 * 1. A command that reads an object still on its way (announced by `expect`)
 *    waits for it; later commands wait behind it, so order is kept. The object
 *    was sent by a command the main thread issued earlier, so this wait always ends.
 * 2. A batch forwarded by another worker is acknowledged only when the work it
 *    caused here (further forwards, deliveries) has settled too.
 * 3. A reply to the client (a read: fetch, objects, unwrap, ... as marked in
 *    src/core/commands.ts) is taken at once but sent only when everything this
 *    worker forwarded before it has settled. Once the client has the reply it
 *    may talk to those workers directly, and can never overtake what this
 *    worker asked of them.
 *
 * What each command does is its handler in src/host/handlers.ts.
 *
 * No wait outlives the worker it waits for. Every object on its way names the
 * workers it may come from; when a thread dies (its direct channel closes),
 * the host fails those objects here with WORKER_CRASHED, and a command this
 * actor forwarded there has its deliveries failed at their receivers, so
 * everything downstream rejects instead of waiting.
 */
import { checkCommand, deliveriesOf, isRead, readsOf, writesOf, nameOf } from '../core/commands.js';
import { serializeError, SyftError } from '../core/errors.js';
import type { ActorAddress, ActorBatchResult, Command, DeliveredItem, StoredFailure } from '../core/protocol.js';
import { randomInt } from 'node:crypto';
import { IdGenerator } from '../core/ids.js';
import { payloadToTensor } from '../transport/tensor-payload.js';
import { type ActorState, HANDLERS } from './handlers.js';
import { PrivacyGuard } from './privacy.js';
import { FailedInputError, ObjectStore } from './object-store.js';
import { Party } from './party.js';
import { RemoteGraph } from './remote-graph.js';
import { WorkerTraining } from './training.js';

/** What an actor needs from the host that runs it: a way to reach other actors. */
export interface ActorContext {
  readonly thread: string;
  /** Runs commands from actor `from` at another actor (same host or not); resolves once they ran. */
  forward(from: ActorAddress, to: ActorAddress, commands: Command[]): Promise<ActorBatchResult>;
  /** Hands an object to another actor; resolves once it was received. */
  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): Promise<void>;
  /** Why `to` cannot be reached (an unknown or dead thread or actor), or undefined when it can. */
  unreachable(to: ActorAddress): StoredFailure | undefined;
  /** How long an announced object may take to arrive (ms). */
  readonly waitTimeoutMs: number;
  /** A kernel failed in a way that may have corrupted this thread's wasm heap: stop the thread. */
  retire(reason: string): void;
}

interface BatchRun {
  /** The actor that forwarded the batch; undefined for the client's. */
  readonly from: ActorAddress | undefined;
  readonly failures: [number, ReturnType<typeof serializeError>, string][];
  readonly replies: [number, unknown][];
  /** Buffers leaving with the reply. */
  readonly transfer: ArrayBuffer[];
  /** Work this batch started at other workers (rule 2). */
  readonly caused: Promise<unknown>[];
  /** Earlier work a reply in this batch must not overtake (rule 3). */
  readonly before: Promise<unknown>[];
}

type AnyHandler = (actor: ActorState, command: Command) => unknown;

export class Actor implements ActorState {
  readonly store: ObjectStore;
  readonly address: ActorAddress;
  readonly graph: RemoteGraph;
  readonly privacy: PrivacyGuard;
  readonly training: WorkerTraining;
  readonly party: Party;
  #run: BatchRun | undefined;
  /** Settles when every batch accepted so far has run; undefined when none is waiting. */
  #tail: Promise<void> | undefined;
  /** Forwards and deliveries not yet acknowledged by their receiver. */
  readonly #inFlight = new Set<Promise<unknown>>();
  /** sy.testing.slow: a wait before each batch (ms). */
  delayMs = 0;
  readonly #linkIds = new IdGenerator(LINK_ID_BASE + randomInt(0, 2 ** 47) * 8);

  constructor(
    readonly id: string,
    private readonly context: ActorContext,
  ) {
    this.store = new ObjectStore(id, {
      waitTimeoutMs: () => context.waitTimeoutMs,
      onGiveUp: (ids) => this.party.abandon(ids),
    });
    this.graph = new RemoteGraph(this.store, id);
    this.training = new WorkerTraining(this.store);
    this.privacy = new PrivacyGuard(id, this.store, this.graph);
    this.address = { actor: id, thread: context.thread };
    this.party = new Party(this.store, {
      self: this.address,
      deliver: (to, at, item, transfer) => this.deliver(to, at, item, transfer),
      expect: (at, from) => this.expect(at, from),
      track: (work) => this.#track(work),
    });
  }

  /**
   * Runs a batch; buffers of fetched tensors are appended to `transfer`.
   * `forwarded` batches (from another worker) also wait for what they caused.
   */
  run(commands: readonly Command[], transfer: ArrayBuffer[], from?: ActorAddress): ActorBatchResult | Promise<ActorBatchResult> {
    const forwarded = from !== undefined;
    const run: BatchRun = { from, failures: [], replies: [], transfer, caused: [], before: [] };
    let done: BatchRun | Promise<BatchRun>;
    if (this.delayMs > 0) {
      const ms = this.delayMs;
      done = this.#queue((this.#tail ?? Promise.resolve()).then(() => sleep(ms)).then(() => this.#runFrom(commands, 0, run)));
    } else if (this.#tail === undefined) {
      done = this.#runFrom(commands, 0, run);
      if (done instanceof Promise) this.#queue(done);
    } else {
      done = this.#queue(this.#tail.then(() => this.#runFrom(commands, 0, run)));
    }
    return done instanceof Promise ? done.then((r) => settle(r, forwarded)) : settle(done, forwarded);
  }

  /** An object arriving from another worker. */
  receive(id: number, item: DeliveredItem): void {
    switch (item.kind) {
      case 'tensor':
        this.store.setTensor(id, payloadToTensor(item.tensor));
        this.graph.addLeaf(id, item.requiresGrad ?? false, item.grad);
        break;
      case 'pointer':
        this.store.set(id, { kind: 'pointer', location: item.location, idAtLocation: item.idAtLocation });
        break;
      case 'ring':
        this.store.set(id, { kind: 'ring', ring: item.ring });
        break;
      case 'reveal-part':
        this.party.receiveRevealPart(id, item);
        break;
      case 'failure':
        this.store.fail([id], item);
        break;
    }
  }

  /**
   * Runs commands at `to`. If they cannot run there (its thread died), what
   * they would have delivered elsewhere is delivered as that failure.
   */
  forward(to: ActorAddress, commands: Command[]): void {
    this.#track(
      this.context.forward(this.address, to, commands).catch((error: unknown) => {
        const failure: StoredFailure = { op: 'forward', ...serializeError(error) };
        for (const command of commands) this.#failDeliveries(command, failure);
        throw error;
      }),
    );
  }

  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): void {
    this.#track(this.context.deliver(to, id, item, transfer));
  }

  nextLinkId(): number {
    return this.#linkIds.next();
  }

  /** Announces an object on its way from one of `from`; fails it at once, returning false, if one of them is gone. */
  expect(id: number, from: readonly ActorAddress[]): boolean {
    for (const sender of from) {
      const gone = this.context.unreachable(sender);
      if (gone !== undefined) {
        this.store.fail([id], gone);
        this.party.abandon([id]);
        return false;
      }
    }
    this.store.expect(id, from);
    return true;
  }

  /** Throws when `to` cannot be reached, so a command fails before it gives anything away. */
  assertReachable(to: ActorAddress): void {
    const gone = this.context.unreachable(to);
    if (gone !== undefined) throw new SyftError(gone.code === 'WORKER_CRASHED' ? 'WORKER_CRASHED' : 'INVALID_ARGUMENT', gone.message);
  }

  /**
   * Thread `thread` died: whatever was on its way from there fails with
   * `failure`, and what only its chain links referenced is deleted (nobody
   * can name it any more).
   */
  peerLost(thread: string, failure: (from: ActorAddress) => StoredFailure): void {
    this.party.abandon(this.store.failFrom(thread, failure));
    const orphans = this.store.linkedFrom(thread);
    if (orphans.length === 0) return;
    (HANDLERS.delete as AnyHandler)(this, { type: 'delete', ids: orphans });
    // Had the client just unwrapped one of those links, its get() learns why the object is gone.
    this.store.fail(orphans, { op: 'unwrap', message: `its chain link at thread ${thread} died with that thread, and the object with it`, code: 'WORKER_CRASHED' });
  }

  transferWithReply(buffers: readonly ArrayBuffer[]): void {
    this.#run!.transfer.push(...buffers);
  }

  #queue<T>(done: Promise<T>): Promise<T> {
    const tail = done.then(
      () => undefined,
      () => undefined,
    );
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    return done;
  }

  /** Runs commands from `start` on; switches to async at the first command that must wait. */
  #runFrom(commands: readonly Command[], start: number, run: BatchRun): BatchRun | Promise<BatchRun> {
    for (let i = start; i < commands.length; i++) {
      const command = commands[i]!;
      // Only a command that matches the protocol reaches the table; anything
      // else fails alone, with its index, and the batch goes on.
      const malformed = checkCommand(command);
      if (malformed !== undefined) {
        run.failures.push([i, { name: 'RemoteError', message: malformed.message, code: malformed.code }, 'execute']);
        continue;
      }
      const wait = this.#blocker(command);
      if (wait !== undefined) return wait.then(() => this.#runFrom(commands, i, run));
      if (this.#inFlight.size > 0 && isRead(command)) run.before.push(...this.#inFlight);
      try {
        this.#run = run;
        // The data owner's policy, where one is set: refusals and charges before, privacy carried to the outputs after.
        const guarded = this.privacy.active;
        if (guarded) this.privacy.before(command);
        const reply = (HANDLERS[command.type] as AnyHandler)(this, command);
        if (guarded) this.privacy.after(command);
        if (reply !== undefined) run.replies.push([i, reply]);
      } catch (error) {
        this.privacy.failed();
        // A command that read a failed result reports the op that failed first and
        // its cause: the user must learn "matMul: shapes do not match", not "fetch failed".
        const failure = error instanceof FailedInputError ? error.failure : { op: nameOf(command), ...serializeError(error) };
        const outputs = writesOf(command);
        if (outputs.length > 0) this.store.fail(outputs, failure);
        this.#failDeliveries(command, failure);
        run.failures.push([i, { name: 'RemoteError', message: failure.message, code: failure.code }, failure.op]);
        // tfjs checked nothing it could not handle and still a kernel trapped:
        // its heap (shared by every actor here) may be corrupt, so no later op can be trusted.
        if (error instanceof WasmRuntimeError) this.context.retire(`'${failure.op}' at '${this.id}' trapped in wasm: ${failure.message}`);
      }
      // What a batch forwarded from another thread stores is referenced only by that thread's links.
      if (run.from !== undefined && run.from.thread !== this.address.thread) {
        for (const id of writesOf(command)) this.store.linkFrom(id, run.from.thread);
      }
    }
    return run;
  }

  /** Receivers of what `command` would have sent learn why it never will. */
  #failDeliveries(command: Command, failure: StoredFailure): void {
    for (const [to, id] of deliveriesOf(command)) {
      if (this.context.unreachable(to) === undefined) this.deliver(to, id, { kind: 'failure', ...failure }, []);
    }
  }

  /** What `command` must wait for before it can run, if anything. */
  #blocker(command: Command): Promise<unknown> | undefined {
    if (!this.store.hasPending) return undefined;
    const waits: Promise<void>[] = [];
    for (const id of readsOf(command)) {
      const arrived = this.store.whenArrived(id);
      if (arrived !== undefined) waits.push(arrived);
    }
    return waits.length === 0 ? undefined : Promise.all(waits);
  }

  /** Remembers work started at another worker, for rules 2 and 3. Its failure is the receiver's to report. */
  #track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(tracked);
    this.#run?.caused.push(tracked);
    void tracked.then(() => this.#inFlight.delete(tracked));
  }
}

/**
 * Ids workers choose for chain results start at 2^52, far above the ids clients
 * choose (below 2^40), each actor at a random offset (two actors' ranges meet
 * with odds of about 2^-40), and stay safe integers for 2^49 ids.
 */
const LINK_ID_BASE = 2 ** 52;

// The lib settings leave out WebAssembly's types; Node always has it.
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly.RuntimeError;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The batch's result, once the work it must not overtake has settled. */
function settle(run: BatchRun, forwarded: boolean): ActorBatchResult | Promise<ActorBatchResult> {
  const result: ActorBatchResult = { failures: run.failures, replies: run.replies };
  const waits = forwarded ? [...run.before, ...run.caused] : run.before;
  return waits.length === 0 ? result : Promise.all(waits).then(() => result);
}
