/**
 * The same model (MNIST's MLP 784-500-10, SGD lr 0.01, batch 64), data
 * (8,000 MNIST digits) and epochs, trained three ways in one run: centrally
 * with plain tfjs in this thread, federated over two workers one after
 * another, and federated over two workers on two threads at once. Also: time
 * and memory to start 653 virtual workers.
 *
 *   npm run build && npx tsx --expose-gc bench/federated.ts
 */
import * as tf from '@tensorflow/tfjs-core';
// The built package: benchmarks measure what users run.
import * as sy from '../dist/src/index.js';
import { explicitTransposeMatMul } from './explicit-transpose-matmul.js';
import { twoThreadsAtOnce } from './parallel-limit.js';
import { median, printRatios, printTable, type Ratio, type Row, saveResults } from './stats.js';

const EPOCHS = 2;
const BATCH = 64;
const LR = 0.01;
const REPEATS = 3;

/** Plain tfjs, as a user writes it (optimizer.minimize over batches built from typed-array views). */
function trainCentrally(images: tf.Tensor2D, labels: tf.Tensor2D, matMul: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D): void {
  const w1 = tf.variable(tf.randomUniform([784, 500], -0.04, 0.04) as tf.Tensor2D);
  const b1 = tf.variable(tf.zeros([500]));
  const w2 = tf.variable(tf.randomUniform([500, 10], -0.04, 0.04) as tf.Tensor2D);
  const b2 = tf.variable(tf.zeros([10]));
  const sgd = tf.train.sgd(LR);
  const [xs, ys] = [images.dataSync(), labels.dataSync()];
  const rows = images.shape[0];
  for (let e = 0; e < EPOCHS; e++) {
    for (let start = 0; start < rows; start += BATCH) {
      const n = Math.min(BATCH, rows - start);
      const x = tf.tensor2d(xs.subarray(start * 784, (start + n) * 784), [n, 784]);
      const y = tf.tensor2d(ys.subarray(start * 10, (start + n) * 10), [n, 10]);
      const loss = sgd.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.add(matMul(tf.relu(tf.add(matMul(x, w1), b1)), w2), b2)) as tf.Scalar, true);
      loss!.dataSync();
      tf.dispose([x, y, loss!]);
    }
  }
  tf.dispose([w1, b1, w2, b2]);
  sgd.dispose();
}

async function timed(fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

export async function run(): Promise<void> {
  const hook = await sy.hook(tf);
  const { train } = await sy.datasets.mnist();
  const images = train.images as tf.Tensor2D;
  const labels = train.labels as tf.Tensor2D;

  const central = await timed(() => trainCentrally(images, labels, (a, b) => tf.matMul(a, b)));
  const centralFair = await timed(() => trainCentrally(images, labels, explicitTransposeMatMul));

  const workers = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });
  const fd = sy.federate(new sy.BaseDataset(images, labels), workers, { partition: 'iid', seed: 1 });
  const federated = (concurrency: number) => async () => {
    const model = sy.nn.sequential(sy.nn.linear(784, 500), sy.nn.relu(), sy.nn.linear(500, 10));
    const { model: trained } = await sy.federated.fedAvg(model, fd, {
      rounds: EPOCHS,
      localEpochs: 1,
      batchSize: BATCH,
      loss: 'crossEntropy',
      optimizer: { kind: 'sgd', lr: LR },
      concurrency,
    });
    for (const p of trained.parameters()) p.dispose();
  };
  await federated(2)(); // warm-up: threads, wasm, and the first compile of every kernel
  const sequential = await timed(federated(1));
  const concurrent = await timed(federated(2));
  fd.dispose();
  await hook.shutdown();
  // What two threads at once can give on this machine now: federated concurrency cannot do better.
  const limit = await twoThreadsAtOnce();

  // 653 data owners (the credit example): time and memory to start them, many actors per thread.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const big = await sy.hook(tf);
  await big.virtualWorkers(Array.from({ length: 653 }, (_, i) => `applicant${i}`));
  const startSeconds = (performance.now() - t0) / 1000;
  const startMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  await big.shutdown();

  const rows: Row[] = [
    { name: `central, plain tfjs (optimizer.minimize), ${EPOCHS} epochs`, value: central, unit: 's' },
    { name: 'central, plain tfjs with explicit-transpose matMul gradient', value: centralFair, unit: 's' },
    { name: 'federated, 2 workers one after another', value: sequential, unit: 's' },
    { name: 'federated, 2 workers at once on 2 threads', value: concurrent, unit: 's' },
    { name: 'two bare threads of plain tfjs at once / one after the other (the machine now)', value: limit, unit: 'x' },
    { name: 'start 653 virtual workers (default threads)', value: startSeconds, unit: 's' },
    { name: 'memory to start 653 virtual workers (rss)', value: startMb, unit: 'MB' },
  ];
  printTable(`bench/federated: MNIST ${images.shape[0]} samples, MLP 784-500-10, SGD lr ${LR}, batch ${BATCH} (backend ${hook.backend}; medians of ${REPEATS})`, rows);
  const ratios: Ratio[] = [
    { name: 'federated sequential / central', value: sequential / central, target: 1.1, better: 'lower' },
    { name: 'federated concurrent / central', value: concurrent / central, target: 0.65, better: 'lower' },
    { name: 'federated sequential / central with the same matMul gradient', value: sequential / centralFair, better: 'lower' },
    { name: 'federated concurrent / central with the same matMul gradient', value: concurrent / centralFair, target: 0.6, better: 'lower' },
    { name: 'federated concurrent / sequential, against the machine limit just measured', value: concurrent / sequential / limit, better: 'lower' },
    { name: 'start 653 workers, seconds', value: startSeconds, target: 5, better: 'lower' },
    { name: 'start 653 workers, MB', value: startMb, target: 2048, better: 'lower' },
  ];
  printRatios(ratios);
  saveResults('federated', { backend: hook.backend, rows, ratios });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
