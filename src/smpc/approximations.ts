/**
 * Non-linear functions on fixed-precision and shared tensors, built only from
 * what shares already support (add, public multiples, Beaver products,
 * division by a public integer), as CrypTen's approximations.py builds them.
 * Each method's iterations are options; the ranges below are where the
 * results meet CrypTen's tolerance (|a-b| <= 0.01 or |a-b|/(|a|+|b|) <= 0.05)
 * at 16 fractional bits, checked in test/property/approximations.test.ts.
 *
 * - exp: the limit (1 + x/2^n)^(2^n), n = 10 squarings (its relative error is
 *   about x²/2^(n+1): with CrypTen's 8, |x| <= 7 only). [-10, 10]: beyond 10
 *   a square leaves the range shared products can hold (|x·y| < 2^30).
 * - reciprocal: Newton-Raphson y ← y(2 - xy), 10 iterations, from CrypTen's
 *   start 3·exp(0.5 - x) + 0.003. Positive x in [0.01, 500] (the start must
 *   be below 2/x for Newton to converge; negative x needs a comparison).
 * - sigmoid: 1 / (1 + exp(-x)). [-6, 10] (1 + e^6 is within reciprocal's range).
 * - tanh: 2·sigmoid(2x) - 1. [-3, 5].
 * Outside them the results are wrong with no error: the values are secret.
 */
import { tidy } from '../tensor/tidy.js';
import type { AdditiveSharingTensor } from './additive-sharing-tensor.js';
import type { FixedPrecisionTensor } from './fixed-precision-tensor.js';

type Secret = AdditiveSharingTensor | FixedPrecisionTensor;

/** What the approximations use of a secret tensor: both kinds have these with the same meaning. */
interface Arithmetic<T> {
  add(other: T | number): T;
  sub(other: T | number): T;
  mul(other: T | number): T;
  div(divisor: number): T;
  neg(): T;
}

const ops = <T extends Secret>(x: T): Arithmetic<T> => x as unknown as Arithmetic<T>;

export interface ExpOptions {
  /** Squarings: (1 + x/2^n)^(2^n). */
  readonly iterations?: number;
}

export function exp<T extends Secret>(x: T, options: ExpOptions = {}): T {
  const n = options.iterations ?? 10;
  return tidy(() => {
    let y = ops(ops(x).div(2 ** n)).add(1);
    for (let i = 0; i < n; i++) y = ops(y).mul(y);
    return y;
  });
}

export interface ReciprocalOptions {
  readonly iterations?: number;
}

export function reciprocal<T extends Secret>(x: T, options: ReciprocalOptions = {}): T {
  const n = options.iterations ?? 10;
  return tidy(() => {
    // CrypTen's start: below 2/x over the valid range, so Newton converges (quadratically once close).
    let y = ops(ops(exp(ops(ops(x).neg()).add(0.5))).mul(3)).add(0.003);
    for (let i = 0; i < n; i++) {
      // y ← y(2 - xy) = 2y - x·y·y
      y = ops(ops(y).mul(2)).sub(ops(ops(x).mul(y)).mul(y));
    }
    return y;
  });
}

export function sigmoid<T extends Secret>(x: T): T {
  return tidy(() => reciprocal(ops(exp(ops(x).neg())).add(1)));
}

export function tanh<T extends Secret>(x: T): T {
  return tidy(() => ops(ops(sigmoid(ops(x).mul(2))).mul(2)).sub(1));
}
