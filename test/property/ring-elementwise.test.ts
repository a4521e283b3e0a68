// The WebAssembly element-wise ring kernels (src/core/ring/wasm/ring-elementwise.wat)
// against BigInt arithmetic mod 2^64, word by word: the formulas the protocol
// code ran as BigInt loops before the kernels replaced them.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { beaverWasm, elementwiseWasm, truncDealWasm, truncFinishWasm, truncMaskWasm } from '../../src/core/ring/ring-elementwise-wasm.js';

const MOD = 1n << 64n;
const HALF = 1n << 63n;
const OFFSET = 1n << 62n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const edges = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, OFFSET, HALF - 1n, HALF, HALF + 1n, MOD - 2n, MOD - 1n];
const word = fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: 0n, max: MOD - 1n }));
const columns = (k: number) => fc.array(fc.tuple(...Array.from({ length: k }, () => word)), { minLength: 1, maxLength: 40 });
const col = (rows: bigint[][], i: number) => BigUint64Array.from(rows.map((r) => r[i]!));

test('add, sub and mul equal BigInt arithmetic mod 2^64', () => {
  fc.assert(
    fc.property(columns(2), (rows) => {
      const [x, y] = [col(rows, 0), col(rows, 1)];
      expect(Array.from(elementwiseWasm('add', x, y))).toEqual(rows.map(([a, b]) => u64(a! + b!)));
      expect(Array.from(elementwiseWasm('sub', x, y))).toEqual(rows.map(([a, b]) => u64(a! - b!)));
      expect(Array.from(elementwiseWasm('mul', x, y))).toEqual(rows.map(([a, b]) => u64(a! * b!)));
    }),
    { numRuns: 300 },
  );
});

test("Beaver's combination c + e·b + a·f (+ e·f at the leader) equals BigInt arithmetic, and the parties' results sum to x·y", () => {
  fc.assert(
    fc.property(columns(5), fc.boolean(), (rows, leader) => {
      const [e, f, a, b, c] = [0, 1, 2, 3, 4].map((i) => col(rows, i));
      const expected = rows.map(([ev, fv, av, bv, cv]) => u64(cv! + ev! * bv! + av! * fv! + (leader ? ev! * fv! : 0n)));
      expect(Array.from(beaverWasm(e!, f!, a!, b!, c!, leader))).toEqual(expected);
    }),
    { numRuns: 300 },
  );
});

test("truncation: the dealer's material, the mask x + r (+ 2^62 at the leader) and the second step, for any public scale, equal BigInt arithmetic", () => {
  const scale = fc.oneof(fc.constantFrom(1n, 2n, 1n << 16n, 1n << 62n, 1000n), fc.bigInt({ min: 1n, max: HALF - 1n }));
  fc.assert(
    fc.property(columns(3), fc.boolean(), scale, (rows, leader, s) => {
      const [x, r] = [col(rows, 0), col(rows, 1)];
      expect(Array.from(truncMaskWasm(x, r, leader ? OFFSET : 0n))).toEqual(rows.map(([xv, rv]) => u64(xv! + rv! + (leader ? OFFSET : 0n))));
      const k = HALF / s;
      const minusOffset = u64(-(OFFSET / s));
      const [c, rDiv, rMsb] = [0, 1, 2].map((i) => col(rows, i));
      const expected = rows.map(([cv, rd, rm]) => {
        const msb = cv! >> 63n;
        const own = u64(u64(k - msb * u64(2n * k)) * rm! - rd!);
        return leader ? u64(own + ((cv! & (HALF - 1n)) / s) + msb * k + minusOffset) : own;
      });
      expect(Array.from(truncFinishWasm(c!, rDiv!, rMsb!, leader, { scale: s, k, minusOffset }))).toEqual(expected);
      // The dealer's material for a uniform r: floor((r mod 2^63) / s) and the top bit.
      const dealt = truncDealWasm(x, s);
      expect(Array.from(dealt.div)).toEqual(rows.map(([rv]) => (rv! & (HALF - 1n)) / s));
      expect(Array.from(dealt.msb)).toEqual(rows.map(([rv]) => rv! >> 63n));
    }),
    { numRuns: 300 },
  );
});

test('a million values: the kernels handle sizes that grow the memory, and results do not alias it', () => {
  const n = 1 << 20;
  const x = new BigUint64Array(n).fill(MOD - 1n);
  const y = new BigUint64Array(n).fill(3n);
  const sum = elementwiseWasm('add', x, y);
  const product = elementwiseWasm('mul', x, y);
  expect([sum[0], sum[n - 1], product[0], product[n - 1]]).toEqual([2n, 2n, MOD - 3n, MOD - 3n]);
});
