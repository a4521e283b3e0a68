/**
 * DP-SGD inside a worker's training job (`trainOn(x, y, { ..., dp })`, so
 * FedAvg's local jobs too): it trains, it is the plain job when the noise is
 * off, the clip never binds and every row is in every sample, and bad DP
 * parameters are refused at the caller before any message leaves. And
 * dpCostOf, what the worker charges for a job before running it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { dpCostOf } from '../../src/host/training.js';
import type { TrainJob } from '../../src/core/specs.js';
import { rejection, startHook } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  bob = await hook.virtualWorker('bob');
});
afterAll(() => hook.shutdown());

const ROWS = 24;
const mlp = () => sy.nn.sequential(sy.nn.linear(4, 6), sy.nn.relu(), sy.nn.linear(6, 3));
const cnn = () => sy.nn.sequential(sy.nn.conv2d(1, 2, 3, { padding: 'same' }), sy.nn.relu(), sy.nn.flatten(), sy.nn.linear(2 * 4 * 4, 3));
const features = (shape: number[]) => tf.randomNormal([ROWS, ...shape], 0, 1, 'float32', 5);
const targets = () => tf.oneHot(tf.tensor1d(Array.from({ length: ROWS }, (_, i) => (i * 7) % 3), 'int32'), 3).cast('float32');
const valuesOf = async (model: sy.nn.Module) => (await model.get()).parameters().map((p) => Array.from((p as sy.SyftTensor).dataSync()));

test('a DP job at bob trains the model: every parameter tensor moves; a loss per non-empty sample comes back (no policy here)', async () => {
  const model = mlp();
  const before = model.parameters().map((p) => Array.from((p as sy.SyftTensor).dataSync()));
  model.send(bob);
  const [x, y] = [features([4]).send(bob), targets().send(bob)];
  const losses = await model.trainOn(x, y, {
    loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 4, batchSize: 8, dp: { noiseMultiplier: 1.1, maxGradNorm: 1 },
  });
  // Poisson samples of expected size 8 from 24 rows: empty with probability (2/3)^24 ≈ 6e-5 a step.
  expect(losses.length).toBe(4);
  expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
  const after = await valuesOf(model);
  after.forEach((values, k) => expect(values.some((v, j) => v !== before[k]![j])).toBe(true));
});

describe('noise 0, a clip that never binds, batchSize = rows (a Poisson sample of rate 1 takes every row): the plain job', () => {
  const cases = [
    { name: 'MLP, sgd with momentum', make: mlp, shape: [4], optimizer: { kind: 'sgd', lr: 0.2, momentum: 0.9 } },
    { name: 'MLP, adam', make: mlp, shape: [4], optimizer: { kind: 'adam', lr: 0.05 } },
    { name: 'CNN, sgd', make: cnn, shape: [4, 4, 1], optimizer: { kind: 'sgd', lr: 0.3 } },
  ] as const;
  for (const { name, make, shape, optimizer } of cases) {
    test(name, async () => {
      const local = make();
      const [plain, private_] = [local.copy().send(bob), local.copy().send(bob)];
      const [x, y] = [features([...shape]).send(bob), targets().send(bob)];
      const plan = { loss: 'crossEntropy', optimizer, epochs: 3, batchSize: ROWS } as const;
      const losses = await plain.trainOn(x, y, plan);
      expect(losses).toHaveLength(3); // epochs × round(rows / batchSize) steps, as the DP job takes
      const privateLosses = await private_.trainOn(x, y, { ...plan, dp: { noiseMultiplier: 0, maxGradNorm: 1e9 } });
      privateLosses.forEach((l, i) => expect(l).toBeCloseTo(losses[i]!, 5));
      expect(privateLosses).toHaveLength(3);
      const [want, got] = [await valuesOf(plain), await valuesOf(private_)];
      const start = local.parameters().map((p) => Array.from((p as sy.SyftTensor).dataSync()));
      got.forEach((values, k) => {
        expect(values.some((v, j) => v !== start[k]![j])).toBe(true);
        values.forEach((v, j) => expect(Math.abs(v - want[k]![j]!)).toBeLessThan(1e-5));
      });
    });
  }
});

test('bad DP parameters are refused at the caller, with a coded error naming the field, before any message is sent', async () => {
  const model = mlp().send(bob);
  const [x, y] = [features([4]).send(bob), targets().send(bob)];
  await hook.settle();
  const sent = hook.transportStats().messages;
  const base = { loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 2, batchSize: 8 } as const;
  const refusals: Array<[sy.nn.TrainPlan, RegExp]> = [
    [{ ...base, dp: { noiseMultiplier: -1, maxGradNorm: 1 } }, /dp: \.noiseMultiplier: a finite number >= 0/],
    [{ ...base, dp: { noiseMultiplier: Number.NaN, maxGradNorm: 1 } }, /dp: \.noiseMultiplier: a finite number >= 0/],
    [{ ...base, dp: { noiseMultiplier: 1, maxGradNorm: 0 } }, /dp: \.maxGradNorm: a positive finite number/],
    [{ ...base, dp: { noiseMultiplier: 1, maxGradNorm: Number.POSITIVE_INFINITY } }, /dp: \.maxGradNorm: a positive finite number/],
    [{ loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 2, dp: { noiseMultiplier: 1, maxGradNorm: 1 } }, /batchSize: a positive integer with dp/],
    [{ ...base, steps: undefined, epochs: 1, shuffleSeed: 3, dp: { noiseMultiplier: 1, maxGradNorm: 1 } }, /shuffleSeed: absent with dp/],
  ];
  for (const [plan, message] of refusals) {
    const error = await rejection(model.trainOn(x, y, plan));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^trainOn\(\): the training job/);
    expect(error.message).toMatch(message);
  }
  expect(hook.transportStats().messages).toBe(sent);
  // What only the worker knows (how many rows it has) is refused there, before a step runs.
  const tooBig = await rejection(model.trainOn(x, y, { ...base, batchSize: ROWS + 1, dp: { noiseMultiplier: 1, maxGradNorm: 1 } }));
  expect(tooBig.message).toMatch(/batchSize .* must be a whole number from 1 to the 24 rows, got 25/);
});

describe('dpCostOf: what a job spends, known before it runs', () => {
  const job = (plan: Partial<TrainJob>): TrainJob => ({ model: mlp().spec(), loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 }, ...plan });
  const dp = { noiseMultiplier: 1.1, maxGradNorm: 1 };

  test('σ, q = batchSize / rows, and steps, or ceil(epochs · rows / batchSize) as dpSgdEpsilon counts them', () => {
    expect(dpCostOf(job({ steps: 10, batchSize: 64, dp }), 1000)).toEqual({ noiseMultiplier: 1.1, sampleRate: 0.064, steps: 10 });
    expect(dpCostOf(job({ epochs: 3, batchSize: 64, dp }), 1000)).toEqual({ noiseMultiplier: 1.1, sampleRate: 0.064, steps: 47 });
    expect(dpCostOf(job({ epochs: 2, batchSize: 256, dp }), 60_000)!.steps).toBe(469);
    expect(dpCostOf(job({ epochs: 2, batchSize: 64 }), 1000)).toBeUndefined();
  });

  test('a job that could not run is refused before anything is charged', () => {
    for (const [plan, message] of [
      [{ steps: 1, batchSize: 2000, dp }, /from 1 to the 1000 rows/],
      [{ steps: 1, dp }, /batchSize/],
      [{ batchSize: 10, dp }, /steps or of epochs/],
      [{ steps: 2, epochs: 1, batchSize: 10, dp }, /steps or of epochs/],
      [{ steps: 1, batchSize: 10, dp: { noiseMultiplier: -0.5, maxGradNorm: 1 } }, /noiseMultiplier/],
      [{ steps: 1, batchSize: 10, dp: { noiseMultiplier: 1, maxGradNorm: 0 } }, /maxGradNorm/],
    ] as const) {
      expect(() => dpCostOf(job(plan as Partial<TrainJob>), 1000)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    }
  });
});
