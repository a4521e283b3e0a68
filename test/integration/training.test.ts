/**
 * sy.nn and sy.optim against plain tfjs references, and training where the
 * data lives: a remote run gives the same parameters as the same run locally,
 * and 100 remote steps leave nothing behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits);
};
const valuesOf = (p: sy.nn.Parameter) => (p as sy.SyftTensor).dataSync();

describe('layers and losses', () => {
  test('linear: x·W + b, PyTorch-style init bounds, named parameters', () => {
    const layer = sy.nn.linear(3, 2);
    const [w, b] = layer.parameters() as sy.SyftTensor[];
    expect(w!.shape).toEqual([3, 2]);
    expect(Math.max(...Array.from(w!.dataSync(), Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(3));
    const x = sy.tensor([[1, 2, 3], [-1, 0, 1]]);
    const y = layer.forward(x) as sy.SyftTensor;
    close(y.dataSync(), tf.add(tf.matMul(x.tensor, w!.tensor), b!.tensor).dataSync());
    expect(Object.keys(sy.nn.sequential(sy.nn.linear(3, 4), sy.nn.relu(), sy.nn.linear(4, 1)).stateDict())).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
    ]);
  });

  test('losses match their formulas', () => {
    const p = sy.tensor([[0.2, 0.8], [0.6, 0.4]]);
    const t = sy.tensor([[0, 1], [1, 0]]);
    close((sy.nn.mseLoss(p, t) as sy.SyftTensor).dataSync(), [(0.04 + 0.04 + 0.16 + 0.16) / 4]);
    const logits = sy.tensor([[1, 2, 3], [1, 1, 1]]);
    const labels = sy.tensor([2, 0], { dtype: 'int32' });
    const logp = tf.logSoftmax(logits.tensor).arraySync() as number[][];
    const expected = -(logp[0]![2]! + logp[1]![0]!) / 2;
    close((sy.nn.crossEntropy(logits, labels, { classes: 3 }) as sy.SyftTensor).dataSync(), [expected]);
    close((sy.nn.nllLoss(sy.tensor(logp), sy.tensor([[0, 0, 1], [1, 0, 0]])) as sy.SyftTensor).dataSync(), [expected]);
    const bce = -(Math.log(0.8) + Math.log(0.6) + Math.log(0.8) + Math.log(0.6)) / 4;
    close((sy.nn.bceLoss(p, t) as sy.SyftTensor).dataSync(), [bce]);
  });

  test('dropout is active in training only', () => {
    const layer = sy.nn.dropout(0.5);
    const x = sy.tensor(tf.ones([1000]));
    const trained = (layer.forward(x) as sy.SyftTensor).dataSync();
    expect(trained.some((v) => v === 0) && trained.some((v) => v === 2)).toBe(true);
    expect(Array.from((layer.eval().forward(x) as sy.SyftTensor).dataSync())).toEqual(Array(1000).fill(1));
  });
});

describe('optimizers', () => {
  /** Three steps of `ours` and of tfjs's own optimizer on the same quadratic loss. */
  function compare(make: (params: sy.nn.Parameter[]) => sy.optim.Optimizer, reference: tf.Optimizer): void {
    const start = [[0.5, -1], [2, 0.25]];
    const target = tf.tensor2d([[1, 1], [0, 0]]);
    const w = sy.tensor(start, { requiresGrad: true });
    const opt = make([w]);
    const v = tf.variable(tf.tensor2d(start));
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      w.sub(target).square().sum().backward();
      opt.step();
      reference.minimize(() => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar);
    }
    close(w.dataSync(), v.dataSync());
  }

  test('sgd with momentum equals tf.train.momentum', () => {
    compare((p) => sy.optim.sgd(p, { lr: 0.1, momentum: 0.9 }), tf.train.momentum(0.1, 0.9));
  });

  test('plain sgd equals tf.train.sgd, and weight decay adds wd·p to the gradient', () => {
    compare((p) => sy.optim.sgd(p, { lr: 0.05 }), tf.train.sgd(0.05));
    const w = sy.tensor([2], { requiresGrad: true });
    w.mul(3).sum().backward(); // grad 3
    sy.optim.sgd([w], { lr: 0.1, weightDecay: 0.5 }).step(); // 2 - 0.1·(3 + 0.5·2)
    close(w.dataSync(), [1.6]);
  });

  test('adam equals tf.train.adam', () => {
    compare((p) => sy.optim.adam(p, { lr: 0.1, betas: [0.9, 0.999], eps: 1e-7 }), tf.train.adam(0.1, 0.9, 0.999, 1e-7));
  });

  test('bad options are refused at once', () => {
    expect(thrown(() => sy.optim.sgd([], { lr: 0.1 })).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => sy.optim.sgd([sy.tensor([1], { requiresGrad: true })], { lr: -1 })).code).toBe('INVALID_ARGUMENT');
  });
});

describe('training where the data lives', () => {
  const data = () => sy.tensor([[1, 1], [0, 1], [1, 0], [0, 0]]);
  const labels = () => sy.tensor([[1], [1], [0], [0]]);

  function trainSteps(model: sy.nn.Module, opt: sy.optim.Optimizer, x: sy.nn.Activation, y: sy.nn.Activation, steps: number) {
    for (let i = 0; i < steps; i++) {
      sy.tidy(() => {
        opt.zeroGrad();
        sy.nn.mseLoss(model.forward(x), y).backward();
        opt.step();
      });
    }
  }

  test('a model sent to bob trains there to the same parameters as locally (sgd with momentum and adam)', async () => {
    for (const makeOpt of [
      (p: sy.nn.Parameter[]) => sy.optim.sgd(p, { lr: 0.1, momentum: 0.5 }),
      (p: sy.nn.Parameter[]) => sy.optim.adam(p, { lr: 0.05 }),
    ]) {
      const local = sy.nn.sequential(sy.nn.linear(2, 3), sy.nn.tanh(), sy.nn.linear(3, 1));
      const remote = local.copy().send(bob);
      expect(remote.location).toBe(bob);
      trainSteps(local, makeOpt(local.parameters()), data(), labels(), 5);
      trainSteps(remote, makeOpt(remote.parameters()), data().send(bob), labels().send(bob), 5);
      const home = await remote.get();
      expect(home.location).toBeUndefined();
      home.parameters().forEach((p, i) => close(valuesOf(p), valuesOf(local.parameters()[i]!), 4));
      // The gradient comes home with the value.
      expect((home.parameters()[0] as sy.SyftTensor).grad).toBeInstanceOf(sy.SyftTensor);
    }
  });

  test('k steps in one message give the same parameters and losses as the same steps run locally', async () => {
    for (const optimizer of [
      { kind: 'sgd', lr: 0.1, momentum: 0.5 } as const,
      { kind: 'adam', lr: 0.05 } as const,
    ]) {
      const local = sy.nn.sequential(sy.nn.linear(2, 3), sy.nn.relu(), sy.nn.linear(3, 1));
      const remote = local.copy().send(bob);
      const opt = optimizer.kind === 'sgd' ? sy.optim.sgd(local.parameters(), optimizer) : sy.optim.adam(local.parameters(), optimizer);
      const [x, y] = [data(), labels()];
      const localLosses: number[] = [];
      for (let i = 0; i < 5; i++) {
        sy.tidy(() => {
          opt.zeroGrad();
          const loss = sy.nn.mseLoss(local.forward(x), y);
          localLosses.push(loss.dataSync()[0]!);
          loss.backward();
          opt.step();
        });
      }
      const [rx, ry] = [data().send(bob), labels().send(bob)];
      // Two calls of 3 and 2 steps: the optimizer's state carries over at the worker.
      const losses = [
        ...(await remote.trainOn(rx, ry, { loss: 'mse', optimizer, steps: 3 })),
        ...(await remote.trainOn(rx, ry, { loss: 'mse', optimizer, steps: 2 })),
      ];
      close(losses, localLosses, 4);
      (await remote.get()).parameters().forEach((p, i) => close(valuesOf(p), valuesOf(local.parameters()[i]!), 4));
    }
  });

  test('a small CNN trains at bob, op by op and in one message, to the same parameters as locally', async () => {
    const cnn = () =>
      sy.nn.sequential(sy.nn.conv2d(1, 2, 3, { padding: 'same' }), sy.nn.relu(), sy.nn.maxPool2d(2), sy.nn.flatten(2 * 3 * 3), sy.nn.linear(2 * 3 * 3, 3));
    const images = () => sy.tensor(tf.randomUniform([4, 6, 6, 1], 0, 1, 'float32', 11));
    const targets = () => sy.tensor(tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat());
    const local = cnn();
    const [opByOp, oneMessage] = [local.copy().send(bob), local.copy().send(bob)];
    const [x, y, rx, ry] = [images(), targets(), images().send(bob), targets().send(bob)];
    const step = (model: sy.nn.Module, opt: sy.optim.Optimizer, xs: sy.nn.Activation, ys: sy.nn.Activation) =>
      sy.tidy(() => {
        opt.zeroGrad();
        sy.nn.crossEntropy(model.forward(xs), ys).backward();
        opt.step();
      });
    const [localOpt, remoteOpt] = [sy.optim.sgd(local.parameters(), { lr: 0.5 }), sy.optim.sgd(opByOp.parameters(), { lr: 0.5 })];
    for (let i = 0; i < 4; i++) {
      step(local, localOpt, x, y);
      step(opByOp, remoteOpt, rx, ry);
    }
    const losses = await oneMessage.trainOn(rx, ry, { loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.5 }, steps: 4 });
    expect(losses[3]!).toBeLessThan(losses[0]!);
    for (const trained of [await opByOp.get(), await oneMessage.get()]) {
      trained.parameters().forEach((p, i) => close(valuesOf(p), valuesOf(local.parameters()[i]!), 4));
    }
  });

  test('trainOn refuses a module that is not where the data is', async () => {
    const model = sy.nn.linear(2, 1);
    await expect(model.trainOn(data().send(bob), labels().send(bob), { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 1 })).rejects.toThrow(
      /must all be at bob/,
    );
  });

  test('the seed lesson: tensors only, all at bob, loss as PySyft printed it', async () => {
    const input = data().send(bob);
    const target = labels().send(bob);
    const weights = sy.tensor([[0], [0]], { requiresGrad: true }).send(bob);
    const losses: string[] = [];
    for (let i = 0; i < 10; i++) {
      const loss = input.matMul(weights).sub(target).pow(2).sum();
      loss.backward();
      weights.subInPlace(weights.grad.mul(0.1));
      weights.grad.zeroInPlace();
      losses.push((await loss.get()).dataSync()[0]!.toFixed(4));
    }
    expect(losses.slice(0, 4)).toEqual(['2.0000', '0.5600', '0.2432', '0.1372']);
    expect(losses[9]).toBe('0.0090');
  });

  test('100 remote training steps leak nothing: objects, tensors kept for backward, tfjs tensors', async () => {
    const model = sy.nn.sequential(sy.nn.linear(2, 4), sy.nn.relu(), sy.nn.linear(4, 1)).send(alice);
    const opt = sy.optim.sgd(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = data().send(alice);
    const y = labels().send(alice);
    trainSteps(model, opt, x, y, 5);
    const before = await alice.stats();
    trainSteps(model, opt, x, y, 100);
    await sy.testing.collectGarbage();
    const after = await alice.stats();
    expect(after).toEqual(before);
    expect(after.retainedForBackward).toBe(0);
    await sy.testing.assertNoLeaks(hook, { workers: [alice] });
  });

  test('a graph survives its intermediates being collected before backward()', async () => {
    const w = sy.tensor([[1], [2]], { requiresGrad: true }).send(bob);
    const x = data().send(bob);
    const loss = sy.tidy(() => x.matMul(w).relu().sum()); // intermediates disposed here
    await sy.testing.collectGarbage();
    expect((await bob.stats()).retainedForBackward).toBeGreaterThan(0);
    loss.backward();
    close((await w.grad.get()).dataSync(), [2, 2]);
    loss.dispose();
    expect((await bob.stats()).retainedForBackward).toBe(0);
    w.dispose();
    x.dispose();
  });

  test('in-place changes after use are refused at backward()', async () => {
    const w = sy.tensor([1, 2], { requiresGrad: true });
    const loss = w.mul(w).sum();
    w.addInPlace(1);
    expect(thrown(() => loss.backward()).message).toMatch(/changed in place after 'mul' used it/);
    const r = sy.tensor([1, 2], { requiresGrad: true }).send(bob);
    const rl = r.mul(r).sum();
    r.addInPlace(1);
    rl.backward();
    await expect(r.grad.get()).rejects.toThrow(/changed in place/);
  });
});
