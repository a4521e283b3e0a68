/**
 * The PRV accountant (Gopi, Lee and Wutschitz 2021, "Numerical Composition of
 * Differential Privacy"), ported from Opacus's accountants/prv.py for one
 * history entry (σ, q, steps): the privacy random variable of the Poisson-
 * subsampled Gaussian is truncated to a safe domain, discretized on a grid
 * whose mean matches the continuous one, composed `steps` times by FFT (a
 * circular self-convolution of the grid's exact length), and ε is read off
 * the composed distribution with its error bound: it returns the upper
 * bound, as Opacus's get_epsilon does. Tighter than RDP's conversion.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { RdpAccountant } from './accountant.js';
import { fft } from './fft.js';
import { logErfc } from './special.js';

const erfc = (x: number): number => Math.exp(logErfc(x));

/** The PRV's CDF (Gopi et al., Propositions B1/B4). */
function prvCdf(q: number, sigma: number, t: number): number {
  if (!(t > Math.log1p(-q))) return 0;
  const z = Math.log((Math.exp(t) + q - 1) / q);
  const s2 = sigma * sigma;
  const r = 2 * Math.SQRT2 * sigma;
  return (-q * erfc((2 * z * s2 - 1) / r)) / 2 - ((1 - q) * erfc((2 * z * s2 + 1) / r)) / 2 + 1;
}

/** ∫ f on [a, b] by adaptive Simpson to an absolute tolerance (QUADPACK's 1.49e-8 in Opacus; tighter here). */
function integrate(f: (t: number) => number, a: number, b: number, tolerance = 1e-12): number {
  const simpson = (l: number, r: number, fl: number, fm: number, fr: number) => ((r - l) / 6) * (fl + 4 * fm + fr);
  const recurse = (l: number, r: number, fl: number, fm: number, fr: number, whole: number, tol: number, depth: number): number => {
    const m = (l + r) / 2;
    const [lm, rm] = [(l + m) / 2, (m + r) / 2];
    const [flm, frm] = [f(lm), f(rm)];
    const left = simpson(l, m, fl, flm, fm);
    const right = simpson(m, r, fm, frm, fr);
    if (depth > 50 || Math.abs(left + right - whole) <= 15 * tol) return left + right + (left + right - whole) / 15;
    return recurse(l, m, fl, flm, fm, left, tol / 2, depth + 1) + recurse(m, r, fm, frm, fr, right, tol / 2, depth + 1);
  };
  const [fa, fm, fb] = [f(a), f((a + b) / 2), f(b)];
  return recurse(a, b, fa, fm, fb, simpson(a, b, fa, fm, fb), tolerance, 0);
}

const linspaceLog = (start: number, stop: number, num: number): number[] =>
  Array.from({ length: num }, (_, i) => 10 ** (start + ((stop - start) * i) / (num - 1)));

export interface PrvEpsilon {
  readonly lower: number;
  readonly estimate: number;
  readonly upper: number;
}

/** ε of `steps` steps of the sampled Gaussian (σ, q) at δ, with its bounds (Opacus's eps_error 0.01 and δ_error δ/1000 by default). */
export function prvEpsilon(
  { noiseMultiplier: sigma, sampleRate: q, steps }: { readonly noiseMultiplier: number; readonly sampleRate: number; readonly steps: number },
  delta: number,
  { epsError = 0.01, deltaError = delta / 1000 }: { readonly epsError?: number; readonly deltaError?: number } = {},
): PrvEpsilon {
  if (!(sigma > 0 && q > 0 && q < 1 && Number.isSafeInteger(steps) && steps >= 1)) {
    throw new InvalidArgumentError('prvEpsilon: needs noiseMultiplier > 0, sampleRate in (0, 1) and a whole number of steps >= 1.');
  }
  if (!(delta > 0 && delta < 1)) throw new InvalidArgumentError(`prvEpsilon: delta must be in (0, 1), got ${delta}.`);
  // 1. A domain wide enough that the truncated mass is below the error budget (compute_safe_domain_size).
  let L = new RdpAccountant().step({ noiseMultiplier: sigma, sampleRate: q }, steps).getEpsilon(deltaError / 4);
  L = Math.max(L, new RdpAccountant().step({ noiseMultiplier: sigma, sampleRate: q }, 1).getEpsilon(deltaError / (8 * steps)));
  L = Math.max(L, epsError) + 3;
  const mesh = epsError / Math.sqrt((steps * Math.log(12 / deltaError)) / 2);
  // Domain.create_aligned(-L, L, mesh): an even number of points.
  let tMin = Math.floor(-L / mesh) * mesh;
  let tMax = Math.ceil(L / mesh) * mesh;
  let size = Math.round((tMax - tMin) / mesh) + 1;
  if (size % 2 === 1) {
    size += 1;
    tMax += mesh;
  }
  const dt = (tMax - tMin) / (size - 1);
  // 2. Truncate to the domain; the continuous mean by parts over Opacus's breakpoints.
  const base0 = prvCdf(q, sigma, tMin);
  const mass = prvCdf(q, sigma, tMax) - base0;
  const cdf = (t: number): number => (t < tMin ? 0 : t < tMax ? (prvCdf(q, sigma, t) - base0) / mass : 1);
  const lowerExp = Math.trunc(Math.log10(Math.abs(tMin)));
  const upperExp = Math.trunc(Math.log10(tMax));
  const points = [tMin, ...linspaceLog(lowerExp, -5, 10).map((v) => -v), 0, ...linspaceLog(-5, upperExp, 10), tMax];
  let meanC = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const [l, r] = [points[k]!, points[k + 1]!];
    meanC += r * cdf(r) - l * cdf(l) - integrate(cdf, l, r);
  }
  // 3. Discretize on the grid, then shift it so the discrete mean is the continuous one.
  const pmf = new Float64Array(size);
  let meanD = 0;
  for (let i = 0; i < size; i++) {
    const t = tMin + i * dt;
    pmf[i] = cdf(t + dt / 2) - cdf(t - dt / 2);
    meanD += t * pmf[i]!;
  }
  const shift = meanC - meanD;
  if (Math.abs(shift) >= dt / 2) throw new InvalidArgumentError('prvEpsilon: the discrete mean differs from the continuous one by half a grid step; the domain is too coarse.');
  // 4. Compose `steps` times: the DFT to the power steps, back, and re-centred (np.roll) on the grid.
  const spectrum = fft(pmf, new Float64Array(size));
  for (let k = 0; k < size; k++) {
    const [re, im] = [spectrum.re[k]!, spectrum.im[k]!];
    const r = Math.exp(steps * Math.log(Math.hypot(re, im)));
    const angle = steps * Math.atan2(im, re);
    [spectrum.re[k], spectrum.im[k]] = [r * Math.cos(angle), r * Math.sin(angle)];
  }
  const back = fft(spectrum.re, spectrum.im, true).re;
  const roll = (steps - 1 + (steps % 2 === 0 ? size / 2 : 0)) % size;
  const composed = new Float64Array(size);
  for (let i = 0; i < size; i++) composed[(i + roll) % size] = back[i]!;
  const start = tMin + steps * shift;
  // 5. ε from the composed distribution (DiscretePRV.compute_epsilon).
  const d1 = new Float64Array(size);
  const d2 = new Float64Array(size);
  for (let i = size - 1, s1 = 0, s2 = 0; i >= 0; i--) {
    s1 += composed[i]!;
    s2 += composed[i]! * Math.exp(-(start + i * dt));
    d1[i] = s1;
    d2[i] = s2;
  }
  const ndelta = (i: number) => Math.exp(start + i * dt) * d2[i]! - d1[i]!;
  const epsilonAt = (target: number): number => {
    // The first i with ndelta[i] >= -target (numpy's searchsorted, side 'left', on an increasing array).
    let [lo, hi] = [0, size];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ndelta(mid) < -target) lo = mid + 1;
      else hi = mid;
    }
    if (lo <= 0) throw new InvalidArgumentError('prvEpsilon: cannot compute epsilon for this delta on this domain.');
    return Math.log((d1[lo]! - target) / d2[lo]!);
  };
  return { upper: epsilonAt(delta - deltaError) + epsError, estimate: epsilonAt(delta), lower: epsilonAt(delta + deltaError) - epsError };
}
