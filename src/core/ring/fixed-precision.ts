/**
 * Fixed-point encoding of real numbers into Z_2^64 (CrypTen's default: 16
 * fractional bits). x is stored as round(x · 2^f) in two's complement, so
 * negative values wrap to the top of the ring and addition needs no special
 * case. A product of two encodings carries 2f fractional bits and is
 * truncated back by an arithmetic shift of its signed value.
 */
import { FixedPrecisionOverflowError, InvalidArgumentError } from '../errors.js';
import { type RingTensor, sizeOf } from './ring.js';

export interface FixedPrecisionOptions {
  /** Fractional digits in `base` (default 16 bits). */
  readonly precisionFractional?: number;
  /** 2 (bits, default) or 10 (decimal digits, as PySyft 0.2's base-10 scale 1000). */
  readonly base?: 2 | 10;
}

/** |x · scale| must stay below 2^62, so a sum of a few encodings and the sign keep room in 64 bits. */
export const MAX_MAGNITUDE_BITS = 62;

export function scaleOf(options: FixedPrecisionOptions = {}): bigint {
  const base = options.base ?? 2;
  const digits = options.precisionFractional ?? 16;
  if (!(Number.isInteger(digits) && digits >= 0 && (base === 2 ? digits <= 40 : digits <= 12))) {
    throw new InvalidArgumentError(`fixPrecision: precisionFractional must be an integer in 0..${base === 2 ? 40 : 12} for base ${base}, got ${digits}.`);
  }
  return BigInt(base) ** BigInt(digits);
}

export function encodeFixed(values: ArrayLike<number>, shape: readonly number[], options: FixedPrecisionOptions = {}): RingTensor {
  return encodeScaled(values, shape, scaleOf(options));
}

/** round(v · scale) for every value, in two's complement; refuses values the ring cannot hold. */
export function encodeScaled(values: ArrayLike<number>, shape: readonly number[], scale: bigint): RingTensor {
  const factor = Number(scale);
  const limit = 2 ** MAX_MAGNITUDE_BITS / factor;
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

/** Divides every (signed) value by the scale, rounding toward -∞: the truncation after a fixed-point product. */
export function truncateFixed(t: RingTensor, options: FixedPrecisionOptions = {}): RingTensor {
  return truncateScaled(t, scaleOf(options));
}

export function truncateScaled(t: RingTensor, scale: bigint): RingTensor {
  const out = new BigUint64Array(t.values.length);
  for (let i = 0; i < out.length; i++) {
    const signed = BigInt.asIntN(64, t.values[i]!);
    // BigInt division truncates toward zero; floor keeps negatives consistent with a shift.
    const q = signed / scale;
    out[i] = BigInt.asUintN(64, signed < 0n && q * scale !== signed ? q - 1n : q);
  }
  return { values: out, shape: t.shape };
}
