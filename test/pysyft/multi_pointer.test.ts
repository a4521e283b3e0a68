/**
 * PySyft v0.2.9 test/generic/pointers/test_multi_pointer.py, ported case by case.
 *
 * Left out:
 * - test_simplify: syft-ts serializes protocol messages only (src/transport/codec.ts);
 *   a MultiPointerTensor never travels, so there is no serde of it to round-trip.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let alice: sy.VirtualWorker;
let bob: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const values = async (t: unknown): Promise<number[]> => Array.from(await (t instanceof sy.SyftTensor ? t.tensor : (t as tf.Tensor)).data());

test('test_multi_pointers', async () => {
  const a = sy.tensor([1, 2, 3, 4, 5]).send(bob, alice);

  let b = a.add(a);
  const c = await b.get({ sumResults: true });
  expect(await values(c)).toEqual([4, 8, 12, 16, 20]);

  b = a.add(a);
  let parts = (await b.get({ sumResults: false })) as unknown[];
  expect(parts).toHaveLength(2);
  expect(await values(parts[0])).toEqual([2, 4, 6, 8, 10]);

  // test default sum pointer state
  b = a.add(a);
  parts = await b.get();
  expect(parts).toHaveLength(2);
  expect(await values(parts[0])).toEqual([2, 4, 6, 8, 10]);
});

test('test_dim', () => {
  const a = sy.tensor([1, 2, 3, 4, 5]).send(bob, alice);
  // PySyft's a.dim() is tfjs's rank, known here without asking either worker
  expect(a.rank).toBe(1);
  a.dispose();
});

describe('syft-ts multi-pointer metadata beyond PySyft', () => {
  test('shape and dtype hold where every branch agrees, through ops', () => {
    const a = tf.zeros([2, 3], 'int32').send(bob, alice);
    expect([a.shape, a.dtype, a.size]).toEqual([[2, 3], 'int32', 6]);
    const s = a.sum(0);
    expect([s.shape, s.dtype]).toEqual([[3], 'int32']);
    a.dispose();
    s.dispose();
  });

  test('branches of different shapes have no common shape', () => {
    const m = sy.combinePointers(sy.tensor([1, 2]).send(bob), sy.tensor([1, 2, 3]).send(alice));
    expect([m.shape, m.dtype, m.rank, m.size]).toEqual([undefined, undefined, undefined, undefined]);
    // each branch still knows its own
    expect(m.children.map((c) => c.shape)).toEqual([[2], [3]]);
    m.dispose();
  });

  test('a call one branch would refuse throws at once and queues nothing at the other', async () => {
    const before = [...(await bob.objects()).keys()];
    const m = sy.combinePointers(sy.tensor([1, 2]).send(bob), sy.tensor([1, 2, 3]).send(alice));
    const error = thrown(() => m.reshape([2]));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^reshape: /);
    // bob would have run it; it holds only its branch besides what it held before.
    expect([...(await bob.objects()).keys()]).toEqual([...before, m.child('bob')!.idAtLocation]);
    m.dispose();
  });
});
