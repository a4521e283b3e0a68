/**
 * A dataset spread over workers: each worker holds its own samples, and the
 * model owner holds only pointers to them (PySyft's sy.FederatedDataset).
 * Built from datasets at workers, `new FederatedDataset([dsAtBob, dsAtAlice])`,
 * or by sy.federate(dataset, workers).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { BaseDataset } from './base-dataset.js';

/** One worker's share: a dataset whose data and targets are pointers at that worker. */
export type WorkerDataset = BaseDataset<PointerTensor<SyftTensor>>;

export class FederatedDataset {
  readonly #byWorker = new Map<string, WorkerDataset>();
  /** The record `datasets` returns, made once per change: a training loop reads it once per worker per step. */
  #record: Readonly<Record<string, WorkerDataset>> | undefined;

  constructor(datasets: readonly BaseDataset<PointerTensor<SyftTensor>>[]) {
    datasets.forEach((d, k) => {
      if (!(d instanceof BaseDataset) || !d.isRemote) {
        throw new InvalidArgumentError(
          `FederatedDataset: datasets[${k}] is ${d instanceof BaseDataset ? 'local' : 'not a BaseDataset'}; give datasets at workers (dataset.send(worker), or new sy.BaseDataset(xPtr, yPtr)).`,
        );
      }
      const id = d.location.id;
      if (this.#byWorker.has(id)) {
        throw new InvalidArgumentError(`FederatedDataset: worker '${id}' appears twice; give each worker one dataset.`);
      }
      this.#byWorker.set(id, d);
    });
    for (const d of this.#byWorker.values()) d.federated = true;
  }

  /** The workers that hold data, in the order given. */
  get workers(): Location[] {
    return [...this.#byWorker.values()].map((d) => d.location);
  }

  /**
   * Every worker's dataset by worker id (PySyft's fd.datasets["bob"]), e.g.
   * `fd.datasets[model.location.id]`. Iterate `fd.workers` for the order given:
   * object keys that look like integers (a worker named '7') come first.
   */
  get datasets(): Readonly<Record<string, WorkerDataset>> {
    this.#record ??= Object.freeze(Object.assign(Object.create(null) as Record<string, WorkerDataset>, Object.fromEntries(this.#byWorker)));
    return this.#record;
  }

  /** Every worker's dataset, in the order given. */
  list(): WorkerDataset[] {
    return [...this.#byWorker.values()];
  }

  /**
   * Learns the sizes the caller does not know yet (datasets over pointers
   * whose shapes could not be inferred here), asking each such worker once.
   * fedAvg and the loader call it; `length` needs it only for such datasets.
   */
  async ready(): Promise<this> {
    await Promise.all(this.list().map((d) => d.ready()));
    return this;
  }

  /** Samples over all workers (PySyft's len(fd)). */
  get length(): number {
    let n = 0;
    for (const d of this.#byWorker.values()) n += d.length;
    return n;
  }

  /** The dataset at one worker (fed_dataset["bob"]). */
  get(workerId: string): WorkerDataset {
    const d = this.#byWorker.get(workerId);
    if (d === undefined) {
      throw new InvalidArgumentError(`FederatedDataset: no data at '${workerId}'; the workers are ${this.workers.map((w) => w.id).join(', ') || 'none'}.`);
    }
    return d;
  }

  /** Takes one worker's dataset out of this one and brings it home (PySyft's fd.get_dataset("alice")). */
  async getDataset(workerId: string): Promise<BaseDataset> {
    const d = this.get(workerId);
    this.#byWorker.delete(workerId);
    this.#record = undefined;
    d.federated = false;
    return d.get();
  }

  /** Deletes every worker's data. */
  dispose(): void {
    for (const d of this.#byWorker.values()) d.dispose();
    this.#byWorker.clear();
    this.#record = undefined;
  }

  toString(): string {
    return `FederatedDataset\n    Distributed across: ${this.workers.map((w) => w.id).join(', ')}\n    Number of datapoints: ${this.length}\n`;
  }
}
