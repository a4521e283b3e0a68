/**
 * The RDP accountant (src/dp/rdp.ts, a port of Opacus's analysis/rdp.py)
 * against reference numbers, and its special functions against known values.
 */
import { describe, expect, test } from 'vitest';
import { computeRdp, DEFAULT_ORDERS, privacySpent } from '../../src/dp/rdp.js';
import { binomialSeries, logErfc, logNdtr } from '../../src/dp/special.js';

const rel = (got: number, want: number): number => Math.abs(got / want - 1);

describe('special functions', () => {
  test('erfc through logErfc matches reference values to 1e-14 relative, far into the tail', () => {
    const reference: [number, number][] = [
      [0, 1],
      [0.5, 0.4795001221869535],
      [1, 0.157299207050285],
      [1.5, 0.033894853524689274],
      [2, 0.004677734981047266],
      [3, 2.209049699858544e-5],
      [5, 1.5374597944280349e-12],
      [10, 2.088487583762545e-45],
      [-1, 1.842700792949715],
      [-2, 1.9953222650189528],
    ];
    for (const [x, want] of reference) expect([x, rel(Math.exp(logErfc(x)), want) < 1e-14]).toEqual([x, true]);
    // erfc(30) underflows a double; its log follows the asymptotic series -x² - log(x√π) + log(1 - 1/(2x²) + 3/(4x⁴) - 15/(8x⁶)).
    const x = 30;
    expect(Math.abs(logErfc(x) - (-x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log1p(-1 / (2 * x * x) + 3 / (4 * x ** 4) - 15 / (8 * x ** 6))))).toBeLessThan(1e-9);
    expect(logNdtr(0)).toBeCloseTo(Math.log(0.5), 15);
  });

  test('log |binom(α, i)| and its sign, integer and fractional α', () => {
    const nth = (alpha: number, i: number) => {
      const series = binomialSeries(alpha);
      for (let k = 0; k < i; k++) series.next();
      return series.next();
    };
    expect(nth(5, 2)).toEqual({ log: expect.closeTo(Math.log(10), 14), sign: 1 });
    expect(nth(1.5, 3)).toEqual({ log: expect.closeTo(Math.log(0.0625), 14), sign: -1 });
    // Integer α: the series ends (C(5, 6) = 0) and stays there.
    expect(nth(5, 6)).toEqual({ log: -Infinity, sign: 0 });
    expect(nth(5, 9)).toEqual({ log: -Infinity, sign: 0 });
    expect(nth(3, 4).sign).toBe(0);
  });
});

describe('RDP of the sampled Gaussian mechanism', () => {
  test("Opacus's default orders: 1.1 to 10.9 by 0.1, then 12 to 63", () => {
    expect(DEFAULT_ORDERS).toHaveLength(151);
    expect([DEFAULT_ORDERS[0], DEFAULT_ORDERS[98], DEFAULT_ORDERS[99], DEFAULT_ORDERS[150]]).toEqual([1.1, 10.9, 12, 63]);
  });

  test("TF Privacy's MNIST tutorial figures with its older conversion (ε = rdp − log δ/(α−1)): 3.01 and 1.19", () => {
    // N 60,000, batch 256, δ 1e-5: σ 1.1 for 60 epochs, σ 1.3 for 15.
    for (const [sigma, epochs, want] of [[1.1, 60, 3.01], [1.3, 15, 1.19]] as const) {
      const rdp = computeRdp(256 / 60000, sigma, Math.ceil((epochs * 60000) / 256));
      const older = Math.min(...DEFAULT_ORDERS.map((a, k) => rdp[k]! - Math.log(1e-5) / (a - 1)));
      expect(older).toBeCloseTo(want, 2);
      // Balle et al. 2020's conversion is never looser.
      expect(privacySpent(DEFAULT_ORDERS, rdp, 1e-5).epsilon).toBeLessThan(older);
    }
  });

  test("Opacus's test_rdp_accountant: σ 1.5, q 0.04, 2250 steps, δ 1e-5 gives ε 7.32911117143 (7 places), best order 3.9", () => {
    const { epsilon, bestOrder } = privacySpent(DEFAULT_ORDERS, computeRdp(0.04, 1.5, 2250), 1e-5);
    expect(epsilon).toBeCloseTo(7.32911117143, 7);
    expect(bestOrder).toBeCloseTo(3.9, 12);
  });

  test("TF Privacy's rdp_accountant_test: compute_rdp(0.1, 2, 10, 5) and compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, ∞]), rtol 1e-6 against Opacus's values", () => {
    expect(computeRdp(0.1, 2, 10, [5])[0]).toBeCloseTo(0.07737, 5);
    const want = [6.50070897e-4, 1.08541806e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2, Infinity];
    const got = computeRdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, Infinity]);
    got.slice(0, 5).forEach((v, k) => expect([k, rel(v, want[k]!) < 1e-6]).toEqual([k, true]));
    expect(got[5]).toBe(Infinity);
  });

  test('q = 1 is the Gaussian mechanism: α/(2σ²) per step; q = 0 costs nothing', () => {
    expect(computeRdp(1, 2, 3, [2, 10.5])).toEqual([(3 * 2) / 8, (3 * 10.5) / 8]);
    expect(computeRdp(0, 1, 100, [2, 3])).toEqual([0, 0]);
  });
});
