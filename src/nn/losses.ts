/**
 * Losses, as PyTorch defines them (mean over the batch). Built from registry
 * ops, they run wherever their inputs are and backward() flows through them.
 */
import { checkLossName, type ClassTargets, type LossName } from '../core/specs.js';
import type { Activation } from './module.js';

export type { ClassTargets, LossName } from '../core/specs.js';

const EPS = 1e-7;

/** mean((pred - target)^2) */
export function mseLoss<A extends Activation>(pred: A, target: Activation): A {
  return pred.sub(target).square().mean() as A;
}

/** -mean over the batch of log p[target], from log-probabilities (e.g. logSoftmax). */
export function nllLoss<A extends Activation>(logProbs: A, target: Activation, options: ClassTargets = {}): A {
  const oneHot = options.classes === undefined ? target : (target.oneHot(options.classes).cast('float32') as Activation);
  return logProbs.mul(oneHot).sum(-1).mean().neg() as A;
}

/** nllLoss(logSoftmax(logits), target): PyTorch's cross_entropy, on raw scores. */
export function crossEntropy<A extends Activation>(logits: A, target: Activation, options: ClassTargets = {}): A {
  return nllLoss(logits.logSoftmax(-1) as A, target, options);
}

/** -mean(t·log(p) + (1 - t)·log(1 - p)), with p clipped away from 0 and 1. */
export function bceLoss<A extends Activation>(probs: A, target: Activation): A {
  const p = probs.clipByValue(EPS, 1 - EPS) as Activation;
  const positive = target.mul(p.log()) as Activation;
  const negative = (target.neg().add(1) as Activation).mul(p.neg().add(1).log()) as Activation;
  return positive.add(negative).mean().neg() as A;
}

type LossFunction = (pred: Activation, target: Activation, options?: ClassTargets) => Activation;
const mse: LossFunction = (pred, target) => mseLoss(pred, target);
const nll: LossFunction = (pred, target, options) => nllLoss(pred, target, options);
const bce: LossFunction = (pred, target) => bceLoss(pred, target);

/** The losses a training job names (src/core/specs.ts), one entry for each name it accepts. */
export const LOSSES = {
  mseLoss: mse,
  nllLoss: nll,
  crossEntropy: (pred, target, options) => crossEntropy(pred, target, options),
  bceLoss: bce,
  mse,
  nll,
  bce,
} as const satisfies Record<LossName, LossFunction>;

/** The loss function of a name; a name no job may carry is refused with the names that exist. */
export function lossFunction(name: string): LossFunction {
  return LOSSES[checkLossName(name)];
}
