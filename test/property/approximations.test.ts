/**
 * The approximations (src/smpc/approximations.ts) against Math, with
 * CrypTen's tolerance (|a-b| <= 0.01 or |a-b|/(|a|+|b|) <= 0.05), over the
 * ranges their header documents, the ends included: on local fixed-precision
 * tensors (the same arithmetic the parties run), and on shares among 2, 3 and
 * 5 parties, where every product must also stay inside the shares' smaller
 * range (checked by sy.smpc.debug.checkOverflow, which opens every operand).
 * softmax rows sum to 1 within 0.01; logits as large as 50 and 52 work only
 * because the row's maximum is subtracted first. After each shares test,
 * nothing is left at any party.
 */
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { div, exp, log, logSoftmax, reciprocal, rsqrt, sigmoid, softmax, sqrt, tanh } from '../../src/smpc/approximations.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['p0', 'p1', 'p2', 'p3', 'p4', 'dealer'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const dealer = (): sy.VirtualWorker => workers[5]!;
type Secret = sy.FixedPrecisionTensor | sy.AdditiveSharingTensor;

const withinCrypTen = (got: number, want: number): boolean => Math.abs(got - want) <= 0.01 || Math.abs(got - want) / (Math.abs(got) + Math.abs(want)) <= 0.05;

/** Uniform on [min, max], and uniform in log scale for ranges over decades (where the hard inputs are). */
const spread = (min: number, max: number): fc.Arbitrary<number> =>
  min > 0 && max / min > 100
    ? fc.oneof(fc.double({ min, max, noNaN: true }), fc.double({ min: Math.log(min), max: Math.log(max), noNaN: true }).map((v) => Math.min(max, Math.max(min, Math.exp(v)))))
    : fc.double({ min, max, noNaN: true });
const signed = (a: fc.Arbitrary<number>): fc.Arbitrary<number> => fc.tuple(a, fc.boolean()).map(([v, negative]) => (negative ? -v : v));

interface Case {
  readonly name: string;
  readonly f: (x: Secret) => unknown;
  readonly ref: (v: number) => number;
  readonly values: fc.Arbitrary<number>;
  /** The documented range's ends. */
  readonly ends: readonly number[];
}

const CASES: readonly Case[] = [
  { name: 'exp', f: (x) => exp(x), ref: Math.exp, values: fc.oneof(spread(-2000, 12), spread(-15, 12)), ends: [-2000, 12] },
  { name: 'reciprocal', f: (x) => reciprocal(x), ref: (v) => 1 / v, values: signed(spread(0.001, 600)), ends: [0.001, 600, -0.001, -600] },
  { name: 'log', f: (x) => log(x), ref: Math.log, values: spread(1e-4, 250), ends: [1e-4, 250] },
  { name: 'rsqrt', f: (x) => rsqrt(x), ref: (v) => 1 / Math.sqrt(v), values: spread(0.04, 170), ends: [0.04, 170] },
  { name: 'sqrt', f: (x) => sqrt(x), ref: Math.sqrt, values: spread(0.04, 170), ends: [0.04, 170] },
  { name: 'sigmoid', f: (x) => sigmoid(x), ref: (v) => 1 / (1 + Math.exp(-v)), values: fc.oneof(spread(-500, 500), spread(-12, 12)), ends: [-500, 500] },
  { name: 'tanh', f: (x) => tanh(x), ref: Math.tanh, values: fc.oneof(spread(-250, 250), spread(-6, 6)), ends: [-250, 250] },
];

const floats = (t: Secret | sy.FixedPrecisionTensor): number[] => Array.from((t as sy.FixedPrecisionTensor).toFloat64());

function expectWithin(name: string, inputs: readonly unknown[], got: readonly number[], want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect([name, inputs[i], g, withinCrypTen(g, want[i]!)]).toEqual([name, inputs[i], g, true]));
}

/** softmax or logSoftmax of rows in float64, along `axis` of a matrix. */
function plainSoftmax(kind: 'softmax' | 'logSoftmax', rows: readonly (readonly number[])[], axis: 0 | 1): number[][] {
  const lines = axis === 1 ? rows : rows[0]!.map((_, j) => rows.map((r) => r[j]!));
  const out = lines.map((line) => {
    const m = Math.max(...line);
    const lse = Math.log(line.reduce((s, v) => s + Math.exp(v - m), 0));
    return line.map((v) => (kind === 'softmax' ? Math.exp(v - m - lse) : v - m - lse));
  });
  return axis === 1 ? out : rows.map((r, i) => r.map((_, j) => out[j]![i]!));
}

// Matrices whose entries lie within 2000 of each other (the documented spread along either axis), all shifted by up to 1e4 (large logits).
const logitRows = fc
  .record({
    rows: fc.integer({ min: 1, max: 4 }),
    cols: fc.integer({ min: 1, max: 8 }),
    entry: fc.constantFrom(10, 1000),
    shift: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
  })
  .chain(({ rows, cols, entry, shift }) =>
    fc.array(fc.array(fc.double({ min: -entry, max: entry, noNaN: true }).map((v) => v + shift), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
  );

describe('approximations on fixed-precision tensors, over their documented ranges', () => {
  for (const { name, f, ref, values, ends } of CASES) {
    test(`${name} on [${ends.join(', ')}] (the ends included)`, () => {
      fc.assert(
        fc.property(fc.array(values, { minLength: 1, maxLength: 16 }), (vs) => {
          const xs = [...vs, ...ends];
          expectWithin(name, xs, floats(f(sy.fixPrecision(xs)) as Secret), xs.map(ref));
        }),
        { numRuns: 30 },
      );
    });
  }

  test('div(x, y) for x in [-100, 100] and |y| in [0.001, 600], either sign; a public dividend too', () => {
    const divisors = signed(spread(0.001, 600));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), divisors), { minLength: 1, maxLength: 16 }), (pairs) => {
        const all = [...pairs, [100, 0.001], [-100, -0.001], [100, 600], [-1, -600]] as [number, number][];
        const [xs, ys] = [all.map(([x]) => x), all.map(([, y]) => y)];
        expectWithin('div', ys, floats(div(sy.fixPrecision(xs), sy.fixPrecision(ys))), all.map(([x, y]) => x / y));
        expectWithin('div public', ys, floats(div(xs, sy.fixPrecision(ys))), all.map(([x, y]) => x / y));
      }),
      { numRuns: 30 },
    );
  });

  for (const kind of ['softmax', 'logSoftmax'] as const) {
    test(`${kind} along either axis of rows with large logits; softmax rows sum to 1 within 0.01`, () => {
      const f = kind === 'softmax' ? softmax : logSoftmax;
      fc.assert(
        fc.property(logitRows, fc.constantFrom(-1, 0, 1), (rows, dim) => {
          const got = floats(f(sy.fixPrecision(tf.tensor2d(rows)), dim));
          const axis = dim === 0 ? 0 : 1;
          const want = plainSoftmax(kind, rows, axis).flat();
          expectWithin(kind, want, got, want);
          if (kind === 'softmax') {
            const cols = rows[0]!.length;
            const sums = axis === 1 ? rows.map((_, i) => got.slice(i * cols, (i + 1) * cols).reduce((s, v) => s + v, 0)) : rows[0]!.map((_, j) => rows.reduce((s, _r, i) => s + got[i * cols + j]!, 0));
            for (const s of sums) expect(Math.abs(s - 1)).toBeLessThanOrEqual(0.01);
          }
        }),
        { numRuns: 30 },
      );
    });
  }

  test('logits 50 and 52: softmax subtracts the maximum first; exp(52) itself is out of range', () => {
    const logits = sy.fixPrecision(tf.tensor2d([[50, 52]]));
    const want = plainSoftmax('softmax', [[50, 52]], 1)[0]!; // [0.1192, 0.8808]
    expectWithin('softmax', [50, 52], floats(softmax(logits)), want);
    expectWithin('logSoftmax', [50, 52], floats(logSoftmax(logits)), want.map(Math.log));
    // Without the subtraction the sum of exps is e^52 ≈ 3.8e22: past the local range (2^46), and on shares silently wrong.
    expect(thrown(() => exp(logits)).code).toBe('FIXED_PRECISION_OVERFLOW');
  });

  test('one entry along the axis: softmax is 1 and logSoftmax 0 whatever the value', () => {
    const x = sy.fixPrecision(tf.tensor2d([[1e4], [-3]]));
    expect(floats(softmax(x))).toEqual([1, 1]);
    expect(floats(logSoftmax(x))).toEqual([0, 0]);
  });

  test('bad arguments are refused with INVALID_ARGUMENT naming the fix', () => {
    const integer = sy.fixPrecision([1, 2], { precisionFractional: 0 });
    for (const f of [exp, reciprocal, log, sqrt, rsqrt, sigmoid, tanh, softmax, logSoftmax] as ((x: Secret) => unknown)[]) {
      const error = thrown(() => f(integer));
      expect([error.code, error.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/precisionFractional 0.*fixPrecision/)]);
    }
    const x = sy.fixPrecision([1, 2]);
    expect(thrown(() => exp(x, { iterations: -1 })).message).toMatch(/exp: iterations must be an integer from 0 to 64, got -1/);
    expect(thrown(() => log(x, { order: 0 })).message).toMatch(/log: order must be an integer from 1 to 64/);
    expect(thrown(() => softmax(x, 1)).message).toMatch(/softmax: axis 1 is out of range for a tensor of rank 1/);
    expect(thrown(() => logSoftmax(sy.fixPrecision(3))).message).toMatch(/logSoftmax: the tensor is a scalar/);
  });
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
  const share = (values: tf.Tensor | number[], parties: number): sy.AdditiveSharingTensor =>
    sy.fixPrecision(values).share(...workers.slice(0, parties), { cryptoProvider: dealer() });

  test('bad options and integer shares are refused with INVALID_ARGUMENT; nothing left at the parties', async () => {
    const x = share([1, -2], 2);
    const integer = sy.fixPrecision([1, -2], { precisionFractional: 0 }).share(workers[0]!, workers[1]!, { cryptoProvider: dealer() });
    const calls = [
      () => sigmoid(x, { iterations: 1.5 }),
      () => tanh(x, { expIterations: -1 }),
      () => softmax(x, -1, { iterations: 65 }),
      () => logSoftmax(x, 0, { expIterations: Number.NaN }),
      () => log(x, { order: 0 }),
      () => reciprocal(x, { iterations: -1 }),
      () => div(x, x, { iterations: -1 }),
      () => softmax(x, 2),
      () => exp(integer),
      () => div(x, integer),
    ];
    for (const call of calls) expect(thrown(call).code).toBe('INVALID_ARGUMENT');
    x.dispose();
    integer.dispose();
    await sy.testing.collectGarbage();
    await sy.testing.assertNoLeaks(hook);
  });

  for (const parties of [2, 3, 5]) {
    test(`${parties} parties: every approximation within tolerance at its range ends and sampled values; nothing left at the parties`, async () => {
      // Test-only: every shared operand is opened at the caller to check that products stay inside the shares' range.
      sy.smpc.debug.checkOverflow = true;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.tuple(...CASES.map((c) => fc.array(c.values, { minLength: 1, maxLength: 2 }))),
            fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), signed(spread(0.001, 600))),
            logitRows,
            async (samples, [dividend, divisor], rows) => {
              // Every computation is issued before any result is awaited: the parties run them pipelined.
              const inputs: sy.AdditiveSharingTensor[] = [];
              const pending = CASES.map(({ name, f, ref, ends }, i) => {
                const xs = [...samples[i]!, ...ends];
                const shared = share(xs, parties);
                inputs.push(shared);
                return { name, xs, want: xs.map(ref), result: f(shared) as sy.AdditiveSharingTensor };
              });
              const [x, y] = [share([dividend, 100, -3], parties), share([divisor, -0.001, 600], parties)];
              inputs.push(x, y);
              pending.push({ name: 'div', xs: [divisor, -0.001, 600], want: [dividend / divisor, 100 / -0.001, -3 / 600], result: div(x, y) });
              const logits = share(tf.tensor2d([[50, 52, 51.5, 49], [-3, 0.5, 2, 1]]), parties);
              const random = share(tf.tensor2d(rows), parties);
              inputs.push(logits, random);
              const probabilities = softmax(logits);
              for (const [kind, source, values, dim] of [
                ['softmax', logits, [[50, 52, 51.5, 49], [-3, 0.5, 2, 1]], -1],
                ['softmax', random, rows, -1],
                ['logSoftmax', random, rows, 0],
              ] as const) {
                const want = plainSoftmax(kind, values, dim === 0 ? 0 : 1).flat();
                pending.push({ name: kind, xs: want, want, result: kind === 'softmax' ? softmax(source, dim) : logSoftmax(source, dim) });
              }
              const results = await Promise.all(pending.map(({ result }) => result.get()));
              const rowSums = (await probabilities.get()).sum(1).toFloat64();
              for (const t of inputs) t.dispose();
              pending.forEach(({ name, xs, want }, i) => expectWithin(name, xs, floats(results[i]!), want));
              for (const s of rowSums) expect(Math.abs(s - 1)).toBeLessThanOrEqual(0.01);
            },
          ),
          { numRuns: 2 },
        );
      } finally {
        sy.smpc.debug.checkOverflow = false;
      }
      await sy.testing.collectGarbage();
      await sy.testing.assertNoLeaks(hook);
    });
  }
});
