/**
 * Fixed-point encoding of real numbers into Z_2^64 (CrypTen's default: 16
 * fractional bits). x is stored as round(x · 2^f) in two's complement, so
 * negative values wrap to the top of the ring and addition needs no special
 * case. A product of two encodings carries 2f fractional bits and is
 * truncated back by an arithmetic shift of its signed value.
 *
 * The representable range: every encoding v = round(x · scale) has
 * |v| < 2^62, so |x| < 2^62 / scale (2^46 ≈ 7.04e13 at 16 fractional bits).
 * The two bits left in the word are the truncation protocol's headroom: on
 * shares it needs x + 2^62 in [0, 2^63).
 *
 * The checked ops below (fixedAdd, fixedMul, fixedMatMul, fixedSum) are the
 * arithmetic of values the caller holds: they give the exact result, rounded
 * down to the scale, or throw FixedPrecisionOverflowError when it leaves the
 * range, whatever the ring's wrap-around would have made of it. Shares cannot
 * be checked like this (their values are unknown), so ring.ts and ring-ops.ts
 * stay modular arithmetic.
 */
import { FixedPrecisionOverflowError, InvalidArgumentError } from '../errors.js';
import { type RingTensor, ringSumAxis, sizeOf } from './ring.js';
import { ringMatMulWasm } from './ring-matmul-wasm.js';

export interface FixedPrecisionOptions {
  /** Fractional digits in `base` (default 16 bits). */
  readonly precisionFractional?: number;
  /** 2 (bits, default) or 10 (decimal digits, as PySyft 0.2's base-10 scale 1000). */
  readonly base?: 2 | 10;
}

/** |x · scale| must stay below 2^62: for every encoding and every result of a checked op. */
export const MAX_MAGNITUDE_BITS = 62;

const LIMIT = 1n << BigInt(MAX_MAGNITUDE_BITS);
const LIMIT_FLOAT = 2 ** MAX_MAGNITUDE_BITS;
/**
 * Float bounds are off by their rounding: under 2^-22 relative for sums of up
 * to 2^30 terms. A bound within 2^-20 of a limit is settled in BigInt instead.
 */
const MARGIN = 1 - 2 ** -20;

export function scaleOf(options: FixedPrecisionOptions = {}): bigint {
  const base = options.base ?? 2;
  const digits = options.precisionFractional ?? 16;
  if (!(Number.isInteger(digits) && digits >= 0 && (base === 2 ? digits <= 40 : digits <= 12))) {
    throw new InvalidArgumentError(`fixPrecision: precisionFractional must be an integer in 0..${base === 2 ? 40 : 12} for base ${base}, got ${digits}.`);
  }
  return BigInt(base) ** BigInt(digits);
}

/** The bounds of one precision, in real units (both exclusive). */
export interface RepresentableRange {
  /** Every value, and every result of an op: |x| < 2^62 / scale. */
  readonly value: number;
  /**
   * A product on shares before truncation (mul and matMul of two shared
   * tensors, or of a shared tensor and a public non-integer): |x·y| < 2^62 / scale²
   * (for matMul, each |Σ_k x_ik·y_kj|). Beyond it the shared result is wrong.
   */
  readonly sharedProduct: number;
}

export function representableRange(options: FixedPrecisionOptions = {}): RepresentableRange {
  const scale = Number(scaleOf(options));
  return { value: LIMIT_FLOAT / scale, sharedProduct: LIMIT_FLOAT / scale / scale };
}

export function encodeFixed(values: ArrayLike<number>, shape: readonly number[], options: FixedPrecisionOptions = {}): RingTensor {
  return encodeScaled(values, shape, scaleOf(options));
}

/** round(v · scale) for every value, in two's complement; refuses values the ring cannot hold. */
export function encodeScaled(values: ArrayLike<number>, shape: readonly number[], scale: bigint): RingTensor {
  const factor = Number(scale);
  const limit = LIMIT_FLOAT / factor;
  const out = new BigUint64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) {
    const v = values[i]!;
    if (!(Math.abs(v) < limit)) throw new FixedPrecisionOverflowError(v, limit);
    out[i] = BigInt.asUintN(64, BigInt(Math.round(v * factor)));
  }
  return { values: out, shape: [...shape] };
}

export function decodeFixed(t: RingTensor, options: FixedPrecisionOptions = {}): Float64Array {
  return decodeScaled(t, scaleOf(options));
}

export function decodeScaled(t: RingTensor, scale: bigint): Float64Array {
  const factor = Number(scale);
  const out = new Float64Array(t.values.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(BigInt.asIntN(64, t.values[i]!)) / factor;
  return out;
}

// ---------------------------------------------------------------------------
// 64-bit words as 32-bit halves: integer and float arithmetic that V8 runs natively

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** Where each 32-bit half of a 64-bit word lies, in words. */
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

/**
 * Signed ring values read as float64s from their 32-bit halves: value i is
 * hi[2i + HI]·2^32 + lo[2i + LO], one rounding (relative error 2^-53), where
 * Number(BigInt.asIntN(64, v)) costs about 20x more.
 */
interface Halves {
  readonly lo: Uint32Array;
  readonly hi: Int32Array;
}

function halves(values: BigUint64Array): Halves {
  return {
    lo: new Uint32Array(values.buffer, values.byteOffset, values.length * 2),
    hi: new Int32Array(values.buffer, values.byteOffset, values.length * 2),
  };
}

function approxSigned(values: BigUint64Array): Float64Array {
  const { lo, hi } = halves(values);
  const out = new Float64Array(values.length);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = hi[j + HI]! * 4294967296 + lo[j + LO]!;
  return out;
}

/** max |v| over the signed values, as a float (relative error 2^-53). */
function maxAbs(values: BigUint64Array): number {
  const { lo, hi } = halves(values);
  let max = 0;
  for (let j = 0; j < lo.length; j += 2) {
    const v = Math.abs(hi[j + HI]! * 4294967296 + lo[j + LO]!);
    if (v > max) max = v;
  }
  return max;
}

/** Divides every (signed) value by the scale, rounding toward -∞: the truncation after a fixed-point product. */
export function truncateFixed(t: RingTensor, options: FixedPrecisionOptions = {}): RingTensor {
  return truncateScaled(t, scaleOf(options));
}

function truncateScaled(t: RingTensor, scale: bigint): RingTensor {
  const out = t.values.slice();
  divideFloor(out, scale);
  return { values: out, shape: t.shape };
}

/** BigInt division truncates toward zero; floor keeps negatives consistent with a shift. */
function floorDiv(p: bigint, scale: bigint): bigint {
  const q = p / scale;
  return p < 0n && q * scale !== p ? q - 1n : q;
}

/** log2 of a power-of-two scale (a shift then divides), undefined for base 10. */
function shiftOf(scale: bigint): number | undefined {
  return (scale & (scale - 1n)) === 0n ? scale.toString(2).length - 1 : undefined;
}

/**
 * Rounds every signed value down to a multiple of `scale` and divides, in
 * place. A power of two shifts the 32-bit halves: V8 keeps `v >> 16n` on its
 * machine-word path but not `v >> bits` for a variable `bits` (30 ms against
 * 7 ms per million values), and BigInt division is slower still.
 */
function divideFloor(values: BigUint64Array, scale: bigint): void {
  const bits = shiftOf(scale);
  if (bits === undefined) {
    for (let i = 0; i < values.length; i++) values[i] = BigInt.asUintN(64, floorDiv(BigInt.asIntN(64, values[i]!), scale));
    return;
  }
  if (bits === 0) return;
  const { lo, hi } = halves(values);
  if (bits < 32) {
    for (let j = 0; j < lo.length; j += 2) {
      const h = hi[j + HI]!;
      lo[j + LO] = (lo[j + LO]! >>> bits) | (h << (32 - bits));
      hi[j + HI] = h >> bits;
    }
  } else {
    for (let j = 0; j < lo.length; j += 2) {
      const h = hi[j + HI]!;
      lo[j + LO] = h >> (bits - 32);
      hi[j + HI] = h >> 31;
    }
  }
}

// ---------------------------------------------------------------------------
// Overflow errors

function describeScale(scale: bigint): { readonly name: string; readonly power: string } {
  const bits = shiftOf(scale);
  if (scale === 1n) return { name: '0 fractional digits (integers)', power: '1' };
  if (bits !== undefined) return { name: `${bits} fractional bits`, power: `2^${bits}` };
  const digits = scale.toString().length - 1;
  return { name: `${digits} fractional decimal digits`, power: `10^${digits}` };
}

function magnitudeText(m: number): string {
  return m === 0 ? '0' : `${m.toPrecision(4)} ≈ 2^${Math.log2(m).toFixed(2)}`;
}

/**
 * FixedPrecisionOverflowError for an op's result rather than an encoded input:
 * it names the op and what overflowed (errors.ts's constructor speaks of
 * encoding only). Same code and class for callers: FIXED_PRECISION_OVERFLOW,
 * `instanceof FixedPrecisionOverflowError`.
 */
export class FixedPrecisionOpOverflowError extends FixedPrecisionOverflowError {
  /** The op that overflowed, as the caller named it (`mul`, `matMul`, `sum`, …). */
  readonly op: string;
  /** |offending value| in real units. */
  readonly magnitude: number;
  /** The exclusive bound it broke, in real units. */
  readonly limit: number;

  /**
   * @param what      the value that overflowed ("a product", "the product before truncation", …)
   * @param raw       that value as a ring integer of scale `rawScale` (scale for a result, scale² for a product before truncation)
   */
  constructor(op: string, what: string, raw: bigint, rawScale: bigint, scale: bigint, context = '') {
    const magnitude = Number(raw < 0n ? -raw : raw) / Number(rawScale);
    const limit = LIMIT_FLOAT / Number(rawScale);
    super(magnitude, limit);
    // One public name, whichever class built it.
    this.name = 'FixedPrecisionOverflowError';
    this.op = op;
    this.magnitude = magnitude;
    this.limit = limit;
    const power = describeScale(rawScale).power;
    const encoded = `${rawScale === scale ? '|x' : '|x·y'}${power === '1' ? '' : `·${power}`}| < 2^62`;
    this.message =
      `${op}: ${what} has magnitude ${magnitudeText(magnitude)}, outside the representable range ±${magnitudeText(limit)} ` +
      `at ${describeScale(scale).name} (${encoded})${context}. Rescale the data (divide it by a constant before ` +
      `fixPrecision() and multiply the result back)${scale === 1n ? '' : ' or use fewer fractional bits (precisionFractional)'}.`;
  }
}

// ---------------------------------------------------------------------------
// Checked arithmetic of values held by the caller

/** How two operands meet element-wise: equal shapes, or one of them a single value (stride 0). */
function pairing(op: string, a: RingTensor, b: RingTensor): { shape: readonly number[]; n: number; sa: number; sb: number } {
  const [na, nb] = [a.values.length, b.values.length];
  if (a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])) return { shape: a.shape, n: na, sa: 1, sb: 1 };
  if (nb === 1 && b.shape.length <= a.shape.length) return { shape: a.shape, n: na, sa: 1, sb: 0 };
  if (na === 1 && a.shape.length <= b.shape.length) return { shape: b.shape, n: nb, sa: 0, sb: 1 };
  throw new InvalidArgumentError(`${op}: shapes [${a.shape}] and [${b.shape}] differ; fixed-point ops take equal shapes or a single value.`);
}

function checkResult(op: string, what: string, value: bigint, scale: bigint): bigint {
  if (value >= LIMIT || value <= -LIMIT) throw new FixedPrecisionOpOverflowError(op, what, value, scale, scale);
  return value;
}

/**
 * Indices i where the float product |a_i·b_i| is not proven below `bound`
 * (usually none): the elements to settle in BigInt.
 */
function unprovenProducts(a: BigUint64Array, b: BigUint64Array, n: number, sa: number, sb: number, bound: number): number[] {
  const { lo: xl, hi: xh } = halves(a);
  const { lo: yl, hi: yh } = halves(b);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const jx = 2 * i * sa;
    const jy = 2 * i * sb;
    const p = (xh[jx + HI]! * 4294967296 + xl[jx + LO]!) * (yh[jy + HI]! * 4294967296 + yl[jy + LO]!);
    if (!(p < bound && p > -bound)) out.push(i);
  }
  return out;
}

/**
 * Bounds from the high halves alone, |v| < (|hi| + 1)·2^32: integer reads, no
 * float conversion, and loose by 2^33 at most, so enough for sums.
 * (|hi| + 1 is measured in units of 2^32; the range is 2^30 of them.)
 */
const HIGH_LIMIT = LIMIT_FLOAT / 2 ** 32;

/** Indices i where |a_i| + |b_i| is not proven below 2^62 by the high halves. */
function unprovenSums(a: BigUint64Array, b: BigUint64Array, n: number, sa: number, sb: number): number[] {
  const xh = halves(a).hi;
  const yh = halves(b).hi;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!(Math.abs(xh[2 * i * sa + HI]!) + Math.abs(yh[2 * i * sb + HI]!) + 2 < HIGH_LIMIT)) out.push(i);
  }
  return out;
}

/** max |hi| + 1 over all values: every |v| is below it times 2^32. */
function highBound(values: BigUint64Array): number {
  const hi = halves(values).hi;
  let max = 0;
  for (let j = HI; j < hi.length; j += 2) {
    const h = Math.abs(hi[j]!);
    if (h > max) max = h;
  }
  return max + 1;
}

/**
 * a + b (sign 1) or a - b (sign -1), exactly: either may be a single value.
 * |a| + |b| below 2^62 (from the high halves) proves the ring sum is the true
 * sum, in range; other elements are summed in BigInt and checked.
 */
export function fixedAdd(a: RingTensor, b: RingTensor, sign: 1 | -1, scale: bigint, op = sign === 1 ? 'add' : 'sub'): RingTensor {
  const { shape, n, sa, sb } = pairing(op, a, b);
  const [x, y] = [a.values, b.values];
  const out = new BigUint64Array(n);
  if (sign === 1) for (let i = 0; i < n; i++) out[i] = BigInt.asUintN(64, x[i * sa]! + y[i * sb]!);
  else for (let i = 0; i < n; i++) out[i] = BigInt.asUintN(64, x[i * sa]! - y[i * sb]!);
  for (const i of unprovenSums(x, y, n, sa, sb)) {
    const exact = BigInt.asIntN(64, x[i * sa]!) + BigInt(sign) * BigInt.asIntN(64, y[i * sb]!);
    // In range, the ring's value already is the exact one.
    checkResult(op, sign === 1 ? 'a sum' : 'a difference', exact, scale);
  }
  return { values: out, shape };
}

/**
 * The fixed-point product floor(a·b / scale), element-wise (either may be a
 * single value), exactly. Where the float product proves |a·b| < 2^63 (no wrap)
 * and the result in range, the ring product is divided; elsewhere the product
 * is taken in BigInt (128 bits), divided, and checked.
 */
export function fixedMul(a: RingTensor, b: RingTensor, scale: bigint, op = 'mul'): RingTensor {
  const { shape, n, sa, sb } = pairing(op, a, b);
  const [x, y] = [a.values, b.values];
  // The common case: the ring product, then the division, in branch-free loops
  // (BigInt comparisons leave V8's machine-word path).
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) out[i] = BigInt.asUintN(64, x[i * sa]! * y[i * sb]!);
  divideFloor(out, scale);
  for (const i of unprovenProducts(x, y, n, sa, sb, Math.min(2 ** 63, LIMIT_FLOAT * Number(scale)) * MARGIN)) {
    const exact = floorDiv(BigInt.asIntN(64, x[i * sa]!) * BigInt.asIntN(64, y[i * sb]!), scale);
    out[i] = BigInt.asUintN(64, checkResult(op, 'a product', exact, scale));
  }
  return { values: out, shape };
}

/**
 * [m, k]·[k, n] in fixed point, floor(Σ_t a_it·b_tj / scale), exactly. The ring
 * kernel's sum mod 2^64 is the true sum when |Σ| < 2^63; a float bound per
 * entry, min(‖a_i‖₁·max_t|b_tj|, max_t|a_it|·‖b_j‖₁), proves that (and the range)
 * for almost every entry in O(mk + kn + mn). Other entries are summed in BigInt
 * and checked: only the final sum counts, so partial sums may pass the limit.
 */
export function fixedMatMul(a: RingTensor, b: RingTensor, scale: bigint, op = 'matMul'): RingTensor {
  const wrapped = ringMatMulWasm(a, b);
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const bound = Math.min(2 ** 63, LIMIT_FLOAT * Number(scale)) * MARGIN;
  const out = wrapped.values;
  divideFloor(out, scale);
  // k·max|a|·max|b| settles the usual case without the per-entry bounds.
  if (k * maxAbs(a.values) * maxAbs(b.values) < bound) return { values: out, shape: [m, n] };
  const [fa, fb] = [approxSigned(a.values), approxSigned(b.values)];
  const [rowL1, rowMax] = [new Float64Array(m), new Float64Array(m)];
  const [colL1, colMax] = [new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) {
      const v = Math.abs(fa[i * k + t]!);
      rowL1[i]! += v;
      if (v > rowMax[i]!) rowMax[i] = v;
    }
  }
  for (let t = 0; t < k; t++) {
    for (let j = 0; j < n; j++) {
      const v = Math.abs(fb[t * n + j]!);
      colL1[j]! += v;
      if (v > colMax[j]!) colMax[j] = v;
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (Math.min(rowL1[i]! * colMax[j]!, rowMax[i]! * colL1[j]!) < bound) continue;
      let sum = 0n;
      for (let t = 0; t < k; t++) sum += BigInt.asIntN(64, a.values[i * k + t]!) * BigInt.asIntN(64, b.values[t * n + j]!);
      out[i * n + j] = BigInt.asUintN(64, checkResult(op, 'an entry of the product', floorDiv(sum, scale), scale));
    }
  }
  return { values: out, shape: [m, n] };
}

/** The reduction of ring.ts's ringSumAxis: `outer` blocks of `n` summed terms of `inner` values each. */
function reduction(shape: readonly number[], axis: number | undefined): { outer: number; n: number; inner: number } {
  if (axis === undefined) return { outer: 1, n: sizeOf(shape), inner: 1 };
  const d = axis < 0 ? axis + shape.length : axis;
  return { outer: sizeOf(shape.slice(0, d)), n: shape[d]!, inner: sizeOf(shape.slice(d + 1)) };
}

/**
 * Sum along an axis (all of them when left out), exactly: n·max|v| or else a
 * float bound Σ|v| per output proves most of them; the rest are summed in
 * BigInt and checked.
 */
export function fixedSum(a: RingTensor, axis: number | undefined, scale: bigint, op = 'sum'): RingTensor {
  // Validates the axis, and is the true sum wherever that is in range.
  const wrapped = ringSumAxis(a, axis);
  const { outer, n, inner } = reduction(a.shape, axis);
  // n terms each below highBound·2^32: usually enough, in one pass of integer reads.
  if (n * highBound(a.values) < HIGH_LIMIT) return wrapped;
  const fa = approxSigned(a.values);
  const bounds = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < n; t++) {
      const base = (o * n + t) * inner;
      for (let i = 0; i < inner; i++) bounds[o * inner + i]! += Math.abs(fa[base + i]!);
    }
  }
  const limit = LIMIT_FLOAT * MARGIN;
  for (let e = 0; e < bounds.length; e++) {
    if (bounds[e]! < limit) continue;
    const [o, i] = [Math.floor(e / inner), e % inner];
    let sum = 0n;
    for (let t = 0; t < n; t++) sum += BigInt.asIntN(64, a.values[(o * n + t) * inner + i]!);
    checkResult(op, 'a sum', sum, scale);
  }
  return wrapped;
}

/**
 * The fixed-point quotient floor(a·scale / b), element-wise (either may be a
 * single value), exactly, in BigInt; a zero divisor or a quotient out of range
 * throws. Local values only: on shares a division by a shared value is not linear.
 */
export function fixedDiv(a: RingTensor, b: RingTensor, scale: bigint, op = 'div'): RingTensor {
  const { shape, n, sa, sb } = pairing(op, a, b);
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    const d = BigInt.asIntN(64, b.values[i * sb]!);
    if (d === 0n) throw new InvalidArgumentError(`${op}: division by zero (element ${i} of the divisor).`);
    out[i] = BigInt.asUintN(64, checkResult(op, 'a quotient', floorDiv(BigInt.asIntN(64, a.values[i * sa]!) * scale, d), scale));
  }
  return { values: out, shape };
}

/**
 * a mod b with the sign of b (tf.mod's floored modulo), element-wise on the
 * encodings: both carry the same scale, so the remainder does too.
 */
export function fixedMod(a: RingTensor, b: RingTensor, op = 'mod'): RingTensor {
  const { shape, n, sa, sb } = pairing(op, a, b);
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    const m = BigInt.asIntN(64, b.values[i * sb]!);
    if (m === 0n) throw new InvalidArgumentError(`${op}: modulo zero (element ${i} of the divisor).`);
    const r = BigInt.asIntN(64, a.values[i * sa]!) % m;
    out[i] = BigInt.asUintN(64, r !== 0n && r < 0n !== m < 0n ? r + m : r);
  }
  return { values: out, shape };
}

// ---------------------------------------------------------------------------
// Exact results of ops on shares, for the test-only overflow check (values opened at the caller)

/**
 * The largest |raw result| of an op, computed in BigInt from opened values:
 * element-wise `add`/`sub`/`mul` (either operand may be a single value),
 * `matMul`, or `sum` along `axis`. Raw: before any truncation.
 */
export function largestExact(
  kind: 'add' | 'sub' | 'mul' | 'matMul' | 'sum',
  a: RingTensor,
  b?: RingTensor,
  axis?: number,
): bigint {
  const signed = (v: bigint) => BigInt.asIntN(64, v);
  let largest = 0n;
  const see = (v: bigint) => {
    if (v > largest) largest = v;
    else if (-v > largest) largest = -v;
  };
  if (kind === 'sum') {
    const { outer, n, inner } = reduction(a.shape, axis);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let sum = 0n;
        for (let t = 0; t < n; t++) sum += signed(a.values[(o * n + t) * inner + i]!);
        see(sum);
      }
    }
    return largest;
  }
  if (b === undefined) throw new InvalidArgumentError(`largestExact: ${kind} needs two operands.`);
  if (kind === 'matMul') {
    const [m, k] = a.shape as [number, number];
    const n = b.shape[1]!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0n;
        for (let t = 0; t < k; t++) sum += signed(a.values[i * k + t]!) * signed(b.values[t * n + j]!);
        see(sum);
      }
    }
    return largest;
  }
  const { n, sa, sb } = pairing(kind, a, b);
  for (let i = 0; i < n; i++) {
    const [x, y] = [signed(a.values[i * sa]!), signed(b.values[i * sb]!)];
    see(kind === 'add' ? x + y : kind === 'sub' ? x - y : x * y);
  }
  return largest;
}

/** Whether a raw value is outside the range (|v| ≥ 2^62), for callers holding opened values. */
export function outOfRange(raw: bigint): boolean {
  return raw >= LIMIT || raw <= -LIMIT;
}
