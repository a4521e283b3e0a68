/**
 * Datasets are loaded into tensors, and a script may load one before
 * sy.hook(tf) has chosen a backend (tfjs then fails with "No backend found in
 * registry"). This picks the backend sy.hook would pick; the hook later
 * keeps it, or moves the tensors to the one it is told to use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../core/backend.js';

export async function ensureBackend(): Promise<void> {
  // tfjs-core exposes no "is a backend active" query that does not itself start one (and throw when none is registered).
  const engine = tf.engine() as unknown as { backendInstance: unknown };
  if (engine.backendInstance != null) return;
  await selectBackend();
}
