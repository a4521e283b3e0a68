/**
 * How a recorded op is re-run for its gradient. Almost every op is re-run as
 * itself; the table below holds the exceptions, one entry per op:
 * - matMul: tfjs's own matMul gradient multiplies with transposeA/transposeB,
 *   which the wasm backend runs about 10x slower than a plain matMul; an
 *   explicit tf.transpose gives the same values (an MLP 784-500-10 step went
 *   from 19.9 to 6.5 ms here).
 * Ops that draw random numbers get a fixed seed when recorded (seedRandomOps),
 * so the replay draws the same numbers as the forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OpName } from '../core/op-registry.js';
import { conv2dPortableGradient, needsConv2dFilterGradient } from './conv2d-gradient.js';

type TfOp = (...args: unknown[]) => unknown;
const tfOps = tf as unknown as Record<OpName, TfOp>;

/** a·b for rank-2 tensors, with a gradient made of plain (untransposed-flag) matMuls. */
const matMulExplicitTranspose = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
  // customGrad's typing passes inputs and `save` as one rest parameter.
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const OVERRIDES: Partial<Record<OpName, (args: readonly unknown[]) => unknown>> = {
  matMul: (args) => {
    const [a, b, transposeA, transposeB] = args as [tf.Tensor, tf.Tensor, boolean?, boolean?];
    const plain = a instanceof tf.Tensor && b instanceof tf.Tensor && a.rank === 2 && b.rank === 2 && !transposeA && !transposeB;
    return plain ? matMulExplicitTranspose(a, b) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB);
  },
  conv2d: (args) => {
    if (!needsConv2dFilterGradient(args)) return tfOps.conv2d(...args);
    const [x, filter, strides, pad] = args as Parameters<typeof conv2dPortableGradient>;
    return conv2dPortableGradient(x, filter, strides, pad);
  },
};

/** Runs a recorded op (forward or under tf.grads). */
export function replayOp(op: OpName, args: readonly unknown[]): unknown {
  const override = OVERRIDES[op];
  return override !== undefined ? override(args) : tfOps[op](...args);
}

/** Position of the seed argument of ops that draw random numbers. */
const SEED_POSITION: Partial<Record<OpName, number>> = { dropout: 3 };

/**
 * The arguments with a seed filled in, so that replaying the op draws the same
 * numbers. `wrap` turns a plain value into an argument (wire arguments wrap
 * values; tfjs arguments are the values themselves).
 */
export function seedRandomOps<T>(op: OpName, args: readonly T[], wrap: (value: unknown) => T): readonly T[] {
  const at = SEED_POSITION[op];
  if (at === undefined || (args[at] !== undefined && !isWrappedUndefined(args[at]))) return args;
  const seeded = [...args];
  while (seeded.length < at) seeded.push(wrap(undefined));
  seeded[at] = wrap(Math.floor(Math.random() * 2 ** 31));
  return seeded;
}

function isWrappedUndefined(arg: unknown): boolean {
  return typeof arg === 'object' && arg !== null && 'value' in arg && (arg as { value: unknown }).value === undefined;
}
