/**
 * SMPC end to end: failures at a worker reject (never hang) every shared
 * tensor that depends on them and leave the parties working; secure
 * aggregation sums updates that never leave their workers.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];
let dealer: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['m0', 'm1', 'm2', 'm3', 'm4'], { threads: 2 });
  dealer = await hook.virtualWorker('trent');
});
afterAll(() => hook.shutdown());

/** `promise`'s rejection, failing fast (instead of at the test timeout) if it hangs or resolves. */
async function rejectsWithin(promise: Promise<unknown>, ms = 5_000): Promise<sy.SyftError> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms: the protocol hangs`)), ms);
  });
  try {
    await Promise.race([promise, hang]);
  } catch (error) {
    if (sy.isSyftError(error)) return error;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('expected a rejection, got a value');
}

async function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A pointer to a tensor whose op fails at `w`: an index out of range, which only the data can tell (a shape
 * mismatch would be refused at the caller, before anything is sent).
 */
function failingAt(w: sy.VirtualWorker): sy.PointerTensor<tf.Tensor> {
  return tf.tensor([1, 2]).send(w).gather(tf.tensor([7, 0], [2], 'int32').send(w));
}

async function heldBy(w: sy.VirtualWorker): Promise<string[]> {
  return [...(await within(w.objects())).values()].map((o) => o.kind);
}

describe('a failure at a worker', () => {
  test('rejects get(), peekShares(), open() and every op on shares of a failed tensor with RemoteError, without hanging', async () => {
    const [a, b, c] = workers as [sy.VirtualWorker, sy.VirtualWorker, sy.VirtualWorker];
    const failed = failingAt(b);
    const shared = failed.share(a, b, c, { cryptoProvider: dealer });
    expect(shared.shape).toBeUndefined();
    // A failed source's shape is unknown too: private products need it first.
    expect(thrown(() => shared.mul(shared)).code).toBe('INVALID_ARGUMENT');
    const vector = shared.reshape([2]);
    const good = sy.fixPrecision([5, 6]).share(a, b, c, { cryptoProvider: dealer });
    const intermediates = [vector.reshape([1, 2]), good.reshape([2, 1]), vector.add(good)] as const;
    const dependents = {
      product: vector.mul(good),
      productOther: good.mul(vector),
      square: vector.mul(vector),
      matMul: intermediates[0].matMul(intermediates[1]),
      sum: intermediates[2].sum(),
      mean: vector.mean(),
      refreshed: vector.refresh(),
      scaled: vector.mul(0.5),
    };
    for (const [name, t] of Object.entries(dependents)) {
      const error = await rejectsWithin(t.get());
      expect([name, error.code]).toEqual([name, 'REMOTE_ERROR']);
      expect(error).toBeInstanceOf(sy.RemoteError);
      // The first failure is reported, not the reveal or fetch that read it.
      expect(error.message).toMatch(/gather/);
    }
    expect((await rejectsWithin(vector.peekShares())).code).toBe('REMOTE_ERROR');
    expect((await rejectsWithin(vector.open())).code).toBe('REMOTE_ERROR');
    expect((await rejectsWithin(shared.get())).code).toBe('REMOTE_ERROR');
    // The healthy operand is unharmed.
    expect(Array.from((await within(good.mul(good).get())).toFloat64())).toEqual([25, 36]);
    for (const t of [vector, good, shared, ...intermediates]) t.dispose();
    failed.dispose();
    await within(sy.testing.collectGarbage());
    await within(sy.testing.assertNoLeaks(hook));
  });

  test('a value that overflows when a worker encodes it rejects with its cause; a failing update rejects secureAggregate', async () => {
    const [a, b, c] = workers as [sy.VirtualWorker, sy.VirtualWorker, sy.VirtualWorker];
    const big = tf.tensor([1, 2 ** 50]).send(c);
    const error = await rejectsWithin(big.share(a, b, { cryptoProvider: dealer }).get());
    expect(error.message).toMatch(/outside the representable range/);
    expect((error as sy.RemoteError).causeCode).toBe('FIXED_PRECISION_OVERFLOW');
    // A weight can push a value out of range too.
    const small = tf.tensor([1, 2 ** 40]).send(c);
    expect((await rejectsWithin(small.share(a, b, { weight: 2 ** 10 }).get())).code).toBe('REMOTE_ERROR');

    const ok = [tf.tensor([1, 2]).send(a), tf.tensor([3, 4]).send(b)];
    const bad = failingAt(c);
    const aggregation = sy.federated.secureAggregate([[ok[0]!], [ok[1]!], [bad]], [a, b, c]);
    expect((await rejectsWithin(aggregation)).code).toBe('REMOTE_ERROR');
    // The healthy updates are still there.
    expect(Array.from((await within(ok[0]!.get())).dataSync())).toEqual([1, 2]);
    expect(Array.from((await within(ok[1]!.get())).dataSync())).toEqual([3, 4]);
    for (const p of [big, small, bad]) p.dispose();
    await within(sy.testing.collectGarbage());
    await within(sy.testing.assertNoLeaks(hook));
  });

  test('after failures, every worker still shares, multiplies and reconstructs; nothing is left anywhere', async () => {
    for (let round = 0; round < 3; round++) {
      const bad = failingAt(workers[round]!);
      const source = bad.share(...workers, { cryptoProvider: dealer });
      const doomed = source.reshape([2]);
      const good = sy.fixPrecision([1.5, -2]).share(...workers, { cryptoProvider: dealer });
      const mixed = doomed.mul(good);
      expect((await rejectsWithin(mixed.get())).code).toBe('REMOTE_ERROR');
      expect(Array.from((await within(good.mul(good).get())).toFloat64())).toEqual([2.25, 4]);
      source.dispose();
      doomed.dispose();
      good.dispose();
      bad.dispose();
    }
    // A worker that held a failed tensor shares its own data again.
    const fine = tf.tensor([[0.5, 1], [2, 4]]).send(workers[0]!);
    const fromWorker = fine.share(workers[1]!, workers[2]!, workers[3]!, { cryptoProvider: dealer });
    const shared = fromWorker.reshape([2, 2]);
    expect(Array.from((await within(shared.matMul(shared).get())).toFloat64())).toEqual([2.25, 4.5, 9, 18]);
    fromWorker.dispose();
    shared.dispose();
    fine.dispose();
    await within(sy.testing.collectGarbage());
    await within(sy.testing.assertNoLeaks(hook));
    for (const w of [...workers, dealer]) expect([w.id, await heldBy(w)]).toEqual([w.id, []]);
  });
});

describe('secure aggregation', () => {
  const value = fc.double({ min: -100, max: 100, noNaN: true }).map(Math.fround);
  const update = fc.tuple(fc.array(value, { minLength: 6, maxLength: 6 }), fc.array(value, { minLength: 4, maxLength: 4 }));

  test('the weighted secure sum of three workers\' tensors equals the plain weighted sum; the tensors stay, nothing else is left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(update, update, update),
        fc.tuple(...[0, 1, 2].map(() => fc.double({ min: 0.05, max: 20, noNaN: true }))),
        fc.boolean(),
        async (values, weights, holdersAreParties) => {
          const holders = workers.slice(0, 3);
          const parties = holdersAreParties ? holders : [workers[3]!, workers[4]!];
          const pointers = values.map(([w, b], k) => [tf.tensor(w, [2, 3]).send(holders[k]!), tf.tensor(b, [4]).send(holders[k]!)]);
          const fetched: number[] = [];
          const watch = hook.events$.subscribe((e) => e.type === 'fetched' && fetched.push(e.id));
          const sums = await within(sy.federated.secureAggregate(pointers, parties, { weights }), 10_000);
          watch.unsubscribe();
          expect(fetched).toEqual([]);
          expect(sums.map((s) => s.shape)).toEqual([[2, 3], [4]]);
          sums.forEach((sum, j) => {
            const got = sum.dataSync();
            got.forEach((g, i) => {
              const terms = values.map((u, k) => weights[k]! * u[j]![i]!);
              const want = terms.reduce((s, t) => s + t, 0);
              const magnitude = terms.reduce((s, t) => s + Math.abs(t), 0);
              expect([j, i, Math.abs(g - want) <= 2 ** -20 * (magnitude + 1)]).toEqual([j, i, true]);
            });
          });
          // Each holder still holds exactly its two tensors, unchanged; the parties hold nothing more.
          for (const w of holders) expect([w.id, await heldBy(w)]).toEqual([w.id, ['tensor', 'tensor']]);
          for (const w of [workers[3]!, workers[4]!, dealer]) expect([w.id, await heldBy(w)]).toEqual([w.id, []]);
          for (const [k, [pw, pb]] of pointers.entries()) {
            expect(Array.from((await pw!.get()).dataSync())).toEqual(values[k]![0]);
            expect(Array.from((await pb!.get()).dataSync())).toEqual(values[k]![1]);
          }
        },
      ),
      { numRuns: 10 },
    );
    await within(sy.testing.assertNoLeaks(hook));
  });

  test('unweighted sums, a crypto provider kept on the shares, and bad arguments refused at once', async () => {
    const [a, b, c] = workers as [sy.VirtualWorker, sy.VirtualWorker, sy.VirtualWorker];
    const ps = [tf.tensor([1.5, -2]).send(a), tf.tensor([0.25, 8]).send(b), tf.tensor([-4, 0.125]).send(c)];
    const [sum] = await within(sy.federated.secureAggregate(ps.map((p) => [p]), [a, b, c], { cryptoProvider: dealer }));
    expect(Array.from(sum!.dataSync())).toEqual([-2.25, 6.125]);
    const refused = (f: () => Promise<unknown>) => rejectsWithin((async () => f())());
    expect((await refused(() => sy.federated.secureAggregate([], [a, b]))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(() => sy.federated.secureAggregate([[ps[0]!]], [a]))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(() => sy.federated.secureAggregate([[ps[0]!], [ps[1]!]], [a, b], { weights: [1] }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(() => sy.federated.secureAggregate([[ps[0]!], [ps[1]!]], [a, b], { weights: [1, Number.NaN] }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(() => sy.federated.secureAggregate([[ps[0]!, ps[1]!], [ps[2]!]], [a, b]))).code).toBe('INVALID_ARGUMENT');
    for (const p of ps) p.dispose();
    await within(sy.testing.assertNoLeaks(hook));
    for (const w of [...workers, dealer]) expect([w.id, await heldBy(w)]).toEqual([w.id, []]);
  });
});

describe('the remote-handle lifecycle', () => {
  test('shared tensors follow it like pointers: sy.tidy keeps what it returns, using and collection release the rest', async () => {
    const [p0, p1] = [workers[0]!, workers[1]!];
    const opts = { cryptoProvider: dealer };
    const kept = sy.tidy(() => {
      const a = sy.fixPrecision([1, 2]).share(p0, p1, opts);
      const b = a.add(a);
      return { b, list: [b.mul(2)] };
    });
    expect([kept.b.isDisposed, kept.list[0]!.isDisposed]).toEqual([false, false]);
    {
      using scoped = sy.fixPrecision([3]).share(p0, p1, opts);
      expect(scoped.isDisposed).toBe(false);
    }
    // Only the two returned tensors' shares are left: one ring entry per tensor at each party.
    for (const w of [p0, p1]) expect([...(await w.objects()).values()].filter((o) => o.kind === 'ring')).toHaveLength(2);
    expect((await hook.localWorker.objects()).size).toBe(4);
    await sy.testing.assertNoLeaks(hook);
    expect(Array.from((await kept.b.get()).toFloat64())).toEqual([2, 4]);
    expect(Array.from((await kept.list[0]!.get()).toFloat64())).toEqual([4, 8]);
    // An unreachable shared tensor is collected at every party.
    (() => void sy.fixPrecision([5]).share(p0, p1, opts))();
    await sy.testing.collectGarbage();
    for (const w of [p0, p1, dealer]) expect((await w.objects()).size).toBe(0);
    expect((await hook.localWorker.objects()).size).toBe(0);
  });
});
