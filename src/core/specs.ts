/**
 * Training jobs as plain data: what a worker needs to rebuild a model around
 * parameters it holds and train it in one message. They live here, below
 * every layer, because the wire protocol carries them; nn and optim build
 * modules and optimizers from them.
 */
import { InvalidArgumentError } from './errors.js';
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

/**
 * The losses a training job can name: the names of sy.nn's loss functions
 * (the README's), and the short names earlier releases used. sy.nn.LOSSES
 * has one entry for each, so a worker never meets a name it cannot run.
 */
const LOSS_NAMES = ['mseLoss', 'nllLoss', 'crossEntropy', 'bceLoss', 'mse', 'nll', 'bce'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** Names users bring from PyTorch/PySyft (F.nll_loss, nn.CrossEntropyLoss, ...), and the name to write instead. */
const FOREIGN_LOSS_NAMES: Readonly<Record<string, LossName>> = {
  mse_loss: 'mseLoss', MSELoss: 'mseLoss', nll_loss: 'nllLoss', NLLLoss: 'nllLoss', cross_entropy: 'crossEntropy',
  CrossEntropyLoss: 'crossEntropy', binary_cross_entropy: 'bceLoss', BCELoss: 'bceLoss', bce_loss: 'bceLoss',
};

/**
 * The loss name itself when it is one a job may carry; otherwise a coded
 * error naming what to write: the camelCase name for a PyTorch spelling,
 * the nearest names for a typo.
 */
export function checkLossName(value: unknown, where = 'loss'): LossName {
  if (typeof value === 'string' && (LOSS_NAMES as readonly string[]).includes(value)) return value as LossName;
  const given = typeof value === 'string' ? `'${value}'` : String(value);
  const accepted = `The losses are ${LOSS_NAMES.slice(0, 4).map((n) => `'${n}'`).join(', ')} (also 'mse', 'nll', 'bce').`;
  if (typeof value === 'string' && Object.hasOwn(FOREIGN_LOSS_NAMES, value)) {
    throw new InvalidArgumentError(`${where}: ${given} is PyTorch's spelling; syft-ts names it '${FOREIGN_LOSS_NAMES[value]}'. ${accepted}`);
  }
  const near = typeof value === 'string' ? nearestNames(value, LOSS_NAMES) : [];
  throw new InvalidArgumentError(
    `${where}: unknown loss ${given}.` + (near.length > 0 ? ` Did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : '') + ` ${accepted}`,
  );
}

/** Names within a small edit distance of `name` (case and '_' ignored), nearest first. */
function nearestNames(name: string, names: readonly string[]): string[] {
  const fold = (s: string) => s.toLowerCase().replaceAll('_', '');
  const target = fold(name);
  return names
    .map((n) => ({ n, d: editDistance(target, fold(n)) }))
    .filter(({ n, d }) => d <= Math.max(2, Math.floor(fold(n).length / 3)))
    .sort((a, b) => a.d - b.d)
    .map(({ n }) => n)
    .slice(0, 2);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

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
  /**
   * Train with DP-SGD (Abadi et al. 2016) at the worker: each step a Poisson
   * sample of the rows drawn from the worker's CSPRNG at rate q = batchSize /
   * rows (batchSize is required: it is the samples' expected size; not with
   * shuffleSeed), every example's gradient clipped to maxGradNorm, Gaussian
   * noise of standard deviation noiseMultiplier · maxGradNorm on their sum,
   * divided by batchSize, then the optimizer's step. `steps` steps, or
   * `epochs` × round(rows / batchSize). The losses come back one per
   * non-empty sample; they are computed from the rows without noise (not
   * DP), so a worker whose policy denies raw gets keeps them.
   */
  readonly dp?: {
    /** σ: the noise's standard deviation over maxGradNorm (>= 0). */
    readonly noiseMultiplier: number;
    /** C: each example's gradient is scaled to at most this L2 norm (> 0). */
    readonly maxGradNorm: number;
  };
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

const nonNegative: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a finite number >= 0');
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive finite number');

const trainJobFields: Check = record({
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
  dp: optional(record({ noiseMultiplier: nonNegative, maxGradNorm: positive })),
});

/** What a DP job needs beyond its fields' shapes: a batch size to sample at, and no seeded order. */
const dpJobFits: Check = (v) => {
  const job = v as Partial<TrainPlan>;
  if (job.dp === undefined) return undefined;
  if (job.batchSize === undefined || job.batchSize < 1) {
    return '.batchSize: a positive integer with dp (the expected size of the Poisson samples: each row is in a step with probability batchSize / rows)';
  }
  if (job.shuffleSeed !== undefined) return '.shuffleSeed: absent with dp (each step is a Poisson sample drawn from the worker\'s CSPRNG, not a seeded order)';
  return undefined;
};

/** A training job as a message may carry it. */
export const trainJobCheck: Check = (v) => trainJobFields(v) ?? dpJobFits(v);

/** What the caller knows of the targets a job will train on (a pointer's shape and dtype). */
export interface TargetsMeta {
  readonly shape: readonly number[];
  readonly dtype: string;
}

/**
 * Checks a training job at the caller, before anything is sent: the loss
 * name, a model with something to train, and, when the targets' shape and
 * dtype are known here, targets that fit the loss. Every worker would
 * otherwise fail alike, one message each, with a less helpful message.
 */
export function checkTrainJob(where: string, job: TrainJob, targets?: TargetsMeta): void {
  const loss = checkLossName(job.loss, `${where}: loss`);
  const wrong = trainJobCheck(job);
  if (wrong !== undefined) throw new InvalidArgumentError(`${where}: the training job${wrong}.`);
  if (countParameterLayers(job.model) === 0) {
    throw new InvalidArgumentError(
      `${where}: the model has no layer with parameters (${describeSpec(job.model)}); give it at least one linear or conv2d layer.`,
    );
  }
  if (targets === undefined) return;
  const classes = job.lossOptions?.classes;
  const byClass = loss === 'nllLoss' || loss === 'nll' || loss === 'crossEntropy';
  if (byClass && classes === undefined && (targets.dtype !== 'float32' || targets.shape.length < 2)) {
    throw new InvalidArgumentError(
      `${where}: loss '${loss}' was given targets of dtype ${targets.dtype} and shape [${targets.shape}], which look like class indices; ` +
        `pass lossOptions: { classes: C } (indices in 0..C-1), or give one-hot float32 targets of shape [N, C].`,
    );
  }
  if (byClass && classes !== undefined && (targets.dtype !== 'int32' || targets.shape.length !== 1)) {
    throw new InvalidArgumentError(
      `${where}: lossOptions.classes says the targets are class indices (int32, shape [N]), but they are ${targets.dtype} [${targets.shape}]; ` +
        'leave classes out for one-hot targets, or cast the targets to int32 indices.',
    );
  }
  if (!byClass && targets.dtype !== 'float32') {
    throw new InvalidArgumentError(
      `${where}: loss '${loss}' compares predictions with float32 targets; these are ${targets.dtype} [${targets.shape}] (cast them: targets.cast('float32')).`,
    );
  }
}

function countParameterLayers(spec: ModuleSpec): number {
  if (spec.kind === 'sequential') return spec.layers.reduce((n, l) => n + countParameterLayers(l), 0);
  return spec.kind === 'linear' || spec.kind === 'conv2d' ? 1 : 0;
}

function describeSpec(spec: ModuleSpec): string {
  if (spec.kind === 'sequential') return spec.layers.length === 0 ? 'an empty sequential()' : `sequential(${spec.layers.map(describeSpec).join(', ')})`;
  return spec.kind === 'op' ? spec.name : spec.kind;
}
