/**
 * Comparisons on shares (src/smpc/comparisons.ts) against plaintext, with 2,
 * 3 and 5 parties and on local fixed-precision tensors: less, lessEqual,
 * greater, greaterEqual, equal, notEqual, sign, abs, relu, where, max, min,
 * argMax, argMin, maximum, minimum. Inputs are fixed-point values (multiples
 * of 1/256, so their encoding is exact) and the results must be exact:
 * comparisons are exact for every value in range. Ties in argMax/argMin go to
 * the first position, as tfjs's. After each test, nothing is left at any party.
 */
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['p0', 'p1', 'p2', 'p3', 'p4', 'dealer'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const dealer = (): sy.VirtualWorker => workers[5]!;
// Ties are likely on purpose: few distinct values.
const value = fc.integer({ min: -40, max: 40 }).map((k) => k / 8);
const matrix = fc.integer({ min: 1, max: 3 }).chain((rows) => fc.integer({ min: 1, max: 5 }).chain((cols) => fc.array(fc.array(value, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows })));

type Fn = (x: unknown) => unknown;
const call = (name: string, ...args: unknown[]): unknown => sy.op(name, ...(args as [never]));

/** Each case: what runs on the secret x and what the plaintext answer is (tfjs on the same values). */
const CASES: readonly { name: string; secret: Fn; plain: (x: tf.Tensor2D) => tf.Tensor }[] = [
  { name: 'less 0.5', secret: (x) => call('less', x, 0.5), plain: (x) => tf.less(x, 0.5) },
  { name: 'lessEqual 1', secret: (x) => call('lessEqual', x, 1), plain: (x) => tf.lessEqual(x, 1) },
  { name: 'greater 0', secret: (x) => call('greater', x, 0), plain: (x) => tf.greater(x, 0) },
  { name: 'greaterEqual -1', secret: (x) => call('greaterEqual', x, -1), plain: (x) => tf.greaterEqual(x, -1) },
  { name: 'equal 1', secret: (x) => call('equal', x, 1), plain: (x) => tf.equal(x, 1) },
  { name: 'notEqual 0', secret: (x) => call('notEqual', x, 0), plain: (x) => tf.notEqual(x, 0) },
  { name: 'public less x', secret: (x) => call('less', 0.25, x), plain: (x) => tf.less(0.25, x) },
  { name: 'sign', secret: (x) => call('sign', x), plain: (x) => tf.sign(x) },
  { name: 'abs', secret: (x) => call('abs', x), plain: (x) => tf.abs(x) },
  { name: 'relu', secret: (x) => call('relu', x), plain: (x) => tf.relu(x) },
  { name: 'max (all)', secret: (x) => call('max', x), plain: (x) => tf.max(x) },
  { name: 'max axis 1', secret: (x) => call('max', x, 1), plain: (x) => tf.max(x, 1) },
  { name: 'min axis 0 keepDims', secret: (x) => call('min', x, 0, true), plain: (x) => tf.min(x, 0, true) },
  { name: 'argMax axis 1', secret: (x) => call('argMax', x, 1), plain: (x) => tf.argMax(x, 1) },
  { name: 'argMin axis 0', secret: (x) => call('argMin', x, 0), plain: (x) => tf.argMin(x, 0) },
  { name: 'maximum 0.5', secret: (x) => call('maximum', x, 0.5), plain: (x) => tf.maximum(x, 0.5) },
  { name: 'minimum -0.5', secret: (x) => call('minimum', x, -0.5), plain: (x) => tf.minimum(x, -0.5) },
];

function expected(plain: (x: tf.Tensor2D) => tf.Tensor, rows: number[][]): number[] {
  return tf.tidy(() => Array.from(plain(tf.tensor2d(rows)).cast('float32').dataSync()));
}

describe('comparisons on local fixed-precision tensors', () => {
  for (const { name, secret, plain } of CASES) {
    test(`${name}: exact`, () => {
      fc.assert(
        fc.property(matrix, (rows) => {
          const got = (secret(sy.fixPrecision(rows as never)) as sy.FixedPrecisionTensor).floatPrecision().dataSync();
          expect(Array.from(got)).toEqual(expected(plain, rows));
        }),
        { numRuns: 30 },
      );
    });
  }
});

describe('comparisons on shares', () => {
  for (const parties of [2, 3, 5]) {
    test(`${parties} parties: every comparison exact; nothing left at the parties`, async () => {
      const owners = workers.slice(0, parties);
      await fc.assert(
        fc.asyncProperty(matrix, fc.constantFrom(...CASES), async (rows, { name, secret, plain }) => {
          const x = sy.fixPrecision(rows as never).share(...owners, { cryptoProvider: dealer() });
          const y = secret(x) as sy.AdditiveSharingTensor;
          const got = Array.from((await y.get()).floatPrecision().dataSync());
          x.dispose();
          expect([name, got]).toEqual([name, expected(plain, rows)]);
        }),
        { numRuns: parties === 5 ? 8 : 14 },
      );
      for (const w of [...owners, dealer()]) expect((await w.stats()).objects).toBe(0);
    });
  }

  test('where(greater(x, 0), x, 100) with 3 parties, and a shared condition between two shared tensors', async () => {
    const owners = workers.slice(0, 3);
    const x = sy.fixPrecision([[-2, 3, 0.5], [0, -1, 7]] as never).share(...owners, { cryptoProvider: dealer() });
    const y = sy.fixPrecision([[1, 1, 1], [1, 1, 1]] as never).share(...owners, { cryptoProvider: dealer() });
    const cond = sy.greater(x, 0) as unknown as sy.AdditiveSharingTensor;
    const picked = sy.where(cond as never, x as never, 100 as never) as unknown as sy.AdditiveSharingTensor;
    const both = sy.where(cond as never, x as never, y as never) as unknown as sy.AdditiveSharingTensor;
    expect(Array.from((await picked.get()).floatPrecision().dataSync())).toEqual([100, 3, 0.5, 100, 100, 7]);
    expect(Array.from((await both.get()).floatPrecision().dataSync())).toEqual([1, 3, 0.5, 1, 1, 7]);
    for (const t of [x, y, cond]) t.dispose();
    for (const w of [...owners, dealer()]) expect((await w.stats()).objects).toBe(0);
  });

  test('ties go to the first position across levels of the tree (fast-check found a pairing that lost it)', async () => {
    const rows = [[-3.25, -3.125, -3.125, -3.125], [5, 1, 5, 5], [0, 0, 0, 1]];
    const x = sy.fixPrecision(rows as never).share(workers[0]!, workers[1]!, { cryptoProvider: dealer() });
    const idx = sy.argMax(x as never, 1) as unknown as sy.AdditiveSharingTensor;
    expect(Array.from((await idx.get()).floatPrecision().dataSync())).toEqual([1, 0, 3]);
    x.dispose();
  });

  test('values at the edge of the range compare exactly (the circuit has no range assumption)', async () => {
    const owners = workers.slice(0, 2);
    const big = 2 ** 40;
    const x = sy.fixPrecision([-big, big, -(2 ** -16), 2 ** -16, 0]).share(...owners, { cryptoProvider: dealer() });
    const s = sy.sign(x as never);
    expect(Array.from((await (s as unknown as sy.AdditiveSharingTensor).get()).floatPrecision().dataSync())).toEqual([-1, 1, -1, 1, 0]);
    x.dispose();
  });

  test('a shared tensor cannot decide a JavaScript comparison (PySyft test___bool__)', () => {
    const x = sy.fixPrecision([1]).share(workers[0]!, workers[1]!, { cryptoProvider: dealer() });
    expect(thrown(() => (x as unknown as number) > 0).code).toBe('SHARED_VALUE_TO_PRIMITIVE');
    expect(thrown(() => +(x as unknown as number)).code).toBe('SHARED_VALUE_TO_PRIMITIVE');
    expect(`${x}`).toContain('AdditiveSharingTensor');
    x.dispose();
  });

  test('comparisons need a crypto provider, and say so before anything runs', async () => {
    const x = sy.fixPrecision([1, -1]).share(workers[0]!, workers[1]!);
    expect(thrown(() => sy.relu(x as never)).code).toBe('CRYPTO_PROVIDER_REQUIRED');
    x.dispose();
    for (const w of workers.slice(0, 2)) expect((await w.stats()).objects).toBe(0);
  });
});
