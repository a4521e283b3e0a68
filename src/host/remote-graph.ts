/**
 * The autograd graph of one actor's objects: the tape lives with the data.
 * Nodes are store ids. For each id the graph knows whether it requires a
 * gradient, how it was made (the recorded op), its gradient (leaves) and how
 * often it was changed in place.
 *
 * A deleted object that a live graph still needs (an input of a recorded op
 * whose result is alive) is retained, out of sight of objects(), until nothing
 * needs it: as PyTorch keeps the tensors it saved for backward. Without this a
 * pointer collected between the forward pass and backward() would cut the graph.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, SyftError } from '../core/errors.js';
import type { ObjectStore } from './object-store.js';
import { executeOp } from './op-execute.js';
import type { OpName } from '../core/op-registry.js';
import type { InPlaceOp, Slot, TensorPayload, WireArg } from '../core/protocol.js';
import { payloadToTensor, tensorToPayload } from '../transport/tensor-payload.js';
import { type Creation, type GradGraph, type GraphArg, gradients, needsGrad, nodesOf } from '../autograd/gradients.js';

interface NodeState {
  requiresGrad: boolean;
  creation: Creation<number> | undefined;
  grad: tf.Tensor | undefined;
  version: number;
}

/** Through the registry, so an in-place update's argument is checked like any op's before a kernel runs. */
const registered = (op: 'add' | 'sub' | 'mul' | 'div') => (t: tf.Tensor, a: tf.Tensor | number): tf.Tensor => {
  const [result] = executeOp(op, [t, a]);
  if (!result!.shape.every((d, i) => d === t.shape[i]) || result!.rank !== t.rank) {
    throw new InvalidArgumentError(`in-place ${op}: the argument would broadcast [${t.shape}] to [${result!.shape}]; an in-place update keeps the shape`);
  }
  return result!;
};

const IN_PLACE: Record<InPlaceOp, (t: tf.Tensor, arg: tf.Tensor | number) => tf.Tensor> = {
  add: registered('add'),
  sub: registered('sub'),
  mul: registered('mul'),
  div: registered('div'),
  zero: (t) => tf.zerosLike(t),
};

export class RemoteGraph {
  readonly #nodes = new Map<number, NodeState>();
  /** How many recorded ops use each id as an input. */
  readonly #uses = new Map<number, number>();
  /** Deleted from the store, kept for a graph that still needs them. */
  readonly #retained = new Map<number, tf.Tensor>();
  /** Why the last backward() here failed, until one succeeds: reading a missing gradient reports it. */
  #lastFailure: string | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly owner: string,
  ) {}

  /** Tensors kept only for backward() (not in objects()); 0 once every graph is gone. */
  get retainedCount(): number {
    return this.#retained.size;
  }

  requiresGrad(id: number): boolean {
    return this.#nodes.get(id)?.requiresGrad ?? false;
  }

  /** A leaf arrived (sent or moved here), with its gradient if it had one. */
  addLeaf(id: number, requiresGrad: boolean, grad?: TensorPayload): void {
    if (!requiresGrad && grad === undefined) return;
    this.#nodes.set(id, {
      requiresGrad,
      creation: undefined,
      grad: grad === undefined ? undefined : payloadToTensor(grad),
      version: 0,
    });
  }

  /** requires_grad_(): a leaf from now on (its history, if any, is cut off). */
  requireGrad(id: number, value: boolean): void {
    this.store.tensor(id);
    const node = this.#nodes.get(id);
    if (node === undefined) {
      if (value) this.#nodes.set(id, { requiresGrad: true, creation: undefined, grad: undefined, version: 0 });
      return;
    }
    node.requiresGrad = value;
  }

  /** Records how `outputs` were made, if they need a gradient. */
  record(op: OpName, args: readonly WireArg[], outputs: readonly number[]): void {
    const graphArgs = args.map(toGraphArg);
    if (graphArgs.includes(undefined) || !needsGrad(op, graphArgs as GraphArg<number>[], (id) => this.requiresGrad(id))) {
      return; // an op reading a gradient (an update step) is never part of a graph
    }
    const inputs = nodesOf(graphArgs as GraphArg<number>[]);
    const creation: Creation<number> = {
      op,
      args: graphArgs as GraphArg<number>[],
      outputs,
      versions: inputs.map((id) => this.#nodes.get(id)?.version ?? 0),
    };
    for (const id of inputs) this.#uses.set(id, (this.#uses.get(id) ?? 0) + 1);
    for (const id of outputs) this.#nodes.set(id, { requiresGrad: true, creation, grad: undefined, version: 0 });
  }

  gradOf(id: number): tf.Tensor {
    const grad = this.#nodes.get(id)?.grad;
    if (grad === undefined) {
      throw new SyftError(
        'OBJECT_NOT_FOUND',
        this.#lastFailure !== undefined
          ? `object ${id} at '${this.owner}' has no gradient: the last backward() here failed: ${this.#lastFailure}`
          : `object ${id} at '${this.owner}' has no gradient yet: call backward() on a result that depends on it first`,
      );
    }
    return grad;
  }

  /** The autograd state a fetch or a move carries along. */
  stateOf(id: number): { requiresGrad?: boolean; grad?: TensorPayload } {
    const node = this.#nodes.get(id);
    if (node === undefined) return {};
    return { requiresGrad: node.requiresGrad, ...(node.grad === undefined ? {} : { grad: tensorToPayload(node.grad) }) };
  }

  /** Accumulates d(root)/d(leaf) into every live leaf's gradient. */
  backward(root: number, dy: tf.Tensor | undefined): void {
    const graph: GradGraph<number> = {
      value: (id) => this.#valueOf(id),
      requiresGrad: (id) => this.requiresGrad(id),
      creator: (id) => this.#nodes.get(id)?.creation,
      version: (id) => this.#nodes.get(id)?.version ?? 0,
    };
    let grads = new Map<number, tf.Tensor>();
    try {
      tf.tidy(() => {
        grads = gradients(graph, root, dy);
        for (const g of grads.values()) tf.keep(g);
      });
      this.#lastFailure = undefined;
    } catch (error) {
      this.#lastFailure = error instanceof Error ? error.message : String(error);
      throw error;
    }
    for (const [leaf, g] of grads) {
      const node = this.#nodes.get(leaf);
      if (node === undefined || this.#retained.has(leaf)) {
        g.dispose(); // the leaf was deleted meanwhile: nobody can read this gradient
      } else if (node.grad === undefined) {
        node.grad = g;
      } else {
        const sum = tf.add(node.grad, g);
        node.grad.dispose();
        g.dispose();
        node.grad = sum;
      }
    }
  }

  /** Updates a leaf's value or gradient in place (optimizer steps, zeroing). */
  inPlace(id: number, slot: Slot, op: InPlaceOp, arg: tf.Tensor | number | undefined): void {
    const node = this.#nodes.get(id);
    if (slot === 'grad') {
      if (op === 'zero' && node?.grad === undefined) return; // zero_grad() before any backward(): nothing to zero
      const grad = this.gradOf(id);
      node!.grad = tf.tidy(() => IN_PLACE[op](grad, arg ?? 0));
      grad.dispose();
      return;
    }
    if (node?.creation !== undefined) {
      throw new InvalidArgumentError(
        `in-place ${op} on object ${id}, which was computed from tensors that require a gradient, would corrupt backward(); ` +
          `update leaves (parameters) in place`,
      );
    }
    const before = this.store.tensor(id);
    const after = tf.tidy(() => IN_PLACE[op](before, arg ?? 0));
    this.store.replaceTensor(id, after);
    before.dispose();
    if (node !== undefined) node.version++;
  }

  /**
   * The object left the store: dispose its tensor, or keep it while a graph
   * still needs it. `moved` objects take their tensor along and are only forgotten.
   */
  drop(id: number, tensor: tf.Tensor | undefined): void {
    if (tensor !== undefined && (this.#uses.get(id) ?? 0) > 0) {
      this.#retained.set(id, tensor);
      return;
    }
    tensor?.dispose();
    this.#forget(id);
  }

  #valueOf(id: number): tf.Tensor {
    const retained = this.#retained.get(id);
    if (retained !== undefined) return retained;
    return this.store.tensor(id);
  }

  #forget(id: number): void {
    const node = this.#nodes.get(id);
    if (node === undefined) return;
    this.#nodes.delete(id);
    node.grad?.dispose();
    const creation = node.creation;
    if (creation !== undefined && creation.outputs.every((out) => !this.#nodes.has(out))) this.#release(creation);
  }

  /** No output of `creation` is alive: its inputs are needed one use less. */
  #release(creation: Creation<number>): void {
    for (const input of nodesOf(creation.args)) {
      const uses = (this.#uses.get(input) ?? 1) - 1;
      if (uses > 0) {
        this.#uses.set(input, uses);
        continue;
      }
      this.#uses.delete(input);
      const retained = this.#retained.get(input);
      if (retained !== undefined) {
        this.#retained.delete(input);
        retained.dispose();
        this.#forget(input);
      }
    }
  }
}

/** undefined for a gradient reference: such ops are never recorded. */
function toGraphArg(arg: WireArg): GraphArg<number> | undefined {
  if (typeof arg === 'number') return { node: arg };
  if ('list' in arg) {
    const list = arg.list.map(toGraphArg);
    return list.includes(undefined) ? undefined : { list: list as GraphArg<number>[] };
  }
  if ('grad' in arg) return undefined;
  return { value: arg.value };
}
