/**
 * Runs training jobs inside a worker (thread side): the model is rebuilt
 * around the parameters in the store, and each step is forward, gradients by
 * tf.valueAndGrads (tfjs's own gradients, matMul with explicit transposes),
 * and the optimizer's update, with no message in between. The optimizer (and
 * its state) is kept per training session for the next call, until one of
 * the session's parameters leaves the store.
 *
 * A job with `dp` runs DP-SGD instead (src/dp): each step a Poisson sample
 * from this worker's CSPRNG, the clipped and noised gradient, then the job's
 * optimizer, which only consumes the gradient (its momentum or moments are
 * post-processing of released gradients). dpCostOf tells the host what such
 * a job spends before it runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import { SeededRandom } from '../core/seeded-random.js';
import type { TrainJob } from '../core/specs.js';
import { dpStepsAfter, poissonStepGradients, type RowSource, rowSource } from '../dp/train.js';
import { moduleFromSpec } from '../nn/from-spec.js';
import { lossFunction } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { optimizerFromSpec } from '../optim/from-spec.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import type { ObjectStore } from './object-store.js';

interface Session {
  readonly paramIds: readonly number[];
  readonly module: Module;
  readonly params: SyftTensor[];
  readonly optimizer: Optimizer;
}

/** Rows of a 2-D (or higher) tensor read once, batched by typed-array views (slice() on wasm copies the whole source). */
interface BatchSource {
  readonly values: Float32Array | Int32Array | Uint8Array;
  readonly shape: number[];
  readonly dtype: tf.DataType;
}

export class WorkerTraining {
  readonly #sessions = new Map<number, Session>();

  constructor(private readonly store: ObjectStore) {}

  run(key: number, paramIds: readonly number[], x: number, y: number, job: TrainJob): number[] {
    const session = this.#session(key, paramIds, job);
    const xs = this.store.tensor(x);
    const ys = this.store.tensor(y);
    const rows = xs.shape[0] ?? 1;
    if (job.dp !== undefined) return this.#runDp(session, paramIds, xs, ys, job, rows);
    const order = stepOrder(job, rows);
    const batched = job.batchSize !== undefined;
    const sources = batched ? { x: sourceOf(xs), y: sourceOf(ys) } : undefined;
    const loss = lossFunction(job.loss);
    const losses: number[] = [];
    for (const rowsOfStep of order) {
      const xb = sources === undefined ? xs : batchOf(sources.x, rowsOfStep);
      const yb = sources === undefined ? ys : batchOf(sources.y, rowsOfStep);
      const lossOf = () =>
        noGrad(() => (loss(session.module.forward(new SyftTensor(xb)), new SyftTensor(yb), job.lossOptions) as SyftTensor).tensor) as tf.Scalar;
      const { value, grads } = tf.tidy(() => tf.valueAndGrads(lossOf)(session.params.map((p) => p.tensor)));
      this.#step(session, paramIds, grads);
      losses.push(value.dataSync()[0]!);
      value.dispose();
      if (xb !== xs) tf.dispose([xb, yb]);
    }
    return losses;
  }

  /** The optimizer's step with these gradients; the store then holds the new parameters. */
  #step(session: Session, paramIds: readonly number[], gradients: readonly tf.Tensor[]): void {
    session.params.forEach((p, i) => (p.grad = new SyftTensor(gradients[i]!)));
    session.optimizer.step();
    for (const p of session.params) {
      p.grad!.dispose();
      p.grad = undefined;
    }
    paramIds.forEach((id, i) => this.store.replaceTensor(id, session.params[i]!.tensor));
  }

  /**
   * DP-SGD steps (see dpCostOf for how many). The losses, one per non-empty
   * sample, are computed from the rows without noise: not DP, so whether they
   * leave is the worker's policy's call (its 'train' handler).
   */
  #runDp(session: Session, paramIds: readonly number[], xs: tf.Tensor, ys: tf.Tensor, job: TrainJob, rows: number): number[] {
    const { steps } = dpCostOf(job, rows)!;
    if (ys.shape[0] !== rows) throw new InvalidArgumentError(`the data has ${rows} rows and the targets ${ys.shape[0]}; give one target per row`);
    const [xSource, ySource]: RowSource[] = [rowSource(xs), rowSource(ys)];
    const options = { loss: job.loss, ...(job.lossOptions === undefined ? {} : { lossOptions: job.lossOptions }), batchSize: job.batchSize!, ...job.dp! };
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const { gradients, loss } = poissonStepGradients(session.module, xSource!, ySource!, options);
      if (loss !== undefined) losses.push(loss);
      this.#step(session, paramIds, gradients);
    }
    return losses;
  }

  /** Drops the sessions that trained any of these objects (deleted, moved away, or fetched). */
  forget(ids: Iterable<number>): void {
    const gone = new Set(ids);
    for (const [key, session] of this.#sessions) {
      if (session.paramIds.some((id) => gone.has(id))) this.#sessions.delete(key);
    }
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  #session(key: number, paramIds: readonly number[], job: TrainJob): Session {
    const existing = this.#sessions.get(key);
    if (existing !== undefined) {
      // The main thread may have changed the parameters in between (in place, or by loading others).
      existing.params.forEach((p, i) => {
        const current = this.store.tensor(paramIds[i]!);
        if (p.tensor !== current) (p as { tensor: tf.Tensor }).tensor = current;
      });
      return existing;
    }
    if (paramIds.length === 0) throw new InvalidArgumentError('the model has no parameters to train; give it at least one linear or conv2d layer');
    const params = paramIds.map((id) => new SyftTensor(this.store.tensor(id)));
    let next = 0;
    const module = moduleFromSpec(job.model, () => params[next++]!);
    if (next !== params.length) {
      throw new InvalidArgumentError(`the model spec takes ${next} parameters, the job sent ${params.length}`);
    }
    const session = { paramIds: [...paramIds], module, params, optimizer: optimizerFromSpec(job.optimizer, params) };
    this.#sessions.set(key, session);
    return session;
  }
}

/**
 * What a DP job spends, for the worker to charge its privacy budget before
 * the job runs: σ, the Poisson sampling rate q = batchSize / rows, and the
 * number of steps (`steps`, or ceil(epochs · rows / batchSize), as dpSgdEpsilon counts them); undefined
 * for a job without dp. A job that could not run (no batch size, a batch
 * larger than the data, neither or both of steps and epochs) is refused here,
 * before anything is charged.
 */
export function dpCostOf(job: TrainJob, rows: number): { noiseMultiplier: number; sampleRate: number; steps: number } | undefined {
  if (job.dp === undefined) return undefined;
  const { noiseMultiplier, maxGradNorm } = job.dp;
  if (!(noiseMultiplier >= 0 && Number.isFinite(noiseMultiplier))) throw new InvalidArgumentError(`dp.noiseMultiplier must be a finite number >= 0, got ${noiseMultiplier}`);
  if (!(maxGradNorm > 0 && Number.isFinite(maxGradNorm))) throw new InvalidArgumentError(`dp.maxGradNorm must be a positive finite number, got ${maxGradNorm}`);
  const { batchSize, steps, epochs } = job;
  if (!(Number.isSafeInteger(rows) && rows >= 1)) throw new InvalidArgumentError(`a DP job needs data with at least one row, got ${rows}`);
  if (!(Number.isSafeInteger(batchSize) && batchSize! >= 1 && batchSize! <= rows)) {
    throw new InvalidArgumentError(`a DP job's batchSize (the expected Poisson sample size) must be a whole number from 1 to the ${rows} rows, got ${batchSize}`);
  }
  const positive = (v: number | undefined) => v !== undefined && Number.isSafeInteger(v) && v > 0;
  if ((steps === undefined) === (epochs === undefined) || !(positive(steps) || positive(epochs))) {
    throw new InvalidArgumentError(`give a positive integer number of steps or of epochs (one of them), got steps ${steps}, epochs ${epochs}`);
  }
  return { noiseMultiplier, sampleRate: batchSize! / rows, steps: steps ?? dpStepsAfter(epochs!, rows, batchSize!) };
}

function sourceOf(t: tf.Tensor): BatchSource {
  return { values: t.dataSync() as Float32Array, shape: t.shape, dtype: t.dtype };
}

/** A step: the rows it trains on, as [start, count) of the data or as a list of row indices. */
type StepRows = { readonly start: number; readonly count: number } | readonly number[];

/** The rows of every step of a job: `steps` cycling batches, or `epochs` passes (shuffled when seeded). */
function stepOrder(job: TrainJob, rows: number): StepRows[] {
  const { steps, epochs, batchSize, shuffleSeed } = job;
  const positive = (v: number | undefined) => v !== undefined && Number.isInteger(v) && v > 0;
  if ((steps === undefined) === (epochs === undefined) || !(positive(steps) || positive(epochs))) {
    throw new InvalidArgumentError(`give a positive integer number of steps or of epochs (one of them), got steps ${steps}, epochs ${epochs}`);
  }
  if (batchSize !== undefined && !positive(batchSize)) throw new InvalidArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
  const size = batchSize ?? rows;
  if (steps !== undefined) {
    return Array.from({ length: steps }, (_, i) => {
      const start = (i * size) % rows;
      return { start, count: Math.min(size, rows - start) };
    });
  }
  const order: StepRows[] = [];
  const random = shuffleSeed === undefined ? undefined : new SeededRandom(shuffleSeed);
  for (let e = 0; e < epochs!; e++) {
    const perm = random?.permutation(rows);
    for (let start = 0; start < rows; start += size) {
      const count = Math.min(size, rows - start);
      order.push(perm === undefined ? { start, count } : perm.slice(start, start + count));
    }
  }
  return order;
}

/** The batch's rows copied out of typed-array views: slice() and gather() on wasm copy the whole source first. */
function batchOf(source: BatchSource, rows: StepRows): tf.Tensor {
  const width = source.values.length / source.shape[0]!;
  const inner = source.shape.slice(1);
  if (!Array.isArray(rows)) {
    const { start, count } = rows as { start: number; count: number };
    return tf.tensor(source.values.subarray(start * width, (start + count) * width), [count, ...inner], source.dtype);
  }
  const list = rows as readonly number[];
  const out = new (source.values.constructor as new (n: number) => typeof source.values)(list.length * width);
  list.forEach((row, i) => out.set(source.values.subarray(row * width, (row + 1) * width), i * width));
  return tf.tensor(out, [list.length, ...inner], source.dtype);
}
