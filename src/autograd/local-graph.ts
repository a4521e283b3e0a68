/**
 * The autograd graph of local tensors (syft tensors). How a tensor was made
 * and how often it was changed in place are kept beside it (WeakMaps), so a
 * tensor stays a thin wrapper and forgotten graphs are collected with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OpName } from '../core/op-registry.js';
import { type Creation, type GradGraph, type GraphArg, gradients, needsGrad, nodesOf } from './gradients.js';

/** What the graph needs of a local tensor (a SyftTensor is one). */
export interface LocalNode {
  readonly tensor: tf.Tensor;
  requiresGrad: boolean;
  grad: LocalNode | undefined;
  readonly isDisposed: boolean;
  /** Swaps the tensor underneath, disposing the old one (an in-place update). */
  replaceTensor(next: tf.Tensor): void;
}

const creators = new WeakMap<LocalNode, Creation<LocalNode>>();
const versions = new WeakMap<LocalNode, number>();

const localGraph: GradGraph<LocalNode> = {
  value: (t) => t.tensor,
  requiresGrad: (t) => t.requiresGrad,
  creator: (t) => creators.get(t),
  version: (t) => versions.get(t) ?? 0,
};

export function creatorOf(t: LocalNode): Creation<LocalNode> | undefined {
  return creators.get(t);
}

/** Called by every in-place change of a syft tensor. */
export function bumpVersion(t: LocalNode): void {
  versions.set(t, (versions.get(t) ?? 0) + 1);
}

/** Records how `outputs` were made, if they need a gradient; marks them as requiring one. */
export function recordLocal(op: OpName, args: readonly GraphArg<LocalNode>[], outputs: readonly LocalNode[]): void {
  if (!needsGrad(op, args, (t) => t.requiresGrad)) return;
  const creation: Creation<LocalNode> = {
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
export function backwardLocal<N extends LocalNode>(root: N, dy: tf.Tensor | undefined, wrap: (t: tf.Tensor) => N): void {
  // The replay's temporaries go with the scope; the gradients are kept.
  let grads = new Map<LocalNode, tf.Tensor>();
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
