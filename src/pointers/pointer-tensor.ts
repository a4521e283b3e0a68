/**
 * A pointer to a tensor held by a virtual worker (PySyft's PointerTensor).
 *
 * The pointer owns the remote object: dispose(), leaving a tidy scope, get(), or
 * becoming unreachable releases it. Op methods (one per registry entry) are
 * installed on the prototype by src/tensor/op-methods.ts and return new pointers
 * at once; the work is pipelined to the worker.
 *
 * All state is in #private fields: tf.tidy walks the enumerable fields of what a
 * scope returns, and must not wander from a pointer into the whole runtime.
 */
import { inspect } from 'node:util';
import type * as tf from '@tensorflow/tfjs-core';
import { PointerDisposedError } from '../errors.js';
import type { OpMethods } from '../tensor/op-methods-type.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { type PointerRecord, stopWatching, watchForCollection } from './collection.js';
import { trackInScope } from './tidy.js';

/** What get() returns: the kind of tensor that was sent. */
export type LocalTensor = tf.Tensor | SyftTensor;
export type TensorKind = 'tf' | 'syft';

/** The parts of a virtual worker a pointer talks to. */
export interface PointerLocation {
  readonly id: string;
  readonly owner: PointerOwner;
  collect(idAtLocation: number, pointerId: number): void;
  release(idAtLocation: number): void;
  fetch(idAtLocation: number, kind: TensorKind): Promise<LocalTensor>;
  toString(): string;
}

/** The local worker ('me'): it names pointers and tracks the live ones. */
export interface PointerOwner {
  readonly id: string;
  nextId(): number;
  register(record: PointerRecord): void;
  forget(pointerId: number): void;
}

type State = 'live' | 'disposed' | 'fetched';

export interface PointerTensor<L extends LocalTensor = LocalTensor> extends OpMethods<PointerTensor<L>> {}

// The interface above merges the registry's op methods into the class type.
export class PointerTensor<L extends LocalTensor = LocalTensor> {
  readonly #id: number;
  readonly #idAtLocation: number;
  readonly #location: PointerLocation;
  readonly #kind: TensorKind;
  #state: State = 'live';

  /** @internal Pointers are made by send() and by ops, never by users. */
  constructor(location: PointerLocation, idAtLocation: number, kind: TensorKind) {
    this.#location = location;
    this.#idAtLocation = idAtLocation;
    this.#kind = kind;
    this.#id = location.owner.nextId();
    const record: PointerRecord = { pointerId: this.#id, location, idAtLocation };
    location.owner.register(record);
    watchForCollection(this, record);
    trackInScope(this);
  }

  /** This pointer's own id at the local worker. */
  get id(): number {
    return this.#id;
  }

  /** The id of the object at the worker. */
  get idAtLocation(): number {
    return this.#idAtLocation;
  }

  /** The virtual worker that holds the object. */
  get location(): PointerLocation {
    return this.#location;
  }

  /** The worker that owns this pointer: the local worker, 'me'. */
  get owner(): PointerOwner {
    return this.#location.owner;
  }

  get isDisposed(): boolean {
    return this.#state !== 'live';
  }

  /** @internal Whether get() gives back a tf.Tensor or a SyftTensor. */
  get kind(): TensorKind {
    return this.#kind;
  }

  /** Throws at once if the pointer can no longer be used. */
  assertLive(): void {
    if (this.#state !== 'live') throw new PointerDisposedError(String(this), this.#state);
  }

  /**
   * Brings the object home; the worker no longer holds it and this pointer is
   * spent. Rejects with RemoteError if the op that made it failed.
   */
  get(): Promise<L> {
    this.assertLive();
    this.#retire('fetched');
    return this.#location.fetch(this.#idAtLocation, this.#kind) as Promise<L>;
  }

  /** Deletes the remote object. Disposing twice is harmless. */
  dispose(): void {
    if (this.#state !== 'live') return;
    this.#retire('disposed');
    this.#location.release(this.#idAtLocation);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `(Wrapper)>[PointerTensor | ${this.owner.id}:${this.#id} -> ${this.#location.id}:${this.#idAtLocation}]`;
  }

  [inspect.custom](): string {
    return this.toString() + (this.#state === 'live' ? '' : ` (${this.#state})`);
  }

  #retire(state: Exclude<State, 'live'>): void {
    this.#state = state;
    stopWatching(this);
    this.owner.forget(this.#id);
  }
}
