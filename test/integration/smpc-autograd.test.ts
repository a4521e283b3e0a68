/**
 * Autograd on shared tensors (issue 14): backward() through ops on shares,
 * gradients as shares, shared models trained with sy.optim.sgd and fetched
 * back, each compared with the same program in plaintext (tfjs gradients, a
 * local sy.nn model). After every test no party and no dealer holds anything.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let parties: sy.VirtualWorker[];
let dealer: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  parties = await hook.virtualWorkers(['ga', 'gb', 'gc'], { threads: 2 });
  dealer = await hook.virtualWorker('gdealer');
});
afterAll(() => hook.shutdown());
afterEach(async () => {
  // Checked in each test (nothingLeft); cleared here so one failure does not cascade.
  await Promise.all([...parties, dealer].map((w) => w.clearObjects()));
});

async function nothingLeft(): Promise<void> {
  const held = await Promise.all([...parties, dealer].map(async (w) => (await w.objects()).size));
  expect(held).toEqual([...parties, dealer].map(() => 0));
  expect((await hook.localWorker.objects()).size).toBe(0);
}

const share = (values: tf.Tensor, requiresGrad = true, n = 2) =>
  values.fixPrecision().share(...parties.slice(0, n), { cryptoProvider: dealer, requiresGrad });
const read = async (x: sy.AdditiveSharingTensor | undefined): Promise<number[]> => {
  if (x === undefined) throw new Error('no gradient');
  return Array.from((await x.get()).toFloat64());
};
/** A copy of the value, the shares staying. */
const peekValue = async (x: sy.AdditiveSharingTensor | undefined): Promise<number[]> => {
  if (x === undefined) throw new Error('no gradient');
  return Array.from(new sy.FixedPrecisionTensor(sy.smpc.reconstruct(await x.peekShares()), x.precision).toFloat64());
};

function close(actual: readonly number[], want: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(want.length);
  actual.forEach((v, i) => {
    if (Math.abs(v - want[i]!) > tol) throw new Error(`index ${i}: ${v} vs ${want[i]} (tolerance ${tol}); all: [${actual}] vs [${Array.from(want)}]`);
  });
}

describe('backward() on shares', () => {
  test('a scalar loss seeds 1: the gradients of sum(x·w + b) are w, x and 1, shared among the parties', async () => {
    const xv = tf.tensor([[0.5, -1.25], [2, 0.75]]);
    const wv = tf.tensor([[1.5], [-0.5]]);
    const x = share(xv);
    const w = share(wv);
    const b = share(tf.tensor([0.25]));
    const loss = sy.tidy(() => {
      const out = x.matMul(w).add(b).sum();
      out.backward();
      return out;
    });
    expect(loss.gradFn?.op).toBe('sum');
    expect(x.grad?.parties.map((p) => p.id)).toEqual(['ga', 'gb']);
    close(await read(loss), [0.5 * 1.5 + 1.25 * 0.5 + 0.25 + 2 * 1.5 - 0.75 * 0.5 + 0.25], 1e-4);
    close(await read(x.grad), [1.5, -0.5, 1.5, -0.5], 1e-4);
    close(await read(w.grad), [2.5, -0.5], 1e-4);
    close(await read(b.grad), [2], 1e-4);
    for (const t of [x, w, b]) t.dispose();
    await nothingLeft();
  });
});

describe('recording', () => {
  test('gradients accumulate over two backward() calls and zeroInPlace() resets them', async () => {
    const x = share(tf.tensor([1, -2, 0.5]));
    sy.tidy(() => {
      x.mul(3).sum().backward();
      x.mul(3).sum().backward();
    });
    close(await peekValue(x.grad), [6, 6, 6], 1e-4);
    x.grad!.zeroInPlace();
    sy.tidy(() => x.mul(x).sum().backward());
    close(await read(x.grad), [2, -4, 1], 1e-3);
    x.dispose();
    await nothingLeft();
  });

  test('one node per op, functional or method form: the approximation inside sigmoid leaves no node', () => {
    const x = share(tf.tensor([[0.5, -1]]));
    const w = share(tf.tensor([[1], [2]]));
    sy.tidy(() => {
      const viaMethod = x.matMul(w);
      const viaFunction = sy.matMul(x, w);
      expect([viaMethod.gradFn?.op, viaFunction.gradFn?.op]).toEqual(['matMul', 'matMul']);
      expect(viaFunction.gradFn?.inputs).toEqual([x, w]);
      const s = sy.sigmoid(viaMethod);
      expect(s.gradFn?.op).toBe('sigmoid');
      expect(s.gradFn?.inputs[0]).toBe(viaMethod);
      const m = sy.mean(sy.square(sy.sub(2, s)));
      expect(m.gradFn?.op).toBe('mean');
      expect((m.gradFn?.inputs[0] as sy.AdditiveSharingTensor).gradFn?.op).toBe('square');
      expect(((m.gradFn?.inputs[0] as sy.AdditiveSharingTensor).gradFn?.inputs[0] as sy.AdditiveSharingTensor).gradFn?.inputs).toEqual([2, s]);
      expect([x.isLeaf, viaMethod.isLeaf, viaMethod.requiresGrad]).toEqual([true, false, true]);
    });
    x.dispose();
    w.dispose();
  });

  test('sy.noGrad and requiresGrad: false record nothing', async () => {
    const x = share(tf.tensor([1, 2]));
    const y = share(tf.tensor([3, 4]), false);
    sy.tidy(() => {
      const quiet = sy.noGrad(() => x.mul(2).add(1));
      expect([quiet.gradFn, quiet.requiresGrad]).toEqual([undefined, false]);
      const plain = y.mul(y).sum();
      expect([plain.gradFn, plain.requiresGrad]).toEqual([undefined, false]);
      expect(thrown(() => plain.backward()).code).toBe('INVALID_ARGUMENT');
    });
    x.dispose();
    y.dispose();
    await nothingLeft();
  });

  test('backward(dy) on a non-scalar; without dy it is refused', async () => {
    const x = share(tf.tensor([1, 2, 3]));
    sy.tidy(() => {
      const y = x.mul(x);
      expect(thrown(() => y.backward()).code).toBe('INVALID_ARGUMENT');
      y.backward(tf.tensor([1, 0.5, -1]));
    });
    close(await read(x.grad), [2, 2, -6], 1e-3);
    x.dispose();
    await nothingLeft();
  });

  test('in place: refused on a recorded result; an input changed after the op makes backward() refuse, leaving nothing', async () => {
    const x = share(tf.tensor([1, 2]));
    const w = share(tf.tensor([3, 4]));
    sy.tidy(() => {
      const y = x.mul(w);
      expect(thrown(() => y.addInPlace(1)).code).toBe('INVALID_ARGUMENT');
      const loss = y.sum();
      sy.noGrad(() => w.subInPlace(1));
      expect(thrown(() => loss.backward()).code).toBe('INVALID_ARGUMENT');
    });
    expect([x.grad, w.grad]).toEqual([undefined, undefined]);
    x.dispose();
    w.dispose();
    await nothingLeft();
  });

  test('an op with no gradient entry records a node whose backward() is refused with UNSUPPORTED_ON_SHARES', async () => {
    const x = share(tf.tensor([1, -2]));
    sy.tidy(() => {
      const m = sy.maximum(x, 0.5);
      expect(m.gradFn?.op).toBe('maximum');
      const e = thrown(() => m.sum().backward());
      expect(e.code).toBe('UNSUPPORTED_ON_SHARES');
      expect(e.message).toContain('maximum');
      // Comparisons need no gradient, as in PyTorch: not recorded.
      expect(sy.greater(x, 0).requiresGrad).toBe(false);
    });
    x.dispose();
    await nothingLeft();
  });
});

describe('non-linear ops', () => {
  test('relu, max and sigmoid: their analytic gradients on shares equal tfjs gradients', async () => {
    const values = tf.tensor([[0.5, -1.5, 2], [-0.25, 1, 0.75]]);
    const weights = tf.tensor([[1, -2, 0.5], [1.5, 0.25, -1]]);
    const x = share(values, true, 3);
    sy.tidy(() => {
      const r = sy.relu(x).mul(weights).sum();
      const m = sy.max(x, 1).mul(tf.tensor([2, -1])).sum();
      const s = sy.sigmoid(x).mul(weights).sum();
      r.add(m).add(s).backward();
    });
    const want = tf.grad((v: tf.Tensor) =>
      tf.add(tf.add(tf.sum(tf.mul(tf.relu(v), weights)), tf.sum(tf.mul(tf.max(v, 1), tf.tensor([2, -1])))), tf.sum(tf.mul(tf.sigmoid(v), weights))),
    )(values);
    close(await read(x.grad), want.dataSync(), 5e-3);
    x.dispose();
    await nothingLeft();
  });
});

describe('shared models', () => {
  const mlp = (hidden: 'relu' | 'sigmoid') => {
    return sy.nn.sequential(sy.nn.linear(4, 3), hidden === 'relu' ? sy.nn.relu() : sy.nn.sigmoid(), sy.nn.linear(3, 1));
  };
  // Built in the tests: the backend starts with the hook.
  const data = () => ({
    xs: tf.tensor([[0.5, -1, 0.25, 2], [1, 0.5, -0.5, 0], [-1.5, 0.25, 1, 0.5], [0.75, -0.25, 0.5, -1]]),
    ys: tf.tensor([[1], [0], [0.5], [-1]]),
  });

  for (const hidden of ['relu', 'sigmoid'] as const) {
    test(`three SGD steps on a shared ${hidden} MLP match the same steps in plaintext; get() then floatPrecision() gives the trained model`, async () => {
      const { xs, ys } = data();
      const model = mlp(hidden);
      const reference = model.copy();
      const shared = model.fixPrecision().share(...parties, { cryptoProvider: dealer, requiresGrad: true });
      expect(shared.parameters().every((p) => p instanceof sy.AdditiveSharingTensor && p.requiresGrad)).toBe(true);
      const opt = sy.optim.sgd(shared.parameters(), { lr: 0.1 });
      const plainOpt = sy.optim.sgd(reference.parameters(), { lr: 0.1 });
      const x = xs.fixPrecision().share(...parties, { cryptoProvider: dealer });
      const y = ys.fixPrecision().share(...parties, { cryptoProvider: dealer });
      const losses: number[] = [];
      const plainLosses: number[] = [];
      for (let step = 0; step < 3; step++) {
        opt.zeroGrad();
        const loss = sy.tidy(() => {
          const l = sy.smpc.mseLoss(shared.forward(x), y);
          l.backward();
          return l;
        });
        opt.step();
        losses.push((await read(loss))[0]!);
        plainOpt.zeroGrad();
        sy.tidy(() => {
          const l = sy.nn.mseLoss(reference.forward(sy.tensor(xs)), sy.tensor(ys));
          l.backward();
          plainLosses.push(l.tensor.dataSync()[0]!);
        });
        plainOpt.step();
      }
      close(losses, plainLosses, 5e-3);
      const trained = (await shared.get()).floatPrecision();
      const got = trained.parameters().map((p) => Array.from((p as sy.SyftTensor).tensor.dataSync()));
      const want = reference.parameters().map((p) => Array.from((p as sy.SyftTensor).tensor.dataSync()));
      got.forEach((g, i) => close(g, want[i]!, 5e-3));
      x.dispose();
      y.dispose();
      await nothingLeft();
    });
  }

  test('fixPrecision().share() then get().floatPrecision() gives the parameters back; share() of a float model is refused', async () => {
    const model = sy.nn.sequential(sy.nn.linear(3, 2), sy.nn.relu());
    const before = model.parameters().map((p) => Array.from((p as sy.SyftTensor).tensor.dataSync()));
    const fresh = sy.nn.linear(2, 2) as unknown as { share(...a: unknown[]): unknown };
    expect(thrown(() => fresh.share(...parties, { cryptoProvider: dealer })).code).toBe('INVALID_ARGUMENT');
    const shared = model.fixPrecision().share(...parties.slice(0, 2), { cryptoProvider: dealer });
    const back = (await shared.get()).floatPrecision();
    back.parameters().forEach((p, i) => close(Array.from((p as sy.SyftTensor).tensor.dataSync()), before[i]!, 2 ** -16));
    await nothingLeft();
  });

  test('cross-entropy through logSoftmax: the gradient of the logits equals tfjs', async () => {
    const logits = tf.tensor([[1, -0.5, 0.25], [0.5, 2, -1]]);
    const onehot = tf.tensor([[0, 1, 0], [1, 0, 0]]);
    const x = share(logits, true, 3);
    const t = onehot.fixPrecision().share(...parties, { cryptoProvider: dealer });
    const loss = sy.tidy(() => {
      const l = sy.smpc.crossEntropy(x, t);
      l.backward();
      return l;
    });
    const f = (v: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(v), onehot), -1)));
    close(await read(loss), f(logits).dataSync(), 1e-2);
    close(await read(x.grad), tf.grad(f)(logits).dataSync(), 1e-2);
    x.dispose();
    t.dispose();
    await nothingLeft();
  });
});
