/**
 * Remote results equal local tfjs results, op by op, on random inputs: every
 * case runs the op through a pointer at a worker and through tfjs in this
 * thread, and compares dtype, shape and every value.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { CASES } from '../support/op-cases.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  bob = await hook.virtualWorker('bob');
});
afterAll(() => hook.shutdown());

function flatten(result: unknown): tf.Tensor[] {
  if (result instanceof tf.Tensor) return [result];
  if (Array.isArray(result)) return result as tf.Tensor[];
  return Object.values(result as Record<string, tf.Tensor>);
}

function expectSame(remote: tf.Tensor, local: tf.Tensor, op: string): void {
  expect(remote.dtype, op).toBe(local.dtype);
  expect(remote.shape, op).toEqual(local.shape);
  const [r, l] = [remote.dataSync(), local.dataSync()];
  for (let i = 0; i < l.length; i++) {
    // Both sides run the same backend: the same bits, NaN included.
    if (!Object.is(r[i], l[i])) expect(r[i], `${op}[${i}]`).toBe(l[i]);
  }
}

test.each(Object.keys(CASES))('remote %s equals local tfjs on random inputs', async (op) => {
  const c = CASES[op]!;
  await fc.assert(
    fc.asyncProperty(c.inputs, fc.boolean(), async (inputs, functional) => {
      const attrs = c.attrs?.(inputs) ?? [];
      const pointers = inputs.map((t) => t.send(bob));
      const local = flatten((tf as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(...(c.list ? [inputs] : inputs), ...attrs));
      const args = c.list ? [pointers, ...attrs] : [...pointers, ...attrs];
      const remoteResult = functional ? sy.op(op, ...args) : c.list ? pointers[0]!.op(op, pointers.slice(1), ...attrs) : pointers[0]!.op(op, ...pointers.slice(1), ...attrs);
      const remote = await Promise.all(flatten(remoteResult).map((p) => (p as unknown as sy.PointerTensor<tf.Tensor>).get()));
      remote.forEach((r, i) => expectSame(r, local[i]!, op));
      for (const p of pointers) p.dispose();
      tf.dispose([...inputs, ...local, ...remote]);
    }),
    { numRuns: 6 },
  );
});

test('at least 100 registry ops are covered, and every case names a registry op', () => {
  const covered = Object.keys(CASES);
  expect(covered.every((op) => (sy.opNames() as readonly string[]).includes(op))).toBe(true);
  expect(covered.length).toBeGreaterThanOrEqual(100);
});

test('a pipelined chain of ops gives the local result', async () => {
  const x = tf.tensor2d([[1, -2], [3, 4]]);
  // tfjs-core alone has no chained methods on tf.Tensor: the functional forms here.
  const local = tf.tidy(() => tf.sum(tf.softmax(tf.mul(tf.add(tf.matMul(tf.relu(x), x), 1), 0.5)), 1));
  const p = x.send(bob);
  const remote = await sy.sum(sy.softmax(sy.matMul(p.relu(), p).add(1).mul(0.5)), 1).get();
  expectSame(remote, local, 'chain');
  p.dispose();
});

test('every registry op is exported as sy.<name> and exists in tfjs-core', () => {
  for (const op of sy.opNames()) {
    expect(typeof (sy as unknown as Record<string, unknown>)[op], op).toBe('function');
    expect(typeof (tf as unknown as Record<string, unknown>)[op], op).toBe('function');
  }
});
