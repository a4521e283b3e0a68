/**
 * One actor's objects. Each virtual worker owns exactly one store; no store is
 * ever shared between actors, even when they share a thread.
 *
 * Besides tensors, the store remembers the ids of results whose op failed: with
 * pipelining the caller already holds a pointer to such a result, and whatever
 * reads it later must fail with the original cause, not "object not found".
 */
import type * as tf from '@tensorflow/tfjs-core';
import { SyftError } from '../errors.js';
import type { TensorSummary } from '../transport/protocol.js';

/** Why an id has no object: the op that should have produced it failed. */
export interface StoredFailure {
  readonly op: string;
  readonly message: string;
  readonly code: string | undefined;
}

/** Raised when an input of a command is a failed result; carries the root cause along. */
export class FailedInputError extends SyftError {
  readonly failure: StoredFailure;
  constructor(id: number, failure: StoredFailure) {
    super('REMOTE_ERROR', `input ${id} is the result of '${failure.op}', which failed: ${failure.message}`);
    this.failure = failure;
  }
}

const PREVIEW_VALUES = 6;

export class ObjectStore {
  readonly #tensors = new Map<number, tf.Tensor>();
  readonly #failures = new Map<number, StoredFailure>();

  constructor(private readonly owner: string) {}

  get size(): number {
    return this.#tensors.size;
  }

  has(id: number): boolean {
    return this.#tensors.has(id);
  }

  /** Stores a tensor; an id already in use is a caller bug and is refused. */
  set(id: number, tensor: tf.Tensor): void {
    if (this.#tensors.has(id)) {
      throw new SyftError('INVALID_ARGUMENT', `worker '${this.owner}' already holds an object with id ${id}`);
    }
    this.#failures.delete(id);
    this.#tensors.set(id, tensor);
  }

  get(id: number): tf.Tensor {
    const t = this.#tensors.get(id);
    if (t !== undefined) return t;
    const failure = this.#failures.get(id);
    if (failure !== undefined) throw new FailedInputError(id, failure);
    throw new SyftError(
      'OBJECT_NOT_FOUND',
      `worker '${this.owner}' holds no object with id ${id}: it was deleted, fetched, or never stored`,
    );
  }

  /** Removes an object without disposing it (it is leaving the worker). */
  take(id: number): tf.Tensor {
    const t = this.get(id);
    this.#tensors.delete(id);
    return t;
  }

  fail(ids: readonly number[], failure: StoredFailure): void {
    for (const id of ids) this.#failures.set(id, failure);
  }

  /** Deletes and disposes; returns the ids that held an object. */
  delete(ids: readonly number[]): number[] {
    const deleted: number[] = [];
    for (const id of ids) {
      const t = this.#tensors.get(id);
      if (t !== undefined) {
        t.dispose();
        this.#tensors.delete(id);
        deleted.push(id);
      }
      this.#failures.delete(id);
    }
    return deleted;
  }

  clear(): number[] {
    const ids = [...this.#tensors.keys()];
    this.delete(ids);
    this.#failures.clear();
    return ids;
  }

  summaries(): TensorSummary[] {
    return [...this.#tensors].map(([id, t]) => ({
      id,
      kind: 'tensor' as const,
      shape: t.shape.slice(),
      dtype: t.dtype,
      preview: previewOf(t),
    }));
  }
}

function previewOf(t: tf.Tensor): string {
  const values = t.dataSync();
  const head = Array.from(values.subarray(0, PREVIEW_VALUES), (v) => (t.dtype === 'bool' ? String(v !== 0) : String(v)));
  return `[${head.join(', ')}${values.length > PREVIEW_VALUES ? ', …' : ''}]`;
}
