/**
 * Secure aggregation: the sum of updates held by different workers, computed
 * on additive shares so that no one (no party, no aggregator, not the caller)
 * sees any single update; the caller learns only the sum (Bonawitz et al.'s
 * goal, here with a trusted-dealer-free additive scheme: sums need no triples).
 *
 * 1. Each holder encodes its update in fixed point (times its public weight),
 *    splits it with its CSPRNG, and sends one share to each party.
 * 2. Each party adds the shares it holds, locally.
 * 3. The caller gathers the parties' sums and reconstructs the total.
 *
 * With `noise`, step 2 ends with every party adding its part of a Gaussian to
 * its share of the sum (distributed DP, as DP-FedAvg uses it): the total is
 * reconstructed only with the noise on it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import type { Location } from '../core/handles.js';
import type { AdditiveSharingTensor } from '../smpc/additive-sharing-tensor.js';
import type { CryptoProviderLike } from '../smpc/crypto-provider.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { normalizedWeights, type WeightedModel } from './weighted-average.js';

export interface SecureAggregateOptions {
  /** Public weights, one per update (a weighted sum); 1 each by default. */
  readonly weights?: readonly number[];
  /**
   * Fractional bits of the encoding (default 24: sums need no truncation, so
   * more bits cost nothing; |weight · value| must stay below 2^(62-bits)).
   */
  readonly precisionFractional?: number;
  /** Kept on the shared sums, for any private product done with them later; sums need none. */
  readonly cryptoProvider?: CryptoProviderLike;
  /**
   * Standard deviation (in values) of Gaussian noise put on every sum inside
   * the shares before it is opened (distributed DP, DP-FedAvg's noise): each
   * of the n parties adds a discrete Gaussian of variance noise²/n in ring
   * units to its own share, so the caller, like every party, only ever holds
   * the noisy sum. 0 or left out: none. At least one unit of the encoding per
   * party: noise·2^bits/√n ≥ 1.
   */
  readonly noise?: number;
}

/** Fractional bits of the encoding when not given. */
export const AGGREGATION_BITS = 24;

/**
 * Sums `updates[k]` (the tensors of holder k, the same shapes for every k)
 * over k, on shares among `parties`. Returns one local tensor per position.
 * The updates stay where they are.
 */
export async function secureAggregate(
  updates: readonly (readonly PointerTensor[])[],
  parties: readonly Location[],
  options: SecureAggregateOptions = {},
): Promise<tf.Tensor[]> {
  if (updates.length === 0) throw new InvalidArgumentError('secureAggregate: no updates given.');
  if (parties.length < 2) throw new InvalidArgumentError(`secureAggregate: needs at least 2 parties to share among, got ${parties.length}.`);
  const width = updates[0]!.length;
  if (updates.some((u) => u.length !== width || u.some((p) => !(p instanceof PointerTensor)))) {
    throw new InvalidArgumentError('secureAggregate: every update must be a list of pointers of the same length (one per parameter).');
  }
  const weights = options.weights ?? updates.map(() => 1);
  if (weights.length !== updates.length || weights.some((w) => !Number.isFinite(w))) {
    throw new InvalidArgumentError(`secureAggregate: needs one finite weight per update (${updates.length}), got [${weights.join(', ')}].`);
  }
  const noise = options.noise ?? 0;
  if (!(Number.isFinite(noise) && noise >= 0)) throw new InvalidArgumentError(`secureAggregate: noise must be a finite standard deviation >= 0, got ${noise}.`);
  const bits = options.precisionFractional ?? AGGREGATION_BITS;
  if (noise > 0 && !((noise * 2 ** bits) / Math.sqrt(parties.length) >= 1)) {
    throw new InvalidArgumentError(
      `secureAggregate: noise ${noise} split among ${parties.length} parties is below one unit of the ${bits}-bit encoding; share with more precisionFractional bits.`,
    );
  }
  const shareOptions = {
    precisionFractional: bits,
    ...(options.cryptoProvider === undefined ? {} : { cryptoProvider: options.cryptoProvider }),
  };
  const totals = Array.from({ length: width }, (_, j) => {
    let total: AdditiveSharingTensor | undefined;
    updates.forEach((update, k) => {
      const shared = update[j]!.share(...parties, { ...shareOptions, weight: weights[k]! });
      if (total === undefined) total = shared;
      else {
        const next = total.add(shared);
        total.dispose();
        shared.dispose();
        total = next;
      }
    });
    if (noise === 0) return total!;
    // Each party's part of the noise goes into its share: the sum is never held, nor opened, without it.
    const noisy = total!.withNoise(noise);
    total!.dispose();
    return noisy;
  });
  const sums = await Promise.all(totals.map((t) => t.get()));
  return sums.map((s) => s.floatPrecision());
}

/**
 * FedAvg's weighted mean of trained copies of one model, by secure
 * aggregation among `parties`: the owner receives only the average. The
 * copies' parameters are released.
 */
export async function averageSecurely(
  models: readonly WeightedModel<Module>[],
  parties: readonly Location[],
  options: Omit<SecureAggregateOptions, 'weights'> = {},
): Promise<Record<string, SyftTensor>> {
  const weights = normalizedWeights(models);
  const named = models.map((m) => m.model.namedParameters());
  const updates = named.map((params, k) =>
    params.map(([name, p]) => {
      if (!(p instanceof PointerTensor)) throw new InvalidArgumentError(`averageSecurely: parameter '${name}' of model ${k} is local; the models must be at their workers.`);
      return p;
    }),
  );
  try {
    const sums = await secureAggregate(updates, parties, { ...options, weights });
    return Object.fromEntries(named[0]!.map(([name], j) => [name, new SyftTensor(sums[j]!, { requiresGrad: true })]));
  } finally {
    for (const params of named) for (const [, p] of params) if (!p.isDisposed) p.dispose();
  }
}
