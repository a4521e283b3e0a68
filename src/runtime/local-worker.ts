/**
 * The local worker, 'me' (PySyft's `hook.local_worker`): it owns every pointer
 * the program creates and knows which are still alive. It holds them weakly, so
 * knowing about a pointer never keeps it from being collected.
 */
import type { PointerOwner, PointerTensor } from '../pointers/pointer-tensor.js';
import { IdGenerator } from '../pointers/ids.js';
import type { ObjectSummary } from '../transport/protocol.js';

export class LocalWorker implements PointerOwner {
  readonly id = 'me';
  readonly #ids = new IdGenerator();
  readonly #pointers = new Map<number, WeakRef<PointerTensor>>();

  nextId(): number {
    return this.#ids.next();
  }

  register(pointer: PointerTensor): void {
    this.#pointers.set(pointer.id, new WeakRef(pointer));
  }

  forget(pointerId: number): void {
    this.#pointers.delete(pointerId);
  }

  /** Pointers not yet disposed, fetched or collected. */
  livePointers(): PointerTensor[] {
    const live: PointerTensor[] = [];
    for (const ref of this.#pointers.values()) {
      const p = ref.deref();
      if (p !== undefined && !p.isDisposed) live.push(p);
    }
    return live;
  }

  /** The local worker's objects: one pointer entry per live pointer. */
  async objects(): Promise<Map<number, ObjectSummary>> {
    return new Map(this.livePointers().map((p) => [p.id, p.summary()]));
  }

  toString(): string {
    return `<LocalWorker id:${this.id}>`;
  }
}
