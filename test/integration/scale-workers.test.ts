/**
 * A population of 20,000 virtual workers in one process: they start, each
 * answers, ids stay unique, settle() waits only for workers that were sent
 * something, and FedAvg over one-sample clients drawn from them averages as
 * the same steps taken here do, the same every run, leaving no tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook } from '../support/runtime.js';

const POPULATION = 20_000;
let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(Array.from({ length: POPULATION }, (_, i) => `p${i}`), { threads: 2 });
});
afterAll(() => hook.shutdown());

describe('a population of 20,000 workers', () => {
  test('every worker starts, is unique, and answers', async () => {
    expect(workers).toHaveLength(POPULATION);
    expect(new Set(workers.map((w) => w.id)).size).toBe(POPULATION);
    expect(hook.workers.size).toBe(POPULATION);
    expect(new Set(workers.map((w) => w.address.thread)).size).toBe(2);
    const held = await Promise.all(workers.map((w) => w.objects()));
    expect(held.every((objects) => objects.size === 0)).toBe(true);
    const x = sy.tensor([1, 2, 3]).send(workers[POPULATION - 1]!);
    expect(Array.from(await (await x.mul(2).get()).data())).toEqual([2, 4, 6]);
    x.dispose();
  });

  test('a duplicate id refuses the whole call, and registers none of its ids', async () => {
    expect((await rejection(hook.virtualWorkers(['q0', 'q1', 'q0']))).code).toBe('DUPLICATE_WORKER');
    expect((await rejection(hook.virtualWorkers(['q2', 'p17']))).code).toBe('DUPLICATE_WORKER');
    expect(hook.workers.has('q0') || hook.workers.has('q1') || hook.workers.has('q2')).toBe(false);
    expect(hook.workers.size).toBe(POPULATION);
  });

  test('settle() syncs the workers sent something since the last settle, not every idle one', async () => {
    await hook.settle();
    const used = [workers[3]!, workers[4]!];
    const pointers = used.map((w) => sy.tensor([1]).send(w));
    const before = hook.transportStats().messages;
    await hook.settle();
    // The two sends (one message per thread at most) and one sync per used worker, batched likewise.
    expect(hook.transportStats().messages - before).toBeLessThanOrEqual(4);
    const idle = hook.transportStats().messages;
    await hook.settle();
    expect(hook.transportStats().messages).toBe(idle);
    for (const p of pointers) p.dispose();
    await hook.settle();
  });

  test('FedAvg over 40 one-sample clients drawn from the population: the weighted mean of the same steps taken here, the same every run', async () => {
    const clients = Array.from({ length: 40 }, (_, k) => workers[(k * 7919) % POPULATION]!);
    const x = tf.randomUniform([40, 3], -1, 1, 'float32', 3) as tf.Tensor2D;
    const y = tf.randomUniform([40, 1], -1, 1, 'float32', 4) as tf.Tensor2D;
    const fd = sy.federate(new sy.BaseDataset(x, y), clients); // 'even': one sample each
    const init = sy.nn.linear(3, 1);
    const lr = 0.3;
    // Here: one SGD step on each client's sample from the same start, then the mean (equal weights).
    const expected = clients.map((_, k) => {
      const m = init.copy();
      const opt = sy.optim.sgd(m.parameters(), { lr });
      sy.tidy(() => {
        sy.nn.mseLoss(m.forward(sy.tensor(tf.slice(x, [k, 0], [1, -1]))), sy.tensor(tf.slice(y, [k, 0], [1, -1]))).backward();
        opt.step();
      });
      return { model: m, weight: 1 };
    });
    const want = sy.federated.averageLocally(expected);
    const run = async () => {
      const start = init.copy();
      const tensorsBefore = tf.memory().numTensors;
      const { model, rounds } = await sy.federated.fedAvg(start, fd, { rounds: 1, batchSize: 1, loss: 'mse', optimizer: { kind: 'sgd', lr } });
      const values = model.parameters().map((p) => Array.from((p as sy.SyftTensor).dataSync()));
      for (const p of model.parameters()) p.dispose();
      expect(rounds[0]!.participants).toHaveLength(40);
      // Nothing of the round stays here: each client's copy, and each model that came home, was released
      // (and the start's two parameters, replaced by the average).
      expect(tf.memory().numTensors).toBe(tensorsBefore - 2);
      return values;
    };
    const first = await run();
    Object.values(want).forEach((t, j) => Array.from(t.dataSync()).forEach((v, i) => expect(Math.abs(first[j]![i]! - v)).toBeLessThanOrEqual(1e-6)));
    expect(await run()).toEqual(first);
    fd.dispose();
  });
});
