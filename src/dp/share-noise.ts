/**
 * Distributed DP noise on additive shares (DP-FedAvg over secure
 * aggregation): each of n parties adds an independent discrete Gaussian of
 * variance σ²/n, in ring units, to its own share, so the opened sum carries
 * noise of variance σ² and no party (nor the caller) ever sees the sum
 * without it. A party knows its own part, so against a party the noise left
 * is σ²(n-1)/n: the accounting must use that figure when parties may be
 * curious (Kairouz, Liu and Steinke 2021, "The Distributed Discrete
 * Gaussian Mechanism"). The noise is integer-valued in ring units, so no
 * floating-point artefact reaches the shares.
 */
import type { RingTensor } from '../core/ring/ring.js';
import { rationalOf, sampleDiscreteGaussian } from './discrete.js';

/** `share` plus integer noise of standard deviation `sigma` (ring units) per element, modulo 2^64. */
export function noisyShare(share: RingTensor, sigma: number): RingTensor {
  const variance = rationalOf(sigma * sigma);
  const out = new BigUint64Array(share.values.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt.asUintN(64, share.values[i]! + sampleDiscreteGaussian(variance));
  return { values: out, shape: share.shape };
}
