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

/** Loads and activates one backend; the reason it failed, or undefined on success. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
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
