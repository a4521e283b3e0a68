/**
 * Workers in other processes over WebSocket (hook.connect to `syft-ts worker`
 * processes): refusals are coded and harm nothing, a dropped link rejects what
 * was in flight and resumes the session, a killed worker fails what waits on
 * it in bounded time, a dropped session is kept for its grace period only,
 * TLS, and a script that forgets shutdown() still exits. (Ops, chains, SMPC and
 * training over such workers: the whole integration suite, vitest project 'processes'.)
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection } from '../support/runtime.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Fails the test instead of hanging: every await on the network is bounded. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms))),
  ]);
}

const valuesOf = async (p: sy.PointerTensor): Promise<number[]> => Array.from((await within(10_000, p.get())).dataSync());

let bobProcess: sy.WorkerProcess;
let aliceProcess: sy.WorkerProcess;
let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  [bobProcess, aliceProcess] = await Promise.all([sy.spawnWorker('bob', { heartbeatMs: 200 }), sy.spawnWorker('alice', { heartbeatMs: 200 })]);
  hook = await sy.hook(tf);
  bob = await hook.connect(bobProcess.url!, { id: 'bob', token: bobProcess.token, heartbeatMs: 200 });
  alice = await hook.connect(aliceProcess.url!, { id: 'alice', token: aliceProcess.token, heartbeatMs: 200 });
});

afterAll(async () => {
  await hook?.shutdown();
  await Promise.all([bobProcess?.stop(), aliceProcess?.stop()]);
});

describe('hook.connect', () => {
  test('ops, a move worker to worker that never passes through the client, and a training job', async () => {
    const x = sy.tensor([1, 2, 3]).send(bob);
    expect(await valuesOf(x.mul(x).add(1))).toEqual([2, 5, 10]);
    const big = sy.tensor(Array.from({ length: 250_000 }, (_, i) => i % 100)).send(bob); // 1 MB
    await hook.settle();
    const before = hook.transportStats();
    const moved = big.move(alice);
    await within(10_000, hook.settle());
    const after = hook.transportStats();
    expect([after.tensorBytesOut - before.tensorBytesOut, after.tensorBytesIn - before.tensorBytesIn]).toEqual([0, 0]);
    expect((await valuesOf(moved.sum())).at(0)).toBe(49.5 * 250_000);
    const model = sy.nn.linear(1, 1);
    const xs = sy.tensor([[0], [1], [2], [3]]).send(alice);
    const ys = sy.tensor([[1], [3], [5], [7]]).send(alice);
    const remote = model.send(alice);
    const losses = await within(20_000, remote.trainOn(xs, ys, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 }, steps: 200 }));
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 20);
    x.dispose();
  });

  test('refusals are coded and come before anything runs; the session and its objects are unharmed', async () => {
    const kept = sy.tensor([4, 5, 6]).send(bob);
    await hook.settle();
    const other = await sy.hook(tf);
    try {
      expect((await rejection(other.connect(bobProcess.url!, { id: 'bob', token: 'wrong' }))).code).toBe('UNAUTHENTICATED');
      expect((await rejection(other.connect(bobProcess.url!, { id: 'carol', token: bobProcess.token }))).code).toBe('INVALID_ARGUMENT');
      // bob's session is this file's hook: another client, even with the right token, waits its turn.
      expect((await rejection(other.connect(bobProcess.url!, { id: 'bob', token: bobProcess.token }))).code).toBe('WORKER_BUSY');
      expect((await rejection(other.connect('ws://127.0.0.1:1', { id: 'bob', token: 'x' }))).code).toBe('CONNECTION_FAILED');
      expect((await rejection(other.connect('http://example.com', { id: 'bob', token: 'x' }))).code).toBe('INVALID_ARGUMENT');
      expect((await rejection(other.connect(bobProcess.url!, { id: 'bob', token: '' }))).code).toBe('INVALID_ARGUMENT');
    } finally {
      await other.shutdown();
    }
    expect(await valuesOf(kept)).toEqual([4, 5, 6]);
  });

  test('a link dropped mid-batch: what was in flight rejects with WORKER_DISCONNECTED or arrives; the session resumes with every object acknowledged before', async () => {
    const kept = sy.tensor([7, 8, 9]).send(bob);
    await hook.settle();
    const x = sy.tensor([1, 1]).send(bob);
    const pending = Array.from({ length: 50 }, (_, i) => x.add(i).get());
    sy.testing.dropConnection(bob);
    const outcomes = await within(5_000, Promise.all(pending.map((p) => p.then((t) => Array.from(t.dataSync())[0]!, (e: unknown) => (e as sy.SyftError).code))));
    outcomes.forEach((o, i) => expect([i + 1, 'WORKER_DISCONNECTED']).toContain(o));
    expect(outcomes).toContain('WORKER_DISCONNECTED');
    // Calls made while it redials wait for the link; objects acknowledged before the drop are there.
    expect(await valuesOf(kept.add(0))).toEqual([7, 8, 9]);
    expect(await valuesOf(sy.tensor([2]).send(bob).add(1))).toEqual([3]);
  });

  test('kill -9 of a connected worker: every await settles within the heartbeat bound; after the reconnect window it is WORKER_CRASHED; the others go on', async () => {
    const carolProcess = await sy.spawnWorker('carol', { heartbeatMs: 200 });
    const carol = await hook.connect(carolProcess.url!, { id: 'carol', token: carolProcess.token, heartbeatMs: 200, reconnect: { windowMs: 600 } });
    const x = sy.tensor(Array.from({ length: 10_000 }, (_, i) => i)).send(carol);
    const pending = Array.from({ length: 20 }, () => x.sum().get());
    carolProcess.kill();
    const started = Date.now();
    const outcomes = await within(5_000, Promise.all(pending.map((p) => p.then((t) => t.dataSync()[0]!, (e: unknown) => (e as sy.SyftError).code))));
    for (const o of outcomes) expect([49_995_000, 'WORKER_DISCONNECTED', 'WORKER_CRASHED']).toContain(o);
    expect(Date.now() - started).toBeLessThan(3_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await within(5_000, rejection(carol.objects()))).code).toBe('WORKER_CRASHED');
    expect(await valuesOf(sy.tensor([1]).send(alice).add(1))).toEqual([2]);
  });

  test('a dropped session is kept for --grace-ms only: another client is WORKER_BUSY until then, then starts afresh', async () => {
    const dave = await sy.spawnWorker('dave', { graceMs: 700, heartbeatMs: 200 });
    try {
      const first = await sy.hook(tf);
      const d1 = await first.connect(dave.url!, { id: 'dave', token: dave.token, reconnect: { windowMs: 0 } });
      sy.tensor([1, 2]).send(d1);
      await first.settle();
      sy.testing.dropConnection(d1); // and it never comes back (windowMs 0)
      await new Promise((resolve) => setTimeout(resolve, 150));
      const second = await sy.hook(tf);
      expect((await rejection(second.connect(dave.url!, { id: 'dave', token: dave.token }))).code).toBe('WORKER_BUSY');
      await new Promise((resolve) => setTimeout(resolve, 900));
      const d2 = await second.connect(dave.url!, { id: 'dave', token: dave.token });
      expect((await d2.objects()).size).toBe(0);
      await Promise.all([first.shutdown(), second.shutdown()]);
    } finally {
      await dave.stop();
    }
  });
});

describe('around the edges', () => {
  test('a script that connects to a remote worker and never calls shutdown() still exits', async () => {
    const eve = await sy.spawnWorker('eve');
    try {
      const script = `
        import * as tf from '@tensorflow/tfjs-core';
        import * as sy from ${JSON.stringify(join(root, 'src/index.ts'))};
        const hook = await sy.hook(tf);
        const eve = await hook.connect(process.env.URL, { id: 'eve', token: process.env.TOKEN });
        console.log(Array.from((await sy.tensor([1, 2]).send(eve).add(1).get()).dataSync()).join(','));
      `;
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        timeout: 30_000,
        env: { ...process.env, URL: eve.url!, TOKEN: eve.token },
      });
      expect(stdout.trim()).toBe('2,3');
    } finally {
      await eve.stop();
    }
  });

  test('TLS: wss:// with a self-signed certificate is trusted only when given its CA', async () => {
    if (spawnSync('openssl', ['version']).status !== 0) throw new Error('this test generates a certificate with openssl: install it (apt-get install openssl)');
    const dir = mkdtempSync(join(tmpdir(), 'syft-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    expect(made.status).toBe(0);
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/cli.ts', 'worker', '--id', 'frank', '--port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], {
      cwd: root,
      env: { ...process.env, SYFT_TOKEN: 'frank-token-123' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const url = await within(30_000, new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => {
        const m = /(wss:\/\/\S+)/.exec(d.toString());
        if (m !== null) resolve(m[1]!);
      })));
      const client = await sy.hook(tf);
      try {
        const refused = await rejection(client.connect(url, { id: 'frank', token: 'frank-token-123' }));
        expect(refused.code).toBe('CONNECTION_FAILED');
        expect(refused.message).toMatch(/certificate/);
        const frank = await client.connect(url, { id: 'frank', token: 'frank-token-123', ca: readFileSync(join(dir, 'cert.pem')) });
        expect(await valuesOf(sy.tensor([1, 2]).send(frank).mul(3))).toEqual([3, 6]);
      } finally {
        await client.shutdown();
      }
    } finally {
      child.kill();
    }
  });
});
