/**
 * The DP mechanisms users call (sy.dp.laplace / gaussian / randomizedResponse
 * on numbers, src/dp/release.ts over src/dp/mechanisms.ts) as distributions:
 *
 * 1. Empirical mean and variance against the calibration (Laplace b = (Δ+γ)/ε,
 *    Gaussian σ from the analytic Gaussian mechanism, randomized response's
 *    flip probability 1/(1 + e^ε)), with tolerances from the sampling
 *    distribution at a false-failure probability of 1e-6 per test; each test
 *    says which wrong calibration it catches.
 * 2. A DP tester after Google's differential-privacy library
 *    (cc/testing/statistical_tests_utils.h `VerifyApproximateDp`,
 *    cc/testing/stochastic_tester.h, and the Java statistical tests such as
 *    java/tests/com/google/privacy/differentialprivacy/statistical/CountDpTest.java;
 *    Wilson et al. 2019, arXiv:1909.01917 §5.3; Ding et al. 2018, "Detecting
 *    Violations of Differential Privacy"; Gilbert and McMillan 2018): the
 *    mechanism runs on neighbouring inputs, the outputs are bucketed, and
 *    P[M(D) ∈ S] ≤ e^ε P[M(D') ∈ S] + δ is checked for every bucket and every
 *    half-line, both ways, with Chernoff confidence bounds
 *    (test/support/dp-tester.ts). It passes the real mechanisms and reports a
 *    violation for the same mechanism calibrated to 3ε, written out here.
 * 3. Noise from the CSPRNG: with Math.random stubbed to a constant the
 *    outputs still vary and Math.random is never called; crypto.randomFillSync
 *    (wrapped by vi.mock, which reaches the ESM import in src/dp/discrete.ts)
 *    is what supplies the randomness.
 * 4. Floating-point safety: every output is an integer multiple of the grid
 *    γ = granularityFor(scale), for random values and parameters (fast-check),
 *    so the set of reachable outputs does not depend on the input's low bits
 *    (Mironov 2012's attack on textbook floating-point Laplace).
 *
 * A mechanism's N samples come from one call on N copies of the input: each
 * element gets independent noise, and one call keeps the parameter checks and
 * the Gaussian's calibration (a bisection) out of the per-sample cost
 * (~2-4 µs per Laplace or randomized response sample, ~10 µs per Gaussian).
 */
import fc from 'fast-check';
import { randomFillSync } from 'node:crypto';
import { afterEach, describe, expect, test, vi } from 'vitest';
import * as sy from '../../src/index.js';
import { binomialBound, checkDp, edgesAround } from '../support/dp-tester.js';

// The real randomFillSync behind a spy. src/dp/discrete.ts imports it as an ESM
// binding, which vi.spyOn cannot replace ("Cannot spy on export "randomFillSync".
// Module namespace is not configurable in ESM"); a module mock is what that
// import resolves to.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, randomFillSync: vi.fn(crypto.randomFillSync) };
});

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Φ⁻¹(1 − 2.5e-7): a normal statistic beyond it either way has probability
 * 5e-7, so a test making two such checks (mean and variance) fails a correct
 * mechanism with probability about 1e-6. The statistics are means of 20,000
 * or more i.i.d. terms. For the mean square the skew matters: x² of a Laplace
 * sample has skewness 6.6, so at n = 40,000 the moderate-deviation factor
 * exp(z³·skew/(6√n)) is about 2 on the upper tail and 1/2 on the lower (for
 * the Gaussian, skewness 2.8 at n = 20,000: 1.5 and 0.7). The two-sided
 * probability stays near 5e-7 to 6e-7.
 */
const Z = 5.03;

const copies = (x: number, n: number) => new Float64Array(n).fill(x);
const sum = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
};
const meanSquareAbout = (xs: ArrayLike<number>, centre: number) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - centre) ** 2;
  return s / xs.length;
};

describe('empirical mean and variance against the calibration (false failure 1e-6 per test)', () => {
  test('sy.dp.laplace: mean x, variance 2((Δ + γ)/ε)² for x = 3.25, Δ = 2, ε = 0.5 over 40,000 draws', () => {
    const [x, sensitivity, epsilon, n] = [3.25, 2, 0.5, 40_000];
    const out = sy.dp.laplace(copies(x, n), { sensitivity, epsilon });
    const gamma = sy.dp.granularityFor(sensitivity / epsilon);
    const b = (sensitivity + gamma) / epsilon;
    // The discrete Laplace on the grid has variance 2b² − γ²/6 + O(γ⁴/b²): equal to 2b² to 1e-18 relative.
    const variance = 2 * b * b;
    // Laplace(b): E[x²] = 2b², E[x⁴] = 24b⁴, so the mean square about x has standard error sqrt(20b⁴/n).
    const meanTolerance = Z * Math.sqrt(variance / n);
    const varianceTolerance = Z * Math.sqrt((20 * b ** 4) / n);
    expect(Math.abs(sum(out) / n - x)).toBeLessThan(meanTolerance);
    expect(Math.abs(meanSquareAbout(out, x) - variance)).toBeLessThan(varianceTolerance);
    // What fails (variance 32 here, tolerance ±1.8, i.e. 5.6%): ε halved → 128; Δ ignored (b = 1/ε) → 8;
    // b = ε/Δ → 0.125; noise without its sign (|Laplace|) → mean off by b = 4 against ±0.14;
    // the value dropped (noise alone) → mean 0. Adding γ to Δ or not (2^-28 relative) is below any test's reach.
    expect(varianceTolerance / variance).toBeLessThan(0.06);
  });

  test('sy.dp.gaussian: mean x, variance σ² with σ the analytic Gaussian mechanism for Δ + γ, for x = −1.5, Δ = 2, ε = 1, δ = 1e-5 over 20,000 draws', () => {
    const [x, n] = [-1.5, 20_000];
    const params = { sensitivity: 2, epsilon: 1, delta: 1e-5 };
    const out = sy.dp.gaussian(copies(x, n), params);
    const gamma = sy.dp.granularityFor(sy.dp.analyticGaussianSigma(params));
    const sigma = sy.dp.analyticGaussianSigma({ ...params, sensitivity: params.sensitivity + gamma });
    // The discrete Gaussian with parameter σ² ≈ 2^62 grid units has variance σ²(1 − O(e^(−2π²σ²))): σ² exactly here.
    const variance = sigma * sigma;
    expect(sigma).toBeCloseTo(7.4613, 3);
    // Normal: E[(x − μ)⁴] = 3σ⁴, so the mean square has standard error sqrt(2σ⁴/n).
    expect(Math.abs(sum(out) / n - x)).toBeLessThan(Z * Math.sqrt(variance / n));
    const varianceTolerance = Z * Math.sqrt((2 * variance * variance) / n);
    expect(Math.abs(meanSquareAbout(out, x) - variance)).toBeLessThan(varianceTolerance);
    // What fails (tolerance ±5.0%): ε halved (σ 14.06, variance ×3.55); Δ ignored (σ for Δ = 1: 3.73, ×0.25);
    // the classical σ = Δ·sqrt(2 ln(1.25/δ))/ε = 9.69 (×1.69); δ = 1e-3 instead of 1e-5 (σ 5.15, ×0.48).
    expect(varianceTolerance / variance).toBeLessThan(0.051);
    expect(sy.dp.analyticGaussianSigma({ ...params, epsilon: 0.5 }) ** 2 / variance).toBeGreaterThan(3.5);
  });

  test('sy.dp.randomizedResponse: each bit flipped with probability 1/(1 + e^ε), for 1s and 0s alike (ε = 1, 20,000 of each)', () => {
    const [epsilon, n] = [1, 20_000];
    const flip = 1 / (1 + Math.exp(epsilon));
    const fromOnes = sy.dp.randomizedResponse(new Uint8Array(n).fill(1), { epsilon });
    const fromZeros = sy.dp.randomizedResponse(new Uint8Array(n), { epsilon });
    // Flips are Binomial(n, flip) exactly: exact Chernoff bounds, 2.5e-7 per side per input bit.
    for (const flips of [n - sum(fromOnes), sum(fromZeros)]) {
      expect(binomialBound(flips, n, 2.5e-7, 'lower')).toBeLessThan(flip);
      expect(binomialBound(flips, n, 2.5e-7, 'upper')).toBeGreaterThan(flip);
    }
    // The interval is about ±0.018 around 0.269: ε halved (0.378), flipping with probability e^-ε (0.368) or
    // 1/(1 + e^ε) of the time to a fresh random bit (0.134), or never flipping 0s, all fall outside it.
    // The output's mean is 1 − flip for 1s and flip for 0s and its variance flip·(1 − flip): no separate check.
    expect(binomialBound(flip * n, n, 2.5e-7, 'upper') - flip).toBeLessThan(0.018);
  });
});

describe('DP tester: P[M(D) ∈ S] ≤ e^ε P[M(D′) ∈ S] + δ for every bucket and half-line, both ways (false alarm 1e-6)', () => {
  const FALSE_ALARM = 1e-6;

  test('Laplace, counts 10 and 11, Δ = 1, ε = 1 (δ = 0): no violation; calibrated to 3ε or even 1.25ε, violations', () => {
    const [epsilon, n] = [1, 20_000];
    // Buckets of b/2 over ±6b around the midpoint: the half-lines x < 10 and x ≥ 11, where the likelihood
    // ratio is exactly e^ε, are among the events.
    const check = { epsilon, delta: 0, edges: edgesAround(10.5, 0.5, 24), falseAlarm: FALSE_ALARM };
    const run = (x: number, calibratedTo: number) => sy.dp.laplace(copies(x, n), { sensitivity: 1, epsilon: calibratedTo });
    const honest = checkDp(run(10, epsilon), run(11, epsilon), check);
    expect(honest.events).toBe(74);
    expect(honest.violations).toEqual([]);
    // Under-noised by 3: P[x < 10] is 1/2 from 10 and e^-3/2 from 11, so 0.5 > e·0.025 + sampling error.
    const broken = checkDp(run(10, 3 * epsilon), run(11, 3 * epsilon), check);
    expect(broken.violations.length).toBeGreaterThan(0);
    expect(broken.violations.map((v) => v.event)).toEqual(expect.arrayContaining(['x < 10', 'x ≥ 11']));
    // Power beyond the brief: 25% too little noise gives 0.5 against e·e^-1.25/2 = 0.389 on x < 10.
    expect(checkDp(run(10, 1.25 * epsilon), run(11, 1.25 * epsilon), check).violations.length).toBeGreaterThan(0);
  });

  test('Gaussian, counts 10 and 11, Δ = 1, ε = 1, δ = 1e-3: no violation; calibrated to 3ε, violations', () => {
    const [epsilon, delta, n] = [1, 1e-3, 20_000];
    const sigma = sy.dp.analyticGaussianSigma({ sensitivity: 1, epsilon, delta });
    // Buckets of σ/4 over ±6σ: the worst event of the analytic calibration is the half-line x < 10.5 − εσ²
    // (privacy loss above ε), where the inequality holds with equality; the edges come within σ/8 of it.
    const check = { epsilon, delta, edges: edgesAround(10.5, sigma / 4, 48), falseAlarm: FALSE_ALARM };
    const run = (x: number, calibratedTo: number) => sy.dp.gaussian(copies(x, n), { sensitivity: 1, epsilon: calibratedTo, delta });
    const honest = checkDp(run(10, epsilon), run(11, epsilon), check);
    expect(honest.events).toBe(146);
    expect(honest.violations).toEqual([]);
    // At 3ε, σ = 1.04 and the hockey-stick divergence at e^ε is 0.115 against δ = 0.001: on x < 9.21 the
    // expected gap beyond the confidence bounds is 0.063, 13 standard deviations (a miss has probability < 1e-30).
    const broken = checkDp(run(10, 3 * epsilon), run(11, 3 * epsilon), check);
    expect(broken.violations.length).toBeGreaterThan(0);
    expect(broken.violations[0]!.event).toMatch(/^x (<|≥) /);
  });

  test('randomized response, bits 1 and 0, ε = 1: no violation; flipping as for 3ε, violations', () => {
    const [epsilon, n] = [1, 20_000];
    // Outputs 0 and 1: two buckets, each an event; P[1 | 1] / P[1 | 0] = e^ε exactly.
    const check = { epsilon, delta: 0, edges: [0.5], falseAlarm: FALSE_ALARM };
    const run = (bit: number, calibratedTo: number) => sy.dp.randomizedResponse(new Uint8Array(n).fill(bit), { epsilon: calibratedTo });
    const honest = checkDp(run(1, epsilon), run(0, epsilon), check);
    expect(honest.events).toBe(2);
    expect(honest.violations).toEqual([]);
    // At 3ε: P[1 | 1] = 0.953 against e · P[1 | 0] = e · 0.047 = 0.129.
    const broken = checkDp(run(1, 3 * epsilon), run(0, 3 * epsilon), check);
    expect(broken.violations.map((v) => `${v.event} ${v.direction}`).sort()).toEqual(['x < 0.5 B over A', 'x ≥ 0.5 A over B']);
  });

  test('the Chernoff bounds hold their level: k/n inside its own interval, the interval shrinking like 1/sqrt(n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 1e-12, max: 0.5, noNaN: true }), (n, p, alpha) => {
        const k = Math.round(p * n);
        const [lower, upper] = [binomialBound(k, n, alpha, 'lower'), binomialBound(k, n, alpha, 'upper')];
        expect(lower).toBeLessThanOrEqual(k / n);
        expect(upper).toBeGreaterThanOrEqual(k / n);
        // Never narrower than the normal interval at the same level (the Chernoff bound is conservative)…
        const halfWidth = Math.sqrt(((k / n) * (1 - k / n)) / n) * 0.9;
        if (k > 0 && k < n) expect(upper - lower).toBeGreaterThan(halfWidth);
        // …and never wider than Hoeffding's, sqrt(ln(1/α)/2n) each side.
        const hoeffding = Math.sqrt(Math.log(1 / alpha) / (2 * n));
        expect(upper - k / n).toBeLessThanOrEqual(hoeffding + 1e-12);
        expect(k / n - lower).toBeLessThanOrEqual(hoeffding + 1e-12);
      }),
      { numRuns: 200 },
    );
  });
});

describe('noise from the CSPRNG, never Math.random', () => {
  test('with Math.random stubbed to a constant the outputs still vary, Math.random is never called, and randomFillSync supplies the bits', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const fill = vi.mocked(randomFillSync);
    const before = fill.mock.calls.length;
    const n = 2000;
    const draws = [
      sy.dp.laplace(copies(7, n), { sensitivity: 1, epsilon: 1 }),
      sy.dp.laplace(copies(7, n), { sensitivity: 1, epsilon: 1 }),
      sy.dp.gaussian(copies(7, n), { sensitivity: 1, epsilon: 1, delta: 1e-5 }),
    ];
    // On a grid of 2^-30: 2000 draws of scale ≥ 1 almost never collide (a pair collides with probability < 2^-30).
    for (const d of draws) expect(new Set(d).size).toBeGreaterThan(n - 5);
    // Two runs on the same input are not the same noise.
    expect(draws[0]!.some((v, i) => v !== draws[1]![i])).toBe(true);
    const bits = sy.dp.randomizedResponse(new Uint8Array(n).fill(1), { epsilon: 1 });
    // 2000 bits kept with probability 0.73: between 1000 and 1900 kept (each side has probability < 1e-30).
    expect(sum(bits)).toBeGreaterThan(1000);
    expect(sum(bits)).toBeLessThan(1900);
    expect(random).not.toHaveBeenCalled();
    // The discrete samplers draw 32-bit words from a pool of 1024 refilled by randomFillSync: 6000 noise
    // samples need many refills.
    expect(fill.mock.calls.length - before).toBeGreaterThan(5);
    for (const [buffer] of fill.mock.calls.slice(before)) expect(buffer).toBeInstanceOf(Uint32Array);
  });
});

describe('floating-point safety: outputs lie on the grid γ = granularityFor(scale)', () => {
  const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const values = fc.array(fc.oneof(finite(-1e12, 1e12), finite(-1, 1), fc.integer({ min: -1000, max: 1000 })), { minLength: 1, maxLength: 16 });
  const onGrid = (out: ArrayLike<number>, gamma: number) => Array.from(out).every((v) => Number.isInteger(v / gamma));
  /** γ is a power of two with scale·2^-31 < γ ≤ scale·2^-30: the noise keeps 30 bits below its scale. */
  const isGridFor = (gamma: number, scale: number) => Number.isInteger(Math.log2(gamma)) && gamma <= scale * 2 ** -30 && gamma > scale * 2 ** -31;

  test('laplace: every output is an integer multiple of γ for the scale Δ/ε', () => {
    fc.assert(
      fc.property(values, finite(1e-6, 1e6), finite(1e-3, 20), (xs, sensitivity, epsilon) => {
        const gamma = sy.dp.granularityFor(sensitivity / epsilon);
        expect(isGridFor(gamma, sensitivity / epsilon)).toBe(true);
        const out = sy.dp.laplace(xs, { sensitivity, epsilon });
        expect(out).toHaveLength(xs.length);
        expect(onGrid(out, gamma)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('gaussian: every output is an integer multiple of γ for the analytic σ', () => {
    fc.assert(
      fc.property(values, finite(1e-6, 1e6), finite(1e-3, 20), finite(1e-12, 0.5), (xs, sensitivity, epsilon, delta) => {
        const sigma = sy.dp.analyticGaussianSigma({ sensitivity, epsilon, delta });
        const gamma = sy.dp.granularityFor(sigma);
        expect(isGridFor(gamma, sigma)).toBe(true);
        const out = sy.dp.gaussian(xs, { sensitivity, epsilon, delta });
        expect(onGrid(out, gamma)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  test('two inputs a hair apart give outputs on the same grid (what textbook floating-point Laplace leaks)', () => {
    // 0.1 and 0.1 + 2^-55 differ in their last bits; snapped, both mechanisms' outputs are multiples of γ, so
    // no output value is possible from one and impossible from the other except through the noise's density.
    const gamma = sy.dp.granularityFor(1);
    for (const x of [0.1, 0.1 + 2 ** -55]) expect(onGrid(sy.dp.laplace(copies(x, 500), { sensitivity: 1, epsilon: 1 }), gamma)).toBe(true);
  });
});
