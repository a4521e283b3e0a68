/**
 * Federated averaging: identical clients give centralized training, the
 * average is weighted by sample count (exactly, at the owner; to float32 at a
 * trusted aggregator), failing and slow workers are left out and reported,
 * and nothing is left behind after a run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];
let aggregator: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['w0', 'w1', 'w2', 'w3'], { threads: 2 });
  aggregator = await hook.virtualWorker('trusted');
});
afterAll(() => hook.shutdown());

const valuesOf = (m: sy.nn.Module) => m.parameters().map((p) => Array.from((p as sy.SyftTensor).dataSync()));
const expectClose = (a: number[][], b: number[][], tolerance: number) => {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThanOrEqual(tolerance)));
};

/** 8 samples of 3 features and a linear target with noise. */
function samples(seed: number, n = 8): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.randomUniform([n, 3], -1, 1, 'float32', seed) as tf.Tensor2D;
  const y = tf.add(tf.matMul(x, tf.tensor2d([[0.5], [-1], [2]])), tf.randomUniform([n, 1], -0.1, 0.1, 'float32', seed + 1)) as tf.Tensor2D;
  return { x, y };
}

/** The same steps as a worker's local job, run here: consecutive batches, a fresh optimizer per round. */
function trainCentrally(model: sy.nn.Module, x: tf.Tensor2D, y: tf.Tensor2D, rounds: number, epochs: number, batch: number, lr: number) {
  for (let r = 0; r < rounds; r++) {
    const opt = sy.optim.sgd(model.parameters(), { lr });
    for (let e = 0; e < epochs; e++) {
      for (let start = 0; start < x.shape[0]; start += batch) {
        sy.tidy(() => {
          const size = Math.min(batch, x.shape[0] - start);
          const xb = sy.tensor(tf.slice(x, [start, 0], [size, -1]));
          const yb = sy.tensor(tf.slice(y, [start, 0], [size, -1]));
          opt.zeroGrad();
          sy.nn.mseLoss(model.forward(xb), yb).backward();
          opt.step();
        });
      }
    }
  }
}

describe('fedAvg', () => {
  test('identical clients give the same model as centralized training (owner, trusted aggregator, secure aggregation)', async () => {
    const { x, y } = samples(1);
    const copies = new sy.BaseDataset(tf.concat([x, x, x]), tf.concat([y, y, y]));
    const fd = sy.federate(copies, workers.slice(0, 3)); // 'even': each worker gets one copy of the 8 samples
    const init = sy.nn.sequential(sy.nn.linear(3, 4), sy.nn.tanh(), sy.nn.linear(4, 1));
    const central = init.copy();
    trainCentrally(central, x, y, 3, 2, 3, 0.1);
    for (const at of [undefined, aggregator, 'secure'] as const) {
      const { model, rounds } = await sy.federated.fedAvg(init.copy(), fd, {
        rounds: 3,
        localEpochs: 2,
        batchSize: 3,
        loss: 'mse',
        optimizer: { kind: 'sgd', lr: 0.1 },
        ...(at === undefined ? {} : at === 'secure' ? { secureAggregation: true } : { aggregator: at }),
      });
      expect(rounds.map((r) => r.participants)).toEqual([0, 1, 2].map(() => ['w0', 'w1', 'w2']));
      // Secure aggregation rounds each average to 24 fractional bits (6e-8) before float32.
      expectClose(valuesOf(model), valuesOf(central), 2e-6);
    }
    fd.dispose();
  });

  test('the average is weighted by sample count: exactly at the owner, to float32 rounding at the aggregator', async () => {
    const models = [1, 2, 3].map(() => sy.nn.linear(5, 3));
    const counts = [1, 7, 100];
    const average = sy.federated.averageLocally(models.map((model, k) => ({ model, weight: counts[k]! })));
    const names = models[0]!.namedParameters().map(([n]) => n);
    for (const [j, name] of names.entries()) {
      const expected = new Float64Array((models[0]!.parameters()[j] as sy.SyftTensor).size);
      models.forEach((m, k) => (m.parameters()[j] as sy.SyftTensor).dataSync().forEach((v, i) => (expected[i] = expected[i]! + (counts[k]! / 108) * v)));
      expect(Array.from(average[name]!.dataSync())).toEqual(Array.from(Float32Array.from(expected)));
    }
    const fetched: number[] = [];
    const sub = hook.events$.subscribe((e) => e.type === 'fetched' && fetched.push(1));
    const remote = models.map((m, k) => ({ model: m.copy().send(workers[k]!), weight: counts[k]! }));
    const atAggregator = await sy.federated.averageAtAggregator(remote, aggregator);
    sub.unsubscribe();
    // Only the averaged parameters came home, never a single worker's.
    expect(fetched.length).toBe(names.length);
    for (const name of names) expectClose([Array.from(atAggregator[name]!.dataSync())], [Array.from(average[name]!.dataSync())], 1e-6);
    await sy.testing.assertNoLeaks(hook);

    // On shares among the three workers: nothing comes home but the average's shares.
    const events: string[] = [];
    const watch = hook.events$.subscribe((e) => events.push(e.type));
    const secure = await sy.federated.averageSecurely(
      models.map((m, k) => ({ model: m.copy().send(workers[k]!), weight: counts[k]! })),
      workers.slice(0, 3),
    );
    watch.unsubscribe();
    expect(events.filter((t) => t === 'fetched')).toEqual([]);
    for (const name of names) expectClose([Array.from(secure[name]!.dataSync())], [Array.from(average[name]!.dataSync())], 1e-6);
    await sy.testing.assertNoLeaks(hook);
  });

  test('each worker counts by its number of samples in a round', async () => {
    const { x, y } = samples(3, 4);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 2), { partition: [[0], [1, 2, 3]] });
    const init = sy.nn.linear(3, 1);
    const expected = [[0], [1, 2, 3]].map((rows) => {
      const m = init.copy();
      const idx = tf.tensor1d(rows, 'int32');
      trainCentrally(m, tf.gather(x, idx), tf.gather(y, idx), 1, 1, rows.length, 0.2);
      return { model: m, weight: rows.length };
    });
    const want = sy.federated.averageLocally(expected);
    const { model } = await sy.federated.fedAvg(init.copy(), fd, { rounds: 1, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.2 } });
    expectClose(valuesOf(model), Object.values(want).map((t) => Array.from(t.dataSync())), 1e-6);
    fd.dispose();
  });

  test('a worker that fails is left out of the average and reported; the others train on', async () => {
    const { x, y } = samples(5);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 2));
    // w2 holds data with the wrong number of features: its local job fails at the worker.
    const bad = new sy.FederatedDataset([
      ...fd.list(),
      new sy.BaseDataset(sy.tensor(tf.ones([4, 5])).send(workers[2]!), sy.tensor(tf.ones([4, 1])).send(workers[2]!)),
    ]);
    const { model, rounds } = await sy.federated.fedAvg(sy.nn.linear(3, 1), bad, { rounds: 2, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 } });
    for (const r of rounds) {
      expect(r.participants).toEqual(['w0', 'w1']);
      expect(r.excluded).toHaveLength(1);
      expect(r.excluded[0]!.worker).toBe('w2');
      expect(r.excluded[0]!.reason).toMatch(/w2.*matMul|matMul.*w2|inner dimensions|shape/i);
      expect(Number.isFinite(r.trainLoss)).toBe(true);
    }
    expect(rounds[1]!.trainLoss).toBeLessThan(rounds[0]!.trainLoss);
    valuesOf(model).flat().forEach((v) => expect(Number.isFinite(v)).toBe(true));
    // The failing worker is unharmed: its data is still there and usable.
    expect((await bad.get('w2').data.sum().get()).dataSync()[0]).toBe(20);
    bad.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('a worker that takes longer than timeoutMs is left out with WORKER_TIMEOUT', async () => {
    const [slow] = await hook.virtualWorkers(['slow'], { threads: 1 });
    const { x, y } = samples(7, 6);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 2));
    const big = samples(9, 3000);
    const withSlow = new sy.FederatedDataset([
      ...fd.list(),
      new sy.BaseDataset(sy.tensor(big.x).send(slow!), sy.tensor(big.y).send(slow!)),
    ]);
    // 3000 one-row steps take seconds; the others take milliseconds.
    const { rounds } = await sy.federated.fedAvg(sy.nn.linear(3, 1), withSlow, {
      rounds: 1,
      batchSize: 1,
      timeoutMs: 400,
      loss: 'mse',
      optimizer: { kind: 'sgd', lr: 0.01 },
    });
    expect(rounds[0]!.participants).toEqual(['w0', 'w1']);
    expect(rounds[0]!.excluded).toEqual([{ worker: 'slow', reason: expect.stringMatching(/'slow' did not finish its local training within 400 ms/) }]);
    withSlow.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('client sampling draws clientsPerRound workers a round, reproducibly; no leaks after the run', async () => {
    const { x, y } = samples(11, 16);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers, { partition: 'iid', seed: 3 });
    const init = sy.nn.linear(3, 1);
    const run = () =>
      sy.federated.fedAvg(init.copy(), fd, {
        rounds: 4,
        clientsPerRound: 2,
        localEpochs: 2,
        batchSize: 2,
        shuffle: true,
        seed: 42,
        aggregator,
        loss: 'mse',
        optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 },
      });
    const first = await run();
    const second = await run();
    for (const r of first.rounds) expect(r.participants).toHaveLength(2);
    expect(new Set(first.rounds.map((r) => r.participants.join())).size).toBeGreaterThan(1);
    expect(second.rounds.map((r) => r.participants)).toEqual(first.rounds.map((r) => r.participants));
    expectClose(valuesOf(second.model), valuesOf(first.model), 1e-6);
    const stats = await Promise.all([...workers, aggregator].map((w) => w.stats()));
    expect(stats.map((s) => s.trainingSessions)).toEqual([0, 0, 0, 0, 0]);
    // Each worker holds its data and targets; the aggregator nothing.
    expect(stats.map((s) => s.objects)).toEqual([2, 2, 2, 2, 0]);
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('bad options are refused with the option named', async () => {
    const { x, y } = samples(13);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 1));
    const base = { rounds: 1, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 } } as const;
    await expect(sy.federated.fedAvg(sy.nn.linear(3, 1), fd, { ...base, rounds: 0 })).rejects.toThrow(/rounds must be a positive integer/);
    await expect(sy.federated.fedAvg(sy.nn.linear(3, 1), fd, { ...base, batchSize: 2.5 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(sy.federated.fedAvg(sy.nn.linear(3, 1).send(workers[0]!), fd, base)).rejects.toThrow(/must be local/);
    fd.dispose();
    await sy.testing.collectGarbage();
  });

  test('a round in which no worker finishes rejects with FEDERATED_ROUND_FAILED naming the first cause', async () => {
    // Every worker holds 5 features for a model of 3: every local job fails at its worker.
    const fd = new sy.FederatedDataset(
      workers.slice(0, 2).map((w) => new sy.BaseDataset(sy.tensor(tf.ones([4, 5])).send(w), sy.tensor(tf.ones([4, 1])).send(w))),
    );
    const error = await rejection(sy.federated.fedAvg(sy.nn.linear(3, 1), fd, { rounds: 2, loss: 'mseLoss', optimizer: { kind: 'sgd', lr: 0.1 } }));
    expect(error).toBeInstanceOf(sy.FederatedRoundFailedError);
    expect(error.code).toBe('FEDERATED_ROUND_FAILED');
    expect(error.message).toMatch(/round 1: none of the 2 selected workers finished local training; the first, 'w0', failed with: .*matMul/);
    expect((error as sy.FederatedRoundFailedError).excluded.map((e) => e.worker)).toEqual(['w0', 'w1']);
    // A model that diverges (loss NaN or Infinity) is left out like a failed one, so the average is never poisoned.
    const { x, y } = samples(17);
    const good = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 2));
    const diverged = await rejection(sy.federated.fedAvg(sy.nn.linear(3, 1), good, { rounds: 1, localEpochs: 30, loss: 'mse', optimizer: { kind: 'sgd', lr: 1e6 } }));
    expect(diverged.code).toBe('FEDERATED_ROUND_FAILED');
    expect(diverged.message).toMatch(/the loss became (NaN|Infinity) at local step \d+ of 30/);
    fd.dispose();
    good.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('jobs every worker would fail are refused at the caller: class-index targets without classes, an empty model, loss names', async () => {
    const w = workers[0]!;
    const labels = new sy.FederatedDataset([new sy.BaseDataset(sy.tensor(tf.ones([4, 3])).send(w), sy.tensor(tf.tensor1d([0, 1, 2, 1], 'int32')).send(w))]);
    const sent: string[] = [];
    const watch = hook.events$.subscribe((e) => sent.push(e.type));
    const base = { rounds: 1, optimizer: { kind: 'sgd', lr: 0.1 } } as const;
    const indices = await rejection(sy.federated.fedAvg(sy.nn.linear(3, 3), labels, { ...base, loss: 'crossEntropy' }));
    expect(indices.code).toBe('INVALID_ARGUMENT');
    expect(indices.message).toMatch(/crossEntropy.*int32.*\[4\].*lossOptions: \{ classes: C \}/);
    const empty = await rejection(sy.federated.fedAvg(sy.nn.sequential(), labels, { ...base, loss: 'crossEntropy', lossOptions: { classes: 3 } }));
    expect(empty.message).toMatch(/no layer with parameters \(an empty sequential\(\)\)/);
    const snake = await rejection(sy.federated.fedAvg(sy.nn.linear(3, 3), labels, { ...base, loss: 'nll_loss' as sy.nn.LossName }));
    expect(snake.message).toMatch(/'nll_loss' is PyTorch's spelling; syft-ts names it 'nllLoss'/);
    const typo = await rejection(sy.federated.fedAvg(sy.nn.linear(3, 3), labels, { ...base, loss: 'crossEntropi' as sy.nn.LossName }));
    expect(typo.message).toMatch(/unknown loss 'crossEntropi'\. Did you mean 'crossEntropy'\?/);
    watch.unsubscribe();
    // Nothing was sent for any of them: the checks ran before the first model copy left.
    expect(sent.filter((t) => t === 'sent')).toEqual([]);
    // With the classes given, the same job trains (the README's loss names, here nllLoss after logSoftmax).
    const { rounds } = await sy.federated.fedAvg(sy.nn.sequential(sy.nn.linear(3, 3), sy.nn.logSoftmax()), labels, {
      ...base,
      rounds: 2,
      loss: 'nllLoss',
      lossOptions: { classes: 3 },
    });
    expect(rounds.map((r) => r.participants)).toEqual([['w0'], ['w0']]);
    expect(rounds.every((r) => Number.isFinite(r.trainLoss))).toBe(true);
    labels.dispose();
    await sy.testing.assertNoLeaks(hook);
  });
});
