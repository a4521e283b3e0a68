/**
 * The worker's privacy ledger (src/dp/ledger.ts): RDP curves of each
 * mechanism against closed forms they must meet, and the composition rule
 * (the smaller of basic and RDP, both valid) against each bound.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { RdpAccountant } from '../../src/dp/accountant.js';
import { dpSgdCharge, mechanismCharge, PrivacyLedger } from '../../src/dp/ledger.js';
import { analyticGaussianSigma } from '../../src/dp/mechanisms.js';
import { DEFAULT_ORDERS, privacySpent } from '../../src/dp/rdp.js';

const at = (order: number) => DEFAULT_ORDERS.indexOf(order);

test('Laplace and randomized response RDP: non-decreasing in α, at most ε, near the KL divergence at α → 1 and near ε at α = 63', () => {
  for (const epsilon of [0.1, 1, 3]) {
    const laplace = mechanismCharge({ kind: 'laplace', sensitivity: 1, epsilon }, { perRow: 1, l2: 1 }).rdp;
    const rr = mechanismCharge({ kind: 'randomizedResponse', epsilon }, { perRow: 1, l2: 1 }).rdp;
    for (const curve of [laplace, rr]) {
      curve.forEach((r, i) => i > 0 && expect(r).toBeGreaterThanOrEqual(curve[i - 1]! - 1e-12));
      expect(Math.max(...curve)).toBeLessThanOrEqual(epsilon);
    }
    // KL(Lap(0,1/ε) || Lap(1,1/ε)) = ε + e^-ε - 1; KL of randomized response = (2p - 1)·ε with p = e^ε/(1+e^ε).
    const klLaplace = epsilon + Math.exp(-epsilon) - 1;
    const p = Math.exp(epsilon) / (1 + Math.exp(epsilon));
    const klRr = (2 * p - 1) * epsilon;
    expect(laplace[at(1.1)]!).toBeGreaterThan(klLaplace);
    expect(laplace[at(1.1)]! / klLaplace).toBeLessThan(1.25);
    expect(rr[at(1.1)]!).toBeGreaterThan(klRr);
    expect(rr[at(1.1)]! / klRr).toBeLessThan(1.25);
    expect(laplace[at(63)]! / epsilon).toBeGreaterThan(epsilon < 1 ? 0.05 : 0.9);
  }
  // A row of 3 values under randomized response costs 3ε both ways.
  const row = mechanismCharge({ kind: 'randomizedResponse', epsilon: 0.5 }, { perRow: 3, l2: 1 });
  expect(row.epsilon).toBe(1.5);
  expect(row.rdp[at(2)]).toBeCloseTo(3 * mechanismCharge({ kind: 'randomizedResponse', epsilon: 0.5 }, { perRow: 1, l2: 1 }).rdp[at(2)]!, 14);
});

test('the Gaussian charge is the RDP curve α/(2z²) of its analytic noise multiplier', () => {
  const spec = { kind: 'gaussian', sensitivity: 3, epsilon: 0.8, delta: 1e-6 } as const;
  const z = analyticGaussianSigma({ ...spec, sensitivity: 1 });
  const { rdp, epsilon, delta } = mechanismCharge(spec, { perRow: 10, l2: 1 });
  expect([epsilon, delta]).toEqual([0.8, 1e-6]);
  DEFAULT_ORDERS.forEach((a, i) => expect(rdp[i]!).toBeCloseTo(a / (2 * z * z), 12));
});

test('DP-SGD charges compose to RdpAccountant\'s ε for the same steps', () => {
  const ledger = new PrivacyLedger({ epsilon: 100, delta: 1e-5 });
  const accountant = new RdpAccountant();
  for (const [noiseMultiplier, sampleRate, steps] of [[1.1, 0.01, 300], [0.9, 0.02, 50]] as const) {
    ledger.charge(dpSgdCharge({ noiseMultiplier, sampleRate, steps }), 'job');
    accountant.step({ noiseMultiplier, sampleRate }, steps);
  }
  const spent = ledger.spent();
  expect(spent.accounting).toBe('rdp');
  expect(spent.epsilon).toBeCloseTo(accountant.getEpsilon(1e-5), 12);
});

test('a budget spent exactly still fits (ten queries of ε/10); one more is refused with PRIVACY_BUDGET_EXCEEDED and nothing recorded', () => {
  const ledger = new PrivacyLedger({ epsilon: 1, delta: 0 });
  for (let k = 0; k < 10; k++) ledger.charge(mechanismCharge({ kind: 'laplace', sensitivity: 1, epsilon: 0.1 }, { perRow: 1, l2: 1 }), 'query');
  expect(ledger.spent()).toEqual({ epsilon: expect.closeTo(1, 12), delta: 0, accounting: 'basic' });
  let code: unknown;
  try {
    ledger.charge(mechanismCharge({ kind: 'laplace', sensitivity: 1, epsilon: 1e-6 }, { perRow: 1, l2: 1 }), 'one more');
  } catch (e) {
    code = (e as { code?: string }).code;
  }
  expect(code).toBe('PRIVACY_BUDGET_EXCEEDED');
  expect(ledger.charges).toBe(10);
});

test('property: the ledger reports the smaller of basic and RDP composition, each computed independently', () => {
  const charge = fc.oneof(
    fc.record({ kind: fc.constant('laplace' as const), sensitivity: fc.constant(1), epsilon: fc.double({ min: 0.01, max: 2, noNaN: true }) }),
    fc.record({ kind: fc.constant('gaussian' as const), sensitivity: fc.constant(1), epsilon: fc.double({ min: 0.05, max: 2, noNaN: true }), delta: fc.double({ min: 1e-9, max: 1e-6, noNaN: true }) }),
    fc.record({ kind: fc.constant('randomizedResponse' as const), epsilon: fc.double({ min: 0.01, max: 2, noNaN: true }) }),
  );
  fc.assert(
    fc.property(fc.array(charge, { minLength: 1, maxLength: 30 }), (specs) => {
      const delta = 1e-5;
      const ledger = new PrivacyLedger(undefined);
      ledger.budget = { epsilon: Infinity, delta };
      const charges = specs.map((s) => mechanismCharge(s, { perRow: 1, l2: 1 }));
      for (const c of charges) ledger.charge(c, 'q');
      const basic = { epsilon: charges.reduce((a, c) => a + c.epsilon, 0), delta: charges.reduce((a, c) => a + c.delta, 0) };
      const rdp = DEFAULT_ORDERS.map((_, i) => charges.reduce((a, c) => a + c.rdp[i]!, 0));
      const viaRdp = privacySpent(DEFAULT_ORDERS, rdp, delta).epsilon;
      const spent = ledger.spent();
      const expected = basic.delta <= delta ? Math.min(basic.epsilon, viaRdp) : viaRdp;
      expect(spent.epsilon).toBeCloseTo(expected, 9);
      expect(spent.accounting).toBe(spent.epsilon === basic.epsilon && basic.delta <= delta ? 'basic' : 'rdp');
    }),
    { numRuns: 60 },
  );
});
