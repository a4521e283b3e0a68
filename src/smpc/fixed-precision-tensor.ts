/**
 * A tensor of real numbers encoded in fixed point over Z_2^64 (PySyft's
 * FixedPrecisionTensor, CrypTen's encoder): `x.fixPrecision()` makes one,
 * `.floatPrecision()` turns it back into a float32 tf.Tensor, `.share(...)`
 * (added by the client, src/client/verbs.ts) splits it among workers.
 *
 * Representable range, with `scale` = 2^precisionFractional (or
 * 10^precisionFractional for base 10): every value, and every result of an op,
 * has |x| < 2^62 / scale, that is |x·scale| < 2^62: 2^46 ≈ 7.04e13 at the
 * default 16 fractional bits, 2^38 ≈ 2.7e11 at 24, 2^62 for integers.
 * Arithmetic here is local and exact: add, sub, mul, matMul and sum compute
 * the true result (products in 128-bit BigInt where the 64-bit ring could
 * wrap, truncated down to the tensor's precision) and throw
 * FixedPrecisionOverflowError (code FIXED_PRECISION_OVERFLOW) naming the op
 * when it leaves that range; they never wrap around silently. A float bound
 * proves most elements safe, so the common case pays no BigInt pass.
 *
 * Shared (AdditiveSharingTensor) products have a smaller range, |x·y| < 2^62 / scale²
 * (2^30 at 16 bits), and nothing checks it there: see additive-sharing-tensor.ts.
 * A computation that runs here may therefore still overflow once shared.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { InvalidArgumentError, SharesNotCompatibleError } from '../core/errors.js';
import {
  decodeScaled,
  encodeScaled,
  fixedAdd,
  fixedMatMul,
  fixedMul,
  fixedSum,
  type FixedPrecisionOptions,
  scaleOf,
} from '../core/ring/fixed-precision.js';
import { ringNeg, ringReshape, type RingTensor, ringTranspose } from '../core/ring/ring.js';

/** The encoding of a fixed-point tensor: fractional digits in a base. */
export interface Precision {
  readonly base: 2 | 10;
  readonly precisionFractional: number;
}

export function precisionOf(options: FixedPrecisionOptions = {}): Precision {
  const precision = { base: options.base ?? 2, precisionFractional: options.precisionFractional ?? 16 } as const;
  scaleOf(precision); // validates
  return precision;
}

/** Anything with values and a shape that can be encoded: tf tensors, syft tensors, numbers, arrays. */
export type PlainValue = tf.Tensor | { readonly tensor: tf.Tensor } | number | readonly number[];

export function plainToTensor(value: PlainValue): tf.Tensor {
  if (value instanceof tf.Tensor) return value;
  if (typeof value === 'number' || Array.isArray(value)) return tf.tensor(value as number | number[]);
  if (typeof value === 'object' && value !== null && 'tensor' in value && value.tensor instanceof tf.Tensor) return value.tensor;
  throw new InvalidArgumentError('expected a tf.Tensor, a syft tensor, a number or an array of numbers.');
}

export class FixedPrecisionTensor {
  readonly ring: RingTensor;
  readonly precision: Precision;
  readonly scale: bigint;

  constructor(ring: RingTensor, precision: Precision) {
    this.ring = ring;
    this.precision = precision;
    this.scale = scaleOf(precision);
  }

  /** Encodes real values (throws FixedPrecisionOverflowError for values the ring cannot hold). */
  static encode(value: PlainValue, options: FixedPrecisionOptions = {}): FixedPrecisionTensor {
    const precision = precisionOf(options);
    const t = plainToTensor(value);
    return new FixedPrecisionTensor(encodeScaled(t.dataSync(), t.shape, scaleOf(precision)), precision);
  }

  get shape(): readonly number[] {
    return this.ring.shape;
  }

  get size(): number {
    return this.ring.values.length;
  }

  /** The real values, as float32 (PySyft's float_precision()). */
  floatPrecision(): tf.Tensor {
    return tf.tensor(Float32Array.from(decodeScaled(this.ring, this.scale)), [...this.shape]);
  }

  /** The real values in full (float64) precision. */
  toFloat64(): Float64Array {
    return decodeScaled(this.ring, this.scale);
  }

  /** Element-wise sum with a tensor of this shape or a single value; throws FIXED_PRECISION_OVERFLOW out of range. */
  add(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    return this.#with(fixedAdd(this.ring, this.#operand(other, 'add'), 1, this.scale, 'add'));
  }

  sub(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    return this.#with(fixedAdd(this.ring, this.#operand(other, 'sub'), -1, this.scale, 'sub'));
  }

  neg(): FixedPrecisionTensor {
    return this.#with(ringNeg(this.ring));
  }

  /**
   * Element-wise product (with a tensor of this shape or a single value),
   * rounded down to this precision: exact, or FIXED_PRECISION_OVERFLOW when the
   * product leaves the range (2^20 · 2^20 = 2^40 fits at 16 bits; 2^23 · 2^23 does not).
   */
  mul(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    return this.#with(fixedMul(this.ring, this.#operand(other, 'mul'), this.scale, 'mul'));
  }

  /** [m, k]·[k, n], each entry's exact sum rounded down; FIXED_PRECISION_OVERFLOW when an entry leaves the range. */
  matMul(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    return this.#with(fixedMatMul(this.ring, this.#operand(other, 'matMul'), this.scale, 'matMul'));
  }

  /** Sum along an axis (all of them when left out); FIXED_PRECISION_OVERFLOW when a sum leaves the range. */
  sum(axis?: number): FixedPrecisionTensor {
    return this.#with(fixedSum(this.ring, axis, this.scale, 'sum'));
  }

  reshape(shape: readonly number[]): FixedPrecisionTensor {
    return this.#with(ringReshape(this.ring, shape));
  }

  transpose(perm?: readonly number[]): FixedPrecisionTensor {
    return this.#with(ringTranspose(this.ring, perm));
  }

  toString(): string {
    const values = Array.from(this.toFloat64().subarray(0, 8), (v) => String(Math.round(v * 1e4) / 1e4));
    return `FixedPrecisionTensor>[${values.join(', ')}${this.size > 8 ? ', …' : ''}] (${this.#precisionText()})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #precisionText(): string {
    return `${this.precision.precisionFractional} fractional ${this.precision.base === 2 ? 'bits' : 'decimal digits'}`;
  }

  #with(ring: RingTensor): FixedPrecisionTensor {
    return new FixedPrecisionTensor(ring, this.precision);
  }

  #operand(other: FixedPrecisionTensor | PlainValue, op: string): RingTensor {
    if (other instanceof FixedPrecisionTensor) {
      if (other.scale !== this.scale) {
        throw new SharesNotCompatibleError(op, `precisions differ (${this.#precisionText()} and ${other.#precisionText()}); encode both alike.`);
      }
      return other.ring;
    }
    return FixedPrecisionTensor.encode(other, this.precision).ring;
  }
}

export function fixPrecision(value: PlainValue, options: FixedPrecisionOptions = {}): FixedPrecisionTensor {
  return FixedPrecisionTensor.encode(value, options);
}

