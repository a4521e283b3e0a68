/**
 * The sign-bit circuit's party-local steps (src/core/ring/binary-shares.ts),
 * run by n simulated parties in this thread with every opening done here: the
 * arithmetic share of the sign bit must reconstruct to x's top bit, for any
 * word, with 2, 3 and 5 parties; and less-than follows for values in range.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { randomRing, reconstruct, splitShares } from '../../src/core/ring/additive-shares.js';
import {
  andClose,
  andOpen,
  bitToArithmetic,
  CARRY_LEVELS,
  carryLevelClose,
  carryLevelOpen,
  carryStart,
  dealBinaryTriple,
  reconstructXor,
  signBit,
  splitXor,
  xorWords,
} from '../../src/core/ring/binary-shares.js';
import { type RingTensor, ringAdd, ringSub } from '../../src/core/ring/ring.js';

const MASK = (1n << 64n) - 1n;
const ring = (values: bigint[]): RingTensor => ({ values: BigUint64Array.from(values.map((v) => v & MASK)), shape: [values.length] });
const word = fc.bigInt({ min: 0n, max: MASK });

/** The whole protocol, every party's step run here; the openings are XORs (or sums) of what each party sends. */
function signOfShared(xShares: RingTensor[]): RingTensor {
  const n = xShares.length;
  const like = xShares[0]!;
  // Dealer: r both ways, one pair of triples per level, a random bit both ways.
  const r = randomRing(like.shape, like.values.length);
  const rArith = splitShares(r, n);
  const rBits = splitXor(r, n);
  // 1. open c = x + r.
  const c = reconstruct(xShares.map((x, p) => ringAdd(x, rArith[p]!)));
  // 2-3. carry tree.
  let states = rBits.map((bits, p) => carryStart(p, c, bits));
  for (const k of CARRY_LEVELS) {
    const t1 = dealBinaryTriple(like, n);
    const t2 = dealBinaryTriple(like, n);
    const sent = states.map((s, p) => carryLevelOpen(s, k, t1[p]!, t2[p]!));
    const opened = [0, 1, 2, 3].map((i) => reconstructXor(sent.map((words) => words[i]!)));
    states = states.map((s, p) => carryLevelClose(p, s, opened, t1[p]!, t2[p]!));
  }
  // 4-5. the sign bit, XOR-shared, to arithmetic shares.
  const bits = states.map(signBit);
  const sBit = ring(Array.from({ length: like.values.length }, () => BigInt(Math.random() < 0.5 ? 1 : 0)));
  const sXor = splitXor(sBit, n);
  const sArith = splitShares(sBit, n);
  const e = reconstructXor(bits.map((b, p) => xorWords(b, sXor[p]!)));
  return reconstruct(sArith.map((s, p) => bitToArithmetic(p, e, s)));
}

describe('sign bit of an additive sharing', () => {
  for (const parties of [2, 3, 5]) {
    test(`${parties} parties: equals the top bit of every word, edge words included`, () => {
      fc.assert(
        fc.property(fc.array(word, { minLength: 1, maxLength: 16 }), (values) => {
          const edges = [0n, 1n, MASK, 1n << 63n, (1n << 63n) - 1n];
          const x = ring([...values, ...edges]);
          const sign = signOfShared(splitShares(x, parties));
          expect(Array.from(sign.values)).toEqual(Array.from(x.values, (v) => v >> 63n));
        }),
        { numRuns: 40 },
      );
    });
  }

  test('less(a, b) is the sign of a - b for values within half the ring', () => {
    const half = 1n << 62n;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.bigInt({ min: -half, max: half - 1n }), fc.bigInt({ min: -half, max: half - 1n })), { minLength: 1, maxLength: 12 }), (pairs) => {
        const a = ring(pairs.map(([x]) => x));
        const b = ring(pairs.map(([, y]) => y));
        const diff = splitShares(ringSub(a, b), 3);
        const less = signOfShared(diff);
        expect(Array.from(less.values)).toEqual(pairs.map(([x, y]) => (x < y ? 1n : 0n)));
      }),
      { numRuns: 40 },
    );
  });

  test('one AND of XOR-shared words equals the AND of the words, for 2 to 5 parties', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 8 }), fc.integer({ min: 2, max: 5 }), (pairs, n) => {
        const x = ring(pairs.map(([u]) => u));
        const y = ring(pairs.map(([, v]) => v));
        const [xs, ys, ts] = [splitXor(x, n), splitXor(y, n), dealBinaryTriple(x, n)];
        const sent = xs.map((xi, p) => andOpen(xi, ys[p]!, ts[p]!));
        const d = reconstructXor(sent.map(([di]) => di));
        const e = reconstructXor(sent.map(([, ei]) => ei));
        const z = reconstructXor(xs.map((_, p) => andClose(p, d, e, ts[p]!)));
        expect(Array.from(z.values)).toEqual(pairs.map(([u, v]) => u & v));
      }),
      { numRuns: 60 },
    );
  });
});
