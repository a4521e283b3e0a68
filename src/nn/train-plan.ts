/**
 * A training job as data, so that a whole local training run (k steps) can go
 * to a worker in one message instead of one message per op: per-op messaging
 * is what made PySyft's federated training slow.
 */
import { Adam, type AdamOptions } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Sgd, type SgdOptions } from '../optim/sgd.js';
import { bceLoss, type ClassTargets, crossEntropy, mseLoss, nllLoss } from './losses.js';
import type { Activation, ModuleSpec, Parameter } from './module.js';

export const LOSSES = {
  mse: (pred: Activation, target: Activation) => mseLoss(pred, target),
  nll: (pred: Activation, target: Activation, options?: ClassTargets) => nllLoss(pred, target, options),
  crossEntropy: (pred: Activation, target: Activation, options?: ClassTargets) => crossEntropy(pred, target, options),
  bce: (pred: Activation, target: Activation) => bceLoss(pred, target),
} as const;

export type LossName = keyof typeof LOSSES;

export type OptimizerSpec = ({ readonly kind: 'sgd' } & SgdOptions) | ({ readonly kind: 'adam' } & AdamOptions);

export function optimizerFromSpec(spec: OptimizerSpec, params: readonly Parameter[]): Optimizer {
  return spec.kind === 'sgd' ? new Sgd(params, spec) : new Adam(params, spec);
}

export interface TrainPlan {
  readonly loss: LossName;
  readonly lossOptions?: ClassTargets;
  /** The optimizer; its state stays at the worker from one call to the next. */
  readonly optimizer: OptimizerSpec;
  /** How many steps to run in this one message (or give `epochs`). */
  readonly steps?: number;
  /** Whole passes over the data, in batches of `batchSize` (the last batch may be smaller). */
  readonly epochs?: number;
  /** Split the data into batches of this many rows (cycling); the whole data per step otherwise. */
  readonly batchSize?: number;
  /** Visit the rows in a new order each epoch, drawn from this seed (with `epochs`). */
  readonly shuffleSeed?: number;
}

/** What the worker receives: the plan plus the model as data. */
export interface TrainJob extends TrainPlan {
  readonly model: ModuleSpec;
}
