/**
 * A syft tensor: a local tf.Tensor with PySyft's habits (send, op methods named
 * as in tfjs, dispose/using). Autograd state joins it with the autograd issue.
 * `tf.Tensor` gets `.send()` too after `sy.hook(tf)`; what was sent decides
 * what get() gives back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { InvalidArgumentError } from '../errors.js';
import type { MultiPointerTensor } from '../pointers/multi-pointer-tensor.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import { sendTensor, type SendTarget } from '../pointers/send.js';
import type { OpMethods } from './op-methods-type.js';

export interface SyftTensor extends OpMethods<SyftTensor> {}

export class SyftTensor {
  /** The tf.Tensor underneath (enumerable, so tf.tidy keeps it when a scope returns this). */
  readonly tensor: tf.Tensor;

  constructor(tensor: tf.Tensor) {
    if (!(tensor instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`new SyftTensor(t) expects a tf.Tensor; use sy.tensor(values) for plain values.`);
    }
    this.tensor = tensor;
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
  send(worker: SendTarget): PointerTensor<SyftTensor>;
  send(first: SendTarget, second: SendTarget, ...more: SendTarget[]): MultiPointerTensor<SyftTensor>;
  send(...workers: SendTarget[]): PointerTensor<SyftTensor> | MultiPointerTensor<SyftTensor> {
    return sendTensor(this.tensor, 'syft', ...workers) as PointerTensor<SyftTensor> | MultiPointerTensor<SyftTensor>;
  }

  dispose(): void {
    this.tensor.dispose();
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
}

/** `sy.tensor([1, 2, 3])`, like `th.tensor` in PySyft. */
export function tensor(values: tf.TensorLike | tf.Tensor, options: TensorOptions = {}): SyftTensor {
  if (values instanceof tf.Tensor) {
    return new SyftTensor(options.dtype === undefined ? values.clone() : tf.cast(values, options.dtype));
  }
  if (values instanceof SyftTensor) {
    throw new InvalidArgumentError('sy.tensor(x): x is already a syft tensor; use x.clone() for a copy.');
  }
  return new SyftTensor(tf.tensor(values, options.shape, options.dtype));
}
