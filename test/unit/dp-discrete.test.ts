/**
 * The exact discrete samplers (src/dp/discrete.ts) against their probability
 * mass functions: a chi-square goodness-of-fit test on 40,000 samples each,
 * rejecting at p < 1e-6 (a correct sampler fails once in a million runs; a
 * wrong scale, a missing sign or a biased uniform fail every time).
 */
import { describe, expect, test } from 'vitest';
import { rationalOf, sampleDiscreteGaussian, sampleDiscreteLaplace } from '../../src/dp/discrete.js';

const SAMPLES = 40_000;

/** Chi-square statistic over the bins -k..k plus the two tails. */
function chiSquare(sample: () => bigint, pmf: (x: number) => number, k: number): { statistic: number; df: number } {
  const counts = new Map<number, number>();
  for (let i = 0; i < SAMPLES; i++) {
    const v = Math.max(-k - 1, Math.min(k + 1, Number(sample())));
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let tail = 1;
  for (let x = -k; x <= k; x++) tail -= pmf(x);
  let statistic = 0;
  for (let x = -k - 1; x <= k + 1; x++) {
    const p = Math.abs(x) === k + 1 ? tail / 2 : pmf(x);
    const expected = p * SAMPLES;
    statistic += ((counts.get(x) ?? 0) - expected) ** 2 / expected;
  }
  return { statistic, df: 2 * k + 2 };
}

// Chi-square critical values at p = 1e-6 (Wilson-Hilferty) for the degrees of freedom used below.
const CRITICAL: Record<number, number> = { 18: 62.7, 22: 69.5 };

describe('exact discrete samplers', () => {
  test('rationalOf gives the exact dyadic value of a double', () => {
    expect(rationalOf(2.5)).toEqual({ n: 5n, d: 2n });
    expect(rationalOf(0.1)).toEqual({ n: 3602879701896397n, d: 36028797018963968n });
    expect(() => rationalOf(-1)).toThrow(/>= 0/);
  });

  test('discrete Laplace, scale 2.5: fits exp(-|x|/t)·(1 - e^(-1/t))/(1 + e^(-1/t))', () => {
    const t = 2.5;
    const z = (1 - Math.exp(-1 / t)) / (1 + Math.exp(-1 / t));
    const { statistic, df } = chiSquare(() => sampleDiscreteLaplace(rationalOf(t)), (x) => z * Math.exp(-Math.abs(x) / t), 8);
    expect(statistic).toBeLessThan(CRITICAL[df]!);
  });

  test('discrete Gaussian, σ² = 4: fits exp(-x²/2σ²) normalized', () => {
    const s2 = 4;
    let norm = 0;
    for (let x = -80; x <= 80; x++) norm += Math.exp((-x * x) / (2 * s2));
    const { statistic, df } = chiSquare(() => sampleDiscreteGaussian(rationalOf(s2)), (x) => Math.exp((-x * x) / (2 * s2)) / norm, 10);
    expect(statistic).toBeLessThan(CRITICAL[df]!);
  });

  test('a sampler given a zero or negative parameter refuses it', () => {
    expect(() => sampleDiscreteLaplace({ n: 0n, d: 1n })).toThrow(/positive/);
    expect(() => sampleDiscreteGaussian({ n: 0n, d: 1n })).toThrow(/positive/);
  });
});
