/**
 * A syft tensor: a local tf.Tensor with PySyft's and PyTorch's habits: send,
 * op methods named as in tfjs, dispose/using, and autograd (requiresGrad,
 * backward(), .grad, in-place updates). `tf.Tensor` gets `.send()` too after
 * `sy.hook(tf)`; what was sent decides what get() gives back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { InvalidArgumentError, TensorsNotCollocatedError } from '../core/errors.js';
import type { MultiPointerTensor } from '../pointers/multi-pointer-tensor.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import { type SendOptions, sendTensor, type SendTarget } from '../pointers/send.js';
import { backwardLocal, bumpVersion, creatorOf } from '../autograd/local-graph.js';
import type { OpMethods } from './op-methods-type.js';
import type { VirtualWorker } from '../client/virtual-worker.js';
import { type AdditiveSharingTensor, type ShareOptions, shareIntegerTensor } from '../smpc/additive-sharing-tensor.js';
import type { FixedPrecisionOptions } from '../core/ring/fixed-precision.js';
import { FixedPrecisionTensor } from '../smpc/fixed-precision-tensor.js';

export interface SyftTensor extends OpMethods<SyftTensor> {}

export class SyftTensor {
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
    if (!(tensor instanceof tf.Tensor)) {
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

  /**
   * Sends a copy to `worker` and returns a pointer to it; to several workers, a
   * MultiPointerTensor. This tensor stays usable.
   */
  send(worker: SendTarget, options?: SendOptions): PointerTensor<SyftTensor>;
  send(first: SendTarget, second: SendTarget, ...more: (SendTarget | SendOptions)[]): MultiPointerTensor<SyftTensor>;
  send(...args: (SendTarget | SendOptions | undefined)[]): PointerTensor<SyftTensor> | MultiPointerTensor<SyftTensor> {
    const given = args.filter((a) => a !== undefined);
    return sendTensor(this.tensor, 'syft', this.requiresGrad, ...given) as PointerTensor<SyftTensor> | MultiPointerTensor<SyftTensor>;
  }

  /** Encodes the values in fixed point over Z_2^64 (PySyft's fix_precision(); 16 fractional bits by default). */
  fixPrecision(options?: FixedPrecisionOptions): FixedPrecisionTensor {
    return FixedPrecisionTensor.encode(this.tensor, options);
  }

  /** Secret-shares an integer tensor among workers; real values go through fixPrecision() first. */
  share(...args: (VirtualWorker | ShareOptions)[]): AdditiveSharingTensor {
    return shareIntegerTensor(this.tensor, args);
  }

  /** Disposes the tensor and its gradient. */
  dispose(): void {
    this.tensor.dispose();
    this.grad?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return this.tensor.isDisposed ? 'SyftTensor (disposed)' : this.tensor.toString().replace(/^Tensor/, 'SyftTensor');
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

/** `sy.tensor([1, 2, 3])`, like `th.tensor` in PySyft. */
export function tensor(values: tf.TensorLike | tf.Tensor, options: TensorOptions = {}): SyftTensor {
  const grad = { requiresGrad: options.requiresGrad ?? false };
  if (values instanceof tf.Tensor) {
    return new SyftTensor(options.dtype === undefined ? values.clone() : tf.cast(values, options.dtype), grad);
  }
  if (values instanceof SyftTensor) {
    throw new InvalidArgumentError('sy.tensor(x): x is already a syft tensor; use x.clone() for a copy.');
  }
  return new SyftTensor(tf.tensor(values, options.shape, options.dtype), grad);
}
