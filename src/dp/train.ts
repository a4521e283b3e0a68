/**
 * DP-SGD training of a local sy.nn model (Abadi et al. 2016, as Opacus runs
 * it): each step takes a Poisson sample of the data (every example in with
 * probability q = batchSize / N, drawn from the CSPRNG), computes the clipped
 * and noised gradient (./dp-sgd.ts) and takes an SGD step; the RDP accountant
 * is stepped with (σ, q) every step, so ε is known as it trains.
 *
 * The data is read into typed arrays once and each sample's rows copied out
 * of them: on wasm, tf.gather and slice() copy their whole source first, a
 * cost per step that grows with the data set, not the batch.
 */
import { randomFillSync } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { ClassTargets } from '../core/specs.js';
import type { Module } from '../nn/module.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { RdpAccountant } from './accountant.js';
import { dpSgdGradients } from './dp-sgd.js';
import { trainingNoise } from './training-noise.js';

export interface DpTrainOptions {
  readonly loss: string;
  /** Class-index targets for nll/crossEntropy. */
  readonly lossOptions?: ClassTargets;
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

/**
 * The examples a Poisson sample of rate q takes from n: each independently,
 * from the CSPRNG (a 32-bit word under q·2^32; q = 1 takes every row).
 */
export function poissonSample(n: number, q: number): number[] {
  if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError(`poissonSample: the sampling rate must be in [0, 1], got ${q}.`);
  const words = new Uint32Array(n);
  randomFillSync(words);
  const threshold = q * 2 ** 32;
  const picked: number[] = [];
  for (let i = 0; i < n; i++) if (words[i]! < threshold) picked.push(i);
  return picked;
}

/** A tensor's rows as one typed array, to copy samples out of without a kernel. */
export interface RowSource {
  readonly values: Float32Array | Int32Array | Uint8Array;
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

export function rowSource(t: tf.Tensor): RowSource {
  return { values: t.dataSync() as RowSource['values'], shape: t.shape, dtype: t.dtype };
}

/** The listed rows, copied out of the source's typed array into a new tensor. */
function gatherRows(source: RowSource, rows: readonly number[]): tf.Tensor {
  const width = source.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new (source.values.constructor as new (n: number) => RowSource['values'])(rows.length * width);
  rows.forEach((row, i) => out.set(source.values.subarray(row * width, (row + 1) * width), i * width));
  return tf.tensor(out, [rows.length, ...source.shape.slice(1)], source.dtype);
}

/**
 * One DP-SGD gradient on a fresh Poisson sample of the rows, in parameter
 * order: clipped, noised and divided by the expected batch size, with the
 * sample's mean loss (undefined for an empty sample, which still releases
 * noise, as the analysis assumes).
 */
export function poissonStepGradients(
  model: Module,
  x: RowSource,
  y: RowSource,
  options: { readonly loss: string; readonly lossOptions?: ClassTargets; readonly batchSize: number; readonly noiseMultiplier: number; readonly maxGradNorm: number },
): { gradients: tf.Tensor[]; loss: number | undefined } {
  const n = x.shape[0]!;
  const picked = poissonSample(n, options.batchSize / n);
  if (picked.length === 0) {
    const gradients = model.parameters().map((p) => {
      const shape = (p as SyftTensor).tensor.shape;
      const noise = trainingNoise(shape.reduce((a, b) => a * b, 1), options.noiseMultiplier * options.maxGradNorm);
      for (let j = 0; j < noise.length; j++) noise[j] = noise[j]! / options.batchSize;
      return tf.tensor(noise, shape);
    });
    return { gradients, loss: undefined };
  }
  const [xb, yb] = [gatherRows(x, picked), gatherRows(y, picked)];
  try {
    const { gradients, loss } = dpSgdGradients(model, xb, yb, { ...options, expectedBatchSize: options.batchSize });
    return { gradients, loss };
  } finally {
    tf.dispose([xb, yb]);
  }
}

/**
 * Steps after `epochs` epochs of Poisson samples of expected size `batchSize`
 * from `n` rows: ceil(epochs · n / batchSize), TF Privacy's count (what
 * dpSgdEpsilon assumes), so ε after each epoch is dpSgdEpsilon's for it.
 */
export function dpStepsAfter(epochs: number, n: number, batchSize: number): number {
  return Math.ceil((epochs * n) / batchSize);
}

export async function dpSgdTrain(model: Module, x: tf.Tensor, y: tf.Tensor, options: DpTrainOptions): Promise<{ epsilon: number; accountant: RdpAccountant }> {
  const n = x.shape[0]!;
  if (!(Number.isSafeInteger(options.batchSize) && options.batchSize >= 1 && options.batchSize <= n)) {
    throw new InvalidArgumentError(`dpSgdTrain: batchSize must be a whole number from 1 to ${n}, got ${options.batchSize}.`);
  }
  if (!(options.lr > 0)) throw new InvalidArgumentError(`dpSgdTrain: lr must be positive, got ${options.lr}.`);
  const q = options.batchSize / n;
  const accountant = options.accountant ?? new RdpAccountant();
  const delta = options.delta ?? 1e-5;
  const params = model.parameters() as SyftTensor[];
  const [xs, ys] = [rowSource(x), rowSource(y)];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const steps = dpStepsAfter(epoch, n, options.batchSize) - dpStepsAfter(epoch - 1, n, options.batchSize);
    for (let s = 0; s < steps; s++) {
      const { gradients } = poissonStepGradients(model, xs, ys, options);
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
