/**
 * SMPC speed, every figure a median, every claim a ratio within this run:
 * - ring matMul 128 and 256: the WebAssembly i64 kernel vs BigInt arithmetic;
 * - 2-party private matMul 256 (fixed point, Beaver triple + truncation, shares
 *   at bob and alice, james dealing) vs plaintext float32 tf.matMul, end to
 *   end and online only (triples and masks dealt ahead);
 * - the protocol's local compute with BigInt-only arithmetic vs the kernel;
 * - element-wise private mul on 1M values vs plaintext tf.mul;
 * - relu, greater, sigmoid, exp, reciprocal on 100x100 vs a private mul of the
 *   same size (CrypTen's benchmark), with their rounds and bytes per element;
 * - one encrypted training step and one encrypted inference batch of an MLP
 *   784-128-10 (relu, MSE, batch 64 MNIST digits), data and model shared, vs
 *   the same step in plaintext tfjs.
 *
 *   npm run build && npx tsx --expose-gc bench/smpc.ts
 */
import * as tf from '@tensorflow/tfjs-core';
// The built package: benchmarks measure what users run.
import * as sy from '../dist/src/index.js';
import { ringAdd, ringMatMul, ringSub, type RingTensor } from '../dist/src/core/ring/ring.js';
import { ringMatMulWasm } from '../dist/src/core/ring/ring-matmul-wasm.js';
import { randomRing } from '../dist/src/core/ring/additive-shares.js';
import { median, printRatios, printTable, type Row, saveResults, timeMedian } from './stats.js';

const random = (n: number, k: number): RingTensor => randomRing([n, k], n * k);

/**
 * The online phase alone: the step's deals are made ahead with
 * sy.smpc.preprocess (and delivered) before each timed run.
 */
async function onlineOnly(step: () => Promise<unknown>, repeats = 9): Promise<number> {
  const plan = await sy.smpc.costs(step);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    await sy.smpc.preprocess(plan.deals, { times: 1 });
    const t0 = performance.now();
    await step();
    if (r >= 2) times.push(performance.now() - t0);
  }
  return median(times);
}

export async function run(): Promise<void> {
  const hook = await sy.hook(tf);
  const [bob, alice, james] = await hook.virtualWorkers(['bob', 'alice', 'james'], { threads: 2 });
  const rows: Row[] = [];
  const results: Record<string, number> = {};
  const note = (name: string, value: number, unit: string) => {
    rows.push({ name, value, unit });
    results[name] = value;
  };

  // 1. Ring matMul kernels, in this thread.
  for (const n of [128, 256]) {
    const [a, b] = [random(n, n), random(n, n)];
    const wasm = await timeMedian(() => ringMatMulWasm(a, b), { warmup: 2, repeats: 7 });
    const big = await timeMedian(() => ringMatMul(a, b), { warmup: 1, repeats: n === 256 ? 3 : 5 });
    note(`ring matMul ${n} wasm`, wasm, `ms (${((wasm * 1e6) / n ** 3).toFixed(2)} ns/MAC)`);
    note(`ring matMul ${n} BigInt`, big, `ms (${((big * 1e6) / n ** 3).toFixed(2)} ns/MAC)`);
  }

  // 2. Private matMul 256 among bob and alice vs plaintext.
  const N = 256;
  const [xf, yf] = [tf.randomNormal([N, N]), tf.randomNormal([N, N])];
  const plain = await timeMedian(() => tf.matMul(xf, yf).dataSync(), { warmup: 3, repeats: 9 });
  note('plaintext tf.matMul 256 float32', plain, 'ms');
  const dealer = new sy.smpc.TrustedDealer(james);
  const x = sy.fixPrecision(xf).share(bob, alice, { cryptoProvider: dealer });
  const y = sy.fixPrecision(yf).share(bob, alice, { cryptoProvider: dealer });
  const endToEnd = await timeMedian(async () => (await x.matMul(y).get()).ring, { warmup: 2, repeats: 7 });
  note('private matMul 256, 2 parties, end to end', endToEnd, 'ms');
  const online = await onlineOnly(async () => (await x.matMul(y).get()).ring);
  note('private matMul 256, 2 parties, online only', online, 'ms');

  // 3. The protocol's local compute per party: masks, Beaver's combination, and the dealer's a·b.
  const [a, b, c, xs, ys] = [random(N, N), random(N, N), random(N, N), random(N, N), random(N, N)];
  const localCompute = (matMul: (p: RingTensor, q: RingTensor) => RingTensor) => () => {
    const e = ringSub(xs, a);
    const f = ringSub(ys, b);
    ringAdd(ringAdd(c, matMul(e, ringAdd(b, f))), matMul(a, f));
    matMul(a, b); // the dealer's product
  };
  const computeWasm = await timeMedian(localCompute(ringMatMulWasm), { warmup: 1, repeats: 5 });
  const computeBigInt = await timeMedian(localCompute(ringMatMul), { warmup: 0, repeats: 3 });
  note('protocol local compute 256, wasm kernel', computeWasm, 'ms');
  note('protocol local compute 256, BigInt only', computeBigInt, 'ms');

  // 4. Element-wise private mul on 1M values.
  const M = 1 << 20;
  const [uf, vf] = [tf.randomNormal([M]), tf.randomNormal([M])];
  const plainMul = await timeMedian(() => tf.mul(uf, vf).dataSync(), { warmup: 3, repeats: 9 });
  note('plaintext tf.mul 1M float32', plainMul, 'ms');
  const [u, v] = [sy.fixPrecision(uf).share(bob, alice, { cryptoProvider: dealer }), sy.fixPrecision(vf).share(bob, alice, { cryptoProvider: dealer })];
  const privateMul = await timeMedian(async () => (await u.mul(v).get()).ring, { warmup: 1, repeats: 5 });
  note('private mul 1M, 2 parties, end to end', privateMul, 'ms');

  // 5. Comparisons and approximations on 100x100, 2 parties, against a private mul of the same size (CrypTen's benchmark shape).
  const K = 100;
  const pf = tf.randomNormal([K, K]);
  const pos = tf.randomUniform([K, K], 0.5, 5);
  const [p, q, r] = [pf, tf.randomNormal([K, K]), pos].map((t) => sy.fixPrecision(t).share(bob, alice, { cryptoProvider: dealer }));
  const shared = (t: unknown) => t as sy.AdditiveSharingTensor;
  const mul100 = await timeMedian(async () => (await p!.mul(q!).get()).ring, { warmup: 2, repeats: 9 });
  note('private mul 100x100, 2 parties', mul100, 'ms');
  const nonlinear: Record<string, () => unknown> = {
    relu: () => sy.relu(p as never),
    greater: () => sy.greater(p as never, q as never),
    sigmoid: () => sy.sigmoid(p as never),
    exp: () => sy.exp(p as never),
    reciprocal: () => sy.reciprocal(r as never),
  };
  const perOp: Record<string, { time: number; rounds: number; bytes: number }> = {};
  for (const [name, f] of Object.entries(nonlinear)) {
    const time = await timeMedian(async () => (await shared(f()).get()).ring, { warmup: 1, repeats: 7 });
    const c = await sy.smpc.costs(async () => (await shared(f()).get()).ring);
    perOp[name] = { time, rounds: c.rounds, bytes: c.bytes };
    note(`${name} 100x100, 2 parties`, time, `ms (${c.rounds} rounds, ${(c.bytes / K / K).toFixed(0)} B/element)`);
  }
  const reluOnline = await onlineOnly(async () => (await shared(sy.relu(p as never)).get()).ring);
  const mulOnline = await onlineOnly(async () => (await p!.mul(q!).get()).ring);
  note('relu 100x100, online only', reluOnline, 'ms');
  note('private mul 100x100, online only', mulOnline, 'ms');

  // 6. An MLP 784-128-10 (relu, MSE), batch 64 of MNIST digits: one encrypted training step and one encrypted
  //    inference batch (data and model shared, 2 parties), each against the same step in plaintext tfjs.
  const { train: digits } = await sy.datasets.mnist();
  const B = 64;
  const images = tf.slice(digits.images as tf.Tensor2D, [0, 0], [B, 784]);
  const targets = tf.slice(digits.labels as tf.Tensor2D, [0, 0], [B, 10]);
  const mlp = sy.nn.sequential(sy.nn.linear(784, 128), sy.nn.relu(), sy.nn.linear(128, 10));
  // The plaintext baseline: the same weights as tf.variables, the same loss, tf.train.sgd (what a tfjs user writes).
  const [w1, b1, w2, b2] = mlp.parameters().map((p) => tf.variable((p as sy.SyftTensor).tensor.clone()));
  const plainForward = (x: tf.Tensor) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1!), b1!)), w2!), b2!);
  const plainOpt = tf.train.sgd(0.01);
  const plainStep = await timeMedian(() => plainOpt.minimize(() => tf.div(tf.sum(tf.square(tf.sub(plainForward(images), targets))), B) as tf.Scalar, true)!.dataSync(), { warmup: 3, repeats: 9 });
  const plainInfer = await timeMedian(() => tf.tidy(() => plainForward(images).dataSync()), { warmup: 3, repeats: 9 });
  note('MLP 784-128-10 training step, batch 64, plaintext tfjs', plainStep, 'ms');
  note('MLP 784-128-10 inference, batch 64, plaintext tfjs', plainInfer, 'ms');
  const sharedMlp = mlp.fixPrecision().share(bob, alice, { cryptoProvider: dealer, requiresGrad: true });
  const opt = sy.optim.sgd(sharedMlp.parameters(), { lr: 0.01 });
  const [xd, yd] = [images, targets].map((t) => sy.fixPrecision(t).share(bob, alice, { cryptoProvider: dealer }));
  const encryptedStep = async () => {
    const loss = sy.tidy(() => {
      opt.zeroGrad();
      const l = sharedMlp.forward(xd!).sub(yd!).pow(2).sum().div(B);
      l.backward();
      opt.step();
      return l;
    });
    return (await loss.get()).ring;
  };
  const trainStep = await timeMedian(encryptedStep, { warmup: 1, repeats: 5 });
  const stepCost = await sy.smpc.costs(encryptedStep);
  note('MLP training step, encrypted, 2 parties', trainStep, `ms (${stepCost.rounds} rounds, ${(stepCost.bytes / 2 ** 20).toFixed(1)} MiB)`);
  const encryptedInfer = async () => (await sy.noGrad(() => sharedMlp.forward(xd!)).get()).ring;
  const inferBatch = await timeMedian(encryptedInfer, { warmup: 1, repeats: 7 });
  note('MLP inference, encrypted, 2 parties', inferBatch, 'ms');
  const trainOnline = await onlineOnly(encryptedStep, 7);
  const inferOnline = await onlineOnly(encryptedInfer);
  note('MLP training step, encrypted, online only', trainOnline, 'ms');
  note('MLP inference, encrypted, online only', inferOnline, 'ms');

  printTable(`bench/smpc: ring arithmetic and private products, 2 parties on 2 threads, dealer james (backend ${hook.backend}; medians)`, rows);
  const ratios = [
    { name: 'ring matMul 256: BigInt / wasm', value: results['ring matMul 256 BigInt']! / results['ring matMul 256 wasm']!, target: 5, better: 'higher' as const },
    { name: 'private matMul 256 end to end / plaintext', value: endToEnd / plain, target: 20, better: 'lower' as const },
    { name: 'private matMul 256 online only / plaintext', value: online / plain, target: 12, better: 'lower' as const },
    { name: 'protocol local compute: BigInt only / wasm kernel', value: computeBigInt / computeWasm, target: 5, better: 'higher' as const },
    { name: 'private mul 1M / plaintext tf.mul', value: privateMul / plainMul, target: 15, better: 'lower' as const },
    { name: 'relu 100x100 / private mul 100x100 (CrypTen: 12x)', value: perOp['relu']!.time / mul100, target: 4, better: 'lower' as const },
    { name: 'relu / private mul, online only', value: reluOnline / mulOnline, better: 'lower' as const },
    { name: 'encrypted MLP training step / plaintext tfjs (CrypTen: 25x)', value: trainStep / plainStep, target: 15, better: 'lower' as const },
    { name: 'encrypted MLP inference / plaintext tfjs (CrypTen: 115x)', value: inferBatch / plainInfer, target: 50, better: 'lower' as const },
    { name: 'encrypted MLP training step, online only / plaintext', value: trainOnline / plainStep, better: 'lower' as const },
    { name: 'encrypted MLP inference, online only / plaintext', value: inferOnline / plainInfer, better: 'lower' as const },
    ...['greater', 'sigmoid', 'exp', 'reciprocal'].map((name) => ({ name: `${name} 100x100 / private mul 100x100`, value: perOp[name]!.time / mul100, better: 'lower' as const })),
  ];
  printRatios(ratios);
  saveResults('smpc', { results, ratios });
  for (const t of [x, y, u, v, p!, q!, r!, xd!, yd!]) t.dispose();
  await hook.shutdown();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
