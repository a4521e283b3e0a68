/**
 * Reverse-mode gradients by replaying a recorded program under `tf.grads`.
 *
 * tfjs has no tape on tensors (no requires_grad, backward(), .grad), so syft-ts
 * records, for every op result that needs a gradient, how it was made: the op's
 * registry name and its arguments. backward() then:
 *   1. walks back from the root through those records to the leaves that
 *      require a gradient;
 *   2. builds f(leaves) that re-runs the recorded ops in order, treating every
 *      other input as a constant;
 *   3. asks tf.grads(f) for the gradients, so each op's gradient is tfjs's own
 *      (its gradient registry), never one written here.
 * The engine is generic over how nodes are named: syft tensors in the main
 * thread, store ids in a worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import { flattenOutputs, OPS, type OpName } from '../core/op-registry.js';
import './register-gradients.js';
import { replayOp } from './replay.js';

/** An argument of a recorded op: a node, a list, or a plain value. */
export type GraphArg<K> = { readonly node: K } | { readonly list: readonly GraphArg<K>[] } | { readonly value: unknown };

/** How a node was computed. Several nodes share one record when an op has several outputs. */
export interface Creation<K> {
  readonly op: OpName;
  readonly args: readonly GraphArg<K>[];
  readonly outputs: readonly K[];
  /** Versions of the input nodes (in nodesOf(args) order) when the op ran, if the graph tracks them. */
  readonly versions?: readonly number[];
}

/** What the engine needs to know about the nodes of a graph. */
export interface GradGraph<K> {
  value(node: K): tf.Tensor;
  requiresGrad(node: K): boolean;
  creator(node: K): Creation<K> | undefined;
  /** How often the node was changed in place; a change after an op used it invalidates the gradient. */
  version?(node: K): number;
}

/**
 * Gradients of `root` with respect to every leaf that requires one and that
 * `root` depends on. `dy` defaults to ones for a scalar root; a non-scalar
 * root needs an explicit `dy` (as in PyTorch).
 */
export function gradients<K>(graph: GradGraph<K>, root: K, dy?: tf.Tensor): Map<K, tf.Tensor> {
  const rootValue = graph.value(root);
  if (dy === undefined && rootValue.size !== 1) {
    throw new InvalidArgumentError(
      `backward() without a gradient needs a scalar; this tensor has shape [${rootValue.shape.join(', ')}]. ` +
        `Reduce it first (e.g. .sum()) or pass the gradient: backward(dy).`,
    );
  }
  if (!graph.requiresGrad(root)) {
    throw new InvalidArgumentError(
      'backward(): this tensor does not require a gradient. Create its inputs with { requiresGrad: true }, outside sy.noGrad.',
    );
  }
  const { leaves, program } = trace(graph, root);
  if (leaves.length === 0) return new Map();
  const seed = dy ?? tf.onesLike(rootValue);
  try {
    const f = (...leafValues: tf.Tensor[]): tf.Tensor => {
      const env = new Map<K, tf.Tensor>(leaves.map((leaf, i) => [leaf, leafValues[i]!]));
      const resolve = (arg: GraphArg<K>): unknown => {
        if ('node' in arg) return env.get(arg.node) ?? graph.value(arg.node);
        if ('list' in arg) return arg.list.map(resolve);
        return arg.value;
      };
      for (const creation of program) {
        const outs = flattenOutputs<tf.Tensor>(OPS[creation.op], replayOp(creation.op, creation.args.map(resolve)));
        creation.outputs.forEach((node, i) => env.set(node, outs[i]!));
      }
      return env.get(root) ?? rootValue;
    };
    const grads = tf.grads(f)(leaves.map((leaf) => graph.value(leaf)), seed);
    return new Map(leaves.map((leaf, i) => [leaf, grads[i]!]));
  } finally {
    if (dy === undefined) seed.dispose();
  }
}

/** The leaves `root` depends on, and the records to replay, in dependency order. */
function trace<K>(graph: GradGraph<K>, root: K): { leaves: K[]; program: Creation<K>[] } {
  const leaves: K[] = [];
  const program: Creation<K>[] = [];
  const seenNodes = new Set<K>();
  const done = new Set<Creation<K>>();
  const visit = (node: K): void => {
    if (seenNodes.has(node) || !graph.requiresGrad(node)) return;
    seenNodes.add(node);
    const creation = graph.creator(node);
    if (creation === undefined) {
      leaves.push(node);
      return;
    }
    if (done.has(creation)) return;
    done.add(creation);
    const inputs = nodesOf(creation.args);
    if (creation.versions !== undefined && graph.version !== undefined) {
      inputs.forEach((input, i) => {
        if (graph.version!(input) !== creation.versions![i]) {
          throw new InvalidArgumentError(
            `backward(): an input of '${creation.op}' was changed in place after '${creation.op}' used it, so its ` +
              `gradient would be wrong. Update tensors in place only after backward(), or inside sy.noGrad on copies.`,
          );
        }
      });
    }
    for (const input of inputs) visit(input);
    program.push(creation); // after its inputs: post-order is a topological order
  };
  visit(root);
  return { leaves, program };
}

export function nodesOf<K>(args: readonly GraphArg<K>[], into: K[] = []): K[] {
  for (const arg of args) {
    if ('node' in arg) into.push(arg.node);
    else if ('list' in arg) nodesOf(arg.list, into);
  }
  return into;
}

/** Does an op's result need a gradient? Only if the op has one and some input does. */
export function needsGrad<K>(op: OpName, args: readonly GraphArg<K>[], requiresGrad: (node: K) => boolean): boolean {
  return OPS[op].differentiable && nodesOf(args).some(requiresGrad);
}
