/**
 * Tensors over the ring Z_2^64: values in a BigUint64Array (which transfers
 * between threads without a copy and survives structured clone). Every
 * element-wise result goes through BigInt.asUintN(64, …), which V8 compiles to
 * native 64-bit arithmetic instead of arbitrary-precision BigInt math.
 */
import { InvalidArgumentError } from '../errors.js';

export interface RingTensor {
  readonly values: BigUint64Array;
  readonly shape: readonly number[];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function ringTensor(values: BigUint64Array, shape: readonly number[]): RingTensor {
  if (values.length !== sizeOf(shape)) {
    throw new InvalidArgumentError(`a ring tensor of shape [${shape}] needs ${sizeOf(shape)} values, got ${values.length}.`);
  }
  return { values, shape: [...shape] };
}

function sameShape(op: string, a: RingTensor, b: RingTensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new InvalidArgumentError(`ring ${op}: shapes [${a.shape}] and [${b.shape}] differ; ring ops are element-wise on equal shapes.`);
  }
}

export function ringAdd(a: RingTensor, b: RingTensor): RingTensor {
  sameShape('add', a, b);
  const [x, y] = [a.values, b.values];
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, x[i]! + y[i]!);
  return { values: out, shape: a.shape };
}

export function ringSub(a: RingTensor, b: RingTensor): RingTensor {
  sameShape('sub', a, b);
  const [x, y] = [a.values, b.values];
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, x[i]! - y[i]!);
  return { values: out, shape: a.shape };
}

export function ringNeg(a: RingTensor): RingTensor {
  const x = a.values;
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, -x[i]!);
  return { values: out, shape: a.shape };
}

export function ringMul(a: RingTensor, b: RingTensor): RingTensor {
  sameShape('mul', a, b);
  const [x, y] = [a.values, b.values];
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, x[i]! * y[i]!);
  return { values: out, shape: a.shape };
}

/** Multiplication by a public integer (taken mod 2^64). */
export function ringScale(a: RingTensor, k: bigint): RingTensor {
  const x = a.values;
  const factor = BigInt.asUintN(64, k);
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, x[i]! * factor);
  return { values: out, shape: a.shape };
}

/** Sum of all elements, as a scalar ring tensor. */
export function ringSum(a: RingTensor): RingTensor {
  let s = 0n;
  for (const v of a.values) s = BigInt.asUintN(64, s + v);
  return { values: BigUint64Array.of(s), shape: [] };
}

/** [m, k] · [k, n] over the ring, in plain BigInt arithmetic (the reference a faster kernel is checked against). */
export function ringMatMul(a: RingTensor, b: RingTensor): RingTensor {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new InvalidArgumentError(`ring matMul: needs [m, k] and [k, n], got [${a.shape}] and [${b.shape}].`);
  }
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const [x, y] = [a.values, b.values];
  const out = new BigUint64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s = BigInt.asUintN(64, s + x[i * k + t]! * y[t * n + j]!);
      out[i * n + j] = s;
    }
  }
  return { values: out, shape: [m, n] };
}
