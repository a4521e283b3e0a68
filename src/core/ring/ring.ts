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

/** The same values under another shape (no copy: ring tensors are never changed in place). */
export function ringReshape(a: RingTensor, shape: readonly number[]): RingTensor {
  const known = shape.filter((d) => d !== -1);
  const size = sizeOf(known);
  const inferred = shape.map((d) => (d === -1 ? a.values.length / size : d));
  if (shape.filter((d) => d === -1).length > 1 || sizeOf(inferred) !== a.values.length || inferred.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`ring reshape: cannot reshape [${a.shape}] (${a.values.length} values) to [${shape}].`);
  }
  return { values: a.values, shape: inferred };
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Permutes the axes (reverses them when `perm` is left out), as tf.transpose. */
export function ringTranspose(a: RingTensor, perm?: readonly number[]): RingTensor {
  const rank = a.shape.length;
  const p = perm ?? a.shape.map((_, d) => rank - 1 - d);
  if (p.length !== rank || [...p].sort((x, y) => x - y).some((d, i) => d !== i)) {
    throw new InvalidArgumentError(`ring transpose: perm [${p}] is not a permutation of the ${rank} axes of [${a.shape}].`);
  }
  const shape = p.map((d) => a.shape[d]!);
  const inStrides = stridesOf(a.shape);
  const stepOf = p.map((d) => inStrides[d]!);
  const out = new BigUint64Array(a.values.length);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = a.values[from]!;
    // Odometer over the output's index, tracking the input offset incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      from += stepOf[d]!;
      if (index[d]! < shape[d]!) break;
      from -= stepOf[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return { values: out, shape };
}

/** The block starting at `begin` of extent `size` (-1: to the end), as tf.slice. */
export function ringSlice(a: RingTensor, begin: readonly number[], size: readonly number[]): RingTensor {
  const rank = a.shape.length;
  const extent = size.map((s, d) => (s === -1 ? a.shape[d]! - begin[d]! : s));
  if (begin.length !== rank || size.length !== rank || begin.some((b, d) => !(b >= 0 && extent[d]! >= 0 && b + extent[d]! <= a.shape[d]!))) {
    throw new InvalidArgumentError(`ring slice: begin [${begin}] and size [${size}] do not fit in shape [${a.shape}].`);
  }
  const inStrides = stridesOf(a.shape);
  const out = new BigUint64Array(sizeOf(extent));
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let from = 0;
    for (let d = 0; d < rank; d++) from += (begin[d]! + index[d]!) * inStrides[d]!;
    out[i] = a.values[from]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < extent[d]!) break;
      index[d] = 0;
    }
  }
  return { values: out, shape: extent };
}

/** Sum along one axis (all axes, to a scalar, when `axis` is left out). */
export function ringSumAxis(a: RingTensor, axis?: number): RingTensor {
  if (axis === undefined) return ringSum(a);
  const rank = a.shape.length;
  const d = axis < 0 ? axis + rank : axis;
  if (!(Number.isInteger(d) && d >= 0 && d < rank)) {
    throw new InvalidArgumentError(`ring sum: axis ${axis} is out of range for shape [${a.shape}].`);
  }
  const outer = sizeOf(a.shape.slice(0, d));
  const n = a.shape[d]!;
  const inner = sizeOf(a.shape.slice(d + 1));
  const out = new BigUint64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < n; t++) {
      const base = (o * n + t) * inner;
      for (let i = 0; i < inner; i++) out[o * inner + i] = BigInt.asUintN(64, out[o * inner + i]! + a.values[base + i]!);
    }
  }
  return { values: out, shape: a.shape.filter((_, k) => k !== d) };
}

/** a + p, where the public p has a's shape or is a scalar. */
export function ringAddPublic(a: RingTensor, p: RingTensor): RingTensor {
  if (p.values.length === 1 && a.values.length !== 1) {
    const k = p.values[0]!;
    const out = new BigUint64Array(a.values.length);
    for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, a.values[i]! + k);
    return { values: out, shape: a.shape };
  }
  return ringAdd(a, p);
}

/** a · p, where the public p has a's shape or is a scalar. */
export function ringMulPublic(a: RingTensor, p: RingTensor): RingTensor {
  return p.values.length === 1 && a.values.length !== 1 ? ringScale(a, p.values[0]!) : ringMul(a, p);
}
