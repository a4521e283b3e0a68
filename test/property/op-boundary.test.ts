/**
 * The op boundary, tested where a worker runs it (executeOp) on the wasm
 * backend: random and mutated attributes (negative, fractional, NaN, huge,
 * wrong-rank, wrong-type) and out-of-range index tensors, for every op with a
 * size, index or axis attribute. Each call either gives tfjs's own result (the
 * cpu backend, tfjs's reference kernels, on the same arguments) or is refused
 * with INVALID_ARGUMENT naming the op — never a raw tfjs or wasm error, never a
 * value read from freed memory (a distinctive value is freed before every call),
 * and afterwards a fixed computation on the same wasm heap is still right.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../../src/core/backend.js';
import { isSyftError } from '../../src/core/errors.js';
import { type CheckEnv, checkOpArguments, MAX_OP_OUTPUT_ELEMENTS, MAX_OP_RANK, type TensorView } from '../../src/core/op-checks.js';
import { OPS, opNames, type OpName } from '../../src/core/op-registry.js';
import { executeOp } from '../../src/host/op-execute.js';
import * as sy from '../../src/tensor/syft-tensor.js';
import { thrown } from '../support/runtime.js';

type DType = 'float32' | 'int32' | 'bool';
interface TSpec {
  readonly shape: number[];
  readonly dtype: DType;
  readonly values: number[];
}
interface Case {
  readonly inputs: TSpec[];
  /** The inputs are one list argument (concat, stack). */
  readonly list?: boolean;
  readonly attrs: unknown[];
}
interface Result {
  readonly shape: number[];
  readonly dtype: string;
  readonly values: number[];
}

/** Freed before every call: no result may ever contain it (it cannot arise from the inputs). */
const SECRET = 123456.78125;
const SECRET_BITS = new Int32Array(new Float32Array([SECRET]).buffer)[0]!;

beforeAll(async () => {
  await useBackend('wasm');
});

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------
// Arbitraries

const dim = fc.integer({ min: 1, max: 4 });
/** Mostly non-empty shapes; now and then a zero dim (ops must refuse empty tensors). */
const shapeArb = (minRank: number, maxRank: number) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.array(dim, { minLength: minRank, maxLength: maxRank }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: Math.max(1, minRank), maxLength: Math.max(1, maxRank) }) },
  );

/** Distinct values (no ties for topk/argMax), never the secret. */
const floats = (shape: number[]): fc.Arbitrary<TSpec> =>
  fc.integer({ min: 0, max: 1008 }).map((seed) => ({
    shape,
    dtype: 'float32',
    values: Array.from({ length: sizeOf(shape) }, (_, i) => (((i * 7919 + seed) % 1009) - 504) / 8),
  }));
const ints = (shape: number[], min: number, max: number): fc.Arbitrary<TSpec> =>
  fc.array(fc.integer({ min, max }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((values) => ({ shape, dtype: 'int32', values }));
const bools = (shape: number[]): fc.Arbitrary<TSpec> =>
  fc.array(fc.boolean(), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((v) => ({ shape, dtype: 'bool', values: v.map(Number) }));
const floatX = (minRank = 0, maxRank = 4) => shapeArb(minRank, maxRank).chain(floats);
/** Values near 1, so that long products neither overflow nor hit 0 * Infinity (whose order the backends differ in). */
const nearOne = (minRank = 0, maxRank = 4) =>
  shapeArb(minRank, maxRank).chain((s) => floats(s).map((t) => ({ ...t, values: t.values.map((v) => 1 + v / 128) })));

const smallInt = (min = -5, max = 5) => fc.integer({ min, max });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
const axisArb = fc.option(smallInt(-5, 5), { nil: undefined, freq: 5 });
const axesArb = fc.oneof(fc.constant(undefined), fc.constant(null), smallInt(-5, 5), fc.array(smallInt(-5, 5), { maxLength: 4 }));

/** Junk an attacker (or a typo) might send in place of any attribute value. */
const junk = fc.oneof(
  fc.constantFrom<unknown>(
    -1, -2, -2000, 0, 0.5, 1.5, -0.5, 2.5, NaN, Infinity, -Infinity, 1e12, 2 ** 31, 2 ** 31 - 1, 2 ** 32 + 1, 2 ** 53, -(2 ** 31), 1e300, -1e12,
    'abc', '', 'same', 'valid', 'NCHW', 'float32', null, true, false, {}, { length: 2 }, [], [[]], [[1]], [1, [2]], [NaN], [-1, -1], [1e12, 1e12],
  ),
  smallInt(-10, 10),
  fc.double(),
  fc.array(smallInt(-3, 6), { maxLength: 7 }),
);

/** Replace one value somewhere inside `v` (the value itself, an element, or change a list's length). */
function mutate(v: unknown, depthLeft = 2): fc.Arbitrary<unknown> {
  if (Array.isArray(v) && v.length > 0 && depthLeft > 0) {
    return fc.oneof(
      junk,
      fc.nat({ max: v.length - 1 }).chain((i) => mutate(v[i], depthLeft - 1).map((m) => v.map((x, k) => (k === i ? m : x)))),
      fc.constant(v.slice(1)),
      fc.constant([...v, v[v.length - 1]]),
    );
  }
  return junk;
}

/** A case with (sometimes) one attribute replaced by junk, or an index tensor filled with out-of-range values. */
function mutated(base: fc.Arbitrary<Case>): fc.Arbitrary<Case> {
  return fc.oneof(
    { weight: 2, arbitrary: base },
    {
      weight: 3,
      arbitrary: base.chain((c) =>
        c.attrs.length === 0
          ? fc.constant(c)
          : fc.nat({ max: c.attrs.length - 1 }).chain((i) => mutate(c.attrs[i]).map((m) => ({ ...c, attrs: c.attrs.map((a, k) => (k === i ? m : a)) }))),
      ),
    },
    {
      weight: 1,
      arbitrary: base.chain((c) => {
        const at = c.inputs.findIndex((t) => t.dtype === 'int32');
        if (at === -1) return fc.constant(c);
        const t = c.inputs[at]!;
        return fc
          .array(fc.oneof(smallInt(-3, 8), fc.constantFrom(2000, -2000, 2 ** 31 - 1, -(2 ** 31))), { minLength: t.values.length, maxLength: t.values.length })
          .map((values) => ({ ...c, inputs: c.inputs.map((u, k) => (k === at ? { ...u, values } : u)) }));
      }),
    },
  );
}

const one = (x: fc.Arbitrary<TSpec>, attrs: (t: TSpec) => fc.Arbitrary<unknown[]>): fc.Arbitrary<Case> =>
  x.chain((t) => attrs(t).map((a) => ({ inputs: [t], attrs: a })));

const reduceCase = (x: fc.Arbitrary<TSpec>) => one(x, () => fc.tuple(axesArb, maybe(fc.boolean())));
const pairs = (rank: number, min: number, max: number) => fc.array(fc.tuple(smallInt(min, max), smallInt(min, max)), { minLength: rank, maxLength: rank });
const intPair = (min: number, max: number) => fc.oneof(smallInt(min, max), fc.tuple(smallInt(min, max), smallInt(min, max)));
const explicitPad = fc.tuple(smallInt(0, 2), smallInt(0, 2), smallInt(0, 2), smallInt(0, 2)).map(([t, b, l, r]) => [[0, 0], [t, b], [l, r], [0, 0]]);
const padArb = fc.oneof(fc.constantFrom<unknown>('same', 'valid', 0, 1, 2), explicitPad);
const roundingArb = fc.constantFrom(undefined, undefined, 'floor', 'round', 'ceil');
const image = (minHW: number, maxHW: number) =>
  fc.tuple(smallInt(1, 2), smallInt(minHW, maxHW), smallInt(minHW, maxHW), smallInt(1, 2)).chain((s) => floats(s));

/** Shape (and a list of them) for reshape: a factorization of the size, with a -1 now and then. */
function reshapeTarget(t: TSpec): fc.Arbitrary<unknown[]> {
  const valid = fc.shuffledSubarray(t.shape, { minLength: t.shape.length, maxLength: t.shape.length }).chain((dims) =>
    fc.oneof(fc.constant(dims), fc.nat({ max: Math.max(0, dims.length - 1) }).map((i) => dims.map((d, k) => (k === i ? -1 : d)))),
  );
  return fc.oneof(valid, fc.constant([sizeOf(t.shape)]), fc.array(smallInt(-2, 6), { maxLength: 4 })).map((s) => [s]);
}

function broadcastTarget(t: TSpec): fc.Arbitrary<unknown[]> {
  return fc
    .tuple(fc.array(smallInt(1, 3), { maxLength: 2 }), fc.array(smallInt(1, 3), { minLength: t.shape.length, maxLength: t.shape.length }))
    .map(([lead, grow]) => [[...lead, ...t.shape.map((d, i) => (d === 1 ? grow[i]! : d))]]);
}

/** The ops with a size, index or axis attribute, and cases for each. */
const CASES: Partial<Record<OpName, fc.Arbitrary<Case>>> = {
  softmax: one(floatX(0, 3), () => fc.tuple(axisArb)),
  logSoftmax: one(floatX(0, 3), () => fc.tuple(axisArb)),
  sum: reduceCase(floatX()),
  mean: reduceCase(floatX()),
  max: reduceCase(floatX()),
  min: reduceCase(floatX()),
  prod: reduceCase(nearOne()),
  logSumExp: reduceCase(floatX()),
  all: reduceCase(shapeArb(0, 4).chain(bools)),
  any: reduceCase(shapeArb(0, 4).chain(bools)),
  argMax: one(floatX(), () => fc.tuple(axisArb)),
  argMin: one(floatX(), () => fc.tuple(axisArb)),
  norm: one(floatX(0, 3), () =>
    fc.tuple(
      fc.constantFrom<unknown>(undefined, 'euclidean', 'fro', 1, 2, Infinity, -Infinity, 3),
      fc.oneof(fc.constant(undefined), smallInt(-3, 3), fc.tuple(smallInt(-3, 3), smallInt(-3, 3))),
      maybe(fc.boolean()),
    ),
  ),
  cumsum: one(floatX(), () => fc.tuple(axisArb, maybe(fc.boolean()), maybe(fc.boolean()))),
  cumprod: one(nearOne(), () => fc.tuple(axisArb, maybe(fc.boolean()), maybe(fc.boolean()))),
  moments: reduceCase(floatX()),
  topk: one(floatX(1, 3), (t) => fc.tuple(maybe(smallInt(-1, t.shape[t.shape.length - 1]! + 1)), maybe(fc.boolean()))),
  cast: one(shapeArb(0, 3).chain((s) => fc.oneof(floats(s), ints(s, -3, 300), bools(s))), () =>
    fc.tuple(fc.constantFrom<unknown>('float32', 'int32', 'bool', 'string', 'complex64')),
  ),
  reshape: one(floatX(), reshapeTarget),
  transpose: one(floatX(), (t) =>
    fc.oneof(
      fc.constant<unknown[]>([]),
      fc.shuffledSubarray([...t.shape.keys()], { minLength: t.shape.length, maxLength: t.shape.length }).map((p) => [p]),
      fc.array(smallInt(-1, 4), { minLength: t.shape.length, maxLength: t.shape.length }).map((p) => [p]),
    ),
  ),
  expandDims: one(floatX(), () => fc.tuple(maybe(smallInt(-6, 6)))),
  squeeze: one(
    fc.array(fc.constantFrom(1, 1, 2, 3), { maxLength: 4 }).chain(floats),
    () => fc.tuple(fc.oneof(fc.constant(undefined), smallInt(-4, 4), fc.array(smallInt(-4, 4), { maxLength: 3 }))),
  ),
  slice: one(floatX(1, 4), (t) =>
    fc.tuple(
      fc.oneof(smallInt(-2, 4), fc.array(smallInt(-2, 5), { maxLength: t.shape.length + 1 })),
      fc.oneof(fc.constant(undefined), smallInt(-2, 4), fc.array(smallInt(-2, 5), { maxLength: t.shape.length + 1 })),
    ),
  ),
  stridedSlice: one(floatX(1, 4), (t) =>
    fc.integer({ min: 1, max: t.shape.length + 1 }).chain((n) =>
      fc.tuple(
        fc.array(smallInt(-6, 6), { minLength: n, maxLength: n }),
        fc.array(smallInt(-6, 6), { minLength: n, maxLength: n }),
        fc.oneof(fc.constant(undefined), fc.array(fc.constantFrom(1, 1, 1, 2, 3, -1, -2, 0), { minLength: n, maxLength: n })),
        maybe(smallInt(0, 2 ** n - 1)),
        maybe(smallInt(0, 2 ** n - 1)),
        fc.constantFrom(undefined, 0, 0, 1),
        fc.constantFrom(undefined, 0, 0, 1),
        fc.oneof(fc.constant(undefined), fc.constant(0), smallInt(0, 2 ** n - 1)),
      ),
    ),
  ),
  tile: one(floatX(0, 4), (t) => fc.tuple(fc.array(smallInt(-1, 3), { minLength: t.shape.length, maxLength: t.shape.length }))),
  pad: one(floatX(0, 4), (t) => fc.tuple(pairs(t.shape.length, -1, 3), maybe(fc.constantFrom(0, 7.5, -1)))),
  mirrorPad: one(floatX(0, 4), (t) => fc.tuple(pairs(t.shape.length, -1, 4), fc.constantFrom<unknown>('reflect', 'symmetric', 'junk'))),
  reverse: one(floatX(), () => fc.tuple(axesArb)),
  broadcastTo: one(fc.array(fc.constantFrom(1, 1, 2, 3), { maxLength: 3 }).chain(floats), broadcastTarget),
  gather: floatX(1, 3).chain((x) =>
    fc
      .tuple(shapeArb(0, 2), axisArb, fc.constantFrom<unknown>(undefined, undefined, undefined, 0, 1, -1))
      .chain(([is, a, b]) => ints(is, 0, Math.max(0, Math.min(...x.shape) - 1)).map((idx) => ({ inputs: [x, idx], attrs: [a, b] }))),
  ),
  gatherND: floatX(1, 3).chain((x) =>
    fc
      .tuple(smallInt(1, 3), smallInt(1, x.shape.length + 1))
      .chain(([n, k]) => ints([n, k], -1, Math.max(...x.shape)).map((idx) => ({ inputs: [x, idx], attrs: [] }))),
  ),
  unsortedSegmentSum: floatX(1, 2).chain((x) =>
    fc
      .tuple(smallInt(1, 4), fc.constantFrom(x.shape[0]!, x.shape[0]! + 1))
      .chain(([n, len]) => ints([len], -1, n).map((ids) => ({ inputs: [x, ids], attrs: [n] }))),
  ),
  oneHot: shapeArb(0, 2).chain((s) =>
    ints(s, -2, 6).chain((idx) =>
      fc
        .tuple(smallInt(-1, 6), maybe(fc.constantFrom(1, 5, -2)), maybe(fc.constantFrom(0, 3)), fc.constantFrom<unknown>(undefined, 'int32', 'float32', 'bool'))
        .map((attrs) => ({ inputs: [idx], attrs })),
    ),
  ),
  depthToSpace: fc
    .tuple(smallInt(1, 2), smallInt(1, 3), smallInt(1, 3), fc.constantFrom(1, 4, 8, 9))
    .chain((s) => floats(s))
    .chain((x) => fc.tuple(smallInt(-1, 4), fc.constantFrom<unknown>(undefined, 'NHWC', 'NCHW')).map((attrs) => ({ inputs: [x], attrs }))),
  concat: fc.tuple(floatX(1, 3), smallInt(-4, 4), fc.array(dim, { minLength: 1, maxLength: 3 })).chain(([x, a, extents]) => {
    const at = ((a % x.shape.length) + x.shape.length) % x.shape.length;
    return fc
      .tuple(...extents.map((e) => floats(x.shape.map((d, i) => (i === at ? e : d)))))
      .map((ts) => ({ inputs: [x, ...ts], list: true, attrs: [a] }));
  }),
  stack: fc.tuple(floatX(0, 3), smallInt(1, 3)).chain(([x, n]) =>
    fc.tuple(fc.array(floats(x.shape), { minLength: n, maxLength: n }), maybe(smallInt(-5, 5))).map(([ts, a]) => ({ inputs: [x, ...ts], list: true, attrs: [a] })),
  ),
  split: one(floatX(1, 3), () => fc.tuple(fc.oneof(smallInt(-1, 6), fc.array(smallInt(-1, 4), { minLength: 1, maxLength: 4 })), axisArb)),
  unstack: one(floatX(1, 3), () => fc.tuple(axisArb)),
  conv1d: fc
    .tuple(fc.tuple(smallInt(1, 2), smallInt(3, 7), smallInt(1, 2)).chain((s) => floats(s)), smallInt(1, 4), fc.boolean(), smallInt(1, 2))
    .chain(([x, fw, match, outC]) =>
      floats([fw, match ? x.shape[2]! : x.shape[2]! + 1, outC]).chain((f) =>
        fc
          .tuple(smallInt(0, 3), fc.constantFrom<unknown>('same', 'valid', 'same', 'valid', 0, 1), fc.constantFrom<unknown>(undefined, undefined, 'NWC', 'NCW'), maybe(smallInt(0, 3)), fc.constantFrom(undefined, undefined, undefined, 'floor'))
          .map((attrs) => ({ inputs: [x, f], attrs })),
      ),
    ),
  conv2d: fc.tuple(image(3, 7), smallInt(1, 4), smallInt(1, 4), smallInt(1, 2)).chain(([x, fh, fw, outC]) =>
    floats([fh, fw, x.shape[3]!, outC]).chain((f) =>
      fc
        .tuple(intPair(0, 3), padArb, fc.constantFrom<unknown>(undefined, 'NHWC', 'NCHW'), maybe(intPair(0, 3)), roundingArb)
        .map((attrs) => ({ inputs: [x, f], attrs })),
    ),
  ),
  depthwiseConv2d: fc.tuple(image(3, 7), smallInt(1, 4), smallInt(1, 4), smallInt(1, 2)).chain(([x, fh, fw, mult]) =>
    floats([fh, fw, x.shape[3]!, mult]).chain((f) =>
      fc
        .tuple(intPair(0, 3), padArb, fc.constantFrom<unknown>(undefined, 'NHWC', 'NCHW'), maybe(intPair(0, 3)), roundingArb)
        .map((attrs) => ({ inputs: [x, f], attrs })),
    ),
  ),
  maxPool: one(image(2, 7), () => fc.tuple(intPair(0, 5), intPair(0, 3), padArb, roundingArb)),
  avgPool: one(image(2, 7), () => fc.tuple(intPair(0, 5), intPair(0, 3), padArb, roundingArb)),
  localResponseNormalization: one(
    fc.tuple(smallInt(1, 2), smallInt(1, 3), smallInt(1, 3), smallInt(1, 5)).chain((s) => floats(s)),
    () => fc.tuple(maybe(smallInt(-2, 6)), maybe(fc.constantFrom(1, 2)), maybe(fc.constantFrom(1, 0.5)), maybe(fc.constantFrom(0.5, 0.75))),
  ),
  dropout: one(floatX(1, 3), (t) =>
    fc.tuple(
      fc.constantFrom(0, 0.25, 0.5, 0.9, 1, -0.5, 1.5),
      fc.oneof(fc.constant(undefined), fc.array(fc.boolean(), { minLength: t.shape.length, maxLength: t.shape.length }).map((keep) => t.shape.map((d, i) => (keep[i] ? d : 1)))),
      smallInt(1, 1000),
    ),
  ),
};

// ---------------------------------------------------------------------------
// Running a case on wasm (executeOp) and on cpu (tfjs's reference kernels)

function makeTensor(t: TSpec): tf.Tensor {
  return tf.tensor(t.dtype === 'bool' ? t.values.map(Boolean) : t.values, t.shape, t.dtype);
}

/** Fresh arguments for each run: tfjs rewrites some attribute arrays in place (split fills in its -1). */
function argsOf(c: Case): { args: unknown[]; tensors: tf.Tensor[] } {
  const tensors = c.inputs.map(makeTensor);
  const attrs = structuredClone(c.attrs);
  return { args: c.list ? [tensors, ...attrs] : [...tensors, ...attrs], tensors };
}

function read(outputs: tf.Tensor[]): Result[] {
  return outputs.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
}

function flatten(result: unknown): tf.Tensor[] {
  if (result instanceof tf.Tensor) return [result];
  if (Array.isArray(result)) return result as tf.Tensor[];
  return Object.values(result as Record<string, tf.Tensor>);
}

/** Leaves freed wasm memory full of SECRET, so a kernel that returns memory it did not write shows it. */
function plantSecret(): void {
  const s = tf.fill([4096], SECRET);
  s.dataSync();
  s.dispose();
}

/** A fixed computation on the current (wasm) heap; wrong or throwing means the heap is poisoned. */
function assertHeapSane(context: string): void {
  const out = tf.tidy(() => {
    const m = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
    const t = tf.tile(tf.tensor1d([1, 2]), [3]);
    const s = tf.slice(tf.range(0, 100), [10], [5]);
    const p = tf.pad(tf.tensor1d([1]), [[1, 2]], 9);
    return [m, t, s, p].map((x) => Array.from(x.dataSync()));
  });
  expect(out, `heap after ${context}`).toEqual([[19, 22, 43, 50], [1, 2, 1, 2, 1, 2], [10, 11, 12, 13, 14], [9, 1, 9, 9]]);
}

type Outcome = { ok: true; results: Result[] } | { ok: false; error: unknown };

function runOnWasm(op: OpName, c: Case): Outcome {
  plantSecret();
  const { args, tensors } = argsOf(c);
  try {
    const outputs = executeOp(op, args);
    const results = read(outputs);
    tf.dispose(outputs);
    return { ok: true, results };
  } catch (error) {
    return { ok: false, error };
  } finally {
    tf.dispose(tensors);
  }
}

async function runOnCpu(op: OpName, c: Case): Promise<Outcome> {
  await tf.setBackend('cpu');
  const { args, tensors } = argsOf(c);
  try {
    const out = flatten((tf as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(...args));
    const results = read(out);
    tf.dispose(out);
    return { ok: true, results };
  } catch (error) {
    return { ok: false, error };
  } finally {
    tf.dispose(tensors);
    await tf.setBackend('wasm');
  }
}

const close = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a), Math.abs(b));

const show = (c: Case) => JSON.stringify({ inputs: c.inputs.map((t) => [t.shape, t.dtype, t.values.slice(0, 8)]), attrs: c.attrs }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/** The property every case must satisfy. */
async function checkCase(op: OpName, c: Case): Promise<'refused' | 'ran'> {
  const context = `${op} ${show(c)}`;
  const wasm = runOnWasm(op, c);
  if (!wasm.ok) {
    const e = wasm.error;
    // Never a raw tfjs/wasm error ("memory access out of bounds", "Aborted()", tfjs's asserts): only the check's own refusal.
    if (!isSyftError(e)) throw new Error(`${context}: raw error ${String((e as Error)?.stack ?? e)}`);
    expect(e.code, context).toBe('INVALID_ARGUMENT');
    expect(e.message.startsWith(`${op}: `), `${context}: ${e.message}`).toBe(true);
    assertHeapSane(context);
    return 'refused';
  }
  for (const r of wasm.results) {
    const leaked = r.dtype === 'float32' ? r.values.includes(SECRET) : r.dtype === 'int32' ? r.values.includes(SECRET_BITS) : false;
    expect(leaked, `${context}: a result holds freed memory`).toBe(false);
    expect(r.shape.length, context).toBeLessThanOrEqual(MAX_OP_RANK);
  }
  const cpu = await runOnCpu(op, c);
  if (!cpu.ok) throw new Error(`${context}: the checks let through what tfjs refuses: ${String((cpu.error as Error)?.message ?? cpu.error)}`);
  expect(wasm.results.length, context).toBe(cpu.results.length);
  wasm.results.forEach((w, i) => {
    const ref = cpu.results[i]!;
    expect([w.shape, w.dtype], context).toEqual([ref.shape, ref.dtype]);
    const bad = w.values.findIndex((v, k) => !close(v, ref.values[k]!));
    if (bad !== -1) expect(`${w.values[bad]} at ${bad}`, context).toBe(`${ref.values[bad]} at ${bad}`);
  });
  assertHeapSane(context);
  return 'ran';
}

// ---------------------------------------------------------------------------

/** OP_BOUNDARY_RUNS=20000 for a soak (about 0.5 ms a run). */
const RUNS = Number(process.env['OP_BOUNDARY_RUNS'] ?? 150);

describe('every op with a size, index or axis attribute, on random and mutated arguments', () => {
  const ops = Object.keys(CASES) as OpName[];

  test('the cases cover every op with such attributes', () => {
    const plain = ['flag', 'number', 'seed', 'clip-range', 'same-dtype', 'broadcast', 'channel-params', 'kernel', 'rank', 'int-divisor', 'matmul', 'same-shapes'];
    const withShapeAttrs = opNames().filter((op) => OPS[op].attrs.length > 0 && OPS[op].checks.checks.some((c) => !plain.includes(c.kind)));
    expect(withShapeAttrs.filter((op) => !ops.includes(op))).toEqual([]);
  });

  test.each(ops)('%s: tfjs\'s result or INVALID_ARGUMENT, never freed memory or a poisoned heap', async (op) => {
    const counts = { refused: 0, ran: 0 };
    await fc.assert(
      fc.asyncProperty(mutated(CASES[op]!), async (c) => {
        counts[await checkCase(op, c)]++;
      }),
      { numRuns: RUNS },
    );
    // The cases reach both sides of the boundary (unsortedSegmentSum has no wasm kernel: always refused here).
    expect(counts.refused, `${op} refusals`).toBeGreaterThan(0);
    if (op !== 'unsortedSegmentSum') expect(counts.ran, `${op} results`).toBeGreaterThan(0);
  }, Math.max(60_000, RUNS * 5));
});

/**
 * Every registry op with typical attributes, on every combination of input
 * dtypes: the wasm kernels read a bool (1 byte) as a 4-byte number in most
 * element-wise ops, and compute int32 wrongly in some float ones, so the
 * entry's dtypes must admit only what runs right.
 */
interface Typical {
  readonly shapes: number[][];
  readonly attrs: unknown[];
  readonly list?: boolean;
  /** Values for int32 inputs by position (indices); others get 1, 2, 3, ... */
  readonly ints?: Record<number, number[]>;
}
const S = [2, 3];
const unaryOps = [
  'abs', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'ceil', 'clone', 'cos', 'cosh', 'elu', 'erf', 'exp', 'expm1', 'floor', 'log', 'log1p',
  'logSigmoid', 'neg', 'reciprocal', 'relu', 'relu6', 'round', 'rsqrt', 'selu', 'sigmoid', 'sign', 'sin', 'sinh', 'softplus', 'sqrt', 'square', 'tan',
  'tanh', 'softmax', 'logSoftmax', 'onesLike', 'zerosLike', 'isFinite', 'isInf', 'isNaN', 'logicalNot',
] as const;
const binaryOps = [
  'add', 'sub', 'mul', 'div', 'divNoNan', 'floorDiv', 'mod', 'pow', 'maximum', 'minimum', 'squaredDifference', 'atan2', 'prelu', 'equal', 'notEqual',
  'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr', 'logicalXor',
] as const;
const TYPICAL: Record<OpName, Typical> = {
  ...(Object.fromEntries(unaryOps.map((op) => [op, { shapes: [S], attrs: [] }])) as unknown as Record<(typeof unaryOps)[number], Typical>),
  ...(Object.fromEntries(binaryOps.map((op) => [op, { shapes: [S, [3]], attrs: [] }])) as unknown as Record<(typeof binaryOps)[number], Typical>),
  step: { shapes: [S], attrs: [0.5] },
  leakyRelu: { shapes: [S], attrs: [0.2] },
  clipByValue: { shapes: [S], attrs: [-1, 2] },
  cast: { shapes: [S], attrs: ['int32'] },
  where: { shapes: [S, S, S], attrs: [] },
  matMul: { shapes: [S, [3, 2]], attrs: [] },
  dot: { shapes: [S, [3]], attrs: [] },
  outerProduct: { shapes: [[2], [3]], attrs: [] },
  sum: { shapes: [S], attrs: [1] },
  mean: { shapes: [S], attrs: [1] },
  max: { shapes: [S], attrs: [1] },
  min: { shapes: [S], attrs: [1] },
  prod: { shapes: [S], attrs: [1] },
  logSumExp: { shapes: [S], attrs: [1] },
  all: { shapes: [S], attrs: [1] },
  any: { shapes: [S], attrs: [1] },
  argMax: { shapes: [S], attrs: [1] },
  argMin: { shapes: [S], attrs: [1] },
  norm: { shapes: [S], attrs: [] },
  cumsum: { shapes: [S], attrs: [1] },
  cumprod: { shapes: [S], attrs: [1] },
  moments: { shapes: [S], attrs: [[0]] },
  topk: { shapes: [S], attrs: [2] },
  reshape: { shapes: [S], attrs: [[3, 2]] },
  transpose: { shapes: [S], attrs: [] },
  expandDims: { shapes: [S], attrs: [1] },
  squeeze: { shapes: [[1, 3]], attrs: [] },
  slice: { shapes: [S], attrs: [[1, 0], [1, 2]] },
  stridedSlice: { shapes: [S], attrs: [[0, 0], [2, 3], [1, 2]] },
  tile: { shapes: [S], attrs: [[2, 1]] },
  pad: { shapes: [S], attrs: [[[1, 0], [0, 1]], 0] },
  mirrorPad: { shapes: [S], attrs: [[[1, 0], [0, 1]], 'reflect'] },
  reverse: { shapes: [S], attrs: [1] },
  broadcastTo: { shapes: [[1, 3]], attrs: [[2, 3]] },
  gather: { shapes: [S, [2]], attrs: [0], ints: { 1: [1, 0] } },
  gatherND: { shapes: [S, [2, 2]], attrs: [], ints: { 1: [1, 2, 0, 1] } },
  unsortedSegmentSum: { shapes: [S, [2]], attrs: [2], ints: { 1: [1, 0] } },
  oneHot: { shapes: [[3]], attrs: [3], ints: { 0: [0, 2, 1] } },
  depthToSpace: { shapes: [[1, 1, 1, 4]], attrs: [2] },
  concat: { shapes: [S, S], attrs: [0], list: true },
  stack: { shapes: [S, S], attrs: [0], list: true },
  addN: { shapes: [S, S], attrs: [], list: true },
  split: { shapes: [S], attrs: [3, 1] },
  unstack: { shapes: [S], attrs: [1] },
  conv1d: { shapes: [[1, 5, 2], [2, 2, 1]], attrs: [1, 'valid'] },
  conv2d: { shapes: [[1, 4, 4, 2], [2, 2, 2, 1]], attrs: [1, 'valid'] },
  depthwiseConv2d: { shapes: [[1, 4, 4, 2], [2, 2, 2, 1]], attrs: [1, 'valid'] },
  maxPool: { shapes: [[1, 4, 4, 2]], attrs: [2, 1, 'valid'] },
  avgPool: { shapes: [[1, 4, 4, 2]], attrs: [2, 1, 'valid'] },
  batchNorm: { shapes: [S, [3], [3], [3], [3]], attrs: [0.001] },
  localResponseNormalization: { shapes: [[1, 2, 2, 3]], attrs: [2] },
  dropout: { shapes: [S], attrs: [0.5, undefined, 7] },
};

function dtypeCombos(n: number, list: boolean): DType[][] {
  const all: DType[] = ['float32', 'int32', 'bool'];
  if (list) return [...all.map((d) => new Array<DType>(n).fill(d)), ['float32', 'int32']];
  return Array.from({ length: 3 ** n }, (_, k) => Array.from({ length: n }, (_, i) => all[Math.floor(k / 3 ** i) % 3]!));
}

describe('every op on every combination of input dtypes', () => {
  test.each(opNames())('%s: tfjs\'s result or INVALID_ARGUMENT', async (op) => {
    const typical = TYPICAL[op];
    for (const dtypes of dtypeCombos(typical.shapes.length, typical.list === true)) {
      const inputs = typical.shapes.map((shape, i): TSpec => {
        const n = sizeOf(shape);
        const dtype = dtypes[i]!;
        if (dtype === 'bool') return { shape, dtype, values: Array.from({ length: n }, (_, k) => (k * 7 + i) % 3 === 0 ? 0 : 1) };
        if (dtype === 'int32') return { shape, dtype, values: typical.ints?.[i] ?? Array.from({ length: n }, (_, k) => 1 + ((k * 5 + i) % 4)) };
        return { shape, dtype, values: Array.from({ length: n }, (_, k) => ((k * 37 + i * 11) % 17) / 8 - 0.9) };
      });
      await checkCase(op, { inputs, list: typical.list, attrs: typical.attrs });
    }
  });

  test('a bool operand beside a number is cast as tfjs does; two bool operands are refused', async () => {
    const b = { shape: [3], dtype: 'bool' as const, values: [1, 0, 1] };
    const f = { shape: [3], dtype: 'float32' as const, values: [0.5, 2, -1] };
    expect(await checkCase('mul', { inputs: [f, b], attrs: [] })).toBe('ran');
    expect(await checkCase('add', { inputs: [b, f], attrs: [] })).toBe('ran');
    expect(await checkCase('sum', { inputs: [b], attrs: [] })).toBe('ran');
    expect(await checkCase('add', { inputs: [b, b], attrs: [] })).toBe('refused');
  });
});

describe('the probe\'s regressions and the kernels that misbehave on wasm', () => {
  const t = (v: number[], s?: number[], d: DType = 'float32') => ({ shape: s ?? [v.length], dtype: d, values: v });
  const x5 = t([1, 2, 3, 4, 5]);
  const m = t([1, 2, 3, 4, 5, 6], [2, 3]);
  const REFUSED: [OpName, Case, RegExp][] = [
    ['slice', { inputs: [x5], attrs: [[-2000], [2000]] }, /begin\[0\] = -2000 is negative; begin and size must lie inside the input's shape \[5\]/],
    ['slice', { inputs: [x5], attrs: [[3], [4]] }, /size\[0\] = 4 runs past the end/],
    ['slice', { inputs: [m], attrs: [[0, 0, 0], [1, 1, 1]] }, /begin has 3 entries/],
    ['tile', { inputs: [x5], attrs: [[-1]] }, /reps\[0\] = -1 is not a positive integer/],
    ['tile', { inputs: [x5], attrs: [[2e11]] }, /over the limit of 134217728/],
    ['broadcastTo', { inputs: [x5], attrs: [[2e11, 5]] }, /1000000000000 elements/],
    ['pad', { inputs: [x5], attrs: [[[0, 1e12]]] }, /over the limit/],
    ['pad', { inputs: [x5], attrs: [[[-3, -3]]] }, /paddings\[0\]\[0\] = -3 is negative/],
    ['pad', { inputs: [x5], attrs: [[[NaN, 0]]] }, /is not an integer/],
    ['reshape', { inputs: [m], attrs: [[2.5, 1.6]] }, /shape\[0\] = 2.5 is not a positive integer/],
    ['reshape', { inputs: [x5], attrs: [[2.5, 2]] }, /shape\[0\] = 2.5/],
    ['oneHot', { inputs: [t([0, 1], [2], 'int32')], attrs: [1e12] }, /depth = 1000000000000 is outside/],
    ['oneHot', { inputs: [t([0, 1], [2], 'int32')], attrs: [3, 1, 0, 'bool'] }, /dtype = the string "bool"/],
    ['cast', { inputs: [x5], attrs: ['string'] }, /dtype = the string "string" is not a dtype/],
    ['cast', { inputs: [x5], attrs: ['bool'] }, /notEqual/],
    ['transpose', { inputs: [t([1, 2, 3, 4, 5, 6], [1, 2, 3])], attrs: [[0, 1, 1]] }, /repeats axis 1/],
    ['cumsum', { inputs: [m], attrs: [-1] }, /axis = -1 is outside \[0, 1\]/],
    ['gatherND', { inputs: [m, t([5, 5], [1, 2], 'int32')], attrs: [] }, /entry 0 = 5 is outside \[0, 2\)/],
    ['gather', { inputs: [m, t([0, 1], [2, 1], 'int32')], attrs: [1, 1] }, /batchDims = 1 is not supported/],
    ['abs', { inputs: [t([1, 0], [2], 'bool')], attrs: [] }, /input x has dtype bool/],
    ['reverse', { inputs: [t([1, 0], [2], 'bool')], attrs: [] }, /dtype bool/],
    ['prelu', { inputs: [m, t([1, 2, 3, 4, 5])], attrs: [] }, /trailing dimensions/],
    ['conv2d', { inputs: [t(new Array(25).fill(1), [1, 5, 5, 1]), t(new Array(900).fill(1), [30, 30, 1, 1])], attrs: [1, 'valid'] }, /larger than the padded input/],
    ['conv2d', { inputs: [t(new Array(25).fill(1), [1, 5, 5, 1]), t([1, 1, 1, 1], [2, 2, 1, 1])], attrs: [2, 1, 'NHWC', 1, 'ceil'] }, /kernel computes/],
    ['maxPool', { inputs: [t(new Array(25).fill(1), [1, 5, 5, 1])], attrs: [2, 0, 'valid'] }, /strides = 0 is outside/],
    ['maxPool', { inputs: [t(new Array(25).fill(1), [1, 5, 5, 1])], attrs: [2, 1, 100000] }, /padding/],
    ['sum', { inputs: [t([], [2, 0])], attrs: [1] }, /has no elements/],
    ['matMul', { inputs: [t([], [2, 0]), t([], [0, 3])], attrs: [] }, /has no elements/],
    ['add', { inputs: [t(new Array(128).fill(1), new Array(7).fill(2)), x5], attrs: [] }, /rank at most 6/],
    ['add', { inputs: [x5, t([1, 2], [2])], attrs: [] }, /do not broadcast/],
    ['mod', { inputs: [t([5], [1], 'int32'), t([0], [1], 'int32')], attrs: [] }, /divisor has a zero/],
    ['stridedSlice', { inputs: [m], attrs: [[0, 0], [1, 1], [1, 1], 0, 0, 0, 1, 0] }, /newAxisMask/],
    ['stridedSlice', { inputs: [m], attrs: [[-1, 0], [0, 3], [1, 2], 0, 0, 0, 0, 1] }, /shrinkAxisMask = 1 with strides other than 1/],
    ['topk', { inputs: [t([1, 2, 3])], attrs: [1.5] }, /k = 1.5 is not an integer/],
  ];

  test.each(REFUSED.map(([op, c, re], i) => [`${i} ${op}`, op, c, re] as const))('%s is refused quickly, and the heap stays sane', (_, op, c, re) => {
    const started = performance.now();
    const out = runOnWasm(op, c);
    expect(performance.now() - started).toBeLessThan(50);
    expect(out.ok).toBe(false);
    const error = (out as { error: unknown }).error;
    expect(isSyftError(error) ? [error.code, error.message] : String(error)).toEqual(['INVALID_ARGUMENT', expect.stringMatching(re)]);
    expect((error as Error).message.startsWith(`${op}: `)).toBe(true);
    assertHeapSane(op);
  });

  test('oneHot keeps tfjs semantics for indices outside [0, depth): all-off rows (the wasm kernel does so too)', async () => {
    const c: Case = { inputs: [t([5, -1, 100000, -100000, 1, 2 ** 31 - 1, -(2 ** 31)], [7], 'int32')], attrs: [3] };
    expect(await checkCase('oneHot', c)).toBe('ran');
    const out = runOnWasm('oneHot', c);
    expect(out.ok && out.results[0]!.values).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('valid calls still run: the refusals above are not over-broad', async () => {
    const ok: [OpName, Case][] = [
      ['slice', { inputs: [x5], attrs: [[1], [2]] }],
      ['slice', { inputs: [m], attrs: [1] }],
      ['tile', { inputs: [x5], attrs: [[2]] }],
      ['pad', { inputs: [x5], attrs: [[[1, 2]], 7] }],
      ['reshape', { inputs: [m], attrs: [[3, -1]] }],
      ['transpose', { inputs: [m], attrs: [] }],
      ['cumsum', { inputs: [m], attrs: [1, true, true] }],
      ['gather', { inputs: [m, t([2, 0, 2], [3], 'int32')], attrs: [-1] }],
      ['gatherND', { inputs: [m, t([1, 2, 0, 1], [2, 2], 'int32')], attrs: [] }],
      ['prelu', { inputs: [t([-1, 2, -3, 4, -5, 6], [2, 3]), t([0.1, 0.2, 0.3])], attrs: [] }],
      ['prelu', { inputs: [t([-1, 2, -3]), t([0.5], [1])], attrs: [] }],
      ['stridedSlice', { inputs: [m], attrs: [[0, 2], [2, 0], [1, -1]] }],
      ['stridedSlice', { inputs: [m], attrs: [[1, 0], [2, 3], [1, 1], 0, 0, 0, 0, 1] }],
      ['conv2d', { inputs: [t(new Array(50).fill(0).map((_, i) => i / 10), [1, 5, 5, 2]), t(new Array(18).fill(0).map((_, i) => i / 9), [3, 3, 2, 1])], attrs: [1, 'same'] }],
      ['maxPool', { inputs: [t(new Array(25).fill(0).map((_, i) => i), [1, 5, 5, 1])], attrs: [3, 2, 'same'] }],
      ['split', { inputs: [x5], attrs: [[2, -1]] }],
      ['norm', { inputs: [m], attrs: [1, [0, 1]] }],
      ['mod', { inputs: [t([5, 7], [2], 'int32'), t([3, 2], [2], 'int32')], attrs: [] }],
      ['add', { inputs: [x5, t([1])], attrs: [] }],
    ];
    for (const [op, c] of ok) expect([op, await checkCase(op, c)]).toEqual([op, 'ran']);
  });

  test('a number where tfjs expects a tensor is fine for element-wise ops; strings, objects and arrays are not', () => {
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(executeOp('add', [x, 2])[0]!.dataSync())).toEqual([3, 4, 5]);
    expect(Array.from(executeOp('mul', [3, x])[0]!.dataSync())).toEqual([3, 6, 9]);
    for (const junkArg of ['2', { value: 2 }, [1, 2, 3], [[1], [2, 3]], null, undefined]) {
      const error = thrown(() => executeOp('add', [x, junkArg]));
      expect([error.code, error.message.startsWith('add: input b is ')]).toEqual(['INVALID_ARGUMENT', true]);
    }
    expect(thrown(() => executeOp('matMul', [x, 2])).message).toMatch(/^matMul: input b is 2, where a tensor is expected/);
    expect(thrown(() => executeOp('concat', [[x, 'y']])).message).toMatch(/^concat: tensors\[1\] is the string "y"/);
    expect(thrown(() => executeOp('slice', [x, x])).message).toMatch(/^slice: begin = a tensor is not a list of integers/);
    x.dispose();
  });
});

describe('unsortedSegmentSum where a backend has its kernel (cpu)', () => {
  test('ids outside [0, numSegments) and a wrong ids shape are refused; valid ids sum', async () => {
    await tf.setBackend('cpu');
    try {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
      const ok = executeOp('unsortedSegmentSum', [x, tf.tensor1d([1, 0, 1], 'int32'), 2]);
      expect(ok[0]!.arraySync()).toEqual([[3, 4], [6, 8]]);
      const refusals = [
        [tf.tensor1d([0, 2, 1], 'int32'), 2, /segmentIds\[1\] = 2 is outside \[0, 2\)/],
        [tf.tensor1d([0, -1, 1], 'int32'), 2, /segmentIds\[1\] = -1 is outside/],
        [tf.tensor1d([0, 1], 'int32'), 2, /segmentIds have shape \[2\] not \[3\]/],
        [tf.tensor1d([0, 1, 1], 'int32'), 1e12, /the result would have/],
        [tf.tensor1d([0, 1, 1], 'int32'), 1.5, /numSegments = 1.5 is not a positive integer/],
      ] as const;
      for (const [ids, n, re] of refusals) {
        expect(() => executeOp('unsortedSegmentSum', [x, ids, n])).toThrow(re);
      }
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test('on wasm it is refused for the missing kernel, not with a raw tfjs error', () => {
    const x = tf.tensor1d([1, 2]);
    expect(() => executeOp('unsortedSegmentSum', [x, tf.tensor1d([0, 1], 'int32'), 2])).toThrow(/^unsortedSegmentSum: the 'wasm' backend has no UnsortedSegmentSum kernel/);
  });
});

describe('the output budget', () => {
  const env: CheckEnv = { isTensor: (v): v is TensorView => v instanceof tf.Tensor, hasKernel: () => true, backend: () => 'wasm' };

  test(`exactly ${MAX_OP_OUTPUT_ELEMENTS} output elements pass the checks, one more is refused, naming the op and the size`, () => {
    const x = tf.tensor1d([1]);
    expect(() => checkOpArguments('broadcastTo', OPS.broadcastTo, [x, [MAX_OP_OUTPUT_ELEMENTS]], env)).not.toThrow();
    expect(() => checkOpArguments('broadcastTo', OPS.broadcastTo, [x, [MAX_OP_OUTPUT_ELEMENTS + 1]], env)).toThrow(
      `broadcastTo: the result would have ${MAX_OP_OUTPUT_ELEMENTS + 1} elements`,
    );
    // Several outputs count together; a product beyond 2^53 is refused as such.
    expect(() => checkOpArguments('tile', OPS.tile, [x, [2 ** 40]], env)).toThrow(/tile: the result would have 1099511627776 elements/);
    expect(() => checkOpArguments('broadcastTo', OPS.broadcastTo, [x, [2 ** 30, 2 ** 30, 2 ** 30]], env)).toThrow(/more than 2\^53/);
    x.dispose();
  });

  test('matMul, outerProduct, broadcasting and gather are budgeted by their computed outputs', () => {
    const col = tf.zeros([20000, 1]);
    const row = tf.zeros([1, 20000]);
    const v = tf.zeros([20000]);
    for (const [op, args] of [
      ['matMul', [col, row]],
      ['outerProduct', [v, v]],
      ['add', [col, row]],
      ['gather', [v, tf.zeros([20000, 20000 / 2], 'int32')]],
    ] as const) {
      expect(() => checkOpArguments(op, OPS[op], args as unknown as unknown[], env), op).toThrow(new RegExp(`^${op}: the result would have \\d+ elements`));
    }
    tf.dispose([col, row, v]);
  });
});

describe('every registry entry declares its checks', () => {
  test.each(opNames())('%s: inputs, attributes and output shapes are all covered', (op) => {
    const spec = OPS[op];
    const { inputs, checks, output } = spec.checks;
    expect(Array.isArray(inputs) ? inputs.length : 'list').toBe(spec.inputs);
    expect(typeof output.shapes).toBe('function');
    const covered = new Set(checks.flatMap((c) => c.targets));
    // Every attribute is constrained by some check: no entry without them unless it has no attributes.
    expect(spec.attrs.filter((a) => !covered.has(a))).toEqual([]);
    if (spec.attrs.length > 0) expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) {
      expect(typeof c.run).toBe('function');
      expect(['shape', 'values']).toContain(c.reads);
    }
  });

  test('only index-taking ops (and integer mod) read tensor values', () => {
    const reading = opNames().filter((op) => OPS[op].checks.checks.some((c) => c.reads === 'values'));
    expect(reading.sort()).toEqual(['gather', 'gatherND', 'mod', 'unsortedSegmentSum']);
  });
});

describe('sy.tensor checks its options at once', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      (fn() as { dispose?: () => void })?.dispose?.();
    } catch (error) {
      return isSyftError(error) ? error.code : `raw: ${String(error)}`;
    }
    return undefined;
  };

  test('a shape with a NaN, negative, fractional or unsafe dim, or a foreign dtype, is INVALID_ARGUMENT; a valid one gives that tensor', () => {
    const badDim = fc.constantFrom(NaN, -1, -2, 2.5, 0.5, Infinity, -Infinity, 2 ** 53, 1e300, '2' as unknown as number, null as unknown as number);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), badDim, fc.nat(), (shape, bad, at) => {
        const values = new Array<number>(sizeOf(shape)).fill(1);
        const broken = shape.map((d, i) => (i === at % shape.length ? bad : d));
        expect(code(() => sy.tensor(values, { shape: broken }))).toBe('INVALID_ARGUMENT');
        const t = sy.tensor(values, { shape, dtype: 'int32' });
        expect([t.shape, t.dtype, Array.from(t.dataSync())]).toEqual([shape, 'int32', values]);
        t.dispose();
      }),
      { numRuns: 100 },
    );
    for (const dtype of ['string', 'complex64', 'float64', '', 3, null]) {
      expect(code(() => sy.tensor([1, 2], { dtype: dtype as never })), String(dtype)).toBe('INVALID_ARGUMENT');
      expect(code(() => sy.tensor(tf.tensor1d([1, 2]), { dtype: dtype as never })), String(dtype)).toBe('INVALID_ARGUMENT');
    }
    expect(code(() => sy.tensor([1, 2, 3], { shape: [2, 2] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => sy.tensor([[1], [2, 3]]))).toBe('INVALID_ARGUMENT');
    expect(code(() => sy.tensor(['a', 'b'] as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => sy.tensor([1, 2], { shape: 'x' as never }))).toBe('INVALID_ARGUMENT');
  });
});
