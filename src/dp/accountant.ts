/**
 * The RDP accountant users hold (Opacus's RDPAccountant): the history of
 * (noise multiplier, sample rate, steps), composed by adding RDP at each
 * order, converted to (ε, δ) on demand. And the two questions asked before
 * training: ε of a DP-SGD run (TF Privacy's compute_dp_sgd_privacy) and the
 * noise multiplier for a target ε (Opacus's get_noise_multiplier).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { computeRdp, DEFAULT_ORDERS, privacySpent } from './rdp.js';

export interface StepParams {
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
}

/** Refuses a step the accountants cannot account for, naming `who` asked. */
export function checkStep({ noiseMultiplier, sampleRate }: StepParams, steps: number, who = 'accountant'): void {
  if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier >= 0)) {
    throw new InvalidArgumentError(`${who}: noiseMultiplier must be a finite number >= 0, got ${noiseMultiplier}.`);
  }
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new InvalidArgumentError(`${who}: sampleRate must be in [0, 1], got ${sampleRate}.`);
  if (!(Number.isSafeInteger(steps) && steps >= 0)) throw new InvalidArgumentError(`${who}: steps must be a whole number >= 0, got ${steps}.`);
}

export interface HistoryEntry {
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
  readonly steps: number;
}

/** The steps an accountant has recorded, consecutive identical ones merged (as Opacus does). */
export class StepHistory {
  readonly #entries: { noiseMultiplier: number; sampleRate: number; steps: number }[] = [];

  constructor(private readonly who: string) {}

  add(params: StepParams, steps: number): void {
    checkStep(params, steps, this.who);
    const last = this.#entries[this.#entries.length - 1];
    if (last !== undefined && last.noiseMultiplier === params.noiseMultiplier && last.sampleRate === params.sampleRate) last.steps += steps;
    else this.#entries.push({ noiseMultiplier: params.noiseMultiplier, sampleRate: params.sampleRate, steps });
  }

  /** The entries themselves, for the accountant's own reading. */
  get entries(): readonly HistoryEntry[] {
    return this.#entries;
  }

  /** Copies, for callers. */
  copy(): HistoryEntry[] {
    return this.#entries.map((h) => ({ ...h }));
  }
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new InvalidArgumentError(`accountant: delta must be in (0, 1), got ${delta}.`);
}

export class RdpAccountant {
  readonly #history = new StepHistory('accountant');

  constructor(readonly orders: readonly number[] = DEFAULT_ORDERS) {
    if (orders.length === 0 || orders.some((a) => !(a > 1))) throw new InvalidArgumentError('RdpAccountant: orders must be numbers above 1.');
  }

  /** Records `steps` steps of the sampled Gaussian mechanism (consecutive identical steps are merged, as Opacus does). */
  step(params: StepParams, steps = 1): this {
    this.#history.add(params, steps);
    return this;
  }

  get history(): readonly HistoryEntry[] {
    return this.#history.copy();
  }

  /** The RDP of everything recorded, at each order. */
  rdp(): number[] {
    const total = this.orders.map(() => 0);
    for (const h of this.#history.entries) computeRdp(h.sampleRate, h.noiseMultiplier, h.steps, this.orders).forEach((r, k) => (total[k]! += r));
    return total;
  }

  getPrivacySpent(delta: number): { epsilon: number; bestOrder: number } {
    checkDelta(delta);
    if (this.#history.entries.length === 0) return { epsilon: 0, bestOrder: NaN };
    return privacySpent(this.orders, this.rdp(), delta);
  }

  getEpsilon(delta: number): number {
    return this.getPrivacySpent(delta).epsilon;
  }
}

export interface DpSgdRun {
  readonly datasetSize: number;
  readonly batchSize: number;
  readonly noiseMultiplier: number;
  readonly epochs: number;
  readonly delta: number;
  readonly orders?: readonly number[];
}

function checkRun(datasetSize: number, batchSize: number, epochs: number): void {
  if (!(Number.isSafeInteger(datasetSize) && datasetSize >= 1)) throw new InvalidArgumentError(`datasetSize must be a whole number >= 1, got ${datasetSize}.`);
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1 && batchSize <= datasetSize)) {
    throw new InvalidArgumentError(`batchSize must be a whole number from 1 to datasetSize (${datasetSize}), got ${batchSize}.`);
  }
  if (!(epochs > 0 && Number.isFinite(epochs))) throw new InvalidArgumentError(`epochs must be a positive number, got ${epochs}.`);
}

/** ε of DP-SGD with Poisson sampling at rate batchSize/datasetSize for ceil(epochs·N/batch) steps (TF Privacy's count). */
export function dpSgdEpsilon(run: DpSgdRun): number {
  checkRun(run.datasetSize, run.batchSize, run.epochs);
  const q = run.batchSize / run.datasetSize;
  const steps = Math.ceil((run.epochs * run.datasetSize) / run.batchSize);
  return new RdpAccountant(run.orders).step({ noiseMultiplier: run.noiseMultiplier, sampleRate: q }, steps).getEpsilon(run.delta);
}

export interface NoiseSearch {
  readonly sampleRate: number;
  readonly epochs?: number;
  readonly steps?: number;
  readonly delta: number;
  readonly epsilon: number;
  /** How far below the target ε the answer may be (Opacus's epsilon_tolerance). */
  readonly tolerance?: number;
  readonly orders?: readonly number[];
}

const MAX_SIGMA = 1e6;

/**
 * The noise multiplier that keeps ε at most the target (Opacus's
 * get_noise_multiplier: double from 10 until ε fits, then bisect until ε is
 * within `tolerance` below the target; steps = floor(epochs / sampleRate) unless given).
 */
export function noiseForEpsilon(search: NoiseSearch): number {
  const { sampleRate, delta, epsilon } = search;
  const tolerance = search.tolerance ?? 0.01;
  const steps = search.steps ?? Math.floor((search.epochs ?? NaN) / sampleRate);
  checkStep({ noiseMultiplier: 0, sampleRate }, steps);
  checkDelta(delta);
  if (!(epsilon > 0)) throw new InvalidArgumentError(`noiseForEpsilon: the target epsilon must be positive, got ${epsilon}.`);
  const eps = (sigma: number): number => new RdpAccountant(search.orders).step({ noiseMultiplier: sigma, sampleRate }, steps).getEpsilon(delta);
  let [low, high, epsHigh] = [0, 10, Infinity];
  while (epsHigh > epsilon) {
    high *= 2;
    epsHigh = eps(high);
    if (high > MAX_SIGMA) throw new InvalidArgumentError(`noiseForEpsilon: no noise multiplier up to ${MAX_SIGMA} reaches epsilon ${epsilon}; the budget is too low.`);
  }
  while (epsilon - epsHigh > tolerance) {
    const sigma = (low + high) / 2;
    const e = eps(sigma);
    if (e < epsilon) [high, epsHigh] = [sigma, e];
    else low = sigma;
  }
  return high;
}
