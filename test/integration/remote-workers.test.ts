/**
 * Workers in other processes, over WebSocket (issue 16, items 1 and 5): what
 * is particular to a worker that is a process of its own, reached with
 * hook.connect. The ops, chains, training and SMPC suites themselves run over
 * such workers in vitest project 'processes'; here: a move between two worker
 * processes that never passes through the client, training and FedAvg over
 * them, refusals that are coded and come before anything runs, a dropped link
 * mid-batch, a worker killed with SIGKILL, a client that vanishes (its session
 * is kept for --grace-ms, then given up), a script that forgets shutdown(),
 * and TLS.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { alive, rejection, within } from '../support/runtime.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const valuesOf = async (p: sy.PointerTensor): Promise<number[]> => Array.from((await within(10_000, p.get(), 'a get')).dataSync());
/** The value a get resolves with, or the code it rejects with. */
const outcome = (p: Promise<{ dataSync(): ArrayLike<number> }>): Promise<number[] | string> =>
  p.then(
    (t) => Array.from(t.dataSync()),
    (e: unknown) => (sy.isSyftError(e) ? e.code : String(e)),
  );

/** What a promise resolves with, or the code it rejects with. */
const outcomeOf = <T>(p: Promise<T>): Promise<T | string> => p.catch((e: unknown) => (sy.isSyftError(e) ? e.code : String(e)));

/** A client script in a child process of its own (tsx, the sources), as a user would run one. */
function clientScript(body: string, env: Record<string, string>): ChildProcess & { output: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const source = `
    import * as tf from '@tensorflow/tfjs-core';
    import * as sy from ${JSON.stringify(join(root, 'src/index.ts'))};
    ${body}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const output = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => setTimeout(() => resolve({ code, signal, stdout, stderr }), 20)),
  );
  return Object.assign(child, { output });
}

/** Resolves once the child's stdout has shown `line`. */
function printed(child: ChildProcess, line: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer | string) => {
      out += String(d);
      const m = line.exec(out);
      if (m !== null) resolve(m[0]);
    });
    child.once('exit', (code, signal) => reject(new Error(`the child exited (${signal ?? code}) before printing ${line}: ${out}`)));
  });
}

let bobProcess: sy.WorkerProcess;
let aliceProcess: sy.WorkerProcess;
let carolProcess: sy.WorkerProcess;
let daveProcess: sy.WorkerProcess;
let eveProcess: sy.WorkerProcess;
let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  [bobProcess, aliceProcess, carolProcess, daveProcess, eveProcess] = await Promise.all([
    // Default heartbeats (5 s): a worker process killed on this machine closes its sockets at once anyway.
    sy.spawnWorker('bob'),
    sy.spawnWorker('alice'),
    sy.spawnWorker('carol'),
    sy.spawnWorker('dave', { graceMs: 500 }),
    sy.spawnWorker('eve', { graceMs: 500 }),
  ]);
  hook = await sy.hook(tf);
  bob = await within(10_000, hook.connect(bobProcess.url!, { id: 'bob', token: bobProcess.token }));
  alice = await within(10_000, hook.connect(aliceProcess.url!, { id: 'alice', token: aliceProcess.token }));
});

afterAll(async () => {
  await hook?.shutdown();
  await Promise.all([bobProcess, aliceProcess, carolProcess, daveProcess, eveProcess].map((w) => w?.stop()));
});

describe('hook.connect to worker processes', () => {
  test('pointers, ops and get at a worker process', async () => {
    const x = sy.tensor([1, 2, 3]).send(bob);
    expect(x.location).toBe(bob);
    expect(await valuesOf(x.mul(x).add(1))).toEqual([2, 5, 10]);
    expect([...(await bob.objects()).values()]).toContainEqual(expect.objectContaining({ id: x.idAtLocation, kind: 'tensor', shape: [3] }));
    expect(await valuesOf(x)).toEqual([1, 2, 3]);
    expect((await bob.objects()).has(x.idAtLocation)).toBe(false); // get() takes it, as in PySyft
  });

  test('a 4 MB move from bob to alice goes process to process: not one tensor byte through the client', async () => {
    const values = Float32Array.from({ length: 2 ** 20 }, (_, i) => Math.sin(i) * 1_000);
    const x = tf.tensor(values).send(bob);
    const doubled = x.mul(2);
    await within(10_000, hook.settle());
    const before = hook.transportStats();
    const there = doubled.move(alice);
    await within(10_000, hook.settle());
    const after = hook.transportStats();
    expect([after.tensorBytesOut - before.tensorBytesOut, after.tensorBytesIn - before.tensorBytesIn]).toEqual([0, 0]);
    expect(there.location).toBe(alice);
    expect([...(await alice.objects()).values()]).toContainEqual(expect.objectContaining({ id: there.idAtLocation, kind: 'tensor', shape: [2 ** 20] }));
    const back = (await within(10_000, there.get())).dataSync() as Float32Array;
    const expected = Float32Array.from(values, (v) => Math.fround(v) * 2);
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    x.dispose();
  });

  test('trainOn at one worker process, and FedAvg over two', async () => {
    const model = sy.nn.linear(1, 1);
    const remote = model.send(alice);
    const xs = sy.tensor([[0], [1], [2], [3]]).send(alice);
    const ys = sy.tensor([[1], [3], [5], [7]]).send(alice);
    const losses = await within(20_000, remote.trainOn(xs, ys, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, steps: 300 }));
    expect(losses).toHaveLength(300);
    expect(losses.at(-1)!).toBeLessThan(1e-2);
    const [w, b] = (await within(5_000, remote.get())).parameters().map((p) => (p as sy.SyftTensor).dataSync()[0]!);
    expect(w).toBeCloseTo(2, 1);
    expect(b).toBeCloseTo(1, 1);

    const features = tf.tensor2d([[1, 0], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2]]);
    const targets = tf.tensor2d([[1], [2], [3], [4], [4], [5]]);
    const fd = sy.federate(new sy.BaseDataset(features, targets), [bob, alice]);
    const { rounds } = await within(30_000, sy.federated.fedAvg(sy.nn.linear(2, 1), fd, { rounds: 4, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 } }));
    expect(rounds.map((r) => [r.participants.toSorted(), r.excluded])).toEqual(Array.from({ length: 4 }, () => [['alice', 'bob'], []]));
    expect(rounds.every((r) => Number.isFinite(r.trainLoss))).toBe(true);
    expect(rounds.at(-1)!.trainLoss).toBeLessThan(rounds[0]!.trainLoss);
    fd.dispose();
  });
});

describe('refusals', () => {
  test('coded, before anything runs; after each, the first client’s objects are as they were', async () => {
    const kept = sy.tensor([4, 5, 6]).send(bob);
    await within(5_000, hook.settle());
    const held = [...(await bob.objects()).values()];
    expect(held).toContainEqual(expect.objectContaining({ id: kept.idAtLocation, preview: '[4, 5, 6]' }));
    // A port nobody listens on: bound, then closed.
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const other = await sy.hook(tf);
    try {
      const cases = [
        { connect: () => other.connect(bobProcess.url!, { id: 'bob', token: 'not-the-token' }), code: 'UNAUTHENTICATED', message: /wrong token/ },
        { connect: () => other.connect(bobProcess.url!, { id: 'carl', token: bobProcess.token }), code: 'INVALID_ARGUMENT', message: /this is worker 'bob', not 'carl'/ },
        // bob's session is this file's hook: another client, even with the right token, waits its turn.
        { connect: () => other.connect(bobProcess.url!, { id: 'bob', token: bobProcess.token }), code: 'WORKER_BUSY', message: /another client holds a session/ },
        { connect: () => other.connect(`ws://127.0.0.1:${free}`, { id: 'bob', token: 'x' }), code: 'CONNECTION_FAILED', message: /cannot reach a worker at ws:\/\/127\.0\.0\.1/ },
      ];
      for (const { connect, code, message } of cases) {
        const refused = await within(10_000, rejection(connect()), `hook.connect expecting ${code}`);
        expect([refused.code, refused.message]).toEqual([code, expect.stringMatching(message)]);
        expect([...(await within(5_000, bob.objects())).values()]).toEqual(held);
      }
    } finally {
      await within(10_000, other.shutdown());
    }
    expect(await valuesOf(kept)).toEqual([4, 5, 6]);
  });

  test('a bad URL, a missing token or id, bad reconnect options: INVALID_ARGUMENT, thrown before anything is dialled', async () => {
    let dialled = 0;
    const listener: Server = createServer((socket) => {
      dialled++;
      socket.destroy();
    });
    const port = await new Promise<number>((resolve) => listener.listen(0, '127.0.0.1', () => resolve((listener.address() as { port: number }).port)));
    const other = await sy.hook(tf);
    try {
      const url = `ws://127.0.0.1:${port}`;
      const bad: (() => Promise<unknown>)[] = [
        () => other.connect(`http://127.0.0.1:${port}`, { id: 'bob', token: 't' }),
        () => other.connect(`127.0.0.1:${port}`, { id: 'bob', token: 't' }),
        () => other.connect('', { id: 'bob', token: 't' }),
        () => other.connect(url, { id: 'bob', token: '' }),
        () => other.connect(url, { id: 'bob' } as unknown as sy.ConnectOptions),
        () => other.connect(url, { id: '', token: 't' }),
        () => other.connect(url, undefined as unknown as sy.ConnectOptions),
        () => other.connect(url, { id: 'bob', token: 't', reconnect: { windowMs: -1 } }),
        () => other.connect(url, { id: 'bob', token: 't', heartbeatMs: 0 }),
      ];
      for (const call of bad) {
        const refused = await within(5_000, rejection(call()));
        expect(refused.code).toBe('INVALID_ARGUMENT');
        expect(refused.message).toMatch(/hook\.connect/);
      }
      await sleep(50);
      expect(dialled).toBe(0);
    } finally {
      await other.shutdown();
      listener.close();
    }
  });
});

describe('faults', () => {
  test('a link dropped mid-batch: every pending get settles, with its value or WORKER_DISCONNECTED; the client redials and what was acknowledged is there', async () => {
    const kept = sy.tensor([7, 8, 9]).send(bob);
    expect(await valuesOf(kept.add(0))).toEqual([7, 8, 9]); // acknowledged
    const x = sy.tensor([1, 1]).send(bob);
    const pending = Array.from({ length: 200 }, (_, i) => outcome(x.add(i).mul(2).get()));
    const logged = bobProcess.log.join('').length;
    sy.testing.dropConnection(bob);
    const started = Date.now();
    const outcomes = await within(5_000, Promise.all(pending), 'the gets in flight at the drop');
    expect(Date.now() - started).toBeLessThan(2_000);
    outcomes.forEach((o, i) => expect([[2 * (1 + i), 2 * (1 + i)], 'WORKER_DISCONNECTED']).toContainEqual(o));
    expect(outcomes).toContain('WORKER_DISCONNECTED');
    // Calls made while it redials wait for the link; the session resumed with what bob acknowledged.
    expect(await valuesOf(kept.add(0))).toEqual([7, 8, 9]);
    expect((await within(5_000, bob.objects())).get(kept.idAtLocation)).toMatchObject({ kind: 'tensor', preview: '[7, 8, 9]' });
    expect(await valuesOf(sy.tensor([2]).send(bob).add(1))).toEqual([3]);
    expect(await valuesOf(kept)).toEqual([7, 8, 9]);
    expect(bobProcess.log.join('').slice(logged)).toMatch(/the client dropped \(.*dropped on purpose/);
    // and the peer links survived: a move from bob to alice still goes worker to worker.
    expect(await valuesOf(sy.tensor([5]).send(bob).move(alice))).toEqual([5]);
  });

  test('kill -9 of a worker process: pending calls settle at once, past the reconnect window it is WORKER_CRASHED, the other workers go on', async () => {
    const carol = await within(10_000, hook.connect(carolProcess.url!, { id: 'carol', token: carolProcess.token, reconnect: { windowMs: 1_000, firstDelayMs: 50, maxDelayMs: 200 } }));
    const x = sy.tensor(Array.from({ length: 1_000 }, (_, i) => i)).send(carol);
    expect(await valuesOf(x.sum())).toEqual([499_500]);
    const pending = Array.from({ length: 50 }, () => outcome(x.sum().get()));
    carolProcess.kill();
    const started = Date.now();
    const outcomes = await within(5_000, Promise.all(pending), 'the gets in flight at the kill');
    expect(Date.now() - started).toBeLessThan(3_000);
    for (const o of outcomes) expect([[499_500], 'WORKER_DISCONNECTED', 'WORKER_CRASHED']).toContainEqual(o);
    expect(await within(5_000, carolProcess.exited)).toBe('SIGKILL');
    await sleep(1_500); // past the reconnect window
    expect((await within(5_000, rejection(carol.objects()))).code).toBe('WORKER_CRASHED');
    // Refused at once, before anything is queued for her.
    expect(await within(5_000, outcome(Promise.resolve().then(() => sy.tensor([1]).send(carol).get())))).toBe('WORKER_CRASHED');
    expect(await within(5_000, outcome(x.get()))).toBe('WORKER_CRASHED');
    expect(await valuesOf(sy.tensor([1]).send(bob).add(1))).toEqual([2]);
    expect(await valuesOf(sy.tensor([3]).send(bob).move(alice).mul(2))).toEqual([6]);
  });
});

describe('sessions (dave: --grace-ms 500)', () => {
  test('a client whose link drops for good: its session is kept through the grace (others are WORKER_BUSY), then a new client starts afresh', async () => {
    const first = await sy.hook(tf);
    const second = await sy.hook(tf);
    try {
      const d1 = await within(10_000, first.connect(daveProcess.url!, { id: 'dave', token: daveProcess.token, reconnect: { windowMs: 0 } }));
      const x = sy.tensor([1, 2]).send(d1);
      await within(5_000, first.settle());
      sy.testing.dropConnection(d1); // with windowMs 0 it never comes back
      const dropped = Date.now();
      expect(await within(5_000, outcome(x.get()))).toBe('WORKER_CRASHED');
      const busy = await within(5_000, rejection(second.connect(daveProcess.url!, { id: 'dave', token: daveProcess.token })));
      expect(Date.now() - dropped).toBeLessThan(500); // still within the grace
      expect([busy.code, busy.message]).toEqual(['WORKER_BUSY', expect.stringMatching(/kept for its reconnection for up to 500 ms/)]);
      await sleep(500 - (Date.now() - dropped) + 300);
      const d2 = await within(10_000, second.connect(daveProcess.url!, { id: 'dave', token: daveProcess.token }));
      expect((await within(5_000, d2.objects())).size).toBe(0);
      expect(await valuesOf(sy.tensor([3]).send(d2).add(1))).toEqual([4]);
      expect(daveProcess.log.join('')).toMatch(/ended: the client did not come back/);
    } finally {
      await within(10_000, Promise.all([first.shutdown(), second.shutdown()]));
    }
  });

  test('a client process killed (no shutdown, no endSession): the same, and its objects are gone after the grace', async () => {
    const client = clientScript(
      `
        const hook = await sy.hook(tf);
        const dave = await hook.connect(process.env.URL, { id: 'dave', token: process.env.TOKEN });
        const x = sy.tensor([9, 9, 9]).send(dave);
        await hook.settle();
        console.log('stored ' + (await dave.objects()).size);
        setInterval(() => undefined, 1_000); // holds on until killed
      `,
      { URL: daveProcess.url!, TOKEN: daveProcess.token },
    );
    try {
      expect(await within(30_000, printed(client, /stored \d+/), 'the client script')).toBe('stored 1');
    } finally {
      client.kill('SIGKILL');
    }
    const killed = Date.now();
    expect((await within(5_000, client.output)).signal).toBe('SIGKILL');
    const other = await sy.hook(tf);
    try {
      const busy = await within(5_000, rejection(other.connect(daveProcess.url!, { id: 'dave', token: daveProcess.token })));
      expect(Date.now() - killed).toBeLessThan(500);
      expect(busy.code).toBe('WORKER_BUSY');
      await sleep(500 - (Date.now() - killed) + 300);
      const dave = await within(10_000, other.connect(daveProcess.url!, { id: 'dave', token: daveProcess.token }));
      expect((await within(5_000, dave.objects())).size).toBe(0);
    } finally {
      await within(10_000, other.shutdown());
    }
  });

  test('a script that connects to a worker process and never calls shutdown() still exits, with code 0', async () => {
    const script = clientScript(
      `
        const hook = await sy.hook(tf);
        const eve = await hook.connect(process.env.URL, { id: 'eve', token: process.env.TOKEN });
        const x = sy.tensor([1, 2]).send(eve);
        x.add(1); // a pointer left for the GC, and no shutdown()
        console.log(Array.from((await x.mul(10).get()).dataSync()).join(','));
      `,
      { URL: eveProcess.url!, TOKEN: eveProcess.token },
    );
    const result = await within(30_000, script.output, 'the script to exit by itself');
    expect({ code: result.code, signal: result.signal, stdout: result.stdout.trim() }).toEqual({ code: 0, signal: null, stdout: '10,20' });
    expect(result.stderr).not.toMatch(/Error/);
    expect(alive(eveProcess.pid)).toBe(true); // the worker is not the script's: it stays up
  });
});

describe('TLS', () => {
  test('wss:// with a self-signed certificate: trusted given its CA (--tls-cert/--tls-key), CONNECTION_FAILED without it', async () => {
    if (spawnSync('openssl', ['version']).status !== 0) {
      throw new Error('this test makes a self-signed certificate with openssl, which is not on PATH: install it (apt-get install openssl).');
    }
    const dir = mkdtempSync(join(tmpdir(), 'syft-tls-'));
    const certificate = (name: string): void => {
      const made = spawnSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}.pem`),
      ], { encoding: 'utf8' });
      expect(made.status, made.stderr).toBe(0);
    };
    certificate('worker');
    certificate('stranger');
    const token = 'a-token-for-the-tls-worker';
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', 'workers/cli.ts', 'worker', '--id', 'tls', '--port', '0', '--tls-cert', join(dir, 'worker.pem'), '--tls-key', join(dir, 'worker-key.pem'), '--exit-with-parent'],
      { cwd: root, env: { ...process.env, SYFT_TOKEN: token }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const client = await sy.hook(tf);
    try {
      const line = await within(30_000, printed(worker, /listening on (\S+)\n/), 'the TLS worker to listen');
      const url = /wss:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0];
      expect(url).toBeDefined();
      for (const options of [{}, { ca: readFileSync(join(dir, 'stranger.pem')) }]) {
        const refused = await within(10_000, rejection(client.connect(url!, { id: 'tls', token, ...options })));
        expect([refused.code, refused.message]).toEqual(['CONNECTION_FAILED', expect.stringMatching(/certificate/)]);
      }
      const plain = await within(10_000, rejection(client.connect(url!.replace('wss:', 'ws:'), { id: 'tls', token })));
      expect(plain.code).toBe('CONNECTION_FAILED');
      const tls = await within(10_000, client.connect(url!, { id: 'tls', token, ca: readFileSync(join(dir, 'worker.pem')) }));
      expect(await valuesOf(sy.tensor([1, 2]).send(tls).mul(3))).toEqual([3, 6]);
    } finally {
      await within(10_000, client.shutdown());
      worker.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a worker process busy computing (fay and gus: heartbeats every 100 ms)', () => {
  // A worker process runs its actors on its main thread: a job that keeps it from its event loop for two
  // heartbeats leaves the client's and the peers' pings unanswered.
  let fayProcess: sy.WorkerProcess;
  let gusProcess: sy.WorkerProcess;
  let busyHook: sy.Hook;
  let fay: sy.VirtualWorker;
  let gus: sy.VirtualWorker;
  beforeAll(async () => {
    [fayProcess, gusProcess] = await Promise.all([sy.spawnWorker('fay', { heartbeatMs: 100 }), sy.spawnWorker('gus', { heartbeatMs: 100 })]);
    busyHook = await sy.hook(tf);
    fay = await within(10_000, busyHook.connect(fayProcess.url!, { id: 'fay', token: fayProcess.token, heartbeatMs: 100 }));
    gus = await within(10_000, busyHook.connect(gusProcess.url!, { id: 'gus', token: gusProcess.token, heartbeatMs: 100 }));
  });
  afterAll(async () => {
    await busyHook?.shutdown();
    await Promise.all([fayProcess?.stop(), gusProcess?.stop()]);
  });

  /** A training job at fay of well over two heartbeats (about a second): what it resolved with, or the code it rejected with. */
  async function busySpell(): Promise<{ losses: readonly number[] | string; took: number }> {
    const model = sy.nn.sequential(sy.nn.linear(64, 64), sy.nn.relu(), sy.nn.linear(64, 1)).send(fay);
    const xs = tf.randomNormal([256, 64], 0, 1, 'float32', 1).send(fay);
    const ys = tf.randomNormal([256, 1], 0, 1, 'float32', 2).send(fay);
    await within(5_000, busyHook.settle());
    const started = Date.now();
    const losses = await within(30_000, outcomeOf(model.trainOn(xs, ys, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.01 }, steps: 1_500 })));
    return { losses, took: Date.now() - started };
  }

  test('a training job longer than two heartbeats completes: the worker is busy, not gone', async () => {
    const { losses, took } = await busySpell();
    expect(typeof losses === 'string' ? losses : losses.length).toBe(1_500);
    expect(took).toBeGreaterThan(500); // the job did keep fay busy past two heartbeats (else this test shows nothing)
  });

  test('after a busy spell, a move from fay to gus still goes worker to worker', async () => {
    await busySpell();
    // Whatever the client's link went through, it is back (or never left) once a call answers.
    const x = sy.tensor([1, 2, 3]).send(fay);
    const retried = await within(10_000, (async () => {
      for (;;) {
        const o = await outcome(x.add(0).get());
        if (o !== 'WORKER_DISCONNECTED') return o;
      }
    })());
    expect(retried).toEqual([1, 2, 3]);
    expect(await valuesOf(x.move(gus).mul(2))).toEqual([2, 4, 6]);
  });
});

describe('shutdown', () => {
  test('hook.shutdown() resolves though one of its workers was killed, and ends the sessions: bob takes a new client at once, empty', async () => {
    await within(10_000, hook.shutdown());
    const next = await sy.hook(tf);
    try {
      const again = await within(10_000, next.connect(bobProcess.url!, { id: 'bob', token: bobProcess.token }));
      expect((await within(5_000, again.objects())).size).toBe(0);
    } finally {
      await within(10_000, next.shutdown());
    }
  });
});
