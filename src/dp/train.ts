/**
 * DP-SGD training of a local sy.nn model (Abadi et al. 2016, as Opacus runs
 * it): each step takes a Poisson sample of the data (every example in with
 * probability q = batchSize / N, drawn from the CSPRNG), computes the clipped
 * and noised gradient (./dp-sgd.ts) and takes an SGD step; the RDP accountant
 * is stepped with (σ, q) every step, so ε is known as it trains.
 */
import { randomFillSync } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { RdpAccountant } from './accountant.js';
import { dpSgdGradients } from './dp-sgd.js';
import { gaussianNoise } from './mechanisms.js';

export interface DpTrainOptions {
  readonly loss: string;
  readonly lr: number;
  readonly epochs: number;
  /** Expected batch size: the Poisson sampling rate is batchSize / N. */
  readonly batchSize: number;
  readonly noiseMultiplier: number;
  readonly maxGradNorm: number;
  /** δ for the ε reported after each epoch (default 1e-5). */
  readonly delta?: number;
  /** Called after each epoch with ε spent so far. */
  readonly onEpoch?: (epoch: number, epsilon: number) => void | Promise<void>;
  /** Keeps accounting across calls (one accountant for a whole training). */
  readonly accountant?: RdpAccountant;
}

/** The examples a Poisson sample of rate q takes from n: each independently, from the CSPRNG. */
export function poissonSample(n: number, q: number): number[] {
  const words = new Uint32Array(n);
  randomFillSync(words);
  const threshold = q * 2 ** 32;
  const picked: number[] = [];
  for (let i = 0; i < n; i++) if (words[i]! < threshold) picked.push(i);
  return picked;
}

export async function dpSgdTrain(model: Module, x: tf.Tensor, y: tf.Tensor, options: DpTrainOptions): Promise<{ epsilon: number; accountant: RdpAccountant }> {
  const n = x.shape[0]!;
  if (!(Number.isSafeInteger(options.batchSize) && options.batchSize >= 1 && options.batchSize <= n)) {
    throw new InvalidArgumentError(`dpSgdTrain: batchSize must be a whole number from 1 to ${n}, got ${options.batchSize}.`);
  }
  if (!(options.lr > 0)) throw new InvalidArgumentError(`dpSgdTrain: lr must be positive, got ${options.lr}.`);
  const q = options.batchSize / n;
  const steps = Math.round(n / options.batchSize);
  const accountant = options.accountant ?? new RdpAccountant();
  const delta = options.delta ?? 1e-5;
  const params = model.parameters() as SyftTensor[];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let s = 0; s < steps; s++) {
      const picked = poissonSample(n, q);
      const gradients =
        picked.length === 0
          ? // An empty sample still releases noise, as the analysis assumes.
            params.map((p) => tf.tensor(Float32Array.from(gaussianNoise(new Float64Array(p.tensor.size), options.noiseMultiplier * options.maxGradNorm), (v) => v / options.batchSize), p.tensor.shape))
          : tf.tidy(() => {
              const index = tf.tensor1d(picked, 'int32');
              const [xb, yb] = [tf.gather(x, index), tf.gather(y, index)];
              return dpSgdGradients(model, xb, yb, { ...options, expectedBatchSize: options.batchSize }).gradients;
            });
      noGrad(() =>
        params.forEach((p, k) => {
          const step = tf.mul(gradients[k]!, options.lr);
          p.subInPlace(step);
          step.dispose();
        }),
      );
      gradients.forEach((g) => g.dispose());
      accountant.step({ noiseMultiplier: options.noiseMultiplier, sampleRate: q });
    }
    await options.onEpoch?.(epoch, accountant.getEpsilon(delta));
  }
  return { epsilon: accountant.getEpsilon(delta), accountant };
}
