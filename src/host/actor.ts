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
 */
import { isRead, readsOf, writesOf, nameOf } from '../core/commands.js';
import { serializeError } from '../core/errors.js';
import type { ActorAddress, ActorBatchResult, Command, DeliveredItem } from '../core/protocol.js';
import { payloadToTensor } from '../transport/tensor-payload.js';
import { type ActorState, HANDLERS } from './handlers.js';
import { FailedInputError, ObjectStore } from './object-store.js';
import { Party } from './party.js';
import { RemoteGraph } from './remote-graph.js';
import { WorkerTraining } from './training.js';

/** What an actor needs from the host that runs it: a way to reach other actors. */
export interface ActorContext {
  readonly thread: string;
  /** Runs commands at another actor (same host or not); resolves once they ran. */
  forward(to: ActorAddress, commands: Command[]): Promise<ActorBatchResult>;
  /** Hands an object to another actor; resolves once it was received. */
  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): Promise<void>;
}

interface BatchRun {
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
  readonly training: WorkerTraining;
  readonly party: Party;
  #run: BatchRun | undefined;
  /** Settles when every batch accepted so far has run; undefined when none is waiting. */
  #tail: Promise<void> | undefined;
  /** Forwards and deliveries not yet acknowledged by their receiver. */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly id: string,
    private readonly context: ActorContext,
  ) {
    this.store = new ObjectStore(id);
    this.graph = new RemoteGraph(this.store, id);
    this.training = new WorkerTraining(this.store);
    this.address = { actor: id, thread: context.thread };
    this.party = new Party(this.store, {
      self: this.address,
      deliver: (to, at, item, transfer) => this.deliver(to, at, item, transfer),
      track: (work) => this.#track(work),
    });
  }

  /**
   * Runs a batch; buffers of fetched tensors are appended to `transfer`.
   * `forwarded` batches (from another worker) also wait for what they caused.
   */
  run(commands: readonly Command[], transfer: ArrayBuffer[], forwarded = false): ActorBatchResult | Promise<ActorBatchResult> {
    const run: BatchRun = { failures: [], replies: [], transfer, caused: [], before: [] };
    let done: BatchRun | Promise<BatchRun>;
    if (this.#tail === undefined) {
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

  forward(to: ActorAddress, commands: Command[]): void {
    this.#track(this.context.forward(to, commands));
  }

  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): void {
    this.#track(this.context.deliver(to, id, item, transfer));
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
      const wait = this.#blocker(command);
      if (wait !== undefined) return wait.then(() => this.#runFrom(commands, i, run));
      if (this.#inFlight.size > 0 && isRead(command)) run.before.push(...this.#inFlight);
      try {
        this.#run = run;
        const reply = (HANDLERS[command.type] as AnyHandler)(this, command);
        if (reply !== undefined) run.replies.push([i, reply]);
      } catch (error) {
        // A command that read a failed result reports the op that failed first and
        // its cause: the user must learn "matMul: shapes do not match", not "fetch failed".
        const failure = error instanceof FailedInputError ? error.failure : { op: nameOf(command), ...serializeError(error) };
        const outputs = writesOf(command);
        if (outputs.length > 0) this.store.fail(outputs, failure);
        run.failures.push([i, { name: 'RemoteError', message: failure.message, code: failure.code }, failure.op]);
      }
    }
    return run;
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

/** The batch's result, once the work it must not overtake has settled. */
function settle(run: BatchRun, forwarded: boolean): ActorBatchResult | Promise<ActorBatchResult> {
  const result: ActorBatchResult = { failures: run.failures, replies: run.replies };
  const waits = forwarded ? [...run.before, ...run.caused] : run.before;
  return waits.length === 0 ? result : Promise.all(waits).then(() => result);
}
