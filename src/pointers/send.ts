/** The one path by which a local tensor leaves for a worker. */
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import { MultiPointerTensor } from './multi-pointer-tensor.js';
import type { PointerTensor, TensorKind } from './pointer-tensor.js';

/** Anything a tensor can be sent to (a virtual worker). */
export interface SendTarget {
  readonly id: string;
  storeTensor(tensor: tf.Tensor, kind: TensorKind, requiresGrad?: boolean): PointerTensor;
}

/** The last argument of send(): `x.send(bob, { requiresGrad: true })`. */
export interface SendOptions {
  /** The copy at the worker is a leaf whose gradient backward() computes there. */
  readonly requiresGrad?: boolean;
}

function isSendOptions(value: unknown): value is SendOptions {
  return typeof value === 'object' && value !== null && !isSendTarget(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function isSendTarget(value: unknown): value is SendTarget {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SendTarget).storeTensor === 'function' &&
    typeof (value as SendTarget).id === 'string'
  );
}

/** One worker: a pointer. Several: a MultiPointerTensor with a copy at each. */
export function sendTensor(
  tensor: tf.Tensor,
  kind: TensorKind,
  requiresGrad: boolean,
  ...args: unknown[]
): PointerTensor | MultiPointerTensor {
  const options = isSendOptions(args[args.length - 1]) ? (args.pop() as SendOptions) : {};
  const workers = args;
  const grad = options.requiresGrad ?? requiresGrad;
  if (grad && tensor.dtype !== 'float32') {
    throw new InvalidArgumentError(`send(): only float32 tensors can require a gradient; this one is ${tensor.dtype}.`);
  }
  if (workers.length === 0) {
    throw new InvalidArgumentError('send() needs a worker: x.send(bob), with bob = await hook.virtualWorker("bob").');
  }
  for (const worker of workers) {
    if (!isSendTarget(worker)) {
      throw new InvalidArgumentError(`send() expects virtual workers (from hook.virtualWorker(id)), got ${describe(worker)}.`);
    }
  }
  if (new Set(workers).size !== workers.length) throw new InvalidArgumentError('send(): the same worker is named twice.');
  if (tensor.isDisposed) throw new InvalidArgumentError('send(): the tensor is disposed; create it again before sending.');
  const pointers = (workers as SendTarget[]).map((w) => w.storeTensor(tensor, kind, grad));
  return pointers.length === 1 ? pointers[0]! : new MultiPointerTensor(pointers);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string '${value}' (pass the worker object, not its id)`;
  return value === null ? 'null' : typeof value;
}
