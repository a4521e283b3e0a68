/**
 * DP-SGD's gradient (src/dp/dp-sgd.ts) against the definition: with no
 * noise, the clipped sum computed from activations and backprops must equal
 * the loop that takes each example's gradient with tf.grads, clips it and
 * adds it up (linear models, and CNNs with conv2d, maxPool2d and flatten);
 * with noise, the noise has the calibrated spread. And the training noise
 * (src/dp/training-noise.ts) as a distribution, and as a function of the
 * CSPRNG's bytes only.
 */
import { randomFillSync } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import * as sy from '../../src/index.js';
import { conv2dPortableGradient } from '../../src/autograd/conv2d-gradient.js';
import { dpSgdGradients } from '../../src/dp/dp-sgd.js';
import { logNdtr } from '../../src/dp/special.js';
import { NOISE_CHUNK, standardNormals, trainingNoise } from '../../src/dp/training-noise.js';
import { startHook } from '../support/runtime.js';

// The real randomFillSync behind a spy: src/dp/training-noise.ts imports it as an ESM binding, which
// vi.spyOn cannot replace (module namespaces are frozen), but a module mock is what that import resolves to.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, randomFillSync: vi.fn(crypto.randomFillSync) };
});

let hook: sy.Hook;
beforeAll(async () => {
  hook = await startHook();
});
afterAll(() => hook.shutdown());

/** Each example's gradient by tf.grads, one example at a time (conv2d's filter gradient by the autograd's im2col, which wasm can run). */
function perExampleGradients(model: sy.nn.Sequential, x: tf.Tensor, y: tf.Tensor, loss: 'mse' | 'crossEntropy'): number[][][] {
  const params = model.parameters().map((p) => (p as sy.SyftTensor).tensor);
  const out: number[][][] = [];
  for (let i = 0; i < x.shape[0]!; i++) {
    out.push(
      tf.tidy(() => {
        const xi = tf.slice(x, i, 1);
        const yi = tf.slice(y, i, 1);
        const f = (...ps: tf.Tensor[]) => {
          let h: tf.Tensor = xi;
          let k = 0;
          for (const layer of model.layers) {
            if (layer instanceof sy.nn.Linear) {
              h = tf.add(tf.matMul(h, ps[k]!), ps[k + 1]!);
              k += 2;
            } else if (layer instanceof sy.nn.Conv2d) {
              h = tf.add(conv2dPortableGradient(h as tf.Tensor4D, ps[k] as tf.Tensor4D, layer.stride, layer.padding), ps[k + 1]!);
              k += 2;
            } else {
              h = sy.noGrad(() => (layer.forward(sy.tensor(h)) as sy.SyftTensor).tensor);
            }
          }
          return (sy.noGrad(() => (loss === 'mse' ? sy.nn.mseLoss(sy.tensor(h), sy.tensor(yi)) : sy.nn.crossEntropy(sy.tensor(h), sy.tensor(yi)))) as sy.SyftTensor).tensor as tf.Scalar;
        };
        return tf.grads(f)(params).map((g) => Array.from(g.dataSync()));
      }),
    );
  }
  return out;
}

const normOf = (grads: number[][]) => Math.sqrt(grads.flat().reduce((s, v) => s + v * v, 0));

/** The definition: each example's gradient clipped to C (Opacus's factor), summed, divided by the batch size. */
function clippedMean(perExample: number[][][], C: number): number[][] {
  const sums = perExample[0]!.map((g) => new Float64Array(g.length));
  for (const grads of perExample) {
    const factor = Math.min(1, C / (normOf(grads) + 1e-6));
    grads.forEach((g, k) => g.forEach((v, j) => (sums[k]![j]! += factor * v)));
  }
  return sums.map((s) => Array.from(s, (v) => v / perExample.length));
}

function naive(model: sy.nn.Sequential, x: tf.Tensor, y: tf.Tensor, loss: 'mse' | 'crossEntropy', C: number): number[][] {
  return clippedMean(perExampleGradients(model, x, y, loss), C);
}

const expectClose = (got: tf.Tensor[], want: number[][], tolerance: number) => {
  expect(got.map((g) => g.size)).toEqual(want.map((w) => w.length));
  got.forEach((g, k) => {
    const values = g.dataSync();
    want[k]!.forEach((v, j) => expect(Math.abs(values[j]! - v)).toBeLessThan(tolerance));
  });
};

/** Small CNNs on 6x6 one-channel images: conv2d 1→3 (kernel, stride, padding drawn), relu, maybe a max pool, flatten, linear. */
const cnnArbitrary: fc.Arbitrary<CnnShape> = fc.record({
  kernel: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  padding: fc.constantFrom('valid' as const, 'same' as const),
  pool: fc.boolean(),
  second: fc.boolean(),
  out: fc.integer({ min: 2, max: 3 }),
});

interface CnnShape {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: 'valid' | 'same';
  readonly pool: boolean;
  readonly second: boolean;
  readonly out: number;
}

function cnnOf({ kernel, stride, padding, pool, second, out }: CnnShape): sy.nn.Sequential {
  const side = padding === 'same' ? Math.ceil(6 / stride) : Math.ceil((6 - kernel + 1) / stride);
  // relu's exact zeros make exact ties in a max pool after it, which the batched and the one-example convs can round
  // apart and route the gradient differently (a kink, not an error): before a pool, a smooth activation.
  const layers: sy.nn.Module[] = [sy.nn.conv2d(1, 3, kernel, { stride, padding }), pool ? sy.nn.sigmoid() : sy.nn.relu()];
  let [h, channels] = [side, 3];
  if (second) {
    // A second conv: its input is an activation, so its backprops pass through the first conv's output.
    layers.push(sy.nn.conv2d(3, 2, 2, { padding: 'same' }), sy.nn.tanh());
    channels = 2;
  }
  // Not both: on wasm the gradient through conv → tanh → conv → tanh → maxPool2d disagrees with the cpu backend's
  // (0.19 in a filter gradient, batched or one example at a time), a backend fault outside DP-SGD.
  if (pool && !second && h >= 2) {
    layers.push(sy.nn.maxPool2d(2));
    h = Math.floor((h - 2) / 2) + 1;
  }
  layers.push(sy.nn.flatten(), sy.nn.linear(h * h * channels, out));
  return sy.nn.sequential(...layers);
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

test('CNNs: with no noise, the clipped sum equals the per-example loop to 1e-4, with a clip that cuts some examples and not others', () => {
  fc.assert(
    fc.property(cnnArbitrary, fc.constantFrom('mse' as const, 'crossEntropy' as const), fc.double({ min: 0.2, max: 0.8, noNaN: true }), (shape, loss, where) => {
      const model = cnnOf(shape);
      const x = tf.randomNormal([5, 6, 6, 1]);
      const y = tf.oneHot(tf.randomUniformInt([5], 0, shape.out), shape.out).cast('float32');
      const perExample = perExampleGradients(model, x, y, loss);
      const norms = perExample.map(normOf).sort((a, b) => a - b);
      // Between the smallest and the largest norm: some examples are clipped, some are not.
      const C = norms[0]! + where * (norms[4]! - norms[0]!);
      fc.pre(norms[0]! < C && C < norms[4]!);
      const fast = dpSgdGradients(model, x, y, { loss, maxGradNorm: C, noiseMultiplier: 0 });
      expectClose(fast.gradients, clippedMean(perExample, C), 1e-4);
      for (const t of [x, y, ...fast.gradients]) t.dispose();
    }),
    { numRuns: 20 },
  );
});

test('every per-example gradient, scaled by its clip factor, has norm at most maxGradNorm; the norms reported are the per-example ones', () => {
  fc.assert(
    fc.property(cnnArbitrary, fc.double({ min: 0.01, max: 2, noNaN: true }), (shape, C) => {
      const model = cnnOf(shape);
      const x = tf.randomNormal([5, 6, 6, 1]);
      const y = tf.oneHot(tf.randomUniformInt([5], 0, shape.out), shape.out).cast('float32');
      const want = perExampleGradients(model, x, y, 'crossEntropy').map(normOf);
      const { gradients, norms } = dpSgdGradients(model, x, y, { loss: 'crossEntropy', maxGradNorm: C, noiseMultiplier: 0 });
      want.forEach((norm, i) => {
        expect(Math.abs(norms[i]! - norm)).toBeLessThan(1e-4 * Math.max(1, norm));
        expect(Math.min(1, C / (norms[i]! + 1e-6)) * norm).toBeLessThanOrEqual(C + 1e-5);
      });
      for (const t of [x, y, ...gradients]) t.dispose();
    }),
    { numRuns: 15 },
  );
});

test('noise 0 and a huge clip: the DP gradient is the plain batch gradient (tf.grads of the mean loss), and its loss the batch loss, CNN and MLP', () => {
  for (const model of [
    cnnOf({ kernel: 3, stride: 1, padding: 'same', pool: false, second: true, out: 3 }),
    cnnOf({ kernel: 2, stride: 1, padding: 'valid', pool: true, second: false, out: 3 }),
    sy.nn.sequential(sy.nn.linear(36, 8), sy.nn.sigmoid(), sy.nn.linear(8, 3))]) {
    const x = model.layers[0] instanceof sy.nn.Conv2d ? tf.randomNormal([7, 6, 6, 1]) : tf.randomNormal([7, 36]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 2, 1, 0, 1], 'int32'), 3).cast('float32');
    const params = model.parameters().map((p) => (p as sy.SyftTensor).tensor);
    const plain = tf.tidy(() =>
      tf.grads(() => (sy.noGrad(() => sy.nn.crossEntropy(model.forward(sy.tensor(x)), sy.tensor(y))) as sy.SyftTensor).tensor as tf.Scalar)(params).map((g) => Array.from(g.dataSync())),
    );
    const { gradients, loss } = dpSgdGradients(model, x, y, { loss: 'crossEntropy', maxGradNorm: 1e9, noiseMultiplier: 0 });
    expectClose(gradients, plain, 1e-5);
    const plainLoss = tf.tidy(() => (sy.noGrad(() => sy.nn.crossEntropy(model.forward(sy.tensor(x)), sy.tensor(y))) as sy.SyftTensor).tensor.dataSync()[0]!);
    expect(loss).toBeCloseTo(plainLoss, 5);
    for (const t of [x, y, ...gradients]) t.dispose();
  }
});

test('with noise, the gradient of a zero-loss batch is pure noise of standard deviation σ·C / expected batch size', () => {
  const model = sy.nn.sequential(sy.nn.linear(20, 500));
  // Zero parameters and zero targets: every per-example gradient is 0, only the noise is left.
  // (Not dataSync().fill(0): on wasm dataSync returns a copy.)
  model.loadStateDict({ '0.weight': sy.tensor(tf.zeros([20, 500])), '0.bias': sy.tensor(tf.zeros([500])) });
  const x = tf.randomNormal([4, 20]);
  const y = tf.zeros([4, 500]);
  const { gradients, norms } = dpSgdGradients(model, x, y, { loss: 'mse', maxGradNorm: 2, noiseMultiplier: 1.5, expectedBatchSize: 10 });
  expect(Array.from(norms)).toEqual([0, 0, 0, 0]);
  const values = gradients.flatMap((g) => Array.from(g.dataSync()));
  const sd = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
  // The relative standard error of a normal sample's sd is 1/sqrt(2N); 5.03 of them: a false failure 5e-7.
  expect(Math.abs(sd / ((1.5 * 2) / 10) - 1)).toBeLessThan(5.03 / Math.sqrt(2 * values.length));
  tf.dispose([x, y, ...gradients]);
});

test('leaves no tfjs tensor behind but its results; refuses models it cannot clip per example', () => {
  const model = sy.nn.sequential(sy.nn.linear(3, 4), sy.nn.relu(), sy.nn.linear(4, 2));
  const x = tf.randomNormal([5, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1], 'int32'), 2).cast('float32');
  const before = tf.memory().numTensors;
  const { gradients } = dpSgdGradients(model, x, y, { loss: 'crossEntropy', maxGradNorm: 1, noiseMultiplier: 1 });
  expect(tf.memory().numTensors - before).toBe(gradients.length);
  gradients.forEach((g) => g.dispose());
  const cnn = cnnOf({ kernel: 3, stride: 2, padding: 'same', pool: false, second: true, out: 2 });
  const images = tf.randomNormal([5, 6, 6, 1]);
  const cnnBefore = tf.memory().numTensors;
  const cnnGradients = dpSgdGradients(cnn, images, y, { loss: 'crossEntropy', maxGradNorm: 1, noiseMultiplier: 1 }).gradients;
  expect(tf.memory().numTensors - cnnBefore).toBe(cnnGradients.length);
  tf.dispose([images, ...cnnGradients]);
  /** A layer with a parameter of its own that DP-SGD has no per-example rule for. */
  class Scale extends sy.nn.Module {
    constructor() {
      super();
      this.registerParameter('scale', sy.tensor([2]));
    }
    forward<A extends sy.nn.Activation>(h: A): A {
      return h.mul(this.parameter('scale')) as A;
    }
    spec(): sy.nn.ModuleSpec {
      return { kind: 'op', name: 'relu' };
    }
    protected clone(): this {
      return new Scale() as this;
    }
  }
  expect(() => dpSgdGradients(sy.nn.sequential(sy.nn.linear(3, 2), new Scale()), x, y, { loss: 'mse', maxGradNorm: 1, noiseMultiplier: 1 })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/Scale has parameters/) }),
  );
  expect(() => dpSgdGradients(model, x, y, { loss: 'mse', maxGradNorm: 0, noiseMultiplier: 1 })).toThrow(/maxGradNorm/);
  expect(() => dpSgdGradients(sy.nn.sequential(sy.nn.linear(3, 2)), tf.zeros([5, 1, 3]), y, { loss: 'mse', maxGradNorm: 1, noiseMultiplier: 1 })).toThrow(/flatten/);
  x.dispose();
  y.dispose();
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

describe('training noise (src/dp/training-noise.ts)', () => {
  const Phi = (t: number) => Math.exp(logNdtr(t));
  /** Kolmogorov–Smirnov distance between the samples and N(0, sd²). */
  const ksDistance = (samples: ArrayLike<number>, sd: number) => {
    const sorted = Float64Array.from(samples).sort();
    let d = 0;
    for (let i = 0; i < sorted.length; i++) {
      const F = Phi(sorted[i]! / sd);
      d = Math.max(d, F - i / sorted.length, (i + 1) / sorted.length - F);
    }
    return d;
  };
  /** The KS distance a correct sampler exceeds with probability p (the asymptotic bound 2·exp(-2nD²)). */
  const ksCritical = (n: number, p: number) => Math.sqrt(Math.log(2 / p) / (2 * n));
  const Z = 5.03; // a normal statistic beyond it either way: probability 5e-7

  test('the ziggurat: 200,000 standard normals pass Kolmogorov–Smirnov at p = 1e-6, and its tail beyond r = 3.654 is as frequent as the normal’s', () => {
    const n = 200_000;
    const z = standardNormals(n);
    expect(ksDistance(z, 1)).toBeLessThan(ksCritical(n, 1e-6));
    // Wrong spreads fail the same test (the test can fail).
    expect(ksDistance(z, 1.05)).toBeGreaterThan(ksCritical(n, 1e-6));
    const r = 3.6541528853610088;
    const expected = 2 * n * Phi(-r);
    const tail = z.filter((v) => Math.abs(v) > r).length;
    expect(Math.abs(tail - expected)).toBeLessThan(Z * Math.sqrt(expected));
    expect(z.filter((v) => Math.abs(v) > r + 0.5).length).toBeGreaterThan(0); // the tail sampler reaches past r
  });

  test('trainingNoise(n, σ): mean 0, variance σ², N(0, σ²) by Kolmogorov–Smirnov at p = 1e-6, and σ·1.1 or σ/1.1 fail it', () => {
    const [n, sigma] = [60_000, 1.7];
    const noise = trainingNoise(n, sigma);
    let [sum, squares] = [0, 0];
    for (const v of noise) [sum, squares] = [sum + v, squares + v * v];
    expect(Math.abs(sum / n)).toBeLessThan((Z * sigma) / Math.sqrt(n));
    // The sample variance of normals has standard error σ²·sqrt(2/n).
    expect(Math.abs(squares / n - sigma ** 2)).toBeLessThan(Z * sigma ** 2 * Math.sqrt(2 / n));
    const critical = ksCritical(n, 1e-6);
    expect(ksDistance(noise, sigma)).toBeLessThan(critical);
    for (const wrong of [sigma * 1.1, sigma / 1.1, sigma * 2]) expect(ksDistance(noise, wrong)).toBeGreaterThan(critical);
    expect(Array.from(trainingNoise(10, 0))).toEqual(Array(10).fill(0));
    expect(() => trainingNoise(10, -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test('draws only from crypto.randomFillSync, in bulk fills, and is a function of its bytes alone', () => {
    const fill = vi.mocked(randomFillSync);
    const random = vi.spyOn(Math, 'random');
    fill.mockClear();
    const n = NOISE_CHUNK + 904;
    const [a, b] = [trainingNoise(n, 1), trainingNoise(n, 1)];
    // Two words a normal, four normals an output: 32 bytes an output, one fill per chunk of outputs.
    const lengths = fill.mock.calls.map(([buffer]) => (buffer as ArrayBufferView).byteLength);
    expect(lengths.filter((l) => l === 32 * NOISE_CHUNK)).toHaveLength(2);
    expect(lengths.filter((l) => l === 32 * 904)).toHaveLength(2);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    // The same bytes give the same noise; zero bytes give zero (a point of layer 0 at 0): nothing else is random.
    // The patterns keep every draw in its layer's sure part (high bits 0, never the all-wedge top layer 255), so no
    // draw reaches the slow path's own pool.
    const pattern = (seed: number) => (buffer: unknown) => {
      const words = new Uint32Array((buffer as ArrayBufferView).buffer, (buffer as ArrayBufferView).byteOffset, (buffer as ArrayBufferView).byteLength / 4);
      for (let i = 0; i < words.length; i += 2) {
        words[i] = ((i * 7 + seed) % 255) | (((i >> 1) & 1) << 8);
        words[i + 1] = Math.imul(i + seed, 2654435761) >>> 0;
      }
      return buffer as never;
    };
    fill.mockImplementationOnce(pattern(1)).mockImplementationOnce(pattern(1)).mockImplementationOnce(pattern(2));
    const [c, d, e] = [trainingNoise(64, 1), trainingNoise(64, 1), trainingNoise(64, 1)];
    expect(Array.from(c)).toEqual(Array.from(d));
    expect(Array.from(c)).not.toEqual(Array.from(e));
    fill.mockImplementationOnce((buffer) => {
      new Uint8Array((buffer as ArrayBufferView).buffer, (buffer as ArrayBufferView).byteOffset, (buffer as ArrayBufferView).byteLength).fill(0);
      return buffer as never;
    });
    expect(Array.from(trainingNoise(16, 3))).toEqual(Array(16).fill(0));
    expect(random).not.toHaveBeenCalled();
    random.mockRestore();
  });
});
