/**
 * Gradients that flow back to where a tensor came from. PySyft's
 * `y.send(alice, requires_grad=True)` and `z.move(bob, requires_grad=True)`
 * promised that when the copy's gradient changes (a backward() where it is),
 * the origin learns it: a leaf's `.grad` is set to it, and a computed tensor
 * passes it on through its own history (so `x.grad` fills in for
 * `y = x.add(x)`, across any number of sends and moves).
 *
 * The caller keeps, for each copy made that way, a link to its origin: a
 * local syft tensor, or a pointer to the computed tensor at the worker it left
 * (PointerTensor.move keeps one there). After a backward() at a worker it
 * reads the gradients of the linked copies there; a leaf origin mirrors it, a
 * computed one runs backward() with what was added since the last read. The
 * reads are asynchronous: `await loss.backward()` returns once every origin
 * has its gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Location } from '../core/handles.js';
import type { FetchReply } from '../core/protocol.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { payloadToTensor } from '../transport/tensor-payload.js';

/** What a linked copy must offer: where it is now, which object, whether it still lives. */
export interface GradLinked {
  readonly location: Location;
  readonly idAtLocation: number;
  readonly isDisposed: boolean;
}

/** A computed tensor at another worker that a copy left behind: its backward(dy) continues there. */
export interface RemoteOrigin extends GradLinked {
  backward(dy: never): Promise<void>;
  dispose(): void;
}

/** Sends a local gradient to a worker, as a pointer `RemoteOrigin.backward` takes (injected: send() sits above this file). */
export type SendGradient = (grad: tf.Tensor, to: Location) => GradLinked & { dispose(): void };

interface Link {
  readonly copy: WeakRef<GradLinked>;
  /** A local origin is held weakly (the caller owns it); a remote one is owned by the link. */
  readonly local?: WeakRef<SyftTensor>;
  readonly remote?: RemoteOrigin;
  readonly send?: SendGradient;
  /** The copy's gradient at the last read: a computed origin receives only what was added since. */
  last: tf.Tensor | undefined;
}

const links = new Set<Link>();
// A link whose copy is collected goes with it (its remote origin deleted at its worker); disposed copies are swept at the next sync.
const collected = new FinalizationRegistry<Link>((link) => forget(link));

/** `copy` was sent from the local tensor `origin` with { requiresGrad: true }; `carried` is the gradient it took along. */
export function linkGradOrigin(copy: GradLinked, origin: SyftTensor, carried?: tf.Tensor): void {
  // A leaf mirrors the copy's gradient; only a computed origin needs to know what was there to begin with.
  const last = carried === undefined || origin.isLeaf ? undefined : tf.keep(carried.clone());
  links.add({ copy: new WeakRef(copy), local: new WeakRef(origin), last });
}

/** `copy` was moved with { requiresGrad: true } away from the computed tensor `origin` points to (the link owns it). */
export function linkRemoteGradOrigin(copy: GradLinked, origin: RemoteOrigin, send: SendGradient): void {
  const link: Link = { copy: new WeakRef(copy), remote: origin, send, last: undefined };
  links.add(link);
  collected.register(copy, link);
}

/** The copy's gradient was zeroed where it is (optimizer.zeroGrad()): what it holds next is all new. */
export function gradZeroed(copy: GradLinked): void {
  for (const link of links) {
    if (link.copy.deref() !== copy) continue;
    link.last?.dispose();
    link.last = undefined;
  }
}

/**
 * After a backward() at `location`, passes each linked copy's gradient there
 * back to its origin. Never rejects: a failed backward() surfaces at the next
 * read of what it touched, as every pipelined command's failure does.
 */
export function syncGradOrigins(location: Location): Promise<void> {
  const reads: Promise<void>[] = [];
  for (const link of links) {
    const copy = link.copy.deref();
    const local = link.local?.deref();
    if (copy === undefined || copy.isDisposed || (link.local !== undefined && (local === undefined || local.isDisposed))) {
      forget(link);
      continue;
    }
    if (copy.location !== location) continue;
    reads.push(
      location.request({ type: 'fetch', id: copy.idAtLocation, keep: true, slot: 'grad' }).then(
        (reply) => deliver(link, local, reply),
        () => undefined,
      ),
    );
  }
  return Promise.all(reads).then(() => undefined);
}

function forget(link: Link): void {
  if (!links.delete(link)) return;
  link.last?.dispose();
  link.remote?.dispose();
}

async function deliver(link: Link, local: SyftTensor | undefined, reply: FetchReply): Promise<void> {
  const grad = payloadToTensor(reply);
  const shape = local?.shape;
  if (grad.dtype !== 'float32' || (shape !== undefined && !sameDims(grad.shape, shape))) {
    // The copy was reshaped in place or replaced: it is no longer the origin's gradient.
    grad.dispose();
    return;
  }
  if (local !== undefined && local.isLeaf) {
    // A leaf mirrors its copy's gradient (PySyft set it back), zeroing and all.
    local.grad?.dispose();
    local.grad = new SyftTensor(grad);
    return;
  }
  const last = link.last;
  const added = last === undefined ? grad : tf.tidy(() => tf.sub(grad, last));
  last?.dispose();
  link.last = grad;
  try {
    if (local !== undefined) {
      local.backward(added);
    } else if (link.remote !== undefined && !link.remote.isDisposed) {
      const dy = link.send!(added, link.remote.location);
      await link.remote.backward(dy as never);
      dy.dispose();
    }
  } finally {
    if (added !== grad) added.dispose();
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
