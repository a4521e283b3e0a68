/**
 * User-level differential privacy for federated averaging: DP-FedAvg
 * (McMahan, Ramage, Talwar and Zhang 2018, "Learning Differentially Private
 * Recurrent Language Models", Algorithm 1 with the fixed-denominator
 * estimator f̃_f). A user is protected as a whole, with every record it holds:
 *
 * - users are sampled each round independently with probability q (Poisson
 *   sampling, drawn from crypto.randomFillSync: the RDP analysis of the
 *   sampled Gaussian assumes the sample is random and secret, which a seeded
 *   PRNG with a guessable seed is not);
 * - each sampled user's update Δ_k = θ_k − θ is clipped to L2 norm S at its
 *   own worker, by ops on pointers: neither the unclipped update nor its norm
 *   ever leaves the worker;
 * - the clipped updates are summed, N(0, (zS)²) noise is added to the sum, and
 *   θ ← θ + (noisy sum)/(qW), W the number of users (equal weights), so qW is
 *   the expected number of participants, a public constant: the update's
 *   sensitivity to one user is S/(qW) whoever took part.
 *
 * Where the noise is added depends on where the sum is made. With secure
 * aggregation (the point of this module) each party adds its own part of the
 * noise inside the shares (AdditiveSharingTensor.withNoise: a discrete
 * Gaussian of variance (zS)²/n in ring units per party), so the sum is opened
 * only with the noise on it and no one ever sees it without. With a trusted
 * aggregator the aggregator adds it (its 'dp-noise' command) and sees the
 * exact sum; with neither the caller receives every clipped update and adds
 * the noise itself (a trusted curator, the paper's own setting).
 *
 * What ε covers: every model released after every round, against anyone who
 * sees them. Not covered: who was sampled (the owner draws the sample, and
 * RoundResult.participants names it: keep it private), and the local losses
 * each train job reports to the caller (the train command's reply carries
 * them). Against a party of the secure aggregation that also learns the
 * opened sum, its own part of the noise is known, which leaves z·√((n−1)/n)
 * (Kairouz, Liu and Steinke 2021); the reported ε is against everyone else.
 *
 * A user whose worker has a denyRawGet policy refuses to share an update
 * trained on its data without record-level `dp` (the worker cannot vouch for
 * noise that others add); with `dp` its local job's output is already public.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import { noGrad } from '../autograd/no-grad.js';
import { RdpAccountant } from '../dp/accountant.js';
import { computeRdp, privacySpent } from '../dp/rdp.js';
import { gaussianNoise } from '../dp/mechanisms.js';
import { gaussianNoiseRelease } from '../dp/release.js';
import { poissonSample } from '../dp/train.js';
import type { Module } from '../nn/module.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import { tidy } from '../tensor/tidy.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import * as tf from '@tensorflow/tfjs-core';
import { AGGREGATION_BITS, secureAggregate } from './secure-aggregate.js';

/**
 * DP-FedAvg's parameters, named as in TensorFlow Federated's
 * `DifferentiallyPrivateFactory.gaussian_fixed(noise_multiplier, clients_per_round, clip)`
 * (clients_per_round is fedAvg's own `clientsPerRound`). `clipNorm`, not
 * Opacus's `maxGradNorm`, because it bounds a whole user's model update, not
 * one record's gradient: the two can be given together (`dp` for local
 * DP-SGD, `userLevelDp` here) and must not be confused.
 */
export interface UserLevelDp {
  /** z: the noise's standard deviation over the clip norm. 0 adds none (and gives ε = ∞). */
  readonly noiseMultiplier: number;
  /** S: every user's update is scaled down to at most this L2 norm, at its worker. */
  readonly clipNorm: number;
  /** The δ at which ε is reported; 1e-5 by default. Must be below 1/(number of users). */
  readonly delta?: number;
}

/** What fedAvg reports of user-level privacy after training. */
export interface UserLevelPrivacy {
  /** ε at `delta` after all rounds (RDP of the Poisson-subsampled Gaussian, Balle et al. 2020 conversion). */
  readonly epsilon: number;
  readonly delta: number;
  /** q: the chance of each user taking part in a round (clientsPerRound / users). */
  readonly sampleRate: number;
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
  /** The accountant itself, to go on composing with later releases. */
  readonly accountant: RdpAccountant;
}

/** Where the sum of clipped updates is made, hence where the noise goes in. */
export type NoisySumAt =
  | { readonly kind: 'secure'; readonly parties: readonly Location[]; readonly precisionFractional?: number }
  | { readonly kind: 'aggregator'; readonly at: Location }
  | { readonly kind: 'owner' };

/**
 * Refuses a user-level DP setup that cannot give what it promises, at the
 * caller, before any worker is asked anything.
 */
export function checkUserLevelDp(dp: UserLevelDp, users: number, clientsPerRound: number | undefined, at: NoisySumAt, coordinates: number): void {
  const where = 'fedAvg: userLevelDp';
  if (typeof dp !== 'object' || dp === null) throw new InvalidArgumentError(`${where} must be { noiseMultiplier, clipNorm, delta? }, got ${String(dp)}.`);
  if (!(Number.isFinite(dp.clipNorm) && dp.clipNorm > 0)) {
    throw new InvalidArgumentError(`${where}.clipNorm must be a positive finite number (the L2 bound on each user's update), got ${dp.clipNorm}.`);
  }
  if (!(Number.isFinite(dp.noiseMultiplier) && dp.noiseMultiplier >= 0)) {
    throw new InvalidArgumentError(`${where}.noiseMultiplier must be a finite number >= 0 (noise std over clipNorm), got ${dp.noiseMultiplier}.`);
  }
  const delta = dp.delta ?? 1e-5;
  if (!(delta > 0 && delta < 1 / users)) {
    throw new InvalidArgumentError(
      `${where}.delta must be in (0, 1/users) = (0, ${1 / users}) for ${users} users (a δ of 1/users allows releasing one user's data outright), got ${delta}.`,
    );
  }
  if (clientsPerRound !== undefined && clientsPerRound > users) {
    throw new InvalidArgumentError(`${where}: clientsPerRound ${clientsPerRound} is more than the ${users} users with data; the sampling rate q = clientsPerRound/users must be at most 1.`);
  }
  const bits = at.kind === 'secure' ? (at.precisionFractional ?? AGGREGATION_BITS) : Infinity;
  if (!(clipBoundAtWorker(dp.clipNorm, coordinates, bits) > 0)) {
    throw new InvalidArgumentError(
      `${where}.clipNorm ${dp.clipNorm} is below the encoding's rounding of ${coordinates} coordinates (√d·2^-${bits + 1}); raise clipNorm or give secureAggregation more precisionFractional bits.`,
    );
  }
  if (at.kind === 'secure' && dp.noiseMultiplier > 0) {
    const perParty = (dp.noiseMultiplier * dp.clipNorm * 2 ** bits) / Math.sqrt(at.parties.length);
    if (!(perParty >= 1)) {
      throw new InvalidArgumentError(
        `${where}: the noise's share at each of ${at.parties.length} parties, zS/√n = ${(perParty / 2 ** bits).toExponential(3)}, is below one unit of the ${bits}-bit encoding; raise noiseMultiplier or clipNorm, or give secureAggregation more precisionFractional bits.`,
      );
    }
  }
}

/** Each user independently with probability q, from the CSPRNG; everyone when q is 1. */
export function sampleUsers<T>(users: readonly T[], q: number): T[] {
  if (q === 1) return [...users];
  return poissonSample(users.length, q).map((i) => users[i]!);
}

/**
 * The bound the worker clips to, a little under S, so that the update's
 * sensitivity is S as accounted after float32 rounding of the clip factor
 * (relative, a few ulps: 2^-20 covers it) and the fixed-point rounding of
 * each of its d coordinates when it is encoded for secure aggregation
 * (at most 2^-(bits+1) each, √d·2^-(bits+1) in norm).
 */
export function clipBoundAtWorker(clipNorm: number, coordinates: number, bits: number): number {
  return clipNorm * (1 - 2 ** -20) - Math.sqrt(coordinates) * 2 ** -(bits + 1);
}

/**
 * Δ = trained − start, scaled by min(1, bound/‖Δ‖₂), computed at the worker
 * that holds both (ops on pointers, no gradient recorded). Returns pointers to
 * the clipped update, one per parameter; the norm and every intermediate are
 * deleted there without ever being fetched.
 */
export function clippedUpdate(trained: readonly PointerTensor[], start: readonly PointerTensor[], bound: number): PointerTensor[] {
  return noGrad(() =>
    tidy(() => {
      const deltas = trained.map((p, j) => p.sub(start[j]!) as PointerTensor);
      const squares = deltas.map((d) => d.square().sum() as PointerTensor);
      const norm = squares.reduce((a, b) => a.add(b) as PointerTensor).sqrt() as PointerTensor;
      // bound / max(‖Δ‖, bound) is 1 exactly when ‖Δ‖ ≤ bound; min(…, 1) keeps a reciprocal's rounding from scaling up.
      const factor = (norm.maximum(bound) as PointerTensor).reciprocal().mul(bound).minimum(1) as PointerTensor;
      return deltas.map((d) => d.mul(factor) as PointerTensor);
    }),
  );
}

/**
 * Σ_k updates[k], plus N(0, sigma²) on every coordinate, made `at` where the
 * sum is made (see the module's comment); the updates are consumed. With no
 * update at all the released sum is the noise alone, drawn here: it depends
 * on no one's data, so drawing it anywhere gives the same release.
 */
export async function noisySum(updates: readonly (readonly PointerTensor[])[], shapes: readonly (readonly number[])[], at: NoisySumAt, sigma: number): Promise<Float64Array[]> {
  if (updates.length === 0) return shapes.map((shape) => withLocalNoise(new Float64Array(sizeOf(shape)), sigma));
  try {
    if (at.kind === 'secure') {
      const sums = await secureAggregate(updates, at.parties, {
        ...(at.precisionFractional === undefined ? {} : { precisionFractional: at.precisionFractional }),
        ...(sigma > 0 ? { noise: sigma } : {}),
      });
      return sums.map((s) => {
        const values = Float64Array.from(s.dataSync());
        s.dispose();
        return values;
      });
    }
    if (at.kind === 'aggregator') {
      const sums = tidy(() =>
        shapes.map((_, j) => {
          let acc: PointerTensor | undefined;
          for (const update of updates) {
            const p = update[j]!.location === at.at ? update[j]! : update[j]!.move(at.at);
            acc = acc === undefined ? (p.clone() as PointerTensor) : (acc.add(p) as PointerTensor);
          }
          return sigma > 0 ? (gaussianNoiseRelease(acc!, { sigma }) as PointerTensor) : acc!;
        }),
      );
      return await Promise.all(sums.map(async (p) => valuesOf(await p.get())));
    }
    const fetched = await Promise.all(updates.map((u) => Promise.all(u.map(async (p) => valuesOf(await p.get())))));
    return shapes.map((shape, j) => {
      const sum = new Float64Array(sizeOf(shape));
      for (const update of fetched) for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + update[j]![i]!;
      return withLocalNoise(sum, sigma);
    });
  } finally {
    for (const u of updates) for (const p of u) if (!p.isDisposed) p.dispose();
  }
}

/** θ + sum/denominator for each parameter, in float64, rounded to float32 once: the new parameters by name. */
export function applyUpdate(model: Module, sums: readonly Float64Array[], denominator: number): Record<string, SyftTensor> {
  return Object.fromEntries(
    model.namedParameters().map(([name, p], j) => {
      const theta = (p as SyftTensor).tensor;
      const values = theta.dataSync();
      const next = Float32Array.from(values, (v, i) => v + sums[j]![i]! / denominator);
      return [name, new SyftTensor(tf.tensor(next, theta.shape), { requiresGrad: true })];
    }),
  );
}

/**
 * One accountant over the rounds; ε after each. Every round is the same
 * sampled Gaussian, so its RDP curve is computed once and scaled by the
 * rounds: the accountant's own sum, bit for bit (it multiplies one step's RDP
 * by the steps), without recomputing the fractional orders' series each
 * round (0.1 s to several seconds a call, depending on q and z).
 */
export class UserLevelAccountant {
  readonly accountant = new RdpAccountant();
  readonly delta: number;
  #perRound: number[] | undefined;
  #rounds = 0;

  constructor(
    readonly dp: UserLevelDp,
    readonly sampleRate: number,
  ) {
    this.delta = dp.delta ?? 1e-5;
  }

  /** Records one round (one sampled Gaussian release) and returns ε so far. */
  round(): number {
    this.accountant.step({ noiseMultiplier: this.dp.noiseMultiplier, sampleRate: this.sampleRate });
    this.#rounds++;
    return this.epsilon();
  }

  epsilon(): number {
    if (this.#rounds === 0) return 0;
    this.#perRound ??= computeRdp(this.sampleRate, this.dp.noiseMultiplier, 1, this.accountant.orders);
    return privacySpent(this.accountant.orders, this.#perRound.map((r) => r * this.#rounds), this.delta).epsilon;
  }

  report(): UserLevelPrivacy {
    return {
      epsilon: this.epsilon(),
      delta: this.delta,
      sampleRate: this.sampleRate,
      noiseMultiplier: this.dp.noiseMultiplier,
      clipNorm: this.dp.clipNorm,
      accountant: this.accountant,
    };
  }
}

/** A fetched tensor's values in float64; the local copy is released. */
function valuesOf(t: { dataSync(): ArrayLike<number>; dispose(): void }): Float64Array {
  const values = Float64Array.from(t.dataSync());
  t.dispose();
  return values;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** values + N(0, sigma²) each, exact discrete Gaussian on a fine grid (./dp/mechanisms.ts), CSPRNG. */
function withLocalNoise(values: Float64Array, sigma: number): Float64Array {
  return sigma > 0 ? gaussianNoise(values, sigma) : values;
}

