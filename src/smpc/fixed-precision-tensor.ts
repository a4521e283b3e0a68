/**
 * A tensor of real numbers encoded in fixed point over Z_2^64 (PySyft's
 * FixedPrecisionTensor, CrypTen's encoder): `x.fixPrecision()` makes one,
 * `.floatPrecision()` turns it back into a float32 tf.Tensor, `.share(...)`
 * (added by the client, src/client/verbs.ts) splits it among workers.
 * Arithmetic here is local and exact in the ring; products are truncated back
 * to the tensor's precision.
 */
import * as tf from '@tensorflow/tfjs-core';
import { inspect } from 'node:util';
import { InvalidArgumentError, SharesNotCompatibleError } from '../core/errors.js';
import { decodeScaled, encodeScaled, type FixedPrecisionOptions, scaleOf, truncateScaled } from '../core/ring/fixed-precision.js';
import { ringAddPublic, ringMulPublic, ringNeg, ringReshape, ringSub, ringSumAxis, type RingTensor, ringTranspose } from '../core/ring/ring.js';
import { ringMatMulWasm } from '../core/ring/ring-matmul-wasm.js';

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

  add(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    return this.#with(ringAddPublic(this.ring, this.#operand(other, 'add')));
  }

  sub(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    const o = this.#operand(other, 'sub');
    return this.#with(o.values.length === this.size ? ringSub(this.ring, o) : ringAddPublic(this.ring, ringNeg(o)));
  }

  neg(): FixedPrecisionTensor {
    return this.#with(ringNeg(this.ring));
  }

  /** Element-wise product, truncated back to this precision. */
  mul(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    return this.#with(truncateScaled(ringMulPublic(this.ring, this.#operand(other, 'mul')), this.scale));
  }

  matMul(other: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor {
    const o = this.#operand(other, 'matMul');
    return this.#with(truncateScaled(ringMatMulWasm(this.ring, o), this.scale));
  }

  sum(axis?: number): FixedPrecisionTensor {
    return this.#with(ringSumAxis(this.ring, axis));
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

