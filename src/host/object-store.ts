/**
 * One actor's objects. Each virtual worker owns exactly one store; no store is
 * ever shared between actors, even when they share a thread.
 *
 * An entry is a tensor, a chain link (a pointer to an object at another
 * worker, as alice holds after `x.send(bob).send(alice)`), or a ring tensor
 * over Z_2^64 (a secret share, see src/smpc). Two more kinds of
 * id are remembered:
 * - failed: the op that should have produced it failed. With pipelining the
 *   caller already holds a pointer to it, and whatever reads it later must fail
 *   with the original cause, not "object not found".
 * - pending: it is on its way from another worker. Readers wait for it, but
 *   never forever: the entry names the workers it may come from, and fails
 *   with WORKER_CRASHED when one of them dies (failFrom), or with
 *   WORKER_TIMEOUT when the deadline passes first.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { SyftError } from '../core/errors.js';
import type { RingTensor } from '../core/ring/ring.js';
import type { ActorAddress, ObjectSummary, StoredFailure } from '../core/protocol.js';

export type Entry =
  | { readonly kind: 'tensor'; readonly tensor: tf.Tensor }
  /** Never changed in place, and never shared by two ids (its buffer may be transferred). */
  | { readonly kind: 'ring'; readonly ring: RingTensor }
  | { readonly kind: 'pointer'; readonly location: ActorAddress; readonly idAtLocation: number };

/** Raised when an input of a command is a failed result; carries the root cause along. */
export class FailedInputError extends SyftError {
  readonly failure: StoredFailure;
  constructor(id: number, failure: StoredFailure) {
    super('REMOTE_ERROR', `input ${id} is the result of '${failure.op}', which failed: ${failure.message}`);
    this.failure = failure;
  }
}

interface Pending {
  readonly arrived: Promise<void>;
  readonly resolve: () => void;
  /** The workers that may deliver it. */
  readonly from: readonly ActorAddress[];
  readonly deadline: ReturnType<typeof setTimeout>;
}

export interface StoreOptions {
  /** How long a pending object may take to arrive before readers fail (ms). */
  readonly waitTimeoutMs: () => number;
  /** Pending ids that failed without arriving (a sender died, the deadline passed). */
  readonly onGiveUp?: (ids: readonly number[]) => void;
}

const PREVIEW_VALUES = 6;

export class ObjectStore {
  readonly #entries = new Map<number, Entry>();
  readonly #failures = new Map<number, StoredFailure>();
  readonly #pending = new Map<number, Pending>();
  /** Objects referenced only by chain links at another thread: they go when it dies. */
  readonly #linkedFrom = new Map<number, string>();

  constructor(
    private readonly owner: string,
    private readonly options: StoreOptions,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Stores an entry; an id already in use is a caller bug and is refused. */
  set(id: number, entry: Entry): void {
    if (this.#entries.has(id)) {
      throw new SyftError('INVALID_ARGUMENT', `worker '${this.owner}' already holds an object with id ${id}`);
    }
    this.#failures.delete(id);
    this.#entries.set(id, entry);
    this.#arrive(id);
  }

  setTensor(id: number, tensor: tf.Tensor): void {
    // Every reader (get(), objects(), moves) handles these three; a string or complex tensor would break them all.
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32' && tensor.dtype !== 'bool') {
      tensor.dispose();
      throw new SyftError('UNSUPPORTED_DTYPE', `worker '${this.owner}' keeps float32, int32 and bool tensors only, not ${tensor.dtype}`);
    }
    this.set(id, { kind: 'tensor', tensor });
  }

  /** The entry under `id`; throws the stored failure or "not found". Never call it for a pending id. */
  get(id: number): Entry {
    const entry = this.#entries.get(id);
    if (entry !== undefined) return entry;
    const failure = this.#failures.get(id);
    if (failure !== undefined) throw new FailedInputError(id, failure);
    throw new SyftError(
      'OBJECT_NOT_FOUND',
      `worker '${this.owner}' holds no object with id ${id}: it was deleted, fetched, or never stored`,
    );
  }

  /** The tensor under `id`; a chain link here is a caller bug (ops on links are forwarded). */
  tensor(id: number): tf.Tensor {
    const entry = this.get(id);
    if (entry.kind !== 'tensor') {
      throw new SyftError('INVALID_ARGUMENT', `object ${id} at '${this.owner}' is ${describe(entry)}, not a tensor`);
    }
    return entry.tensor;
  }

  /** The ring tensor (secret share) under `id`. */
  ring(id: number): RingTensor {
    const entry = this.get(id);
    if (entry.kind !== 'ring') {
      throw new SyftError('INVALID_ARGUMENT', `object ${id} at '${this.owner}' is ${describe(entry)}, not a share (ring tensor)`);
    }
    return entry.ring;
  }

  /** Removes an entry without disposing it (it is leaving the worker). */
  take(id: number): Entry {
    const entry = this.get(id);
    this.#entries.delete(id);
    this.#linkedFrom.delete(id);
    return entry;
  }

  /** `id` is referenced by a chain link at `thread` (and by nothing else). */
  linkFrom(id: number, thread: string): void {
    if (this.#entries.has(id) || this.#failures.has(id)) this.#linkedFrom.set(id, thread);
  }

  /** The client refers to `id` directly now. */
  unlink(id: number): void {
    this.#linkedFrom.delete(id);
  }

  /** Objects (and failures) referenced only from links at `thread`. */
  linkedFrom(thread: string): number[] {
    return [...this.#linkedFrom].filter(([, t]) => t === thread).map(([id]) => id);
  }

  fail(ids: readonly number[], failure: StoredFailure): void {
    for (const id of ids) {
      this.#failures.set(id, failure);
      this.#arrive(id);
    }
  }

  failureOf(id: number): StoredFailure | undefined {
    return this.#failures.get(id);
  }

  /** Marks `id` as on its way from one of `from`, unless it already arrived. */
  expect(id: number, from: readonly ActorAddress[]): void {
    if (this.#entries.has(id) || this.#failures.has(id) || this.#pending.has(id)) return;
    let resolve!: () => void;
    const arrived = new Promise<void>((r) => (resolve = r));
    const ms = this.options.waitTimeoutMs();
    const deadline = setTimeout(() => {
      const senders = from.map((a) => `'${a.actor}'`).join(' or ');
      this.#giveUp([id], {
        op: 'receive',
        message: `object ${id} did not arrive at '${this.owner}' from ${senders} within ${ms} ms (the wait timeout: sy.hook(tf, { waitTimeoutMs }))`,
        code: 'WORKER_TIMEOUT',
      });
    }, ms);
    // A pending object must not keep a finished thread alive.
    deadline.unref();
    this.#pending.set(id, { arrived, resolve, from, deadline });
  }

  /** Fails every pending object that may come from a worker of `thread` (it died); returns their ids. */
  failFrom(thread: string, failure: (from: ActorAddress) => StoredFailure): number[] {
    const failed: number[] = [];
    for (const [id, pending] of this.#pending) {
      const dead = pending.from.find((a) => a.thread === thread);
      if (dead === undefined) continue;
      failed.push(id);
      this.#giveUp([id], failure(dead));
    }
    return failed;
  }

  /** Objects announced and not yet arrived (a leak check: 0 when idle). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Whether any object is on its way (lets the common case skip all waiting checks). */
  get hasPending(): boolean {
    return this.#pending.size > 0;
  }

  /** Resolves when `id` arrived (or failed); undefined when it is not pending. */
  whenArrived(id: number): Promise<void> | undefined {
    return this.#pending.get(id)?.arrived;
  }

  /**
   * Removes entries and returns them, chain links included. Tensors are not
   * disposed here: the actor decides (an autograd graph may still need one).
   */
  delete(ids: readonly number[]): Array<readonly [number, Entry]> {
    const deleted: Array<readonly [number, Entry]> = [];
    for (const id of ids) {
      const entry = this.#entries.get(id);
      if (entry !== undefined) {
        this.#entries.delete(id);
        deleted.push([id, entry]);
      }
      this.#failures.delete(id);
      this.#linkedFrom.delete(id);
    }
    return deleted;
  }

  /** Swaps the tensor under `id` (an in-place update); the caller disposes the old one. */
  replaceTensor(id: number, tensor: tf.Tensor): void {
    this.tensor(id);
    this.#entries.set(id, { kind: 'tensor', tensor });
  }

  clear(): Array<readonly [number, Entry]> {
    const removed = this.delete([...this.#entries.keys()]);
    this.#failures.clear();
    return removed;
  }

  summaries(): ObjectSummary[] {
    return [...this.#entries].map(([id, e]): ObjectSummary => {
      switch (e.kind) {
        case 'tensor':
          return { id, kind: 'tensor', shape: e.tensor.shape.slice(), dtype: e.tensor.dtype, preview: previewOf(e.tensor) };
        case 'ring':
          return { id, kind: 'ring', shape: [...e.ring.shape], preview: previewValues(Array.from(e.ring.values.subarray(0, PREVIEW_VALUES), String), e.ring.values.length) };
        case 'pointer':
          return { id, kind: 'pointer', location: e.location.actor, idAtLocation: e.idAtLocation };
      }
    });
  }

  #giveUp(ids: readonly number[], failure: StoredFailure): void {
    this.fail(ids, failure);
    this.options.onGiveUp?.(ids);
  }

  #arrive(id: number): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.deadline);
    pending.resolve();
  }
}

function previewOf(t: tf.Tensor): string {
  const values = t.dataSync();
  return previewValues(Array.from(values.subarray(0, PREVIEW_VALUES), (v) => (t.dtype === 'bool' ? String(v !== 0) : String(v))), values.length);
}

function previewValues(head: readonly string[], size: number): string {
  return `[${head.join(', ')}${size > PREVIEW_VALUES ? ', …' : ''}]`;
}

function describe(entry: Entry): string {
  return entry.kind === 'pointer' ? 'a pointer' : entry.kind === 'ring' ? 'a share (ring tensor)' : 'a tensor';
}
