/**
 * Batches of a federated dataset, made where the data is: for each batch the
 * loader sends only the row indices, and the worker gathers the rows, so the
 * batch's tensors are pointers at that worker (PySyft's FederatedDataLoader).
 * Iterated with `for await`; every pass is one epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import type { Location } from '../core/handles.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import type { FederatedDataset, WorkerDataset } from './federated-dataset.js';
import { SeededRandom } from '../core/seeded-random.js';

export interface FederatedDataLoaderOptions {
  /** Samples per batch (PySyft's default: 8). */
  readonly batchSize?: number;
  /** A new order of each worker's samples every epoch. */
  readonly shuffle?: boolean;
  /** Seed of the shuffles: epoch e uses seed + e, so runs repeat. */
  readonly seed?: number;
  /** Leave out each worker's last batch when it is smaller than batchSize. */
  readonly dropLast?: boolean;
  /** 'worker-by-worker' (PySyft's order: all of one worker's batches, then the next's) or 'interleaved' (round robin). */
  readonly order?: 'worker-by-worker' | 'interleaved';
}

export interface FederatedBatch {
  readonly worker: Location;
  readonly data: PointerTensor<SyftTensor>;
  readonly target: PointerTensor<SyftTensor>;
  /** Rows of the worker's dataset in this batch. */
  readonly rows: readonly number[];
}

export class FederatedDataLoader implements AsyncIterable<FederatedBatch> {
  readonly batchSize: number;
  readonly #options: FederatedDataLoaderOptions;
  #epoch = 0;

  constructor(
    readonly dataset: FederatedDataset,
    options: FederatedDataLoaderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 8;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) {
      throw new InvalidArgumentError(`FederatedDataLoader: batchSize must be a positive integer, got ${options.batchSize}.`);
    }
    if (options.order !== undefined && options.order !== 'worker-by-worker' && options.order !== 'interleaved') {
      throw new InvalidArgumentError(`FederatedDataLoader: order is 'worker-by-worker' or 'interleaved', got '${String(options.order)}'.`);
    }
    this.#options = options;
  }

  /** Epochs started so far. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Batches per epoch, over all workers. */
  get length(): number {
    return this.dataset.datasets.reduce((n, d) => n + this.#batchesOf(d.length), 0);
  }

  /** The row lists of one epoch's batches, per worker (what iteration sends). */
  plan(epoch = this.#epoch): Map<string, number[][]> {
    const random = new SeededRandom((this.#options.seed ?? 0) + epoch);
    const out = new Map<string, number[][]>();
    for (const d of this.dataset.datasets) {
      const order = this.#options.shuffle ? random.permutation(d.length) : Array.from({ length: d.length }, (_, i) => i);
      const batches: number[][] = [];
      for (let b = 0; b < this.#batchesOf(d.length); b++) batches.push(order.slice(b * this.batchSize, (b + 1) * this.batchSize));
      out.set(d.worker.id, batches);
    }
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FederatedBatch> {
    const plan = this.plan(this.#epoch++);
    const shares = this.dataset.datasets;
    if (this.#options.order === 'interleaved') {
      const most = Math.max(0, ...[...plan.values()].map((b) => b.length));
      for (let b = 0; b < most; b++) {
        for (const d of shares) {
          const rows = plan.get(d.worker.id)![b];
          if (rows !== undefined) yield batchAt(d, rows);
        }
      }
      return;
    }
    for (const d of shares) for (const rows of plan.get(d.worker.id)!) yield batchAt(d, rows);
  }

  #batchesOf(n: number): number {
    return this.#options.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

/** The rows gathered at the worker: only the indices travel. */
function batchAt(d: WorkerDataset, rows: readonly number[]): FederatedBatch {
  const indices = new SyftTensor(tf.tensor1d(rows as number[], 'int32'));
  const at = indices.send(d.worker);
  indices.dispose();
  const batch = { worker: d.worker, data: d.data.gather(at), target: d.targets.gather(at), rows };
  at.dispose();
  return batch;
}
