/**
 * A user script whose own code fails after sy.hook (run by
 * test/integration/uncaught-errors.test.ts in a child process). `throw`: an
 * uncaught exception; `reject`: an unhandled rejection; `finish`: it ends
 * without calling hook.shutdown(). `throw-top-level` throws from the module
 * body itself. Each must behave as it would without
 * syft-ts: Node prints the error and exits 1, or the process exits 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as sy from '../../src/index.js';

const mode = process.argv[2];
const hook = await sy.hook(tf);
const bob = await hook.virtualWorker('bob');
const sum = await sy.tensor([1, 2, 3]).send(bob).add(1).get();
console.log(`${hook.backend} ${sum.dataSync().join(',')}`);

if (mode === 'throw') {
  setTimeout(() => {
    throw new Error('user code failed: sync-marker');
  }, 0);
} else if (mode === 'throw-top-level') {
  throw new Error('user code failed: top-level-marker');
} else if (mode === 'reject') {
  void Promise.reject(new Error('user code failed: async-marker'));
} else if (mode !== 'finish') {
  throw new Error(`unknown mode ${mode}`);
}
