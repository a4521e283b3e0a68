/**
 * Moving a tensor from bob to alice (worker to worker, over their direct
 * channel) against a raw transfer between two bare threads, in the same run.
 *
 *   npx tsx bench/moves.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { MessageChannel, Worker } from 'node:worker_threads';
// The built package: benchmarks measure what users run, not the tsx development transform.
import * as sy from '../dist/src/index.js';
import { median, printRatios, printTable, type Ratio, type Row, saveResults } from './stats.js';

/** Thread A receives a size, allocates a buffer and transfers it to thread B, which acks to the main thread. */
const SENDER = `
const { parentPort } = require('node:worker_threads');
let peer;
parentPort.on('message', (m) => {
  if (m.port) { peer = m.port; return; }
  const buffer = new ArrayBuffer(m.bytes);
  peer.postMessage({ buffer }, [buffer]);
});`;
const RECEIVER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.port) { m.port.on('message', (d) => parentPort.postMessage(d.buffer.byteLength)); return; }
});`;

const REPEATS = 15;

export async function run(): Promise<void> {
  const hook = await sy.hook(tf);
  const [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });
  const sender = new Worker(SENDER, { eval: true });
  const receiver = new Worker(RECEIVER, { eval: true });
  const { port1, port2 } = new MessageChannel();
  sender.postMessage({ port: port1 }, [port1]);
  receiver.postMessage({ port: port2 }, [port2]);

  const rows: Row[] = [];
  const ratios: Ratio[] = [];
  for (const mb of [1, 16]) {
    const bytes = mb * 1024 * 1024;
    const raw: number[] = [];
    for (let i = 0; i < REPEATS + 3; i++) {
      const t0 = performance.now();
      const acked = new Promise((resolve) => receiver.once('message', resolve));
      sender.postMessage({ bytes });
      await acked;
      if (i >= 3) raw.push(performance.now() - t0);
    }

    const big = tf.randomUniform([bytes / 4]);
    // The floor's other part: one copy of that size out of a wasm heap (dataSync, here).
    const copies: number[] = [];
    for (let i = 0; i < REPEATS + 3; i++) {
      const t0 = performance.now();
      big.dataSync();
      if (i >= 3) copies.push(performance.now() - t0);
    }
    const moves: number[] = [];
    let throughMain = 0;
    for (let i = 0; i < REPEATS + 3; i++) {
      const p = big.send(bob);
      await hook.settle();
      const before = hook.transportStats();
      const t0 = performance.now();
      p.move(alice);
      await hook.settle(); // the data is at alice, and alice confirmed it
      const elapsed = performance.now() - t0;
      const after = hook.transportStats();
      throughMain += after.tensorBytesIn - before.tensorBytesIn + after.tensorBytesOut - before.tensorBytesOut;
      if (i >= 3) moves.push(elapsed);
      p.dispose();
    }
    big.dispose();
    const [rawMs, copyMs, moveMs] = [median(raw), median(copies), median(moves)];
    rows.push({ name: `raw thread-to-thread transfer, ${mb} MB`, value: rawMs, unit: 'ms' });
    rows.push({ name: `copy out of the wasm heap (dataSync), ${mb} MB`, value: copyMs, unit: 'ms' });
    rows.push({ name: `move bob -> alice, ${mb} MB`, value: moveMs, unit: 'ms' });
    rows.push({ name: `tensor bytes through the main thread during ${mb} MB moves`, value: throughMain, unit: 'B' });
    ratios.push({ name: `move / floor (copy out of the heap + raw transfer), ${mb} MB`, value: moveMs / (copyMs + rawMs), ...(mb === 1 ? { target: 3 } : {}), better: 'lower' });
    ratios.push({ name: `move / raw transfer, ${mb} MB`, value: moveMs / rawMs, better: 'lower' });
  }
  printTable(`bench/moves: a tensor moved bob -> alice, worker to worker (backend ${hook.backend}; medians of ${REPEATS})`, rows);
  printRatios(ratios);
  saveResults('moves', { backend: hook.backend, rows, ratios });
  await Promise.all([sender.terminate(), receiver.terminate(), hook.shutdown()]);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
