/**
 * Gradients of every differentiable registry op equal tfjs's tf.grads on random
 * inputs and shapes, locally (syft tensors) and at a worker (pointers).
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { CASES, type Inputs } from '../support/op-cases.js';
import { startHook } from '../support/runtime.js';

// Started at load: which ops can be tested depends on the backend it picks.
const hook = await startHook();
let bob: sy.VirtualWorker;

beforeAll(async () => {
  bob = await hook.virtualWorker('bob');
});
afterAll(() => hook.shutdown());

type TfOp = (...args: unknown[]) => tf.Tensor;
const tfOp = (op: string) => (tf as unknown as Record<string, TfOp>)[op]!;

/**
 * Gradients tf.grads cannot compute on the wasm backend of tfjs 4.22 for lack of a kernel: gather
 * (UnsortedSegmentSum), and conv2d (Conv2DBackpropFilter), whose gradient syft-ts computes its own way
 * there and which the conv2d test below checks against the textbook formula.
 */
const NO_WASM_GRADIENT_KERNEL = ['gather', 'conv2d'];
/** tfjs's own cumsum gradient fails for some shapes (tf.grads throws on [2, 1] along axis 0). */
const TFJS_GRADIENT_BUG = ['cumsum'];
/** Piecewise-constant or dtype-changing: their gradient is zero or undefined, nothing to compare. */
const FLAT = ['cast', 'onesLike', 'zerosLike', 'floor', 'ceil', 'round', 'sign', 'step'];

/** Differentiable ops with one float output, whose case has float inputs to differentiate. */
const DIFFERENTIABLE = Object.keys(CASES).filter((op) => {
  const spec = (sy.OPS as Record<string, sy.OpSpec>)[op]!;
  const floatInputs = !['floorDiv', 'mod', 'equal', 'notEqual', 'oneHot'].includes(op);
  return spec.differentiable && spec.outputs.kind === 'tensor' && floatInputs && ![...FLAT, ...TFJS_GRADIENT_BUG].includes(op);
});
const TESTED = DIFFERENTIABLE.filter((op) => !(hook.backend === 'wasm' && NO_WASM_GRADIENT_KERNEL.includes(op)));

/** loss = sum(op(inputs) * weights), with fixed random weights so no gradient is trivially zero. */
function reference(op: string, inputs: Inputs, attrs: unknown[], list: boolean, weights: tf.Tensor): tf.Tensor[] {
  const floats = inputs.filter((t) => t.dtype === 'float32');
  const f = (...xs: tf.Tensor[]) => {
    let k = 0;
    const args = inputs.map((t) => (t.dtype === 'float32' ? xs[k++]! : t));
    return tf.sum(tf.mul(tfOp(op)(...(list ? [args] : args), ...attrs), weights));
  };
  return tf.grads(f)(floats);
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  for (let i = 0; i < e.length; i++) {
    const tolerance = 1e-5 + 1e-4 * Math.abs(e[i]!);
    if (!(Math.abs(a[i]! - e[i]!) <= tolerance || (Number.isNaN(a[i]) && Number.isNaN(e[i])))) {
      expect(a[i], `${what}[${i}]`).toBeCloseTo(e[i]!, 4);
    }
  }
}

function weightsFor(op: string, inputs: Inputs, attrs: unknown[], list: boolean): tf.Tensor {
  const shape = tf.tidy(() => tfOp(op)(...(list ? [inputs] : inputs), ...attrs).shape);
  return tf.randomUniform(shape, 0.5, 1.5, 'float32', 7);
}

test('the gradient tests cover at least 60 differentiable registry ops', () => {
  expect(TESTED.length).toBeGreaterThanOrEqual(60);
});

test('on wasm, backward() through gather fails with the missing kernel named', async () => {
  if (hook.backend !== 'wasm') return;
  const table = sy.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  expect(() => sy.sum(sy.gather(table, tf.tensor1d([1], 'int32'))).backward()).toThrow(/UnsortedSegmentSum' not registered/);
});

/** The case's extra arguments, fixed random loss weights, and tfjs's gradients for them. */
function prepare(op: string, inputs: Inputs): { attrs: unknown[]; list: boolean; weights: tf.Tensor; expected: tf.Tensor[] } {
  const c = CASES[op]!;
  const attrs = c.attrs?.(inputs) ?? [];
  const list = c.list ?? false;
  const weights = weightsFor(op, inputs, attrs, list);
  return { attrs, list, weights, expected: reference(op, inputs, attrs, list, weights) };
}

test.each(TESTED)('local backward() through %s equals tf.grads', async (op) => {
  const c = CASES[op]!;
  await fc.assert(
    fc.asyncProperty(c.inputs, async (inputs) => {
      const { attrs, list, weights, expected } = prepare(op, inputs);
      const xs = inputs.map((t) => sy.tensor(t, { requiresGrad: t.dtype === 'float32' }));
      const y = sy.op(op, ...(list ? [xs] : xs), ...attrs) as sy.SyftTensor;
      sy.sum(y.mul(weights)).backward();
      xs.filter((x) => x.requiresGrad).forEach((x, i) => expectClose(x.grad!.tensor, expected[i]!, `${op} d/dx${i}`));
      tf.dispose([...inputs, ...expected, weights]);
      for (const x of xs) x.dispose();
    }),
    { numRuns: 4 },
  );
});

test.each(TESTED)('remote backward() through %s equals tf.grads, at the worker', async (op) => {
  const c = CASES[op]!;
  await fc.assert(
    fc.asyncProperty(c.inputs, async (inputs) => {
      const { attrs, list, weights, expected } = prepare(op, inputs);
      const xs = inputs.map((t) => t.send(bob, { requiresGrad: t.dtype === 'float32' }));
      const w = weights.send(bob);
      const y = sy.op(op, ...(list ? [xs] : xs), ...attrs) as sy.PointerTensor<tf.Tensor>;
      sy.sum(y.mul(w)).backward();
      const floats = xs.filter((_, i) => inputs[i]!.dtype === 'float32');
      const grads = await Promise.all(floats.map((x) => x.grad.get()));
      grads.forEach((g, i) => expectClose(g, expected[i]!, `${op} d/dx${i}`));
      for (const x of [...xs, w]) x.dispose();
      tf.dispose([...inputs, ...expected, weights, ...grads]);
    }),
    { numRuns: 3 },
  );
});

/**
 * The gradients of sum(conv2d(x, f, stride, pad) · dy) by x and f, written out as loops over every
 * output position: x is [n, h, w, ci], f is [fh, fw, ci, co], dy is [n, oh, ow, co].
 */
function conv2dGradientsByHand(x: tf.Tensor4D, f: tf.Tensor4D, dy: tf.Tensor4D, stride: [number, number], pad: 'same' | 'valid' | number): [tf.Tensor, tf.Tensor] {
  const [n, h, w, ci] = x.shape;
  const [fh, fw, , co] = f.shape;
  const [, oh, ow] = dy.shape;
  const before = (size: number, k: number, s: number) =>
    typeof pad === 'number' ? pad : pad === 'valid' ? 0 : Math.floor(Math.max(0, (Math.ceil(size / s) - 1) * s + k - size) / 2);
  const [top, left] = [before(h, fh, stride[0]), before(w, fw, stride[1])];
  const [xv, fv, dyv] = [x.dataSync(), f.dataSync(), dy.dataSync()];
  const dx = new Float32Array(xv.length);
  const df = new Float32Array(fv.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let a = 0; a < fh; a++)
          for (let c = 0; c < fw; c++) {
            const [r, q] = [i * stride[0] + a - top, j * stride[1] + c - left];
            if (r < 0 || r >= h || q < 0 || q >= w) continue; // a padded zero
            for (let k = 0; k < ci; k++)
              for (let o = 0; o < co; o++) {
                const g = dyv[((b * oh + i) * ow + j) * co + o]!;
                const xi = ((b * h + r) * w + q) * ci + k;
                const fi = ((a * fw + c) * ci + k) * co + o;
                dx[xi] = dx[xi]! + fv[fi]! * g;
                df[fi] = df[fi]! + xv[xi]! * g;
              }
          }
  return [tf.tensor(dx, x.shape), tf.tensor(df, f.shape)];
}

test('the conv2d gradient by hand agrees with tfjs: d/dx with tf.grad, d/dfilter by linearity', () => {
  const [stride, pad] = [[2, 1] as [number, number], 'same' as const];
  const x = tf.randomUniform([2, 5, 4, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const f = tf.randomUniform([3, 2, 3, 2], -1, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomUniform(tf.conv2d(x, f, stride, pad).shape, -1, 1, 'float32', 3) as tf.Tensor4D;
  const [dx, df] = conv2dGradientsByHand(x, f, dy, stride, pad);
  // tfjs computes only the gradients asked for: d/dx needs Conv2DBackpropInput, which every backend has.
  expectClose(dx, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f, stride, pad), dy)))(x), 'd/dx');
  // The loss is linear in the filter: its derivative by f[i] is the loss at the i-th unit filter.
  const byLinearity = Array.from({ length: f.size }, (_, i) =>
    tf.tidy(() => tf.sum(tf.mul(tf.conv2d(x, tf.oneHot([i], f.size).toFloat().reshape(f.shape) as tf.Tensor4D, stride, pad), dy)).dataSync()[0]!),
  );
  expectClose(df, tf.tensor(byLinearity, f.shape), 'd/dfilter');
});

/** conv2d over random batch, size, channels, filter size, strides and padding (the op case fixes them). */
const conv2dCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 3, max: 7 }),
    w: fc.integer({ min: 3, max: 7 }),
    ci: fc.integer({ min: 1, max: 3 }),
    co: fc.integer({ min: 1, max: 3 }),
    fh: fc.integer({ min: 1, max: 3 }),
    fw: fc.integer({ min: 1, max: 3 }),
    stride: fc.constantFrom(1, 2, [1, 2] as [number, number], [2, 1] as [number, number]),
    pad: fc.constantFrom('same' as const, 'valid' as const, 0, 1),
    rank3: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  // tfjs sizes a numeric padding's output with the filter's height and first stride along both axes (and
  // its wasm kernel then reads past the input): numeric padding only with square filters and equal strides.
  .filter(({ n, rank3, stride, pad, fh, fw }) => (!rank3 || n === 1) && (typeof pad !== 'number' || (typeof stride === 'number' && fh === fw)))
  // And no 'same' padding whose stride skips input that no window covers, unless the filter is 1x1: the
  // wasm kernel computes zeros there (workers refuse it: src/core/op-checks.ts).
  .filter(({ h, w, fh, fw, stride, pad }) => {
    const [sh, sw] = typeof stride === 'number' ? [stride, stride] : stride;
    const skips = (size: number, s: number, f: number) => (Math.ceil(size / s) - 1) * s + f - size < 0;
    return pad !== 'same' || (fh === 1 && fw === 1) || !(skips(h, sh, fh) || skips(w, sw, fw));
  });

test.each(['local', 'remote'] as const)('%s conv2d gradients equal the formula for random shapes, strides and padding', async (where) => {
  await fc.assert(
    fc.asyncProperty(conv2dCase, async ({ n, h, w, ci, co, fh, fw, stride, pad, rank3, seed }) => {
      const x = tf.randomUniform(rank3 ? [h, w, ci] : [n, h, w, ci], -1, 1, 'float32', seed) as tf.Tensor3D | tf.Tensor4D;
      const f = tf.randomUniform([fh, fw, ci, co], -1, 1, 'float32', seed + 1) as tf.Tensor4D;
      const weights = weightsFor('conv2d', [x, f], [stride, pad], false);
      const strides = typeof stride === 'number' ? ([stride, stride] as [number, number]) : stride;
      const x4 = (rank3 ? tf.expandDims(x, 0) : x) as tf.Tensor4D;
      const w4 = (rank3 ? tf.expandDims(weights, 0) : weights) as tf.Tensor4D;
      const [dx4, df] = conv2dGradientsByHand(x4, f, w4, strides, pad);
      const expected = [rank3 ? tf.squeeze(dx4, [0]) : dx4, df];
      let grads: tf.Tensor[];
      if (where === 'local') {
        const [sx, sf] = [sy.tensor(x, { requiresGrad: true }), sy.tensor(f, { requiresGrad: true })];
        sy.sum(sy.conv2d(sx, sf, stride, pad).mul(weights)).backward();
        grads = [sx.grad!.tensor.clone(), sf.grad!.tensor.clone()];
        sx.dispose();
        sf.dispose();
      } else {
        const [px, pf, pw] = [x.send(bob, { requiresGrad: true }), f.send(bob, { requiresGrad: true }), weights.send(bob)];
        sy.sum(sy.conv2d(px, pf, stride, pad).mul(pw)).backward();
        grads = await Promise.all([px.grad.get(), pf.grad.get()]);
        for (const p of [px, pf, pw]) p.dispose();
      }
      expectClose(grads[0]!, expected[0]!, 'conv2d d/dx');
      expectClose(grads[1]!, expected[1]!, 'conv2d d/dfilter');
      tf.dispose([x, f, weights, x4, w4, dx4, ...expected, ...grads]);
    }),
    { numRuns: where === 'local' ? 40 : 15 },
  );
});
