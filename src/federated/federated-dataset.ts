/**
 * A dataset spread over workers: each worker holds its own samples, and the
 * model owner holds only pointers to them (PySyft's sy.FederatedDataset).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import type { Location } from '../core/handles.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';

/** One worker's share: pointers to its features and targets, and how many samples it holds. */
export interface WorkerDataset {
  readonly worker: Location;
  readonly data: PointerTensor<SyftTensor>;
  readonly targets: PointerTensor<SyftTensor>;
  readonly length: number;
  /** Which samples of the original dataset these are, in order (known to the simulation, not to a real worker). */
  readonly indices?: readonly number[];
}

export class FederatedDataset {
  readonly #byWorker = new Map<string, WorkerDataset>();

  constructor(datasets: readonly WorkerDataset[]) {
    for (const d of datasets) {
      if (this.#byWorker.has(d.worker.id)) {
        throw new InvalidArgumentError(`FederatedDataset: worker '${d.worker.id}' appears twice; give each worker one dataset.`);
      }
      this.#byWorker.set(d.worker.id, d);
    }
  }

  /** The workers that hold data, in the order given. */
  get workers(): Location[] {
    return [...this.#byWorker.values()].map((d) => d.worker);
  }

  /** Every worker's share, in the order given. */
  get datasets(): WorkerDataset[] {
    return [...this.#byWorker.values()];
  }

  /** Samples over all workers. */
  get length(): number {
    let n = 0;
    for (const d of this.#byWorker.values()) n += d.length;
    return n;
  }

  /** The share of one worker (fed_dataset["bob"]). */
  get(workerId: string): WorkerDataset {
    const d = this.#byWorker.get(workerId);
    if (d === undefined) {
      throw new InvalidArgumentError(`FederatedDataset: no data at '${workerId}'; the workers are ${this.workers.map((w) => w.id).join(', ')}.`);
    }
    return d;
  }

  /** Deletes every worker's data. */
  dispose(): void {
    for (const d of this.#byWorker.values()) {
      d.data.dispose();
      d.targets.dispose();
    }
    this.#byWorker.clear();
  }
}
