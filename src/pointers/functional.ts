/**
 * `sy.add(x, y)` and friends, derived from the registry: each runs where its
 * tensors are (src/tensor/op-dispatch.ts), and its result type says so.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { opNames, type OpName, type OpResult } from '../core/op-registry.js';
import { callOp } from '../tensor/op-dispatch.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import type { MultiPointerTensor } from './multi-pointer-tensor.js';
import type { PointerTensor } from './pointer-tensor.js';

/** The argument types, one level of lists flattened (concat([a, b]) has its tensors in a list). */
type ArgTypes<A extends readonly unknown[]> = A[number] | (A[number] extends readonly (infer E)[] ? E : never);

/** An op's result runs where its tensors are: multi-pointers, then pointers, then syft tensors, then tf tensors. */
type ResultTensor<A extends readonly unknown[]> = [Extract<ArgTypes<A>, MultiPointerTensor>] extends [never]
  ? [Extract<ArgTypes<A>, PointerTensor>] extends [never]
    ? [Extract<ArgTypes<A>, SyftTensor>] extends [never]
      ? tf.Tensor
      : SyftTensor
    : Extract<ArgTypes<A>, PointerTensor>
  : Extract<ArgTypes<A>, MultiPointerTensor>;

type Functional = {
  readonly [K in OpName]: <A extends unknown[]>(...args: A) => OpResult<K, ResultTensor<A>>;
};

export const functionalOps: Functional = Object.fromEntries(
  opNames().map((name) => [name, (...args: unknown[]) => callOp(name, args)]),
) as unknown as Functional;
