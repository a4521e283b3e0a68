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

/** Gradients whose kernels the wasm backend of tfjs 4.22 does not have (Conv2DBackpropFilter, UnsortedSegmentSum). */
const NO_WASM_GRADIENT_KERNEL = ['conv2d', 'gather'];
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

test('on wasm, backward() through conv2d and gather fails with the missing kernel named', async () => {
  if (hook.backend !== 'wasm') return;
  const x = sy.tensor(tf.ones([1, 3, 3, 1]), { requiresGrad: true });
  const f = sy.tensor(tf.ones([2, 2, 1, 1]), { requiresGrad: true });
  expect(() => sy.sum(sy.conv2d(x, f, 1, 'valid')).backward()).toThrow(/Conv2DBackprop\w+' not registered for backend 'wasm'/);
  const table = sy.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  expect(() => sy.sum(sy.gather(table, tf.tensor1d([1], 'int32'))).backward()).toThrow(/UnsortedSegmentSum' not registered/);
});

test.each(TESTED)('local backward() through %s equals tf.grads', async (op) => {
  const c = CASES[op]!;
  await fc.assert(
    fc.asyncProperty(c.inputs, async (inputs) => {
      const attrs = c.attrs?.(inputs) ?? [];
      const list = c.list ?? false;
      const weights = weightsFor(op, inputs, attrs, list);
      const expected = reference(op, inputs, attrs, list, weights);
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
      const attrs = c.attrs?.(inputs) ?? [];
      const list = c.list ?? false;
      const weights = weightsFor(op, inputs, attrs, list);
      const expected = reference(op, inputs, attrs, list, weights);
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
