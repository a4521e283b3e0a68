/**
 * DP mechanisms at the data's worker (src/dp/release.ts, the 'dp-noise'
 * command): the noise is drawn there and only a pointer to the noisy tensor
 * comes back; the raw tensor stays; bad parameters and chains are refused at
 * the caller, before anything is sent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice] = (await hook.virtualWorkers(['bob', 'alice'])) as [sy.VirtualWorker, sy.VirtualWorker];
});
afterAll(() => hook.shutdown());

test('laplace and gaussian on a pointer: the worker adds the noise, the result keeps the shape, the spread matches the calibration', async () => {
  const n = 4000;
  const x = tf.zeros([n / 40, 40]).send(bob);
  const events: string[] = [];
  const sub = hook.events$.subscribe((e) => e.type === 'stored' && events.push(e.op));
  const noisy = sy.dp.laplace(x, { sensitivity: 1, epsilon: 0.5 });
  expect(noisy.shape).toEqual([n / 40, 40]);
  const values = Array.from((await noisy.get()).dataSync() as Float32Array);
  // Laplace of scale b = 2: variance 2b² = 8.
  const variance = values.reduce((s, v) => s + v * v, 0) / n;
  expect(Math.abs(variance / 8 - 1)).toBeLessThan(0.15);
  const g = sy.dp.gaussian(x, { sensitivity: 1, epsilon: 1, delta: 1e-5 });
  const gv = Array.from((await g.get()).dataSync() as Float32Array);
  const sigma = sy.dp.analyticGaussianSigma({ sensitivity: 1, epsilon: 1, delta: 1e-5 });
  expect(Math.abs(gv.reduce((s, v) => s + v * v, 0) / n / (sigma * sigma) - 1)).toBeLessThan(0.15);
  sub.unsubscribe();
  expect(events).toEqual(expect.arrayContaining(['dp laplace', 'dp gaussian']));
  // The raw tensor is still at bob, untouched.
  expect(Array.from((await x.get()).dataSync()).every((v) => v === 0)).toBe(true);
});

test('randomized response on a 0/1 tensor at the worker gives 0/1 int32', async () => {
  const bits = tf.tensor1d([1, 0, 1, 1, 0, 0, 1, 0], 'int32').send(bob);
  const reported = sy.dp.randomizedResponse(bits, { epsilon: 3 });
  const out = await reported.get();
  expect(out.dtype).toBe('int32');
  expect(Array.from(out.dataSync()).every((v) => v === 0 || v === 1)).toBe(true);
  bits.dispose();
});

test('bad parameters and chains are refused at the caller with a coded error; nothing is left at the workers', async () => {
  const x = tf.ones([3]).send(bob);
  expect(thrown(() => sy.dp.laplace(x, { sensitivity: 1, epsilon: 0 })).code).toBe('INVALID_ARGUMENT');
  expect(thrown(() => sy.dp.gaussian(x, { sensitivity: 1, epsilon: 1, delta: 2 })).code).toBe('INVALID_ARGUMENT');
  const chain = tf.ones([3]).send(bob).send(alice);
  expect(thrown(() => sy.dp.laplace(chain, { sensitivity: 1, epsilon: 1 })).message).toMatch(/remoteGet/);
  x.dispose();
  chain.dispose();
  for (const w of [bob, alice]) expect((await w.stats()).objects).toBe(0);
});
