/**
 * Random inputs for registry ops, one case per op: shared by the remote/local
 * parity test and the gradient test.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';

export type Inputs = tf.Tensor[];
export interface Case {
  /** Random inputs for the op. */
  readonly inputs: fc.Arbitrary<Inputs>;
  /** Extra arguments after the tensors. */
  readonly attrs?: (inputs: Inputs) => unknown[];
  /** The op's inputs are passed as one list (concat, stack, addN). */
  readonly list?: boolean;
}

const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const floats = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true });

/** `count` float tensors of one random shape, values in [min, max]. */
const same = (count: number, min = -10, max = 10, shape: fc.Arbitrary<number[]> = dims): fc.Arbitrary<Inputs> =>
  shape.chain((s) =>
    fc
      .array(fc.array(floats(min, max), { minLength: sizeOf(s), maxLength: sizeOf(s) }), { minLength: count, maxLength: count })
      .map((vs) => vs.map((v) => tf.tensor(v, s))),
  );
const ints = (count: number, min: number, max: number): fc.Arbitrary<Inputs> =>
  dims.chain((s) =>
    fc
      .array(fc.array(fc.integer({ min, max }), { minLength: sizeOf(s), maxLength: sizeOf(s) }), { minLength: count, maxLength: count })
      .map((vs) => vs.map((v) => tf.tensor(v, s, 'int32'))),
  );
const bools = (count: number): fc.Arbitrary<Inputs> =>
  dims.chain((s) =>
    fc
      .array(fc.array(fc.boolean(), { minLength: sizeOf(s), maxLength: sizeOf(s) }), { minLength: count, maxLength: count })
      .map((vs) => vs.map((v) => tf.tensor(v, s, 'bool'))),
  );
const matrix = (rows: number, cols: number) =>
  fc.array(floats(-5, 5), { minLength: rows * cols, maxLength: rows * cols }).map((v) => tf.tensor2d(v, [rows, cols]));

export const CASES: Record<string, Case> = {
  abs: { inputs: same(1) },
  neg: { inputs: same(1) },
  exp: { inputs: same(1, -5, 5) },
  expm1: { inputs: same(1, -5, 5) },
  log: { inputs: same(1, 0.01, 10) },
  log1p: { inputs: same(1, 0, 10) },
  sqrt: { inputs: same(1, 0, 10) },
  rsqrt: { inputs: same(1, 0.01, 10) },
  square: { inputs: same(1) },
  reciprocal: { inputs: same(1, 0.1, 10) },
  sin: { inputs: same(1) },
  cos: { inputs: same(1) },
  tan: { inputs: same(1, -1, 1) },
  asin: { inputs: same(1, -1, 1) },
  acos: { inputs: same(1, -1, 1) },
  atan: { inputs: same(1) },
  sinh: { inputs: same(1, -3, 3) },
  cosh: { inputs: same(1, -3, 3) },
  tanh: { inputs: same(1) },
  asinh: { inputs: same(1) },
  acosh: { inputs: same(1, 1, 10) },
  atanh: { inputs: same(1, -0.9, 0.9) },
  sigmoid: { inputs: same(1) },
  logSigmoid: { inputs: same(1) },
  softplus: { inputs: same(1) },
  relu: { inputs: same(1) },
  relu6: { inputs: same(1) },
  elu: { inputs: same(1) },
  selu: { inputs: same(1) },
  erf: { inputs: same(1, -3, 3) },
  floor: { inputs: same(1) },
  ceil: { inputs: same(1) },
  round: { inputs: same(1) },
  sign: { inputs: same(1) },
  step: { inputs: same(1), attrs: () => [0.5] },
  leakyRelu: { inputs: same(1), attrs: () => [0.1] },
  clipByValue: { inputs: same(1), attrs: () => [-1, 2] },
  isNaN: { inputs: same(1) },
  isFinite: { inputs: same(1) },
  onesLike: { inputs: same(1) },
  zerosLike: { inputs: same(1) },
  clone: { inputs: same(1) },
  cast: { inputs: same(1), attrs: () => ['int32'] },
  add: { inputs: same(2) },
  sub: { inputs: same(2) },
  mul: { inputs: same(2) },
  div: { inputs: same(2, 0.5, 10) },
  divNoNan: { inputs: same(2) },
  pow: { inputs: same(2, 0.1, 3) },
  maximum: { inputs: same(2) },
  minimum: { inputs: same(2) },
  squaredDifference: { inputs: same(2) },
  atan2: { inputs: same(2) },
  floorDiv: { inputs: ints(2, 1, 50) },
  mod: { inputs: ints(2, 1, 50) },
  equal: { inputs: ints(2, 0, 3) },
  notEqual: { inputs: ints(2, 0, 3) },
  less: { inputs: same(2) },
  lessEqual: { inputs: same(2) },
  greater: { inputs: same(2) },
  greaterEqual: { inputs: same(2) },
  logicalAnd: { inputs: bools(2) },
  logicalOr: { inputs: bools(2) },
  logicalXor: { inputs: bools(2) },
  logicalNot: { inputs: bools(1) },
  where: { inputs: fc.tuple(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), same(2, -10, 10, fc.constant([3]))).map(([c, xs]) => [tf.tensor1d(c, 'bool'), ...xs]) },
  sum: { inputs: same(1), attrs: () => [0, true] },
  mean: { inputs: same(1), attrs: () => [-1] },
  max: { inputs: same(1) },
  min: { inputs: same(1), attrs: () => [0] },
  prod: { inputs: same(1, -2, 2) },
  logSumExp: { inputs: same(1, -5, 5) },
  all: { inputs: bools(1) },
  any: { inputs: bools(1) },
  argMax: { inputs: same(1) },
  argMin: { inputs: same(1) },
  norm: { inputs: same(1) },
  cumsum: { inputs: same(1) },
  cumprod: { inputs: same(1, -2, 2) },
  softmax: { inputs: same(1) },
  logSoftmax: { inputs: same(1) },
  reshape: { inputs: same(1), attrs: ([x]) => [[x!.size]] },
  transpose: { inputs: same(1) },
  expandDims: { inputs: same(1), attrs: () => [0] },
  squeeze: { inputs: same(1, -1, 1, fc.constant([1, 3, 1])) },
  reverse: { inputs: same(1) },
  tile: { inputs: same(1), attrs: ([x]) => [x!.shape.map(() => 2)] },
  pad: { inputs: same(1), attrs: ([x]) => [x!.shape.map(() => [1, 2]), 7] },
  slice: { inputs: same(1), attrs: ([x]) => [x!.shape.map(() => 0), x!.shape.map((d) => Math.max(1, d - 1))] },
  broadcastTo: { inputs: same(1, -1, 1, fc.constant([1, 3])), attrs: () => [[2, 3]] },
  concat: { inputs: same(2), list: true, attrs: () => [0] },
  stack: { inputs: same(3), list: true, attrs: () => [1] },
  unstack: { inputs: same(1), attrs: () => [0] },
  addN: { inputs: same(3), list: true },
  gather: { inputs: same(1, -5, 5, fc.constant([4, 2])).map(([x]) => [x!, tf.tensor1d([3, 0, 0], 'int32')]) },
  oneHot: { inputs: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }).map((v) => [tf.tensor1d(v, 'int32')]), attrs: () => [5] },
  matMul: { inputs: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).chain(([m, k, n]) => fc.tuple(matrix(m, k), matrix(k, n))) },
  dot: { inputs: fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(matrix(1, n), matrix(n, 1))).map(([a, b]) => [tf.reshape(a, [-1]), tf.reshape(b, [-1])]) },
  outerProduct: { inputs: fc.tuple(matrix(1, 3), matrix(1, 2)).map(([a, b]) => [tf.reshape(a, [-1]), tf.reshape(b, [-1])]) },
  conv2d: {
    inputs: fc.tuple(fc.array(floats(-1, 1), { minLength: 50, maxLength: 50 }), fc.array(floats(-1, 1), { minLength: 18, maxLength: 18 })).map(([x, f]) => [
      tf.tensor4d(x, [1, 5, 5, 2]),
      tf.tensor4d(f, [3, 3, 2, 1]),
    ]),
    attrs: () => [1, 'same'],
  },
  maxPool: { inputs: fc.array(floats(-1, 1), { minLength: 32, maxLength: 32 }).map((x) => [tf.tensor4d(x, [1, 4, 4, 2])]), attrs: () => [2, 2, 'valid'] },
  avgPool: { inputs: fc.array(floats(-1, 1), { minLength: 32, maxLength: 32 }).map((x) => [tf.tensor4d(x, [1, 4, 4, 2])]), attrs: () => [2, 2, 'valid'] },
};

