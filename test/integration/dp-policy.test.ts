/**
 * Privacy policies enforced at the worker (src/host/privacy.ts): raw values of
 * the owner's data and of anything computed from it never leave; DP releases
 * do, charged to a budget that lives at the worker; the caller cannot loosen
 * a policy, nor declare a sensitivity the worker cannot vouch for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook } from '../support/runtime.js';

let hook: sy.Hook;
let owners = 0;

beforeAll(async () => {
  hook = await startHook();
});
afterAll(() => hook.shutdown());

/** A fresh worker holding `data` under a policy (a policy is for the worker's life). */
async function ownerWith(data: tf.Tensor, policy: Parameters<sy.VirtualWorker['setPolicy']>[0]) {
  const worker = (await hook.virtualWorker(`owner${++owners}`)) as sy.VirtualWorker;
  const x = data.send(worker);
  await worker.setPolicy(policy);
  return { worker, x };
}

const rowsData = () => tf.tensor2d([[0.2, 0.9], [0.5, 0.1], [1.7, -3], [0.4, 0.4]]);

test('denyRawGet: get(), move(), shares of the data and of anything computed from it are refused with PrivacyPolicyError; nothing is lost', async () => {
  const { worker, x } = await ownerWith(rowsData(), { budget: { epsilon: 1, delta: 1e-5 }, denyRawGet: true });
  const alice = (await hook.virtualWorker('policy-alice')) as sy.VirtualWorker;
  const raw = await rejection(x.get());
  expect(raw).toBeInstanceOf(sy.PrivacyPolicyError);
  expect(raw.code).toBe('PRIVACY_POLICY');
  expect(raw.message).toMatch(/denyRawGet/);
  const [y, total, moved] = sy.tidy(() => [x.add(1).mul(2), x.sum(), x.mul(1).move(alice)]);
  expect((await rejection(y.get())).code).toBe('PRIVACY_POLICY');
  expect((await rejection(total.get())).code).toBe('PRIVACY_POLICY');
  expect((await rejection(moved.get())).code).toBe('PRIVACY_POLICY');
  for (const p of [y, total, moved]) p.dispose();
  // Shares of it would be opened by whoever gathers them: refused at the owner, the parties learn why.
  const carol = (await hook.virtualWorker('policy-carol')) as sy.VirtualWorker;
  const shared = x.share(alice, carol);
  expect((await rejection(shared.get())).code).toBe('PRIVACY_POLICY');
  shared.dispose();
  expect((await carol.stats()).objects).toBe(0);
  // The owner's data is still there, and its preview is not shown.
  const held = [...(await worker.objects()).values()];
  expect(held.find((o) => o.id === x.idAtLocation)).toMatchObject({ kind: 'tensor', shape: [4, 2], preview: '(private)' });
  // What the caller sends later is its own: readable.
  const mine = tf.tensor1d([3, 4]).send(worker);
  expect(Array.from((await mine.get()).dataSync())).toEqual([3, 4]);
  // Nothing was charged by refusals, and the refused pointer still reaches the data: a DP query on it works, and it can be released.
  expect(await worker.privacySpent()).toMatchObject({ epsilon: 0, delta: 0, charges: 0, denyRawGet: true });
  expect(x.isDisposed).toBe(false);
  const bits = sy.tidy(() => x.clipByValue(0, 1).greater(0.5).cast('int32'));
  await sy.dp.randomizedResponse(bits, { epsilon: 0.1 }).get();
  bits.dispose();
  // greater and cast have no rule, so the worker no longer knows a row is one individual's: all 8 values are charged (0.8, not 0.2).
  expect((await worker.privacySpent()).epsilon).toBeCloseTo(0.8, 12);
  x.dispose();
  mine.dispose();
  // A refused move leaves its object at the owner (the pointer already names alice, which got the failure): only clearObjects() reaches it.
  expect((await alice.stats()).objects).toBe(0);
  expect((await worker.stats()).objects).toBe(1);
  await worker.clearObjects();
});

test('a policy only tightens: a larger budget or turning denyRawGet off is refused; a smaller budget is taken', async () => {
  const { worker } = await ownerWith(rowsData(), { budget: { epsilon: 1, delta: 1e-5 }, denyRawGet: true });
  expect((await rejection(worker.setPolicy({ budget: { epsilon: 2, delta: 1e-5 } }))).code).toBe('PRIVACY_POLICY');
  expect((await rejection(worker.setPolicy({ denyRawGet: false }))).code).toBe('PRIVACY_POLICY');
  const report = await worker.setPolicy({ budget: { epsilon: 0.5, delta: 1e-6 } });
  expect(report).toMatchObject({ budget: { epsilon: 0.5, delta: 1e-6 }, denyRawGet: true });
  expect((await rejection(worker.setPolicy({ budget: { epsilon: -1, delta: 0 } }))).code).toBe('INVALID_ARGUMENT');
});

test('sensitivity: a release of unbounded data, or with a declared sensitivity below the tracked one, is refused; bounded sums and means are released', async () => {
  const { worker, x } = await ownerWith(rowsData(), { budget: { epsilon: 10, delta: 1e-5 }, denyRawGet: true });
  // Raw rows have no bound: a caller could declare anything.
  const unbounded = await rejection(sy.dp.laplace(x.sum(), { sensitivity: 1, epsilon: 1 }).get());
  expect(unbounded.code).toBe('PRIVACY_POLICY');
  expect(unbounded.message).toMatch(/clipByValue/);
  // Clipped to [0, 1], a row of 2 values moves the column sums by at most 2 in L1 and √2 in L2.
  const bounded = x.clipByValue(0, 1).sum(0);
  expect((await rejection(sy.dp.laplace(bounded, { sensitivity: 1.9, epsilon: 1 }).get())).message).toMatch(/L1 2\b/);
  expect((await rejection(sy.dp.gaussian(bounded, { sensitivity: 1.4, epsilon: 1, delta: 1e-6 }).get())).message).toMatch(/L2 1\.41/);
  const released = await sy.dp.laplace(bounded, { sensitivity: 2, epsilon: 1 }).get();
  expect(released.shape).toEqual([2]);
  // A mean over the 4 rows has a quarter of the sum's sensitivity; scaling by 3 triples it.
  const mean = x.clipByValue(0, 1).mean(0).mul(3);
  expect((await rejection(sy.dp.laplace(mean, { sensitivity: 1.4, epsilon: 1 }).get())).code).toBe('PRIVACY_POLICY');
  await sy.dp.laplace(mean, { sensitivity: 1.5, epsilon: 1 }).get();
  // An op the worker has no rule for forgets the bound, even after clipping.
  expect((await rejection(sy.dp.laplace(x.clipByValue(0, 1).exp().sum(), { sensitivity: 100, epsilon: 1 }).get())).code).toBe('PRIVACY_POLICY');
  // Broadcasting a bounded total (L1 2) over 3 public values repeats it 3 times: L1 6, L2 2√3.
  const offsets = tf.tensor1d([1, 2, 3]).send(worker);
  const spread = x.clipByValue(0, 1).sum().add(offsets);
  expect((await rejection(sy.dp.laplace(spread, { sensitivity: 5.9, epsilon: 1 }).get())).message).toMatch(/L1 6\b/);
  expect((await rejection(sy.dp.gaussian(spread, { sensitivity: 3.4, epsilon: 1, delta: 1e-6 }).get())).message).toMatch(/L2 3\.46/);
  await sy.dp.laplace(spread, { sensitivity: 6, epsilon: 1 }).get();
  expect((await worker.privacySpent()).charges).toBe(3);
});

test('the budget: Laplace queries add up (basic composition) until one would pass it: PrivacyBudgetExceededError before any noise, nothing charged', async () => {
  const { worker, x } = await ownerWith(rowsData(), { budget: { epsilon: 1, delta: 1e-5 }, denyRawGet: true });
  const count = x.clipByValue(0, 1).sum();
  for (let k = 0; k < 4; k++) await sy.dp.laplace(count, { sensitivity: 2, epsilon: 0.25 }).get();
  expect(await worker.privacySpent()).toMatchObject({ epsilon: 1, delta: 0, accounting: 'basic', charges: 4, budget: { epsilon: 1, delta: 1e-5 } });
  const over = await rejection(sy.dp.laplace(count, { sensitivity: 2, epsilon: 0.01 }).get());
  expect(over).toBeInstanceOf(sy.PrivacyBudgetExceededError);
  expect(over.code).toBe('PRIVACY_BUDGET_EXCEEDED');
  expect(over.message).toMatch(/spent so far ε 1\.000/);
  expect((await worker.privacySpent()).charges).toBe(4);
});

test('many Gaussian releases are accounted by RDP when it is tighter, to the figure of computeRdp and privacySpent', async () => {
  const delta = 1e-5;
  const { worker, x } = await ownerWith(rowsData(), { budget: { epsilon: 3, delta }, denyRawGet: true });
  const mean = x.clipByValue(0, 1).mean(0);
  const query = { sensitivity: 0.5 / Math.SQRT2 + 0.2, epsilon: 0.3, delta: 1e-7 };
  const k = 12;
  for (let i = 0; i < k; i++) await sy.dp.gaussian(mean, query).get();
  const z = sy.dp.analyticGaussianSigma({ ...query, sensitivity: 1 });
  const rdp = sy.dp.computeRdp(1, z, 1).map((r) => r * k);
  const expected = sy.dp.privacySpent(sy.dp.DEFAULT_ORDERS, rdp, delta).epsilon;
  const spent = await worker.privacySpent();
  expect(expected).toBeLessThan(k * query.epsilon);
  expect(spent.accounting).toBe('rdp');
  expect(spent.delta).toBe(delta);
  expect(spent.epsilon).toBeCloseTo(expected, 12);
});

test('noise of a given σ (sy.dp.gaussianNoise) on private data is charged the RDP of σ over the tracked L2 sensitivity, and refused on unbounded data', async () => {
  const { worker, x } = await ownerWith(rowsData(), { budget: { epsilon: 10, delta: 1e-5 }, denyRawGet: true });
  expect((await rejection(sy.dp.gaussianNoise(x.sum(0), { sigma: 5 }).get())).code).toBe('PRIVACY_POLICY');
  // Column sums of rows clipped to [0, 1] x 2 values: L2 √2; σ 3 is a noise multiplier of 3/√2.
  await sy.dp.gaussianNoise(x.clipByValue(0, 1).sum(0), { sigma: 3 }).get();
  const expected = sy.dp.privacySpent(sy.dp.DEFAULT_ORDERS, sy.dp.computeRdp(1, 3 / Math.SQRT2, 1), 1e-5).epsilon;
  const spent = await worker.privacySpent();
  expect(spent.accounting).toBe('rdp');
  expect(spent.epsilon).toBeCloseTo(expected, 10);
});

test('randomized response on private 0/1 rows is charged ε per value of a row', async () => {
  const bits = tf.tensor2d([[1, 0, 1], [0, 0, 1]], [2, 3], 'int32');
  const { worker, x } = await ownerWith(bits, { budget: { epsilon: 2, delta: 0 }, denyRawGet: true });
  const out = await sy.dp.randomizedResponse(x, { epsilon: 0.5 }).get();
  expect(out.shape).toEqual([2, 3]);
  expect(await worker.privacySpent()).toMatchObject({ epsilon: 1.5, accounting: 'basic' });
  expect((await rejection(sy.dp.randomizedResponse(x, { epsilon: 0.5 }).get())).code).toBe('PRIVACY_BUDGET_EXCEEDED');
});

test('gradients from private data are private: backward() taints the leaves; an in-place step with them taints the weights', async () => {
  const { worker, x } = await ownerWith(rowsData(), { denyRawGet: true });
  const w = tf.tensor2d([[0.5], [-0.25]]).send(worker, { requiresGrad: true });
  // Before any private backward the caller's weights are its own.
  expect((await w.mul(1).get()).shape).toEqual([2, 1]);
  const loss = x.matMul(w).sum();
  await loss.backward();
  expect((await rejection(w.grad!.get())).code).toBe('PRIVACY_POLICY');
  expect((await rejection(w.get())).code).toBe('PRIVACY_POLICY');
});

test('training at the worker: a DP job on private data releases the model, charged the RDP of its steps; a plain job leaves the model private and its losses there', async () => {
  const worker = (await hook.virtualWorker(`owner${++owners}`)) as sy.VirtualWorker;
  const x = tf.randomNormal([16, 4], 0, 1, 'float32', 3).send(worker);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3).cast('float32').send(worker);
  await worker.setPolicy({ budget: { epsilon: 5, delta: 1e-5 }, denyRawGet: true });
  const mlp = () => sy.nn.sequential(sy.nn.linear(4, 5), sy.nn.relu(), sy.nn.linear(5, 3));
  const plan = { loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 5, batchSize: 4 } as const;
  const released = mlp().send(worker);
  // Losses on private data are not DP: they stay at the worker.
  expect(await released.trainOn(x, y, { ...plan, dp: { noiseMultiplier: 1.2, maxGradNorm: 1 } })).toEqual([]);
  const model = await released.get();
  expect(model.parameters()).toHaveLength(4);
  const spent = await worker.privacySpent();
  const expected = sy.dp.privacySpent(sy.dp.DEFAULT_ORDERS, sy.dp.computeRdp(4 / 16, 1.2, 5), 1e-5).epsilon;
  expect(spent).toMatchObject({ accounting: 'rdp', charges: 1, delta: 1e-5 });
  expect(spent.epsilon).toBeCloseTo(expected, 10);
  // A job whose steps would pass the budget is refused before it trains; nothing is charged.
  const greedy = mlp().send(worker);
  const over = await rejection(greedy.trainOn(x, y, { ...plan, steps: 400, dp: { noiseMultiplier: 0.5, maxGradNorm: 1 } }));
  expect(over).toBeInstanceOf(sy.PrivacyBudgetExceededError);
  expect((await worker.privacySpent()).charges).toBe(1);
  // Without dp the trained model carries the data: its parameters stay.
  const plain = mlp().send(worker);
  expect(await plain.trainOn(x, y, plan)).toEqual([]);
  expect((await rejection(plain.get())).code).toBe('PRIVACY_POLICY');
});

test('a worker without a policy is unaffected, and its privacySpent says so', async () => {
  const plain = (await hook.virtualWorker('no-policy')) as sy.VirtualWorker;
  const x = rowsData().send(plain);
  expect((await x.sum().get()).dataSync()[0]).toBeCloseTo(1.2, 5);
  expect(await plain.privacySpent()).toEqual({ epsilon: 0, delta: 0, accounting: 'basic', charges: 0, budget: undefined, denyRawGet: false });
});
