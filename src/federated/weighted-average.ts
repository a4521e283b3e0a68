/**
 * The weighted mean of several copies of one model, by sample count: at the
 * model owner (exact: accumulated in float64, rounded once), or at a trusted
 * aggregator worker, so that the owner receives only the average.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import type { Module, Parameter } from '../nn/module.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import { tidy } from '../tensor/tidy.js';
import type { Location } from '../core/handles.js';
import { SyftTensor } from '../tensor/syft-tensor.js';

export interface WeightedModel<M extends Module> {
  readonly model: M;
  /** Its weight before normalization: the number of samples it trained on. */
  readonly weight: number;
}

export function normalizedWeights(models: readonly WeightedModel<Module>[]): number[] {
  if (models.length === 0) throw new InvalidArgumentError('averaging needs at least one model.');
  const total = models.reduce((s, m) => s + m.weight, 0);
  if (!(total > 0) || models.some((m) => !(m.weight >= 0))) {
    throw new InvalidArgumentError(`averaging weights must be non-negative with a positive sum; got ${models.map((m) => m.weight).join(', ')}.`);
  }
  return models.map((m) => m.weight / total);
}

/**
 * Σ weight · parameter values over models of one shape, accumulated in
 * float64 and rounded to float32 once, at the end: the exact local average,
 * whether the models come all at once (averageLocally) or one by one as they
 * are trained (fedAvg's round).
 */
export class WeightedSum {
  readonly #names: string[];
  readonly #shapes: number[][];
  readonly #sums: Float64Array[];

  constructor(model: Module) {
    const named = model.namedParameters();
    this.#names = named.map(([name]) => name);
    this.#shapes = named.map(([, p]) => [...(p as SyftTensor).shape]);
    this.#sums = named.map(([, p]) => new Float64Array((p as SyftTensor).size));
  }

  /** Adds weight · values, one array per parameter in the model's order. */
  add(values: readonly ArrayLike<number>[], weight: number): void {
    values.forEach((v, j) => {
      const sum = this.#sums[j]!;
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + weight * v[i]!;
    });
  }

  /** The sums divided by `divisor`, as new parameters by name (leaves that require a gradient). */
  result(divisor = 1): Record<string, SyftTensor> {
    const out: Record<string, SyftTensor> = {};
    this.#names.forEach((name, j) => {
      const values = Float32Array.from(this.#sums[j]!, (v) => v / divisor);
      out[name] = new SyftTensor(tf.tensor(values, this.#shapes[j]!), { requiresGrad: true });
    });
    return out;
  }
}

/**
 * The average of local models, as new parameters by name (leaves that require
 * a gradient). The inputs are left as they are.
 */
export function averageLocally(models: readonly WeightedModel<Module>[]): Record<string, SyftTensor> {
  const weights = normalizedWeights(models);
  const sum = new WeightedSum(models[0]!.model);
  models.forEach(({ model }, k) => {
    const values = model.namedParameters().map(([name, p]) => {
      if (p instanceof PointerTensor) throw new InvalidArgumentError(`averageLocally: parameter '${name}' of model ${k} is at ${p.location.id}; get() it first.`);
      return (p as SyftTensor).tensor.dataSync();
    });
    sum.add(values, weights[k]!);
  });
  return sum.result();
}

/**
 * Moves every model to `aggregator`, averages there, and brings home only the
 * average. The models' parameters are consumed (moved, then deleted).
 */
export async function averageAtAggregator(models: readonly WeightedModel<Module>[], aggregator: Location): Promise<Record<string, SyftTensor>> {
  const weights = normalizedWeights(models);
  for (const { model } of models) if (model.location !== aggregator) model.move(aggregator);
  const named = models.map((m) => m.model.namedParameters());
  const sums = tidy(() =>
    named[0]!.map(([name], j) => {
      let acc: Parameter | undefined;
      named.forEach((params, k) => {
        const term = (params[j]![1] as PointerTensor<SyftTensor>).mul(weights[k]!);
        acc = acc === undefined ? term : (acc as PointerTensor<SyftTensor>).add(term);
      });
      return [name, acc as PointerTensor<SyftTensor>] as const;
    }),
  );
  for (const params of named) for (const [, p] of params) p.dispose();
  const homes = await Promise.all(sums.map(([, p]) => p.get()));
  return Object.fromEntries(sums.map(([name], j) => [name, new SyftTensor(homes[j]!.tensor, { requiresGrad: true })]));
}
