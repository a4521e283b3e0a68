/**
 * A pointer to a tensor held by a virtual worker (PySyft's PointerTensor).
 *
 * The pointer owns the remote object: dispose(), leaving a tidy scope, get(), or
 * becoming unreachable releases it. Op methods (one per registry entry) are
 * installed on the prototype by src/tensor/op-methods.ts and return new pointers
 * at once; the work is pipelined to the worker.
 *
 * A pointer may point to a pointer: after `x.send(bob).send(alice)` the data is
 * at bob and alice holds a link to it. The pointer's route lists the workers
 * from its location (alice) to the data (bob); the main thread only ever talks
 * to the head, which forwards along the chain.
 *
 * All state is in #private fields: tf.tidy walks the enumerable fields of what a
 * scope returns, and must not wander from a pointer into the whole runtime.
 */
import { inspect } from 'node:util';
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, PointerDisposedError } from '../core/errors.js';
import type { OpMethods } from '../tensor/op-methods-type.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import type { ActorAddress, InPlaceOp, LinkReply, Slot, WireArg } from '../core/protocol.js';
import { type PointerRecord, stopWatching, watchForCollection } from './collection.js';
import { encodeOperand } from '../tensor/op-dispatch.js';
import type { SendTarget } from './send.js';
import { trackInScope } from '../tensor/tidy.js';
import { AdditiveSharingTensor, type ShareOptions } from '../smpc/additive-sharing-tensor.js';
import type { FixedPrecisionOptions } from '../core/ring/fixed-precision.js';
import { precisionOf } from '../smpc/fixed-precision-tensor.js';
import type { VirtualWorker } from '../client/virtual-worker.js';

/** pointer.share(...workers, options): the fixed-point encoding, a weight, and the crypto provider. */
export interface PointerShareOptions extends ShareOptions, FixedPrecisionOptions {
  /** Multiplies the tensor by this public number before it is shared (a FedAvg weight, say). */
  readonly weight?: number;
}

/** What get() returns at the end of a chain: the kind of tensor that was sent. */
export type LocalTensor = tf.Tensor | SyftTensor;
export type TensorKind = 'tf' | 'syft';

/** The parts of a virtual worker a pointer talks to (it is also where tensors can be sent). */
export interface PointerLocation extends SendTarget {
  readonly id: string;
  readonly owner: PointerOwner;
  /** @internal */ readonly address: ActorAddress;
  /** @internal */ collect(idAtLocation: number, pointerId: number): void;
  /** @internal */ release(idAtLocation: number): void;
  /** @internal */ fetch(idAtLocation: number, kind: TensorKind): Promise<LocalTensor>;
  /** @internal */ expect(id: number): void;
  /** @internal */ sendPointer(idAtLocation: number, to: PointerLocation, as: number): void;
  /** @internal */ moveObject(idAtLocation: number, to: PointerLocation, as: number): void;
  /** @internal */ remoteGet(idAtLocation: number): void;
  /** @internal */ unwrap(idAtLocation: number): Promise<LinkReply>;
  /** @internal */ fetchGrad(idAtLocation: number, kind: TensorKind): Promise<LocalTensor>;
  /** @internal */ backward(idAtLocation: number, grad: WireArg | undefined): void;
  /** @internal */ inPlace(idAtLocation: number, slot: Slot, op: InPlaceOp, arg: WireArg | undefined): void;
  /** @internal */ requireGrad(idAtLocation: number, value: boolean): void;
  toString(): string;
}

/** The local worker ('me'): it names pointers and tracks the live ones. */
export interface PointerOwner {
  readonly id: string;
  nextId(): number;
  register(record: PointerRecord): void;
  forget(pointerId: number): void;
}

type State = 'live' | 'disposed' | 'fetched' | 'sent';

/** What a chain finally points to: PointerTensor<PointerTensor<T>> holds T at its end. */
export type DataOf<L> = L extends PointerTensor<infer I> ? DataOf<I> : L;

export interface PointerTensor<L = LocalTensor> extends OpMethods<PointerTensor<L>> {}

// The interface above merges the registry's op methods into the class type.
export class PointerTensor<L = LocalTensor> {
  readonly #id: number;
  #idAtLocation: number;
  /** From this pointer's location to the worker that holds the data. */
  #route: readonly PointerLocation[];
  readonly #kind: TensorKind;
  #state: State = 'live';
  /** Set on a gradient view (x.grad): the pointer whose gradient this reads. */
  readonly #gradOf: PointerTensor<L> | undefined;
  #gradView: PointerTensor<L> | undefined;

  /** @internal Pointers are made by send() and by ops, never by users. */
  constructor(
    location: PointerLocation,
    idAtLocation: number,
    kind: TensorKind,
    route: readonly PointerLocation[] = [location],
    gradOf?: PointerTensor<L>,
  ) {
    this.#route = route;
    this.#idAtLocation = idAtLocation;
    this.#kind = kind;
    this.#id = location.owner.nextId();
    this.#gradOf = gradOf;
    // A gradient view owns nothing: the gradient goes with its tensor.
    if (gradOf === undefined) {
      this.#watch();
      trackInScope(this);
    }
  }

  /** @internal Which tensor of the remote object this pointer reads: its value, or its gradient (a view). */
  get slot(): Slot {
    return this.#gradOf === undefined ? 'value' : 'grad';
  }

  /**
   * The gradient backward() accumulated at the worker (PyTorch's x.grad): a
   * pointer that reads and updates it where it lives. `await x.grad.get()`
   * copies it home; `x.grad.zeroInPlace()` zeroes it there.
   */
  get grad(): PointerTensor<L> {
    this.assertLive();
    if (this.#gradOf !== undefined) throw new InvalidArgumentError('A gradient has no gradient of its own.');
    this.#gradView ??= new PointerTensor<L>(this.location, this.#idAtLocation, this.#kind, this.#route, this);
    return this.#gradView;
  }

  /**
   * Accumulates the gradient of this (scalar) tensor, or of `dy`, into every
   * leaf it depends on, at the worker that holds the data. Pipelined: failures
   * surface at the next read (e.g. `await w.grad.get()`).
   */
  backward(dy?: PointerTensor<L>): void {
    this.assertLive();
    this.location.backward(this.#idAtLocation, dy === undefined ? undefined : encodeOperand(this, dy, 'backward'));
  }

  /**
   * Makes the remote tensor a leaf that requires a gradient (PyTorch's
   * requires_grad_()), or stops it requiring one. Returns this.
   */
  requireGrad(value = true): this {
    this.assertLive();
    this.location.requireGrad(this.#idAtLocation, value);
    return this;
  }

  /** this += other at the worker (PyTorch's add_); not recorded for backward(). Returns this. */
  addInPlace(other: unknown): this {
    return this.#inPlace('add', other);
  }

  /** this -= other at the worker, e.g. `w.subInPlace(w.grad.mul(0.1))`. Returns this. */
  subInPlace(other: unknown): this {
    return this.#inPlace('sub', other);
  }

  /** this *= other at the worker. Returns this. */
  mulInPlace(other: unknown): this {
    return this.#inPlace('mul', other);
  }

  /** this /= other at the worker. Returns this. */
  divInPlace(other: unknown): this {
    return this.#inPlace('div', other);
  }

  /** Sets every value to 0 at the worker, e.g. `w.grad.zeroInPlace()`. Returns this. */
  zeroInPlace(): this {
    return this.#inPlace('zero', undefined);
  }

  #inPlace(op: InPlaceOp, other: unknown): this {
    this.assertLive();
    const arg = other === undefined ? undefined : encodeOperand(this, other, `${op}InPlace`);
    this.location.inPlace(this.#idAtLocation, this.slot, op, arg);
    return this;
  }

  /** This pointer's own id at the local worker. */
  get id(): number {
    return this.#id;
  }

  /** The id of the object at the worker. */
  get idAtLocation(): number {
    return this.#idAtLocation;
  }

  /** The virtual worker this pointer points to (the head of a chain). */
  get location(): PointerLocation {
    return this.#route[0]!;
  }

  /** The virtual worker that holds the data (the end of a chain; the location itself otherwise). */
  get dataLocation(): PointerLocation {
    return this.#route[this.#route.length - 1]!;
  }

  /** @internal The workers from location to data. */
  get route(): readonly PointerLocation[] {
    return this.#route;
  }

  /** The worker that owns this pointer: the local worker, 'me'. */
  get owner(): PointerOwner {
    return this.location.owner;
  }

  get isDisposed(): boolean {
    return this.#state !== 'live' || (this.#gradOf?.isDisposed ?? false);
  }

  /** @internal Whether get() at the end of the chain gives back a tf.Tensor or a SyftTensor. */
  get kind(): TensorKind {
    return this.#kind;
  }

  /** Throws at once if the pointer can no longer be used. */
  assertLive(): void {
    this.#gradOf?.assertLive();
    if (this.#state !== 'live') throw new PointerDisposedError(String(this), this.#state);
  }

  /**
   * Brings the object one hop closer: the tensor itself for a pointer to data
   * (the worker no longer holds it), or, on a chain, the pointer the head held
   * (the head's link is removed). This pointer is spent. Rejects with
   * RemoteError if the op that made the object failed.
   */
  get(): Promise<L> {
    this.assertLive(); // a local mistake throws at once, not in a promise
    if (this.#gradOf !== undefined) return this.location.fetchGrad(this.#idAtLocation, this.#kind) as Promise<L>;
    const [head, ...rest] = this.#route;
    const id = this.#idAtLocation;
    this.#retire('fetched');
    if (rest.length === 0) return head!.fetch(id, this.#kind) as Promise<L>;
    return head!.unwrap(id).then((link) => new PointerTensor(rest[0]!, link.idAtLocation, this.#kind, rest) as L);
  }

  /**
   * Sends this pointer on: `x.send(bob).send(alice)` leaves the data at bob and
   * gives alice a pointer to it; the result points to alice's pointer. This
   * pointer is spent (the chain owns bob's object now).
   */
  send(...workers: PointerLocation[]): PointerTensor<PointerTensor<L>> {
    this.assertLive();
    const target = this.#target(workers, 'send');
    if (target === this.location) {
      throw new InvalidArgumentError(`${String(this)} already points to ${String(target)}: send it to another worker.`);
    }
    const as = this.owner.nextId();
    target.expect(as);
    this.location.sendPointer(this.#idAtLocation, target, as);
    this.#retire('sent');
    return new PointerTensor(target, as, this.#kind, [target, ...this.#route]);
  }

  /**
   * Secret-shares the tensor among `workers` from where it is: the worker
   * holding it encodes it in fixed point, splits it with its CSPRNG and sends
   * each party its share, so no one else (the caller included) sees it. The
   * tensor stays. Options: the fixed-point precision, a public `weight` to
   * multiply by first (secure weighted averaging), and the crypto provider.
   */
  share(...args: (PointerLocation | PointerShareOptions)[]): AdditiveSharingTensor {
    this.assertLive();
    if (this.#route.length !== 1 || this.#gradOf !== undefined) {
      throw new InvalidArgumentError(`${String(this)}: share() needs a pointer to the data itself; move() it first.`);
    }
    const last = args[args.length - 1];
    const options = last !== undefined && !('id' in last) ? (last as PointerShareOptions) : {};
    const workers = (last !== undefined && !('id' in last) ? args.slice(0, -1) : args) as unknown as VirtualWorker[];
    const { cryptoProvider, weight, ...precision } = options;
    return AdditiveSharingTensor.shareFromWorker(
      this.location as unknown as VirtualWorker,
      this.#idAtLocation,
      precisionOf(precision),
      cryptoProvider === undefined ? workers : [...workers, { cryptoProvider }],
      weight,
    );
  }

  /**
   * Moves the data to `worker`, worker to worker, and updates this pointer to
   * point there directly (PySyft's x.move(alice)). Returns this pointer, typed
   * as what it is now: a pointer to data.
   */
  move(...workers: PointerLocation[]): PointerTensor<DataOf<L>> {
    this.assertLive();
    const target = this.#target(workers, 'move');
    if (this.#route.length === 1 && target === this.location) return this as PointerTensor<DataOf<L>>;
    const as = this.owner.nextId();
    target.expect(as);
    this.location.moveObject(this.#idAtLocation, target, as);
    this.#rebind([target], as);
    return this as PointerTensor<DataOf<L>>;
  }

  /**
   * On a chain, pulls the data to the chain's head (PySyft's remote_get): after
   * `x.send(bob).send(alice).remoteGet()` alice holds the tensor and bob nothing.
   * Returns this pointer, which now points to data.
   */
  remoteGet(): PointerTensor<DataOf<L>> {
    this.assertLive();
    if (this.#route.length === 1) {
      throw new InvalidArgumentError(
        `${String(this)} points to data already; remoteGet() pulls a chain's data to its head. Use get() to bring it home.`,
      );
    }
    this.location.remoteGet(this.#idAtLocation);
    this.#rebind([this.location], this.#idAtLocation);
    return this as PointerTensor<DataOf<L>>;
  }

  /** Deletes the remote object (down the whole chain). Disposing twice is harmless. */
  dispose(): void {
    if (this.#state !== 'live' || this.#gradOf !== undefined) return;
    this.#retire('disposed');
    this.location.release(this.#idAtLocation);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    const grad = this.#gradOf === undefined ? '' : '.grad';
    return `(Wrapper)>[PointerTensor | ${this.owner.id}:${this.#id} -> ${this.location.id}:${this.#idAtLocation}${grad}]`;
  }

  [inspect.custom](): string {
    const via = this.#route.length > 1 ? ` (data at ${this.dataLocation.id} via ${this.#route.slice(0, -1).map((w) => w.id).join(' -> ')})` : '';
    return this.toString() + via + (this.#state === 'live' ? '' : ` (${this.#state})`);
  }

  #target(workers: readonly unknown[], verb: string): PointerLocation {
    if (workers.length !== 1) {
      throw new InvalidArgumentError(`${verb}() on a pointer takes exactly one worker, got ${workers.length}.`);
    }
    const target = workers[0] as PointerLocation;
    if (typeof target !== 'object' || target === null || target.owner !== this.owner || typeof target.expect !== 'function') {
      throw new InvalidArgumentError(`${verb}() expects a virtual worker of the same hook (from hook.virtualWorker(id)).`);
    }
    return target;
  }

  #watch(): void {
    const record: PointerRecord = { pointerId: this.#id, location: this.location, idAtLocation: this.#idAtLocation };
    this.owner.register(record);
    watchForCollection(this, record);
  }

  #rebind(route: readonly PointerLocation[], idAtLocation: number): void {
    stopWatching(this);
    this.#route = route;
    this.#idAtLocation = idAtLocation;
    this.#watch();
  }

  #retire(state: Exclude<State, 'live'>): void {
    this.#state = state;
    stopWatching(this);
    this.owner.forget(this.#id);
  }
}
