/**
 * The data owner's privacy policy, enforced where the data is: the caller
 * may be the adversary, so the budget, the ledger and the knowledge of what
 * is private all live here, and the caller can only tighten a policy.
 *
 * What is private: with `denyRawGet`, everything the worker holds when the
 * policy is set (its owner's data), and whatever is later computed from it
 * (an op, a share, a training step, a gradient). Such objects never leave
 * the worker: a command that would disclose them (the command table's
 * `discloses`: fetch, move, shares, openings) is refused with PRIVACY_POLICY.
 * Outputs of DP mechanisms and of DP training are released instead: public,
 * and charged to the budget first (PRIVACY_BUDGET_EXCEEDED, before any noise
 * is drawn, when they do not fit).
 *
 * A mechanism is calibrated to a sensitivity the caller declares, which the
 * worker must be able to vouch for, or the declaration could be 1e-12 and the
 * noise nothing. So the worker tracks sensitivities itself, as Google's DP
 * library's bounded aggregations do: raw data has none; `clipByValue(lo, hi)`
 * bounds every row (one row = one individual's record); sums and means over
 * rows, scaling by public numbers, public offsets and sums of two bounded
 * values keep a bound (./SENSITIVITY below); any other op forgets it. A
 * release whose declared sensitivity is below the tracked one is refused.
 */
import { SyftError } from '../core/errors.js';
import { disclosedBy, readsOf, writesOf } from '../core/commands.js';
import type { Command, CommandOf, CommandType, ObjectSummary, PrivacyPolicySpec, PrivacyReport, WireArg } from '../core/protocol.js';
import { refsOf } from '../core/protocol.js';
import { dpSgdCharge, mechanismCharge, type PrivacyCharge, PrivacyLedger } from '../dp/ledger.js';
import type { ObjectStore } from './object-store.js';
import { dpCostOf } from './training.js';
import type { RemoteGraph } from './remote-graph.js';

/**
 * How far one individual can move a private value: per row (`rows`: axis 0
 * indexes individuals, one row each), or for the whole tensor. L1 and L2,
 * Infinity when unknown.
 */
export interface Sensitivity {
  readonly rows: boolean;
  readonly l1: number;
  readonly l2: number;
}

const UNKNOWN: Sensitivity = Object.freeze({ rows: false, l1: Infinity, l2: Infinity });
const RAW_ROWS: Sensitivity = Object.freeze({ rows: true, l1: Infinity, l2: Infinity });

/** An argument as the rules see it: a private input's sensitivity, a public tensor, or a public value. */
type Operand = { readonly kind: 'private'; readonly s: Sensitivity; readonly shape: readonly number[] } | { readonly kind: 'public-tensor' } | { readonly kind: 'value'; readonly value: unknown };

const scaled = (s: Sensitivity, k: number): Sensitivity => ({ rows: s.rows, l1: s.l1 * k, l2: s.l2 * k });

/** Axes a reduction covers (all when none are given), non-negative. */
function reducedAxes(axis: unknown, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))];
}

/** A sum (or, divided by the count, a mean) over axes: one row's change moves the result by at most its own L1 (L2 when only axis 0 is summed). */
function reduction(mean: boolean) {
  return (args: readonly Operand[]): Sensitivity => {
    const x = args[0];
    if (x?.kind !== 'private') return UNKNOWN;
    const axis = args[1]?.kind === 'value' ? args[1].value : undefined;
    const axes = reducedAxes(axis, x.shape.length);
    const count = mean ? axes.reduce((n, a) => n * (x.shape[a] ?? 1), 1) : 1;
    const withinRow = axes.some((a) => a !== 0);
    const l2 = withinRow || !x.s.rows ? x.s.l1 : x.s.l2;
    return { rows: x.s.rows && !axes.includes(0), l1: x.s.l1 / count, l2: l2 / count };
  };
}

const publicNumber = (o: Operand | undefined): number | undefined => (o?.kind === 'value' && typeof o.value === 'number' ? o.value : undefined);

const sizeOf = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

/**
 * A private operand broadcast to the output's shape: each of its values now
 * appears k times, so L1 grows k-fold and L2 √k-fold. Rows stay rows only
 * when axis 0 is not what was broadcast.
 */
function broadcast(x: Extract<Operand, { kind: 'private' }>, out: readonly number[]): Sensitivity {
  const k = sizeOf(out) / Math.max(1, sizeOf(x.shape));
  if (k <= 1) return x.s;
  const rows = x.s.rows && out.length === x.shape.length && out[0] === x.shape[0];
  return { rows, l1: x.s.l1 * k, l2: x.s.l2 * Math.sqrt(k) };
}

/** Sensitivity of a linear combination a ± b: a public operand adds nothing; two private ones add up (triangle inequality) when they are alike. */
function sumOf(args: readonly Operand[], out: readonly number[]): Sensitivity {
  const [a, b] = args;
  if (a?.kind === 'private' && b?.kind === 'private') {
    const [sa, sb] = [broadcast(a, out), broadcast(b, out)];
    return sa.rows === sb.rows ? { rows: sa.rows, l1: sa.l1 + sb.l1, l2: sa.l2 + sb.l2 } : UNKNOWN;
  }
  return a?.kind === 'private' ? broadcast(a, out) : b?.kind === 'private' ? broadcast(b, out) : UNKNOWN;
}

/** Per registered op, how a private input's sensitivity carries to its output (of shape `out`); ops not listed forget it. */
const SENSITIVITY: Readonly<Record<string, (args: readonly Operand[], out: readonly number[]) => Sensitivity>> = {
  clipByValue: (args) => {
    const [x, lo, hi] = [args[0], publicNumber(args[1]), publicNumber(args[2])];
    if (x?.kind !== 'private' || lo === undefined || hi === undefined) return UNKNOWN;
    const size = sizeOf(x.shape);
    const perRow = x.s.rows ? size / Math.max(1, x.shape[0] ?? 1) : size;
    const width = hi - lo;
    return { rows: x.s.rows, l1: Math.min(x.s.l1, perRow * width), l2: Math.min(x.s.l2, Math.sqrt(perRow) * width) };
  },
  sum: reduction(false),
  mean: reduction(true),
  add: sumOf,
  sub: sumOf,
  neg: (args) => (args[0]?.kind === 'private' ? args[0].s : UNKNOWN),
  mul: (args) => {
    const [a, b] = args;
    const k = a?.kind === 'private' ? publicNumber(b) : publicNumber(a);
    const x = a?.kind === 'private' ? a : b?.kind === 'private' ? b : undefined;
    return x === undefined || k === undefined ? UNKNOWN : scaled(x.s, Math.abs(k));
  },
  div: (args) => {
    const k = publicNumber(args[1]);
    return args[0]?.kind !== 'private' || k === undefined || k === 0 ? UNKNOWN : scaled(args[0].s, 1 / Math.abs(k));
  },
};

interface Policy {
  budget: { epsilon: number; delta: number } | undefined;
  denyRawGet: boolean;
}

/** A command's effect on what is private, where the default (private in, private out) is not the rule. */
type Derivation<K extends CommandType> = (guard: PrivacyGuard, c: CommandOf<K>) => void;

export class PrivacyGuard {
  #policy: Policy | undefined;
  readonly #ledger = new PrivacyLedger(undefined);
  readonly #private = new Map<number, Sensitivity>();
  /** The charge checked before the running command, recorded once it succeeded. */
  #pending: { charge: PrivacyCharge; what: string } | undefined;

  constructor(
    private readonly worker: string,
    private readonly store: ObjectStore,
    private readonly graph: RemoteGraph,
  ) {}

  /** No policy: nothing to check, and the hot path pays one branch. */
  get active(): boolean {
    return this.#policy !== undefined;
  }

  setPolicy(spec: PrivacyPolicySpec): PrivacyReport {
    const old = this.#policy;
    const budget = spec.budget ?? old?.budget;
    if (old?.budget !== undefined && budget !== undefined && (budget.epsilon > old.budget.epsilon || budget.delta > old.budget.delta)) {
      throw new SyftError(
        'PRIVACY_POLICY',
        `the budget (ε ${old.budget.epsilon}, δ ${old.budget.delta}) cannot be raised to (ε ${budget.epsilon}, δ ${budget.delta}): a policy only tightens once set.`,
      );
    }
    if (old?.denyRawGet === true && spec.denyRawGet === false) throw new SyftError('PRIVACY_POLICY', 'denyRawGet cannot be turned off once set: a policy only tightens.');
    const denyRawGet = old?.denyRawGet === true || spec.denyRawGet === true;
    // What the worker holds when raw gets are first denied is its owner's data.
    if (denyRawGet && old?.denyRawGet !== true) {
      for (const s of this.store.summaries()) {
        if (s.kind !== 'pointer' && !this.#private.has(s.id)) this.#private.set(s.id, s.shape.length > 0 ? RAW_ROWS : UNKNOWN);
      }
    }
    this.#policy = { budget, denyRawGet };
    this.#ledger.budget = budget;
    return this.report();
  }

  report(): PrivacyReport {
    const spent = this.#ledger.spent();
    return { ...spent, charges: this.#ledger.charges, budget: this.#policy?.budget, denyRawGet: this.#policy?.denyRawGet ?? false };
  }

  isPrivate(id: number): boolean {
    return this.#private.has(id);
  }

  /** Refuses what the policy forbids and checks a release's charge against the budget, before the command runs. */
  before(c: Command): void {
    if (this.#policy?.denyRawGet === true) {
      const id = disclosedBy(c).find((i) => this.#private.has(i));
      if (id !== undefined) {
        throw new SyftError(
          'PRIVACY_POLICY',
          `object ${id} at '${this.worker}' is its owner's private data or computed from it, and the policy denies raw access (denyRawGet): ` +
            `release it through a DP mechanism (sy.dp.laplace / gaussian / randomizedResponse on the pointer) or train on it with dp: { noiseMultiplier, maxGradNorm }.`,
        );
      }
    }
    const charges = CHARGES[c.type] as ((g: PrivacyGuard, c: Command) => { charge: PrivacyCharge; what: string } | undefined) | undefined;
    this.#pending = charges?.(this, c);
    if (this.#pending !== undefined) this.#ledger.check(this.#pending.charge, this.#pending.what);
  }

  /** Records the command's charge and carries privacy to what it wrote, once it ran. */
  after(c: Command): void {
    if (this.#pending !== undefined) {
      this.#ledger.charge(this.#pending.charge, this.#pending.what);
      this.#pending = undefined;
    }
    const derive = DERIVATIONS[c.type] as Derivation<CommandType> | undefined;
    if (derive !== undefined) derive(this, c as never);
    else if (readsOf(c).some((id) => this.#private.has(id))) for (const id of writesOf(c)) this.#private.set(id, UNKNOWN);
  }

  /** A command that failed charges nothing. */
  failed(): void {
    this.#pending = undefined;
  }

  /** objects() shows no preview of private values. */
  redact(summaries: ObjectSummary[]): ObjectSummary[] {
    if (this.#policy?.denyRawGet !== true) return summaries;
    return summaries.map((s) => (s.kind !== 'pointer' && this.#private.has(s.id) ? { ...s, preview: '(private)' } : s));
  }

  /** Losses computed on private data are not released (they are not DP). */
  mayReveal(ids: readonly number[]): boolean {
    return this.#policy?.denyRawGet !== true || !ids.some((id) => this.#private.has(id));
  }

  sensitivityOf(id: number): Sensitivity | undefined {
    return this.#private.get(id);
  }

  mark(id: number, s: Sensitivity | undefined): void {
    if (s === undefined) this.#private.delete(id);
    else this.#private.set(id, s);
  }

  /** After a backward() from a private value every gradient may carry it: all leaves become private (an over-approximation, safe). */
  markLeaves(): void {
    for (const s of this.store.summaries()) if (s.kind === 'tensor' && this.graph.requiresGrad(s.id)) this.#private.set(s.id, UNKNOWN);
  }

  shapeOf(id: number): readonly number[] {
    return this.store.tensor(id).shape;
  }

  operands(args: readonly WireArg[]): Operand[] {
    return args.map((a): Operand => {
      if (typeof a === 'number') {
        const s = this.#private.get(a);
        return s === undefined ? { kind: 'public-tensor' } : { kind: 'private', s, shape: this.store.tensor(a).shape };
      }
      if ('value' in a) return { kind: 'value', value: a.value };
      const refs = refsOf([a]);
      const s = refs.find((id) => this.#private.has(id));
      return s === undefined ? { kind: 'public-tensor' } : { kind: 'private', s: UNKNOWN, shape: [] };
    });
  }
}

/** Releases: what each costs the budget when it reads private data (undefined: nothing private, nothing to charge). */
const CHARGES: { readonly [K in CommandType]?: (g: PrivacyGuard, c: CommandOf<K>) => { charge: PrivacyCharge; what: string } | undefined } = {
  'dp-noise': (g, c) => {
    const s = g.sensitivityOf(c.id);
    if (s === undefined) return undefined;
    const m = c.mechanism;
    // Randomized response needs no sensitivity: it protects each 0/1 value alone, and is charged per value of a row.
    // Noise of a given σ is charged by the L2 sensitivity tracked here, which must then be known.
    const [tracked, declared] =
      m.kind === 'laplace' ? [s.l1, m.sensitivity] : m.kind === 'gaussian' ? [s.l2, m.sensitivity] : m.kind === 'gaussianNoise' ? [s.l2, Number.MAX_VALUE] : [0, 0];
    if (!(declared >= tracked * (1 - 1e-12))) {
      throw new SyftError(
        'PRIVACY_POLICY',
        `sy.dp.${m.kind} on private object ${c.id}: the declared sensitivity ${declared} is below what this worker can vouch for ` +
          `(${m.kind === 'laplace' ? 'L1' : 'L2'} ${tracked === Infinity ? 'unbounded' : tracked}). Bound the data first (clipByValue(lo, hi), then sum or mean over rows) ` +
          `and declare at least that sensitivity.`,
      );
    }
    const shape = g.operands([c.id])[0]!;
    const dims = shape.kind === 'private' ? shape.shape : [];
    const size = dims.reduce((n, d) => n * d, 1);
    const perRow = s.rows ? size / Math.max(1, dims[0] ?? 1) : size;
    return { charge: mechanismCharge(m, { perRow, l2: s.l2 }), what: `sy.dp.${m.kind} (${m.kind === 'gaussianNoise' ? `σ ${m.sigma}` : `ε ${m.epsilon}`}) on object ${c.id}` };
  },
  train: (g, c) => {
    if (!(g.isPrivate(c.x) || g.isPrivate(c.y))) return undefined;
    const cost = dpCostOf(c.job, g.shapeOf(c.x)[0] ?? 1);
    if (cost === undefined) return undefined;
    return { charge: dpSgdCharge(cost), what: `a DP-SGD job (σ ${cost.noiseMultiplier}, q ${cost.sampleRate.toPrecision(3)}, ${cost.steps} steps)` };
  },
};

const DERIVATIONS: { readonly [K in CommandType]?: Derivation<K> } = {
  // What the caller sends is its own, not the owner's data.
  store: (g, c) => g.mark(c.id, undefined),
  op: (g, c) => {
    const args = g.operands(c.args);
    if (!args.some((a) => a.kind === 'private')) return;
    const rule = SENSITIVITY[c.op];
    const s = c.out.length === 1 && rule !== undefined ? rule(args, g.shapeOf(c.out[0]!)) : UNKNOWN;
    for (const id of c.out) g.mark(id, s);
  },
  // A DP release is public: its charge was recorded.
  'dp-noise': (g, c) => g.mark(c.out, undefined),
  train: (g, c) => {
    // DP training releases the parameters (charged); otherwise they now carry the data.
    if (c.job.dp === undefined && (g.isPrivate(c.x) || g.isPrivate(c.y))) for (const id of c.params) g.mark(id, UNKNOWN);
  },
  'in-place': (g, c) => {
    if (g.isPrivate(c.id) || (c.arg !== undefined && refsOf([c.arg]).some((id) => g.isPrivate(id)))) g.mark(c.id, UNKNOWN);
  },
  backward: (g, c) => {
    if (g.isPrivate(c.id) || (c.grad !== undefined && refsOf([c.grad]).some((id) => g.isPrivate(id)))) g.markLeaves();
  },
  delete: (g, c) => {
    for (const id of c.ids) g.mark(id, undefined);
  },
  fetch: (g, c) => {
    if (!c.keep) g.mark(c.id, undefined);
  },
};
