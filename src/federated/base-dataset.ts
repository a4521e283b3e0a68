/**
 * A dataset: features and targets, row i of each being sample i (PySyft's
 * sy.BaseDataset). Either both are local tensors, or both are pointers to
 * tensors at one worker: `dataset.send(bob)` gives the second kind, `await
 * remote.get()` the first again, and `new BaseDataset(xPtr, yPtr)` wraps
 * pointers a data owner already holds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import { PointerTensor, type LocalTensor } from '../pointers/pointer-tensor.js';
import { SyftTensor } from '../tensor/syft-tensor.js';

export interface Sample {
  readonly data: tf.Tensor;
  readonly target: tf.Tensor;
}

/** What a dataset holds: local tensors, or pointers to tensors at one worker. */
export type DatasetTensor = tf.Tensor | PointerTensor<SyftTensor>;
/** What a dataset may be built from (a syft tensor is unwrapped; a pointer to a tf.Tensor acts as any pointer). */
export type DatasetInput<T extends DatasetTensor> = T extends tf.Tensor ? tf.Tensor | SyftTensor : PointerTensor<LocalTensor>;

export interface BaseDatasetOptions {
  readonly indices?: readonly number[];
  readonly id?: number | string;
  readonly description?: string;
  readonly tags?: readonly string[];
}

class Dataset<T extends DatasetTensor = tf.Tensor> {
  #data: T;
  #targets: T;
  /** Set once get() brought the data home: this dataset's pointers are spent. */
  #fetched = false;
  /** Set while the dataset is part of a FederatedDataset, which then owns it. */
  federated = false;
  /** Which samples of the original dataset these are, in order (known to a simulation that split it, not to a real worker). */
  readonly indices: readonly number[] | undefined;
  /** The caller's name for the dataset (PySyft's dataset.id); kept by send() and get(). */
  readonly id: number | string | undefined;
  /** Free text and tags describing the data (PySyft's description and tags); kept by send() and get(). */
  readonly description: string | undefined;
  readonly tags: readonly string[];

  constructor(data: DatasetInput<T> | DatasetTensor, targets: DatasetInput<T> | DatasetTensor, options: BaseDatasetOptions = {}) {
    const [d, t] = [unwrap(data), unwrap(targets)];
    if (d instanceof PointerTensor !== t instanceof PointerTensor) {
      throw new InvalidArgumentError(
        'BaseDataset(data, targets): one is a pointer and the other a local tensor; give two local tensors, or two pointers at the same worker (send the local one there first).',
      );
    }
    if (d instanceof PointerTensor && t instanceof PointerTensor) {
      if (d.location !== t.location) {
        throw new InvalidArgumentError(
          `BaseDataset(data, targets): the data is at '${d.location.id}' and the targets at '${t.location.id}'; both must be at one worker (move one: targets.move(${d.location.id})).`,
        );
      }
    }
    const ds = shapeOf(d);
    const ts = shapeOf(t);
    if ((ds !== undefined && ds.length === 0) || (ts !== undefined && ts.length === 0) || (ds !== undefined && ts !== undefined && ds[0] !== ts[0])) {
      throw new InvalidArgumentError(
        `BaseDataset(data, targets): both need a first (sample) axis of the same length; got data [${ds}] and targets [${ts}].`,
      );
    }
    this.#data = d as T;
    this.#targets = t as T;
    this.indices = options.indices;
    this.id = options.id;
    this.description = options.description;
    this.tags = [...(options.tags ?? [])];
  }

  /** The features (a local tensor, or a pointer at `location`). */
  get data(): T {
    this.#assertLive('data');
    return this.#data;
  }

  /** The targets (a local tensor, or a pointer at `location`). */
  get targets(): T {
    this.#assertLive('targets');
    return this.#targets;
  }

  /** True when the data is at a worker (the dataset holds pointers). */
  get isRemote(): boolean {
    return this.#data instanceof PointerTensor;
  }

  /** The worker that holds the data (PySyft's dataset.location); 'me' is not a location: a local dataset throws. */
  get location(): Location {
    const d = this.data;
    if (!(d instanceof PointerTensor)) {
      throw new InvalidArgumentError('dataset.location: this dataset is local (it has no location); send(worker) gives a dataset at a worker.');
    }
    return d.location;
  }

  /** Samples (PySyft's len(dataset)); for pointers, known here from their shapes (see ready() when not). */
  get length(): number {
    const shape = this.shape;
    if (shape === undefined) {
      throw new InvalidArgumentError(
        `dataset.length: the shape of the data at '${this.location.id}' is not known here; \`await dataset.ready()\` asks the worker once.`,
      );
    }
    return shape[0]!;
  }

  /** The data's shape (for pointers, as known at the caller; undefined when not known: see ready()). */
  get shape(): number[] | undefined {
    const shape = shapeOf(this.data);
    return shape === undefined ? undefined : [...shape];
  }

  /** Asks the worker for the shapes the caller does not know yet (pointers made where no shape could be inferred). */
  async ready(): Promise<this> {
    const [d, t] = [this.data, this.targets];
    // Both known: the constructor compared them already.
    if (shapeOf(d) !== undefined && shapeOf(t) !== undefined) return this;
    if (d instanceof PointerTensor && t instanceof PointerTensor) {
      // The pointers remember what they learn.
      const [ds, ts] = await Promise.all([d.shapeAsync(), t.shapeAsync()]);
      if (ds.length === 0 || ts.length === 0 || ds[0] !== ts[0]) {
        throw new InvalidArgumentError(
          `BaseDataset at '${d.location.id}': both need a first (sample) axis of the same length; got data [${ds}] and targets [${ts}].`,
        );
      }
    }
    return this;
  }

  /** Sample i (new tensors the caller disposes); local datasets only (PySyft's dataset[i]). */
  at(i: number): Sample {
    const [d, t] = [this.data, this.targets];
    if (d instanceof PointerTensor || t instanceof PointerTensor) {
      throw new InvalidArgumentError(
        `dataset.at(${i}): the samples are at '${this.location.id}'; \`await dataset.get()\` brings them home, or read them in batches with a FederatedDataLoader.`,
      );
    }
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
      throw new InvalidArgumentError(`at(${i}): this dataset has samples 0 to ${this.length - 1}.`);
    }
    return tf.tidy(() => ({ data: tf.squeeze(rowsOf(d, [i]), [0]), target: tf.squeeze(rowsOf(t, [i]), [0]) }));
  }

  /** Every sample in order (PySyft's `for x, y in dataset`); local datasets only, each sample's tensors the caller disposes. */
  *[Symbol.iterator](): Iterator<Sample> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /**
   * Replaces the data by fn(data) (PySyft's dataset.transform(fn); the
   * targets stay). On a local dataset fn runs here, on the tensor. On a
   * dataset at a worker fn receives the pointer and runs here too, but all it
   * can do with it is call ops of the registry, and those run at the worker:
   * the data never comes here. It must return a pointer at the same worker.
   * The previous data is not disposed: the caller may still hold it.
   */
  transform(fn: (data: T) => T | SyftTensor | PointerTensor<LocalTensor>): this {
    const before = this.data;
    // Read before fn runs: fn may move the pointer it was given (move() rebinds it in place).
    const where = before instanceof PointerTensor ? before.location : undefined;
    const after = unwrap(fn(before));
    if (where !== undefined) {
      if (!(after instanceof PointerTensor) || after.location !== where) {
        throw new InvalidArgumentError(
          `dataset.transform(fn): the data is at '${where.id}', so fn must return a pointer there (call the pointer's ops, e.g. x => x.mul(2)); it returned ${describe(after)}.`,
        );
      }
    } else if (!(after instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`dataset.transform(fn): this dataset is local, so fn must return a local tensor; it returned ${describe(after)}.`);
    }
    const shape = shapeOf(after);
    const rows = shapeOf(this.targets)?.[0];
    if (shape !== undefined && rows !== undefined && (shape.length === 0 || shape[0] !== rows)) {
      throw new InvalidArgumentError(
        `dataset.transform(fn): fn returned data of shape [${shape}], which no longer has one row per target (${rows} targets).`,
      );
    }
    this.#data = after as T;
    return this;
  }

  /**
   * A dataset at `worker` holding copies of this one's data and targets
   * (PySyft's dataset.send(bob)); this dataset stays as it was. A dataset
   * at a worker is sent on from there (worker to worker).
   */
  send(worker: Location): BaseDataset<PointerTensor<SyftTensor>> {
    const [d, t] = [this.data, this.targets];
    if (d instanceof PointerTensor && t instanceof PointerTensor) {
      if (this.federated) throw partOfFederated('send', d.location.id);
      const moved = new BaseDataset<PointerTensor<SyftTensor>>(d.move(worker) as PointerTensor<SyftTensor>, t.move(worker) as PointerTensor<SyftTensor>, this.#indicesOption());
      this.#fetched = true;
      return moved;
    }
    const data = new SyftTensor((d as tf.Tensor).clone());
    const targets = new SyftTensor((t as tf.Tensor).clone());
    try {
      return new BaseDataset<PointerTensor<SyftTensor>>(data.send(worker), targets.send(worker), this.#indicesOption());
    } finally {
      // send() copied the values out; the clones were only its input.
      data.dispose();
      targets.dispose();
    }
  }

  /**
   * Brings the data and targets home (PySyft's dataset.get()); the worker no
   * longer holds them and this dataset's pointers are spent. A dataset that
   * is part of a FederatedDataset is refused: use fd.getDataset(id).
   */
  async get(): Promise<BaseDataset<tf.Tensor>> {
    const [d, t] = [this.data, this.targets];
    if (!(d instanceof PointerTensor && t instanceof PointerTensor)) return this as unknown as BaseDataset<tf.Tensor>;
    if (this.federated) throw partOfFederated('get', d.location.id);
    const [data, targets] = await Promise.all([d.get(), t.get()]);
    this.#fetched = true;
    return new BaseDataset<tf.Tensor>(asTf(data), asTf(targets), this.#indicesOption());
  }

  /** Releases the data: deletes it at its worker, or disposes the local tensors. */
  dispose(): void {
    if (this.#fetched) return;
    for (const x of [this.#data, this.#targets]) if (!x.isDisposed) x.dispose();
    this.#fetched = true;
  }

  /**
   * The class of every sample: the argmax of one-hot targets ([n, classes]),
   * otherwise the rounded value ([n] or [n, 1]). Used by label partitions; local datasets only.
   */
  labels(): Int32Array {
    const t = this.targets;
    if (t instanceof PointerTensor) throw new InvalidArgumentError(`dataset.labels(): the targets are at '${t.location.id}'; labels are read from a local dataset.`);
    const values = t.dataSync();
    const width = t.size / this.length;
    const out = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      if (width === 1) out[i] = Math.round(values[i]!);
      else {
        let best = 0;
        for (let c = 1; c < width; c++) if (values[i * width + c]! > values[i * width + best]!) best = c;
        out[i] = best;
      }
    }
    return out;
  }

  toString(): string {
    if (this.#fetched) return 'BaseDataset (spent: brought home or sent on)';
    const where = this.isRemote ? ` at ${this.location.id}` : '';
    return `BaseDataset${where}\n\tData: [${this.shape ?? '?'}]\n\tTargets: [${shapeOf(this.targets) ?? '?'}]`;
  }

  /** What a dataset made from this one (sent, fetched) keeps. */
  #indicesOption(): BaseDatasetOptions {
    return {
      ...(this.indices === undefined ? {} : { indices: this.indices }),
      ...(this.id === undefined ? {} : { id: this.id }),
      ...(this.description === undefined ? {} : { description: this.description }),
      tags: this.tags,
    };
  }

  #assertLive(what: string): void {
    if (this.#fetched) {
      throw new InvalidArgumentError(
        `dataset.${what}: this dataset was brought home with get() or sent on with send(); use the dataset that call returned.`,
      );
    }
  }
}

/**
 * `new BaseDataset(x, y)` is typed by what it is given: local tensors give a
 * local dataset, pointers a dataset at their worker (whose pointers act as
 * pointers to syft tensors, whatever kind was sent).
 */
export interface BaseDatasetConstructor {
  new (data: tf.Tensor | SyftTensor, targets: tf.Tensor | SyftTensor, options?: BaseDatasetOptions): Dataset<tf.Tensor>;
  new (data: PointerTensor<LocalTensor>, targets: PointerTensor<LocalTensor>, options?: BaseDatasetOptions): Dataset<PointerTensor<SyftTensor>>;
  new <T extends DatasetTensor>(data: DatasetInput<T>, targets: DatasetInput<T>, options?: BaseDatasetOptions): Dataset<T>;
  readonly prototype: Dataset<DatasetTensor>;
}
export const BaseDataset = Dataset as unknown as BaseDatasetConstructor;
export type BaseDataset<T extends DatasetTensor = tf.Tensor> = Dataset<T>;

function unwrap(x: unknown): tf.Tensor | PointerTensor<SyftTensor> {
  if (x instanceof SyftTensor) return x.tensor;
  if (x instanceof tf.Tensor) return x;
  if (x instanceof PointerTensor) return x as PointerTensor<SyftTensor>;
  throw new InvalidArgumentError(`BaseDataset: expected a tensor or a pointer to one, got ${describe(x)}.`);
}

function asTf(x: unknown): tf.Tensor {
  return x instanceof SyftTensor ? x.tensor : (x as tf.Tensor);
}

function shapeOf(x: tf.Tensor | PointerTensor<SyftTensor>): number[] | undefined {
  return x instanceof PointerTensor ? x.shape : x.shape;
}

function describe(x: unknown): string {
  if (x instanceof PointerTensor) return `a pointer at '${x.location.id}'`;
  if (x instanceof tf.Tensor) return 'a local tensor';
  return x === null ? 'null' : typeof x;
}

function partOfFederated(verb: string, worker: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `dataset.${verb}(): this dataset at '${worker}' is part of a FederatedDataset, which owns it; use fd.getDataset('${worker}') to take it out (and home).`,
  );
}

/**
 * The given rows of a tensor, copied from its typed array: slice() and
 * gather() on the wasm backend copy the whole source tensor on every call.
 */
export function rowsOf(t: tf.Tensor, rows: readonly number[]): tf.Tensor {
  const values = t.dataSync();
  const width = t.shape[0] === 0 ? 0 : t.size / t.shape[0]!;
  const out = new (values.constructor as new (n: number) => typeof values)(rows.length * width);
  rows.forEach((row, i) => (out as Float32Array).set((values as Float32Array).subarray(row * width, (row + 1) * width), i * width));
  return tf.tensor(out as Float32Array, [rows.length, ...t.shape.slice(1)], t.dtype);
}
