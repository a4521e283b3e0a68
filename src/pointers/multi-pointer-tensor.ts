/**
 * One tensor's pointers at several workers (PySyft's MultiPointerTensor), from
 * `x.send(bob, alice)` or `sy.combinePointers(p, q)`. An op applies to every
 * branch at its own worker; get() returns the results in worker order, or their
 * sum. Op methods are installed from the registry like a pointer's. Its shape
 * and dtype are the branches' when they all know the same ones.
 */
import { inspect } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import type { DType } from '../core/op-checks.js';
import type { OpMethods } from '../tensor/op-methods-type.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { type LocalTensor, PointerTensor, shapeOf, sizeOf, type TensorMeta } from './pointer-tensor.js';
import { OWNED_RESOURCES } from '../tensor/tidy.js';

export interface MultiGetOptions {
  /** Return the sum of the branches' tensors instead of the list. */
  readonly sumResults?: boolean;
}

export interface MultiPointerTensor<L = LocalTensor> extends OpMethods<MultiPointerTensor<L>> {}

// The interface above merges the registry's op methods into the class type.
export class MultiPointerTensor<L = LocalTensor> {
  readonly #children: ReadonlyMap<string, PointerTensor<L>>;

  constructor(pointers: readonly PointerTensor<L>[]) {
    if (pointers.length === 0) throw new InvalidArgumentError('A MultiPointerTensor needs at least one pointer.');
    const children = new Map<string, PointerTensor<L>>();
    for (const p of pointers) {
      if (!(p instanceof PointerTensor)) throw new InvalidArgumentError('combinePointers() takes PointerTensors only.');
      p.assertLive();
      if (children.has(p.location.id)) {
        throw new InvalidArgumentError(`Two pointers to worker '${p.location.id}': a MultiPointerTensor holds one per worker.`);
      }
      children.set(p.location.id, p);
    }
    this.#children = children;
  }

  /** The branches, in worker order. */
  get children(): PointerTensor<L>[] {
    return [...this.#children.values()];
  }

  /** The workers' ids, in order. */
  get workers(): string[] {
    return [...this.#children.keys()];
  }

  /** @internal The branches' common shape and dtype; undefined when one is unknown or two differ. */
  get meta(): TensorMeta | undefined {
    const [first, ...rest] = this.children.map((c) => c.meta);
    if (first === undefined) return undefined;
    const agree = rest.every((m) => m !== undefined && m.dtype === first.dtype && m.shape.length === first.shape.length && m.shape.every((d, i) => d === first.shape[i]));
    return agree ? first : undefined;
  }

  /** The shape every branch has (PySyft's m.shape); undefined when the branches differ or one is unknown. */
  get shape(): number[] | undefined {
    return shapeOf(this.meta);
  }

  /** The dtype every branch has; undefined as for shape. */
  get dtype(): DType | undefined {
    return this.meta?.dtype;
  }

  /** The number of dimensions every branch has (PySyft's m.dim()); undefined as for shape. */
  get rank(): number | undefined {
    return this.meta?.shape.length;
  }

  /** The number of elements in each branch; undefined as for shape. */
  get size(): number | undefined {
    return sizeOf(this.meta);
  }

  /** The branch at one worker, if any. */
  child(workerId: string): PointerTensor<L> | undefined {
    return this.#children.get(workerId);
  }

  get isDisposed(): boolean {
    return this.children.every((c) => c.isDisposed);
  }

  /** The branches' tensors in worker order; with `{ sumResults: true }`, their sum. */
  get(): Promise<L[]>;
  get(options: { sumResults: true }): Promise<L>;
  get(options?: MultiGetOptions): Promise<L[] | L>;
  async get(options: MultiGetOptions = {}): Promise<L[] | L> {
    const parts = await Promise.all(this.children.map((c) => c.get()));
    if (!options.sumResults) return parts;
    return sumOf(parts as unknown[]) as L;
  }

  dispose(): void {
    for (const c of this.#children.values()) c.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal Keeping this in a tidy scope keeps its branches. */
  [OWNED_RESOURCES](): readonly PointerTensor<L>[] {
    return this.children;
  }

  toString(): string {
    return `(Wrapper)>[MultiPointerTensor]\n${this.children.map((c) => `\t-> ${String(c)}`).join('\n')}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function sumOf(parts: readonly unknown[]): unknown {
  if (parts.every((p) => p instanceof tf.Tensor)) {
    const sum = tf.addN(parts as tf.Tensor[]);
    for (const p of parts as tf.Tensor[]) p.dispose();
    return sum;
  }
  if (parts.every((p) => p instanceof SyftTensor)) {
    const sum = new SyftTensor(tf.addN((parts as SyftTensor[]).map((p) => p.tensor)));
    for (const p of parts as SyftTensor[]) p.dispose();
    return sum;
  }
  throw new InvalidArgumentError('sumResults needs tensors in every branch; these branches hold pointers (a chain).');
}

/** `sy.combinePointers(x, y)`: one MultiPointerTensor over pointers at different workers. */
export function combinePointers<L>(...pointers: PointerTensor<L>[]): MultiPointerTensor<L> {
  return new MultiPointerTensor(pointers);
}
