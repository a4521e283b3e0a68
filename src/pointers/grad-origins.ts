/**
 * Gradients that flow back to where a tensor came from. PySyft's
 * `x.send(bob, requires_grad=True)` promised that whenever the remote copy's
 * gradient changes (a backward() at bob), the local tensor's `.grad` is set
 * to it. Here the caller keeps, for each pointer sent that way, a weak link
 * to the local tensor it came from; after a backward() at a worker it copies
 * the gradients of the linked pointers there home. The copy is a read, so it
 * is asynchronous: `await loss.backward()` returns once every origin's
 * `.grad` holds the gradient at the worker.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Location } from '../core/handles.js';
import type { FetchReply } from '../core/protocol.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { payloadToTensor } from '../transport/tensor-payload.js';

/** What a linked pointer must offer: where it is now, how to read its gradient there, whether it still lives. */
export interface GradLinked {
  readonly location: Location;
  readonly idAtLocation: number;
  readonly isDisposed: boolean;
}

interface Link {
  readonly pointer: WeakRef<GradLinked>;
  readonly origin: WeakRef<SyftTensor>;
}

// Weak both ways: a link never keeps a pointer (whose collection deletes the remote copy) or a local tensor alive.
const links = new Set<Link>();

export function linkGradOrigin(pointer: GradLinked, origin: SyftTensor): void {
  links.add({ pointer: new WeakRef(pointer), origin: new WeakRef(origin) });
}

/**
 * After a backward() at `location`, sets each linked origin's `.grad` to a copy
 * of its pointer's gradient there. Never rejects: a failed backward() surfaces
 * at the next read of what it touched, as every pipelined command's failure does.
 */
export function syncGradOrigins(location: Location): Promise<void> {
  const reads: Promise<void>[] = [];
  for (const link of links) {
    const pointer = link.pointer.deref();
    const origin = link.origin.deref();
    if (pointer === undefined || origin === undefined || pointer.isDisposed || origin.isDisposed) {
      links.delete(link);
      continue;
    }
    if (pointer.location !== location) continue;
    reads.push(
      location.request({ type: 'fetch', id: pointer.idAtLocation, keep: true, slot: 'grad' }).then(
        (reply) => setGrad(origin, reply),
        () => undefined,
      ),
    );
  }
  return Promise.all(reads).then(() => undefined);
}

function setGrad(origin: SyftTensor, reply: FetchReply): void {
  if (origin.isDisposed) return;
  const grad: tf.Tensor = payloadToTensor(reply);
  if (grad.dtype !== 'float32' || grad.shape.length !== origin.shape.length || grad.shape.some((d, i) => d !== origin.shape[i])) {
    // The remote copy was reshaped in place or replaced: it is no longer this tensor's gradient.
    grad.dispose();
    return;
  }
  origin.grad?.dispose();
  origin.grad = new SyftTensor(grad);
}
