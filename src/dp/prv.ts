/**
 * The PRV accountant (Gopi, Lee and Wutschitz 2021, "Numerical Composition of
 * Differential Privacy", arXiv:2106.02848), as Opacus runs it
 * (opacus/accountants/prv.py and accountants/analysis/prv/*): each history
 * entry's privacy loss random variable (the Poisson-subsampled Gaussian's)
 * is truncated to one safe domain, discretized on one grid whose mean is
 * shifted to the continuous mean, composed with itself by FFT (a circular
 * convolution of the grid's exact length), the entries convolved together,
 * and ε read off the composed distribution with its error bracket. ε comes
 * out tighter than RDP's conversion for the same history.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { checkStep, type HistoryEntry, RdpAccountant, StepHistory, type StepParams } from './accountant.js';
import { irfft, rfft } from './fft.js';

/** One history entry: `steps` steps of the Gaussian of noise multiplier σ on Poisson samples of rate q. */
export type PrvEntry = HistoryEntry;

/** ε at δ with its bracket: the true ε of the history lies in [lower, upper] (Gopi et al., Theorem 5.5). */
export interface PrvEpsilon {
  readonly lower: number;
  readonly estimate: number;
  readonly upper: number;
}

export interface PrvOptions {
  /** The half-width of the ε bracket (Opacus's eps_error, default 0.01); the grid gets finer as it shrinks. */
  readonly epsError?: number;
  /** The δ slack of the bracket (Opacus's delta_error, default δ/1000). */
  readonly deltaError?: number;
}

// erfc as scipy.special.erfc computes it (Cephes ndtr.c; scipy's values were checked bitwise equal on 1e5 points):
// the PRV's CDF needs two erfc per grid point, 800,000 for Opacus's test, and the rational forms take a tenth
// of the time of special.ts's series and continued fraction.
const ERFC_P = [
  2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687, 4.86371970985681366614e1, 1.96520832956077098242e2,
  5.26445194995477358631e2, 9.3452852717195760754e2, 1.02755188689515710272e3, 5.57535335369399327526e2,
];
const ERFC_Q = [
  1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2, 1.82390916687909736289e3,
  2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2,
];
const ERFC_R = [5.64189583547755073984e-1, 1.27536670759978104416, 5.01905042251180477414, 6.16021097993053585195, 7.4097426995044893916, 2.9788666537210024067];
const ERFC_S = [2.2605286322011727659, 9.39603524938001434673, 1.20489539808096656605e1, 1.70814450747565897222e1, 9.60896809063285878198, 3.3690764510008151605];
const ERF_T = [9.60497373987051638749, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3, 5.55923013010394962768e4];
const ERF_U = [3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4, 4.92673942608635921086e4];
const MAXLOG = 7.09782712893383996732e2;

/** Σ c_k x^(n-k) (Cephes polevl), and the same with a leading coefficient 1 left out of c (p1evl). */
function polevl(x: number, c: readonly number[], leadingOne = false): number {
  let y = leadingOne ? x + c[0]! : c[0]!;
  for (let k = 1; k < c.length; k++) y = y * x + c[k]!;
  return y;
}

function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x > 1) return 1 - erfc(x);
  const z = x * x;
  return (x * polevl(z, ERF_T)) / polevl(z, ERF_U, true);
}

function erfc(a: number): number {
  if (Number.isNaN(a)) return NaN;
  const x = Math.abs(a);
  if (x < 1) return 1 - erf(a);
  if (a * a > MAXLOG) return a < 0 ? 2 : 0;
  const z = Math.exp(-a * a);
  const y = x < 8 ? (z * polevl(x, ERFC_P)) / polevl(x, ERFC_Q, true) : (z * polevl(x, ERFC_R)) / polevl(x, ERFC_S, true);
  return a < 0 ? 2 - y : y;
}

/** The PRV's CDF (Gopi et al., Propositions B1/B4), in Opacus's arithmetic order. */
function prvCdf(q: number, sigma: number, t: number): number {
  if (!(t > Math.log1p(-q))) return 0;
  const z = Math.log((Math.exp(t) + q - 1) / q);
  const s2 = sigma * sigma;
  const r = 2 * Math.SQRT2 * sigma;
  return (-q * erfc((2 * z * s2 - 1) / r)) / 2 - ((1 - q) * erfc((2 * z * s2 + 1) / r)) / 2 + 1;
}

// QUADPACK's 21-point Gauss–Kronrod rule (qk21): Kronrod abscissae, Kronrod weights, and the 10-point Gauss weights
// (the Gauss abscissae are the odd-indexed Kronrod ones).
const XGK = [
  0.995657163025808080735527280689003, 0.973906528517171720077964012084452, 0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
  0.780817726586416897063717578345042, 0.679409568299024406234327365114874, 0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
  0.294392862701460198131126603103866, 0.14887433898163121088482600112972, 0,
];
const WGK = [
  0.011694638867371874278064396062192, 0.03255816230796472747881897245939, 0.05475589657435199603138130024458, 0.07503967481091995276704314091619,
  0.093125454583697605535065465083366, 0.109387158802297641899210590325805, 0.123491976262065851077958109831074, 0.134709217311473325928054001771707,
  0.142775938577060080797094273138717, 0.147739104901338491374841515972068, 0.149445554002916905664936468389821,
];
const WG = [0.066671344308688137593568809893332, 0.149451349150580593145776339657697, 0.219086362515982043995534934228163, 0.269266719309996355091226921569469, 0.295524224714752870173892994651338];

function kronrod21(f: (t: number) => number, a: number, b: number): { value: number; error: number } {
  const center = (a + b) / 2;
  const half = (b - a) / 2;
  const fc = f(center);
  let kronrod = fc * WGK[10]!;
  let gauss = 0;
  for (let j = 0; j < 10; j++) {
    const sum = f(center - half * XGK[j]!) + f(center + half * XGK[j]!);
    kronrod += WGK[j]! * sum;
    if (j % 2 === 1) gauss += WG[(j - 1) / 2]! * sum;
  }
  return { value: kronrod * half, error: Math.abs((kronrod - gauss) * half) };
}

/**
 * ∫ f on [a, b] (b < a allowed) by globally adaptive G-K 21 (QUADPACK's QAG
 * strategy: bisect the interval with the largest error estimate, at most
 * 500 intervals as Opacus asks scipy's quad), to 1e-13 rather than quad's
 * 1.49e-8 because the mean it feeds is multiplied by the number of steps.
 * Not a port of quad's QAGS (no ε-algorithm extrapolation), and it need not
 * be: against a 40-digit mpmath integral, the truncated PRV's mean of
 * Opacus's test (σ 1.5, q 0.04) is off by 9e-16 here and 1.4e-14 in scipy,
 * (σ 0.8, q 0.001) by 3e-13 here and 7.8e-13 in scipy; times the steps, both
 * move ε by under 1e-9.
 */
function integrate(f: (t: number) => number, a: number, b: number): number {
  if (a === b) return 0;
  if (b < a) return -integrate(f, b, a);
  const tolerance = 1e-13;
  const intervals = [{ a, b, ...kronrod21(f, a, b) }];
  for (;;) {
    let [value, error, worst] = [0, 0, 0];
    intervals.forEach((iv, k) => {
      value += iv.value;
      error += iv.error;
      if (iv.error > intervals[worst]!.error) worst = k;
    });
    if (error <= Math.max(tolerance, tolerance * Math.abs(value)) || intervals.length >= 500) return value;
    const { a: l, b: r } = intervals[worst]!;
    const m = (l + r) / 2;
    if (!(m > l && m < r)) return value;
    intervals.splice(worst, 1, { a: l, b: m, ...kronrod21(f, l, m) }, { a: m, b: r, ...kronrod21(f, m, r) });
  }
}

/** A grid t_i = tMin + i·dt, i < size (size even), as Opacus's Domain: `shifts` is how far it was moved from the aligned grid. */
interface Domain {
  readonly tMin: number;
  readonly tMax: number;
  readonly size: number;
  readonly shifts: number;
}

const dtOf = (d: Domain): number => (d.tMax - d.tMin) / (d.size - 1);
const shiftRight = (d: Domain, by: number): Domain => ({ tMin: d.tMin + by, tMax: d.tMax + by, size: d.size, shifts: d.shifts + by });

/** numpy's linspace(tMin, tMax, size): i·step + start, the last point exactly tMax. */
function gridPoints(d: Domain): Float64Array {
  const ts = new Float64Array(d.size);
  const step = dtOf(d);
  for (let i = 0; i < d.size; i++) ts[i] = i * step + d.tMin;
  ts[d.size - 1] = d.tMax;
  return ts;
}

/** Domain.create_aligned: a grid on multiples of dt covering [tMin, tMax], with an even number of points. */
function alignedDomain(tMin: number, tMax: number, dt: number): Domain {
  const lo = Math.floor(tMin / dt) * dt;
  let hi = Math.ceil(tMax / dt) * dt;
  let size = Math.round((hi - lo) / dt) + 1;
  if (size % 2 === 1) {
    size += 1;
    hi += dt;
  }
  const domain = { tMin: lo, tMax: hi, size, shifts: 0 };
  if (!(Math.abs(dtOf(domain) - dt) / dt < 1e-8)) {
    throw new InvalidArgumentError(`PrvAccountant: a grid step of ${dt} cannot be laid on [${tMin}, ${tMax}] in floating point; raise epsError.`);
  }
  return domain;
}

const rdpEpsilon = (entries: readonly PrvEntry[], delta: number): number => {
  const rdp = new RdpAccountant();
  for (const e of entries) rdp.step(e, e.steps);
  return rdp.getEpsilon(delta);
};

/**
 * compute_safe_domain_size: L such that the mass of the composed PRV beyond
 * ±L, and of each PRV beyond it, is within the δ error budget, by RDP tail
 * bounds; plus 3 (the authors' code, which Opacus marks as differing subtly
 * from the paper's Remark 5.6; fine for epsError < 1).
 */
function safeDomainSize(entries: readonly PrvEntry[], epsError: number, deltaError: number): number {
  const total = entries.reduce((n, e) => n + e.steps, 0);
  let L = rdpEpsilon(entries, deltaError / 4);
  for (const e of entries) L = Math.max(L, rdpEpsilon([{ ...e, steps: 1 }], deltaError / (8 * total)));
  return Math.max(L, epsError) + 3;
}

interface DiscretePrv {
  readonly pmf: Float64Array;
  readonly domain: Domain;
}

/**
 * One entry's PRV truncated to the domain, its probability on each grid cell
 * [t_i - dt/2, t_i + dt/2), and the grid moved so that the discrete mean is
 * the truncated PRV's mean (discretize and TruncatedPrivacyRandomVariable).
 */
function discretize({ noiseMultiplier: sigma, sampleRate: q }: PrvEntry, domain: Domain): DiscretePrv {
  const { tMin, tMax } = domain;
  const base = prvCdf(q, sigma, tMin);
  const mass = prvCdf(q, sigma, tMax) - base;
  const cdf = (t: number): number => (t < tMin ? 0 : t < tMax ? (prvCdf(q, sigma, t) - base) / mass : 1);
  // The mean by parts, E[T] = [t·F(t)] - ∫F, over Opacus's breakpoints (log-spaced towards 0 on both sides).
  const lowerExp = Math.trunc(Math.log10(Math.abs(tMin)));
  const upperExp = Math.trunc(Math.log10(tMax));
  const logspace = (start: number, stop: number): number[] => Array.from({ length: 10 }, (_, i) => 10 ** ((i * (stop - start)) / 9 + start));
  const points = [tMin, ...logspace(lowerExp, -5).map((v) => -v), 0, ...logspace(-5, upperExp), tMax];
  let meanC = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const [l, r] = [points[k]!, points[k + 1]!];
    meanC += r * cdf(r) - l * cdf(l) - integrate(cdf, l, r);
  }
  const ts = gridPoints(domain);
  const half = dtOf(domain) / 2;
  const pmf = new Float64Array(domain.size);
  let meanD = 0;
  // Each cell's upper edge is the next one's lower edge: one CDF evaluation per cell, not Opacus's two (the edges
  // differ from its t_i ± dt/2 in the last bit, which moves ε by nothing measurable: 1e-17 of mass).
  let below = cdf(ts[0]! - half);
  for (let i = 0; i < domain.size; i++) {
    const above = cdf(i + 1 < domain.size ? ts[i + 1]! - half : ts[i]! + half);
    pmf[i] = above - below;
    below = above;
    meanD += ts[i]! * pmf[i]!;
  }
  const shift = meanC - meanD;
  if (!(Math.abs(shift) < half)) {
    throw new InvalidArgumentError(`PrvAccountant: the discretized PRV's mean is off by ${shift}, more than half a grid step; lower epsError for a finer grid.`);
  }
  return { pmf, domain: shiftRight(domain, shift) };
}

/** _compose_fourier: the PRV added to itself n times, a circular convolution rolled back onto the same grid. */
function composeSelf({ pmf, domain }: DiscretePrv, n: number): DiscretePrv {
  const size = pmf.length;
  const spectrum = rfft(pmf);
  for (let k = 0; k < spectrum.re.length; k++) {
    // z^n as exp(n·log z), as numpy's complex power does for n >= 100 (C's cpow); exact enough below, too.
    const re = spectrum.re[k]!;
    const im = spectrum.im[k]!;
    const modulus = Math.exp(n * Math.log(Math.hypot(re, im)));
    const angle = n * Math.atan2(im, re);
    spectrum.re[k] = modulus * Math.cos(angle);
    spectrum.im[k] = modulus * Math.sin(angle);
  }
  const back = irfft(spectrum.re, spectrum.im, size);
  // The sum of n points of a grid centred at index size/2 - 1 lands (n - 1) + [n even]·size/2 places to the right (np.roll).
  const roll = (n - 1 + (n % 2 === 0 ? size / 2 : 0)) % size;
  const composed = new Float64Array(size);
  for (let i = 0; i < size; i++) composed[(i + roll) % size] = back[i]!;
  return { pmf: composed, domain: shiftRight(domain, domain.shifts * (n - 1)) };
}

/** _compose_two: the linear convolution's middle `size` points (scipy's convolve(·, ·, mode='same')), by zero-padded FFT. */
function composeTwo(left: DiscretePrv, right: DiscretePrv): DiscretePrv {
  const size = left.pmf.length;
  let m = 2;
  while (m < 2 * size - 1) m <<= 1;
  const [a, b] = [new Float64Array(m), new Float64Array(m)];
  a.set(left.pmf);
  b.set(right.pmf);
  const [fa, fb] = [rfft(a), rfft(b)];
  for (let k = 0; k < fa.re.length; k++) {
    const re = fa.re[k]! * fb.re[k]! - fa.im[k]! * fb.im[k]!;
    fa.im[k] = fa.re[k]! * fb.im[k]! + fa.im[k]! * fb.re[k]!;
    fa.re[k] = re;
  }
  const full = irfft(fa.re, fa.im, m);
  const start = (size - 1) >> 1;
  return { pmf: full.slice(start, start + size), domain: shiftRight(left.domain, right.domain.shifts) };
}

/** compose_heterogeneous: each entry composed with itself by FFT, then neighbours convolved pairwise in a tree. */
function composeHeterogeneous(dprvs: readonly DiscretePrv[], steps: readonly number[]): DiscretePrv {
  let level = dprvs.map((d, k) => composeSelf(d, steps[k]!));
  while (level.length > 1) {
    const next: DiscretePrv[] = [];
    if (level.length % 2 === 1) next.push(level.pop()!);
    for (let k = 0; k + 1 < level.length; k += 2) next.push(composeTwo(level[k]!, level[k + 1]!));
    level = next;
  }
  return level[0]!;
}

/**
 * DiscretePRV.compute_epsilon. δ(ε) = Σ_{t_j ≥ ε} p_j (1 - e^(ε - t_j)) is
 * d1[i] - e^ε·d2[i] between grid points, with d1, d2 the tail sums of p and
 * p·e^(-t); ε solves it exactly on the first cell where δ falls below the target.
 */
function epsilonBounds({ pmf, domain }: DiscretePrv, delta: number, deltaError: number, epsError: number): PrvEpsilon {
  const size = pmf.length;
  const ts = gridPoints(domain);
  const [d1, d2, ndelta] = [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  for (let i = size - 1, s1 = 0, s2 = 0; i >= 0; i--) {
    s1 += pmf[i]!;
    s2 += pmf[i]! * Math.exp(-ts[i]!);
    d1[i] = s1;
    d2[i] = s2;
  }
  for (let i = 0; i < size; i++) ndelta[i] = Math.exp(ts[i]!) * d2[i]! - d1[i]!;
  const epsilonAt = (target: number): number => {
    // numpy's searchsorted(ndelta, -target, 'left'): the first i with ndelta[i] >= -target.
    let [lo, hi] = [0, size];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ndelta[mid]! < -target) lo = mid + 1;
      else hi = mid;
    }
    if (lo <= 0) throw new InvalidArgumentError(`PrvAccountant: delta ${target} is beyond what the grid covers (δ at its lower end); use a smaller delta.`);
    return Math.log((d1[lo]! - target) / d2[lo]!);
  };
  return { lower: epsilonAt(delta + deltaError) - epsError, estimate: epsilonAt(delta), upper: epsilonAt(delta - deltaError) + epsError };
}


/**
 * The largest grid composed: Bluestein's transform of 2^23 points works on
 * 2^24-point arrays, about 1.5 GB in all. Histories that need more (tens of
 * thousands of steps at ε in the tens) should raise epsError.
 */
const MAX_GRID = 2 ** 23;

/**
 * ε of a history at δ with its bracket (Opacus's PRVAccountant._get_dprv and
 * compute_epsilon). Entries that cannot leak (no steps, or sample rate 0)
 * are left out; any that sample with no noise make ε infinite.
 */
export function prvEpsilon(history: readonly PrvEntry[], delta: number, { epsError = 0.01, deltaError = delta / 1000 }: PrvOptions = {}): PrvEpsilon {
  for (const e of history) checkStep(e, e.steps, 'PrvAccountant');
  if (!(delta > 0 && delta < 1)) throw new InvalidArgumentError(`PrvAccountant: delta must be in (0, 1), got ${delta}.`);
  if (!(epsError > 0 && Number.isFinite(epsError))) throw new InvalidArgumentError(`PrvAccountant: epsError must be a positive number, got ${epsError}.`);
  if (!(deltaError > 0 && deltaError < delta)) throw new InvalidArgumentError(`PrvAccountant: deltaError must be in (0, delta = ${delta}), got ${deltaError}.`);
  const entries = history.filter((e) => e.steps > 0 && e.sampleRate > 0);
  if (entries.length === 0) return { lower: 0, estimate: 0, upper: 0 };
  if (entries.some((e) => e.noiseMultiplier === 0)) return { lower: Infinity, estimate: Infinity, upper: Infinity };
  const total = entries.reduce((n, e) => n + e.steps, 0);
  const L = safeDomainSize(entries, epsError, deltaError);
  const mesh = epsError / Math.sqrt((total * Math.log(12 / deltaError)) / 2);
  const domain = alignedDomain(-L, L, mesh);
  if (domain.size > MAX_GRID) {
    throw new InvalidArgumentError(
      `PrvAccountant: this history needs a grid of ${domain.size} points (more than ${MAX_GRID}); raise epsError (the grid step grows with it).`,
    );
  }
  // Opacus compares with long double's epsilon (1e-19 on x86) though it sums in float64: the float64 one is the honest guard.
  if (Number.EPSILON * domain.size > delta - deltaError) {
    throw new InvalidArgumentError(
      `PrvAccountant: delta ${delta} is too small for a ${domain.size}-point grid in float64 (rounding would dominate); use a larger delta or a larger epsError.`,
    );
  }
  const dprvs = entries.map((e) => discretize(e, domain));
  const composed = composeHeterogeneous(dprvs, entries.map((e) => e.steps));
  return epsilonBounds(composed, delta, deltaError, epsError);
}

/**
 * The PRV accountant users hold, with RdpAccountant's surface: the history
 * of (noise multiplier, sample rate, steps) of the Poisson-subsampled
 * Gaussian, and ε on demand. getEpsilon returns the UPPER end of the bracket,
 * ε solved at δ - δ/1000 on the composed grid plus epsError, as Opacus's
 * get_epsilon does: a guarantee, not an estimate. Each call discretizes and
 * composes afresh (the grid depends on δ and the history): 0.4-0.7 s of CPU
 * for MNIST's 14,063 steps at q 256/60000 (a 505,784-point grid).
 */
export class PrvAccountant {
  readonly #history = new StepHistory('PrvAccountant');

  /** Records `steps` steps of the sampled Gaussian mechanism (consecutive identical steps are merged, as Opacus does). */
  step(params: StepParams, steps = 1): this {
    this.#history.add(params, steps);
    return this;
  }

  get history(): readonly PrvEntry[] {
    return this.#history.copy();
  }

  /** ε at δ with its bracket; `epsilon` is the upper end, what getEpsilon returns. */
  getPrivacySpent(delta: number, options: PrvOptions = {}): PrvEpsilon & { readonly epsilon: number } {
    const bounds = prvEpsilon(this.#history.entries, delta, options);
    return { ...bounds, epsilon: bounds.upper };
  }

  /**
   * An upper bound on ε at δ (Opacus's eps_upper with δ_error = δ/1000 unless given): the true ε is at least
   * the bracket's lower end, about 2·epsError below it.
   */
  getEpsilon(delta: number, options: PrvOptions = {}): number {
    return this.getPrivacySpent(delta, options).upper;
  }
}
