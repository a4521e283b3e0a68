import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { makeTensor, sameValues, tensorSpecArb } from '../../src/testing/arbitraries.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });
});
afterAll(() => hook.shutdown());

test('send then get preserves any tensor: dtype, shape, every bit of every value', async () => {
  await fc.assert(
    fc.asyncProperty(tensorSpecArb(), fc.boolean(), async (spec, toAlice) => {
      const local = makeTensor(spec);
      const back = await local.send(toAlice ? alice : bob).get();
      expect(back.dtype).toBe(spec.dtype);
      expect(back.shape).toEqual(spec.shape);
      expect(sameValues(back.dataSync(), local.dataSync())).toBe(true);
      local.dispose();
      back.dispose();
    }),
    { numRuns: 300 },
  );
  await sy.testing.assertNoLeaks(hook);
});

test('a syft tensor comes back as a syft tensor with the same values', async () => {
  await fc.assert(
    fc.asyncProperty(tensorSpecArb(16), async (spec) => {
      const local = sy.tensor(makeTensor(spec));
      const back = await local.send(bob).get();
      expect(back).toBeInstanceOf(sy.SyftTensor);
      expect(back.dtype).toBe(spec.dtype);
      expect(sameValues(back.dataSync(), local.dataSync())).toBe(true);
    }),
    { numRuns: 100 },
  );
});

test('16 MB survive the round trip and the local tensor stays usable', async () => {
  const big = tf.randomUniform([4 * 1024 * 1024]);
  const back = await big.send(bob).get();
  expect(sameValues(back.dataSync(), big.dataSync())).toBe(true);
  expect(big.isDisposed).toBe(false);
});
