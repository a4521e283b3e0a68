/**
 * A pointer to a tensor held by a worker (PySyft's PointerTensor).
 *
 * The pointer owns the remote object (src/pointers/remote-handle.ts). Op
 * methods (one per registry entry) are installed by src/pointers/pointer-ops.ts
 * and return new pointers at once; the work is pipelined to the worker.
 * `send` and `share` are added by the client (src/client/verbs.ts).
 *
 * A pointer may point to a pointer: after `x.send(bob).send(alice)` the data is
 * at bob and alice holds a link to it. The pointer's route lists the workers
 * from its location (alice) to the data (bob); the client only ever talks to
 * the head, which forwards along the chain.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { InvalidArgumentError, TensorsNotCollocatedError } from '../core/errors.js';
import type { HandleOwner, Location } from '../core/handles.js';
import type { FetchReply, InPlaceOp, Slot, TensorPayload, WireArg } from '../core/protocol.js';
import type { OpMethods } from '../tensor/op-methods-type.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { payloadToTensor } from '../transport/tensor-payload.js';
import { RemoteHandle } from './remote-handle.js';

/** What get() returns at the end of a chain: the kind of tensor that was sent. */
export type LocalTensor = tf.Tensor | SyftTensor;
export type TensorKind = 'tf' | 'syft';

/** A worker a pointer can point to. */
export type PointerLocation = Location;

/** What a chain finally points to: PointerTensor<PointerTensor<T>> holds T at its end. */
export type DataOf<L> = L extends PointerTensor<infer I> ? DataOf<I> : L;

export interface PointerTensor<L = LocalTensor> extends OpMethods<PointerTensor<L>> {}

// The interface above merges the registry's op methods into the class type.
export class PointerTensor<L = LocalTensor> extends RemoteHandle {
  readonly #id: number;
  #idAtLocation: number;
  /** From this pointer's location to the worker that holds the data. */
  #route: readonly Location[];
  readonly #kind: TensorKind;
  /** Set on a gradient view (x.grad): the pointer whose gradient this reads. */
  readonly #gradOf: PointerTensor<L> | undefined;
  #gradView: PointerTensor<L> | undefined;

  /** @internal Pointers are made by send() and by ops, never by users. */
  constructor(location: Location, idAtLocation: number, kind: TensorKind, route: readonly Location[] = [location], gradOf?: PointerTensor<L>) {
    const id = location.owner.nextId();
    // A gradient view owns nothing: the gradient goes with its tensor.
    super(gradOf === undefined ? [{ location, idAtLocation, handleId: id }] : []);
    this.#id = id;
    this.#route = route;
    this.#idAtLocation = idAtLocation;
    this.#kind = kind;
    this.#gradOf = gradOf;
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
    const id = this.#idAtLocation;
    this.location.post(dy === undefined ? { type: 'backward', id } : { type: 'backward', id, grad: encodeOperand(this, dy, 'backward') });
  }

  /**
   * Makes the remote tensor a leaf that requires a gradient (PyTorch's
   * requires_grad_()), or stops it requiring one. Returns this.
   */
  requireGrad(value = true): this {
    this.assertLive();
    this.location.post({ type: 'require-grad', id: this.#idAtLocation, value });
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
    const command = { type: 'in-place', id: this.#idAtLocation, slot: this.slot, op } as const;
    this.location.post(other === undefined ? command : { ...command, arg: encodeOperand(this, other, `${op}InPlace`) });
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

  /** The worker this pointer points to (the head of a chain). */
  get location(): Location {
    return this.#route[0]!;
  }

  /** The worker that holds the data (the end of a chain; the location itself otherwise). */
  get dataLocation(): Location {
    return this.#route[this.#route.length - 1]!;
  }

  /** @internal The workers from location to data. */
  get route(): readonly Location[] {
    return this.#route;
  }

  /** The worker that owns this pointer: the local worker, 'me'. */
  get owner(): HandleOwner {
    return this.location.owner;
  }

  override get isDisposed(): boolean {
    return super.isDisposed || (this.#gradOf?.isDisposed ?? false);
  }

  /** @internal Whether get() at the end of the chain gives back a tf.Tensor or a SyftTensor. */
  get kind(): TensorKind {
    return this.#kind;
  }

  /** Throws at once if the pointer can no longer be used. */
  override assertLive(): void {
    this.#gradOf?.assertLive();
    super.assertLive(String(this));
  }

  /**
   * Brings the object one hop closer: the tensor itself for a pointer to data
   * (the worker no longer holds it), or, on a chain, the pointer the head held
   * (the head's link is removed). This pointer is spent. Rejects with
   * RemoteError if the op that made the object failed.
   */
  get(): Promise<L> {
    this.assertLive(); // a local mistake throws at once, not in a promise
    const id = this.#idAtLocation;
    if (this.#gradOf !== undefined) {
      // A copy of the gradient; it stays at the worker.
      return this.location.request({ type: 'fetch', id, keep: true, slot: 'grad' }).then((reply) => localTensor(reply, this.#kind) as L);
    }
    const [head, ...rest] = this.#route;
    this.retire('fetched');
    if (rest.length === 0) return head!.request({ type: 'fetch', id, keep: false }).then((reply) => localTensor(reply, this.#kind) as L);
    return head!.request({ type: 'unwrap', id }).then((link) => {
      // The object at the next worker is ours now, not the link's: it must outlive the link's worker.
      rest[0]!.post({ type: 'unlink', ids: [link.idAtLocation] });
      return new PointerTensor(rest[0]!, link.idAtLocation, this.#kind, rest) as L;
    });
  }

  /**
   * Moves the data to `worker`, worker to worker, and updates this pointer to
   * point there directly (PySyft's x.move(alice)). Returns this pointer, typed
   * as what it is now: a pointer to data.
   */
  move(...workers: Location[]): PointerTensor<DataOf<L>> {
    this.assertLive();
    const target = this.target(workers, 'move');
    if (this.#route.length === 1 && target === this.location) return this as PointerTensor<DataOf<L>>;
    const as = this.owner.nextId();
    target.post({ type: 'expect', id: as, from: this.location.address });
    this.location.post({ type: 'move', id: this.#idAtLocation, to: target.address, as });
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
    this.location.post({ type: 'remote-get', id: this.#idAtLocation });
    this.#rebind([this.location], this.#idAtLocation);
    return this as PointerTensor<DataOf<L>>;
  }

  override toString(): string {
    const grad = this.#gradOf === undefined ? '' : '.grad';
    return `(Wrapper)>[PointerTensor | ${this.owner.id}:${this.#id} -> ${this.location.id}:${this.#idAtLocation}${grad}]`;
  }

  [inspect.custom](): string {
    const via = this.#route.length > 1 ? ` (data at ${this.dataLocation.id} via ${this.#route.slice(0, -1).map((w) => w.id).join(' -> ')})` : '';
    return this.toString() + via + (this.state === 'live' ? '' : ` (${this.state})`);
  }

  /** @internal The one worker of a pointer verb (send, move), checked to belong to this pointer's owner. */
  target(workers: readonly unknown[], verb: string): Location {
    if (workers.length !== 1) {
      throw new InvalidArgumentError(`${verb}() on a pointer takes exactly one worker, got ${workers.length}.`);
    }
    const target = workers[0] as Location;
    if (typeof target !== 'object' || target === null || target.owner !== this.owner || typeof target.post !== 'function') {
      throw new InvalidArgumentError(`${verb}() expects a virtual worker of the same hook (from hook.virtualWorker(id)).`);
    }
    return target;
  }

  #rebind(route: readonly Location[], idAtLocation: number): void {
    this.#route = route;
    this.#idAtLocation = idAtLocation;
    this.rebind([{ location: route[0]!, idAtLocation, handleId: this.#id }]);
  }
}

/** A fetched tensor as the kind that was sent: a tf.Tensor, or a SyftTensor with its gradient. */
function localTensor(reply: FetchReply | TensorPayload, kind: TensorKind): LocalTensor {
  const t = payloadToTensor(reply);
  if (kind !== 'syft') return t;
  const { requiresGrad, grad } = reply as FetchReply;
  const local = new SyftTensor(t, { requiresGrad: requiresGrad ?? false });
  if (grad !== undefined) local.grad = new SyftTensor(payloadToTensor(grad));
  return local;
}

/**
 * The operand of an in-place update or backward(dy) on `target`: a number, or
 * a pointer (or gradient view) at the same place. Anything else throws at once.
 */
function encodeOperand(target: PointerTensor<unknown>, operand: unknown, op: string): WireArg {
  if (typeof operand === 'number') return { value: operand };
  if (operand instanceof PointerTensor) {
    operand.assertLive();
    if (operand.location !== target.location || operand.dataLocation !== target.dataLocation) {
      throw notCollocatedRemote(op, target, operand);
    }
    return wireRef(operand);
  }
  if (operand instanceof SyftTensor || operand instanceof tf.Tensor) throw notCollocatedLocal(op, target, operand);
  throw new InvalidArgumentError(`${op}() takes a number or a pointer at ${target.location.id}, got ${typeof operand}.`);
}

/** How a command names a pointer's tensor at its worker. */
export function wireRef(p: PointerTensor<unknown>): WireArg {
  return p.slot === 'grad' ? { grad: p.idAtLocation } : p.idAtLocation;
}

function describeLocal(t: unknown): string {
  const shape = t instanceof SyftTensor ? t.shape : (t as tf.Tensor).shape;
  return `local tensor of shape [${shape.join(', ')}]`;
}

export function notCollocatedLocal(op: string, pointer: PointerTensor<unknown>, local: unknown): TensorsNotCollocatedError {
  return new TensorsNotCollocatedError(
    `You tried to call '${op}' on two tensors where one is located on another machine (a PointerTensor). ` +
      `Call .get() on the PointerTensor or .send(${pointer.location.id}) on the other tensor.\n` +
      `Tensor A: ${String(pointer)}\nTensor B: ${describeLocal(local)}`,
  );
}

/** Where a pointer's data is, as a user reads it: "<VirtualWorker id:bob>" or "… id:bob> (via alice)". */
function whereIs(p: PointerTensor<unknown>): string {
  const hops = p.route.slice(0, -1).map((w) => w.id);
  return `${String(p.dataLocation)}${hops.length > 0 ? ` (via ${hops.join(' -> ')})` : ''}`;
}

export function notCollocatedRemote(op: string, a: PointerTensor<unknown>, b: PointerTensor<unknown>): TensorsNotCollocatedError {
  return new TensorsNotCollocatedError(
    `You tried to call '${op}' on two tensors which are not on the same machine! One tensor is on ` +
      `${whereIs(a)} while the other is on ${whereIs(b)}. Use a combination of ` +
      `.move(), .get(), and/or .send() to co-locate them to the same machine.\n` +
      `Tensor A: ${String(a)}\nTensor B: ${String(b)}`,
  );
}
