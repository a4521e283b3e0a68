/**
 * A dataset the model owner holds (or simulates holding): features and
 * targets, row i of each being sample i (PySyft's sy.BaseDataset).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';

export interface Sample {
  readonly data: tf.Tensor;
  readonly target: tf.Tensor;
}

export class BaseDataset {
  constructor(
    readonly data: tf.Tensor,
    readonly targets: tf.Tensor,
  ) {
    if (data.rank === 0 || targets.rank === 0 || data.shape[0] !== targets.shape[0]) {
      throw new InvalidArgumentError(
        `BaseDataset(data, targets): both need a first (sample) axis of the same length; got data [${data.shape}] and targets [${targets.shape}].`,
      );
    }
  }

  get length(): number {
    return this.data.shape[0]!;
  }

  /** Sample i (new tensors the caller disposes). */
  at(i: number): Sample {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
      throw new InvalidArgumentError(`at(${i}): this dataset has samples 0 to ${this.length - 1}.`);
    }
    return tf.tidy(() => ({ data: tf.squeeze(rowsOf(this.data, [i]), [0]), target: tf.squeeze(rowsOf(this.targets, [i]), [0]) }));
  }

  /**
   * The class of every sample: the argmax of one-hot targets ([n, classes]),
   * otherwise the rounded value ([n] or [n, 1]). Used by label partitions.
   */
  labels(): Int32Array {
    const t = this.targets;
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
