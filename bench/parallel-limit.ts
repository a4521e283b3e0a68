/**
 * The machine's own limit for running two trainings at once: two bare
 * worker_threads, no syft-ts, each training the same MLP with plain tfjs (the
 * explicit-transpose matMul gradient) on its own batch, timed one thread after
 * the other and both at once, in turns. On two idle cores the ratio is 0.5;
 * shared cores, memory bandwidth and caches put it higher, and a federated
 * round on two threads cannot beat it.
 */
import { Worker } from 'node:worker_threads';
import { median } from './stats.js';

/** Inline ESM source: tfjs, its wasm backend and tfjs's gradients, nothing of syft-ts's runtime. */
const TRAINER = (resolve: (specifier: string) => string) => `
import * as tf from ${JSON.stringify(resolve('@tensorflow/tfjs-core'))};
import ${JSON.stringify(resolve('@tensorflow/tfjs-backend-wasm'))};
import ${JSON.stringify(resolve('../dist/src/autograd/tfjs-gradients.generated.js'))};
import { parentPort } from 'node:worker_threads';
await tf.setBackend('wasm');
const matMul = tf.customGrad((a, b, save) => {
  save([a, b]);
  return { value: tf.matMul(a, b), gradFunc: (dy, [sa, sb]) => [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)] };
});
const x = tf.randomUniform([64, 784]);
const y = tf.cast(tf.oneHot(tf.randomUniform([64], 0, 10, 'int32'), 10), 'float32');
const [w1, b1, w2, b2] = [tf.randomUniform([784, 500], -0.04, 0.04), tf.zeros([500]), tf.randomUniform([500, 10], -0.04, 0.04), tf.zeros([10])].map((t) => tf.variable(t));
const sgd = tf.train.sgd(0.01);
parentPort.on('message', (steps) => {
  for (let i = 0; i < steps; i++) {
    const loss = sgd.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.add(matMul(tf.relu(tf.add(matMul(x, w1), b1)), w2), b2)), true);
    loss.dataSync();
    loss.dispose();
  }
  parentPort.postMessage(steps);
});
`;

/** Time of `steps` steps on both threads at once / on one thread after the other: medians over `repeats` turns. */
export async function twoThreadsAtOnce(steps = 40, repeats = 5): Promise<number> {
  // A data: module resolves nothing itself: every import is resolved here, to the files this package uses.
  const source = `data:text/javascript,${encodeURIComponent(TRAINER((s) => import.meta.resolve(s)))}`;
  const threads = [0, 1].map(() => new Worker(new URL(source)));
  // One pending request per thread; an error or exit fails it rather than leaving the bench waiting.
  const pending = new Map<Worker, { resolve: () => void; reject: (e: Error) => void }>();
  for (const w of threads) {
    w.on('message', () => pending.get(w)?.resolve());
    w.on('error', (e) => pending.get(w)?.reject(e));
    w.on('exit', () => pending.get(w)?.reject(new Error('a bench thread exited')));
  }
  const train = (w: Worker, n: number) =>
    new Promise<void>((resolve, reject) => {
      pending.set(w, { resolve, reject });
      w.postMessage(n);
    });
  try {
    await Promise.all(threads.map((w) => train(w, 3)));
    const ratios: number[] = [];
    for (let r = 0; r < repeats; r++) {
      let t0 = performance.now();
      for (const w of threads) await train(w, steps);
      const apart = performance.now() - t0;
      t0 = performance.now();
      await Promise.all(threads.map((w) => train(w, steps)));
      ratios.push((performance.now() - t0) / apart);
    }
    return median(ratios);
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}
