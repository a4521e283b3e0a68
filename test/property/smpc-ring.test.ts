/**
 * The ring, fixed-point and sharing foundations of SMPC (no workers yet):
 * reconstruction is exact for any 2-5 parties, share arithmetic equals ring
 * arithmetic, fixed point round-trips and multiplies within its precision,
 * proper subsets of shares look uniform, and overflow is refused.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isSyftError } from '../../src/core/errors.js';
import { decodeFixed, encodeFixed, truncateFixed } from '../../src/core/ring/fixed-precision.js';
import { reconstruct, splitShares } from '../../src/core/ring/additive-shares.js';
import { ringMatMulWasm } from '../../src/core/ring/ring-matmul-wasm.js';
import {
  broadcastShapes,
  ringAdd,
  ringAddBroadcast,
  ringBroadcastTo,
  ringConcat,
  ringMatMul,
  ringModPowerOfTwo,
  ringMul,
  ringMulBroadcast,
  ringNeg,
  ringSlice,
  ringSub,
  ringSubBroadcast,
  ringSum,
  type RingTensor,
  ringTile,
} from '../../src/core/ring/ring.js';

const MOD = 1n << 64n;
const words = (n: number) => fc.array(fc.bigInt({ min: 0n, max: MOD - 1n }), { minLength: n, maxLength: n });
const ringArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
  .chain((shape) => words(shape.reduce((a, b) => a * b, 1)).map((v): RingTensor => ({ values: BigUint64Array.from(v), shape })));

test('reconstruct(share(x)) = x mod 2^64, for any x and 2 to 5 parties', () => {
  fc.assert(
    fc.property(ringArb, fc.integer({ min: 2, max: 5 }), (x, parties) => {
      const shares = splitShares(x, parties);
      expect(shares).toHaveLength(parties);
      expect(Array.from(reconstruct(shares).values)).toEqual(Array.from(x.values));
    }),
    { numRuns: 200 },
  );
});

test('ringAdd, ringSub and ringNeg equal BigInt arithmetic mod 2^64 word by word, carries across the 32-bit halves included', () => {
  const edges = [0n, 1n, 0xffffffffn, 0x100000000n, 0x1ffffffffn, MOD / 2n - 1n, MOD / 2n, MOD - 1n, MOD - 0x100000000n];
  const word = fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: 0n, max: MOD - 1n }));
  fc.assert(
    fc.property(fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 24 }), (pairs) => {
      const x: RingTensor = { values: BigUint64Array.from(pairs.map(([a]) => a)), shape: [pairs.length] };
      const y: RingTensor = { values: BigUint64Array.from(pairs.map(([, b]) => b)), shape: [pairs.length] };
      expect(Array.from(ringAdd(x, y).values)).toEqual(pairs.map(([a, b]) => (a + b) % MOD));
      expect(Array.from(ringSub(x, y).values)).toEqual(pairs.map(([a, b]) => (((a - b) % MOD) + MOD) % MOD));
      expect(Array.from(ringNeg(x).values)).toEqual(pairs.map(([a]) => (MOD - a) % MOD));
    }),
    { numRuns: 300 },
  );
});

test('add, sub, neg and sum on shares equal the ring result exactly; a public scalar times a share too', () => {
  fc.assert(
    fc.property(ringArb.chain((x) => words(x.values.length).map((w) => [x, { values: BigUint64Array.from(w), shape: x.shape }] as const)), fc.integer({ min: 2, max: 5 }), ([x, y], n) => {
      const [xs, ys] = [splitShares(x, n), splitShares(y, n)];
      const open = (s: RingTensor[]) => Array.from(reconstruct(s).values);
      const exact = (f: (a: bigint, b: bigint) => bigint) => Array.from(x.values, (v, i) => ((f(v, y.values[i]!) % MOD) + MOD) % MOD);
      expect(open(xs.map((s, i) => ringAdd(s, ys[i]!)))).toEqual(exact((a, b) => a + b));
      expect(open(xs.map((s, i) => ringSub(s, ys[i]!)))).toEqual(exact((a, b) => a - b));
      expect(open(xs.map(ringNeg))).toEqual(exact((a) => -a));
      expect(open(xs.map(ringSum))).toEqual([Array.from(x.values).reduce((a, b) => (a + b) % MOD, 0n)]);
      const k = y.values[0]!;
      const scaled = xs.map((s) => ringMul(s, { values: new BigUint64Array(s.values.length).fill(k), shape: s.shape }));
      expect(open(scaled)).toEqual(Array.from(x.values, (v) => (v * k) % MOD));
    }),
    { numRuns: 150 },
  );
});

test('matMul of a shared matrix by a public one equals the ring product; ringMatMul equals BigInt arithmetic', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }), (m, k, n, parties) => {
      const a = { values: BigUint64Array.from(Array.from({ length: m * k }, (_, i) => BigInt(i) * 0x9e3779b97f4a7c15n % MOD)), shape: [m, k] };
      const b = { values: BigUint64Array.from(Array.from({ length: k * n }, (_, i) => (BigInt(i) + 7n) * 0xc2b2ae3d27d4eb4fn % MOD)), shape: [k, n] };
      const product = ringMatMul(a, b);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0n;
          for (let t = 0; t < k; t++) s += a.values[i * k + t]! * b.values[t * n + j]!;
          expect(product.values[i * n + j]).toBe(s % MOD);
        }
      const shared = splitShares(a, parties).map((s) => ringMatMul(s, b));
      expect(Array.from(reconstruct(shared).values)).toEqual(Array.from(product.values));
    }),
    { numRuns: 60 },
  );
});

test('fixed point: encode/decode within 2^-17; products truncated back equal the float product within 2^-14 relative', () => {
  const real = fc.double({ min: -1000, max: 1000, noNaN: true });
  fc.assert(
    fc.property(fc.array(fc.tuple(real, real), { minLength: 1, maxLength: 20 }), (pairs) => {
      const [xs, ys] = [pairs.map(([x]) => x), pairs.map(([, y]) => y)];
      const [ex, ey] = [encodeFixed(xs, [xs.length]), encodeFixed(ys, [ys.length])];
      decodeFixed(ex).forEach((v, i) => expect(Math.abs(v - xs[i]!)).toBeLessThanOrEqual(2 ** -17));
      const product = decodeFixed(truncateFixed(ringMul(ex, ey)));
      product.forEach((v, i) => {
        const want = xs[i]! * ys[i]!;
        // Encoding error (2^-17 on each factor) plus one truncation step (2^-16).
        const bound = 2 ** -14 * Math.abs(want) + (Math.abs(xs[i]!) + Math.abs(ys[i]!) + 1) * 2 ** -16;
        expect(Math.abs(v - want)).toBeLessThanOrEqual(bound);
      });
    }),
    { numRuns: 200 },
  );
});

test('truncation floors a signed product back to 16 fractional bits (exact for dyadic values, negatives included)', () => {
  const x = encodeFixed([-3.25, 2.5], [2]);
  const squared = ringMul(x, x);
  expect(Array.from(decodeFixed(truncateFixed(squared)))).toEqual([10.5625, 6.25]);
});

test('every proper subset of shares is uniform: chi-square on the low byte over many draws', () => {
  const secret = { values: new BigUint64Array(20000).fill(42n), shape: [20000] };
  for (const parties of [2, 3, 5]) {
    const shares = splitShares(secret, parties);
    for (let p = 0; p < parties - 1; p++) {
      const counts = new Array(256).fill(0);
      for (const v of shares[p]!.values) counts[Number(v & 0xffn)]++;
      const expected = secret.values.length / 256;
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      // 255 degrees of freedom: the 99.99th percentile is about 355.
      expect(chi2).toBeLessThan(355);
    }
    // And the sum of all but one share (what a coalition of n-1 parties holds) too.
    const partial = reconstruct(shares.slice(0, parties - 1));
    const counts = new Array(256).fill(0);
    for (const v of partial.values) counts[Number(v & 0xffn)]++;
    const expected = secret.values.length / 256;
    expect(counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)).toBeLessThan(355);
  }
});

test('values beyond the representable range are refused with FIXED_PRECISION_OVERFLOW', () => {
  for (const bad of [2 ** 46, -(2 ** 46), Number.POSITIVE_INFINITY, Number.NaN]) {
    try {
      encodeFixed([1, bad], [2]);
      expect.unreachable();
    } catch (error) {
      expect(isSyftError(error) && error.code).toBe('FIXED_PRECISION_OVERFLOW');
      expect((error as Error).message).toMatch(/outside the representable range ±7\.037e\+13/);
    }
  }
  expect(Array.from(decodeFixed(encodeFixed([2 ** 45, -(2 ** 45)], [2])))).toEqual([2 ** 45, -(2 ** 45)]);
});

test('the wasm i64 matMul kernel equals the BigInt ring matMul exactly', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }).chain((m) =>
        fc.integer({ min: 1, max: 9 }).chain((k) =>
          fc.integer({ min: 1, max: 9 }).chain((n) =>
            fc.tuple(words(m * k), words(k * n)).map(([a, b]) => [
              { values: BigUint64Array.from(a), shape: [m, k] },
              { values: BigUint64Array.from(b), shape: [k, n] },
            ] as const),
          ),
        ),
      ),
      ([a, b]) => {
        expect(Array.from(ringMatMulWasm(a, b).values)).toEqual(Array.from(ringMatMul(a, b).values));
      },
    ),
    { numRuns: 150 },
  );
  // Larger than one wasm page of operands: the memory grows.
  const big = { values: new BigUint64Array(128 * 128).map((_, i) => BigInt(i) * 0x9e3779b97f4a7c15n), shape: [128, 128] };
  expect(Array.from(ringMatMulWasm(big, big).values.subarray(0, 300))).toEqual(Array.from(ringMatMul(big, big).values.subarray(0, 300)));
});

describe('wasm ring matMul kernel: edge shapes and wrap-around', () => {
  const TOP = MOD - 1n;
  // Words near 2^64 - 1 (and a few near 2^32, where the kernel splits words into halves).
  const edgeWord = fc.oneof(
    fc.bigInt({ min: TOP - 1000n, max: TOP }),
    fc.bigInt({ min: (1n << 32n) - 3n, max: (1n << 32n) + 3n }),
    fc.bigInt({ min: 0n, max: TOP }),
  );
  const matrix = (rows: number, cols: number, word: fc.Arbitrary<bigint> = edgeWord) =>
    fc.array(word, { minLength: rows * cols, maxLength: rows * cols }).map((v): RingTensor => ({ values: BigUint64Array.from(v), shape: [rows, cols] }));
  const same = (a: RingTensor, b: RingTensor) => {
    const got = ringMatMulWasm(a, b);
    expect(got.shape).toEqual(ringMatMul(a, b).shape);
    expect(Array.from(got.values)).toEqual(Array.from(ringMatMul(a, b).values));
  };

  test('m, k or n equal to 1, odd n (column tail) and odd m (row tail), with words near 2^64 - 1', () => {
    const dim = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 13 }));
    fc.assert(
      fc.property(dim, dim, dim.map((n) => (n % 2 === 0 ? n + 1 : n)), (m, k, n) => {
        fc.assert(fc.property(matrix(m, k), matrix(k, n), same), { numRuns: 2 });
      }),
      { numRuns: 120 },
    );
    for (const [m, k, n] of [[1, 1, 1], [1, 7, 1], [1, 1, 9], [9, 1, 1], [3, 5, 7], [5, 2, 6], [2, 3, 4]] as const) {
      fc.assert(fc.property(matrix(m, k), matrix(k, n), same), { numRuns: 10 });
    }
  });

  test('all words 2^64 - 1: every product is 1 and every sum wraps', () => {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [6, 33, 5], [17, 64, 9]] as const) {
      const a = { values: new BigUint64Array(m * k).fill(TOP), shape: [m, k] };
      const b = { values: new BigUint64Array(k * n).fill(TOP), shape: [k, n] };
      expect(Array.from(ringMatMulWasm(a, b).values)).toEqual(new Array<bigint>(m * n).fill(BigInt(k)));
      same(a, b);
    }
  });

  test('k = 0 gives zeros; repeated calls of different sizes give fresh, independent results', () => {
    expect(Array.from(ringMatMulWasm({ values: new BigUint64Array(0), shape: [3, 0] }, { values: new BigUint64Array(0), shape: [0, 5] }).values)).toEqual(new Array<bigint>(15).fill(0n));
    const big = { values: new BigUint64Array(70 * 70).map((_, i) => TOP - BigInt(i) * 0x9e3779b97f4a7c15n), shape: [70, 70] };
    const small = { values: BigUint64Array.from([TOP, 2n, 3n, TOP - 1n, 5n, 6n]), shape: [2, 3] };
    const smallB = { values: BigUint64Array.from([TOP, 1n, 2n, 3n, TOP, 5n, 6n, 7n, TOP]), shape: [3, 3] };
    const first = ringMatMulWasm(small, smallB);
    const firstCopy = Array.from(first.values);
    same(big, big);
    same(small, smallB);
    // The earlier result is a copy, untouched by later calls.
    expect(Array.from(first.values)).toEqual(firstCopy);
    expect(firstCopy).toEqual(Array.from(ringMatMul(small, smallB).values));
  });
});

describe('broadcasting, concat, tile and mod on the ring (issue 13)', () => {
  /** A ring tensor and a shape it broadcasts with: a suffix of its shape, some dims set to 1. */
  const pairArb = ringArb.chain((x) =>
    fc
      .tuple(fc.integer({ min: 0, max: x.shape.length }), fc.array(fc.boolean(), { minLength: x.shape.length, maxLength: x.shape.length }))
      .map(([drop, ones]) => x.shape.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)))
      .chain((shape) => words(shape.reduce((a, b) => a * b, 1)).map((w): [RingTensor, RingTensor] => [x, { values: BigUint64Array.from(w), shape }])),
  );

  test('add, sub and mul of broadcasting operands (either side) equal the op on operands broadcast first; shares of a broadcast are a broadcast of shares', () => {
    fc.assert(
      fc.property(pairArb, fc.boolean(), fc.integer({ min: 2, max: 4 }), ([x, y], swap, n) => {
        const [a, b] = swap ? [y, x] : [x, y];
        const shape = broadcastShapes('test', a.shape, b.shape);
        expect(shape).toEqual([...x.shape]);
        const [ab, bb] = [ringBroadcastTo(a, shape), ringBroadcastTo(b, shape)];
        expect(Array.from(ringAddBroadcast(a, b).values)).toEqual(Array.from(ringAdd(ab, bb).values));
        expect(Array.from(ringSubBroadcast(a, b).values)).toEqual(Array.from(ringSub(ab, bb).values));
        expect(Array.from(ringMulBroadcast(a, b).values)).toEqual(Array.from(ringMul(ab, bb).values));
        const shares = splitShares(a, n).map((s) => ringBroadcastTo(s, shape));
        expect(Array.from(reconstruct(shares).values)).toEqual(Array.from(ab.values));
      }),
      { numRuns: 200 },
    );
  });

  test('shapes that do not broadcast are refused with INVALID_ARGUMENT', () => {
    const t = (shape: number[]): RingTensor => ({ values: new BigUint64Array(shape.reduce((a, b) => a * b, 1)), shape });
    for (const [a, b] of [[[2, 3], [2]], [[3], [4]], [[2, 1, 3], [2, 2]]] as const) {
      let code: string | undefined;
      try {
        ringAddBroadcast(t([...a]), t([...b]));
      } catch (error) {
        code = isSyftError(error) ? error.code : undefined;
      }
      expect(code).toBe('INVALID_ARGUMENT');
    }
  });

  test('concat then slice gives the pieces back; tile is concat of copies', () => {
    fc.assert(
      fc.property(ringArb, fc.integer({ min: 1, max: 3 }), fc.nat(), (x, copies, seed) => {
        const axis = seed % x.shape.length;
        const joined = ringConcat(new Array<RingTensor>(copies).fill(x), axis);
        expect(joined.shape[axis]).toBe(x.shape[axis]! * copies);
        for (let c = 0; c < copies; c++) {
          const begin = x.shape.map((_, d) => (d === axis ? c * x.shape[axis]! : 0));
          expect(Array.from(ringSlice(joined, begin, [...x.shape]).values)).toEqual(Array.from(x.values));
        }
        const reps = x.shape.map((_, d) => (d === axis ? copies : 1));
        expect(Array.from(ringTile(x, reps).values)).toEqual(Array.from(joined.values));
      }),
      { numRuns: 150 },
    );
  });

  test('shares each reduced modulo a power of two add up to a value congruent to the secret', () => {
    fc.assert(
      fc.property(ringArb, fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 62 }), (x, n, bits) => {
        const m = 1n << BigInt(bits);
        const opened = reconstruct(splitShares(x, n).map((s) => ringModPowerOfTwo(s, m)));
        expect(Array.from(opened.values, (v) => v % m)).toEqual(Array.from(x.values, (v) => v % m));
      }),
      { numRuns: 150 },
    );
  });
});
