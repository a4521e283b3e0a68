/**
 * A syft tensor: a local tf.Tensor with PySyft's and PyTorch's habits: op
 * methods named as in tfjs, dispose/using, and autograd (requiresGrad,
 * backward(), .grad, in-place updates). `send`, `share` and `fixPrecision`
 * are added by the client (src/client/verbs.ts), as on `tf.Tensor`; what was
 * sent decides what get() gives back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { type LocalNode, backwardLocal, bumpVersion, creatorOf, recordLocal } from '../autograd/local-graph.js';
import type { GraphArg } from '../autograd/gradients.js';
import { isRecording } from '../autograd/no-grad.js';
import { replayOp, seedRandomOps } from '../autograd/replay.js';
import { InvalidArgumentError, TensorsNotCollocatedError } from '../core/errors.js';
import { describe } from '../core/op-checks.js';
import { flattenOutputs, OPS, type OpName, shapeOutputs } from '../core/op-registry.js';
import { installOpMethods, registerPlacement } from './op-dispatch.js';
import { checkOp, localOpsChecked } from './op-checking.js';
import type { OpMethods } from './op-methods-type.js';

declare module '@tensorflow/tfjs-core/dist/tensor.js' {
  interface Tensor {
    /** The gradient a worker computed for this tensor, when get() brought one home with it. */
    grad?: Tensor;
  }
}

export interface SyftTensor extends OpMethods<SyftTensor> {}

export class SyftTensor implements LocalNode {
  /**
   * The tf.Tensor underneath (an own enumerable field, so tf.tidy keeps it when
   * a scope returns this). In-place updates replace it.
   */
  readonly tensor: tf.Tensor;
  /** Whether backward() computes a gradient for this tensor (leaves) or through it. */
  requiresGrad: boolean;
  /** The gradient accumulated by backward() (leaves only), like PyTorch's `.grad`. */
  grad: SyftTensor | undefined = undefined;

  constructor(tensor: tf.Tensor, options: { requiresGrad?: boolean } = {}) {
    // A syft tensor passes tfjs's own `instanceof tf.Tensor` (see below): never wrap one in another.
    if (tensor instanceof SyftTensor || !(tensor instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`new SyftTensor(t) expects a tf.Tensor; use sy.tensor(values) for plain values.`);
    }
    this.tensor = tensor;
    this.requiresGrad = options.requiresGrad ?? false;
    if (this.requiresGrad && tensor.dtype !== 'float32') {
      throw new InvalidArgumentError(`Only float32 tensors can require a gradient; this one is ${tensor.dtype}.`);
    }
  }

  /** True unless an op made this tensor from tensors that require a gradient. */
  get isLeaf(): boolean {
    return creatorOf(this) === undefined;
  }

  /**
   * Computes the gradient of this tensor (a scalar, or pass `dy`) with respect
   * to every leaf it depends on that requires one, and adds it to that leaf's
   * `.grad` (gradients accumulate across calls until zeroed).
   */
  backward(dy?: SyftTensor | tf.Tensor): void {
    backwardLocal(this, dy instanceof SyftTensor ? dy.tensor : dy, (g) => new SyftTensor(g));
  }

  /** A copy outside the graph: same values, no gradient history. */
  detach(): SyftTensor {
    return new SyftTensor(tf.keep(this.tensor.clone()));
  }

  /** this += other, in place (PyTorch's add_). Not recorded for backward(). */
  addInPlace(other: unknown): this {
    return this.#inPlace('addInPlace', (t) => tf.add(t, unwrapOperand(other)));
  }

  /** this -= other, in place (PyTorch's sub_), e.g. w.subInPlace(w.grad.mul(lr)). */
  subInPlace(other: unknown): this {
    return this.#inPlace('subInPlace', (t) => tf.sub(t, unwrapOperand(other)));
  }

  /** this *= other, in place. */
  mulInPlace(other: unknown): this {
    return this.#inPlace('mulInPlace', (t) => tf.mul(t, unwrapOperand(other)));
  }

  /** this /= other, in place. */
  divInPlace(other: unknown): this {
    return this.#inPlace('divInPlace', (t) => tf.div(t, unwrapOperand(other)));
  }

  /** Sets every value to 0, in place (PyTorch's zero_), e.g. w.grad.zeroInPlace(). */
  zeroInPlace(): this {
    return this.#inPlace('zeroInPlace', (t) => tf.zerosLike(t));
  }

  /** @internal Replaces the tensor underneath (disposing the old one). */
  replaceTensor(next: tf.Tensor): void {
    const previous = this.tensor;
    (this as { tensor: tf.Tensor }).tensor = next;
    if (previous !== next) previous.dispose();
    bumpVersion(this);
  }

  #inPlace(name: string, update: (t: tf.Tensor) => tf.Tensor): this {
    if (!this.isLeaf) {
      throw new InvalidArgumentError(
        `${name}() on a tensor computed from tensors that require a gradient would corrupt backward(). ` +
          `Update leaves (parameters) in place, or work on x.detach().`,
      );
    }
    // Parameters are updated in place inside training loops' tidy scopes: the new value must outlive them.
    this.replaceTensor(tf.keep(tf.tidy(() => update(this.tensor))));
    return this;
  }

  get shape(): number[] {
    return this.tensor.shape;
  }
  get dtype(): tf.DataType {
    return this.tensor.dtype;
  }
  get rank(): number {
    return this.tensor.rank;
  }
  get size(): number {
    return this.tensor.size;
  }
  get isDisposed(): boolean {
    return this.tensor.isDisposed;
  }

  // tfjs accepts any object as a tensor that has data, dataSync and
  // throwIfDisposed (its Tensor class answers `instanceof` by duck typing, so
  // that copies of tfjs interoperate), then reads only dataId, shape and dtype
  // and keeps, tracks and disposes it through the members below. Delegating
  // them to the tensor underneath lets `tf.add(r, 1)` or `tf.tidy` take a syft
  // tensor as it is; in TypeScript, whose types cannot say so, pass `r.tensor`.
  /** @internal */
  get dataId(): object {
    return this.tensor.dataId;
  }
  /** @internal */
  get id(): number {
    return this.tensor.id;
  }
  /** @internal */
  get strides(): number[] {
    return this.tensor.strides;
  }
  /** @internal */
  get kept(): boolean {
    return this.tensor.kept;
  }
  set kept(value: boolean) {
    this.tensor.kept = value;
  }
  /** @internal */
  get scopeId(): number {
    return this.tensor.scopeId;
  }
  set scopeId(value: number) {
    this.tensor.scopeId = value;
  }
  /** @internal */
  throwIfDisposed(): void {
    this.tensor.throwIfDisposed();
  }

  /** Prints the values, as tf.Tensor's print() does. */
  print(verbose = false): void {
    console.log(this.toString(verbose));
  }
  bytes(): Promise<Uint8Array | Uint8Array[]> {
    return this.tensor.bytes();
  }

  array(): Promise<unknown> {
    return this.tensor.array();
  }
  arraySync(): unknown {
    return this.tensor.arraySync();
  }
  data(): Promise<tf.TypedArray> {
    return this.tensor.data() as Promise<tf.TypedArray>;
  }
  dataSync(): tf.TypedArray {
    return this.tensor.dataSync() as tf.TypedArray;
  }

  /** Disposes the tensor and its gradient. */
  dispose(): void {
    this.tensor.dispose();
    this.grad?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(verbose = false): string {
    return this.tensor.isDisposed ? 'SyftTensor (disposed)' : this.tensor.toString(verbose).replace(/^Tensor/, 'SyftTensor');
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface TensorOptions {
  readonly dtype?: 'float32' | 'int32' | 'bool';
  readonly shape?: number[];
  /** Track operations on it for backward() (PyTorch's requires_grad). */
  readonly requiresGrad?: boolean;
}

/** The other side of an in-place update: a number or a local tensor (a pointer is elsewhere). */
function unwrapOperand(x: unknown): tf.Tensor | number {
  if (x instanceof SyftTensor) return x.tensor;
  if (x instanceof tf.Tensor || typeof x === 'number') return x;
  if (typeof x === 'object' && x !== null && 'idAtLocation' in x) {
    throw new TensorsNotCollocatedError(
      `An in-place update of a local tensor by a PointerTensor: call .get() on the pointer, or .send() the tensor to its worker.`,
    );
  }
  throw new InvalidArgumentError(`In-place updates take a number or a tensor, got ${typeof x}.`);
}

const DTYPES: readonly unknown[] = ['float32', 'int32', 'bool'];

/**
 * What sy.tensor can tell at once about its options (they are plain data, not
 * types, for callers in JavaScript): tfjs would accept a NaN, negative or
 * fractional dim and store a tensor of impossible shape, and a dtype such as
 * 'string' makes a tensor no worker can hold.
 */
function checkTensorOptions(options: TensorOptions): void {
  const { dtype, shape } = options as { dtype?: unknown; shape?: unknown };
  if (dtype !== undefined && !DTYPES.includes(dtype)) {
    throw new InvalidArgumentError(`sy.tensor: dtype ${describe(dtype)} is not one syft tensors have; pass 'float32', 'int32' or 'bool'.`);
  }
  if (shape === undefined) return;
  if (!Array.isArray(shape)) throw new InvalidArgumentError(`sy.tensor: shape ${describe(shape)} is not an array; pass dims such as [2, 3].`);
  shape.forEach((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgumentError(`sy.tensor: shape[${i}] = ${describe(d)} is not a non-negative (safe) integer; pass dims such as [2, 3].`);
    }
  });
  if (!Number.isSafeInteger(shape.reduce((a: number, b: number) => a * b, 1))) {
    throw new InvalidArgumentError(`sy.tensor: shape ${describe(shape)} has more elements than a tensor can hold; pass smaller dims.`);
  }
}

/** `sy.tensor([1, 2, 3])`, like `th.tensor` in PySyft. */
export function tensor(values: tf.TensorLike | tf.Tensor, options: TensorOptions = {}): SyftTensor {
  checkTensorOptions(options);
  const grad = { requiresGrad: options.requiresGrad ?? false };
  if (values instanceof SyftTensor) {
    throw new InvalidArgumentError('sy.tensor(x): x is already a syft tensor; use x.clone() for a copy.');
  }
  if (values instanceof tf.Tensor) {
    return new SyftTensor(options.dtype === undefined ? values.clone() : tf.cast(values, options.dtype), grad);
  }
  if (Array.isArray(values)) assertRectangular(values, []);
  let made: tf.Tensor;
  try {
    made = tf.tensor(values, options.shape, options.dtype);
  } catch (error) {
    // tfjs's own refusals (values that do not fill the shape, non-numbers) are the caller's argument errors.
    throw new InvalidArgumentError(`sy.tensor: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!DTYPES.includes(made.dtype)) {
    made.dispose();
    throw new InvalidArgumentError(`sy.tensor: the values make a ${made.dtype} tensor; pass numbers or booleans.`);
  }
  return new SyftTensor(made, grad);
}

/** tfjs reads the shape of nested arrays from their first elements, and silently mis-shapes ragged ones. */
function assertRectangular(values: readonly unknown[], at: number[]): void {
  const nested = Array.isArray(values[0]);
  const length = nested ? (values[0] as unknown[]).length : 0;
  values.forEach((v, i) => {
    if (Array.isArray(v) !== nested || (nested && (v as unknown[]).length !== length)) {
      const where = `values${[...at, i].map((k) => `[${k}]`).join('')}`;
      throw new InvalidArgumentError(`sy.tensor: ${where} does not match values${[...at, 0].map((k) => `[${k}]`).join('')} (ragged nesting); pass arrays of equal lengths at each level.`);
    }
    if (nested) assertRectangular(v as unknown[], [...at, i]);
  });
}

/**
 * Ops on syft tensors run here, on tfjs, and are recorded for backward() when
 * an input requires a gradient. Ops that draw random numbers get a seed, so
 * that backward() replays them exactly; replayOp runs matMul's gradient with
 * explicit transposes (fast on wasm) when tf.grads runs through it.
 */
function callLocal(name: OpName, _spec: unknown, args: readonly unknown[]): unknown {
  const recording = isRecording() && args.some(requiresGradIn);
  const used = recording ? seedRandomOps(name, args, (v) => v) : args;
  const unwrapped = used.map(unwrap);
  if (localOpsChecked()) checkOp(name, unwrapped);
  const outputs = flattenOutputs<tf.Tensor>(OPS[name], replayOp(name, unwrapped)).map((t) => new SyftTensor(t));
  if (recording) recordLocal(name, used.map(toGraphArg), outputs);
  return shapeOutputs(OPS[name], outputs);
}

function requiresGradIn(arg: unknown): boolean {
  if (arg instanceof SyftTensor) return arg.requiresGrad;
  return Array.isArray(arg) && arg.some(requiresGradIn);
}

function toGraphArg(arg: unknown): GraphArg<SyftTensor> {
  if (arg instanceof SyftTensor) return { node: arg };
  if (Array.isArray(arg) && arg.some((a) => a instanceof SyftTensor)) return { list: arg.map(toGraphArg) };
  return { value: arg };
}

function unwrap(arg: unknown): unknown {
  if (arg instanceof SyftTensor) return arg.tensor;
  if (Array.isArray(arg) && arg.some((a) => a instanceof SyftTensor)) return arg.map(unwrap);
  return arg;
}

registerPlacement({ rank: 10, claims: (arg) => arg instanceof SyftTensor, call: callLocal });
installOpMethods(SyftTensor.prototype);
