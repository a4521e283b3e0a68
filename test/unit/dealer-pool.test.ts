/**
 * The crypto provider's pool (src/host/dealer-pool.ts): deals come back from a
 * pool thread as correct correlated randomness for any number of parties, and
 * a request that is not a tensor shape is refused before it is queued.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { reconstruct } from '../../src/core/ring/additive-shares.js';
import { ringMatMul, ringMul } from '../../src/core/ring/ring.js';
import { dealOnPool } from '../../src/host/dealer-pool.js';

const words = (t: { values: BigUint64Array }) => Array.from(t.values);
/** The p-th value of a deal, put back together from every party's share. */
const opened = (perParty: Awaited<ReturnType<typeof dealOnPool>>, k: number) => reconstruct(perParty.map((shares) => shares[k]!));

describe('the dealer pool', () => {
  test('Beaver triples: c = a·b for element-wise and matrix products, 2 to 5 parties', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), async (parties, m, k, n) => {
        const mul = await dealOnPool({ kind: 'mul', shape: [m, k] }, parties);
        expect(mul).toHaveLength(parties);
        expect(words(opened(mul, 2))).toEqual(words(ringMul(opened(mul, 0), opened(mul, 1))));
        const mm = await dealOnPool({ kind: 'matMul', a: [m, k], b: [k, n] }, parties);
        expect(opened(mm, 2).shape).toEqual([m, n]);
        expect(words(opened(mm, 2))).toEqual(words(ringMatMul(opened(mm, 0), opened(mm, 1))));
      }),
      { numRuns: 15 },
    );
  });

  test('truncation masks: floor((r mod 2^63) / scale) and the top bit of r; zeros are zeros', async () => {
    const scale = 1n << 16n;
    const dealt = await dealOnPool({ kind: 'truncation', shape: [50], scale }, 3);
    const [r, div, msb] = [opened(dealt, 0), opened(dealt, 1), opened(dealt, 2)];
    expect(words(div)).toEqual(words(r).map((v) => (v & ((1n << 63n) - 1n)) / scale));
    expect(words(msb)).toEqual(words(r).map((v) => v >> 63n));
    expect(words(opened(await dealOnPool({ kind: 'zero', shape: [4] }, 2), 0))).toEqual([0n, 0n, 0n, 0n]);
  });

  test('a request that is not a tensor shape is refused at once, before it is queued', () => {
    expect(() => dealOnPool({ kind: 'mul', shape: [2, -1] }, 2)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => dealOnPool({ kind: 'matMul', a: [2, 0.5], b: [2, 2] }, 2)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
