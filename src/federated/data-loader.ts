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
  /**
   * PySyft's num_iterators: this many iterators walk the workers at once,
   * each step giving one batch from each, from distinct workers; each
   * iterator covers every worker once, so a pass over the loader is
   * numIterators epochs of data. At most workers - 1 (one worker must be free
   * for an iterator to switch to); more is lowered to that, as in PySyft.
   */
  readonly numIterators?: number;
  /** PySyft's iter_per_worker: one iterator per worker; each step gives a batch from every worker, until one runs out. */
  readonly iterPerWorker?: boolean;
}

export interface FederatedBatch {
  readonly worker: Location;
  readonly data: PointerTensor<SyftTensor>;
  readonly target: PointerTensor<SyftTensor>;
  /** Rows of the worker's dataset in this batch. */
  readonly rows: readonly number[];
}

/**
 * One step of the loader. With one iterator (the default) it is one batch,
 * and `batches` holds just it; with `numIterators` > 1 or `iterPerWorker`,
 * `batches` holds one batch per worker of the step (PySyft's dict keyed by
 * worker) and the step's own fields are those of its first batch.
 */
export interface FederatedStep extends FederatedBatch {
  readonly batches: ReadonlyMap<string, FederatedBatch>;
}

/** What a step will hold: for each of its batches, the worker and the rows. */
type StepPlan = ReadonlyArray<{ readonly worker: string; readonly rows: readonly number[] }>;

export class FederatedDataLoader implements AsyncIterable<FederatedStep> {
  readonly batchSize: number;
  /** Iterators walking the workers at once (PySyft's loader.num_iterators, after its lowering). */
  readonly numIterators: number;
  readonly iterPerWorker: boolean;
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
    const wanted = options.numIterators ?? 1;
    if (!(Number.isInteger(wanted) && wanted > 0)) {
      throw new InvalidArgumentError(`FederatedDataLoader: numIterators must be a positive integer, got ${options.numIterators}.`);
    }
    this.iterPerWorker = options.iterPerWorker === true;
    const workers = dataset.workers.length;
    this.numIterators = this.iterPerWorker ? workers : workers <= 1 ? 1 : Math.min(wanted, workers - 1);
    if (options.order === 'interleaved' && this.numIterators > 1) {
      throw new InvalidArgumentError("FederatedDataLoader: order 'interleaved' is for one iterator; with numIterators or iterPerWorker each step already holds several workers' batches.");
    }
    this.#options = options;
  }

  /** Epochs started so far. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Batches per epoch, over all workers (PySyft's len(loader)). */
  get length(): number {
    return this.dataset.list().reduce((n, d) => n + this.#batchesOf(d.length), 0);
  }

  /** The row lists of one epoch's batches, per worker (what one iterator sends). */
  plan(epoch = this.#epoch, iterator = 0): Map<string, number[][]> {
    const random = new SeededRandom((this.#options.seed ?? 0) + epoch + iterator * 7919);
    const out = new Map<string, number[][]>();
    for (const d of this.dataset.list()) {
      const order = this.#options.shuffle ? random.permutation(d.length) : Array.from({ length: d.length }, (_, i) => i);
      const batches: number[][] = [];
      for (let b = 0; b < this.#batchesOf(d.length); b++) batches.push(order.slice(b * this.batchSize, (b + 1) * this.batchSize));
      out.set(d.location.id, batches);
    }
    return out;
  }

  /** The steps of one pass: each a list of (worker, rows), as the iterators will produce them. */
  steps(epoch = this.#epoch): StepPlan[] {
    const ids = this.dataset.workers.map((w) => w.id);
    if (this.iterPerWorker) return stepsPerWorker(ids, this.plan(epoch));
    if (this.numIterators > 1) return stepsOfIterators(ids, Array.from({ length: this.numIterators }, (_, k) => this.plan(epoch, k)));
    const plan = this.plan(epoch);
    const out: StepPlan[] = [];
    if (this.#options.order === 'interleaved') {
      const most = Math.max(0, ...[...plan.values()].map((b) => b.length));
      for (let b = 0; b < most; b++) for (const id of ids) if (plan.get(id)![b] !== undefined) out.push([{ worker: id, rows: plan.get(id)![b]! }]);
      return out;
    }
    for (const id of ids) for (const rows of plan.get(id)!) out.push([{ worker: id, rows }]);
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FederatedStep> {
    await this.dataset.ready();
    const steps = this.steps(this.#epoch++);
    for (const step of steps) {
      const batches = new Map(step.map(({ worker, rows }) => [worker, batchAt(this.dataset.get(worker), rows)] as const));
      const first = batches.get(step[0]!.worker)!;
      yield { ...first, batches };
    }
  }

  #batchesOf(n: number): number {
    return this.#options.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

/** iter_per_worker: step k holds batch k of every worker, while every worker has one. */
function stepsPerWorker(ids: readonly string[], plan: Map<string, number[][]>): StepPlan[] {
  const fewest = Math.min(...ids.map((id) => plan.get(id)!.length));
  return Array.from({ length: fewest }, (_, b) => ids.map((id) => ({ worker: id, rows: plan.get(id)![b]! })));
}

/**
 * PySyft's num_iterators walk: iterator k starts at worker k; when its worker
 * runs out it forgets it and moves to the first worker it has not forgotten
 * that no iterator is at. Each iterator keeps its own place in every worker's
 * batches. The pass ends when any iterator finds no worker to move to.
 */
function stepsOfIterators(ids: readonly string[], plans: readonly Map<string, number[][]>[]): StepPlan[] {
  const iterators = plans.map((plan, k) => ({ at: k, remaining: ids.map((_, i) => i), next: new Map<string, number>(), plan }));
  const advance = (it: (typeof iterators)[number]): { worker: string; rows: number[] } | undefined => {
    for (;;) {
      if (it.at < 0) return undefined;
      const worker = ids[it.at]!;
      const b = it.next.get(worker) ?? 0;
      const rows = it.plan.get(worker)![b];
      if (rows !== undefined) {
        it.next.set(worker, b + 1);
        return { worker, rows };
      }
      it.remaining = it.remaining.filter((i) => i !== it.at);
      const busy = iterators.map((other) => other.at);
      it.at = it.remaining.find((i) => !busy.includes(i)) ?? -1;
    }
  };
  const steps: StepPlan[] = [];
  for (;;) {
    const step: { worker: string; rows: number[] }[] = [];
    for (const it of iterators) {
      const batch = advance(it);
      if (batch === undefined) return steps;
      step.push(batch);
    }
    steps.push(step);
  }
}

/** The rows gathered at the worker: only the indices travel. */
function batchAt(d: WorkerDataset, rows: readonly number[]): FederatedBatch {
  const indices = new SyftTensor(tf.tensor1d(rows as number[], 'int32'));
  const at = indices.send(d.location);
  indices.dispose();
  const batch = { worker: d.location, data: d.data.gather(at), target: d.targets.gather(at), rows };
  at.dispose();
  return batch;
}
