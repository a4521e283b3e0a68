/**
 * fast-check arbitraries for property tests of protocols built on syft-ts:
 * tensors of every dtype the wire carries (NaN, infinities, -0 and empty shapes
 * included) and worker topologies.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';

export type WireDtype = 'float32' | 'int32' | 'bool';

export interface TensorSpec {
  readonly dtype: WireDtype;
  readonly shape: number[];
  readonly values: number[];
}

/** Shapes of rank 0-4, including empty ones ([0], [2, 0, 3]), with at most `maxSize` elements. */
export const shapeArb = (maxSize = 64): fc.Arbitrary<number[]> =>
  fc
    .array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 4 })
    .filter((shape) => shape.reduce((a, b) => a * b, 1) <= maxSize);

const valueArb: Record<WireDtype, fc.Arbitrary<number>> = {
  // Every float32, NaN, ±Infinity and -0 included.
  float32: fc.float(),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  bool: fc.integer({ min: 0, max: 1 }),
};

export const tensorSpecArb = (maxSize = 64): fc.Arbitrary<TensorSpec> =>
  fc.tuple(fc.constantFrom<WireDtype>('float32', 'int32', 'bool'), shapeArb(maxSize)).chain(([dtype, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return fc
      .array(valueArb[dtype], { minLength: size, maxLength: size })
      .map((values) => ({ dtype, shape, values }));
  });

export function makeTensor(spec: TensorSpec): tf.Tensor {
  const values =
    spec.dtype === 'float32' ? new Float32Array(spec.values) : spec.dtype === 'int32' ? new Int32Array(spec.values) : new Uint8Array(spec.values);
  return tf.tensor(values, spec.shape, spec.dtype);
}

/** Values equal bit for bit (NaN equals NaN, -0 differs from 0). */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** How many workers, on how many threads (a thread may host several actors). */
export interface Topology {
  readonly workers: number;
  readonly threads: number;
}

export const topologyArb = (maxWorkers = 4): fc.Arbitrary<Topology> =>
  fc
    .integer({ min: 2, max: maxWorkers })
    .chain((workers) => fc.integer({ min: 1, max: workers }).map((threads) => ({ workers, threads })));

/** Small float32 vectors of integers, so sums and products stay exact and comparable. */
export const vectorArb = (length: number, bound = 100): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: -bound, max: bound }), { minLength: length, maxLength: length });
