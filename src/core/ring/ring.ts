/**
 * Tensors over the ring Z_2^64: values in a BigUint64Array (which transfers
 * between threads without a copy and survives structured clone). Every
 * element-wise result goes through BigInt.asUintN(64, …), which V8 compiles to
 * native 64-bit arithmetic instead of arbitrary-precision BigInt math.
 */
import { InvalidArgumentError } from '../errors.js';
import { elementwiseWasm } from './ring-elementwise-wasm.js';

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
  return { values: elementwiseWasm('add', a.values, b.values), shape: a.shape };
}

export function ringSub(a: RingTensor, b: RingTensor): RingTensor {
  sameShape('sub', a, b);
  return { values: elementwiseWasm('sub', a.values, b.values), shape: a.shape };
}

export function ringNeg(a: RingTensor): RingTensor {
  const x = a.values;
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, -x[i]!);
  return { values: out, shape: a.shape };
}

export function ringMul(a: RingTensor, b: RingTensor): RingTensor {
  sameShape('mul', a, b);
  return { values: elementwiseWasm('mul', a.values, b.values), shape: a.shape };
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
  return { values: gather(a.values, shape, p.map((d) => inStrides[d]!)), shape };
}

/** The values read at offset Σ index[d]·steps[d] for each index of `shape`, in order (a strided view, copied). */
function gather(values: BigUint64Array, shape: readonly number[], steps: readonly number[]): BigUint64Array {
  const rank = shape.length;
  const out = new BigUint64Array(sizeOf(shape));
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = values[from]!;
    // Odometer over the output's index, tracking the input offset incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      from += steps[d]!;
      if (index[d]! < shape[d]!) break;
      from -= steps[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
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

/**
 * The shape two operands broadcast to, by tfjs's (NumPy's) rules: dims are
 * matched from the right, and each pair must be equal or contain a 1.
 */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new InvalidArgumentError(`${op}: shapes [${a}] and [${b}] do not broadcast (dims ${da} and ${db} differ and neither is 1).`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `a` repeated along its size-1 (and missing leading) dims to `shape`, as tf.broadcastTo; `a` itself when already there. */
export function ringBroadcastTo(a: RingTensor, shape: readonly number[]): RingTensor {
  if (sameDims(a.shape, shape)) return a;
  const target = broadcastShapes('broadcastTo', a.shape, shape);
  if (!sameDims(target, shape)) {
    throw new InvalidArgumentError(`ring broadcastTo: [${a.shape}] does not broadcast to [${shape}].`);
  }
  const padded = [...new Array<number>(shape.length - a.shape.length).fill(1), ...a.shape];
  // A broadcast axis steps 0: the same values again.
  const steps = stridesOf(padded).map((s, d) => (padded[d] === 1 ? 0 : s));
  return { values: gather(a.values, shape, steps), shape: [...shape] };
}

/** An element-wise op of two broadcasting operands; a single value on either side takes the scalar loop. */
function broadcastBinary(op: string, a: RingTensor, b: RingTensor, f: (x: bigint, y: bigint) => bigint): RingTensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const n = sizeOf(shape);
  const out = new BigUint64Array(n);
  if (b.values.length === 1 && sameDims(shape, a.shape)) {
    const k = b.values[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a.values[i]!, k);
    return { values: out, shape };
  }
  const [x, y] = [ringBroadcastTo(a, shape).values, ringBroadcastTo(b, shape).values];
  for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[i]!);
  return { values: out, shape };
}

/** a + b with broadcasting (tfjs rules). */
export function ringAddBroadcast(a: RingTensor, b: RingTensor): RingTensor {
  return sameDims(a.shape, b.shape) ? ringAdd(a, b) : broadcastBinary('add', a, b, (x, y) => BigInt.asUintN(64, x + y));
}

/** a - b with broadcasting (tfjs rules). */
export function ringSubBroadcast(a: RingTensor, b: RingTensor): RingTensor {
  return sameDims(a.shape, b.shape) ? ringSub(a, b) : broadcastBinary('sub', a, b, (x, y) => BigInt.asUintN(64, x - y));
}

/** a · b with broadcasting (tfjs rules). */
export function ringMulBroadcast(a: RingTensor, b: RingTensor): RingTensor {
  return sameDims(a.shape, b.shape) ? ringMul(a, b) : broadcastBinary('mul', a, b, (x, y) => BigInt.asUintN(64, x * y));
}

/** Joins tensors along `axis` (negative counts from the end), as tf.concat. */
export function ringConcat(tensors: readonly RingTensor[], axis = 0): RingTensor {
  const first = tensors[0];
  if (first === undefined) throw new InvalidArgumentError('ring concat: needs at least one tensor.');
  const rank = first.shape.length;
  const d = axis < 0 ? axis + rank : axis;
  if (!(Number.isInteger(d) && d >= 0 && d < rank)) {
    throw new InvalidArgumentError(`ring concat: axis ${axis} is out of range for rank ${rank}.`);
  }
  for (const t of tensors) {
    if (t.shape.length !== rank || t.shape.some((n, k) => k !== d && n !== first.shape[k])) {
      throw new InvalidArgumentError(`ring concat: shapes [${first.shape}] and [${t.shape}] differ outside axis ${d}.`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, d));
  const inner = sizeOf(first.shape.slice(d + 1));
  const shape = [...first.shape];
  shape[d] = tensors.reduce((s, t) => s + t.shape[d]!, 0);
  const out = new BigUint64Array(sizeOf(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of tensors) {
      const block = t.shape[d]! * inner;
      out.set(t.values.subarray(o * block, (o + 1) * block), at);
      at += block;
    }
  }
  return { values: out, shape };
}

/** `a` repeated `reps[d]` times along each axis d, as tf.tile. */
export function ringTile(a: RingTensor, reps: readonly number[]): RingTensor {
  if (reps.length !== a.shape.length || reps.some((r) => !(Number.isInteger(r) && r >= 0))) {
    throw new InvalidArgumentError(`ring tile: reps [${reps}] must be ${a.shape.length} non-negative integers for shape [${a.shape}].`);
  }
  if (reps.includes(0)) return { values: new BigUint64Array(0), shape: a.shape.map((n, d) => n * reps[d]!) };
  let t: RingTensor = { values: a.values.slice(), shape: a.shape };
  for (let d = 0; d < reps.length; d++) if (reps[d] !== 1) t = ringConcat(new Array<RingTensor>(reps[d]!).fill(t), d);
  return t;
}

/**
 * Each value reduced modulo a power of two m (as an unsigned word). Since m
 * divides 2^64, shares reduced so still add up to a value congruent to the
 * secret modulo m (PySyft's AdditiveSharingTensor.mod).
 */
export function ringModPowerOfTwo(a: RingTensor, m: bigint): RingTensor {
  if (!(m > 0n && (m & (m - 1n)) === 0n && m <= 1n << 63n)) {
    throw new InvalidArgumentError(`ring mod: the modulus must be a power of two up to 2^63, got ${m}.`);
  }
  const mask = m - 1n;
  const out = new BigUint64Array(a.values.length);
  for (let i = 0; i < out.length; i++) out[i] = a.values[i]! & mask;
  return { values: out, shape: a.shape };
}

/** a + p, where the public p broadcasts with a (tfjs rules). */
export function ringAddPublic(a: RingTensor, p: RingTensor): RingTensor {
  return ringAddBroadcast(a, p);
}

/** a · p, where the public p broadcasts with a (tfjs rules). */
export function ringMulPublic(a: RingTensor, p: RingTensor): RingTensor {
  return ringMulBroadcast(a, p);
}
