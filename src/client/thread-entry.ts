/**
 * Where an actor thread starts. From the built package this module is
 * dist/src/runtime/thread-entry.js and the entry is dist/workers/actor-host.js.
 * From TypeScript sources (vitest, tsx) a worker thread cannot load a .ts entry
 * by itself, so it starts a small .mjs bootstrap that registers tsx first.
 */
export interface ThreadEntry {
  readonly filename: URL;
  readonly workerData: Record<string, unknown>;
}

export function threadEntry(): ThreadEntry {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return {
      filename: new URL('../../workers/ts-bootstrap.mjs', here),
      workerData: { syftEntry: new URL('../../workers/actor-host.ts', here).href },
    };
  }
  return { filename: new URL('../../workers/actor-host.js', here), workerData: {} };
}
