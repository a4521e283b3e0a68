/**
 * DP-SGD's gradient (src/dp/dp-sgd.ts) against the definition: with no
 * noise, the clipped sum computed without per-example gradients must equal
 * the loop that takes each example's gradient with tf.grads, clips it and
 * adds it up; with noise, the noise has the calibrated spread.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { dpSgdGradients } from '../../src/dp/dp-sgd.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
beforeAll(async () => {
  hook = await startHook();
});
afterAll(() => hook.shutdown());

/** The definition: each example's gradient by tf.grads, clipped to C, summed, divided by the batch size. */
function naive(model: sy.nn.Sequential, x: tf.Tensor2D, y: tf.Tensor2D, loss: 'mse' | 'crossEntropy', C: number): number[][] {
  const params = model.parameters().map((p) => (p as sy.SyftTensor).tensor);
  const sums = params.map((p) => new Float64Array(p.size));
  for (let i = 0; i < x.shape[0]; i++) {
    const grads = tf.tidy(() => {
      const xi = tf.slice(x, [i, 0], [1, x.shape[1]]);
      const yi = tf.slice(y, [i, 0], [1, y.shape[1]]);
      const f = (...ps: tf.Tensor[]) => {
        let h: tf.Tensor = xi;
        let k = 0;
        for (const layer of model.layers) {
          if (layer instanceof sy.nn.Linear) {
            h = tf.add(tf.matMul(h, ps[k]!), ps[k + 1]!);
            k += 2;
          } else {
            h = sy.noGrad(() => (layer.forward(sy.tensor(h)) as sy.SyftTensor).tensor);
          }
        }
        return (sy.noGrad(() => (loss === 'mse' ? sy.nn.mseLoss(sy.tensor(h), sy.tensor(yi)) : sy.nn.crossEntropy(sy.tensor(h), sy.tensor(yi)))) as sy.SyftTensor).tensor as tf.Scalar;
      };
      return tf.grads(f)(params).map((g) => Array.from(g.dataSync()));
    });
    const norm = Math.sqrt(grads.flat().reduce((s, v) => s + v * v, 0));
    const factor = Math.min(1, C / (norm + 1e-6));
    grads.forEach((g, k) => g.forEach((v, j) => (sums[k]![j]! += factor * v)));
  }
  return sums.map((s) => Array.from(s, (v) => v / x.shape[0]));
}

test('with no noise, the clipped sum without per-example gradients equals the per-example loop (MSE and cross-entropy, relu and sigmoid)', () => {
  fc.assert(
    fc.property(
      fc.record({ inF: fc.integer({ min: 1, max: 5 }), hidden: fc.integer({ min: 1, max: 4 }), out: fc.integer({ min: 2, max: 3 }), batch: fc.integer({ min: 1, max: 6 }) }),
      fc.constantFrom('mse' as const, 'crossEntropy' as const),
      fc.constantFrom('relu' as const, 'sigmoid' as const),
      fc.double({ min: 0.05, max: 3, noNaN: true }),
      ({ inF, hidden, out, batch }, loss, activation, C) => {
        const model = sy.nn.sequential(sy.nn.linear(inF, hidden), activation === 'relu' ? sy.nn.relu() : sy.nn.sigmoid(), sy.nn.linear(hidden, out));
        const x = tf.randomNormal([batch, inF]) as tf.Tensor2D;
        const y = tf.oneHot(tf.randomUniformInt([batch], 0, out), out).cast('float32') as tf.Tensor2D;
        const fast = dpSgdGradients(model, x, y, { loss, maxGradNorm: C, noiseMultiplier: 0 });
        const want = naive(model, x, y, loss, C);
        fast.gradients.forEach((g, k) => {
          const got = g.dataSync();
          want[k]!.forEach((v, j) => expect(Math.abs(got[j]! - v)).toBeLessThan(1e-4 + 1e-3 * Math.abs(v)));
        });
        for (const t of [x, y, ...fast.gradients]) t.dispose();
      },
    ),
    { numRuns: 25 },
  );
});

test('with noise, the gradient of a zero-loss batch is pure noise of standard deviation σ·C / expected batch size', () => {
  const model = sy.nn.sequential(sy.nn.linear(20, 50));
  const x = tf.zeros([4, 20]);
  const y = tf.zeros([4, 50]);
  for (const p of model.parameters()) (p as sy.SyftTensor).tensor.dataSync().fill(0);
  const { gradients } = dpSgdGradients(model, x, y, { loss: 'mse', maxGradNorm: 2, noiseMultiplier: 1.5, expectedBatchSize: 10 });
  const values = gradients.flatMap((g) => Array.from(g.dataSync()));
  const sd = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
  expect(Math.abs(sd / ((1.5 * 2) / 10) - 1)).toBeLessThan(0.06);
});

test('leaves no tfjs tensor behind but its results; refuses models it cannot clip per example', () => {
  const model = sy.nn.sequential(sy.nn.linear(3, 4), sy.nn.relu(), sy.nn.linear(4, 2));
  const x = tf.randomNormal([5, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1], 'int32'), 2).cast('float32');
  const before = tf.memory().numTensors;
  const { gradients } = dpSgdGradients(model, x, y, { loss: 'crossEntropy', maxGradNorm: 1, noiseMultiplier: 1 });
  expect(tf.memory().numTensors - before).toBe(gradients.length);
  gradients.forEach((g) => g.dispose());
  const conv = sy.nn.sequential(sy.nn.conv2d(1, 2, 3));
  expect(() => dpSgdGradients(conv, x, y, { loss: 'mse', maxGradNorm: 1, noiseMultiplier: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  expect(() => dpSgdGradients(model, x, y, { loss: 'mse', maxGradNorm: 0, noiseMultiplier: 1 })).toThrow(/maxGradNorm/);
});

test('dpSgdTrain: learns a separable problem with moderate noise, steps the accountant once per step, and leaks no tensor', async () => {
  const n = 200;
  const x = tf.randomNormal([n, 2]);
  const labels = tf.tidy(() => tf.cast(tf.greater(tf.sum(x, 1), 0), 'int32'));
  const y = tf.oneHot(labels as tf.Tensor1D, 2).cast('float32');
  const model = sy.nn.sequential(sy.nn.linear(2, 2));
  const before = tf.memory().numTensors;
  const epsilons: number[] = [];
  const { epsilon, accountant } = await sy.dp.dpSgdTrain(model, x, y, {
    loss: 'crossEntropy', lr: 1, epochs: 4, batchSize: 40, noiseMultiplier: 0.8, maxGradNorm: 1, onEpoch: (_, eps) => void epsilons.push(eps),
  });
  expect(tf.memory().numTensors).toBe(before);
  expect(accountant.history).toEqual([{ noiseMultiplier: 0.8, sampleRate: 0.2, steps: 20 }]);
  expect(epsilons).toHaveLength(4);
  expect(epsilons.every((e, i) => i === 0 || e > epsilons[i - 1]!)).toBe(true);
  expect(epsilon).toBe(epsilons[3]);
  const accuracy = tf.tidy(() => {
    const out = sy.noGrad(() => (model.forward(sy.tensor(x)) as sy.SyftTensor).tensor);
    return tf.mean(tf.equal(tf.argMax(out, 1), labels)).dataSync()[0]!;
  });
  expect(accuracy).toBeGreaterThan(0.85);
  for (const t of [x, labels, y]) t.dispose();
});
