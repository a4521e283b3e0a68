/**
 * Runs training jobs inside a worker (thread side): the model is rebuilt
 * around the parameters in the store, and each step is forward, gradients by
 * tf.valueAndGrads (tfjs's own gradients, matMul with explicit transposes),
 * and the optimizer's update, with no message in between. The optimizer (and
 * its state) is kept per training session for the next call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ObjectStore } from '../store/object-store.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
// The layers call ops as methods of syft tensors; in a worker thread nothing else installs them.
import '../tensor/op-methods.js';
import { moduleFromSpec } from './from-spec.js';
import type { Module } from './module.js';
import { LOSSES, optimizerFromSpec, type TrainJob } from './train-plan.js';

interface Session {
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
    if (!(Number.isInteger(job.steps) && job.steps > 0)) throw new InvalidArgumentError(`steps must be a positive integer, got ${job.steps}`);
    const session = this.#session(key, paramIds, job);
    const xs = this.store.tensor(x);
    const ys = this.store.tensor(y);
    const batches = job.batchSize === undefined ? undefined : { x: sourceOf(xs), y: sourceOf(ys), size: job.batchSize };
    const rows = xs.shape[0] ?? 1;
    const losses: number[] = [];
    for (let step = 0; step < job.steps; step++) {
      const start = batches === undefined ? 0 : (step * batches.size) % rows;
      const xb = batches === undefined ? xs : batchOf(batches.x, start, batches.size);
      const yb = batches === undefined ? ys : batchOf(batches.y, start, batches.size);
      const lossOf = () =>
        noGrad(() => (LOSSES[job.loss](session.module.forward(new SyftTensor(xb)), new SyftTensor(yb), job.lossOptions) as SyftTensor).tensor) as tf.Scalar;
      const { value, grads } = tf.tidy(() => tf.valueAndGrads(lossOf)(session.params.map((p) => p.tensor)));
      session.params.forEach((p, i) => (p.grad = new SyftTensor(grads[i]!)));
      session.optimizer.step();
      for (const p of session.params) {
        p.grad!.dispose();
        p.grad = undefined;
      }
      paramIds.forEach((id, i) => this.store.replaceTensor(id, session.params[i]!.tensor));
      losses.push(value.dataSync()[0]!);
      value.dispose();
      if (xb !== xs) tf.dispose([xb, yb]);
    }
    return losses;
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
    const params = paramIds.map((id) => new SyftTensor(this.store.tensor(id)));
    let next = 0;
    const module = moduleFromSpec(job.model, () => params[next++]!);
    if (next !== params.length) {
      throw new InvalidArgumentError(`the model spec takes ${next} parameters, the job sent ${params.length}`);
    }
    const session = { module, params, optimizer: optimizerFromSpec(job.optimizer, params) };
    this.#sessions.set(key, session);
    return session;
  }
}

function sourceOf(t: tf.Tensor): BatchSource {
  return { values: t.dataSync() as Float32Array, shape: t.shape, dtype: t.dtype };
}

function batchOf(source: BatchSource, start: number, size: number): tf.Tensor {
  const rows = source.shape[0]!;
  const count = Math.min(size, rows - start);
  const width = source.values.length / rows;
  return tf.tensor(source.values.subarray(start * width, (start + count) * width), [count, ...source.shape.slice(1)], source.dtype);
}
