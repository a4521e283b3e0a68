/**
 * Scale: a population of 100,000 virtual workers in one process, and a FedAvg
 * round over 10,000 one-sample clients sampled from them.
 *
 * - Start: seconds and resident memory (RSS, the actor threads included) for
 *   hook.virtualWorkers(100,000 ids) on the default threads, from a fresh hook.
 * - One FedAvg round: 10,000 workers drawn (seeded) from the 100,000, each
 *   holding one MNIST digit, each taking one local SGD step (batch 1) on a
 *   linear 784->10 model, then the weighted average. The baseline is the same
 *   10,000 samples trained centrally in plain tfjs with the same steps: 10,000
 *   SGD steps of one sample each (optimizer.minimize, as a user writes it).
 *   Sending the data to the clients is set-up, outside the timed round.
 *
 *   npx tsc -p tsconfig.build.json && npx tsx --expose-gc bench/scale.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// The built package: benchmarks measure what users run.
import * as sy from '../dist/src/index.js';
import { median, printRatios, printTable, type Ratio, type Row, saveResults } from './stats.js';

const POPULATION = Number(process.env.SCALE_POPULATION ?? 100_000);
const CLIENTS = Number(process.env.SCALE_CLIENTS ?? 10_000);
const LR = 0.05;
const REPEATS = 3;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/**
 * Seconds and RSS growth (MB) to start `POPULATION` workers on a fresh hook,
 * in a process of its own: a process that started a population before keeps
 * (and reuses) the memory, which would hide what a start costs.
 */
function startPopulationInChild(): { seconds: number; mb: number } {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, SCALE_START_ONLY: '1' },
    encoding: 'utf8',
    maxBuffer: 2 ** 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; mb: number };
}

/** Seconds and RSS growth (MB) to start `POPULATION` workers on a fresh hook; the hook is shut down after. */
async function startPopulation(): Promise<{ seconds: number; mb: number }> {
  // The backend and the package load once, outside the measurement.
  await (await sy.hook(tf)).shutdown();
  gc();
  const before = rssMb();
  const t0 = performance.now();
  const hook = await sy.hook(tf);
  const workers = await hook.virtualWorkers(Array.from({ length: POPULATION }, (_, i) => `client${i}`));
  const seconds = (performance.now() - t0) / 1000;
  gc();
  const mb = rssMb() - before;
  // Every worker is there and answers (the last one placed, at least).
  if (workers.length !== POPULATION || (await workers[POPULATION - 1]!.objects()).size !== 0) throw new Error('bench/scale: the population did not start');
  await hook.shutdown();
  return { seconds, mb };
}

/** Plain tfjs: one SGD step per sample, in order, on a linear 784->10 model. */
function trainCentrally(images: Float32Array, labels: Float32Array): void {
  const w = tf.variable(tf.zeros([784, 10]) as tf.Tensor2D);
  const b = tf.variable(tf.zeros([10]));
  const sgd = tf.train.sgd(LR);
  for (let i = 0; i < CLIENTS; i++) {
    const x = tf.tensor2d(images.subarray(i * 784, (i + 1) * 784), [1, 784]);
    const y = tf.tensor2d(labels.subarray(i * 10, (i + 1) * 10), [1, 10]);
    const loss = sgd.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar, true);
    loss!.dataSync();
    tf.dispose([x, y, loss!]);
  }
  tf.dispose([w, b]);
  sgd.dispose();
}

/** `k` of `items` without replacement, by a seeded partial Fisher-Yates (mulberry32): the same clients every run. */
function seededSample<T>(items: readonly T[], k: number, seed: number): T[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(next() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

async function timed(fn: () => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

export async function run(): Promise<void> {
  const starts: { seconds: number; mb: number }[] = [];
  for (let r = 0; r < REPEATS; r++) starts.push(startPopulationInChild());
  const startSeconds = median(starts.map((s) => s.seconds));
  const startMb = median(starts.map((s) => s.mb));

  const { train } = await sy.datasets.mnist();
  const images = tf.slice(train.images as tf.Tensor2D, [0, 0], [CLIENTS, 784]);
  const labels = tf.slice(train.labels as tf.Tensor2D, [0, 0], [CLIENTS, 10]);
  const [xs, ys] = [images.dataSync() as Float32Array, labels.dataSync() as Float32Array];
  trainCentrally(xs, ys); // warm-up: kernels compiled once
  const central = await timed(() => trainCentrally(xs, ys));

  const hook = await sy.hook(tf);
  const population = await hook.virtualWorkers(Array.from({ length: POPULATION }, (_, i) => `client${i}`));
  // The clients of the round: a seeded draw without replacement from the population.
  const sampled = seededSample(population, CLIENTS, 7);
  gc();
  const rssBeforeData = rssMb();
  const fd = sy.federate(new sy.BaseDataset(images, labels), sampled, { partition: 'even' });
  await fd.ready();
  await hook.settle();
  const dataMb = rssMb() - rssBeforeData;
  const round = async (): Promise<void> => {
    const model = sy.nn.linear(784, 10);
    const { model: trained } = await sy.federated.fedAvg(model, fd, {
      rounds: 1,
      localEpochs: 1,
      batchSize: 1,
      loss: 'crossEntropy',
      optimizer: { kind: 'sgd', lr: LR },
    });
    for (const p of trained.parameters()) p.dispose();
  };
  await round(); // warm-up: every client's actor made, kernels compiled at the threads
  const rounds = await timed(round);
  gc();
  const afterRoundsMb = rssMb() - rssBeforeData;
  fd.dispose();
  await hook.shutdown();
  tf.dispose([images, labels]);

  const fed = median(rounds);
  const centralTime = median(central);
  const rows: Row[] = [
    { name: `start ${POPULATION} virtual workers (default threads), seconds`, value: startSeconds, unit: 's' },
    { name: `start ${POPULATION} virtual workers, RSS growth`, value: startMb, unit: 'MB' },
    { name: `central, plain tfjs: ${CLIENTS} one-sample SGD steps, linear 784->10`, value: centralTime, unit: 's' },
    { name: `one FedAvg round over ${CLIENTS} one-sample clients of the ${POPULATION}`, value: fed, unit: 's' },
    { name: `RSS growth: ${CLIENTS} clients' data sent (set-up)`, value: dataMb, unit: 'MB' },
    { name: `RSS growth: after ${REPEATS + 1} rounds`, value: afterRoundsMb, unit: 'MB' },
  ];
  printTable(`bench/scale: ${POPULATION} workers; FedAvg over ${CLIENTS} of them, one MNIST sample each (backend ${hook.backend}; medians of ${REPEATS})`, rows);
  console.log(`  runs: start s ${starts.map((s) => s.seconds.toFixed(2)).join(', ')}; start MB ${starts.map((s) => s.mb.toFixed(0)).join(', ')}; ` +
    `central s ${central.map((t) => t.toFixed(2)).join(', ')}; round s ${rounds.map((t) => t.toFixed(2)).join(', ')}`);
  const ratios: Ratio[] = [
    { name: `start ${POPULATION} workers, seconds`, value: startSeconds, target: 5, better: 'lower' },
    { name: `start ${POPULATION} workers, MB`, value: startMb, target: 1536, better: 'lower' },
    { name: `FedAvg round over ${CLIENTS} one-sample clients / central`, value: fed / centralTime, target: 3, better: 'lower' },
  ];
  printRatios(ratios);
  saveResults('scale', { backend: hook.backend, population: POPULATION, clients: CLIENTS, rows, ratios });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env.SCALE_START_ONLY === '1') console.log(JSON.stringify(await startPopulation()));
  else await run();
}
