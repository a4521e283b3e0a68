/**
 * One training step of an MLP 784-500-10 (batch 64, SGD lr 0.01), three ways
 * in the same run: plain tfjs in this thread (as a user writes it:
 * optimizer.minimize), the model at a worker driven op by op, and the model at
 * a worker trained k steps per message.
 *
 *   npm run build && npx tsx bench/training.ts
 */
import * as tf from '@tensorflow/tfjs-core';
// The built package: benchmarks measure what users run, not the tsx development transform.
import * as sy from '../dist/src/index.js';
import { explicitTransposeMatMul } from './explicit-transpose-matmul.js';
import { median, printRatios, printTable, type Ratio, type Row, saveResults } from './stats.js';

const BATCH = 64;
const STEPS = 30;
const REPEATS = 5;

function batch(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.randomUniform([BATCH, 784]) as tf.Tensor2D;
  const y = tf.cast(tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32') as tf.Tensor2D;
  return { x, y };
}

type Variant = (steps: number) => Promise<void> | void;

/**
 * Median ms per step of each variant over REPEATS runs of STEPS steps, after
 * a warm-up run. The variants take turns within each repeat: measured one
 * block after another, a ratio drifted by 20% with the machine's load.
 */
async function perStep<K extends string>(variants: Record<K, Variant>): Promise<Record<K, number>> {
  const entries = Object.entries(variants) as [K, Variant][];
  for (const [, run] of entries) await run(3);
  const times = new Map<K, number[]>(entries.map(([k]) => [k, []]));
  for (let r = 0; r < REPEATS; r++) {
    for (const [k, run] of entries) {
      const t0 = performance.now();
      await run(STEPS);
      times.get(k)!.push((performance.now() - t0) / STEPS);
    }
  }
  return Object.fromEntries(entries.map(([k]) => [k, median(times.get(k)!)])) as Record<K, number>;
}

export async function run(): Promise<void> {
  const hook = await sy.hook(tf);
  const bob = await hook.virtualWorker('bob');
  const { x, y } = batch();

  // (a) plain tfjs, in this thread
  const w1 = tf.variable(tf.randomUniform([784, 500], -0.04, 0.04) as tf.Tensor2D);
  const b1 = tf.variable(tf.zeros([500]));
  const w2 = tf.variable(tf.randomUniform([500, 10], -0.04, 0.04) as tf.Tensor2D);
  const b2 = tf.variable(tf.zeros([10]));
  const sgd = tf.train.sgd(0.01);
  const local: Variant = (steps) => {
    for (let i = 0; i < steps; i++) {
      const loss = sgd.minimize(
        () => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar,
        true,
      );
      loss!.dataSync();
      loss!.dispose();
    }
  };

  // (a') plain tfjs with the matMul gradient written with explicit transposes,
  // the same math the worker runs: the fair baseline on wasm.
  const localFast: Variant = (steps) => {
    for (let i = 0; i < steps; i++) {
      const loss = sgd.minimize(
        () => tf.losses.softmaxCrossEntropy(y, tf.add(explicitTransposeMatMul(tf.relu(tf.add(explicitTransposeMatMul(x, w1), b1)), w2), b2)) as tf.Scalar,
        true,
      );
      loss!.dataSync();
      loss!.dispose();
    }
  };

  // (b) the model at bob, op by op (forward, backward and step are each a few pipelined commands)
  const model = sy.nn.sequential(sy.nn.linear(784, 500), sy.nn.relu(), sy.nn.linear(500, 10)).send(bob);
  const opt = sy.optim.sgd(model.parameters(), { lr: 0.01 });
  const [px, py] = [sy.tensor(x).send(bob), sy.tensor(y).send(bob)];
  const opByOp: Variant = async (steps) => {
    let last: sy.PointerTensor<tf.Tensor> | undefined;
    for (let i = 0; i < steps; i++) {
      last = sy.tidy(() => {
        opt.zeroGrad();
        const loss = sy.nn.crossEntropy(model.forward(px), py);
        loss.backward();
        opt.step();
        return loss;
      }) as unknown as sy.PointerTensor<tf.Tensor>;
      if (i < steps - 1) last.dispose();
    }
    await last!.get();
  };

  // (c) the model at bob, all steps in one message
  const oneMessage: Variant = async (steps) => {
    await model.trainOn(px, py, { loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.01 }, steps });
  };
  const { local: plain, localFast: plainSameGradient, opByOp: driven, oneMessage: trained } = await perStep({ local, localFast, opByOp, oneMessage });

  const rows: Row[] = [
    { name: 'plain tfjs, this thread (optimizer.minimize)', value: plain, unit: 'ms/step' },
    { name: 'plain tfjs, this thread, explicit-transpose matMul gradient', value: plainSameGradient, unit: 'ms/step' },
    { name: 'model at a worker, op by op', value: driven, unit: 'ms/step' },
    { name: `model at a worker, ${STEPS} steps in one message`, value: trained, unit: 'ms/step' },
  ];
  printTable(`bench/training: MLP 784-500-10, batch ${BATCH}, SGD (backend ${hook.backend}; medians of ${REPEATS})`, rows);
  const ratios: Ratio[] = [
    { name: 'one-message remote / plain tfjs', value: trained / plain, target: 1.1, better: 'lower' },
    { name: 'one-message remote / plain tfjs with the same matMul gradient', value: trained / plainSameGradient, target: 1, better: 'lower' },
    { name: 'op-by-op remote / plain tfjs', value: driven / plain, better: 'lower' },
  ];
  printRatios(ratios);
  console.log(
    '  (plain tfjs differentiates matMul with transposeA/B, which the wasm backend runs ~10x slower;\n' +
      '   syft-ts replays matMul with explicit transposes: that is most of the difference on wasm)',
  );
  saveResults('training', { backend: hook.backend, rows, ratios });
  await hook.shutdown();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
