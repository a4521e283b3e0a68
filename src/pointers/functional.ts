/**
 * `sy.add(x, y)` and friends, derived from the registry: each runs where its
 * tensors are (src/tensor/op-dispatch.ts), and its result type says so.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { opNames, type OpName, type OpResult } from '../core/op-registry.js';
import { callOp } from '../tensor/op-dispatch.js';
import type { OpArgs } from '../tensor/op-methods.generated.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import type { MultiPointerTensor } from './multi-pointer-tensor.js';
import type { PointerTensor } from './pointer-tensor.js';

/**
 * The kinds of tensor an op takes in functional form. An interface so that
 * kinds defined above this layer add themselves by declaration merging
 * (src/smpc adds its shared and fixed-precision tensors), as they register
 * their placements at run time.
 */
export interface FunctionalOperands {
  tf: tf.Tensor;
  syft: SyftTensor;
  // A pointer to any kind of tensor: the result keeps the argument's own type.
  pointer: PointerTensor<any>;
  multi: MultiPointerTensor<any>;
}

export type AnyTensor = FunctionalOperands[keyof FunctionalOperands];

/** The argument types, one level of lists flattened (concat([a, b]) has its tensors in a list). */
type ArgTypes<A extends readonly unknown[]> = A[number] | ElementOf<A[number]>;
/** Distributes over a union: `PointerTensor[] | number` gives `PointerTensor`. */
type ElementOf<T> = T extends readonly (infer E)[] ? E : never;

type Known = tf.Tensor | SyftTensor | PointerTensor<any> | MultiPointerTensor<any>;
/** Kinds merged in from above (shared tensors): their placements rank first. */
type Merged<A extends readonly unknown[]> = Extract<ArgTypes<A>, Exclude<AnyTensor, Known>>;

/**
 * An op's result runs where its tensors are: kinds merged in from above, then
 * multi-pointers, then pointers, then syft tensors, then tf tensors.
 */
type ResultTensor<A extends readonly unknown[]> = [Merged<A>] extends [never]
  ? [Extract<ArgTypes<A>, MultiPointerTensor<any>>] extends [never]
    ? [Extract<ArgTypes<A>, PointerTensor<any>>] extends [never]
      ? [Extract<ArgTypes<A>, SyftTensor>] extends [never]
        ? tf.Tensor
        : SyftTensor
      : Extract<ArgTypes<A>, PointerTensor<any>>
    : Extract<ArgTypes<A>, MultiPointerTensor<any>>
  : Merged<A>;

/** One op in functional form: its arguments are the registry's (`OpArgs`), its result where its tensors are. */
export type FunctionalOp<K extends OpName> = <A extends OpArgs<AnyTensor>[K]>(...args: A) => OpResult<K, ResultTensor<A>>;

type Functional = { readonly [K in OpName]: FunctionalOp<K> };

export const functionalOps: Functional = Object.fromEntries(
  opNames().map((name) => [name, (...args: unknown[]) => callOp(name, args)]),
) as unknown as Functional;
