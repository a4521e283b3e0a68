/**
 * conv2d, avgPool and maxPool on fixed-precision tensors and on shares
 * (src/smpc/conv.ts) against tfjs on random small NHWC inputs, and the window
 * ring op (src/core/ring/ring-conv.ts) against a direct reading of its definition.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { inferOpOutputs, SHAPE_ONLY_ENV, ShapeOnly } from '../../src/core/op-checks.js';
import { OPS } from '../../src/core/op-registry.js';
import { CONV_RING_OPS, ringWindows, type WindowGeometry } from '../../src/core/ring/ring-conv.js';
import { executeRingOp } from '../../src/core/ring/ring-ops.js';
import { avgPool, conv2d } from '../../src/smpc/conv.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['p0', 'p1', 'p2', 'dealer'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const UNIT = 2 ** -16;

// ---------------------------------------------------------------------------
// The ring op

/** Window (oy, ox)'s value at (ky, kx, ch), read straight from the definition. */
function referenceWindows(values: BigUint64Array, shape: readonly number[], g: WindowGeometry): { values: BigUint64Array; shape: number[] } {
  const batched = shape.length === 4;
  const [n, h, w, c] = batched ? shape : [1, ...shape];
  const [fh, fw] = g.filter;
  const [oh, ow] = g.out;
  const out: bigint[] = [];
  for (let b = 0; b < n!; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < fh; ky++)
          for (let kx = 0; kx < fw; kx++)
            for (let ch = 0; ch < c!; ch++) {
              let iy = oy * g.strides[0] - g.padBefore[0] + ky;
              let ix = ox * g.strides[1] - g.padBefore[1] + kx;
              const inside = iy >= 0 && iy < h! && ix >= 0 && ix < w!;
              if (!inside && g.fill === 'zero') {
                out.push(0n);
                continue;
              }
              iy = Math.min(h! - 1, Math.max(0, iy));
              ix = Math.min(w! - 1, Math.max(0, ix));
              out.push(values[((b * h! + iy) * w! + ix) * c! + ch]!);
            }
  const tail = [oh, ow, fh * fw, c!];
  return { values: BigUint64Array.from(out), shape: batched ? [n!, ...tail] : tail };
}

const geometryCase = fc
  .record({
    batch: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    h: fc.integer({ min: 1, max: 6 }),
    w: fc.integer({ min: 1, max: 6 }),
    c: fc.integer({ min: 1, max: 3 }),
    fh: fc.integer({ min: 1, max: 4 }),
    fw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    top: fc.integer({ min: 0, max: 3 }),
    left: fc.integer({ min: 0, max: 3 }),
    oh: fc.integer({ min: 0, max: 5 }),
    ow: fc.integer({ min: 0, max: 5 }),
    fill: fc.constantFrom('zero' as const, 'edge' as const),
  })
  .chain((g) => {
    const shape = g.batch === undefined ? [g.h, g.w, g.c] : [g.batch, g.h, g.w, g.c];
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.record({ g: fc.constant(g), shape: fc.constant(shape), values: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: size, maxLength: size }) });
  });

describe('the window ring op', () => {
  test('every window value is the input value at its position (zero or the nearest edge pixel outside), for any geometry', () => {
    fc.assert(
      fc.property(geometryCase, ({ g, shape, values }) => {
        const geometry: WindowGeometry = { filter: [g.fh, g.fw], strides: [g.sh, g.sw], padBefore: [g.top, g.left], out: [g.oh, g.ow], fill: g.fill };
        const x = { values: BigUint64Array.from(values), shape };
        const got = ringWindows(x, geometry);
        const want = referenceWindows(x.values, shape, geometry);
        expect(got.shape).toEqual(want.shape);
        expect([...got.values]).toEqual([...want.values]);
        // im2col is the same words as a [windows, fh·fw·C] matrix.
        const cols = CONV_RING_OPS.im2col(x, geometry);
        expect(cols.shape).toEqual([want.shape.slice(0, -2).reduce((a, b) => a * b, 1), g.fh * g.fw * g.c]);
        expect([...cols.values]).toEqual([...want.values]);
      }),
      { numRuns: 200 },
    );
  });

  test('a malformed geometry from the wire is refused with a coded error, before anything is read', () => {
    const x = { values: new BigUint64Array(4), shape: [1, 2, 2, 1] };
    const ok: WindowGeometry = { filter: [1, 1], strides: [1, 1], padBefore: [0, 0], out: [2, 2], fill: 'zero' };
    for (const bad of [
      { ...ok, filter: [0, 1] },
      { ...ok, strides: [1.5, 1] },
      { ...ok, padBefore: [-1, 0] },
      { ...ok, out: [2] },
      { ...ok, fill: 'reflect' },
      { ...ok, out: [2 ** 20, 2 ** 20] },
    ]) {
      const error = thrown(() => executeRingOp('poolWindows', [x, bad]));
      expect([error.code, error.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^ring windows: /)]);
    }
    expect(thrown(() => executeRingOp('im2col', [{ values: new BigUint64Array(4), shape: [4] }, ok])).code).toBe('INVALID_ARGUMENT');
  });
});

// ---------------------------------------------------------------------------
// Against tfjs

/** Whether the registry (so tfjs, and these ops) accepts the call; refusals are tested on their own below. */
function accepted(op: 'conv2d' | 'avgPool' | 'maxPool', inputs: readonly (readonly number[])[], attrs: readonly unknown[]): boolean {
  try {
    inferOpOutputs(op, OPS[op], [...inputs.map((s) => new ShapeOnly(s, 'float32')), ...attrs], SHAPE_ONLY_ENV);
    return true;
  } catch {
    return false;
  }
}

const value = fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround);

interface ConvCase {
  readonly x: { readonly values: number[]; readonly shape: number[] };
  readonly filter: { readonly values: number[]; readonly shape: number[] };
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same';
}

const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    h: fc.integer({ min: 3, max: 7 }),
    w: fc.integer({ min: 3, max: 7 }),
    cin: fc.integer({ min: 1, max: 3 }),
    cout: fc.integer({ min: 1, max: 3 }),
    fh: fc.integer({ min: 1, max: 3 }),
    fw: fc.integer({ min: 1, max: 3 }),
    strides: fc.oneof(fc.constantFrom(1, 2), fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2))),
    pad: fc.constantFrom('valid' as const, 'same' as const),
  })
  .chain((s) => {
    const xShape = s.batch === undefined ? [s.h, s.w, s.cin] : [s.batch, s.h, s.w, s.cin];
    const fShape = [s.fh, s.fw, s.cin, s.cout];
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    return fc.record({
      x: fc.record({ values: fc.array(value, { minLength: size(xShape), maxLength: size(xShape) }), shape: fc.constant(xShape) }),
      filter: fc.record({ values: fc.array(value, { minLength: size(fShape), maxLength: size(fShape) }), shape: fc.constant(fShape) }),
      strides: fc.constant(s.strides),
      pad: fc.constant(s.pad),
    });
  })
  .filter((c) => accepted('conv2d', [c.x.shape, c.filter.shape], [c.strides, c.pad]));

interface PoolCase {
  readonly x: { readonly values: number[]; readonly shape: number[] };
  readonly filterSize: number | [number, number];
  readonly strides: number | [number, number];
  readonly pad: 'valid' | 'same';
}

const poolCase: fc.Arbitrary<PoolCase> = fc
  .record({
    batch: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    h: fc.integer({ min: 3, max: 7 }),
    w: fc.integer({ min: 3, max: 7 }),
    c: fc.integer({ min: 1, max: 3 }),
    filterSize: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))),
    strides: fc.oneof(fc.constantFrom(1, 2), fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2))),
    pad: fc.constantFrom('valid' as const, 'same' as const),
  })
  .chain((s) => {
    const shape = s.batch === undefined ? [s.h, s.w, s.c] : [s.batch, s.h, s.w, s.c];
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.record({
      x: fc.record({ values: fc.array(value, { minLength: size, maxLength: size }), shape: fc.constant(shape) }),
      filterSize: fc.constant(s.filterSize),
      strides: fc.constant(s.strides),
      pad: fc.constant(s.pad),
    });
  })
  .filter((c) => accepted('avgPool', [c.x.shape], [c.filterSize, c.strides, c.pad]));

/** A case's values as a tfjs tensor (rank 3 or 4; tfjs adds the batch to rank 3). */
function nhwc(v: { readonly values: number[]; readonly shape: number[] }): tf.Tensor4D {
  const t: tf.Tensor = tf.tensor(v.values, v.shape);
  return t as tf.Tensor4D;
}

/** tfjs's result, as float64 values and a shape. */
function reference(f: () => tf.Tensor): { values: Float64Array; shape: number[] } {
  const t = f();
  const out = { values: Float64Array.from(t.dataSync()), shape: t.shape };
  t.dispose();
  return out;
}

function tfConv(c: ConvCase) {
  return reference(() =>
    tf.tidy(() => tf.conv2d(nhwc(c.x), nhwc(c.filter), c.strides, c.pad)),
  );
}

/**
 * A convolution's fixed-point error: each of the fh·fw·in products of an
 * output carries under 2 units of encoding error per operand (|values| <= 2)
 * and the truncation adds one, on shares one more; tfjs's float32 sum adds
 * its own rounding.
 */
function convTolerance(c: ConvCase): number {
  const k = c.filter.shape[0]! * c.filter.shape[1]! * c.filter.shape[2]!;
  return (4 * k + 3) * UNIT + k * 4 * 2 ** -22;
}

function expectClose(got: { values: ArrayLike<number>; shape: readonly number[] }, want: { values: Float64Array; shape: number[] }, tolerance: number): void {
  expect(got.shape).toEqual(want.shape);
  const worst = Array.from(want.values).reduce((m, v, i) => Math.max(m, Math.abs(got.values[i]! - v)), 0);
  expect(worst).toBeLessThanOrEqual(tolerance);
}

function decoded(t: sy.FixedPrecisionTensor): { values: Float64Array; shape: readonly number[] } {
  return { values: t.toFloat64(), shape: t.shape };
}

describe('on fixed-precision tensors, against tfjs', () => {
  test('conv2d, with a public, a fixed-precision filter, or a fixed-precision filter and a public input', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const want = tfConv(c);
        const x = sy.fixPrecision(tf.tensor(c.x.values, c.x.shape));
        const fp = sy.fixPrecision(tf.tensor(c.filter.values, c.filter.shape));
        const filter = tf.tensor(c.filter.values, c.filter.shape);
        const publicX = tf.tensor(c.x.values, c.x.shape);
        for (const got of [sy.op('conv2d', x, filter, c.strides, c.pad), sy.op('conv2d', x, fp, c.strides, c.pad), sy.op('conv2d', publicX, fp, c.strides, c.pad)]) {
          expectClose(decoded(got as sy.FixedPrecisionTensor), want, convTolerance(c));
        }
        tf.dispose([filter, publicX]);
      }),
      { numRuns: 150 },
    );
  });

  test('avgPool: the mean of the in-bounds values of each window, as tfjs', () => {
    fc.assert(
      fc.property(poolCase, (c) => {
        const want = reference(() => tf.tidy(() => tf.avgPool(nhwc(c.x), c.filterSize, c.strides, c.pad)));
        const got = sy.op('avgPool', sy.fixPrecision(nhwc(c.x)), c.filterSize, c.strides, c.pad) as sy.FixedPrecisionTensor;
        // Each input carries half a unit of encoding error, the division one more.
        expectClose(decoded(got), want, 2 * UNIT);
      }),
      // 'same' padding that clips every window alike: one count for all, below the window's size.
      { numRuns: 150, examples: [[{ x: { values: [1, 0, 0, 0, 0, 0, 0, 0, 0], shape: [3, 3, 1] }, filterSize: [1, 3], strides: 2, pad: 'same' }]] },
    );
  });

  test('maxPool: the largest value of each window, exact up to the encoding', () => {
    fc.assert(
      fc.property(poolCase, (c) => {
        const want = reference(() => tf.tidy(() => tf.maxPool(nhwc(c.x), c.filterSize, c.strides, c.pad)));
        const got = sy.op('maxPool', sy.fixPrecision(nhwc(c.x)), c.filterSize, c.strides, c.pad) as sy.FixedPrecisionTensor;
        expectClose(decoded(got), want, UNIT / 2);
      }),
      { numRuns: 150 },
    );
  });
});

describe('refusals', () => {
  test('dilations other than 1 are refused with a coded error naming the fix', () => {
    const x = sy.fixPrecision(tf.zeros([1, 5, 5, 1]));
    const error = thrown(() => sy.op('conv2d', x, tf.zeros([2, 2, 1, 1]), 1, 'valid', 'NHWC', 2));
    expect([error.code, error.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('pass dilations 1')]);
    // Dilation 1, spelled out, is the ordinary convolution.
    expect((sy.op('conv2d', x, tf.ones([2, 2, 1, 1]), 1, 'valid', 'NHWC', [1, 1]) as sy.FixedPrecisionTensor).shape).toEqual([1, 4, 4, 1]);
  });

  test("what tfjs refuses is refused with the registry's message: channels that differ, NCHW, a window larger than the input", () => {
    const x = sy.fixPrecision(tf.zeros([1, 4, 4, 2]));
    expect(thrown(() => sy.op('conv2d', x, tf.zeros([3, 3, 1, 1]), 1, 'valid')).message).toMatch(/input channels 1.*differ from the input's 2 channels/);
    expect(thrown(() => sy.op('conv2d', x, tf.zeros([3, 3, 2, 1]), 1, 'valid', 'NCHW')).message).toMatch(/NHWC/);
    expect(thrown(() => sy.op('maxPool', x, 5, 1, 'valid')).code).toBe('INVALID_ARGUMENT');
    // Called directly (the dispatcher sends public inputs to tfjs): a public input is named as the mistake.
    expect(thrown(() => avgPool([[[1]]], 1, 1, 'valid')).message).toMatch(/^avgPool: the input must be the fixed-precision or shared tensor/);
    expect(thrown(() => conv2d(tf.zeros([1, 2, 2, 1]), tf.zeros([1, 1, 1, 1]), 1, 'valid')).message).toMatch(/^conv2d: neither the input nor the filter/);
  });
});

// ---------------------------------------------------------------------------
// On shares

describe('on shares, against tfjs', () => {
  for (const parties of [2, 3]) {
    test(`${parties} parties: conv2d with the input, the filter or both shared; avgPool; maxPool; nothing left at the parties`, async () => {
      const owners = workers.slice(0, parties);
      const dealer = workers[3]!;
      const share = (v: { values: number[]; shape: number[] }) => sy.fixPrecision(tf.tensor(v.values, v.shape)).share(...owners, { cryptoProvider: dealer });
      await fc.assert(
        fc.asyncProperty(convCase, async (c) => {
          const want = tfConv(c);
          const x = share(c.x);
          const filter = share(c.filter);
          const fpX = sy.fixPrecision(tf.tensor(c.x.values, c.x.shape));
          const publicFilter = tf.tensor(c.filter.values, c.filter.shape);
          const publicX = nhwc(c.x);
          const results = [
            sy.op('conv2d', x, publicFilter, c.strides, c.pad),
            // The method form, as sy.nn's Conv2d calls it.
            (x as unknown as sy.nn.Activation).conv2d(filter as never, c.strides, c.pad),
            sy.op('conv2d', fpX, filter, c.strides, c.pad),
            sy.op('conv2d', publicX, filter, c.strides, c.pad),
          ] as unknown as sy.AdditiveSharingTensor[];
          for (const r of results) {
            expect(r).toBeInstanceOf(sy.AdditiveSharingTensor);
            expectClose(decoded(await r.get()), want, convTolerance(c) + 2 * UNIT);
          }
          x.dispose();
          filter.dispose();
          tf.dispose([publicFilter, publicX]);
        }),
        { numRuns: 25 },
      );
      await fc.assert(
        fc.asyncProperty(poolCase, async (c) => {
          const x = share(c.x);
          const avg = reference(() => tf.tidy(() => tf.avgPool(nhwc(c.x), c.filterSize, c.strides, c.pad)));
          expectClose(decoded(await (sy.op('avgPool', x, c.filterSize, c.strides, c.pad) as sy.AdditiveSharingTensor).get()), avg, 3 * UNIT);
          const most = reference(() => tf.tidy(() => tf.maxPool(nhwc(c.x), c.filterSize, c.strides, c.pad)));
          expectClose(decoded(await (sy.op('maxPool', x, c.filterSize, c.strides, c.pad) as sy.AdditiveSharingTensor).get()), most, UNIT / 2);
          x.dispose();
        }),
        { numRuns: 25 },
      );
      await sy.testing.collectGarbage();
      await sy.testing.assertNoLeaks(hook);
    });
  }
});

test('sy.nn layers run on shares: conv2d, relu, maxPool2d, flatten and linear with shared parameters match the plaintext model', async () => {
  const [bob, alice, , dealer] = workers as [sy.VirtualWorker, sy.VirtualWorker, sy.VirtualWorker, sy.VirtualWorker];
  const share = (t: tf.Tensor) => sy.fixPrecision(t).share(bob, alice, { cryptoProvider: dealer });
  const make = () => sy.nn.sequential(sy.nn.conv2d(2, 3, 3, { padding: 'same' }), sy.nn.relu(), sy.nn.maxPool2d(2), sy.nn.flatten(12), sy.nn.linear(12, 2));
  const model = make().eval();
  const shared = make().eval();
  for (const p of shared.parameters()) p.dispose();
  shared.loadStateDict(Object.fromEntries(model.namedParameters().map(([name, p]) => [name, share((p as sy.SyftTensor).tensor) as unknown as sy.nn.Parameter])));
  const images = tf.randomUniform([2, 4, 4, 2], -1, 1, 'float32', 7);
  const want = sy.noGrad(() => (model.forward(sy.tensor(images)) as sy.SyftTensor).dataSync());
  const out = shared.forward(share(images) as unknown as sy.nn.Activation) as unknown as sy.AdditiveSharingTensor;
  expect(out.shape).toEqual([2, 2]);
  const got = (await out.get()).toFloat64();
  want.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(2e-3));
  for (const p of shared.parameters()) p.dispose();
  images.dispose();
  await sy.testing.collectGarbage();
  await sy.testing.assertNoLeaks(hook);
});
