/**
 * A pointer owns its remote object. When the program loses the last reference
 * to a pointer without disposing it, the FinalizationRegistry asks the worker to
 * delete the object (comlink releases its proxies the same way). The held value
 * must not reference the pointer, or the pointer could never be collected.
 */
export interface CollectTarget {
  collect(idAtLocation: number, pointerId: number): void;
}

/**
 * What is known of a pointer without the pointer itself. One record per pointer
 * serves both as the FinalizationRegistry's held value and as the local
 * worker's entry for it, so creating a pointer allocates it once.
 */
export interface PointerRecord {
  readonly pointerId: number;
  readonly location: CollectTarget & { readonly id: string };
  readonly idAtLocation: number;
}

const registry = new FinalizationRegistry<PointerRecord>((r) => r.location.collect(r.idAtLocation, r.pointerId));

export function watchForCollection(pointer: object, held: PointerRecord): void {
  registry.register(pointer, held, pointer);
}

/** Called when the object is released explicitly (dispose, get): nothing is left to collect. */
export function stopWatching(pointer: object): void {
  registry.unregister(pointer);
}
