/**
 * The sign-bit circuit (src/core/ring/binary-shares.ts) run by n simulated
 * parties in this thread: the dealer's real job deals the material, every
 * party runs the real ring ops, and every opening is done here (sums for
 * arithmetic shares, XORs for binary ones). The arithmetic share of the sign
 * bit must reconstruct to x's top bit, for any word, with 2, 3 and 5 parties;
 * less-than follows for values in range.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { reconstruct, splitShares } from '../../src/core/ring/additive-shares.js';
import { CARRY_LEVELS, reconstructXor, splitXor } from '../../src/core/ring/binary-shares.js';
import { type RingTensor, ringAdd, ringSub } from '../../src/core/ring/ring.js';
import { executeRingOp } from '../../src/core/ring/ring-ops.js';
import { dealJob } from '../../src/host/dealer.js';

const MASK = (1n << 64n) - 1n;
const ring = (values: bigint[]): RingTensor => ({ values: BigUint64Array.from(values.map((v) => v & MASK)), shape: [values.length] });
const word = fc.bigInt({ min: 0n, max: MASK });
const run = (op: string, ...args: unknown[]): RingTensor => executeRingOp(op, args) as RingTensor;

/** The whole protocol, as src/smpc/protocols.ts signBit drives it, with the openings done here. */
function signOfShared(xShares: RingTensor[]): RingTensor {
  const n = xShares.length;
  const dealt = dealJob({ request: { kind: 'comparison', shape: [...xShares[0]!.shape] }, parties: n });
  const [r, rBits, triples, sArith, sBits] = [0, 1, 2, 3, 4].map((k) => dealt.map((perParty) => perParty[k]!)) as [RingTensor[], RingTensor[], RingTensor[], RingTensor[], RingTensor[]];
  const c = reconstruct(xShares.map((x, p) => ringAdd(x, r[p]!)));
  let states = rBits.map((bits, p) => run('carryStart', c, bits, p === 0));
  for (let level = 0; level < CARRY_LEVELS.length; level++) {
    const opened = reconstructXor(states.map((s, p) => run('carryLevelOpen', s, triples[p], level)));
    states = states.map((s, p) => run('carryLevelClose', s, opened, triples[p], level, p === 0));
  }
  const e = reconstructXor(states.map((s, p) => run('signBitMask', s, sBits[p])));
  return reconstruct(sArith.map((s, p) => run('bitToArithmetic', e, s, p === 0)));
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

  test('XOR shares of any words reconstruct, for 2 to 5 parties', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), fc.integer({ min: 2, max: 5 }), (values, n) => {
        const x = ring(values);
        const shares = splitXor(x, n);
        expect(Array.from(reconstructXor(shares).values)).toEqual(Array.from(x.values));
        // Any n-1 shares leave the secret free: the last one alone decides it.
        expect(shares).toHaveLength(n);
      }),
      { numRuns: 60 },
    );
  });
});
