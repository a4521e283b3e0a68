/**
 * Workers in other processes (issue 16): get() latency and pipelined op rate
 * over loopback WebSocket and over NATS, and a 16 MB move between two worker
 * processes, each against a bare baseline measured in the same run: a raw
 * `ws` round trip, a raw NATS request, the thread transport's op rate, a raw
 * 16 MB WebSocket transfer between two processes.
 *
 *   npm run build && npx tsx --expose-gc bench/network.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { WebSocket } from 'ws';
import { connect } from '@nats-io/transport-node';
// The built package: benchmarks measure what users run, not the tsx development transform.
import * as sy from '../dist/src/index.js';
import { startNats } from '../examples/_nats.js';
import { median, printRatios, printTable, type Ratio, type Row, saveResults } from './stats.js';

const OPS = 10_000;
const GETS = 200;
const MB16 = 16 * 2 ** 20;

/** Starts bench/net-echo.ts in a child process; resolves with its port once it is ready. */
async function echoProcess(args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./net-echo.ts', import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (line: string) => {
      const m = /ready (\d+)/.exec(line);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo process exited with ${code}`)));
  });
  return { port, child };
}

/** Pipelined adds on two 5-element pointers at `worker`, until the last result is read: ops per second (median of 5). */
async function opRate(worker: sy.VirtualWorker): Promise<number> {
  const pa = tf.tensor([1, 2, 3, 4, 5]).send(worker);
  const pb = tf.tensor([5, 4, 3, 2, 1]).send(worker);
  const rates: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS - 1; i++) pa.add(pb).dispose();
    await pa.add(pb).get();
    if (r > 0) rates.push(OPS / ((performance.now() - t0) / 1000));
  }
  pa.dispose();
  pb.dispose();
  return median(rates);
}

/** get() of a stored 5-element tensor, each interleaved with one baseline round trip (both see the same load): µs medians. */
async function getLatency(hook: sy.Hook, worker: sy.VirtualWorker, baseline: () => Promise<unknown>): Promise<{ get: number; raw: number }> {
  const gets: number[] = [];
  const raws: number[] = [];
  const a = tf.tensor([1, 2, 3, 4, 5]);
  for (let i = 0; i < GETS + 20; i++) {
    const p = a.send(worker);
    await hook.settle();
    let t0 = performance.now();
    await baseline();
    const raw = (performance.now() - t0) * 1000;
    t0 = performance.now();
    await p.get();
    if (i >= 20) {
      gets.push((performance.now() - t0) * 1000);
      raws.push(raw);
    }
  }
  return { get: median(gets), raw: median(raws) };
}

/** A 16 MB move from `from` to `to`, timed until both have settled: ms median of 7. */
async function moveTime(hook: sy.Hook, from: sy.VirtualWorker, to: sy.VirtualWorker): Promise<number> {
  const big = tf.randomUniform([MB16 / 4]);
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const p = big.send(from);
    await hook.settle();
    const t0 = performance.now();
    const moved = p.move(to);
    await hook.settle();
    if (i >= 2) times.push(performance.now() - t0);
    moved.dispose();
  }
  big.dispose();
  return median(times);
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const hook = await sy.hook(tf);

  // The thread transport, as the op-rate baseline.
  const local = await hook.virtualWorker('local');
  const threadRate = await opRate(local);
  rows.push({ name: `thread worker: remote add, pipelined, ${OPS} ops`, value: threadRate, unit: 'ops/s' });

  // WebSocket: two worker processes and a bare ws echo process.
  const [bobProcess, aliceProcess] = await Promise.all([sy.spawnWorker('bob'), sy.spawnWorker('alice')]);
  const bob = await hook.connect(bobProcess.url!, { id: 'bob', token: bobProcess.token });
  const alice = await hook.connect(aliceProcess.url!, { id: 'alice', token: aliceProcess.token });
  const echo = await echoProcess(['ws']);
  const socket = new WebSocket(`ws://127.0.0.1:${echo.port}`, { perMessageDeflate: false, maxPayload: 64 * 2 ** 20 });
  await new Promise((resolve) => socket.once('open', resolve));
  const wsRoundTrip = (payload: Uint8Array) => new Promise<unknown>((resolve) => {
    socket.once('message', resolve);
    socket.send(payload);
  });
  const small = new Uint8Array(160); // about the size of a get()'s request frame
  const wsGet = await getLatency(hook, bob, () => wsRoundTrip(small));
  rows.push({ name: 'WebSocket: get() of 5 elements', value: wsGet.get, unit: 'µs' });
  rows.push({ name: 'raw ws round trip (160 B), interleaved', value: wsGet.raw, unit: 'µs' });
  const wsRate = await opRate(bob);
  rows.push({ name: `WebSocket: remote add, pipelined, ${OPS} ops`, value: wsRate, unit: 'ops/s' });
  const bulk = new Uint8Array(MB16);
  bulk[0] = 1;
  const rawTransfers: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await wsRoundTrip(bulk);
    if (i >= 2) rawTransfers.push(performance.now() - t0);
  }
  const rawTransfer = median(rawTransfers);
  const wsMove = await moveTime(hook, bob, alice);
  rows.push({ name: 'raw ws transfer of 16 MB between two processes (and a 1-byte ack)', value: rawTransfer, unit: 'ms' });
  rows.push({ name: 'WebSocket: move of 16 MB bob -> alice (worker processes)', value: wsMove, unit: 'ms' });
  socket.close();
  echo.child.kill();

  // NATS: one server, two worker processes on it, and a bare responder.
  const node = await startNats();
  const [carolProcess, daveProcess] = await Promise.all([sy.spawnWorker('carol', { nats: node.url }), sy.spawnWorker('dave', { nats: node.url })]);
  const cluster = await hook.connectNats(node.url);
  const carol = await cluster.worker('carol', { token: carolProcess.token });
  const dave = await cluster.worker('dave', { token: daveProcess.token });
  const responder = await echoProcess(['nats', node.url]);
  const nc = await connect({ servers: node.url });
  const natsGet = await getLatency(hook, carol, () => nc.request('bench.echo', small, { timeout: 5_000 }));
  rows.push({ name: 'NATS: get() of 5 elements', value: natsGet.get, unit: 'µs' });
  rows.push({ name: 'raw NATS request (160 B), interleaved', value: natsGet.raw, unit: 'µs' });
  const natsRate = await opRate(carol);
  rows.push({ name: `NATS: remote add, pipelined, ${OPS} ops`, value: natsRate, unit: 'ops/s' });
  const natsMove = await moveTime(hook, carol, dave);
  rows.push({ name: 'NATS: move of 16 MB carol -> dave (1 MB chunks)', value: natsMove, unit: 'ms' });
  await nc.close();
  responder.child.kill();

  printTable(`bench/network: workers in other processes over loopback WebSocket and NATS (backend ${hook.backend}; medians)`, rows);
  const ratios: Ratio[] = [
    { name: 'WebSocket get() / raw ws round trip', value: wsGet.get / wsGet.raw, target: 2, better: 'lower' },
    { name: 'NATS get() / raw NATS request', value: natsGet.get / natsGet.raw, target: 2, better: 'lower' },
    { name: 'WebSocket op rate / thread op rate', value: wsRate / threadRate, target: 0.5, better: 'higher' },
    { name: 'NATS op rate / thread op rate', value: natsRate / threadRate, target: 0.5, better: 'higher' },
    { name: 'WebSocket 16 MB move / raw ws transfer', value: wsMove / rawTransfer, target: 2, better: 'lower' },
    { name: 'NATS 16 MB move / raw ws transfer', value: natsMove / rawTransfer, better: 'lower' },
  ];
  printRatios(ratios);
  saveResults('network', { backend: hook.backend, rows, ratios });
  await hook.shutdown();
  await Promise.all([bobProcess.stop(), aliceProcess.stop(), carolProcess.stop(), daveProcess.stop()]);
  await node.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
