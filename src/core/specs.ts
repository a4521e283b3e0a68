/**
 * Training jobs as plain data: what a worker needs to rebuild a model around
 * parameters it holds and train it in one message. They live here, below
 * every layer, because the wire protocol carries them; nn and optim build
 * modules and optimizers from them.
 */
import { bool, type Check, count, finite, listOf, name, oneOf, optional, record, variants } from './wire-schema.js';

/** A module as data: enough to rebuild it around existing parameters (in a worker, say). */
export type ModuleSpec =
  | { readonly kind: 'linear'; readonly inFeatures: number; readonly outFeatures: number; readonly bias: boolean }
  | { readonly kind: 'sequential'; readonly layers: readonly ModuleSpec[] }
  | { readonly kind: 'op'; readonly name: string; readonly arg?: number }
  | { readonly kind: 'dropout'; readonly rate: number }
  | {
      readonly kind: 'conv2d';
      readonly inChannels: number;
      readonly outChannels: number;
      readonly kernelSize: number;
      readonly stride: number;
      readonly padding: 'valid' | 'same';
      readonly bias: boolean;
    }
  | { readonly kind: 'maxPool2d'; readonly kernelSize: number; readonly stride: number };

export interface SgdOptions {
  readonly lr: number;
  /** Momentum factor (PyTorch's, without dampening or Nesterov). */
  readonly momentum?: number;
  /** L2 penalty added to the gradient. */
  readonly weightDecay?: number;
}

export interface AdamOptions {
  readonly lr?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: number;
}

export type OptimizerSpec = ({ readonly kind: 'sgd' } & SgdOptions) | ({ readonly kind: 'adam' } & AdamOptions);

/** The losses a training job can name (sy.nn.LOSSES has one entry each). */
const LOSS_NAMES = ['mse', 'nll', 'crossEntropy', 'bce'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export interface ClassTargets {
  /**
   * When given, `target` holds class indices (int32, shape [N]) over this many
   * classes, as in PyTorch; otherwise `target` is one-hot (float32, shape [N, C]).
   */
  readonly classes?: number;
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

/** A module spec as a message may carry it (checked before a worker builds anything from it). */
const moduleSpec: Check = (v) => MODULE_SPEC(v);
const MODULE_SPEC: Check = variants({
  linear: record({ inFeatures: count, outFeatures: count, bias: bool }),
  sequential: record({ layers: listOf(moduleSpec, 1024) }),
  op: record({ name, arg: optional(finite) }),
  dropout: record({ rate: finite }),
  conv2d: record({ inChannels: count, outChannels: count, kernelSize: count, stride: count, padding: oneOf('valid', 'same'), bias: bool }),
  maxPool2d: record({ kernelSize: count, stride: count }),
});

/** A training job as a message may carry it. */
export const trainJobCheck: Check = record({
  model: moduleSpec,
  loss: oneOf(...LOSS_NAMES),
  lossOptions: optional(record({ classes: optional(count) })),
  optimizer: variants({
    sgd: record({ lr: finite, momentum: optional(finite), weightDecay: optional(finite) }),
    adam: record({ lr: optional(finite), betas: optional(listOf(finite, 2)), eps: optional(finite), weightDecay: optional(finite) }),
  }),
  steps: optional(count),
  epochs: optional(count),
  batchSize: optional(count),
  shuffleSeed: optional(finite),
});
