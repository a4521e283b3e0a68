/**
 * Picks the tfjs backend: tfjs-node ('tensorflow') when it is installed and
 * loads, else wasm, else cpu. `SYFT_BACKEND=tensorflow|wasm|cpu` forces one.
 *
 * tfjs-node is an optional peer: its install step downloads libtensorflow, which
 * many machines cannot do, so it is imported by a computed name and a missing
 * package is an expected outcome, not an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

const TFJS_NODE: string = '@tensorflow/tfjs-node';

const loaders: Record<BackendName, () => Promise<unknown>> = {
  tensorflow: () => import(TFJS_NODE),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(name);
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type Listener = (...args: unknown[]) => void;
// One signature for both events (Node types each separately).
const listenersOf = (event: string): Listener[] => process.listeners(event as 'warning') as Listener[];

/**
 * Runs `load` and then removes the process-wide error listeners it added.
 *
 * tfjs-backend-wasm's emscripten module installs `uncaughtException` and
 * `unhandledRejection` listeners that rethrow from inside the listener, so any
 * later error in the user's script (or in a worker thread) was printed under
 * the module's 36 KB minified source line and the process exited with 7
 * instead of 1. tfjs means to remove them again, but its filter is wrong
 * (`!before.indexOf(l) > -1` is always false). Only listeners that were not
 * there before are removed: the user's own and the test runner's stay.
 */
async function withoutAddedErrorListeners<T>(load: () => Promise<T>): Promise<T> {
  const before = PROCESS_EVENTS.map((event) => new Set(listenersOf(event)));
  try {
    return await load();
  } finally {
    PROCESS_EVENTS.forEach((event, i) => {
      for (const listener of listenersOf(event)) {
        if (!before[i]!.has(listener)) process.removeListener(event, listener);
      }
    });
  }
}

/** Loads and activates one backend; the reason it failed, or undefined on success. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  return withoutAddedErrorListeners(() => activate(name));
}

async function activate(name: BackendName): Promise<string | undefined> {
  try {
    await loaders[name]();
    // setBackend answers false (it does not throw) when the backend cannot start.
    if (!(await tf.setBackend(name))) return 'its initialization failed';
    await tf.ready();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

/** Activates exactly `name`, or throws BackendUnavailableError. */
export async function useBackend(name: string): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new BackendUnavailableError(name, `unknown backend name; expected one of ${BACKEND_PREFERENCE.join(', ')}`);
  }
  if (tf.getBackend() === name) return name;
  const failure = await tryBackend(name);
  if (failure !== undefined) throw new BackendUnavailableError(name, failure);
  return name;
}

/** The forced backend if SYFT_BACKEND names one, otherwise the best that loads. */
export async function selectBackend(forced: string | undefined = process.env['SYFT_BACKEND']): Promise<BackendName> {
  if (forced !== undefined && forced !== '') return useBackend(forced);
  const reasons: string[] = [];
  for (const name of BACKEND_PREFERENCE) {
    const failure = await tryBackend(name);
    if (failure === undefined) return name;
    reasons.push(`${name}: ${failure}`);
  }
  throw new BackendUnavailableError(BACKEND_PREFERENCE.join('|'), reasons.join('; '));
}
