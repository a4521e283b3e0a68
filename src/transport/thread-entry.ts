/**
 * Where a thread of ours starts: an actor host, or a job of the dealer's pool.
 * From the built package this module is dist/src/transport/thread-entry.js and
 * the entries are dist/workers/<name>.js. From TypeScript sources (vitest, tsx)
 * a worker thread cannot load a .ts entry by itself, so it starts a small .mjs
 * bootstrap that registers tsx first.
 */
import { fileURLToPath } from 'node:url';

export interface ThreadEntry {
  readonly filename: URL;
  readonly workerData: Record<string, unknown>;
}

export type EntryName = 'actor-host' | 'dealer-job';

export function threadEntry(name: EntryName): ThreadEntry {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return {
      filename: new URL('../../workers/ts-bootstrap.mjs', here),
      workerData: { syftEntry: new URL(`../../workers/${name}.ts`, here).href },
    };
  }
  return { filename: new URL(`../../workers/${name}.js`, here), workerData: {} };
}

/**
 * How to start the worker program (`syft-ts worker`) as a child process: the
 * built dist/workers/cli.js, or from TypeScript sources workers/cli.ts under
 * tsx's loader.
 */
export function processEntry(): { readonly args: readonly string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { args: ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../workers/cli.ts', here))] };
  }
  return { args: [fileURLToPath(new URL('../../workers/cli.js', here))] };
}
