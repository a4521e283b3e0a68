/**
 * Remote-op throughput and get() latency, against the same work done locally
 * and a raw MessagePort in the same run.
 *
 *   npx tsx bench/ops.ts
 */
import * as tf from '@tensorflow/tfjs-core';
// The built package: benchmarks measure what users run, not the tsx development transform.
import * as sy from '../dist/src/index.js';
import { EchoWorker } from './echo-worker.js';
import { median, printRatios, printTable, type Row, saveResults, timeMedian } from './stats.js';

const OPS = 20_000;
const PINGS = 2_000;
const MESSAGES = 50_000;
const GETS = 300;

export async function run(): Promise<void> {
  const hook = await sy.hook(tf);
  const bob = await hook.virtualWorker('bob');
  const echo = new EchoWorker();
  const rows: Row[] = [];

  // (a) the raw MessagePort: round trip and one-way throughput
  await echo.roundTrip({ warm: true });
  const rtMs = await timeMedian(async () => {
    for (let i = 0; i < PINGS; i++) await echo.roundTrip({ i });
  });
  const rawRoundTrip = (rtMs / PINGS) * 1000;
  const sendMs = await timeMedian(async () => {
    const done = echo.next();
    for (let i = 0; i < MESSAGES; i++) echo.worker.postMessage({ count: i, last: i === MESSAGES - 1 });
    await done;
  }, { warmup: 1, repeats: 5 });
  rows.push({ name: 'raw MessagePort round trip', value: rawRoundTrip, unit: 'µs' });
  rows.push({ name: 'raw MessagePort one-way', value: MESSAGES / (sendMs / 1000), unit: 'msg/s' });

  // (b) the op done locally on tfjs: add two 5-element tensors, dispose the result
  const a = tf.tensor([1, 2, 3, 4, 5]);
  const b = tf.tensor([5, 4, 3, 2, 1]);
  const localMs = await timeMedian(() => {
    for (let i = 0; i < OPS; i++) tf.add(a, b).dispose();
  });
  const localRate = OPS / (localMs / 1000);
  rows.push({ name: `local tf.add (5 elements), ${OPS} ops`, value: localRate, unit: 'ops/s' });

  // (c) the same op on pointers, pipelined; timed until the last result is read back
  const pa = a.send(bob);
  const pb = b.send(bob);
  const remoteMs = await timeMedian(async () => {
    for (let i = 0; i < OPS - 1; i++) pa.add(pb).dispose();
    await pa.add(pb).get();
  });
  const remoteRate = OPS / (remoteMs / 1000);
  rows.push({ name: `remote add, pipelined, ${OPS} ops`, value: remoteRate, unit: 'ops/s' });

  // (c') the same on two workers on two threads at once, OPS ops each: the total rate
  const [carol, dave] = await hook.virtualWorkers(['carol', 'dave'], { threads: 2 });
  const pairs = [carol, dave].map((w) => [a.send(w), b.send(w)] as const);
  const bothMs = await timeMedian(async () => {
    await Promise.all(
      pairs.map(async ([x, y]) => {
        for (let i = 0; i < OPS - 1; i++) x.add(y).dispose();
        await x.add(y).get();
      }),
    );
  });
  const bothRate = (2 * OPS) / (bothMs / 1000);
  rows.push({ name: `remote add, pipelined, 2 workers on 2 threads at once, ${OPS} ops each`, value: bothRate, unit: 'ops/s' });
  for (const p of pairs.flat()) p.dispose();

  // (d) get() of a stored 5-element tensor, interleaved with raw round trips so
  // that both see the same machine load; and objects()
  const getTimes: number[] = [];
  const pingTimes: number[] = [];
  for (let i = 0; i < GETS + 20; i++) {
    const p = a.send(bob);
    await hook.settle(); // the store command is done: only the get is timed
    let t0 = performance.now();
    await echo.roundTrip({ i });
    const ping = (performance.now() - t0) * 1000;
    t0 = performance.now();
    await p.get();
    if (i >= 20) {
      getTimes.push((performance.now() - t0) * 1000);
      pingTimes.push(ping);
    }
  }
  const getLatency = median(getTimes);
  const interleavedRoundTrip = median(pingTimes);
  rows.push({ name: 'get() of 5 elements', value: getLatency, unit: 'µs' });
  rows.push({ name: 'raw round trip, interleaved with the gets', value: interleavedRoundTrip, unit: 'µs' });
  const objectsMs = await timeMedian(() => bob.objects(), { warmup: 20, repeats: 200 });
  rows.push({ name: 'objects() (settles every worker first)', value: objectsMs * 1000, unit: 'µs' });

  // (e) payload size: get() against its floor, measured in turns with it: one copy out of the holder's
  // wasm heap (dataSync of a tensor that size, here) plus a raw transfer of the same buffer there and back.
  // What a get() adds above the floor is the copy into this thread's heap (a tf.Tensor lives there) and the
  // runtime's own work.
  const sizes: Record<string, { raw: number; floor: number }> = {};
  for (const mb of [1, 16]) {
    const elements = (mb * 1024 * 1024) / 4;
    const big = tf.randomUniform([elements]);
    const [raws, copies, gets]: [number[], number[], number[]] = [[], [], []];
    for (let i = 0; i < 13; i++) {
      const buffer = new ArrayBuffer(elements * 4);
      let t0 = performance.now();
      await echo.roundTrip({ buffer }, [buffer]);
      const raw = performance.now() - t0;
      t0 = performance.now();
      big.dataSync();
      const copy = performance.now() - t0;
      const p = big.send(bob);
      await hook.settle();
      t0 = performance.now();
      (await p.get()).dispose();
      if (i < 2) continue;
      raws.push(raw);
      copies.push(copy);
      gets.push(performance.now() - t0);
    }
    big.dispose();
    const [raw, copy, get] = [median(raws), median(copies), median(gets)];
    sizes[`${mb}MB`] = { raw: get / raw, floor: get / (copy + raw) };
    rows.push({ name: `raw transfer round trip, ${mb} MB`, value: raw, unit: 'ms' });
    rows.push({ name: `copy out of the wasm heap (dataSync), ${mb} MB`, value: copy, unit: 'ms' });
    rows.push({ name: `get() of ${mb} MB`, value: get, unit: 'ms' });
  }

  printTable(`bench/ops: remote ops and get() against local tfjs and a raw MessagePort (backend ${hook.backend}; medians)`, rows);
  const ratios = [
    { name: 'remote-op rate / local-op rate', value: remoteRate / localRate, target: 0.7, better: 'higher' as const },
    { name: '2 workers at once, total rate / local-op rate', value: bothRate / localRate, target: 1.2, better: 'higher' as const },
    { name: 'get() latency / raw round trip (interleaved)', value: getLatency / interleavedRoundTrip, target: 1.3, better: 'lower' as const },
    { name: 'get() / floor (copy out of the heap + raw transfer), 1 MB', value: sizes['1MB']!.floor, target: 3, better: 'lower' as const },
    { name: 'get() / floor (copy out of the heap + raw transfer), 16 MB', value: sizes['16MB']!.floor, target: 3, better: 'lower' as const },
    { name: 'get() / raw transfer, 1 MB', value: sizes['1MB']!.raw, better: 'lower' as const },
    { name: 'get() / raw transfer, 16 MB', value: sizes['16MB']!.raw, better: 'lower' as const },
  ];
  printRatios(ratios);
  saveResults('ops', { backend: hook.backend, rows, ratios });
  await echo.terminate();
  await hook.shutdown();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
