/**
 * SMPC at the workers: shares held in the workers' stores, ring ops run by
 * each party, openings worker to worker, triples and truncation masks from a
 * trusted dealer. Values are revealed and compared with plaintext: exactly for
 * integer shares (ring arithmetic), within 2^-14 relative for fixed point,
 * for 2 to 5 parties. Nothing is left at any party or at the dealer.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { ringAdd, ringMatMul, ringMul, ringNeg, ringSlice, ringSub, ringSumAxis, type RingTensor, ringTranspose } from '../../src/core/ring/ring.js';
import { rejection, startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let parties: sy.VirtualWorker[];
let james: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  parties = await hook.virtualWorkers(['p0', 'p1', 'p2', 'p3', 'p4'], { threads: 2 });
  james = await hook.virtualWorker('james');
});
afterAll(() => hook.shutdown());

const MOD = 1n << 64n;
const INTEGER = { base: 2, precisionFractional: 0 } as const;
const partyCount = fc.integer({ min: 2, max: 5 });
const ringOf = (values: readonly bigint[], shape: readonly number[]): RingTensor => ({ values: BigUint64Array.from(values), shape });
const ringArb = (shape: readonly number[]) =>
  fc.array(fc.bigInt({ min: 0n, max: MOD - 1n }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((v) => ringOf(v, shape));
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
const share = (x: RingTensor, n: number) => new sy.FixedPrecisionTensor(x, INTEGER).share(...parties.slice(0, n), { cryptoProvider: james });
const valuesOf = async (t: sy.AdditiveSharingTensor) => Array.from((await t.get()).ring.values);

async function expectNothingLeft(): Promise<void> {
  for (const w of [...parties, james]) expect([w.id, (await w.objects()).size]).toEqual([w.id, 0]);
}

describe('shares at workers', () => {
  test('reconstruct(share(x)) = x mod 2^64 for any x and 2 to 5 parties; each party holds one share', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb.chain(ringArb), partyCount, async (x, n) => {
        const shared = share(x, n);
        const held = await Promise.all(parties.slice(0, n).map((w) => w.objects()));
        expect(held.map((m) => [...m.values()].map((o) => o.kind))).toEqual(held.map(() => ['ring']));
        expect(await valuesOf(shared)).toEqual(Array.from(x.values));
      }),
      { numRuns: 25 },
    );
    await expectNothingLeft();
  });

  test('add, sub, neg, sum, reshape, transpose, slice, public ops and Beaver mul/matMul on integer shares equal ring arithmetic exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).chain(([m, k, n]) =>
          fc.tuple(ringArb([m, k]), ringArb([m, k]), ringArb([k, n]), fc.bigInt({ min: -(1n << 40n), max: 1n << 40n })),
        ),
        partyCount,
        async ([x, y, w, scalar], n) => {
          const [sx, sy_, sw] = [share(x, n), share(y, n), share(w, n)];
          const [m, k] = x.shape as [number, number];
          const cases: [sy.AdditiveSharingTensor, RingTensor][] = [
            [sx.add(sy_), ringAdd(x, y)],
            [sx.sub(sy_), ringSub(x, y)],
            [sx.neg(), ringNeg(x)],
            [sx.sum(), ringSumAxis(x)],
            [sx.sum(0), ringSumAxis(x, 0)],
            [sx.sum(-1), ringSumAxis(x, 1)],
            [sx.reshape([k, m]), { values: x.values, shape: [k, m] }],
            [sx.transpose(), ringTranspose(x)],
            [sx.slice([0, k - 1], [m, 1]), ringSlice(x, [0, k - 1], [m, 1])],
            [sx.mul(Number(scalar)), { values: x.values.map((v) => BigInt.asUintN(64, v * scalar)), shape: x.shape }],
            [sx.mul(sy_), ringMul(x, y)],
            [sx.matMul(sw), ringMatMul(x, w)],
          ];
          for (const [shared, want] of cases) {
            const got = await shared.get();
            expect(got.shape).toEqual(want.shape);
            expect(Array.from(got.ring.values)).toEqual(Array.from(want.values));
          }
          for (const t of [sx, sy_, sw]) t.dispose();
        },
      ),
      { numRuns: 12 },
    );
    await expectNothingLeft();
  });

  test('fixed-point mul and matMul equal the float result within 2^-14 relative, with 2 to 5 parties', async () => {
    const magnitude = fc.double({ min: 1, max: 1024, noNaN: true });
    const signed = fc.tuple(magnitude, fc.boolean()).map(([v, neg]) => (neg ? -v : v));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(signed, signed), { minLength: 1, maxLength: 12 }), partyCount, async (pairs, n) => {
        const xs = pairs.map(([a]) => a);
        const ys = pairs.map(([, b]) => b);
        const x = sy.fixPrecision(xs).share(...parties.slice(0, n), { cryptoProvider: james });
        const y = sy.fixPrecision(ys).share(...parties.slice(0, n), { cryptoProvider: james });
        const got = (await x.mul(y).get()).toFloat64();
        pairs.forEach(([a, b], i) => expect(Math.abs(got[i]! - a * b)).toBeLessThanOrEqual(2 ** -14 * Math.abs(a * b)));
        x.dispose();
        y.dispose();
      }),
      { numRuns: 16 },
    );
    // Magnitudes in [1, 16]: a fixed-point entry near 0 has no relative precision to speak of.
    const entry = fc.tuple(fc.double({ min: 1, max: 16, noNaN: true }), fc.boolean()).map(([v, neg]) => (neg ? -v : v));
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 })).chain(([m, k, n]) =>
          fc.tuple(fc.array(entry, { minLength: m * k, maxLength: m * k }), fc.array(entry, { minLength: k * n, maxLength: k * n }), fc.constant([m, k, n] as const)),
        ),
        partyCount,
        async ([a, b, [m, k, n]], parties_) => {
          const at = parties.slice(0, parties_);
          const x = sy.fixPrecision(tf.tensor(a, [m, k])).share(...at, { cryptoProvider: james });
          const y = sy.fixPrecision(tf.tensor(b, [k, n])).share(...at, { cryptoProvider: james });
          const got = (await x.matMul(y).get()).toFloat64();
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let want = 0;
              let scale = 0;
              for (let t = 0; t < k; t++) {
                want += a[i * k + t]! * b[t * n + j]!;
                scale += Math.abs(a[i * k + t]! * b[t * n + j]!);
              }
              // Relative to Σ|x·y|: the sum itself may cancel to near 0.
              expect(Math.abs(got[i * n + j]! - want)).toBeLessThanOrEqual(2 ** -14 * scale);
            }
          }
          x.dispose();
          y.dispose();
        },
      ),
      { numRuns: 40 },
    );
    await expectNothingLeft();
  });

  test('public operands, mean and div on fixed-point shares; 3-party truncation of negative products', async () => {
    const at = parties.slice(0, 3);
    const x = tf.tensor([[1.5, -2.25], [3, -0.125]]).fixPrecision().share(...at, { cryptoProvider: james });
    const close = async (t: sy.AdditiveSharingTensor, want: number[]) =>
      Array.from((await t.get()).toFloat64()).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(2 ** -14));
    await close(x.add(1), [2.5, -1.25, 4, 0.875]);
    await close(x.sub(tf.tensor([[1, 1], [1, 1]])), [0.5, -3.25, 2, -1.125]);
    await close(x.mul(-0.5), [-0.75, 1.125, -1.5, 0.0625]);
    await close(x.mul(tf.tensor([[2, -2], [0.5, 8]])), [3, 4.5, 1.5, -1]);
    await close(x.matMul(tf.tensor([[1], [-1]])), [3.75, 3.125]);
    await close(x.mean(), [0.53125]);
    await close(x.mean(0), [2.25, -1.1875]);
    await close(x.div(4), [0.375, -0.5625, 0.75, -0.03125]);
    await close(x.mul(x), [2.25, 5.0625, 9, 0.015625]);
    await close(x.refresh(), [1.5, -2.25, 3, -0.125]);
    x.dispose();
    await expectNothingLeft();
  });

  test('every proper subset of the shares at the workers is uniform (chi-square on the low byte)', async () => {
    // 3 parties share zeros 8 times over 4096 values: 32,768 draws per subset.
    const draws: bigint[][][] = [[], [], []];
    for (let r = 0; r < 8; r++) {
      const t = sy.fixPrecision(new Array(4096).fill(0)).share(...parties.slice(0, 3), { cryptoProvider: james });
      const shares = await t.peekShares();
      shares.forEach((s, p) => draws[p]!.push(Array.from(s.values)));
      expect(Array.from((await t.get()).toFloat64()).every((v) => v === 0)).toBe(true);
    }
    const subsets = [[0], [1], [2], [0, 1], [0, 2], [1, 2]];
    for (const subset of subsets) {
      const counts = new Array<number>(256).fill(0);
      let total = 0;
      for (let r = 0; r < 8; r++) {
        for (let i = 0; i < 4096; i++) {
          const sum = subset.reduce((s, p) => s + draws[p]![r]![i]!, 0n);
          counts[Number(sum & 255n)]!++;
          total++;
        }
      }
      const expected = total / 256;
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      // 255 degrees of freedom: P(chi2 > 355) < 1e-4 for uniform bytes.
      expect([subset, chi2 < 355]).toEqual([subset, true]);
    }
    await expectNothingLeft();
  });

  test('a worker shares its own tensor (pointer.share), weighted; secureAggregate sums without moving the updates', async () => {
    const [a, b, c] = parties;
    const xs = [tf.tensor([1.25, -3, 7]), tf.tensor([0.5, 2, -1]), tf.tensor([-4, 0.125, 2])];
    const ptrs = xs.map((x, k) => x.send(parties[k]!));
    const shared = ptrs[0]!.share(a!, b!, c!, { weight: 2 });
    expect(shared.shape).toBeUndefined();
    expect(Array.from((await shared.get()).toFloat64())).toEqual([2.5, -6, 14]);
    const sums = await sy.federated.secureAggregate(ptrs.map((p) => [p]), [a!, b!, c!], { weights: [1, 0.5, 0.25] });
    expect(Array.from(sums[0]!.dataSync())).toEqual([0.5, -1.96875, 7]);
    // The updates stayed where they were; nothing else is held.
    for (const [k, p] of ptrs.entries()) expect(Array.from((await p.get()).dataSync())).toEqual(Array.from(xs[k]!.dataSync()));
    await expectNothingLeft();
  });
});

describe('errors', () => {
  test('overflow, a missing provider, mismatched parties, float shares and a provider that is a party are refused at once', () => {
    expect(thrown(() => sy.fixPrecision([2 ** 47])).code).toBe('FIXED_PRECISION_OVERFLOW');
    const [a, b, c] = parties;
    const x = sy.fixPrecision([1, 2]).share(a!, b!);
    const y = sy.fixPrecision([1, 2]).share(a!, c!);
    expect(thrown(() => x.mul(x)).code).toBe('CRYPTO_PROVIDER_REQUIRED');
    expect(thrown(() => x.add(y)).code).toBe('SHARES_NOT_COMPATIBLE');
    expect(thrown(() => x.add(sy.fixPrecision([1, 2], { precisionFractional: 8 }))).code).toBe('SHARES_NOT_COMPATIBLE');
    expect(thrown(() => x.matMul(tf.tensor([[1, 2]]))).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => tf.tensor([0.5]).share(a!, b!)).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => sy.fixPrecision([1]).share(a!)).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => sy.fixPrecision([1]).share(a!, b!, { cryptoProvider: a! }).mul(2.5)).code).toBe('INVALID_ARGUMENT');
    x.dispose();
    y.dispose();
    expect(thrown(() => x.neg()).code).toBe('POINTER_DISPOSED');
  });

  test('a failure at a worker rejects get() with RemoteError, never hangs, and the parties keep working', async () => {
    const [a, b, c] = parties;
    const bad = tf.tensor([1, 2]).send(a!).gather(tf.tensor([7, 0], [2], 'int32').send(a!)); // fails at a: index out of range
    const direct = bad.share(a!, b!, c!, { cryptoProvider: james });
    const shared = direct.reshape([2]);
    const product = shared.mul(shared);
    expect((await rejection(product.get())).code).toBe('REMOTE_ERROR');
    const big = tf.tensor([2 ** 50]).send(b!); // overflows when encoded at b
    const err = await rejection(big.share(a!, b!).get());
    expect(err.message).toMatch(/outside the representable range/);
    for (const t of [direct, shared, bad]) t.dispose();
    big.dispose();
    const ok = sy.fixPrecision([1.5]).share(a!, b!, c!, { cryptoProvider: james });
    expect(Array.from((await ok.mul(ok).get()).toFloat64())).toEqual([2.25]);
    await sy.testing.assertNoLeaks(hook);
  });
});
