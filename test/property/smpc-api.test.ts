/**
 * Fixed-precision and shared tensors as tensors of the API (issue 13):
 * broadcasting by tfjs's rules against a float64 reference, pow by an integer,
 * stack/concat/split/unstack round trips, in-place verbs, the sy.<op>
 * dispatcher, ptr.fixPrecision() at the worker, and the refusal of every
 * registry op that has no meaning on shares, before anything runs.
 *
 * Values are dyadic (k / 256), so encodings are exact and a shared product is
 * off by at most its one truncation unit (2^-16).
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let parties: sy.VirtualWorker[];
let dealer: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  parties = await hook.virtualWorkers(['p0', 'p1', 'p2'], { threads: 2 });
  dealer = await hook.virtualWorker('dealer');
});
afterAll(() => hook.shutdown());
afterEach(async () => {
  await Promise.all([...parties, dealer].map((w) => w.clearObjects()));
});

const UNIT = 2 ** -16;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const dyadic = fc.integer({ min: -64 * 256, max: 64 * 256 }).map((k) => k / 256);
const valuesOf = (shape: readonly number[]) => fc.array(dyadic, { minLength: sizeOf(shape), maxLength: sizeOf(shape) });
const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 });
/** Two shapes that broadcast: a suffix of one, some dims set to 1, in either order. */
const broadcastPair = shapeArb.chain((a) =>
  fc
    .tuple(fc.integer({ min: 0, max: a.length }), fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }), fc.boolean())
    .map(([drop, ones, swap]) => {
      const b = a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
      return swap ? ([b, a] as const) : ([a, b] as const);
    }),
);
const partyCount = fc.integer({ min: 2, max: 3 });
const share = (x: sy.FixedPrecisionTensor, n: number) => x.share(...parties.slice(0, n), { cryptoProvider: dealer });

/** The float64 result of an element-wise op under tfjs's broadcasting: the reference. */
function broadcastRef(a: readonly number[], as: readonly number[], b: readonly number[], bs: readonly number[], f: (x: number, y: number) => number) {
  const rank = Math.max(as.length, bs.length);
  const pa = [...new Array<number>(rank - as.length).fill(1), ...as];
  const pb = [...new Array<number>(rank - bs.length).fill(1), ...bs];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const out: number[] = [];
  for (let flat = 0; flat < sizeOf(shape); flat++) {
    let [ia, ib, rest] = [0, 0, flat];
    const index = shape.map(() => 0);
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : index[d]!);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : index[d]!);
    }
    out.push(f(a[ia]!, b[ib]!));
  }
  return { shape, values: out };
}

const fix = (values: readonly number[], shape: readonly number[]) => sy.fixPrecision(tf.tensor([...values], [...shape]));
const decoded = (x: sy.FixedPrecisionTensor) => Array.from(x.toFloat64());

function within(actual: readonly number[], want: readonly number[], tol: number): void {
  expect(actual.length).toBe(want.length);
  actual.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(tol));
}

async function nothingLeft(): Promise<void> {
  const held = await Promise.all([...parties, dealer].map(async (w) => (await w.objects()).size));
  expect(held).toEqual([...parties, dealer].map(() => 0));
}

describe('broadcasting (tfjs rules)', () => {
  test('local fixed precision: add, sub and mul of broadcasting shapes equal the float64 reference (add/sub exact, mul to one unit)', () => {
    fc.assert(
      fc.property(broadcastPair.chain(([as, bs]) => fc.tuple(fc.constant(as), fc.constant(bs), valuesOf(as), valuesOf(bs))), ([as, bs, a, b]) => {
        const [x, y] = [fix(a, as), fix(b, bs)];
        for (const [op, f, tol] of [
          ['add', (p: number, q: number) => p + q, 0],
          ['sub', (p: number, q: number) => p - q, 0],
          ['mul', (p: number, q: number) => p * q, UNIT],
        ] as const) {
          const want = broadcastRef(a, as, b, bs, f);
          const got = x[op](y);
          expect(got.shape).toEqual(want.shape);
          within(decoded(got), want.values, tol);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('shares (2-3 parties): add, sub, mul with shared, fixed-precision and plain operands of broadcasting shapes equal the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        broadcastPair.chain(([as, bs]) => fc.tuple(fc.constant(as), fc.constant(bs), valuesOf(as), valuesOf(bs))),
        partyCount,
        async ([as, bs, a, b], n) => {
          const [x, y] = [share(fix(a, as), n), share(fix(b, bs), n)];
          const plainB = tf.tensor(b, [...bs]);
          const cases: [string, sy.AdditiveSharingTensor, ReturnType<typeof broadcastRef>, number][] = [
            ['add shared', x.add(y), broadcastRef(a, as, b, bs, (p, q) => p + q), 0],
            ['sub plain', x.sub(plainB), broadcastRef(a, as, b, bs, (p, q) => p - q), 0],
            ['rsub fixed', sy.op('sub', fix(b, bs), x) as sy.AdditiveSharingTensor, broadcastRef(b, bs, a, as, (p, q) => p - q), 0],
            ['mul shared', x.mul(y), broadcastRef(a, as, b, bs, (p, q) => p * q), UNIT],
            ['mul plain', sy.op('mul', plainB, x) as sy.AdditiveSharingTensor, broadcastRef(a, as, b, bs, (p, q) => p * q), UNIT],
          ];
          plainB.dispose();
          for (const [name, t, want, tol] of cases) {
            expect([name, t.shape]).toEqual([name, want.shape]);
            within(Array.from((await t.get()).toFloat64()), want.values, tol);
          }
          x.dispose();
          y.dispose();
          await nothingLeft();
        },
      ),
      { numRuns: 25 },
    );
  });

  test('shapes that do not broadcast are refused at once, and nothing runs at the parties', async () => {
    const x = share(fix([1, 2, 3, 4, 5, 6], [2, 3]), 2);
    const y = share(fix([1, 2], [2]), 2);
    for (const f of [() => x.add(tf.ones([2])), () => x.mul(tf.ones([3, 2])), () => x.sub(y), () => x.mul(y)]) {
      expect(thrown(f).code).toBe('INVALID_ARGUMENT');
    }
    x.dispose();
    y.dispose();
    await nothingLeft();
  });
});

describe('pow by an integer', () => {
  test('local: x^k equals the exact product of k factors, each rounded down (k = 0..5)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -8 * 16, max: 8 * 16 }).map((k) => k / 16), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 5 }), (values, k) => {
        const x = sy.fixPrecision(values);
        // k/16 has 4 fractional bits: up to x^4 every product is exact at 16 bits.
        const want = values.map((v) => v ** k);
        const got = decoded(x.pow(k));
        if (k <= 4) expect(got).toEqual(want);
        else within(got, want, 8 * UNIT * 8 ** 4);
      }),
      { numRuns: 100 },
    );
  });

  test('shares: x^k within the truncation units of its products (k = 0..4), 2-3 parties', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -4 * 16, max: 4 * 16 }).map((k) => k / 16), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 4 }), partyCount, async (values, k, n) => {
        const x = share(sy.fixPrecision(values), n);
        const got = Array.from((await x.pow(k).get()).toFloat64());
        // Each of the ≤ 3 products adds one unit, carried on by later factors of magnitude ≤ 4.
        within(got, values.map((v) => v ** k), 64 * UNIT);
        x.dispose();
        await nothingLeft();
      }),
      { numRuns: 20 },
    );
  });

  test('a real or negative exponent is refused with INVALID_ARGUMENT, a shared one with UNSUPPORTED_ON_SHARES', () => {
    const x = share(sy.fixPrecision([1, 2]), 2);
    for (const f of [() => x.pow(0.5), () => x.pow(-1), () => sy.fixPrecision([2]).pow(1.5)]) expect(thrown(f).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => sy.op('pow', x, x)).code).toBe('UNSUPPORTED_ON_SHARES');
    x.dispose();
  });
});

describe('structural round trips', () => {
  const tensorArb = fc
    .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), fc.nat())
    .chain(([shape, axisSeed]) => fc.tuple(fc.constant(shape), fc.constant(axisSeed % shape.length), valuesOf(shape)));

  test('local and shared: split then concat, unstack then stack give the tensor back; stack then unstack gives the pieces', async () => {
    await fc.assert(
      fc.asyncProperty(tensorArb, fc.boolean(), async ([shape, axis, values], shared) => {
        const local = fix(values, shape);
        const x = shared ? share(local, 2) : local;
        const pieces = sy.op('split', x, shape[axis]!, axis) as (typeof x)[];
        const back = sy.op('concat', pieces, axis) as typeof x;
        const rows = x.unstack(axis);
        const restacked = sy.op('stack', rows, axis) as typeof x;
        const twice = sy.op('stack', [x, x], 0) as typeof x;
        const [first, second] = twice.unstack(0);
        const read = async (t: typeof x) => (t instanceof sy.AdditiveSharingTensor ? Array.from((await t.get()).toFloat64()) : decoded(t));
        expect(back.shape).toEqual(shape);
        expect(restacked.shape).toEqual(shape);
        expect(twice.shape).toEqual([2, ...shape]);
        expect(await read(back)).toEqual(values);
        expect(await read(restacked)).toEqual(values);
        expect(await read(first!)).toEqual(values);
        expect(await read(second!)).toEqual(values);
        if (x instanceof sy.AdditiveSharingTensor) {
          for (const t of [...pieces, ...rows, twice, x] as unknown as sy.AdditiveSharingTensor[]) t.dispose();
          await nothingLeft();
        }
      }),
      { numRuns: 30 },
    );
  });

  test('shapes are known at once for every structural op on shares, and match the local tensor', () => {
    fc.assert(
      fc.property(tensorArb, ([shape, axis, values]) => {
        const local = fix(values, shape);
        const x = share(local, 2);
        const pairs: [unknown, unknown][] = [
          [x.expandDims(axis).shape, local.expandDims(axis).shape],
          [x.transpose().shape, local.transpose().shape],
          [x.sum(axis, true).shape, local.sum(axis, true).shape],
          [x.mean(axis).shape, local.mean(axis).shape],
          [x.tile(shape.map(() => 2)).shape, local.tile(shape.map(() => 2)).shape],
          [x.broadcastTo([2, ...shape]).shape, local.broadcastTo([2, ...shape]).shape],
          [x.slice(shape.map(() => 0), shape.map(() => 1)).shape, local.slice(shape.map(() => 0), shape.map(() => 1)).shape],
          [[x.rank, x.size, x.dtype], [local.rank, local.size, local.dtype]],
        ];
        for (const [a, b] of pairs) expect(a).toEqual(b);
        x.dispose();
      }),
      { numRuns: 30 },
    );
  });
});

describe('in-place verbs', () => {
  test('addInPlace, subInPlace, mulInPlace and divInPlace equal their out-of-place ops; the old shares are deleted at the parties', async () => {
    await fc.assert(
      fc.asyncProperty(valuesOf([3]), valuesOf([3]), async (a, b) => {
        const x = share(fix(a, [3]), 2);
        const y = share(fix(b, [3]), 2);
        const local = fix(a, [3]);
        const oldId = x.shares[0]!.idAtLocation;
        expect(x.addInPlace(y).subInPlace(1).mulInPlace(2).divInPlace(4)).toBe(x);
        local.addInPlace(fix(b, [3])).subInPlace(1).mulInPlace(2).divInPlace(4);
        const ids = [...(await parties[0]!.objects()).keys()];
        expect(ids).not.toContain(oldId);
        expect(ids.sort()).toEqual([x.shares[0]!.idAtLocation, y.shares[0]!.idAtLocation].sort());
        within(Array.from((await x.get()).toFloat64()), decoded(local), UNIT);
        within(decoded(local), a.map((v, i) => ((v + b[i]! - 1) * 2) / 4), 0);
        y.dispose();
        await nothingLeft();
      }),
      { numRuns: 15 },
    );
  });
});

describe('ptr.fixPrecision(): the encoding happens at the worker', () => {
  test('get() equals the local encoding, floatPrecision() decodes at the worker, share() splits there', async () => {
    await fc.assert(
      fc.asyncProperty(valuesOf([4]), fc.constantFrom(8, 16, 24), async (values, bits) => {
        const holder = parties[2]!;
        const ptr = tf.tensor(values).send(holder);
        const options = { precisionFractional: bits };
        const encodedThere = ptr.fixPrecision(options);
        expect((await holder.objects()).get(encodedThere.idAtLocation)?.kind).toBe('ring');
        const decodedPtr = encodedThere.floatPrecision();
        const fromHolder = encodedThere.share(parties[0]!, parties[1]!, { cryptoProvider: dealer });
        // A tensor shared by a worker has no known shape here until reshape() names it.
        expect(fromHolder.shape).toBeUndefined();
        const shared = fromHolder.reshape([4]);
        const local = sy.fixPrecision(values, options);
        expect(Array.from((await encodedThere.get()).ring.values)).toEqual(Array.from(local.ring.values));
        expect(Array.from((await decodedPtr.get()).dataSync())).toEqual(values);
        expect(Array.from((await shared.mul(2).get()).toFloat64())).toEqual(values.map((v) => 2 * v));
        for (const t of [ptr, fromHolder, shared]) t.dispose();
        await nothingLeft();
      }),
      { numRuns: 10 },
    );
  });
});

describe('the dispatcher', () => {
  test('every registry op without a meaning on shares is refused with UnsupportedOnSharesError before anything runs', async () => {
    const supported = new Set<string>(sy.smpc.smpcOpNames());
    const x = share(fix([1, 2, 3, 4], [2, 2]), 2);
    const local = fix([1, 2, 3, 4], [2, 2]);
    for (const name of sy.opNames().filter((n) => !supported.has(n))) {
      for (const t of [x, local]) {
        const error = thrown(() => sy.op(name, t));
        expect([name, error.code, error instanceof sy.smpc.UnsupportedOnSharesError]).toEqual([name, 'UNSUPPORTED_ON_SHARES', true]);
      }
    }
    x.dispose();
    await nothingLeft();
  });

  test('sy.op(name, ...) and the method agree for the supported ops (fixed precision, exact)', () => {
    fc.assert(
      fc.property(valuesOf([2, 3]), valuesOf([3]), (a, b) => {
        const [x, y] = [fix(a, [2, 3]), fix(b, [3])];
        expect(decoded(sy.op('add', x, y) as sy.FixedPrecisionTensor)).toEqual(decoded(x.add(y)));
        expect(decoded(sy.op('mul', y, x) as sy.FixedPrecisionTensor)).toEqual(decoded(x.mul(y)));
        expect(decoded(sy.op('sum', x, 1) as sy.FixedPrecisionTensor)).toEqual(decoded(x.sum(1)));
        expect(decoded(sy.op('matMul', x, x, false, true) as sy.FixedPrecisionTensor)).toEqual(decoded(x.matMul(x.transpose())));
        expect(decoded(sy.op('square', x) as sy.FixedPrecisionTensor)).toEqual(decoded(x.mul(x)));
        expect(decoded(sy.op('neg', x) as sy.FixedPrecisionTensor)).toEqual(decoded(x).map((v) => -v + 0));
      }),
      { numRuns: 50 },
    );
  });
});
