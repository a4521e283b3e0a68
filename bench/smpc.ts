/**
 * SMPC speed, every figure a median, every claim a ratio within this run:
 * - ring matMul 128 and 256: the WebAssembly i64 kernel vs BigInt arithmetic;
 * - 2-party private matMul 256 (fixed point, Beaver triple + truncation, shares
 *   at bob and alice, james dealing) vs plaintext float32 tf.matMul, end to
 *   end and online only (triples and masks dealt ahead);
 * - the protocol's local compute with BigInt-only arithmetic vs the kernel;
 * - element-wise private mul on 1M values vs plaintext tf.mul.
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

/** Deals every request ahead (offline phase); the timed run then only takes ids from the queue. */
class PreDealt implements sy.smpc.TripleProvider {
  readonly #queue: number[][] = [];
  constructor(readonly dealer: sy.smpc.TrustedDealer) {}
  get id(): string {
    return `${this.dealer.id} (dealt ahead)`;
  }
  prepare(requests: readonly sy.smpc.DealRequest[], parties: readonly sy.VirtualWorker[]): void {
    for (const r of requests) this.#queue.push(this.dealer.deal(r, parties));
  }
  deal(request: sy.smpc.DealRequest, parties: readonly sy.VirtualWorker[]): number[] {
    return this.#queue.shift() ?? this.dealer.deal(request, parties);
  }
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
  const ahead = new PreDealt(dealer);
  const [xo, yo] = [sy.fixPrecision(xf).share(bob, alice, { cryptoProvider: ahead }), sy.fixPrecision(yf).share(bob, alice, { cryptoProvider: ahead })];
  const onlineTimes: number[] = [];
  for (let r = 0; r < 9; r++) {
    ahead.prepare([{ kind: 'matMul', a: [N, N], b: [N, N] }, { kind: 'truncation', shape: [N, N], scale: 1n << 16n }], [bob, alice]);
    await Promise.all([bob, alice].map((w) => w.objects())); // the offline phase is over
    const t0 = performance.now();
    await xo.matMul(yo).get();
    if (r >= 2) onlineTimes.push(performance.now() - t0);
  }
  const online = median(onlineTimes);
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

  printTable(`bench/smpc: ring arithmetic and private products, 2 parties on 2 threads, dealer james (backend ${hook.backend}; medians)`, rows);
  const ratios = [
    { name: 'ring matMul 256: BigInt / wasm', value: results['ring matMul 256 BigInt']! / results['ring matMul 256 wasm']!, target: 5, better: 'higher' as const },
    { name: 'private matMul 256 end to end / plaintext', value: endToEnd / plain, target: 15, better: 'lower' as const },
    { name: 'private matMul 256 online only / plaintext', value: online / plain, target: 15, better: 'lower' as const },
    { name: 'protocol local compute: BigInt only / wasm kernel', value: computeBigInt / computeWasm, target: 5, better: 'higher' as const },
    { name: 'private mul 1M / plaintext tf.mul', value: privateMul / plainMul, better: 'lower' as const },
  ];
  printRatios(ratios);
  saveResults('smpc', { results, ratios });
  for (const t of [x, y, xo, yo, u, v]) t.dispose();
  await hook.shutdown();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
