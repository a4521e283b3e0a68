/** The one path by which a local tensor leaves for a worker. */
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import type { PointerTensor, TensorKind } from './pointer-tensor.js';

/** Anything a tensor can be sent to (a virtual worker). */
export interface SendTarget {
  readonly id: string;
  storeTensor(tensor: tf.Tensor, kind: TensorKind): PointerTensor;
}

function isSendTarget(value: unknown): value is SendTarget {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SendTarget).storeTensor === 'function' &&
    typeof (value as SendTarget).id === 'string'
  );
}

export function sendTensor(tensor: tf.Tensor, kind: TensorKind, ...workers: unknown[]): PointerTensor {
  if (workers.length !== 1) {
    throw new InvalidArgumentError(
      workers.length === 0
        ? 'send() needs a worker: x.send(bob), with bob = await hook.virtualWorker("bob").'
        : 'send() to several workers at once (a MultiPointerTensor) is not supported yet: send to one worker.',
    );
  }
  const worker = workers[0];
  if (!isSendTarget(worker)) {
    throw new InvalidArgumentError(
      `send() expects a virtual worker (from hook.virtualWorker(id)), got ${describe(worker)}.`,
    );
  }
  if (tensor.isDisposed) throw new InvalidArgumentError('send(): the tensor is disposed; create it again before sending.');
  return worker.storeTensor(tensor, kind);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string '${value}' (pass the worker object, not its id)`;
  return value === null ? 'null' : typeof value;
}
