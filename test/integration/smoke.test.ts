import { afterAll, beforeAll, expect, test } from 'vitest';
import type * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
beforeAll(async () => {
  hook = await startHook();
});
afterAll(() => hook.shutdown());

test('a worker thread starts from sources and adds', async () => {
  const bob = await hook.virtualWorker('bob');
  const x = (await import('../../src/index.js')).tensor([1, 2, 3]).send(bob);
  expect(Array.from((await x.add(x).get()).dataSync())).toEqual([2, 4, 6]);
  expect(typeof (globalThis as { gc?: unknown }).gc).toBe('function');
});
