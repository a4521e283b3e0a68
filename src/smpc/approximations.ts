/**
 * Non-linear functions on fixed-precision and shared tensors, built only from
 * what shares already support (add, public multiples, Beaver products,
 * division by a public integer) and the comparison protocol (./comparisons.ts:
 * the sign bit, products by a bit, the maximum along an axis), as CrypTen's
 * approximations.py builds them. Each method's iterations are options. The
 * ranges below are where the results meet CrypTen's tolerance
 * (|a-b| <= 0.01 or |a-b|/(|a|+|b|) <= 0.05) at 16 fractional bits, measured
 * on a dense grid by scripts/approximations-table.ts (docs/approximations.md
 * holds its table: worst errors, and where each one stops holding) and
 * checked, on shares too, by test/property/approximations.test.ts.
 *
 * - exp: the limit (1 + x/2^n)^(2^n), n = 10 squarings. Its relative error is
 *   about x²/2^(n+1), plus up to 2^n units of the last place from encoding
 *   x/2^n: CrypTen's 8 holds up to x = 7 only; n = 11 reaches 14.9 for one
 *   round more, and n = 12 is worse again. [-2000, 12]: below -2^(n+1) the
 *   base drops under -1 and its powers explode.
 * - reciprocal: Newton-Raphson y ← y(2 - xy), 10 iterations, on |x| from
 *   CrypTen's start 3·exp(0.5 - |x|) + 0.003 (below 2/|x|, so Newton
 *   converges); 1/x = ±1/|x| by the sign bit (one comparison, skipped with
 *   `allPositive`). |x| in [0.001, 600].
 * - div(x, y) = x·reciprocal(y): |y| in [0.001, 600]; on shares |x/y| < 2^30.
 * - log: CrypTen's 8th-order Householder iterations, 2 of them, from its start
 *   x/120 - 20·exp(-2x - 1) + 3, with exp at 8 squarings: log's error is then
 *   2^8 units of the last place, 0.004 (at 10 it would be 0.016, too much for
 *   log near 1). [1e-4, 250]: above 255.5 the start's exp base drops under -1.
 * - rsqrt: Newton y ← y(3 - x·y²)/2, 3 iterations, from CrypTen's start
 *   2.2·exp(-(x/2 + 0.2)) + 0.2 - x/1024 (exp at 8); sqrt(x) = x·rsqrt(x).
 *   [0.04, 170]: below, the start is too small for 3 iterations (each one
 *   grows it by 1.5 at most; 6 reach 0.004), above, it nears 0 and then
 *   turns negative.
 * - sigmoid: σ(|x|) = 1/d for d = 1 + exp(-|x|) in [1, 2] (Newton from the
 *   chord 1.5 - d/2, 2 iterations), then σ(x) = σ(|x|) + b·(1 - 2σ(|x|)) for
 *   the sign bit b = [x < 0] (one comparison). exp at 8 squarings: its error
 *   near 0, 2^8 units, bounds sigmoid's. [-500, 500] (9 squarings: [-1000, 1000]).
 * - tanh: odd: tanh(|x|) = 2σ(2|x|) - 1, negated where x < 0. [-250, 250].
 * - softmax / logSoftmax along an axis: x - max(x) first, so only the
 *   differences inside a row matter (logits 50 and 52 work, though e^52 is far
 *   out of range); exp of values <= 0; a sum in [1, n]; its reciprocal, or its
 *   log. Rows of up to 250 entries, each within 2000 of its row's maximum.
 * Outside the ranges the results are wrong with no error: the values are secret.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { scaleOf } from '../core/ring/fixed-precision.js';
import { tidy } from '../tensor/tidy.js';
import type { AdditiveSharingTensor } from './additive-sharing-tensor.js';
import { max, mulByBit, negativeTimes } from './comparisons.js';
import type { FixedPrecisionTensor, PlainValue } from './fixed-precision-tensor.js';
import { normalizeAxis } from './shapes.js';

type Secret = AdditiveSharingTensor | FixedPrecisionTensor;

/** What the approximations use of a secret tensor: both kinds have these with the same meaning. */
interface Arithmetic<T> {
  readonly shape: readonly number[] | undefined;
  add(other: T | number): T;
  sub(other: T | number): T;
  mul(other: T | number): T;
  div(divisor: number): T;
  neg(): T;
  sum(axis?: number | null, keepDims?: boolean): T;
  broadcastTo(shape: readonly number[]): T;
}

const ops = <T extends Secret>(x: T): Arithmetic<T> => x as unknown as Arithmetic<T>;

/**
 * The coarsest encoding the approximations hold at: 2^13 (4 decimal digits).
 * Below it exp's first step, x/2^10, keeps about one digit, and on shares a
 * truncation that rounds up starts Newton's reciprocal above 2/x, where it
 * diverges: at PySyft's 3 decimal digits 1/2 came back as -6e13, with no error.
 */
const MIN_SCALE = 1n << 13n;

/** Integer tensors and too coarse encodings leave no room for the fractions an approximation computes. */
function fractional<T extends Secret>(name: string, x: T): T {
  if (x.precision.precisionFractional === 0) {
    throw new InvalidArgumentError(
      `${name}: the tensor is an integer encoding (precisionFractional 0), which has no room for the fractions ${name} computes; encode it with fractional digits (x.fixPrecision() with the default 16 bits) before sharing.`,
    );
  }
  if (scaleOf(x.precision) < MIN_SCALE) {
    throw new InvalidArgumentError(
      `${name}: ${x.precision.precisionFractional} fractional ${x.precision.base === 2 ? 'bits' : 'digits'} are too coarse for the approximation (its steps lose every digit and the result is wrong without an error); encode with at least 13 bits or 4 decimal digits (the default, 16 bits, works).`,
    );
  }
  return x;
}

function checkIterations(name: string, option: string, n: number, min: number): number {
  if (!(Number.isSafeInteger(n) && n >= min && n <= 64)) {
    throw new InvalidArgumentError(`${name}: ${option} must be an integer from ${min} to 64, got ${String(n)}.`);
  }
  return n;
}

/**
 * |x| = x - 2·x·b and the sign bit b = [x < 0] (integer shares, for mulByBit);
 * x·b comes out of the comparison's own rounds.
 */
function absWithBit<T extends Secret>(x: T): { abs: T; bit: T } {
  const { product, bit } = negativeTimes(x, x, true);
  return { abs: ops(x).sub(ops(product).mul(2)), bit: bit! };
}

/** v where the bit is 0, -v where it is 1: v - 2·v·b. */
function negateWhere<T extends Secret>(v: T, bit: T): T {
  return ops(v).sub(ops(mulByBit(v, bit)).mul(2));
}

export interface ExpOptions {
  /** Squarings: (1 + x/2^n)^(2^n). */
  readonly iterations?: number;
}

export function exp<T extends Secret>(x: T, options: ExpOptions = {}): T {
  const n = checkIterations('exp', 'iterations', options.iterations ?? 10, 0);
  fractional('exp', x);
  return tidy(() => {
    let y = ops(ops(x).div(2 ** n)).add(1);
    for (let i = 0; i < n; i++) y = ops(y).mul(y);
    return y;
  });
}

export interface ReciprocalOptions {
  /** Newton-Raphson iterations. */
  readonly iterations?: number;
  /** Every element is known to be positive: skip the sign (one comparison), as CrypTen's reciprocal_all_pos. */
  readonly allPositive?: boolean;
}

/** Newton's y ← y(2 - xy) = 2y - x·y·y from y, for positive x: converges when 0 < y < 2/x. */
function newtonReciprocal<T extends Secret>(x: T, y0: T, iterations: number): T {
  let y = y0;
  for (let i = 0; i < iterations; i++) y = ops(ops(y).mul(2)).sub(ops(ops(x).mul(y)).mul(y));
  return y;
}

export function reciprocal<T extends Secret>(x: T, options: ReciprocalOptions = {}): T {
  const n = checkIterations('reciprocal', 'iterations', options.iterations ?? 10, 0);
  fractional('reciprocal', x);
  return tidy(() => {
    const positive = (v: T): T => {
      // CrypTen's start: below 2/v over the valid range, so Newton converges (quadratically once close).
      const y0 = ops(ops(exp(ops(ops(v).neg()).add(0.5))).mul(3)).add(0.003);
      return newtonReciprocal(v, y0, n);
    };
    if (options.allPositive === true) return positive(x);
    const { abs, bit } = absWithBit(x);
    return negateWhere(positive(abs), bit);
  });
}

/**
 * x / y for a secret divisor y: x·reciprocal(y), negative divisors included.
 * A public or fixed-precision x works too; the result is shared when either is.
 */
export function div(x: Secret | PlainValue, y: AdditiveSharingTensor, options?: ReciprocalOptions): AdditiveSharingTensor;
export function div(x: AdditiveSharingTensor, y: FixedPrecisionTensor, options?: ReciprocalOptions): AdditiveSharingTensor;
export function div(x: FixedPrecisionTensor | PlainValue, y: FixedPrecisionTensor, options?: ReciprocalOptions): FixedPrecisionTensor;
export function div(x: Secret | PlainValue, y: Secret, options: ReciprocalOptions = {}): Secret {
  return tidy(() => {
    const r = reciprocal(y, options);
    // FixedPrecisionTensor.mul takes a shared operand (the result is shared); AdditiveSharingTensor.mul takes anything.
    return (r as unknown as { mul(o: unknown): Secret }).mul(x);
  });
}

export interface LogOptions {
  /** Householder iterations. */
  readonly iterations?: number;
  /** Terms of the Householder polynomial Σ h^k/k. */
  readonly order?: number;
  /** Squarings of the exp inside (see the header: more makes log near 1 worse). */
  readonly expIterations?: number;
}

export function log<T extends Secret>(x: T, options: LogOptions = {}): T {
  const iterations = checkIterations('log', 'iterations', options.iterations ?? 2, 0);
  const order = checkIterations('log', 'order', options.order ?? 8, 1);
  const expOptions = { iterations: checkIterations('log', 'expIterations', options.expIterations ?? 8, 0) };
  fractional('log', x);
  return tidy(() => {
    // CrypTen's start, found by inspection: ln(x) ≈ x/120 - 20·exp(-2x - 1) + 3.
    const start = ops(exp(ops(ops(ops(x).mul(2)).add(1)).neg(), expOptions)).mul(20);
    let y = ops(ops(ops(x).div(120)).sub(start)).add(3);
    for (let i = 0; i < iterations; i++) {
      // ln(x) - y = ln(1 - h) = -Σ h^k/k for h = 1 - x·exp(-y); Horner from the highest term.
      const h = ops(ops(ops(x).mul(exp(ops(y).neg(), expOptions))).neg()).add(1);
      let p = ops(h).div(order);
      for (let k = order - 1; k >= 1; k--) p = ops(ops(p).add(1 / k)).mul(h);
      y = ops(y).sub(p);
    }
    return y;
  });
}

export interface SqrtOptions {
  /** Newton-Raphson iterations on 1/sqrt(x). */
  readonly iterations?: number;
}

export function rsqrt<T extends Secret>(x: T, options: SqrtOptions = {}): T {
  const n = checkIterations('rsqrt', 'iterations', options.iterations ?? 3, 0);
  fractional('rsqrt', x);
  return tidy(() => {
    // CrypTen's start: 2.2·exp(-(x/2 + 0.2)) + 0.2 - x/1024, exp at CrypTen's default 8 squarings.
    const e = exp(ops(ops(ops(x).div(2)).add(0.2)).neg(), { iterations: 8 });
    let y = ops(ops(ops(e).mul(2.2)).add(0.2)).sub(ops(x).div(1024));
    for (let i = 0; i < n; i++) {
      // y ← y(3 - x·y²)/2
      const xyy = ops(x).mul(ops(y).mul(y));
      y = ops(ops(y).mul(ops(ops(xyy).neg()).add(3))).div(2);
    }
    return y;
  });
}

export function sqrt<T extends Secret>(x: T, options: SqrtOptions = {}): T {
  return tidy(() => ops(rsqrt(x, options)).mul(x));
}

export interface SigmoidOptions {
  /** Squarings of exp(-|x|) (values in (0, 1]; see the header for why 8). */
  readonly expIterations?: number;
  /** Newton iterations of the reciprocal of 1 + exp(-|x|) in [1, 2], from the chord 1.5 - d/2. */
  readonly iterations?: number;
}

/** The iteration counts, checked before anything runs. */
function sigmoidSettings(name: string, options: SigmoidOptions): { expIterations: number; iterations: number } {
  return {
    expIterations: checkIterations(name, 'expIterations', options.expIterations ?? 8, 0),
    iterations: checkIterations(name, 'iterations', options.iterations ?? 2, 0),
  };
}

/** σ(t) for t >= 0: 1/d for d = 1 + exp(-t) in [1, 2], always in the reciprocal's accurate range. */
function sigmoidOfNonNegative<T extends Secret>(t: T, { expIterations, iterations }: { expIterations: number; iterations: number }): T {
  const d = ops(exp(ops(t).neg(), { iterations: expIterations })).add(1);
  // The chord through (1, 1) and (2, 1/2): |1 - d·y0| <= 1/8 on [1, 2], so 2 iterations leave (1/8)^4 ≈ 2.4e-4, below exp's error.
  const y0 = ops(ops(ops(d).div(2)).neg()).add(1.5);
  return newtonReciprocal(d, y0, iterations);
}

export function sigmoid<T extends Secret>(x: T, options: SigmoidOptions = {}): T {
  fractional('sigmoid', x);
  const settings = sigmoidSettings('sigmoid', options);
  return tidy(() => {
    const { abs, bit } = absWithBit(x);
    const y = sigmoidOfNonNegative(abs, settings);
    // σ(-t) = 1 - σ(t): y + b·(1 - 2y).
    return ops(y).add(mulByBit(ops(ops(y).mul(-2)).add(1), bit));
  });
}

export function tanh<T extends Secret>(x: T, options: SigmoidOptions = {}): T {
  fractional('tanh', x);
  const settings = sigmoidSettings('tanh', options);
  return tidy(() => {
    const { abs, bit } = absWithBit(x);
    const t = ops(ops(sigmoidOfNonNegative(ops(abs).mul(2), settings)).mul(2)).sub(1);
    return negateWhere(t, bit);
  });
}

export interface SoftmaxOptions {
  /** For exp of x - max(x) (values <= 0). */
  readonly expIterations?: number;
  /** Newton iterations of the reciprocal of the sum (softmax), or Householder iterations of its log (logSoftmax). */
  readonly iterations?: number;
}

/** The axis as a non-negative number when the shape is known (a shared tensor's may not be), and its length. */
function axisOf(name: string, x: Secret, dim: number): { axis: number; length: number | undefined } {
  if (!Number.isInteger(dim)) throw new InvalidArgumentError(`${name}: dim must be an integer axis, got ${String(dim)}.`);
  const shape = x.shape;
  if (shape === undefined) return { axis: dim, length: undefined };
  if (shape.length === 0) throw new InvalidArgumentError(`${name}: the tensor is a scalar; ${name} needs an axis (reshape it to [1] or more).`);
  const axis = normalizeAxis(name, dim, shape.length);
  return { axis, length: shape[axis] };
}

/**
 * A reduction kept along the axis, broadcast back to x's shape when it is known:
 * sy.smpc.debug.checkOverflow's check of a shared sub does not broadcast.
 */
function alongside<T extends Secret>(reduced: T, x: T): T {
  return x.shape === undefined ? reduced : ops(reduced).broadcastTo(x.shape);
}

/** x - max(x, axis) (values <= 0, zero at each row's maximum) and exp of it. */
function shiftedExp<T extends Secret>(x: T, axis: number, expIterations: number): { shifted: T; e: T } {
  const shifted = ops(x).sub(alongside(max(x, axis, true), x));
  return { shifted, e: exp(shifted, { iterations: expIterations }) };
}

export function softmax<T extends Secret>(x: T, dim = -1, options: SoftmaxOptions = {}): T {
  fractional('softmax', x);
  const { axis, length } = axisOf('softmax', x, dim);
  const expIterations = checkIterations('softmax', 'expIterations', options.expIterations ?? 10, 0);
  const iterations = checkIterations('softmax', 'iterations', options.iterations ?? 10, 0);
  return tidy(() => {
    // One entry per row: the softmax is 1 whatever the value; mul(0) is local (no comparison, no product).
    if (length === 1) return ops(ops(x).mul(0)).add(1);
    const { e } = shiftedExp(x, axis, expIterations);
    // The sum is in [1, length]: positive and inside the reciprocal's range.
    const r = reciprocal(ops(e).sum(axis, true), { allPositive: true, iterations });
    return ops(e).mul(r);
  });
}

export function logSoftmax<T extends Secret>(x: T, dim = -1, options: SoftmaxOptions = {}): T {
  fractional('logSoftmax', x);
  const { axis, length } = axisOf('logSoftmax', x, dim);
  const expIterations = checkIterations('logSoftmax', 'expIterations', options.expIterations ?? 10, 0);
  const iterations = checkIterations('logSoftmax', 'iterations', options.iterations ?? 2, 0);
  return tidy(() => {
    if (length === 1) return ops(x).mul(0);
    const { shifted, e } = shiftedExp(x, axis, expIterations);
    // log of a sum in [1, length]: inside log's range for rows up to 250 entries.
    return ops(shifted).sub(alongside(log(ops(e).sum(axis, true), { iterations }), x));
  });
}
