/**
 * A histogram tester that tries to disprove (ε, δ)-differential privacy from
 * samples, after Google's differential-privacy library:
 * - cc/testing/statistical_tests_utils.h, `VerifyApproximateDp` /
 *   `ComputeApproximateDpTestValue` (and the Java twin
 *   java/tests/com/google/privacy/differentialprivacy/statistical/CountDpTest.java):
 *   run the mechanism many times on two neighbouring inputs, histogram the
 *   outputs, and compare P̂[M(D) ∈ S] with e^ε·P̂[M(D') ∈ S] + δ in both directions;
 * - cc/testing/stochastic_tester.h, `StochasticTester` (Wilson et al. 2019,
 *   "Differentially Private SQL with Bounded User Contribution",
 *   arXiv:1909.01917, §5.3): the same predicate on bucketed histograms,
 *   allowing for the histogram's sampling error;
 * - Ding, Wang, Wang, Zhang and Kifer 2018, "Detecting Violations of
 *   Differential Privacy" (CCS): choose an event S, estimate both
 *   probabilities, and reject only when the gap exceeds what sampling error
 *   can explain; Gilbert and McMillan 2018, "Property Testing for
 *   Differential Privacy": such a test can only ever refute, never prove, DP.
 *
 * Google's tester sums max(0, p̂_A(b) − e^ε p̂_B(b)) over buckets (the
 * hockey-stick divergence of the two histograms, i.e. the worst union of
 * buckets) and allows a fixed tolerance whose error bound is Chebyshev-like;
 * at a false-failure rate of 1e-6 that needs millions of samples. Here each
 * event of a family (every bucket, every half-line at a bucket edge in both
 * directions) gets exact Chernoff confidence bounds, union-bounded over the
 * family, so a test with tens of thousands of samples fails a correct
 * mechanism with probability at most `falseAlarm`. For additive noise with a
 * monotone likelihood ratio (Laplace, Gaussian) the worst event is a
 * half-line, so the family contains the hockey-stick's witness up to the
 * placement of the edges.
 */

/** Kullback–Leibler divergence between Bernoulli(q) and Bernoulli(p). */
function bernoulliKl(q: number, p: number): number {
  const term = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(a / b));
  return term(q, p) + term(1 - q, 1 - p);
}

/**
 * The Chernoff bound for a binomial proportion: with k successes in n, the
 * true p lies above the returned value with probability at most `alpha`
 * (`side` 'upper'), or below it ('lower'). It is the p beyond k/n where
 * n·KL(k/n ‖ p) = ln(1/alpha), found by bisection; the Chernoff–Hoeffding
 * theorem P(p̂ ≤ q) ≤ exp(−n·KL(q ‖ p)) for q ≤ p makes it valid, and it is
 * nearly as tight as Clopper–Pearson without the inverse incomplete beta.
 */
export function binomialBound(k: number, n: number, alpha: number, side: 'upper' | 'lower'): number {
  const q = k / n;
  const budget = Math.log(1 / alpha) / n;
  let [inside, outside] = side === 'upper' ? [q, 1] : [q, 0];
  if (bernoulliKl(q, outside) <= budget) return outside;
  for (let i = 0; i < 100; i++) {
    const mid = (inside + outside) / 2;
    if (bernoulliKl(q, mid) <= budget) inside = mid;
    else outside = mid;
  }
  // The side of the bisection interval away from q: conservative.
  return outside;
}

export interface DpCheck {
  readonly epsilon: number;
  readonly delta: number;
  /** Bucket edges, ascending: buckets (−∞, e₀), [e₀, e₁), …, [e_last, ∞). */
  readonly edges: readonly number[];
  /** The probability that a mechanism satisfying (ε, δ)-DP is reported as violating it. */
  readonly falseAlarm: number;
}

interface Violation {
  /** The event S, e.g. "x < 10" or "[9.5, 10)". */
  readonly event: string;
  /** Which run's probability exceeded the bound: 'A' means P[M(D) ∈ S] > e^ε P[M(D') ∈ S] + δ. */
  readonly direction: 'A over B' | 'B over A';
  /** A lower confidence bound of the larger probability. */
  readonly lower: number;
  /** e^ε × an upper confidence bound of the other, plus δ. */
  readonly bound: number;
}

export interface DpVerdict {
  /** How many events were checked (each in both directions). */
  readonly events: number;
  /** Events where the DP inequality fails beyond sampling error, largest excess first. */
  readonly violations: readonly Violation[];
}

function histogram(samples: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    if (Number.isNaN(x)) throw new Error('dp tester: a sample is NaN');
    let [lo, hi] = [0, edges.length];
    // The number of edges <= x is the bucket index.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}

/**
 * Checks P[M(D) ∈ S] ≤ e^ε P[M(D') ∈ S] + δ and the reverse for every event S
 * of the family, from samples `a` of M(D) and `b` of M(D'). A violation is
 * reported only when a lower confidence bound of one side exceeds e^ε times
 * an upper confidence bound of the other, plus δ; every bound holds with
 * probability 1 − falseAlarm/(4·events), so a correct mechanism is reported
 * with probability at most falseAlarm.
 */
export function checkDp(a: ArrayLike<number>, b: ArrayLike<number>, { epsilon, delta, edges, falseAlarm }: DpCheck): DpVerdict {
  for (let i = 1; i < edges.length; i++) if (!(edges[i - 1]! < edges[i]!)) throw new Error('dp tester: edges must ascend');
  const [ca, cb] = [histogram(a, edges), histogram(b, edges)];
  const buckets = edges.length + 1;
  const events: { name: string; ka: number; kb: number }[] = [];
  for (let j = 0; j < buckets; j++) {
    const name = j === 0 ? `x < ${edges[0]}` : j === buckets - 1 ? `x ≥ ${edges[j - 1]}` : `[${edges[j - 1]}, ${edges[j]})`;
    events.push({ name, ka: ca[j]!, kb: cb[j]! });
  }
  // Half-lines strictly inside the range (the outermost are single buckets, already listed).
  let [below, belowB] = [ca[0]!, cb[0]!];
  for (let j = 1; j < edges.length; j++) {
    below += ca[j]!;
    belowB += cb[j]!;
    events.push({ name: `x < ${edges[j]}`, ka: below, kb: belowB });
    events.push({ name: `x ≥ ${edges[j]}`, ka: a.length - below, kb: b.length - belowB });
  }
  const alpha = falseAlarm / (4 * events.length);
  const e = Math.exp(epsilon);
  const violations: (Violation & { excess: number })[] = [];
  for (const { name, ka, kb } of events) {
    const sides = [
      { direction: 'A over B', k: ka, n: a.length, kOther: kb, nOther: b.length },
      { direction: 'B over A', k: kb, n: b.length, kOther: ka, nOther: a.length },
    ] as const;
    for (const { direction, k, n, kOther, nOther } of sides) {
      const lower = binomialBound(k, n, alpha, 'lower');
      const bound = e * binomialBound(kOther, nOther, alpha, 'upper') + delta;
      if (lower > bound) violations.push({ event: name, direction, lower, bound, excess: lower - bound });
    }
  }
  violations.sort((x, y) => y.excess - x.excess);
  return { events: events.length, violations: violations.map(({ excess: _, ...v }) => v) };
}

/** `count` + 1 edges `width` apart, centred on `centre`. */
export function edgesAround(centre: number, width: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, i) => centre + (i - count / 2) * width);
}
