/**
 * The local worker, 'me' (PySyft's `hook.local_worker`): it owns every pointer
 * the program creates and knows which are still alive. It keeps each pointer's
 * record, never the pointer, so knowing about a pointer does not keep it from
 * being collected.
 */
import type { HandleOwner, HandleRecord } from '../core/handles.js';
import { IdGenerator } from '../core/ids.js';
import type { ObjectSummary, PointerSummary } from '../core/protocol.js';

export class LocalWorker implements HandleOwner {
  readonly id = 'me';
  readonly #ids = new IdGenerator();
  readonly #pointers = new Map<number, HandleRecord>();

  nextId(): number {
    return this.#ids.next();
  }

  register(record: HandleRecord): void {
    this.#pointers.set(record.handleId, record);
  }

  forget(handleId: number): void {
    this.#pointers.delete(handleId);
  }

  /** Pointers not yet disposed, fetched or collected. */
  livePointers(): PointerSummary[] {
    return [...this.#pointers.values()].map((r) => ({
      id: r.handleId,
      kind: 'pointer',
      location: r.location.id,
      idAtLocation: r.idAtLocation,
    }));
  }

  /** The local worker's objects: one pointer entry per live pointer. */
  async objects(): Promise<Map<number, ObjectSummary>> {
    return new Map(this.livePointers().map((p) => [p.id, p]));
  }

  toString(): string {
    return `<LocalWorker id:${this.id}>`;
  }
}
