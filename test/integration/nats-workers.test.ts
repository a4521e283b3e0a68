/**
 * Workers on a NATS cluster: a 3-node nats-server cluster on loopback (started
 * here; nats-server must be installed, see examples/_nats.ts), workers
 * attached to different nodes, the client to a third. Moves go worker to
 * worker over the cluster; tensors above the server's max payload travel in
 * chunks; a FedAvg round runs; a node that restarts under a worker loses no
 * acknowledged object and leaves nothing hanging; a worker killed mid-call
 * fails what waits on it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { type NatsServer, startCluster } from '../../examples/_nats.js';
import { rejection, within } from '../support/runtime.js';

const MAX_PAYLOAD = 64 * 1024;
let nodes: NatsServer[];
let bobProcess: sy.WorkerProcess;
let aliceProcess: sy.WorkerProcess;
let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  nodes = await startCluster(3, { maxPayload: MAX_PAYLOAD });
  [bobProcess, aliceProcess] = await Promise.all([
    sy.spawnWorker('bob', { nats: nodes[1]!.url, heartbeatMs: 250 }),
    sy.spawnWorker('alice', { nats: nodes[2]!.url, heartbeatMs: 250 }),
  ]);
  hook = await sy.hook(tf);
  const cluster = await hook.connectNats(nodes[0]!.url);
  bob = await cluster.worker('bob', { token: bobProcess.token, heartbeatMs: 250 });
  alice = await cluster.worker('alice', { token: aliceProcess.token, heartbeatMs: 250 });
});

afterAll(async () => {
  await hook?.shutdown();
  await Promise.all([bobProcess?.stop(), aliceProcess?.stop()]);
  await Promise.all((nodes ?? []).map((n) => n.stop()));
});

describe('workers on a 3-node NATS cluster', () => {
  test('ops at bob, a move from bob (node 2) to alice (node 3) that never passes through the client, chunked above max_payload', async () => {
    const values = Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(i)); // 400 KB: 7 chunks of 64 KB
    const x = tf.tensor(values).send(bob);
    const doubled = x.mul(2);
    await within(10_000, hook.settle());
    const before = hook.transportStats();
    const there = doubled.move(alice);
    await within(10_000, hook.settle());
    const after = hook.transportStats();
    expect(after.tensorBytesIn - before.tensorBytesIn).toBe(0);
    expect(after.tensorBytesOut - before.tensorBytesOut).toBe(0);
    expect([...(await alice.objects()).values()].map((o) => ('shape' in o ? o.shape : undefined))).toContainEqual([100_000]);
    const back = await within(10_000, there.get());
    expect(Array.from(back.dataSync())).toEqual(Array.from(values, (v) => Math.fround(v * 2)));
    x.dispose();
  });

  test('a FedAvg round over the two workers, attached to different nodes, averages both (the federated suite checks its arithmetic)', async () => {
    const x = tf.tensor2d([[1, 0], [0, 1], [1, 1], [2, 1]]);
    const y = tf.tensor2d([[1], [2], [3], [4]]);
    const fd = sy.federate(new sy.BaseDataset(x, y), [bob, alice]);
    const model = sy.nn.linear(2, 1);
    const { rounds } = await within(30_000, sy.federated.fedAvg(model, fd, { rounds: 1, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 } }));
    expect(rounds).toHaveLength(1);
    expect(rounds[0]!.excluded).toEqual([]);
    expect([...rounds[0]!.participants].sort()).toEqual(['alice', 'bob']);
    expect(Number.isFinite(rounds[0]!.trainLoss)).toBe(true);
    fd.dispose();
  });

  test('a wrong token is refused with UNAUTHENTICATED, an unknown worker with CONNECTION_FAILED; the workers are unharmed', async () => {
    const other = await sy.hook(tf);
    try {
      const cluster = await other.connectNats(nodes[1]!.url);
      expect((await rejection(cluster.worker('bob', { token: 'not-the-token' }))).code).toBe('UNAUTHENTICATED');
      expect((await rejection(cluster.worker('carol', { token: 'x' }))).code).toBe('CONNECTION_FAILED');
    } finally {
      await other.shutdown();
    }
    const y = sy.tensor([1, 2, 3]).send(bob);
    expect(Array.from((await within(5_000, y.add(1).get())).dataSync())).toEqual([2, 3, 4]);
  });

  test("restarting alice's node: what alice acknowledged survives; an await in flight settles; a retry after the redial works", async () => {
    const kept = sy.tensor([7, 8, 9]).send(alice);
    await within(5_000, hook.settle()); // acknowledged
    await nodes[2]!.restart();
    const outcome = await within(15_000, kept.add(1).get().then((t) => Array.from(t.dataSync()), (e: unknown) => (e as sy.SyftError).code));
    // Either the link survived the restart and the value came, or the lost frame closed it and the call was told so.
    expect([[8, 9, 10], 'WORKER_DISCONNECTED']).toContainEqual(outcome);
    // After the client redials (the session was kept), the object alice acknowledged is still hers.
    const again = await within(15_000, (async () => {
      for (;;) {
        try {
          return Array.from((await kept.add(1).get()).dataSync());
        } catch (error) {
          if ((error as sy.SyftError).code !== 'WORKER_DISCONNECTED') throw error;
        }
      }
    })());
    expect(again).toEqual([8, 9, 10]);
    expect(Array.from((await within(5_000, kept.get())).dataSync())).toEqual([7, 8, 9]);
  });

  test('kill -9 of a worker mid-call: the call settles within the heartbeat bound, and the other worker keeps working', async () => {
    const carolProcess = await sy.spawnWorker('carol', { nats: nodes[1]!.url, heartbeatMs: 250 });
    const cluster = await hook.connectNats(nodes[0]!.url);
    const carol = await cluster.worker('carol', { token: carolProcess.token, heartbeatMs: 250, reconnect: { windowMs: 500 } });
    const big = sy.tensor(Array.from({ length: 1000 }, (_, i) => i % 7)).send(carol);
    const pending = big.reshape([1, 1000]).matMul(big.reshape([1000, 1])).get();
    carolProcess.kill();
    const started = Date.now();
    const outcome = await within(10_000, pending.then((t) => Array.from(t.dataSync()), (e: unknown) => (e as sy.SyftError).code));
    // The product if carol answered before the signal landed; else the loss of her link, told within the heartbeat bound.
    const product = Array.from({ length: 1000 }, (_, i) => (i % 7) ** 2).reduce((a, b) => a + b, 0);
    expect([[product], 'WORKER_DISCONNECTED', 'WORKER_CRASHED']).toContainEqual(outcome);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Past the reconnect window carol is gone for good.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await within(5_000, rejection(carol.objects()))).code).toBe('WORKER_CRASHED');
    expect(Array.from((await within(5_000, sy.tensor([1]).send(bob).add(1).get())).dataSync())).toEqual([2]);
  });
});
