/**
 * Rényi-DP of the sampled Gaussian mechanism and its conversion to (ε, δ),
 * ported from Opacus (opacus/accountants/analysis/rdp.py, itself from
 * TensorFlow Privacy; Mironov, Talwar and Zhang 2019, "Rényi Differential
 * Privacy of the Sampled Gaussian Mechanism"). The conversion is Balle et
 * al. 2020 ("Hypothesis testing interpretations and Rényi DP", Theorem 21),
 * as Opacus's get_privacy_spent.
 */
import { binomialSeries, logAdd, logErfc, logSub } from './special.js';

/** Opacus's DEFAULT_ALPHAS: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63. */
export const DEFAULT_ORDERS: readonly number[] = [...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10), ...Array.from({ length: 52 }, (_, k) => 12 + k)];

/** log(A_α) for an integer α (the binomial expansion of Mironov et al., section 3.3). */
function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  const binom = binomialSeries(alpha);
  for (let i = 0; i <= alpha; i++) {
    const logCoef = binom.next().log + i * Math.log(q) + (alpha - i) * Math.log1p(-q);
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

/** log(A_α) for a fractional α (section 3.3, the two series, summed until their terms drop below e^-30). */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let [logA0, logA1] = [-Infinity, -Infinity];
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const binom = binomialSeries(alpha);
  for (let i = 0; ; i++) {
    const { log: logCoef, sign } = binom.next();
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log1p(-q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log1p(-q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else if (sign < 0) {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/** RDP at order α of one step of the Gaussian mechanism (noise multiplier σ) on a Poisson sample of rate q. */
function rdpOneStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (!Number.isFinite(alpha)) return Infinity;
  const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** Opacus's compute_rdp: the RDP of `steps` steps, at each order. */
export function computeRdp(q: number, noiseMultiplier: number, steps: number, orders: readonly number[] = DEFAULT_ORDERS): number[] {
  return orders.map((alpha) => rdpOneStep(q, noiseMultiplier, alpha) * steps);
}

/**
 * Opacus's get_privacy_spent: the smallest ε over the orders at which the
 * RDP guarantee gives (ε, δ)-DP, by Balle et al. 2020:
 *   ε = rdp − (log δ + log α)/(α − 1) + log((α − 1)/α).
 */
export function privacySpent(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; bestOrder: number } {
  let best = { epsilon: Infinity, bestOrder: NaN };
  orders.forEach((alpha, k) => {
    const eps = rdp[k]! - (Math.log(delta) + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    if (!Number.isNaN(eps) && eps < best.epsilon) best = { epsilon: eps, bestOrder: alpha };
  });
  return best;
}
