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
 *
 * A pointer knows its tensor's shape and dtype without asking the worker:
 * send() records the sent tensor's, and an op's result pointers get the ones
 * the registry's output rules infer from the inputs' (src/pointers/pointer-ops.ts).
 * Only a pointer made where that was impossible has them undefined;
 * `await p.shapeAsync()` then asks the worker once and remembers the answer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { InvalidArgumentError, isSyftError, TensorsNotCollocatedError } from '../core/errors.js';
import { type HandleOwner, isLocation, type Location } from '../core/handles.js';
import { type DType, inferOpOutputs, SHAPE_ONLY_ENV, ShapeOnly } from '../core/op-checks.js';
import { OPS } from '../core/op-registry.js';
import type { FetchReply, InPlaceOp, ObjectSummary, Slot, TensorPayload, WireArg } from '../core/protocol.js';
import type { OpMethods } from '../tensor/op-methods-type.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { payloadToTensor, tensorToPayload, transferablesOf } from '../transport/tensor-payload.js';
import { gradZeroed, linkRemoteGradOrigin, syncGradOrigins } from './grad-origins.js';
import { RemoteHandle } from './remote-handle.js';

/** What a pointer knows of its tensor without asking the worker. */
/** A copy of the known shape (callers may change what they get), or undefined. */
export function shapeOf(meta: TensorMeta | undefined): number[] | undefined {
  return meta === undefined ? undefined : [...meta.shape];
}

/** The number of elements of a known shape, or undefined. */
export function sizeOf(meta: TensorMeta | undefined): number | undefined {
  return meta === undefined ? undefined : meta.shape.reduce((a, b) => a * b, 1);
}

export interface TensorMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

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
  /** The tensor's shape and dtype, when known at the caller (frozen: shared with views and chains). */
  #meta: TensorMeta | undefined;
  /** What the caller knows of its autograd state: undefined for a pointer it cannot tell (from a chain's get()). */
  #grad: { readonly requiresGrad: boolean; readonly computed: boolean } | undefined;

  /**
   * @internal Pointers are made by send() and by ops, never by users. `meta`:
   * the tensor's shape and dtype, when the caller knows them.
   */
  constructor(
    location: Location,
    idAtLocation: number,
    kind: TensorKind,
    route: readonly Location[] = [location],
    meta?: TensorMeta,
    gradOf?: PointerTensor<L>,
  ) {
    const id = location.owner.nextId();
    // A gradient view owns nothing: the gradient goes with its tensor.
    super(gradOf === undefined ? [{ location, idAtLocation, handleId: id }] : []);
    this.#id = id;
    this.#route = route;
    this.#idAtLocation = idAtLocation;
    this.#kind = kind;
    this.#gradOf = gradOf;
    this.#meta = meta === undefined ? undefined : freezeMeta(meta);
  }

  /** @internal What the caller knows of the tensor's shape and dtype; undefined when nothing. */
  get meta(): TensorMeta | undefined {
    if (this.#gradOf !== undefined) {
      // A gradient is shaped like its tensor, and only float32 tensors have one.
      const of = this.#gradOf.meta;
      return of === undefined ? undefined : { shape: of.shape, dtype: 'float32' };
    }
    return this.#meta;
  }

  /**
   * The tensor's shape (PySyft's ptr.shape), known here without a round trip;
   * undefined only for a pointer whose shape could not be inferred: then
   * `await ptr.shapeAsync()` asks the worker.
   */
  get shape(): number[] | undefined {
    return shapeOf(this.meta);
  }

  /** The tensor's dtype ('float32', 'int32' or 'bool'), known here; undefined as for shape. */
  get dtype(): DType | undefined {
    return this.meta?.dtype;
  }

  /** The number of dimensions (PySyft's ptr.dim(), tfjs's rank); undefined as for shape. */
  get rank(): number | undefined {
    return this.meta?.shape.length;
  }

  /** The number of elements; undefined as for shape. */
  get size(): number | undefined {
    return sizeOf(this.meta);
  }

  /**
   * The shape, asking the worker only when it is not known here (an answer
   * is remembered). Rejects with RemoteError if the op that made the tensor
   * failed, as get() would.
   */
  async shapeAsync(): Promise<number[]> {
    return [...(await this.#learnMeta()).shape];
  }

  /** The dtype, asking the worker only when it is not known here (see shapeAsync). */
  async dtypeAsync(): Promise<DType> {
    return (await this.#learnMeta()).dtype;
  }

  async #learnMeta(): Promise<TensorMeta> {
    this.assertLive();
    const known = this.meta;
    if (known !== undefined) return known;
    if (this.#gradOf !== undefined) {
      await this.#gradOf.shapeAsync();
      return this.meta!;
    }
    const learned = await askMeta(this.#route, this.#idAtLocation);
    // The pointer may have moved meanwhile; what it points to is the same tensor.
    this.#meta ??= freezeMeta(learned);
    return this.#meta;
  }

  /**
   * The pointers to ptr[0], ptr[1], ... along the first axis (PySyft's
   * `for row in ptr`): each is sliced out at the worker, pipelined, and owns
   * its row. Needs a known shape of rank 1 or more.
   */
  *[Symbol.iterator](): Iterator<PointerTensor<L>> {
    const n = this.#firstAxis('iterate over');
    for (let i = 0; i < n; i++) yield this.#row(i);
  }

  #firstAxis(verb: string): number {
    return this.#knownShape(verb)[0]!;
  }

  #knownShape(verb: string): readonly number[] {
    this.assertLive();
    const meta = this.meta;
    if (meta === undefined) {
      throw new InvalidArgumentError(
        `Cannot ${verb} ${String(this)}: its shape is not known here. Call \`await ptr.shapeAsync()\` first (it asks the worker once).`,
      );
    }
    if (meta.shape.length === 0) {
      throw new InvalidArgumentError(`Cannot ${verb} ${String(this)}: it points to a scalar (rank 0), which has no axis; reshape it first.`);
    }
    return meta.shape;
  }

  #row(i: number): PointerTensor<L> {
    return this.#slab(this.meta!.shape, 0, i);
  }

  /** Index `i` along `axis`, that axis removed. */
  #slab(shape: readonly number[], axis: number, i: number): PointerTensor<L> {
    const begin = shape.map((_, k) => (k === axis ? i : 0));
    const size = shape.map((d, k) => (k === axis ? 1 : d));
    const slab = this.slice(begin, size);
    const row = slab.reshape(shape.filter((_, k) => k !== axis));
    // The slab is only a step: the worker deletes it once the reshape ran.
    slab.dispose();
    return row;
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
    this.#gradView ??= new PointerTensor<L>(this.location, this.#idAtLocation, this.#kind, this.#route, undefined, this);
    return this.#gradView;
  }

  /**
   * Accumulates the gradient of this (scalar) tensor, or of `dy`, into every
   * leaf it depends on, at the worker that holds the data. Pipelined: failures
   * surface at the next read (e.g. `await w.grad.get()`).
   */
  backward(dy?: PointerTensor<LocalTensor>): Promise<void> {
    this.assertLive();
    const id = this.#idAtLocation;
    this.location.post(dy === undefined ? { type: 'backward', id } : { type: 'backward', id, grad: encodeOperand(this, dy, 'backward') });
    // Tensors sent with { requiresGrad: true } learn their gradients; awaiting is needed only to read them.
    return syncGradOrigins(this.location);
  }

  /**
   * Whether backward() computes a gradient for (or through) the remote tensor
   * (PyTorch's requires_grad), as the caller knows it: from send(), from
   * requireGrad() and from the ops that made it. undefined when it cannot tell.
   */
  get requiresGrad(): boolean | undefined {
    return this.#gradOf === undefined ? this.#grad?.requiresGrad : false;
  }

  /** @internal Set by send() and by ops: whether it requires a gradient, and whether an op recorded for backward() made it. */
  setGradState(requiresGrad: boolean, computed: boolean): void {
    this.#grad = { requiresGrad, computed };
  }

  /**
   * Makes the remote tensor a leaf that requires a gradient (PyTorch's
   * requires_grad_()), or stops it requiring one. Returns this.
   */
  requireGrad(value = true): this {
    this.assertLive();
    this.location.post({ type: 'require-grad', id: this.#idAtLocation, value });
    this.#grad = { requiresGrad: value, computed: false };
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
    if (this.#gradOf === undefined && this.#grad?.computed === true) {
      // The worker would refuse it too, but a refused in-place update has no result to carry the failure: say it here.
      throw new InvalidArgumentError(
        `${op}InPlace() on a tensor computed from tensors that require a gradient would corrupt backward(). ` +
          `Update leaves (parameters) in place, or work on a copy made under sy.noGrad().`,
      );
    }
    const command = { type: 'in-place', id: this.#idAtLocation, slot: this.slot, op } as const;
    this.location.post(other === undefined ? command : { ...command, arg: encodeOperand(this, other, `${op}InPlace`) });
    if (op !== 'zero' && this.#gradOf === undefined) this.#meta = inPlaceMeta(op, this.#meta, other);
    if (op === 'zero' && this.#gradOf !== undefined) gradZeroed(this.#gradOf);
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
    super.assertLive();
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
    if (rest.length === 0) {
      return head!.request({ type: 'fetch', id, keep: false }).then(
        (reply) => localTensor(reply, this.#kind) as L,
        (error: unknown) => {
          // Refused by the worker's privacy policy, the object stayed: the pointer must still reach it (to release it, or to query it with DP).
          // A link that dropped may have lost the fetch before it ran: the pointer stays, and a retry either brings the tensor or
          // fails with OBJECT_NOT_FOUND (the fetch did run, and its reply was lost).
          if (isSyftError(error) && (error.code === 'PRIVACY_POLICY' || error.code === 'WORKER_DISCONNECTED')) this.revive();
          throw error;
        },
      );
    }
    return head!.request({ type: 'unwrap', id }).then((link) => {
      // The object at the next worker is ours now, not the link's: it must outlive the link's worker.
      rest[0]!.post({ type: 'unlink', ids: [link.idAtLocation] });
      return new PointerTensor(rest[0]!, link.idAtLocation, this.#kind, rest, this.#meta) as L;
    });
  }

  /**
   * Moves the data to `worker`, worker to worker, and updates this pointer to
   * point there directly (PySyft's x.move(alice)). Returns this pointer, typed
   * as what it is now: a pointer to data.
   */
  move(worker: Location, options: { readonly requiresGrad?: boolean } = {}): PointerTensor<DataOf<L>> {
    this.assertLive();
    const [target, more] = [this.target([worker], 'move'), options as unknown];
    if (typeof more !== 'object' || more === null || isLocation(more)) {
      throw new InvalidArgumentError('move() on a pointer takes exactly one worker, and optionally { requiresGrad }.');
    }
    if (this.#route.length === 1 && target === this.location) {
      if (options.requiresGrad === true && this.#grad?.computed !== true) this.requireGrad(true);
      return this as PointerTensor<DataOf<L>>;
    }
    // PySyft's move(..., requires_grad=True) of a computed tensor: its history stays where it was (a clone holds
    // it there), and the gradient the moved copy gets is passed back into it (src/pointers/grad-origins.ts).
    const origin = options.requiresGrad === true && this.#grad?.computed === true ? (this.clone() as PointerTensor) : undefined;
    const as = this.owner.nextId();
    target.post({ type: 'expect', id: as, from: this.location.address });
    this.location.post({ type: 'move', id: this.#idAtLocation, to: target.address, as });
    this.#rebind([target], as);
    // The copy where it lands is a leaf whose gradient backward() computes.
    if (options.requiresGrad === true) this.requireGrad(true);
    if (origin !== undefined) linkRemoteGradOrigin(this, origin, sendGradient);
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
    const meta = this.meta;
    const shape = meta === undefined ? '' : ` shape [${meta.shape.join(', ')}] ${meta.dtype}`;
    return `(Wrapper)>[PointerTensor | ${this.owner.id}:${this.#id} -> ${this.location.id}:${this.#idAtLocation}${grad}]${shape}`;
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

/**
 * After `x.<op>InPlace(other)`: the worker keeps the shape (it refuses a
 * broadcast) and runs the op through the registry, so the dtype is the op's
 * rule on both operands (an int32 tensor plus a number becomes float32).
 * Unknown when either side's dtype is; a call the worker will refuse leaves
 * the metadata as it is (the failure surfaces at the next read).
 */
function inPlaceMeta(op: 'add' | 'sub' | 'mul' | 'div', meta: TensorMeta | undefined, other: unknown): TensorMeta | undefined {
  if (meta === undefined) return undefined;
  let operand: unknown = other;
  if (other instanceof PointerTensor) {
    const known = other.meta;
    if (known === undefined) return undefined;
    operand = new ShapeOnly(known.shape, known.dtype);
  }
  try {
    const { dtypes } = inferOpOutputs(op, OPS[op], [new ShapeOnly(meta.shape, meta.dtype), operand], SHAPE_ONLY_ENV);
    return dtypes[0] === meta.dtype ? meta : freezeMeta({ shape: meta.shape, dtype: dtypes[0]! });
  } catch (error) {
    if (error instanceof InvalidArgumentError) return meta;
    throw error;
  }
}

function freezeMeta(meta: TensorMeta): TensorMeta {
  return Object.freeze({ shape: Object.freeze([...meta.shape]), dtype: meta.dtype });
}

/**
 * Asks the workers along `route` what the object `id` at its head is: each
 * hop's objects() names the next hop's id, the last one its shape and dtype.
 * An object not listed (still on its way, or replaced by a failure) is read
 * once in full, which waits for it and rejects with the failure's RemoteError.
 */
async function askMeta(route: readonly Location[], id: number): Promise<TensorMeta> {
  let at = id;
  for (let hop = 0; hop < route.length; hop++) {
    const here = route[hop]!;
    const objects: readonly ObjectSummary[] = await here.request({ type: 'objects' });
    const entry = objects.find((o) => o.id === at);
    if (entry?.kind === 'tensor') return { shape: entry.shape, dtype: entry.dtype as DType };
    if (entry?.kind === 'pointer' && hop + 1 < route.length) {
      at = entry.idAtLocation;
      continue;
    }
    if (entry === undefined && hop === route.length - 1) {
      const reply = await here.request({ type: 'fetch', id: at, keep: true });
      return { shape: reply.shape, dtype: reply.dtype };
    }
    break;
  }
  throw new InvalidArgumentError(`Cannot learn the shape of object ${id} at ${route[0]!.id}: it is not a tensor (a share, or a link off its route).`);
}

/** A gradient the caller passes on to `to`, for a computed tensor's backward(dy) there. */
function sendGradient(grad: tf.Tensor, to: Location): PointerTensor {
  const payload = tensorToPayload(grad);
  const id = to.owner.nextId();
  to.post({ type: 'store', id, tensor: payload }, transferablesOf(payload));
  return new PointerTensor(to, id, 'syft', [to], { shape: payload.shape, dtype: payload.dtype });
}

/** A fetched tensor as the kind that was sent: a tf.Tensor, or a SyftTensor with its gradient. */
function localTensor(reply: FetchReply | TensorPayload, kind: TensorKind): LocalTensor {
  const t = payloadToTensor(reply);
  const { requiresGrad, grad } = reply as FetchReply;
  if (kind !== 'syft') {
    // A tf.Tensor comes home as one, its gradient beside it as PyTorch's x.grad.
    if (grad !== undefined) t.grad = payloadToTensor(grad);
    return t;
  }
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
