/**
 * The accountant users hold (src/dp/accountant.ts) and the calibrated
 * mechanisms (src/dp/mechanisms.ts) against Opacus's tests and their own
 * definitions.
 */
import { describe, expect, test } from 'vitest';
import { dpSgdEpsilon, noiseForEpsilon, RdpAccountant } from '../../src/dp/accountant.js';
import { analyticGaussianSigma, granularityFor, laplace, onTensor, randomizedResponse } from '../../src/dp/mechanisms.js';
import * as tf from '@tensorflow/tfjs-core';
import { startHook } from '../support/runtime.js';
import { logNdtr } from '../../src/dp/special.js';

describe('RdpAccountant', () => {
  test("Opacus's test_rdp_accountant and test_accountant_load_state_dict: 2250 steps one at a time, or 1250 then 1000, give ε 7.32911117143", () => {
    const one = new RdpAccountant();
    for (let i = 0; i < 2250; i++) one.step({ noiseMultiplier: 1.5, sampleRate: 0.04 });
    expect(one.history).toEqual([{ noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2250 }]);
    expect(one.getEpsilon(1e-5)).toBeCloseTo(7.32911117143, 7);
    const split = new RdpAccountant().step({ noiseMultiplier: 1.5, sampleRate: 0.04 }, 1250).step({ noiseMultiplier: 1.5, sampleRate: 0.04 }, 1000);
    expect(split.getEpsilon(1e-5)).toBeCloseTo(7.32911117143, 7);
  });

  test('different steps compose by adding RDP; nothing recorded costs nothing; bad input is refused with a coded error', () => {
    const a = new RdpAccountant().step({ noiseMultiplier: 1, sampleRate: 0.01 }, 100).step({ noiseMultiplier: 2, sampleRate: 0.02 }, 50);
    const b1 = new RdpAccountant().step({ noiseMultiplier: 1, sampleRate: 0.01 }, 100).rdp();
    const b2 = new RdpAccountant().step({ noiseMultiplier: 2, sampleRate: 0.02 }, 50).rdp();
    a.rdp().forEach((r, k) => expect(r).toBeCloseTo(b1[k]! + b2[k]!, 12));
    expect(new RdpAccountant().getEpsilon(1e-5)).toBe(0);
    for (const bad of [() => a.step({ noiseMultiplier: -1, sampleRate: 0.1 }), () => a.step({ noiseMultiplier: 1, sampleRate: 2 }), () => a.getEpsilon(0)]) {
      expect(bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  test("noiseForEpsilon: Opacus's test_get_noise_multiplier_rdp_epochs (1.416) and _steps (1.3562), 4 places", () => {
    expect(noiseForEpsilon({ sampleRate: 0.04, epochs: 90, delta: 1e-5, epsilon: 8 })).toBeCloseTo(1.416, 3);
    expect(noiseForEpsilon({ sampleRate: 0.04, steps: 2000, delta: 1e-5, epsilon: 8 })).toBeCloseTo(1.3562, 4);
  });

  test('dpSgdEpsilon is the accountant over ceil(epochs·N/batch) steps at q = batch/N', () => {
    const eps = dpSgdEpsilon({ datasetSize: 60000, batchSize: 256, noiseMultiplier: 1.1, epochs: 60, delta: 1e-5 });
    expect(eps).toBe(new RdpAccountant().step({ noiseMultiplier: 1.1, sampleRate: 256 / 60000 }, Math.ceil((60 * 60000) / 256)).getEpsilon(1e-5));
  });
});

describe('mechanisms', () => {
  test('the analytic Gaussian σ meets δ exactly (to 1e-9 relative) and beats the classic σ = Δ√(2 ln(1.25/δ))/ε', () => {
    for (const [epsilon, delta] of [[1, 1e-5], [0.5, 1e-6], [3, 1e-3]] as const) {
      const sigma = analyticGaussianSigma({ sensitivity: 1, epsilon, delta });
      const a = 1 / (2 * sigma);
      const b = epsilon * sigma;
      const achieved = Math.exp(logNdtr(a - b)) - Math.exp(epsilon + logNdtr(-a - b));
      expect(Math.abs(achieved / delta - 1)).toBeLessThan(1e-6);
      if (epsilon <= 1) expect(sigma).toBeLessThan(Math.sqrt(2 * Math.log(1.25 / delta)) / epsilon);
    }
  });
});

describe('randomized response and tensors', () => {
  test('a bit is kept with probability e^ε/(1 + e^ε) (40,000 bits, within 4 standard deviations); bad bits are refused', () => {
    const n = 40_000;
    for (const epsilon of [0.5, 2]) {
      const reported = randomizedResponse(new Uint8Array(n).fill(1), { epsilon });
      const kept = reported.reduce((s, b) => s + b, 0) / n;
      const p = Math.exp(epsilon) / (1 + Math.exp(epsilon));
      expect(Math.abs(kept - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(() => randomizedResponse([2], { epsilon: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test('onTensor keeps the shape and gives float32 values on the grid', async () => {
    const hook = await startHook();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = onTensor(x, (v) => laplace(v, { sensitivity: 1, epsilon: 1 }));
    expect([y.shape, y.dtype]).toEqual([[2, 2], 'float32']);
    const grid = granularityFor(1);
    expect(Array.from(y.dataSync()).every((v) => Math.abs(Math.round(v / grid) * grid - v) <= Math.abs(v) * 2 ** -23)).toBe(true);
    tf.dispose([x, y]);
    await hook.shutdown();
  });
});
