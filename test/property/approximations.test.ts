/**
 * The approximations (src/smpc/approximations.ts) against Math, with
 * CrypTen's tolerance (|a-b| <= 0.01 or |a-b|/(|a|+|b|) <= 0.05), over the
 * ranges their header documents: on local fixed-precision tensors (the same
 * arithmetic the parties run), and on shares among 2 and 3 parties.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { exp, reciprocal, sigmoid, tanh } from '../../src/smpc/approximations.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['p0', 'p1', 'p2', 'dealer'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const withinCrypTen = (got: number, want: number): boolean => Math.abs(got - want) <= 0.01 || Math.abs(got - want) / (Math.abs(got) + Math.abs(want)) <= 0.05;

const CASES = [
  { name: 'exp', f: exp, ref: Math.exp, min: -10, max: 10 },
  { name: 'reciprocal', f: reciprocal, ref: (v: number) => 1 / v, min: 0.01, max: 500 },
  { name: 'sigmoid', f: sigmoid, ref: (v: number) => 1 / (1 + Math.exp(-v)), min: -6, max: 10 },
  { name: 'tanh', f: tanh, ref: Math.tanh, min: -3, max: 5 },
] as const;

describe('approximations on fixed-precision tensors, over their documented ranges', () => {
  for (const { name, f, ref, min, max } of CASES) {
    test(`${name} on [${min}, ${max}], the ends included`, () => {
      fc.assert(
        fc.property(fc.array(fc.double({ min, max, noNaN: true }), { minLength: 1, maxLength: 16 }), (values) => {
          const xs = [...values, min, max];
          const got = (f(sy.fixPrecision(xs)) as sy.FixedPrecisionTensor).floatPrecision().dataSync();
          xs.forEach((v, i) => expect([name, v, withinCrypTen(got[i]!, ref(Math.fround(v)))]).toEqual([name, v, true]));
        }),
        { numRuns: 30 },
      );
    });
  }
});

test('sy.exp, sy.reciprocal, sy.sigmoid, sy.tanh and their methods run the approximations', () => {
  const x = sy.fixPrecision([0.5, 2]);
  for (const [name, ref] of [['exp', Math.exp], ['reciprocal', (v: number) => 1 / v], ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v))], ['tanh', Math.tanh]] as const) {
    for (const y of [sy.op(name, x), (x as unknown as Record<string, () => unknown>)[name]!()] as sy.FixedPrecisionTensor[]) {
      const got = y.floatPrecision().dataSync();
      [0.5, 2].forEach((v, i) => expect([name, withinCrypTen(got[i]!, ref(v))]).toEqual([name, true]));
    }
  }
});

describe('approximations on shares', () => {
  for (const parties of [2, 3]) {
    test(`${parties} parties: every approximation within tolerance; nothing left at the parties`, async () => {
      const xs = [-2.5, 0.05, 1, 3.7];
      const owners = workers.slice(0, parties);
      const dealer = workers[3]!;
      for (const { name, f, ref, min, max } of CASES) {
        const inRange = xs.map((v) => Math.min(max, Math.max(min, v)));
        const shared = sy.fixPrecision(inRange).share(...owners, { cryptoProvider: dealer });
        const result = f(shared) as sy.AdditiveSharingTensor;
        const got = (await result.get()).floatPrecision().dataSync();
        inRange.forEach((v, i) => expect([name, v, withinCrypTen(got[i]!, ref(Math.fround(v)))]).toEqual([name, v, true]));
        shared.dispose();
      }
      await sy.testing.collectGarbage();
      await sy.testing.assertNoLeaks(hook);
    });
  }
});
