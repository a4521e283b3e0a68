/**
 * The autograd graph of syft tensors in the main thread. How a tensor was made
 * and how often it was changed in place are kept beside it (WeakMaps), so a
 * SyftTensor stays a thin wrapper and forgotten graphs are collected with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OpName } from '../core/op-registry.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { type Creation, type GradGraph, type GraphArg, gradients, needsGrad, nodesOf } from './gradients.js';

const creators = new WeakMap<SyftTensor, Creation<SyftTensor>>();
const versions = new WeakMap<SyftTensor, number>();

const localGraph: GradGraph<SyftTensor> = {
  value: (t) => t.tensor,
  requiresGrad: (t) => t.requiresGrad,
  creator: (t) => creators.get(t),
  version: (t) => versions.get(t) ?? 0,
};

export function creatorOf(t: SyftTensor): Creation<SyftTensor> | undefined {
  return creators.get(t);
}

/** Called by every in-place change of a syft tensor. */
export function bumpVersion(t: SyftTensor): void {
  versions.set(t, (versions.get(t) ?? 0) + 1);
}

/** Records how `outputs` were made, if they need a gradient; marks them as requiring one. */
export function recordLocal(op: OpName, args: readonly GraphArg<SyftTensor>[], outputs: readonly SyftTensor[]): void {
  if (!needsGrad(op, args, (t) => t.requiresGrad)) return;
  const creation: Creation<SyftTensor> = {
    op,
    args,
    outputs,
    versions: nodesOf(args).map((t) => versions.get(t) ?? 0),
  };
  for (const out of outputs) {
    creators.set(out, creation);
    out.requiresGrad = true;
  }
}

/** Accumulates d(root)/d(leaf) into every leaf's `.grad`. Gradients outlive enclosing tidy scopes. */
export function backwardLocal(root: SyftTensor, dy: tf.Tensor | undefined, wrap: (t: tf.Tensor) => SyftTensor): void {
  // The replay's temporaries go with the scope; the gradients are kept.
  let grads = new Map<SyftTensor, tf.Tensor>();
  tf.tidy(() => {
    grads = gradients(localGraph, root, dy);
    for (const g of grads.values()) tf.keep(g);
  });
  for (const [leaf, g] of grads) {
    if (leaf.grad === undefined || leaf.grad.isDisposed) {
      leaf.grad = wrap(g);
    } else {
      const sum = tf.keep(tf.add(leaf.grad.tensor, g));
      g.dispose();
      leaf.grad.replaceTensor(sum);
    }
  }
}
