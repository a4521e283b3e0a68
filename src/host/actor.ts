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
 * 3. A reply to the main thread (fetch, objects, unwrap, clear, sync) is taken
 *    at once but sent only when everything this worker forwarded before it has
 *    settled. Once the main thread has the reply it may talk to those workers
 *    directly, and can never overtake what this worker asked of them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { serializeError, SyftError } from '../core/errors.js';
import { type Entry, FailedInputError, ObjectStore, type StoredFailure } from './object-store.js';
import { RemoteGraph } from './remote-graph.js';
import { WorkerTraining } from './training.js';
import { Party } from './party.js';
import { seedRandomOps } from '../autograd/replay.js';
import { executeOp, mapRefs, refsOf, resolveArgs } from './op-execute.js';
import { isOpName, type OpName } from '../core/op-registry.js';
import { payloadToTensor, tensorToPayload, transferablesOf } from '../transport/tensor-payload.js';
import {
  type ActorAddress,
  type ActorBatchResult,
  type Command,
  CommandType,
  type DeliveredItem,
  type OpCommand,
  type WireArg,
} from '../core/protocol.js';

/** What an actor needs from the thread that hosts it: a way to reach other actors. */
export interface ActorContext {
  readonly thread: string;
  /** Runs commands at another actor (same thread or not); resolves once they ran. */
  forward(to: ActorAddress, commands: Command[]): Promise<ActorBatchResult>;
  /** Hands an object to another actor; resolves once it was received. */
  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): Promise<void>;
}

interface BatchRun {
  readonly failures: [number, ReturnType<typeof serializeError>, string][];
  readonly replies: [number, unknown][];
  /** Work this batch started at other workers (rule 2). */
  readonly caused: Promise<unknown>[];
  /** Earlier work a reply in this batch must not overtake (rule 3). */
  readonly before: Promise<unknown>[];
}

/** Commands whose reply reaches the main thread; they wait for this worker's forwards. */
const READS: ReadonlySet<CommandType> = new Set([
  CommandType.Fetch,
  CommandType.Objects,
  CommandType.Unwrap,
  CommandType.Clear,
  CommandType.Sync,
  CommandType.Stats,
  CommandType.Train,
  CommandType.RingFetch,
]);

export class Actor {
  readonly store: ObjectStore;
  readonly address: ActorAddress;
  /** The autograd tape of this actor's objects. */
  readonly graph: RemoteGraph;
  readonly #training: WorkerTraining;
  /** This worker's side of the SMPC protocols; its deliveries are tracked like any other. */
  readonly #party: Party;
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
    this.#training = new WorkerTraining(this.store);
    this.address = { actor: id, thread: context.thread };
    this.#party = new Party(this.store, {
      self: this.address,
      deliver: (to, at, item, transfer) => this.#track(this.context.deliver(to, at, item, transfer), this.#run!),
    });
  }

  /**
   * Runs a batch; buffers of fetched tensors are appended to `transfer`.
   * `forwarded` batches (from another worker) also wait for what they caused.
   */
  run(commands: readonly Command[], transfer: ArrayBuffer[], forwarded = false): ActorBatchResult | Promise<ActorBatchResult> {
    const run: BatchRun = { failures: [], replies: [], caused: [], before: [] };
    let done: BatchRun | Promise<BatchRun>;
    if (this.#tail === undefined) {
      done = this.#runFrom(commands, transfer, 0, run);
      if (done instanceof Promise) this.#queue(done);
    } else {
      done = this.#queue(this.#tail.then(() => this.#runFrom(commands, transfer, 0, run)));
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
        this.#party.receiveRevealPart(id, item);
        break;
      case 'failure':
        this.store.fail([id], item);
        break;
    }
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
  #runFrom(commands: readonly Command[], transfer: ArrayBuffer[], start: number, run: BatchRun): BatchRun | Promise<BatchRun> {
    for (let i = start; i < commands.length; i++) {
      const command = commands[i]!;
      const wait = this.#blocker(command);
      if (wait !== undefined) return wait.then(() => this.#runFrom(commands, transfer, i, run));
      if (this.#inFlight.size > 0 && READS.has(command.type)) run.before.push(...this.#inFlight);
      try {
        this.#run = run;
        const reply = this.#runOne(command, transfer, run);
        if (reply !== undefined) run.replies.push([i, reply]);
      } catch (error) {
        // A command that read a failed result reports the op that failed first and
        // its cause: the user must learn "matMul: shapes do not match", not "fetch failed".
        const failure =
          error instanceof FailedInputError
            ? error.failure
            : { op: command.type === CommandType.Op ? command.op : command.type, ...serializeError(error) };
        if (command.type === CommandType.Op) this.store.fail(command.out, failure);
        if (command.type === CommandType.RingOp) this.store.fail([command.out], failure);
        run.failures.push([i, { name: 'RemoteError', message: failure.message, code: failure.code }, failure.op]);
      }
    }
    return run;
  }

  /** What `command` must wait for before it can run, if anything. */
  #blocker(command: Command): Promise<unknown> | undefined {
    if (!this.store.hasPending) return undefined;
    const waits: Promise<void>[] = [];
    for (const id of referencedIds(command)) {
      const arrived = this.store.whenArrived(id);
      if (arrived !== undefined) waits.push(arrived);
    }
    return waits.length === 0 ? undefined : Promise.all(waits);
  }

  #runOne(command: Command, transfer: ArrayBuffer[], run: BatchRun): unknown {
    const track = (work: Promise<unknown>): void => this.#track(work, run);
    switch (command.type) {
      case CommandType.Sync:
        return undefined;
      case CommandType.Train:
        return { losses: this.#training.run(command.key, command.params, command.x, command.y, command.job) };
      case CommandType.Stats:
        return {
          objects: this.store.size,
          retainedForBackward: this.graph.retainedCount,
          trainingSessions: this.#training.sessionCount,
          threadTensors: tf.memory().numTensors,
        };
      case CommandType.Store:
        this.store.setTensor(command.id, payloadToTensor(command.tensor));
        this.graph.addLeaf(command.id, command.requiresGrad ?? false);
        return undefined;
      case CommandType.Op:
        this.#runOp(command, track);
        return undefined;
      case CommandType.Delete: {
        const deleted = this.#delete(command.ids, track);
        if (deleted.length === command.ids.length) return undefined;
        const gone = new Set(deleted);
        return { missing: command.ids.filter((id) => !gone.has(id)) };
      }
      case CommandType.Fetch: {
        if (command.slot === 'grad') {
          const payload = tensorToPayload(this.graph.gradOf(command.id));
          transfer.push(...transferablesOf(payload));
          return payload;
        }
        const tensor = this.store.tensor(command.id);
        const reply = { ...tensorToPayload(tensor), ...this.graph.stateOf(command.id) };
        if (!command.keep) {
          this.store.take(command.id);
          this.graph.drop(command.id, tensor);
          this.#training.forget([command.id]);
        }
        transfer.push(...transferablesOf(reply), ...(reply.grad === undefined ? [] : transferablesOf(reply.grad)));
        return reply;
      }
      case CommandType.Backward: {
        const link = this.#linkOrUndefined(command.id);
        if (link !== undefined) {
          const grad = command.grad === undefined ? [] : mapRefs([command.grad], (id) => this.#link(id).idAtLocation);
          track(this.context.forward(link.location, [{ type: CommandType.Backward, id: link.idAtLocation, grad: grad[0] }]));
          return undefined;
        }
        const dy = command.grad === undefined ? undefined : (this.#resolve([command.grad])[0] as tf.Tensor);
        this.graph.backward(command.id, dy);
        return undefined;
      }
      case CommandType.RequireGrad: {
        const link = this.#linkOrUndefined(command.id);
        if (link !== undefined) {
          track(this.context.forward(link.location, [{ ...command, id: link.idAtLocation }]));
          return undefined;
        }
        this.graph.requireGrad(command.id, command.value);
        return undefined;
      }
      case CommandType.InPlace: {
        const link = this.#linkOrUndefined(command.id);
        if (link !== undefined) {
          const arg = command.arg === undefined ? [] : mapRefs([command.arg], (id) => this.#link(id).idAtLocation);
          track(this.context.forward(link.location, [{ ...command, id: link.idAtLocation, arg: arg[0] }]));
          return undefined;
        }
        const arg = command.arg === undefined ? undefined : (this.#resolve([command.arg])[0] as tf.Tensor | number);
        this.graph.inPlace(command.id, command.slot, command.op, arg);
        return undefined;
      }
      case CommandType.Objects:
        return this.store.summaries();
      case CommandType.RingStore:
        this.store.set(command.id, { kind: 'ring', ring: command.ring });
        return undefined;
      case CommandType.RingOp:
        this.#party.ringOp(command);
        return undefined;
      case CommandType.RingFetch: {
        const ring = this.store.ring(command.id);
        if (!command.keep) this.store.take(command.id);
        // A kept share stays usable here: send a copy, not its buffer.
        const values = command.keep ? ring.values.slice() : ring.values;
        if (!command.keep) transfer.push(values.buffer as ArrayBuffer);
        return { values, shape: ring.shape };
      }
      case CommandType.Reveal:
        this.#party.reveal(command);
        return undefined;
      case CommandType.Deal:
        this.#party.deal(command);
        return undefined;
      case CommandType.ShareTensor:
        this.#party.shareTensor(command, () => this.store.tensor(command.id));
        return undefined;
      case CommandType.Clear: {
        const removed = this.store.clear();
        this.#release(removed, track);
        return { deleted: removed.map(([id]) => id) };
      }
      case CommandType.Expect:
        this.store.expect(command.id);
        return undefined;
      case CommandType.Move:
        return { bytes: this.#move(command.id, command.to, command.as, track) };
      case CommandType.SendPointer: {
        const failure = this.#failureOrMissing(command.id);
        const item: DeliveredItem = failure ?? { kind: 'pointer', location: this.address, idAtLocation: command.id };
        track(this.context.deliver(command.to, command.as, item, []));
        return undefined;
      }
      case CommandType.RemoteGet: {
        const link = this.#link(command.id);
        this.store.take(command.id);
        this.store.expect(command.id);
        track(this.context.forward(link.location, [{ type: CommandType.Move, id: link.idAtLocation, to: this.address, as: command.id }]));
        return undefined;
      }
      case CommandType.Unwrap: {
        const link = this.#link(command.id);
        this.store.take(command.id);
        return { location: link.location.actor, idAtLocation: link.idAtLocation };
      }
      default: {
        const unknown: never = command;
        throw new SyftError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Runs an op here, or forwards it along the chain when its inputs are links. */
  #runOp(command: OpCommand, track: (work: Promise<unknown>) => void): void {
    const refs = refsOf(command.args);
    let linked = false;
    for (const id of refs) if (this.store.get(id).kind === 'pointer') linked = true;
    if (!linked) {
      // The common case: the data is here. Ops that draw random numbers get a
      // seed when recorded, so that backward() replays them exactly.
      const recording = !command.noGrad && isOpName(command.op) && refs.some((id) => this.graph.requiresGrad(id));
      const args = recording ? seedRandomOps<WireArg>(command.op as OpName, command.args, (value) => ({ value })) : command.args;
      const outputs = executeOp(command.op, this.#resolve(args));
      if (outputs.length !== command.out.length) {
        for (const t of outputs) t.dispose();
        throw new SyftError(
          'INVALID_ARGUMENT',
          `'${command.op}' produced ${outputs.length} outputs where the caller expected ${command.out.length}`,
        );
      }
      outputs.forEach((t, k) => this.store.setTensor(command.out[k]!, t));
      if (recording) this.graph.record(command.op as OpName, args, command.out);
      return;
    }
    const entries = refs.map((id) => this.store.get(id));
    const links = entries.filter((e) => e.kind === 'pointer');
    const location = links[0]!.location;
    if (links.length !== entries.length || links.some((l) => l.location.actor !== location.actor)) {
      throw new SyftError(
        'TENSORS_NOT_COLLOCATED',
        `'${command.op}' at '${this.id}' mixes objects held here with pointers to other workers`,
      );
    }
    const at = new Map(refs.map((id, k) => [id, (entries[k] as Extract<Entry, { kind: 'pointer' }>).idAtLocation]));
    const forwarded: OpCommand = { ...command, args: mapRefs(command.args, (id) => at.get(id)!) };
    for (const id of command.out) this.store.set(id, { kind: 'pointer', location, idAtLocation: id });
    track(this.context.forward(location, [forwarded]));
  }

  /** Deletes here and, for chain links, at the workers they point to. */
  #delete(ids: readonly number[], track: (work: Promise<unknown>) => void): number[] {
    const removed = this.store.delete(ids);
    this.#release(removed, track);
    return removed.map(([id]) => id);
  }

  /** Disposes removed tensors (or lets the graph keep them) and forwards deletes down chains. */
  #release(removed: ReadonlyArray<readonly [number, Entry]>, track: (work: Promise<unknown>) => void): void {
    for (const [id, entry] of removed) this.graph.drop(id, entry.kind === 'tensor' ? entry.tensor : undefined);
    this.#training.forget(removed.map(([id]) => id));
    this.#forwardDeletes(removed, track);
  }

  #resolve(args: readonly WireArg[]): unknown[] {
    return resolveArgs(args, (id) => this.store.tensor(id), (id) => this.graph.gradOf(id));
  }

  #linkOrUndefined(id: number): Extract<Entry, { kind: 'pointer' }> | undefined {
    const entry = this.store.get(id);
    return entry.kind === 'pointer' ? entry : undefined;
  }

  #forwardDeletes(removed: ReadonlyArray<readonly [number, Entry]>, track: (work: Promise<unknown>) => void): void {
    if (!removed.some(([, entry]) => entry.kind === 'pointer')) return;
    const byLocation = new Map<string, { to: ActorAddress; ids: number[] }>();
    for (const [, entry] of removed) {
      if (entry.kind !== 'pointer') continue;
      let group = byLocation.get(entry.location.actor);
      if (group === undefined) byLocation.set(entry.location.actor, (group = { to: entry.location, ids: [] }));
      group.ids.push(entry.idAtLocation);
    }
    for (const { to, ids } of byLocation.values()) track(this.context.forward(to, [{ type: CommandType.Delete, ids }]));
  }

  /**
   * Sends the object to `to` (or, for a chain link, asks the next worker to);
   * returns the tensor bytes this worker sent. A failed or missing object is
   * delivered as a failure, so the receiver never waits for nothing.
   */
  #move(id: number, to: ActorAddress, as: number, track: (work: Promise<unknown>) => void): number {
    const failure = this.#failureOrMissing(id);
    if (failure !== undefined) {
      track(this.context.deliver(to, as, failure, []));
      return 0;
    }
    const entry = this.store.take(id);
    this.#training.forget([id]);
    if (entry.kind === 'pointer') {
      track(this.context.forward(entry.location, [{ type: CommandType.Move, id: entry.idAtLocation, to, as }]));
      return 0;
    }
    if (entry.kind === 'ring') {
      const bytes = entry.ring.values.byteLength;
      track(this.context.deliver(to, as, { kind: 'ring', ring: entry.ring }, [entry.ring.values.buffer as ArrayBuffer]));
      return bytes;
    }
    const payload = tensorToPayload(entry.tensor);
    const state = this.graph.stateOf(id);
    // Disposed, unless a graph here still needs the value for backward().
    this.graph.drop(id, entry.tensor);
    const bytes = payload.values.byteLength; // read before the transfer detaches the buffer
    const transfer = [...transferablesOf(payload), ...(state.grad === undefined ? [] : transferablesOf(state.grad))];
    track(this.context.deliver(to, as, { kind: 'tensor', tensor: payload, ...state }, transfer));
    return bytes;
  }

  #link(id: number): Extract<Entry, { kind: 'pointer' }> {
    const entry = this.store.get(id);
    if (entry.kind !== 'pointer') {
      throw new SyftError('INVALID_ARGUMENT', `object ${id} at '${this.id}' holds the data itself, not a pointer to it`);
    }
    return entry;
  }

  #failureOrMissing(id: number): Extract<DeliveredItem, { kind: 'failure' }> | undefined {
    try {
      this.store.get(id);
      return undefined;
    } catch (error) {
      const failure: StoredFailure =
        error instanceof FailedInputError ? error.failure : { op: 'move', ...serializeError(error) };
      return { kind: 'failure', op: failure.op, message: failure.message, code: failure.code };
    }
  }

  /** Remembers work started at another worker, for rules 2 and 3. Its failure is the receiver's to report. */
  #track(work: Promise<unknown>, run: BatchRun): void {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(tracked);
    run.caused.push(tracked);
    void tracked.then(() => this.#inFlight.delete(tracked));
  }
}

/** The batch's result, once the work it must not overtake has settled. */
function settle(run: BatchRun, forwarded: boolean): ActorBatchResult | Promise<ActorBatchResult> {
  const result: ActorBatchResult = { failures: run.failures, replies: run.replies };
  const waits = forwarded ? [...run.before, ...run.caused] : run.before;
  return waits.length === 0 ? result : Promise.all(waits).then(() => result);
}

/** The ids a command reads, which must have arrived before it runs. */
function referencedIds(command: Command): readonly number[] {
  switch (command.type) {
    case CommandType.Op:
      return refsOf(command.args);
    case CommandType.Delete:
      return command.ids;
    case CommandType.Backward:
      return command.grad === undefined ? [command.id] : [command.id, ...refsOf([command.grad])];
    case CommandType.InPlace:
      return command.arg === undefined ? [command.id] : [command.id, ...refsOf([command.arg])];
    case CommandType.RequireGrad:
    case CommandType.Fetch:
    case CommandType.Move:
    case CommandType.SendPointer:
    case CommandType.RemoteGet:
    case CommandType.Unwrap:
      return [command.id];
    case CommandType.Train:
      return [...command.params, command.x, command.y];
    case CommandType.RingOp:
      return refsOf(command.args);
    case CommandType.Reveal:
      return command.parts;
    case CommandType.RingFetch:
    case CommandType.ShareTensor:
      return [command.id];
    case CommandType.RingStore:
    case CommandType.Deal:
    case CommandType.Stats:
    case CommandType.Store:
    case CommandType.Objects:
    case CommandType.Clear:
    case CommandType.Expect:
    case CommandType.Sync:
      return [];
  }
}
