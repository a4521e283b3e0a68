/**
 * The one lifecycle of every remote handle: pointers, shared tensors (one
 * object per party) and the module parameters that are pointers. A handle
 * owns its objects at the workers until it is disposed (`dispose()`, `using`,
 * leaving a `sy.tidy` scope), fetched with get(), handed on with send(), or
 * becomes unreachable, when the FinalizationRegistry asks each worker to
 * delete its object (comlink releases its proxies the same way).
 *
 * The owner ('me') keeps one record per owned object, never the handle, so
 * `hook.localWorker.objects()` and the leak checks see every live handle
 * without keeping any alive. The records are also the registry's held value:
 * they must not reference the handle, or it could never be collected.
 *
 * State lives in #private fields: tf.tidy walks the enumerable fields of what
 * a scope returns, and must not wander from a handle into the whole runtime.
 */
import { PointerDisposedError } from '../core/errors.js';
import type { HandleRecord, Location } from '../core/handles.js';
import { trackInScope } from '../tensor/tidy.js';

export type HandleState = 'live' | 'disposed' | 'fetched' | 'sent';

/** An object a handle owns: where it is, and optionally the handle id to list it under. */
export interface Owned {
  readonly location: Location;
  readonly idAtLocation: number;
  readonly handleId?: number;
}

const collector = new FinalizationRegistry<readonly HandleRecord[]>((records) => {
  for (const r of records) r.location.collect(r.idAtLocation, r.handleId);
});

export abstract class RemoteHandle {
  #state: HandleState = 'live';
  #records: readonly HandleRecord[];

  /** `objects`: what this handle owns; none for a view (a pointer's .grad), which is never tracked. */
  protected constructor(objects: readonly Owned[]) {
    this.#records = this.#own(objects);
    if (objects.length > 0) trackInScope(this);
  }

  get isDisposed(): boolean {
    return this.#state !== 'live';
  }

  protected get state(): HandleState {
    return this.#state;
  }

  /** Throws at once if the handle can no longer be used (a local mistake never waits for a worker). */
  assertLive(what?: string): void {
    // The default label is built only when it is thrown: this check runs on every op.
    if (this.#state !== 'live') throw new PointerDisposedError(what ?? String(this), this.#state);
  }

  /** Deletes the remote objects (down a chain, at every party). Disposing twice is harmless. */
  dispose(): void {
    if (this.#state !== 'live' || this.#records.length === 0) return;
    const records = this.#records;
    this.retire('disposed');
    for (const r of records) r.location.release(r.idAtLocation);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * @internal Ends the handle without deleting what it owned: get() took it,
   * send() handed it on to another owner.
   */
  retire(state: Exclude<HandleState, 'live'>): void {
    this.#state = state;
    this.#forget();
  }

  /**
   * @internal A get() the worker refused (its owner's privacy policy): the
   * object is still there, and this handle owns it again, as before the get().
   */
  protected revive(): void {
    if (this.#state !== 'fetched') return;
    this.#state = 'live';
    this.#records = this.#own(this.#records);
  }

  /** The objects now live elsewhere (move, remoteGet); each keeps its handle id. */
  protected rebind(objects: readonly Owned[]): void {
    const previous = this.#records;
    this.#forget();
    this.#records = this.#own(objects.map((o, i) => ({ ...o, handleId: o.handleId ?? previous[i]?.handleId })));
  }

  #own(objects: readonly Owned[]): readonly HandleRecord[] {
    if (objects.length === 0) return objects as readonly HandleRecord[];
    const records: HandleRecord[] = [];
    for (const o of objects) {
      const record = { handleId: o.handleId ?? o.location.owner.nextId(), location: o.location, idAtLocation: o.idAtLocation };
      record.location.owner.register(record);
      records.push(record);
    }
    collector.register(this, records, this);
    return records;
  }

  #forget(): void {
    collector.unregister(this);
    for (const r of this.#records) r.location.owner.forget(r.handleId);
  }
}
