/**
 * One DP-SGD step against one plain SGD step of the same model and batch
 * size, in the same run: an MLP 784-128-10 and a small CNN (example 06's),
 * batch 256. Issue 15's goal: DP-SGD at most 1.3x a plain step.
 *
 * - plain: a batch of 256 rows copied out of the data, tf.valueAndGrads of
 *   the mean cross-entropy, then p -= lr·g. Its matMul gradient is written
 *   with explicit transposes and its conv2d filter gradient as an im2col
 *   matMul, the gradients syft-ts's own autograd uses on wasm (tfjs's
 *   transposeA/B matMuls run ~10x slower there, and wasm has no
 *   Conv2DBackpropFilter kernel), and no gradient for the data: the fastest
 *   plain step at hand, so the ratio is not flattered by a slow baseline (the
 *   CNN's first conv still computes its input's gradient, a conv2dTranspose
 *   of the size of its forward).
 * - DP: a Poisson sample (rate 256/N, from the CSPRNG), the same row copy,
 *   sy.dp.dpSgdGradients (per-example norms, clipping, the Gaussian noise
 *   σ·C on every parameter, division by the expected batch size), the same
 *   update. Also without noise (σ = 0), to show what clipping alone costs.
 * Also: the training noise alone (ns per sample) and the RDP accountant's
 * getEpsilon (what dpSgdTrain calls after every epoch).
 *
 *   npm run build && npx tsx bench/dp.ts
 */
import * as tf from '@tensorflow/tfjs-core';
// The built package: benchmarks measure what users run, not the tsx development transform.
import * as sy from '../dist/src/index.js';
import { conv2dPortableGradient } from '../dist/src/autograd/conv2d-gradient.js';
import { trainingNoise } from '../dist/src/dp/training-noise.js';
import { explicitTransposeMatMul } from './explicit-transpose-matmul.js';
import { median, printRatios, printTable, type Ratio, type Row, saveResults, timeMedian } from './stats.js';

const BATCH = 256;
/** Rows the batches are drawn from: q = 256/8192 = 1/32, about MNIST-in-the-examples' rate. */
const N = 8192;
/** Steps per timed run: the CNN's steps take ~10x the MLP's. */
const STEPS = { mlp: 10, cnn: 2 } as const;
const REPEATS = 5;
const LR = 0.1;
const SIGMA = 1.1;
const CLIP = 1;

/**
 * Median ms per step of each variant over REPEATS runs of `steps` steps,
 * after 3 warm-up steps each. The variants take turns within every repeat,
 * so a load that comes and goes on a shared machine falls on all of them.
 */
function perStep<K extends string>(steps: number, variants: Record<K, () => void>): Record<K, number> {
  const names = Object.keys(variants) as K[];
  for (const name of names) for (let i = 0; i < 3; i++) variants[name]();
  const times = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let r = 0; r < REPEATS; r++) {
    for (const name of names) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) variants[name]();
      times.get(name)!.push((performance.now() - t0) / steps);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times.get(name)!)])) as Record<K, number>;
}

interface Data {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly shape: readonly number[];
}

function data(shape: readonly number[]): Data {
  const width = shape.reduce((a, b) => a * b, 1);
  const x = tf.tidy(() => tf.randomUniform([N * width]).dataSync() as Float32Array);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([N], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32').dataSync() as Float32Array);
  return { x, y, shape };
}

/** The rows' images and labels as tensors: the copy both steps make (on wasm, tf.gather copies the whole source first). */
function rowsOf(d: Data, rows: readonly number[]): [tf.Tensor, tf.Tensor] {
  const width = d.shape.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(rows.length * width);
  const ys = new Float32Array(rows.length * 10);
  rows.forEach((row, i) => {
    xs.set(d.x.subarray(row * width, (row + 1) * width), i * width);
    ys.set(d.y.subarray(row * 10, (row + 1) * 10), i * 10);
  });
  return [tf.tensor(xs, [rows.length, ...d.shape]), tf.tensor2d(ys, [rows.length, 10])];
}

/**
 * x·w whose gradient is only w's (xᵀ·dy, explicit transpose): the data
 * needs none, and customGrad computes every gradient it returns, so the
 * first layer's 256x128x784 product for x is left out of the baseline.
 */
const inputMatMul = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => [tf.zerosLike(sx!), tf.matMul(tf.transpose(sx as tf.Tensor2D), dy as tf.Tensor2D)],
  };
  // customGrad's typing passes inputs and `save` as one rest parameter.
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** The model's forward on plain tensors, with wasm-fast gradients for its linear and conv2d layers. */
function plainForward(model: sy.nn.Sequential, x: tf.Tensor, params: readonly tf.Tensor[]): tf.Tensor {
  let h = x;
  let k = 0;
  for (const layer of model.layers) {
    if (layer instanceof sy.nn.Linear) {
      const matMul = h === x ? inputMatMul : explicitTransposeMatMul;
      h = tf.add(matMul(h as tf.Tensor2D, params[k] as tf.Tensor2D), params[k + 1]!);
      k += 2;
    } else if (layer instanceof sy.nn.Conv2d) {
      h = tf.add(conv2dPortableGradient(h as tf.Tensor4D, params[k] as tf.Tensor4D, layer.stride, layer.padding), params[k + 1]!);
      k += 2;
    } else {
      h = sy.noGrad(() => (layer.forward(sy.tensor(h)) as sy.SyftTensor).tensor);
    }
  }
  return h;
}

function update(params: readonly sy.SyftTensor[], gradients: readonly tf.Tensor[]): void {
  sy.noGrad(() =>
    params.forEach((p, k) => {
      const step = tf.mul(gradients[k]!, LR);
      p.subInPlace(step);
      step.dispose();
    }),
  );
}

interface Measured {
  readonly plain: number;
  readonly dp: number;
  readonly clipOnly: number;
  readonly parameters: number;
}

function measure(model: sy.nn.Sequential, d: Data, steps: number): Measured {
  const params = model.parameters() as sy.SyftTensor[];
  const order = new sy.federated.SeededRandom(3);
  const plainStep = () => {
    const rows = order.permutation(N).slice(0, BATCH);
    const [x, y] = rowsOf(d, rows);
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => tf.losses.softmaxCrossEntropy(y, plainForward(model, x, ps)) as tf.Scalar)(params.map((p) => p.tensor));
    update(params, grads);
    value.dataSync();
    tf.dispose([x, y, value, ...grads]);
  };
  const dpStep = (noiseMultiplier: number) => () => {
    const [x, y] = rowsOf(d, sy.dp.poissonSample(N, BATCH / N));
    const { gradients } = sy.dp.dpSgdGradients(model, x, y, { loss: 'crossEntropy', maxGradNorm: CLIP, noiseMultiplier, expectedBatchSize: BATCH });
    update(params, gradients);
    tf.dispose([x, y, ...gradients]);
  };
  const { plain, dp, clipOnly } = perStep(steps, { plain: plainStep, dp: dpStep(SIGMA), clipOnly: dpStep(0) });
  return { plain, dp, clipOnly, parameters: params.reduce((n, p) => n + p.tensor.size, 0) };
}

export async function run(): Promise<void> {
  const hook = await sy.hook(tf);
  const mlp = measure(sy.nn.sequential(sy.nn.linear(784, 128), sy.nn.relu(), sy.nn.linear(128, 10)), data([784]), STEPS.mlp);
  const cnn = measure(
    sy.nn.sequential(
      sy.nn.conv2d(1, 8, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
      sy.nn.conv2d(8, 16, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
      sy.nn.flatten(256), sy.nn.linear(256, 64), sy.nn.relu(), sy.nn.linear(64, 10),
    ),
    data([28, 28, 1]),
    STEPS.cnn,
  );

  const samples = mlp.parameters;
  const noiseMs = await timeMedian(() => trainingNoise(samples, SIGMA * CLIP), { warmup: 3, repeats: 11 });
  const q = BATCH / 60_000;
  const accountant = new sy.dp.RdpAccountant().step({ noiseMultiplier: SIGMA, sampleRate: q }, 60 * Math.round(1 / q));
  const epsilonMs = await timeMedian(() => accountant.getEpsilon(1e-5), { warmup: 3, repeats: 11 });

  const rows: Row[] = [
    { name: `MLP 784-128-10 (${mlp.parameters} parameters): plain step`, value: mlp.plain, unit: 'ms/step' },
    { name: `MLP: DP-SGD step (σ ${SIGMA}, C ${CLIP}, Poisson sample)`, value: mlp.dp, unit: 'ms/step' },
    { name: 'MLP: DP-SGD step without noise (clipping only)', value: mlp.clipOnly, unit: 'ms/step' },
    { name: `CNN conv5x5(8)-pool-conv5x5(16)-pool-64-10 (${cnn.parameters} parameters): plain step`, value: cnn.plain, unit: 'ms/step' },
    { name: 'CNN: DP-SGD step', value: cnn.dp, unit: 'ms/step' },
    { name: 'CNN: DP-SGD step without noise (clipping only)', value: cnn.clipOnly, unit: 'ms/step' },
    { name: `training noise alone (${samples} Gaussians from the CSPRNG)`, value: (noiseMs * 1e6) / samples, unit: 'ns/sample' },
    { name: `RDP accountant getEpsilon (σ ${SIGMA}, q 256/60000, 60 epochs)`, value: epsilonMs, unit: 'ms' },
  ];
  printTable(`bench/dp: DP-SGD against plain SGD, batch ${BATCH} of ${N} rows (backend ${hook.backend}; medians of ${REPEATS} runs of ${STEPS.mlp} MLP or ${STEPS.cnn} CNN steps)`, rows);
  const ratios: Ratio[] = [
    { name: 'MLP: DP-SGD step / plain step', value: mlp.dp / mlp.plain, target: 1.3, better: 'lower' },
    { name: 'MLP: DP-SGD step without noise / plain step', value: mlp.clipOnly / mlp.plain, better: 'lower' },
    { name: 'CNN: DP-SGD step / plain step', value: cnn.dp / cnn.plain, target: 1.3, better: 'lower' },
    { name: 'CNN: DP-SGD step without noise / plain step', value: cnn.clipOnly / cnn.plain, better: 'lower' },
  ];
  printRatios(ratios);
  saveResults('dp', { backend: hook.backend, batch: BATCH, rows, ratios });
  await hook.shutdown();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
