/**
 * A worker's privacy ledger: what its DP releases and DP training jobs have
 * spent, against the budget its data owner set.
 *
 * Every charge carries two descriptions of the same release: its own
 * (ε, δ), for basic composition (sums), and its Rényi-DP curve over
 * DEFAULT_ORDERS, for RDP composition converted to (ε, δ) at the budget's δ
 * (Balle et al. 2020, ./rdp.ts). Both bounds hold for the composed releases
 * at once, so the ledger reports the smaller: basic wins for a few pure-DP
 * queries (one Laplace query at ε = 1 costs exactly 1, where RDP would say
 * 1.0x), RDP for anything with many Gaussian steps. DP-SGD has no useful
 * per-job (ε, δ) of its own here, so its basic part is infinite and RDP
 * accounts for it.
 */
import { SyftError } from '../core/errors.js';
import type { DpMechanismSpec } from '../core/protocol.js';
import { analyticGaussianSigma } from './mechanisms.js';
import { computeRdp, DEFAULT_ORDERS, privacySpent } from './rdp.js';
import { logAdd } from './special.js';

export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/** One release, described both ways. */
export interface PrivacyCharge {
  readonly epsilon: number;
  readonly delta: number;
  /** RDP at each of DEFAULT_ORDERS. */
  readonly rdp: readonly number[];
}

export interface PrivacySpent {
  readonly epsilon: number;
  readonly delta: number;
  readonly accounting: 'basic' | 'rdp';
}

/** Tolerance for a budget spent exactly (ten queries of ε/10 must fit ε). */
const SLACK = 1 + 1e-9;

/** RDP of ε-DP randomized response on one bit (Mironov 2017, Prop. 5), never above ε. */
function randomizedResponseRdp(epsilon: number, alpha: number): number {
  // p = e^ε / (1 + e^ε); log p and log(1 - p) without overflow.
  const logP = -Math.log1p(Math.exp(-epsilon));
  const logQ = -Math.log1p(Math.exp(epsilon));
  const value = logAdd(alpha * logP + (1 - alpha) * logQ, alpha * logQ + (1 - alpha) * logP) / (alpha - 1);
  return Math.min(value, epsilon);
}

/** RDP of the ε-DP Laplace mechanism (Mironov 2017, Prop. 6), never above ε. */
function laplaceRdp(epsilon: number, alpha: number): number {
  const a = Math.log(alpha / (2 * alpha - 1)) + (alpha - 1) * epsilon;
  const b = Math.log((alpha - 1) / (2 * alpha - 1)) - alpha * epsilon;
  return Math.min(logAdd(a, b) / (alpha - 1), epsilon);
}

/** What the worker knows of the released tensor: values per individual's row, and its L2 sensitivity. */
export interface Released {
  readonly perRow: number;
  readonly l2: number;
}

/**
 * What a mechanism costs one individual whose data is one row of the input:
 * Laplace and Gaussian are calibrated to the whole release's sensitivity;
 * randomized response protects each value on its own, so a row of `perRow`
 * values costs perRow times ε; noise of a given σ costs the RDP of noise
 * multiplier σ/Δ₂ (no (ε, δ) of its own: RDP accounts for it).
 */
export function mechanismCharge(spec: DpMechanismSpec, { perRow, l2 }: Released): PrivacyCharge {
  const KINDS: { readonly [K in DpMechanismSpec['kind']]: (s: Extract<DpMechanismSpec, { kind: K }>) => PrivacyCharge } = {
    laplace: (s) => ({ epsilon: s.epsilon, delta: 0, rdp: DEFAULT_ORDERS.map((a) => laplaceRdp(s.epsilon, a)) }),
    // The analytic σ scales with Δ, so its ratio to Δ is the noise multiplier of the RDP curve α/(2z²).
    gaussian: (s) => ({ epsilon: s.epsilon, delta: s.delta, rdp: computeRdp(1, analyticGaussianSigma({ ...s, sensitivity: 1 }), 1) }),
    randomizedResponse: (s) => ({ epsilon: perRow * s.epsilon, delta: 0, rdp: DEFAULT_ORDERS.map((a) => perRow * randomizedResponseRdp(s.epsilon, a)) }),
    gaussianNoise: (s) => ({ epsilon: Infinity, delta: 0, rdp: computeRdp(1, s.sigma / l2, 1) }),
  };
  return (KINDS[spec.kind] as (s: DpMechanismSpec) => PrivacyCharge)(spec);
}

/** DP-SGD with Poisson sampling: `steps` steps of the subsampled Gaussian. */
export function dpSgdCharge(run: { readonly noiseMultiplier: number; readonly sampleRate: number; readonly steps: number }): PrivacyCharge {
  return { epsilon: Infinity, delta: 0, rdp: computeRdp(run.sampleRate, run.noiseMultiplier, run.steps) };
}

export class PrivacyLedger {
  #epsilon = 0;
  #delta = 0;
  #rdp: number[] = DEFAULT_ORDERS.map(() => 0);
  #charges = 0;

  constructor(public budget: PrivacyBudget | undefined) {}

  get charges(): number {
    return this.#charges;
  }

  /** The tighter of basic and RDP composition, with `extra` counted if given. */
  spent(extra?: PrivacyCharge): PrivacySpent {
    const epsilon = this.#epsilon + (extra?.epsilon ?? 0);
    const delta = this.#delta + (extra?.delta ?? 0);
    if (this.#charges === 0 && extra === undefined) return { epsilon: 0, delta: 0, accounting: 'basic' };
    const basic: PrivacySpent = { epsilon, delta, accounting: 'basic' };
    const target = this.budget?.delta ?? 1e-5;
    // Pure DP budgets (δ = 0) have no RDP conversion.
    if (target === 0) return basic;
    const rdp = extra === undefined ? this.#rdp : this.#rdp.map((r, i) => r + extra.rdp[i]!);
    const viaRdp: PrivacySpent = { epsilon: privacySpent(DEFAULT_ORDERS, rdp, target).epsilon, delta: target, accounting: 'rdp' };
    return delta <= target && epsilon <= viaRdp.epsilon ? basic : viaRdp;
  }

  /** Refuses `charge` (PRIVACY_BUDGET_EXCEEDED) when it would take the ledger past the budget. */
  check(charge: PrivacyCharge, what: string): void {
    if (this.budget === undefined) return;
    const after = this.spent(charge);
    if (after.epsilon <= this.budget.epsilon * SLACK && after.delta <= this.budget.delta * SLACK) return;
    const now = this.spent();
    throw new SyftError(
      'PRIVACY_BUDGET_EXCEEDED',
      `${what} would spend the privacy budget (ε ${this.budget.epsilon}, δ ${this.budget.delta}): spent so far ε ${now.epsilon.toPrecision(4)}, δ ${now.delta.toPrecision(3)}; ` +
        `with it ε ${after.epsilon.toPrecision(4)}, δ ${after.delta.toPrecision(3)}. Only the data owner can raise a budget: ask with more noise (a smaller ε per query) or fewer training steps.`,
    );
  }

  /** Records `charge` (after check(): nothing is recorded when it does not fit). */
  charge(charge: PrivacyCharge, what: string): void {
    this.check(charge, what);
    this.#epsilon += charge.epsilon;
    this.#delta += charge.delta;
    this.#rdp = this.#rdp.map((r, i) => r + charge.rdp[i]!);
    this.#charges++;
  }
}
