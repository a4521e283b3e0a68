/**
 * A pointer owns its remote object. When the program loses the last reference
 * to a pointer without disposing it, the FinalizationRegistry asks the worker to
 * delete the object (comlink releases its proxies the same way). The held value
 * must not reference the pointer, or the pointer could never be collected.
 */
export interface CollectTarget {
  collect(idAtLocation: number, pointerId: number): void;
}

interface Held {
  readonly target: CollectTarget;
  readonly idAtLocation: number;
  readonly pointerId: number;
}

const registry = new FinalizationRegistry<Held>((held) => held.target.collect(held.idAtLocation, held.pointerId));

export function watchForCollection(pointer: object, held: Held): void {
  registry.register(pointer, held, pointer);
}

/** Called when the object is released explicitly (dispose, get): nothing is left to collect. */
export function stopWatching(pointer: object): void {
  registry.unregister(pointer);
}
