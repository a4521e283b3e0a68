/**
 * The accuracy of the approximations (src/smpc/approximations.ts), measured:
 * each function on a dense grid of fixed-precision inputs (16 fractional
 * bits) over its documented range, against Math in float64, with CrypTen's
 * tolerance (|a-b| <= 0.01 or |a-b|/(|a|+|b|) <= 0.05). It prints the
 * markdown tables of docs/approximations.md:
 * - per function: method, iterations, documented range, grid points, worst
 *   absolute error, worst relative error |a-b|/(|a|+|b|) among the points
 *   where |a-b| > 0.01 (where the relative bound is the one that must hold),
 *   whether every point met the tolerance, and the widest interval around the
 *   range's middle where it holds on a wider grid (where it stops);
 * - the same interval for other iteration counts.
 * It exits with status 1 when a documented range has a point outside the
 * tolerance.
 *
 * The inputs are FixedPrecisionTensors: the arithmetic the parties run on
 * shares, computed exactly with products rounded down. Shared products round
 * by the truncation protocol instead (one unit either way), so results on
 * shares differ from these by a few units of 2^-16; the test
 * (test/property/approximations.test.ts) checks the same ranges on shares.
 * It imports the sources, so it needs no build:
 *
 *   npx tsx scripts/approximations-table.ts
 */
import * as sy from '../src/index.js';
import { useBackend } from '../src/core/backend.js';
import * as A from '../src/smpc/approximations.js';

type Fp = sy.FixedPrecisionTensor;
type Fn = (x: Fp) => unknown;

const TOLERANCE = { abs: 0.01, rel: 0.05 };
const within = (got: number, want: number): boolean =>
  Math.abs(got - want) <= TOLERANCE.abs || Math.abs(got - want) / (Math.abs(got) + Math.abs(want)) <= TOLERANCE.rel;

const linear = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const geometric = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
const sorted = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
/** A range from lo to hi, dense in absolute and (for spans over decades) relative steps. */
const grid = (lo: number, hi: number, n = 20_001): number[] =>
  sorted(lo > 0 && hi / lo > 100 ? [...linear(lo, hi, n), ...geometric(lo, hi, n)] : linear(lo, hi, n));
const mirrored = (xs: number[]): number[] => sorted([...xs, ...xs.map((v) => -v)]);

/**
 * f element-wise on xs, in chunks; where a chunk throws (a local product out of
 * the representable range, which on shares would wrap silently), element by
 * element, NaN for those that throw.
 */
function evaluate(f: Fn, xs: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i += 500) {
    const chunk = xs.slice(i, i + 500);
    try {
      out.push(...run(f, chunk));
    } catch {
      for (const v of chunk) {
        try {
          out.push(run(f, [v])[0]!);
        } catch {
          out.push(NaN);
        }
      }
    }
  }
  return out;
}

function run(f: Fn, xs: readonly number[]): number[] {
  return sy.tidy(() => Array.from((f(sy.fixPrecision([...xs])) as Fp).toFloat64()));
}

interface Errors {
  readonly points: number;
  readonly worstAbs: number;
  readonly worstRel: number;
  readonly failures: number;
  readonly firstFailure?: number;
}

function errorsOf(xs: readonly number[], got: readonly number[], want: (i: number) => number): Errors {
  let worstAbs = 0;
  let worstRel = 0;
  let failures = 0;
  let firstFailure: number | undefined;
  got.forEach((g, i) => {
    const w = want(i);
    const d = Math.abs(g - w);
    worstAbs = Number.isNaN(d) ? NaN : Math.max(worstAbs, d);
    if (d > TOLERANCE.abs) worstRel = Math.max(worstRel, d / (Math.abs(g) + Math.abs(w)));
    if (!within(g, w)) {
      failures++;
      firstFailure ??= xs[i];
    }
  });
  return { points: got.length, worstAbs, worstRel, failures, ...(firstFailure === undefined ? {} : { firstFailure }) };
}

/** The interval of the wide grid around `seed` where every point meets the tolerance: from the first failures on each side. */
function holdsOn(f: Fn, ref: (v: number) => number, wide: readonly number[], seed: number): string {
  const got = evaluate(f, wide);
  const ok = wide.map((v, i) => within(got[i]!, ref(v)));
  let start = wide.findIndex((v) => v >= seed);
  if (!ok[start]) return 'nowhere near ' + String(seed);
  let lo = start;
  while (lo > 0 && ok[lo - 1]) lo--;
  let hi = start;
  while (hi < wide.length - 1 && ok[hi + 1]) hi++;
  start = lo;
  const end = (i: number, edge: boolean): string => (edge ? `${fmt(wide[i]!)} (grid end)` : fmt(wide[i]!));
  return `[${end(start, start === 0)}, ${end(hi, hi === wide.length - 1)}]`;
}

const fmt = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
};
/** A markdown table cell: a | inside (as in |x|) would end the cell. */
const cell = (text: string): string => text.replaceAll('|', '\\|');
const fmtErr = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : v.toExponential(1));

interface Row {
  readonly name: string;
  readonly method: string;
  readonly iterations: string;
  readonly range: string;
  readonly errors: Errors;
  readonly holds: string;
}

const sigmoidRef = (v: number): number => 1 / (1 + Math.exp(-v));
/** One function on its documented range, and where it holds beyond. */
function measure(
  name: string,
  method: string,
  iterations: string,
  range: string,
  f: Fn,
  ref: (v: number) => number,
  xs: number[],
  wide: { grid: number[]; seed: number },
): Row {
  const errors = errorsOf(xs, evaluate(f, xs), (i) => ref(xs[i]!));
  return { name, method, iterations, range, errors, holds: holdsOn(f, ref, wide.grid, wide.seed) };
}

/** A deterministic stream of values in [lo, hi) (xorshift), so the table is the same on every run. */
function stream(seed: number, lo: number, hi: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  };
}

/** div(x, y): y over the divisor range, x from a stream in [-100, 100]. */
function measureDiv(): Row {
  const ys = mirrored(grid(0.001, 600));
  const next = stream(7, -100, 100);
  const xs = ys.map(() => next());
  const got: number[] = [];
  for (let i = 0; i < ys.length; i += 500) {
    const [x, y] = [xs.slice(i, i + 500), ys.slice(i, i + 500)];
    got.push(...sy.tidy(() => Array.from(A.div(sy.fixPrecision(x), sy.fixPrecision(y)).toFloat64())));
  }
  const errors = errorsOf(ys, got, (i) => xs[i]! / ys[i]!);
  return { name: 'div(x, y)', method: 'x · reciprocal(y)', iterations: 'as reciprocal', range: '|y| in [0.001, 600], x in [-100, 100]', errors, holds: 'as reciprocal' };
}

/**
 * softmax / logSoftmax along the last axis: 2-entry rows [0, v] for v over
 * [-2000, 2000] (the spread inside a row), 250-entry rows of values in
 * [-20, 20] (the longest rows), and a constant 250-entry row (the largest sum).
 * For softmax the row sums too.
 */
function measureSoftmax(kind: 'softmax' | 'logSoftmax'): { row: Row; worstRowSum?: number } {
  const f = kind === 'softmax' ? A.softmax : A.logSoftmax;
  const plain = (row: readonly number[]): number[] => {
    const m = Math.max(...row);
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return row.map((v) => (kind === 'softmax' ? Math.exp(v - m - lse) : v - m - lse));
  };
  const next = stream(11, -20, 20);
  const batches: number[][][] = [
    ...chunks(linear(-2000, 2000, 8_001).map((v) => [0, v]), 500),
    ...chunks(Array.from({ length: 40 }, () => Array.from({ length: 250 }, next)), 10),
    [Array.from({ length: 250 }, () => 3.25)],
  ];
  let errors: Errors = { points: 0, worstAbs: 0, worstRel: 0, failures: 0 };
  let worstRowSum = 0;
  for (const rows of batches) {
    const width = rows[0]!.length;
    const got = sy.tidy(() => Array.from((f(sy.fixPrecision(rows.flat()).reshape([rows.length, width])) as Fp).toFloat64()));
    const want = rows.flatMap(plain);
    const e = errorsOf(rows.flat(), got, (i) => want[i]!);
    errors = {
      points: errors.points + e.points,
      worstAbs: Math.max(errors.worstAbs, e.worstAbs),
      worstRel: Math.max(errors.worstRel, e.worstRel),
      failures: errors.failures + e.failures,
    };
    if (kind === 'softmax') {
      for (let r = 0; r < rows.length; r++) worstRowSum = Math.max(worstRowSum, Math.abs(got.slice(r * width, (r + 1) * width).reduce((s, v) => s + v, 0) - 1));
    }
  }
  const method =
    kind === 'softmax' ? 'e = exp(x - max(x)); e · reciprocal(Σ e)' : '(x - max(x)) - log(Σ exp(x - max(x)))';
  const iterations = kind === 'softmax' ? 'exp 10, reciprocal 10' : 'exp 10, log 2 (order 8, its exp 8)';
  const range = 'rows of up to 250 entries, each within 2000 of its row\'s maximum';
  return { row: { name: kind, method, iterations, range, errors, holds: 'see range' }, ...(kind === 'softmax' ? { worstRowSum } : {}) };
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

async function main(): Promise<void> {
  await useBackend('wasm');
  const wideExp = { grid: sorted([...linear(-4000, -100, 20_001), ...linear(-100, 30, 26_001)]), seed: 0 };
  const widePositive = (lo: number, hi: number) => ({ grid: sorted([...geometric(lo, hi, 20_001)]), seed: 1 });
  const rows: Row[] = [
    measure('exp', '(1 + x/2^n)^(2^n)', 'n = 10 squarings', '[-2000, 12]', (x) => A.exp(x), Math.exp, grid(-2000, 12), wideExp),
    measure(
      'reciprocal',
      'Newton y ← y(2 - xy) on |x|, start 3·exp(0.5 - |x|) + 0.003, sign by a comparison',
      '10 (its exp 10)',
      '|x| in [0.001, 600]',
      (x) => A.reciprocal(x),
      (v) => 1 / v,
      mirrored(grid(0.001, 600)),
      widePositive(1e-5, 5000),
    ),
    measureDiv(),
    measure('log', '8th-order Householder, start x/120 - 20·exp(-2x - 1) + 3', '2 (order 8, exp 8)', '[1e-4, 250]', (x) => A.log(x), Math.log, grid(1e-4, 250), widePositive(1e-6, 2000)),
    measure('rsqrt', 'Newton y ← y(3 - x·y²)/2, start 2.2·exp(-(x/2 + 0.2)) + 0.2 - x/1024', '3 (exp 8)', '[0.04, 170]', (x) => A.rsqrt(x), (v) => 1 / Math.sqrt(v), grid(0.04, 170), widePositive(1e-4, 1000)),
    measure('sqrt', 'x · rsqrt(x)', '3 (exp 8)', '[0.04, 170]', (x) => A.sqrt(x), Math.sqrt, grid(0.04, 170), widePositive(1e-4, 1000)),
    measure(
      'sigmoid',
      'σ(|x|) = 1/(1 + exp(-|x|)) (Newton from 1.5 - d/2), σ(x) = σ(|x|) + b(1 - 2σ(|x|)), b = [x < 0]',
      'exp 8, reciprocal 2',
      '[-500, 500]',
      (x) => A.sigmoid(x),
      sigmoidRef,
      grid(-500, 500, 40_001),
      { grid: linear(-1000, 1000, 80_001), seed: 0 },
    ),
    measure('tanh', '2σ(2|x|) - 1, negated where x < 0', 'exp 8, reciprocal 2', '[-250, 250]', (x) => A.tanh(x), Math.tanh, grid(-250, 250, 40_001), { grid: linear(-500, 500, 80_001), seed: 0 }),
  ];
  const soft = measureSoftmax('softmax');
  const logSoft = measureSoftmax('logSoftmax');
  rows.push(soft.row, logSoft.row);

  const others: { name: string; iterations: string; holds: string }[] = [];
  for (const n of [8, 9, 11, 12]) {
    others.push({ name: 'exp', iterations: `n = ${n}`, holds: holdsOn((x) => A.exp(x, { iterations: n }), Math.exp, wideExp.grid, 0) });
  }
  for (const n of [4, 5, 6]) {
    for (const [name, f, ref] of [
      ['rsqrt', A.rsqrt, (v: number) => 1 / Math.sqrt(v)],
      ['sqrt', A.sqrt, Math.sqrt],
    ] as const) {
      others.push({ name, iterations: `${n}`, holds: holdsOn((x) => f(x, { iterations: n }), ref, widePositive(1e-4, 1000).grid, 1) });
    }
  }
  for (const e of [9, 10]) {
    others.push({ name: 'log', iterations: `2, its exp ${e}`, holds: holdsOn((x) => A.log(x, { expIterations: e }), Math.log, widePositive(1e-6, 2000).grid, 1) });
  }
  for (const e of [7, 9]) {
    others.push({ name: 'sigmoid', iterations: `exp ${e}, reciprocal 2`, holds: holdsOn((x) => A.sigmoid(x, { expIterations: e }), sigmoidRef, linear(-2000, 2000, 80_001), 0) });
  }

  console.log('| function | method | iterations | range (meets CrypTen\'s tolerance) | grid points | worst abs error | worst rel error where abs > 0.01 | all within tolerance | holds on (wider grid) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const e = r.errors;
    const ok = e.failures === 0 ? 'yes' : `no: ${e.failures} points, first ${fmt(e.firstFailure ?? NaN)}`;
    const cells = [r.name, r.method, r.iterations, r.range, String(e.points), fmtErr(e.worstAbs), e.worstRel === 0 ? '-' : fmtErr(e.worstRel), ok, r.holds];
    console.log(`| ${cells.map(cell).join(' | ')} |`);
  }
  console.log(`\nsoftmax: worst |row sum - 1| = ${fmtErr(soft.worstRowSum ?? NaN)}.`);
  console.log('\n| function | iterations | holds on (wider grid) |');
  console.log('|---|---|---|');
  for (const o of others) console.log(`| ${o.name} | ${o.iterations} | ${o.holds} |`);
  if (rows.some((r) => r.errors.failures > 0)) process.exitCode = 1;
}

await main();
