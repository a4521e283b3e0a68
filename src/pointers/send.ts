/**
 * The two ways a tensor reaches a worker: a local tensor is copied there
 * (`x.send(bob)`), and a pointer is handed on to form a chain
 * (`x.send(bob).send(alice)`). The client installs both as `send`
 * (src/client/verbs.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { tensorToPayload, transferablesOf } from '../transport/tensor-payload.js';
import { linkGradOrigin } from './grad-origins.js';
import { MultiPointerTensor } from './multi-pointer-tensor.js';
// Every pointer is born here or from an op on another pointer: install the op methods first.
import './pointer-ops.js';
import { PointerTensor, type TensorKind } from './pointer-tensor.js';

/** The last argument of send(): `x.send(bob, { requiresGrad: true })`. */
export interface SendOptions {
  /** The copy at the worker is a leaf whose gradient backward() computes there. */
  readonly requiresGrad?: boolean;
}

/** Anything a tensor can be sent to: a virtual worker (or a worker reached over a network). */
export type SendTarget = Location;

function isSendOptions(value: unknown): value is SendOptions {
  return typeof value === 'object' && value !== null && !isLocation(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** One worker: a pointer. Several: a MultiPointerTensor with a copy at each. */
export function sendTensor(
  tensor: tf.Tensor,
  kind: TensorKind,
  requiresGrad: boolean,
  args: readonly unknown[],
  origin?: SyftTensor,
): PointerTensor | MultiPointerTensor {
  const given = args.filter((a) => a !== undefined);
  const options = isSendOptions(given[given.length - 1]) ? (given.pop() as SendOptions) : {};
  const workers = given;
  const grad = options.requiresGrad ?? requiresGrad;
  if (grad && tensor.dtype !== 'float32') {
    throw new InvalidArgumentError(`send(): only float32 tensors can require a gradient; this one is ${tensor.dtype}.`);
  }
  if (workers.length === 0) {
    throw new InvalidArgumentError('send() needs a worker: x.send(bob), with bob = await hook.virtualWorker("bob").');
  }
  for (const worker of workers) {
    if (!isLocation(worker)) {
      throw new InvalidArgumentError(`send() expects virtual workers (from hook.virtualWorker(id)), got ${describe(worker)}.`);
    }
  }
  if (new Set(workers).size !== workers.length) throw new InvalidArgumentError('send(): the same worker is named twice.');
  if (tensor.isDisposed) throw new InvalidArgumentError('send(): the tensor is disposed; create it again before sending.');
  // The gradient a tensor already has travels with it (PyTorch keeps .grad across .to() and PySyft across send):
  // a syft tensor's, or the one get() attached to a tf.Tensor.
  const gradient = origin?.grad?.tensor ?? (tensor as { grad?: unknown }).grad;
  const carried = gradient instanceof tf.Tensor && !gradient.isDisposed ? gradient : undefined;
  const pointers = (workers as Location[]).map((w) => {
    const payload = tensorToPayload(tensor);
    const gradPayload = carried === undefined ? undefined : tensorToPayload(carried);
    const id = w.owner.nextId();
    w.post(
      {
        type: 'store',
        id,
        tensor: payload,
        ...(grad ? { requiresGrad: true } : {}),
        ...(gradPayload === undefined ? {} : { grad: gradPayload }),
      },
      [...transferablesOf(payload), ...(gradPayload === undefined ? [] : transferablesOf(gradPayload))],
    );
    const pointer = new PointerTensor(w, id, kind, [w], { shape: payload.shape, dtype: payload.dtype });
    pointer.setGradState(grad, false);
    // Asked for explicitly (send(bob, { requiresGrad: true })), backward() at the worker sets the origin's .grad.
    if (options.requiresGrad === true && origin !== undefined) linkGradOrigin(pointer, origin, carried);
    return pointer;
  });
  return pointers.length === 1 ? pointers[0]! : new MultiPointerTensor(pointers);
}

/**
 * Sends a pointer on: `x.send(bob).send(alice)` leaves the data at bob and
 * gives alice a pointer to it; the result points to alice's pointer. The
 * pointer sent is spent (the chain owns bob's object now).
 */
export function sendPointer<L>(pointer: PointerTensor<L>, workers: readonly unknown[]): PointerTensor<PointerTensor<L>> {
  pointer.assertLive();
  const target = pointer.target(workers, 'send');
  if (target === pointer.location) {
    throw new InvalidArgumentError(`${String(pointer)} already points to ${String(target)}: send it to another worker.`);
  }
  const as = pointer.owner.nextId();
  target.post({ type: 'expect', id: as, from: pointer.location.address });
  pointer.location.post({ type: 'send-pointer', id: pointer.idAtLocation, to: target.address, as });
  pointer.retire('sent');
  const chained = new PointerTensor<PointerTensor<L>>(target, as, pointer.kind, [target, ...pointer.route], pointer.meta);
  const requiresGrad = pointer.requiresGrad;
  if (requiresGrad !== undefined) chained.setGradState(requiresGrad, false);
  return chained;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string '${value}' (pass the worker object, not its id)`;
  return value === null ? 'null' : typeof value;
}
