/**
 * PySyft v0.2.9 test/torch/tensors/test_precision.py ported case by case (the
 * stored version read has test_torch_add ... test_get_preserves_attributes).
 *
 * PySyft's default encoding, `fix_prec()`, is base 10 with 3 fractional
 * digits: P3 below, so the encoded integers (`x.child.child`, here `x.ring`)
 * are PySyft's. Local fixed-precision arithmetic is exact here (products are
 * rounded down once), so local results are compared exactly.
 *
 * Left out:
 * - test_wrap: torch's .on() wrapper chain; syft-ts has no wrappers.
 * - test_inplace_encode_decode: fix_prec_()/float_prec_() turn a torch tensor into another in place;
 *   tfjs tensors are immutable (x.fixPrecision() returns the encoding).
 * - test_torch_conv2d: no conv2d on fixed-precision tensors (the ring has matMul kernels only).
 * - test_torch_add's "when overflow occurs" part: a custom `field` (1e4) that wraps around;
 *   syft-ts has one ring and refuses an overflow with FIXED_PRECISION_OVERFLOW (asserted instead).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;
let james: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice, james] = await hook.virtualWorkers(['bob', 'alice', 'james'], { threads: 2 });
});
afterAll(() => hook.shutdown());
afterEach(async () => {
  await Promise.all([bob, alice, james].map((w) => w.clearObjects()));
});

/** PySyft 0.2's fix_prec(): base 10, 3 fractional digits. */
const P3 = { base: 10, precisionFractional: 3 } as const;
const fp = (values: tf.TensorLike, options: sy.smpc.FixedPrecisionOptions = P3) => tf.tensor(values as number[]).fixPrecision(options);
/** sy.<name> with a shared and a fixed-precision operand: typed as either, it is the shared one. */
const fn = <T = sy.AdditiveSharingTensor>(name: string, ...args: unknown[]) => sy.op(name, ...args) as T;
/** The encoded integers, PySyft's x.child.child. */
const encoded = (x: sy.FixedPrecisionTensor) => Array.from(x.ring.values, (v) => Number(BigInt.asIntN(64, v)));
/** float_prec(): float32 values. */
const floats = (x: sy.FixedPrecisionTensor) => Array.from(x.floatPrecision().dataSync());
const f32 = (values: number[]) => values.map((v) => Math.fround(v));

async function got(x: sy.AdditiveSharingTensor): Promise<number[]> {
  return floats(await x.get());
}

for (const parameter of [false, true]) {
  test(`test_encode_decode[parameter=${parameter}]`, () => {
    // nn.Parameter is a syft tensor that requires a gradient.
    const t = parameter ? sy.tensor([0.1, 0.2, 0.3], { requiresGrad: true }) : tf.tensor([0.1, 0.2, 0.3]);
    const x = t.fixPrecision(P3);
    expect(encoded(x)).toEqual([100, 200, 300]);
    expect(floats(x)).toEqual(f32([0.1, 0.2, 0.3]));
  });
}

test('test_add_method', () => {
  const x = fp([0.1, 0.2, 0.3]);
  const y = x.add(x);
  expect(encoded(y)).toEqual([200, 400, 600]);
  expect(floats(y)).toEqual(f32([0.2, 0.4, 0.6]));
});

for (const method of ['t', 'matmul'] as const) {
  for (const parameter of [false, true]) {
    test(`test_methods_for_linear_module[method=${method}, parameter=${parameter}]`, () => {
      const values = [[1.0, 2], [3, 4]];
      const tensor = parameter ? sy.tensor(values, { requiresGrad: true }).tensor : tf.tensor(values);
      const x = tensor.fixPrecision(P3);
      const [fpResult, result] = method === 't' ? [x.transpose(), tf.transpose(tensor)] : [x.matMul(x), tf.matMul(tensor, tensor)];
      expect(floats(fpResult)).toEqual(Array.from(result.dataSync()));
    });
  }
}

test('test_torch_add', async () => {
  const x = fp([0.1, 0.2, 0.3]);
  const y = sy.add(x, x);
  expect(encoded(y)).toEqual([200, 400, 600]);
  expect(floats(y)).toEqual(f32([0.2, 0.4, 0.6]));
  // With negative numbers
  expect(floats(sy.add(fp([-0.1, -0.2, 0.3]), fp([0.4, -0.5, -0.6])))).toEqual(f32([0.3, -0.7, -0.3]));
  // When overflow occurs: PySyft wraps around its small field; syft-ts refuses with FIXED_PRECISION_OVERFLOW.
  const big = fp([2 ** 61 / 1000]);
  expect(thrown(() => sy.add(big, big)).code).toBe('FIXED_PRECISION_OVERFLOW');
  // with AST
  const t = [1.0, -2.0, 3.0];
  const ys = fp(t).share(bob, alice, { cryptoProvider: james });
  expect(await got(fn('add', ys, fp(t)))).toEqual([2, -4, 6]);
  ys.dispose();
});

test('test_torch_add_', () => {
  const x = fp([0.1, 0.2, 0.3]);
  const y = x.addInPlace(x);
  expect(y).toBe(x);
  expect(encoded(y)).toEqual([200, 400, 600]);
  expect(floats(y)).toEqual(f32([0.2, 0.4, 0.6]));
  // torch's x.add_(lr, x) is x += lr·x.
  const z = fp([0.1, 0.2, 0.3]);
  const lr = fp(0.5);
  z.addInPlace(z.mul(lr));
  expect(encoded(z)).toEqual([150, 300, 450]);
  expect(floats(z)).toEqual(f32([0.15, 0.3, 0.45]));
});

test('test_torch_sub_', () => {
  const x = fp([0.1, 0.2, 0.3]);
  const y = x.subInPlace(x);
  expect(encoded(y)).toEqual([0, 0, 0]);
  expect(floats(y)).toEqual([0, 0, 0]);
  const z = fp([0.1, 0.2, 0.3]);
  z.subInPlace(z.mul(fp(0.5)));
  expect(encoded(z)).toEqual([50, 100, 150]);
  expect(floats(z)).toEqual(f32([0.05, 0.1, 0.15]));
});

test('test_torch_sub', async () => {
  const z = sy.sub(fp([0.5, 0.8, 1.3]), fp([0.1, 0.2, 0.3]));
  expect(encoded(z)).toEqual([400, 600, 1000]);
  expect(floats(z)).toEqual(f32([0.4, 0.6, 1.0]));
  // with AST, both orders
  const [tx, ty] = [[1.0, -2.0, 3.0], [0.1, 0.2, 0.3]];
  const x = fp(tx);
  const y = fp(ty).share(bob, alice, { cryptoProvider: james });
  expect(await got(fn('sub', y, x))).toEqual(f32([0.1 - 1, 0.2 + 2, 0.3 - 3]));
  expect(await got(fn('sub', x, y))).toEqual(f32([1 - 0.1, -2 - 0.2, 3 - 0.3]));
  y.dispose();
});

test('test_torch_mul', async () => {
  // mul with non standard fix precision
  const x = fp([2.113], { base: 10, precisionFractional: 2 });
  const y = sy.mul(x, x);
  expect(encoded(y)).toEqual([445]);
  expect(y.precision.precisionFractional).toBe(2);
  expect(floats(y)).toEqual(f32([4.45]));
  // Mul with negative numbers: floor(2113 · -113 / 1000) = -239 (PySyft's torch division truncated toward zero: -238).
  const z = sy.mul(fp([2.113]), fp([-0.113]));
  expect(z.precision.precisionFractional).toBe(3);
  expect(floats(z)).toEqual(f32([-0.239]));
  // PySyft's field=2**16 has no counterpart (one ring); 11 · 11 at 2 digits
  expect(floats(sy.mul(fp([11.0], { base: 10, precisionFractional: 2 }), fp([11.0], { base: 10, precisionFractional: 2 })))).toEqual([121]);
  // mixing + and *: floor(2113 · -226 / 1000) = -478 (PySyft: -477, truncated toward zero)
  const a = fp([2.113]);
  const b = fp([-0.113]);
  const m = sy.mul(a, b.add(b));
  expect(m.precision.precisionFractional).toBe(3);
  expect(floats(m)).toEqual(f32([-0.478]));
  // with AST
  const [t, u] = [[1.0, -2.0, 3.0], [1.0, -2.0, -3.0]];
  const ys = fp(u).share(bob, alice, { cryptoProvider: james });
  const product = await got(fn('mul', fp(t), ys));
  // A truncated shared product is within one unit.
  product.forEach((v, i) => expect(Math.abs(v - [1, 4, -9][i]!)).toBeLessThanOrEqual(1e-3 + 1e-6));
  ys.dispose();
});

test('test_torch_pow', () => {
  const m = [[1, 2], [3, 4.0]];
  expect(floats(fp(m).pow(3))).toEqual([1, 8, 27, 64]);
  expect(floats(sy.pow(fp(m), 3))).toEqual([1, 8, 27, 64]);
});

test('test_torch_matmul', async () => {
  const m = [[1, 2], [3, 4.0]];
  expect(floats(sy.matMul(fp(m), fp(m)))).toEqual([7, 10, 15, 22]);
  // with AST
  const y = fp(m).share(bob, alice, { cryptoProvider: james });
  const z = await got(fp(m).matMul(y));
  z.forEach((v, i) => expect(Math.abs(v - [7, 10, 15, 22][i]!)).toBeLessThanOrEqual(1e-3 + 1e-6));
  y.dispose();
});

test('test_torch_addmm', () => {
  const weight = sy.tensor([[1.0, 2], [4.0, 2]], { requiresGrad: true }).fixPrecision(P3);
  const inputs = sy.tensor([[1.0, 2]], { requiresGrad: true }).fixPrecision(P3);
  const bias = sy.tensor([1.0, 2], { requiresGrad: true }).fixPrecision(P3);
  // torch.addmm(bias, inputs, weight) = bias + inputs @ weight (bias broadcasts)
  const result = sy.add(bias, sy.matMul(inputs, weight));
  expect(result.shape).toEqual([1, 2]);
  expect(floats(result)).toEqual([10, 8]);
});

test('test_torch_dot', () => {
  const x = fp([1.0, 2.0, 3.0, 4.0, 5.0]);
  const y = fp([3.0, 3.0, 3.0, 3.0, 3.0]);
  const d = sy.dot(x, y);
  expect(d.shape).toEqual([]);
  expect(floats(d)).toEqual([45]);
});

test('test_torch_nn_functional_linear', () => {
  // F.linear(x, w) = x @ w^T
  const linear = (x: sy.FixedPrecisionTensor, w: sy.FixedPrecisionTensor) => sy.matMul(x, w, false, true);
  expect(floats(linear(fp([[1.0, 2], [3, 4]]), fp([[1.0, 2], [3, 4]])))).toEqual([5, 11, 11, 25]);
  expect(floats(linear(fp([[1.0, -2], [3, 4]]), fp([[1.0, 2], [3, 4]])))).toEqual([-3, -5, 11, 25]);
  const P2 = { base: 10, precisionFractional: 2 } as const;
  expect(floats(linear(fp([[1.0, 2], [3, 4]], P2), fp([[1.0, 2], [3, 4]], P2)))).toEqual([5, 11, 11, 25]);
});

test('test_operate_with_integer_constants', () => {
  const x = fp([1.0]);
  expect(floats(x.add(10))).toEqual([11]);
  expect(floats(x.sub(7))).toEqual([-6]);
  expect(floats(x.mul(2))).toEqual([2]);
  expect(floats(x.div(5))).toEqual(f32([0.2]));
});

test('test_fixed_precision_and_sharing', async () => {
  expect(await got(fp([1, 2, 3, 4.0]).share(bob, alice))).toEqual([1, 2, 3, 4]);
  const x = fp([1, 2, 3, 4.0]).share(bob, alice);
  expect(await got(x.add(x))).toEqual([2, 4, 6, 8]);
  x.dispose();
});

test('test_get_preserves_attributes', async () => {
  const x = fp([1, 2, 3, 4.0], { base: 10, precisionFractional: 1 }).share(bob, alice);
  const back = await x.get();
  expect(back.precision).toEqual({ base: 10, precisionFractional: 1 });
  expect(floats(back)).toEqual([1, 2, 3, 4]);
});
