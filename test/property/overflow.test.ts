/**
 * Fixed-point overflow is never silent (issue 12, item 5).
 *
 * Locally (FixedPrecisionTensor at the caller) every op computes the true
 * result: checked against BigInt arithmetic written out here, a result that
 * fits comes back exactly (products rounded down to the precision), one that
 * does not throws FIXED_PRECISION_OVERFLOW, for random values and precisions,
 * values at the edge of the range, matMuls that overflow only in the sum, and
 * sums. On shares, under `sy.smpc.debug.checkOverflow` (test-only: it opens
 * every operand here), the same holds against the shared range, whose products
 * must stay below 2^62 / scale² before truncation; the probe's cases
 * (2^20 · 2^20, 2^40 · 1024) are among them.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook, thrown } from '../support/runtime.js';

const LIMIT = 1n << 62n;

// One runtime for the whole file: the shared tests need its workers, the local ones its tfjs backend.
let hook: sy.Hook;
beforeAll(async () => {
  hook = await startHook();
});
afterAll(() => hook.shutdown());
type Precision = sy.smpc.Precision;

const fits = (v: bigint) => v < LIMIT && v > -LIMIT;
const floorDiv = (p: bigint, s: bigint) => {
  const q = p / s;
  return p < 0n && q * s !== p ? q - 1n : q;
};
const scaleOf = (p: Precision) => BigInt(p.base) ** BigInt(p.precisionFractional);
const fpt = (values: readonly bigint[], shape: readonly number[], precision: Precision) =>
  new sy.smpc.FixedPrecisionTensor({ values: BigUint64Array.from(values, (v) => BigInt.asUintN(64, v)), shape: [...shape] }, precision);
const signed = (t: sy.FixedPrecisionTensor) => Array.from(t.ring.values, (v) => BigInt.asIntN(64, v));

/** Runs `f`; the values it returns, or the syft error code it throws. */
function outcome(f: () => sy.FixedPrecisionTensor): { values: bigint[] } | { code: string; error: sy.SyftError } {
  try {
    return { values: signed(f()) };
  } catch (error) {
    if (!sy.isSyftError(error)) throw error;
    return { code: error.code, error };
  }
}

/** Expects `got` to be `want` when every value fits, and FIXED_PRECISION_OVERFLOW (naming `op`) otherwise; says which. */
function expectExactOrOverflow(got: ReturnType<typeof outcome>, want: readonly bigint[], op: string): 'fits' | 'overflows' {
  if (want.every(fits)) {
    expect(got).toEqual({ values: want });
    return 'fits';
  }
  expect('code' in got && got.code).toBe('FIXED_PRECISION_OVERFLOW');
  if ('error' in got) {
    expect(got.error).toBeInstanceOf(sy.FixedPrecisionOverflowError);
    expect(got.error.name).toBe('FixedPrecisionOverflowError');
    expect(got.error.message.startsWith(`${op}: `)).toBe(true);
  }
  return 'overflows';
}

const precisionArb: fc.Arbitrary<Precision> = fc.oneof(
  fc.record({ base: fc.constant(2 as const), precisionFractional: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ base: fc.constant(10 as const), precisionFractional: fc.integer({ min: 0, max: 12 }) }),
);
/** An encoding with a log-uniform magnitude below 2^62 (or at its edge), either sign. */
const encodedArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 0, max: 62 }).chain((bits) => fc.bigInt({ min: -(1n << BigInt(bits)) + 1n, max: (1n << BigInt(bits)) - 1n })) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, -1n, LIMIT - 1n, -(LIMIT - 1n)) },
);

describe('local fixed point: exact, or FIXED_PRECISION_OVERFLOW', () => {
  test('mul: floor(x·y / scale) when it fits, FIXED_PRECISION_OVERFLOW when not; random values, precisions, a single value on either side', () => {
    const seen = { fits: 0, overflows: 0, wraps: 0 };
    fc.assert(
      fc.property(
        precisionArb,
        fc.array(fc.tuple(encodedArb, encodedArb), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('same', 'scalar right', 'scalar left'),
        (precision, pairs, layout) => {
          const s = scaleOf(precision);
          let [xs, ys] = [pairs.map(([a]) => a), pairs.map(([, b]) => b)];
          if (layout === 'scalar right') ys = [ys[0]!];
          if (layout === 'scalar left') xs = [xs[0]!];
          const n = Math.max(xs.length, ys.length);
          const want = Array.from({ length: n }, (_, i) => floorDiv(xs[xs.length === 1 ? 0 : i]! * ys[ys.length === 1 ? 0 : i]!, s));
          const x = fpt(xs, xs.length === 1 && layout === 'scalar left' ? [] : [xs.length], precision);
          const y = fpt(ys, ys.length === 1 && layout === 'scalar right' ? [] : [ys.length], precision);
          const verdict = expectExactOrOverflow(outcome(() => x.mul(y)), want, 'mul');
          seen[verdict]++;
          // Fits, although the raw product of the encodings wraps the 64-bit ring: the case the probe found.
          if (verdict === 'fits' && xs.some((a, i) => !fits(a * ys[ys.length === 1 ? 0 : i]!))) seen.wraps++;
        },
      ),
      { numRuns: 600 },
    );
    expect(seen.fits).toBeGreaterThan(60);
    expect(seen.overflows).toBeGreaterThan(60);
    expect(seen.wraps).toBeGreaterThan(10);
  });

  test('mul at the edge of the range: x = floor(±2^62·scale / y) + δ, δ in [-2, 2], decided exactly', () => {
    const seen = { fits: 0, overflows: 0 };
    fc.assert(
      fc.property(precisionArb, fc.bigInt({ min: 1n, max: 1n << 40n }), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.boolean(), (precision, y, delta, negX, negY) => {
        const s = scaleOf(precision);
        let x = (LIMIT * s) / y + BigInt(delta);
        if (!fits(x)) x = LIMIT - 1n;
        const [sx, sy_] = [negX ? -x : x, negY ? -y : y];
        seen[expectExactOrOverflow(outcome(() => fpt([sx], [1], precision).mul(fpt([sy_], [1], precision))), [floorDiv(sx * sy_, s)], 'mul')]++;
      }),
      { numRuns: 400 },
    );
    expect(seen.fits).toBeGreaterThan(40);
    expect(seen.overflows).toBeGreaterThan(40);
  });

  test('mul of real values: the decoded product is within fixed-point rounding of x·y, or FIXED_PRECISION_OVERFLOW past the range', () => {
    const seen = { fits: 0, overflows: 0 };
    // Log-uniform magnitudes (fc.double alone crowds near 0): a float32 mantissa in [1, 2) times 2^e.
    const real = fc
      .tuple(fc.integer({ min: -40, max: 46 }), fc.double({ min: 1, max: 2, maxExcluded: true, noNaN: true }), fc.boolean())
      .map(([e, m, neg]) => (neg ? -1 : 1) * Math.fround(m) * 2 ** e);
    fc.assert(
      fc.property(fc.constantFrom(0, 8, 12, 16, 20, 24), fc.array(fc.tuple(real, real), { minLength: 1, maxLength: 4 }), (f, pairs) => {
        const range = sy.smpc.representableRange({ precisionFractional: f }).value;
        const [xs, ys] = [pairs.map(([a]) => a), pairs.map(([, b]) => b)];
        if (xs.some((v) => Math.abs(v) >= range) || ys.some((v) => Math.abs(v) >= range)) {
          expect(thrown(() => sy.fixPrecision(xs, { precisionFractional: f }).mul(sy.fixPrecision(ys, { precisionFractional: f }))).code).toBe('FIXED_PRECISION_OVERFLOW');
          return;
        }
        const [x, y] = [sy.fixPrecision(xs, { precisionFractional: f }), sy.fixPrecision(ys, { precisionFractional: f })];
        const products = pairs.map(([a, b]) => a * b);
        // Encoding rounds each factor by 2^-(f+1), truncation loses up to 2^-f: clear of the edge by more than that, the outcome is certain.
        const slack = (i: number) => 2 ** -f * (Math.abs(xs[i]!) + Math.abs(ys[i]!) + 2);
        if (products.some((p, i) => Math.abs(p) - slack(i) >= range)) {
          const error = thrown(() => x.mul(y));
          expect(error.code).toBe('FIXED_PRECISION_OVERFLOW');
          seen.overflows++;
        } else if (products.every((p, i) => Math.abs(p) + slack(i) < range)) {
          const got = x.mul(y).toFloat64();
          products.forEach((p, i) => expect([i, Math.abs(got[i]! - p) <= slack(i)]).toEqual([i, true]));
          seen.fits++;
        }
      }),
      { numRuns: 500 },
    );
    expect(seen.fits).toBeGreaterThan(50);
    expect(seen.overflows).toBeGreaterThan(50);
  });

  test('the probe: 2^20 · 2^20 at 16 bits is 2^40 (it came back 0); 2^23 · 2^23 = 2^46 throws, naming the op, the magnitude, the range and the fix', () => {
    expect(Array.from(sy.fixPrecision([2 ** 20, -(2 ** 20)]).mul(sy.fixPrecision([2 ** 20, 2 ** 20])).toFloat64())).toEqual([2 ** 40, -(2 ** 40)]);
    expect(Array.from(sy.fixPrecision([2 ** 20]).mul(2 ** 20).toFloat64())).toEqual([2 ** 40]);
    const error = thrown(() => sy.fixPrecision([1, 2 ** 23]).mul(sy.fixPrecision([1, 2 ** 23])));
    expect(error.code).toBe('FIXED_PRECISION_OVERFLOW');
    expect(error).toBeInstanceOf(sy.FixedPrecisionOverflowError);
    expect(error.message).toBe(
      'mul: a product has magnitude 7.037e+13 ≈ 2^46.00, outside the representable range ±7.037e+13 ≈ 2^46.00 at 16 fractional bits ' +
        '(|x·2^16| < 2^62). Rescale the data (divide it by a constant before fixPrecision() and multiply the result back) ' +
        'or use fewer fractional bits (precisionFractional).',
    );
    expect(error).toMatchObject({ op: 'mul', magnitude: 2 ** 46, limit: 2 ** 46 });
    // Fewer fractional bits make room, as the message says.
    expect(Array.from(sy.fixPrecision([2 ** 23], { precisionFractional: 8 }).mul(sy.fixPrecision([2 ** 23], { precisionFractional: 8 })).toFloat64())).toEqual([2 ** 46]);
  });

  test('add and sub: exact when |x ± y| < 2^62, FIXED_PRECISION_OVERFLOW otherwise (values near the edge)', () => {
    const seen = { fits: 0, overflows: 0 };
    const near = fc.bigInt({ min: -(LIMIT - 1n), max: LIMIT - 1n });
    fc.assert(
      fc.property(precisionArb, fc.array(fc.tuple(near, near), { minLength: 1, maxLength: 4 }), fc.constantFrom('add', 'sub'), (precision, pairs, op) => {
        const [xs, ys] = [pairs.map(([a]) => a), pairs.map(([, b]) => b)];
        const want = pairs.map(([a, b]) => (op === 'add' ? a + b : a - b));
        const [x, y] = [fpt(xs, [xs.length], precision), fpt(ys, [ys.length], precision)];
        seen[expectExactOrOverflow(outcome(() => (op === 'add' ? x.add(y) : x.sub(y))), want, op)]++;
      }),
      { numRuns: 300 },
    );
    expect(seen.fits).toBeGreaterThan(30);
    expect(seen.overflows).toBeGreaterThan(30);
  });

  test('an add chain x + x + … throws exactly at the first partial sum that leaves the range', () => {
    fc.assert(
      fc.property(precisionArb, fc.bigInt({ min: LIMIT / 64n, max: LIMIT - 1n }), fc.boolean(), (precision, v, negative) => {
        const step = negative ? -v : v;
        const x = fpt([step], [1], precision);
        let total: sy.FixedPrecisionTensor = x;
        for (let k = 2n; ; k++) {
          const got = outcome(() => total.add(x));
          if (expectExactOrOverflow(got, [k * step], 'add') === 'overflows') break;
          total = total.add(x);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('sum(axis): exact sums, or FIXED_PRECISION_OVERFLOW when one leaves the range, along every axis and over all', () => {
    const seen = { fits: 0, overflows: 0 };
    fc.assert(
      fc.property(
        precisionArb,
        fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(undefined, 0, 1, 2, -1),
        fc.infiniteStream(fc.bigInt({ min: -(LIMIT - 1n), max: LIMIT - 1n })),
        (precision, shape, shrink, axis, stream) => {
          const size = shape[0] * shape[1] * shape[2];
          // Values of up to 2^(62 - shrink): sums of several of them overflow about as often as not.
          const values = [...stream.take(size)].map((v) => v >> BigInt(shrink));
          const d = axis === undefined ? undefined : (axis + 3) % 3;
          const outShape = d === undefined ? [] : shape.filter((_, k) => k !== d);
          const want: bigint[] = new Array<bigint>(outShape.reduce((a, b) => a * b, 1)).fill(0n);
          values.forEach((v, flat) => {
            const index = [Math.floor(flat / (shape[1] * shape[2])), Math.floor(flat / shape[2]) % shape[1], flat % shape[2]];
            const kept = d === undefined ? [] : index.filter((_, k) => k !== d);
            const at = kept.reduce((acc, i, k) => acc * outShape[k]! + i, 0);
            want[at]! += v;
          });
          const got = outcome(() => fpt(values, shape, precision).sum(axis));
          seen[expectExactOrOverflow(got, want, 'sum')]++;
        },
      ),
      { numRuns: 300 },
    );
    expect(seen.fits).toBeGreaterThan(30);
    expect(seen.overflows).toBeGreaterThan(30);
  });

  test('matMul: each entry floor(Σ x·y / scale) exactly, or FIXED_PRECISION_OVERFLOW, also when every product fits and only the sum does not', () => {
    const seen = { fits: 0, overflows: 0, onlyTheSum: 0 };
    fc.assert(
      fc.property(
        precisionArb,
        fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 })),
        fc.integer({ min: 0, max: 3 }),
        fc.infiniteStream(fc.tuple(fc.double({ min: 0.5, max: 1, noNaN: true }), fc.boolean())),
        (precision, [m, k, n], shrink, stream) => {
          const s = scaleOf(precision);
          // Entries near 2^((62 + log2 scale) / 2 - shrink): each product's result is up to about 2^(62 - 2·shrink), their sums cross 2^62.
          const half = (62 + Math.log2(Number(s))) / 2 - shrink;
          const entry = ([frac, neg]: [number, boolean]) => (neg ? -1n : 1n) * BigInt(Math.floor(frac * 2 ** Math.min(half, 52))) * (1n << BigInt(Math.max(0, Math.floor(half) - 52)));
          const draws = [...stream.take(m * k + k * n)].map(entry);
          const [a, b] = [draws.slice(0, m * k), draws.slice(m * k)];
          const want: bigint[] = [];
          let everyProductFits = true;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = 0n;
              for (let t = 0; t < k; t++) {
                const p = a[i * k + t]! * b[t * n + j]!;
                if (!fits(floorDiv(p, s))) everyProductFits = false;
                sum += p;
              }
              want.push(floorDiv(sum, s));
            }
          }
          const verdict = expectExactOrOverflow(outcome(() => fpt(a, [m, k], precision).matMul(fpt(b, [k, n], precision))), want, 'matMul');
          seen[verdict]++;
          if (verdict === 'overflows' && everyProductFits) seen.onlyTheSum++;
        },
      ),
      { numRuns: 400 },
    );
    expect(seen.fits).toBeGreaterThan(40);
    expect(seen.overflows).toBeGreaterThan(40);
    expect(seen.onlyTheSum).toBeGreaterThan(10);
  });

  test('matMul examples at 16 bits: overflow only in the sum; a partial sum past the range that the final sum undoes; a raw sum past 2^64 that fits once truncated', () => {
    const row = (values: number[]) => sy.fixPrecision(tf.tensor(values, [1, values.length]));
    const column = (values: number[]) => sy.fixPrecision(tf.tensor(values, [values.length, 1]));
    // Each product is 2^45 (fits); their sum 2^47 does not.
    const error = thrown(() => row([2 ** 23, 2 ** 23, 2 ** 23, 2 ** 23]).matMul(column([2 ** 22, 2 ** 22, 2 ** 22, 2 ** 22])));
    expect(error.code).toBe('FIXED_PRECISION_OVERFLOW');
    expect(error.message).toMatch(/^matMul: an entry of the product has magnitude 1\.407e\+14 ≈ 2\^47\.00, outside the representable range ±7\.037e\+13/);
    // 2^45 + 2^45 passes 2^46 on the way, the last term brings it back: ring arithmetic only needs the final sum in range.
    expect(Array.from(row([2 ** 23, 2 ** 23, -(2 ** 23)]).matMul(column([2 ** 22, 2 ** 22, 2 ** 22])).toFloat64())).toEqual([2 ** 45]);
    // Raw products 2^72 each (the 64-bit kernel wraps them to 0), sum 2^41 after truncation.
    expect(Array.from(row([2 ** 20, 2 ** 20]).matMul(column([2 ** 20, 2 ** 20])).toFloat64())).toEqual([2 ** 41]);
  });
});

describe('shares', () => {
  let parties: sy.VirtualWorker[];
  let dealer: sy.VirtualWorker;

  beforeAll(async () => {
    parties = await hook.virtualWorkers(['o0', 'o1', 'o2'], { threads: 2 });
    dealer = await hook.virtualWorker('odealer');
  });
  afterEach(async () => {
    sy.smpc.debug.checkOverflow = false;
    await Promise.all([...parties, dealer].map((w) => w.clearObjects()));
  });

  const share = (t: sy.FixedPrecisionTensor, n = 2) => t.share(...parties.slice(0, n), { cryptoProvider: dealer });
  const shared = (values: number[], options?: sy.smpc.FixedPrecisionOptions) => share(sy.fixPrecision(values, options));
  async function expectNothingLeft(): Promise<void> {
    const held = await Promise.all([...parties, dealer].map(async (w) => [w.id, [...(await w.objects()).keys()]] as const));
    expect(held).toEqual([...parties, dealer].map((w) => [w.id, []]));
  }
  async function overflow(result: sy.AdditiveSharingTensor, op: string): Promise<sy.SyftError> {
    const error = await rejection(result.get());
    expect([error.code, error.message]).toEqual(['FIXED_PRECISION_OVERFLOW', error.message]);
    expect(error).toBeInstanceOf(sy.FixedPrecisionOverflowError);
    expect(error.message.startsWith(`${op}: `)).toBe(true);
    expect(error.message).toMatch(/sy\.smpc\.debug\.checkOverflow/);
    return error;
  }

  test('the debug check is off by default; without it a product past the shared range comes back wrong with no error (as documented)', async () => {
    expect(sy.smpc.debug.checkOverflow).toBe(false);
    const x = shared([2 ** 20]);
    // 2^40 encodes as 2^56; the raw product 2^72 wraps to 0 (the truncation may be off by one unit, 2^-16).
    expect(Math.abs((await x.mul(x).get()).toFloat64()[0]!)).toBeLessThanOrEqual(2 ** -16);
    x.dispose();
    await expectNothingLeft();
  });

  test('a public integer factor that takes every nonzero value out of range is refused at once, with or without the debug check', async () => {
    const x = shared([1, 2]);
    for (const debug of [false, true]) {
      sy.smpc.debug.checkOverflow = debug;
      for (const k of [2 ** 62, -(2 ** 62), 2 ** 70, 1e300]) {
        const error = thrown(() => x.mul(k));
        expect([k, error.code]).toEqual([k, 'FIXED_PRECISION_OVERFLOW']);
        expect(error.message).toMatch(/^mul: the public factor .* times one unit/);
      }
    }
    // The largest factor below the bound is not refused (here: 2^61 · 2^-16 = 2^45 fits for x = 2^-16).
    const unit = share(new sy.smpc.FixedPrecisionTensor({ values: BigUint64Array.of(1n), shape: [1] }, { base: 2, precisionFractional: 16 }));
    expect(Array.from((await unit.mul(2 ** 61).get()).toFloat64())).toEqual([2 ** 45]);
    unit.dispose();
    x.dispose();
    await expectNothingLeft();
  });

  describe('with sy.smpc.debug.checkOverflow (test-only: opens every operand at the caller)', () => {
    beforeEach(() => {
      sy.smpc.debug.checkOverflow = true;
    });

    test('the probe: shared 2^20 · 2^20 and 2^40 · 1024 (by a public integer, a public real, a shared value) reject with FIXED_PRECISION_OVERFLOW', async () => {
      // One element: a one-element shared tensor broadcasts with a public scalar (a bug once, fixed in issue 13).
      const x = shared([2 ** 20]);
      const error = await overflow(x.mul(x), 'mul');
      expect(error.message).toMatch(/the product before truncation has magnitude 1\.100e\+12 ≈ 2\^40\.00, outside the representable range ±1\.074e\+9 ≈ 2\^30\.00 at 16 fractional bits \(\|x·y·2\^32\| < 2\^62\)/);
      const big = shared([2 ** 40]);
      await overflow(big.mul(1024), 'mul');
      await overflow(big.mul(1024.5), 'mul');
      await overflow(big.mul(tf.tensor([1024, 1024])), 'mul');
      const k = shared([1024, 1024]);
      await overflow(big.mul(k), 'mul');
      await overflow(big.div(1 / 1024), 'mul');
      // Values in range: no error, and the right result (a truncation may be off by one unit).
      const [small, other] = [shared([2 ** 14, 1]), shared([2 ** 15, 1])];
      const product = (await small.mul(other).get()).toFloat64();
      expect(Math.abs(product[0]! - 2 ** 29)).toBeLessThanOrEqual(2 ** -16);
      expect(Array.from((await small.mul(1024).get()).toFloat64())).toEqual([2 ** 24, 1024]);
      for (const t of [x, big, k, small, other]) t.dispose();
      await expectNothingLeft();
    });

    test('shared products, random values and precisions, 2 or 3 parties: within one unit of floor(x·y / scale) when |x·y·scale²| < 2^62, FIXED_PRECISION_OVERFLOW otherwise', async () => {
      const seen = { fits: 0, overflows: 0 };
      const real = fc.tuple(fc.integer({ min: -8, max: 32 }), fc.double({ min: 1, max: 2, noNaN: true }), fc.boolean()).map(([e, m, neg]) => (neg ? -1 : 1) * m * 2 ** e);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(8, 12, 16, 20),
          fc.array(fc.tuple(real, real), { minLength: 1, maxLength: 3 }),
          fc.constantFrom('shared', 'public'),
          fc.constantFrom(2, 3),
          async (f, pairs, kind, n) => {
            const options = { precisionFractional: f };
            const range = sy.smpc.representableRange(options).value;
            const [xs, ys] = [pairs.map(([a]) => a), pairs.map(([, b]) => b)];
            if ([...xs, ...ys].some((v) => Math.abs(Math.fround(v)) >= range)) return;
            const [ex, ey] = [sy.fixPrecision(xs, options), sy.fixPrecision(ys, options)];
            const raw = signed(ex).map((a, i) => a * signed(ey)[i]!);
            const [x, y] = [share(ex, n), share(ey, n)];
            const product = kind === 'shared' ? x.mul(y) : x.mul(ey);
            if (raw.every(fits)) {
              const got = signed(await product.get());
              got.forEach((g, i) => {
                const want = floorDiv(raw[i]!, 1n << BigInt(f));
                // The truncation protocol is exact to one unit in the last place, either way.
                expect([i, g - want <= 1n && want - g <= 1n]).toEqual([i, true]);
              });
              seen.fits++;
            } else {
              await overflow(product, 'mul');
              seen.overflows++;
            }
            x.dispose();
            y.dispose();
          },
        ),
        { numRuns: 40 },
      );
      expect(seen.fits).toBeGreaterThan(5);
      expect(seen.overflows).toBeGreaterThan(5);
      await expectNothingLeft();
    });

    test('matMul on shares: every product fits but the sum does not → FIXED_PRECISION_OVERFLOW; a partial sum past the range that the final sum undoes is fine', async () => {
      const matrix = (values: number[], shape: [number, number]) => share(sy.fixPrecision(tf.tensor(values, shape)), 3);
      // At 16 bits each product is 2^28 (< 2^30); the sum of four is 2^30.
      const a = matrix([2 ** 14, 2 ** 14, 2 ** 14, 2 ** 14], [1, 4]);
      const b = matrix([2 ** 14, 2 ** 14, 2 ** 14, 2 ** 14], [4, 1]);
      const error = await overflow(a.matMul(b), 'matMul');
      expect(error).toMatchObject({ magnitude: 2 ** 30, limit: 2 ** 30 });
      await overflow(a.matMul(tf.tensor([2 ** 14, 2 ** 14, 2 ** 14, 2 ** 14], [4, 1])), 'matMul');
      const c = matrix([2 ** 14, 2 ** 14, -(2 ** 14), 2 ** 14], [1, 4]);
      expect(Math.abs((await c.matMul(b).get()).toFloat64()[0]! - 2 ** 29)).toBeLessThanOrEqual(2 ** -16);
      for (const t of [a, b, c]) t.dispose();
      await expectNothingLeft();
    });

    test('sums, adds and subs on shares past 2^46 (16 bits) reject; an overflow is reported at the get() of every tensor computed from it', async () => {
      const x = shared([2 ** 45, 2 ** 45]);
      const minusX = x.neg();
      await overflow(x.sum(), 'sum');
      await overflow(x.add(x), 'add');
      await overflow(x.sub(minusX), 'sub');
      await overflow(x.add(2 ** 45), 'add');
      await overflow(x.sub(-(2 ** 45)), 'sub');
      expect(Array.from((await x.add(minusX).get()).toFloat64())).toEqual([0, 0]);
      await overflow(x.mean(), 'sum');
      // Downstream of an overflowed product, through other ops and after it is disposed.
      const y = shared([2 ** 20, 1]);
      const product = y.mul(y);
      const steps = [product.add(1)];
      steps.push(steps[0]!.reshape([2, 1]));
      const later = steps[1]!.transpose();
      for (const t of [product, ...steps]) t.dispose();
      await overflow(later, 'mul');
      const opened = y.mul(y);
      expect((await rejection(opened.open())).code).toBe('FIXED_PRECISION_OVERFLOW');
      opened.dispose();
      for (const t of [x, y, minusX]) t.dispose();
      await expectNothingLeft();
    });

    test('integer shares: products must stay below 2^62', async () => {
      const integer = { base: 2, precisionFractional: 0 } as const;
      const x = share(new sy.smpc.FixedPrecisionTensor({ values: BigUint64Array.of(1n << 31n), shape: [1] }, integer));
      const y = share(new sy.smpc.FixedPrecisionTensor({ values: BigUint64Array.of(1n << 30n), shape: [1] }, integer));
      expect(signed(await x.mul(y).get())).toEqual([1n << 61n]);
      const error = await overflow(x.mul(x), 'mul');
      expect(error.message).toMatch(/a product has magnitude 4\.612e\+18 ≈ 2\^62\.00, outside the representable range ±4\.612e\+18 ≈ 2\^62\.00 at 0 fractional digits \(integers\) \(\|x\| < 2\^62\)/);
      x.dispose();
      y.dispose();
      await expectNothingLeft();
    });
  });
});
