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
 * The average of local models, as new parameters by name (leaves that require
 * a gradient). The inputs are left as they are.
 */
export function averageLocally(models: readonly WeightedModel<Module>[]): Record<string, SyftTensor> {
  const weights = normalizedWeights(models);
  const named = models.map((m) => m.model.namedParameters());
  const out: Record<string, SyftTensor> = {};
  named[0]!.forEach(([name, first], j) => {
    const shape = (first as SyftTensor).shape;
    const sum = new Float64Array((first as SyftTensor).size);
    named.forEach((params, k) => {
      const p = params[j]![1];
      if (p instanceof PointerTensor) throw new InvalidArgumentError(`averageLocally: parameter '${name}' of model ${k} is at ${p.location.id}; get() it first.`);
      const values = (p as SyftTensor).tensor.dataSync();
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + weights[k]! * values[i]!;
    });
    out[name] = new SyftTensor(tf.tensor(Float32Array.from(sum), shape), { requiresGrad: true });
  });
  return out;
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
