/**
 * A worker thread that loads the tfjs backend as an actor host's thread does
 * (useBackend), then fails in its own code: run by
 * test/integration/uncaught-errors.test.ts. It reports how many process-wide
 * error listeners are left, then throws from a timer.
 */
import { parentPort } from 'node:worker_threads';
import { useBackend } from '../../src/core/backend.js';

await useBackend('wasm');
parentPort?.postMessage({
  uncaughtException: process.listenerCount('uncaughtException'),
  unhandledRejection: process.listenerCount('unhandledRejection'),
});
setTimeout(() => {
  throw new Error('thread code failed: thread-marker');
}, 0);
