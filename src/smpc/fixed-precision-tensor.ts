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
 * It is a tensor to the rest of the API: `sy.add(x, y)`, `sy.matMul`, `sy.sum`,
 * `sy.stack`, ... accept it (src/smpc/smpc-ops.ts), operands broadcast by tfjs's
 * rules, `pow` takes a non-negative integer exponent, and the in-place verbs
 * (`addInPlace`, ...) replace the values held. `dtype` is 'float32' for an
 * encoding with fractional digits and 'int32' for integers (precisionFractional 0).
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
  fixedDiv,
  fixedMatMul,
  fixedMod,
  fixedMul,
  fixedSum,
  type FixedPrecisionOptions,
  scaleOf,
} from '../core/ring/fixed-precision.js';
import {
  ringBroadcastTo,
  ringConcat,
  ringNeg,
  ringReshape,
  ringSlice,
  type RingTensor,
  ringTile,
  ringTranspose,
  sizeOf,
} from '../core/ring/ring.js';
import {
  broadcastShapes,
  concatenatedShape,
  dotPlan,
  expandedShape,
  matMulShape,
  normalizeAxis,
  reducedShape,
  reductionAxes,
  sameDims,
  slicedShape,
  splitSizes,
  squeezedShape,
} from './shapes.js';

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

function plainToTensor(value: PlainValue): tf.Tensor {
  if (value instanceof tf.Tensor) return value;
  if (typeof value === 'number' || Array.isArray(value)) return tf.tensor(value as number | number[]);
  if (typeof value === 'object' && value !== null && 'tensor' in value && value.tensor instanceof tf.Tensor) return value.tensor;
  throw new InvalidArgumentError('expected a tf.Tensor, a syft tensor, a fixed-precision tensor, a number or an array of numbers.');
}

/** The values and shape of a plain value, without leaving a tfjs tensor behind for numbers and arrays. */
export function plainValues(value: PlainValue): { values: ArrayLike<number>; shape: readonly number[] } {
  // Numbers are read as tfjs reads them, as float32, so that sy.fixPrecision([0.1]) and tf.tensor([0.1]).fixPrecision() agree.
  if (typeof value === 'number') return { values: Float32Array.of(value), shape: [] };
  if (Array.isArray(value) && (value as unknown[]).every((v) => typeof v === 'number')) return { values: Float32Array.from(value as readonly number[]), shape: [value.length] };
  if (Array.isArray(value)) {
    const t = tf.tensor(value as number[]);
    const out = { values: t.dataSync() as Float32Array, shape: t.shape };
    t.dispose();
    return out;
  }
  const t = plainToTensor(value);
  return { values: t.dataSync() as ArrayLike<number>, shape: t.shape };
}

/**
 * Implemented by AdditiveSharingTensor: an op of a fixed-precision tensor with
 * a shared operand runs on shares (`fp.add(x_sh)` is `x_sh.add(fp)`). A symbol,
 * so that this module need not import the sharing one.
 */
export const WITH_LOCAL_OPERAND: unique symbol = Symbol('syft-ts.smpc.withLocalOperand');

/** The binary ops whose other side may be shared. */
export type MixedOp = 'add' | 'sub' | 'mul' | 'matMul' | 'dot' | 'div';

export interface SharedOperand {
  [WITH_LOCAL_OPERAND](op: MixedOp, local: FixedPrecisionTensor, localFirst: boolean): unknown;
}

function isSharedOperand(x: unknown): x is SharedOperand {
  return typeof x === 'object' && x !== null && WITH_LOCAL_OPERAND in x;
}

export type FixedOperand = FixedPrecisionTensor | PlainValue;

/**
 * Filled in by the sharing module (declaration merging), so that `fp.add(x_sh)` is typed as a shared tensor.
 * @public
 */
export interface SharedResultTypes {}
type SharedResult = SharedResultTypes extends { readonly shared: infer S } ? S : never;
/** A mixed op's result: shared when the operand is. */
export type MixedResult<O> = O extends SharedOperand ? SharedResult : FixedPrecisionTensor;

export class FixedPrecisionTensor {
  /** The encoded values; the in-place verbs replace it. */
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
    const { values, shape } = plainValues(value);
    return new FixedPrecisionTensor(encodeScaled(values, shape, scaleOf(precision)), precision);
  }

  get shape(): readonly number[] {
    return this.ring.shape;
  }

  get size(): number {
    return this.ring.values.length;
  }

  get rank(): number {
    return this.ring.shape.length;
  }

  /**
   * 'float32' for an encoding with fractional digits, 'int32' for integers
   * (precisionFractional 0, what `tf.tensor(v, s, 'int32').share(...)` holds):
   * the dtype of the values represented. floatPrecision() gives float32 for both, as PySyft's float_prec().
   */
  get dtype(): 'float32' | 'int32' {
    return this.scale === 1n ? 'int32' : 'float32';
  }

  /** The real values, as float32 (PySyft's float_precision()). */
  floatPrecision(): tf.Tensor {
    return tf.tensor(Float32Array.from(decodeScaled(this.ring, this.scale)), [...this.shape]);
  }

  /** The real values in full (float64) precision. */
  toFloat64(): Float64Array {
    return decodeScaled(this.ring, this.scale);
  }

  /** Element-wise sum (operands broadcast); throws FIXED_PRECISION_OVERFLOW out of range. */
  add<O extends FixedOperand | SharedOperand>(other: O): MixedResult<O> {
    if (isSharedOperand(other)) return other[WITH_LOCAL_OPERAND]('add', this, true) as MixedResult<O>;
    const [a, b] = this.#pair(other, 'add');
    return this.#with(fixedAdd(a, b, 1, this.scale, 'add')) as MixedResult<O>;
  }

  sub<O extends FixedOperand | SharedOperand>(other: O): MixedResult<O> {
    if (isSharedOperand(other)) return other[WITH_LOCAL_OPERAND]('sub', this, true) as MixedResult<O>;
    const [a, b] = this.#pair(other, 'sub');
    return this.#with(fixedAdd(a, b, -1, this.scale, 'sub')) as MixedResult<O>;
  }

  neg(): FixedPrecisionTensor {
    return this.#with(ringNeg(this.ring));
  }

  /**
   * Element-wise product (operands broadcast), rounded down to this precision:
   * exact, or FIXED_PRECISION_OVERFLOW when the product leaves the range
   * (2^20 · 2^20 = 2^40 fits at 16 bits; 2^23 · 2^23 does not).
   */
  mul<O extends FixedOperand | SharedOperand>(other: O): MixedResult<O> {
    if (isSharedOperand(other)) return other[WITH_LOCAL_OPERAND]('mul', this, true) as MixedResult<O>;
    const [a, b] = this.#pair(other, 'mul');
    return this.#with(fixedMul(a, b, this.scale, 'mul')) as MixedResult<O>;
  }

  /** Element-wise quotient (operands broadcast), rounded down, exact; a zero divisor throws INVALID_ARGUMENT. */
  div(other: FixedOperand | SharedOperand): FixedPrecisionTensor {
    if (isSharedOperand(other)) return other[WITH_LOCAL_OPERAND]('div', this, true) as never;
    const [a, b] = this.#pair(other, 'div');
    return this.#with(fixedDiv(a, b, this.scale, 'div'));
  }

  /** Floored remainder (the sign of the divisor, as tf.mod), exact. */
  mod(other: FixedOperand): FixedPrecisionTensor {
    const [a, b] = this.#pair(other, 'mod');
    return this.#with(fixedMod(a, b, 'mod'));
  }

  /** x^k for an integer k >= 0, by square-and-multiply of exact products (PySyft's `x ** 3`). */
  pow(exponent: number | FixedOperand): FixedPrecisionTensor {
    const k = integerExponent(exponent);
    let result: FixedPrecisionTensor | undefined;
    let base: FixedPrecisionTensor = this;
    for (let e = k; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = result === undefined ? base : result.mul(base);
      if (e > 1) base = base.mul(base);
    }
    if (result === this) return this.clone();
    // x^0 is one everywhere (the encoding of 1 is the scale).
    return result ?? this.#with({ values: new BigUint64Array(this.size).fill(this.scale), shape: this.shape });
  }

  /** [m, k]·[k, n] (optionally transposed), each entry's exact sum rounded down; FIXED_PRECISION_OVERFLOW out of range. */
  matMul<O extends FixedOperand | SharedOperand>(other: O, transposeA = false, transposeB = false): MixedResult<O> {
    if (isSharedOperand(other)) {
      if (transposeA || transposeB) throw new InvalidArgumentError('matMul: transpose the operands first when one is shared.');
      return other[WITH_LOCAL_OPERAND]('matMul', this, true) as MixedResult<O>;
    }
    const b = this.#operand(other, 'matMul');
    matMulShape(this.shape, b.shape, transposeA, transposeB);
    const left = transposeA ? ringTranspose(this.ring) : this.ring;
    return this.#with(fixedMatMul(left, transposeB ? ringTranspose(b) : b, this.scale, 'matMul')) as MixedResult<O>;
  }

  /** tf.dot: vector·vector (a scalar), matrix·vector, vector·matrix, matrix·matrix. */
  dot<O extends FixedOperand | SharedOperand>(other: O): MixedResult<O> {
    if (isSharedOperand(other)) return other[WITH_LOCAL_OPERAND]('dot', this, true) as MixedResult<O>;
    const b = this.#operand(other, 'dot');
    const plan = dotPlan(this.shape, b.shape);
    const product = fixedMatMul(ringReshape(this.ring, plan.left), ringReshape(b, plan.right), this.scale, 'dot');
    return this.#with(ringReshape(product, plan.result)) as MixedResult<O>;
  }

  /** Sum over an axis, several, or all of them; FIXED_PRECISION_OVERFLOW when a sum leaves the range. */
  sum(axis?: number | readonly number[] | null, keepDims = false): FixedPrecisionTensor {
    const axes = reductionAxes('sum', this.shape, axis);
    const out = reducedShape(this.shape, axes, keepDims);
    // One exact reduction, so only final sums are checked (partial sums may pass the limit): all axes at once,
    // or the reduced axes moved last and flattened.
    if (axes.length === this.rank) return this.#with(ringReshape(fixedSum(this.ring, undefined, this.scale, 'sum'), out));
    if (axes.length === 1) return this.#with(ringReshape(fixedSum(this.ring, axes[0], this.scale, 'sum'), out));
    const kept = this.shape.map((_, d) => d).filter((d) => !axes.includes(d));
    const moved = ringTranspose(this.ring, [...kept, ...axes]);
    const n = axes.reduce((c, d) => c * this.shape[d]!, 1);
    const outer = kept.reduce((c, d) => c * this.shape[d]!, 1);
    return this.#with(ringReshape(fixedSum(ringReshape(moved, [outer, n]), 1, this.scale, 'sum'), out));
  }

  /** The mean over an axis, several, or all: the exact sum divided by the count, rounded down. */
  mean(axis?: number | readonly number[] | null, keepDims = false): FixedPrecisionTensor {
    const axes = reductionAxes('mean', this.shape, axis);
    const n = axes.reduce((c, d) => c * this.shape[d]!, 1);
    if (n === 0) throw new InvalidArgumentError(`mean: reduces ${this.shape.length === 0 ? 'nothing' : 'an empty axis'} of [${this.shape}].`);
    return this.sum(axis, keepDims).div(n);
  }

  reshape(shape: readonly number[]): FixedPrecisionTensor {
    return this.#with(ringReshape(this.ring, shape));
  }

  transpose(perm?: readonly number[] | null): FixedPrecisionTensor {
    return this.#with(ringTranspose(this.ring, perm ?? undefined));
  }

  slice(begin: number | readonly number[], size?: number | readonly number[]): FixedPrecisionTensor {
    const window = slicedShape(this.shape, begin, size);
    return this.#with(ringSlice(this.ring, window.begin, window.size));
  }

  expandDims(axis = 0): FixedPrecisionTensor {
    return this.#with(ringReshape(this.ring, expandedShape(this.shape, axis)));
  }

  squeeze(axis?: readonly number[] | number | null): FixedPrecisionTensor {
    return this.#with(ringReshape(this.ring, squeezedShape(this.shape, axis)));
  }

  tile(reps: readonly number[]): FixedPrecisionTensor {
    return this.#with(ringTile(this.ring, reps));
  }

  broadcastTo(shape: readonly number[]): FixedPrecisionTensor {
    const out = ringBroadcastTo(this.ring, shape);
    // Never two tensors over one buffer: in-place updates and sharing take theirs.
    return this.#with(out === this.ring ? { values: out.values.slice(), shape: out.shape } : out);
  }

  clone(): FixedPrecisionTensor {
    return this.#with({ values: this.ring.values.slice(), shape: this.shape });
  }

  /** tf.split: equal parts or these sizes along `axis`. */
  split(numOrSizeSplits: number | readonly number[], axis = 0): FixedPrecisionTensor[] {
    const { axis: d, sizes } = splitSizes(this.shape, numOrSizeSplits, axis);
    let at = 0;
    return sizes.map((n) => {
      const begin = this.shape.map((_, k) => (k === d ? at : 0));
      at += n;
      return this.#with(ringSlice(this.ring, begin, this.shape.map((m, k) => (k === d ? n : m))));
    });
  }

  /** tf.unstack: the slices along `axis`, that axis removed. */
  unstack(axis = 0): FixedPrecisionTensor[] {
    const d = normalizeAxis('unstack', axis, this.rank);
    return this.split(this.shape[d]!, d).map((t) => t.squeeze([d]));
  }

  /** tf.concat of fixed-precision tensors of one precision. */
  static concat(tensors: readonly FixedPrecisionTensor[], axis = 0): FixedPrecisionTensor {
    const first = sameFixedPrecision(tensors, 'concat');
    concatenatedShape(tensors.map((t) => t.shape), axis);
    return first.#with(ringConcat(tensors.map((t) => t.ring), axis));
  }

  /** tf.stack: the tensors (of one shape) along a new axis. */
  static stack(tensors: readonly FixedPrecisionTensor[], axis = 0): FixedPrecisionTensor {
    const first = sameFixedPrecision(tensors, 'stack');
    for (const t of tensors) if (!sameDims(t.shape, first.shape)) throw new InvalidArgumentError(`stack: shapes [${first.shape}] and [${t.shape}] differ.`);
    const d = normalizeAxis('stack', axis, first.rank, 1);
    return FixedPrecisionTensor.concat(tensors.map((t) => t.expandDims(d)), d);
  }

  /** this += other, in place (PyTorch's add_). */
  addInPlace(other: FixedOperand): this {
    return this.#replace(this.add(other), 'addInPlace');
  }

  subInPlace(other: FixedOperand): this {
    return this.#replace(this.sub(other), 'subInPlace');
  }

  mulInPlace(other: FixedOperand): this {
    return this.#replace(this.mul(other), 'mulInPlace');
  }

  divInPlace(other: FixedOperand): this {
    return this.#replace(this.div(other), 'divInPlace');
  }

  zeroInPlace(): this {
    return this.#replace(this.#with({ values: new BigUint64Array(this.size), shape: this.shape }), 'zeroInPlace');
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

  /** An in-place update keeps the shape: a result that broadcast to a larger one is refused, as tfjs refuses it. */
  #replace(next: FixedPrecisionTensor, op: string): this {
    if (!sameDims(next.shape, this.shape)) {
      throw new InvalidArgumentError(`${op}: the result has shape [${next.shape}], not this tensor's [${this.shape}]; an in-place update cannot change the shape.`);
    }
    (this as { ring: RingTensor }).ring = next.ring;
    return this;
  }

  #operand(other: FixedOperand, op: string): RingTensor {
    if (other instanceof FixedPrecisionTensor) {
      if (other.scale !== this.scale) {
        throw new SharesNotCompatibleError(op, `precisions differ (${this.#precisionText()} and ${other.#precisionText()}); encode both alike.`);
      }
      return other.ring;
    }
    if (isSharedOperand(other)) {
      throw new InvalidArgumentError(`${op}: a shared operand; call the shared tensor's method, or sy.${op}(x, y), which runs on shares.`);
    }
    const { values, shape } = plainValues(other);
    return encodeScaled(values, shape, this.scale);
  }

  /** Both operands of an element-wise op, broadcast by tfjs's rules (a single value stays single: the kernels stride it). */
  #pair(other: FixedOperand, op: string): [RingTensor, RingTensor] {
    const b = this.#operand(other, op);
    const a = this.ring;
    const shape = broadcastShapes(op, a.shape, b.shape);
    const single = (t: RingTensor, u: RingTensor) => t.values.length === 1 && t.shape.length <= u.shape.length && sameDims(u.shape, shape);
    if (sameDims(a.shape, b.shape) || single(b, a) || single(a, b)) return [a, b];
    return [ringBroadcastTo(a, shape), ringBroadcastTo(b, shape)];
  }
}

/** A non-negative integer exponent, as a number or a one-value tensor. */
export function integerExponent(exponent: unknown): number {
  let k = exponent;
  if (typeof k !== 'number' && typeof k === 'object' && k !== null) {
    const values = k instanceof FixedPrecisionTensor ? Array.from(k.toFloat64()) : Array.from(plainValues(k as PlainValue).values);
    k = values.length === 1 ? values[0] : NaN;
  }
  if (!(typeof k === 'number' && Number.isSafeInteger(k) && k >= 0)) {
    throw new InvalidArgumentError(`pow: the exponent must be an integer >= 0 (one value), got ${String(exponent)}; a real or shared exponent is not supported on fixed-precision or shared tensors.`);
  }
  return k;
}

function sameFixedPrecision(tensors: readonly FixedPrecisionTensor[], op: string): FixedPrecisionTensor {
  const first = tensors[0];
  if (first === undefined) throw new InvalidArgumentError(`${op}: needs at least one tensor.`);
  if (tensors.some((t) => t.scale !== first.scale)) throw new SharesNotCompatibleError(op, 'the tensors have different fixed-point precisions; encode them alike.');
  return first;
}

export function fixPrecision(value: PlainValue, options: FixedPrecisionOptions = {}): FixedPrecisionTensor {
  return FixedPrecisionTensor.encode(value, options);
}
