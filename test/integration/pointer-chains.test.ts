/**
 * The seed lessons "Playing with Remote Tensors", "Advanced Remote Execution
 * Tools" and "Pointer Chain Operations", as assertions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;
let jon: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice, jon] = await hook.virtualWorkers(['bob', 'alice', 'jon'], { threads: 3 });
});
afterAll(() => hook.shutdown());

const values = async (t: unknown) => Array.from(await (t as tf.Tensor).data());
const held = async (w: sy.VirtualWorker) => [...(await w.objects()).values()];

describe('multi-pointers', () => {
  // Workers of their own: these tests leave intermediates for the GC to collect.
  let bob: sy.VirtualWorker;
  let alice: sy.VirtualWorker;
  let jon: sy.VirtualWorker;
  beforeAll(async () => {
    [bob, alice, jon] = await hook.virtualWorkers(['m-bob', 'm-alice', 'm-jon'], { threads: 2 });
  });

  test('x.send(bob, alice): ops on every branch, get in worker order or summed', async () => {
    const x = sy.tensor([1, 2, 3, 4, 5]).send(bob, alice);
    expect(x).toBeInstanceOf(sy.MultiPointerTensor);
    expect(x.workers).toEqual(['m-bob', 'm-alice']);
    expect(String(x)).toMatch(/^\(Wrapper\)>\[MultiPointerTensor\]\n\t-> \(Wrapper\)>\[PointerTensor \| me:\d+ -> m-bob:\d+\] shape \[5\] float32\n\t-> .*m-alice/);
    const y = x.add(x).mul(2);
    const parts = await y.get();
    expect(await Promise.all(parts.map(values))).toEqual([[4, 8, 12, 16, 20], [4, 8, 12, 16, 20]]);
    expect(await values(await x.get({ sumResults: true }))).toEqual([2, 4, 6, 8, 10]);
    expect(x.isDisposed).toBe(true);
  });

  test('combinePointers, and mismatched workers are refused at once', async () => {
    const a = sy.tensor([1]).send(bob);
    const b = sy.tensor([2]).send(alice);
    const m = sy.combinePointers(a, b);
    const other = sy.tensor([1]).send(bob, jon);
    expect(thrown(() => m.add(other)).code).toBe('TENSORS_NOT_COLLOCATED');
    expect(thrown(() => sy.combinePointers(a, sy.tensor([3]).send(bob))).code).toBe('INVALID_ARGUMENT');
    expect(await values(await m.add(1).get({ sumResults: true }))).toEqual([5]);
    m.dispose();
    other.dispose();
  });

  test('tidy keeps a returned multi-pointer with its branches', async () => {
    await sy.testing.collectGarbage();
    const before = (await bob.objects()).size;
    const kept = sy.tidy(() => sy.tensor([1, 2]).send(bob, alice).mul(3));
    expect((await bob.objects()).size).toBe(before + 1);
    expect(await Promise.all((await kept.get()).map(values))).toEqual([[3, 6], [3, 6]]);
  });
});

describe('pointer chains', () => {
  test('x.send(bob).send(alice): data at bob, a pointer at alice', async () => {
    const x = sy.tensor([1, 2, 3, 4, 5]).send(bob).send(alice);
    expect(x.location).toBe(alice);
    expect(x.dataLocation).toBe(bob);
    const [bobs, alices] = [await held(bob), await held(alice)];
    expect(bobs).toHaveLength(1);
    expect(bobs[0]).toMatchObject({ kind: 'tensor', shape: [5], preview: '[1, 2, 3, 4, 5]' });
    expect(alices).toEqual([{ id: x.idAtLocation, kind: 'pointer', location: 'bob', idAtLocation: bobs[0]!.id }]);
    x.dispose(); // the head's disposal deletes the whole chain
    expect([await held(bob), await held(alice)]).toEqual([[], []]);
  });

  test('ops on a chain run where the data is and give a chained result', async () => {
    const x = sy.tensor([1, 2, 3, 4, 5]).send(bob).send(alice);
    const y = sy.tensor([1, 1, 1, 1, 1]).send(bob).send(alice);
    const z = x.add(y);
    expect(z.location).toBe(alice);
    expect(z.dataLocation).toBe(bob);
    expect((await alice.objects()).get(z.idAtLocation)).toMatchObject({ kind: 'pointer', location: 'bob' });
    const zAtBob = await z.get(); // one hop removed: a pointer to bob's result
    expect(zAtBob).toBeInstanceOf(sy.PointerTensor);
    expect((zAtBob as sy.PointerTensor).location).toBe(bob);
    expect((await alice.objects()).has(z.idAtLocation)).toBe(false);
    expect(await values(await (zAtBob as sy.PointerTensor).get())).toEqual([2, 3, 4, 5, 6]);
    x.dispose();
    y.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('remoteGet pulls the data to the head; move sends it anywhere and updates the pointer', async () => {
    const x = sy.tensor([7, 8]).send(bob).send(alice);
    expect(x.remoteGet()).toBe(x);
    expect(x.location).toBe(alice);
    expect(x.dataLocation).toBe(alice);
    expect(await held(bob)).toEqual([]);
    expect((await alice.objects()).get(x.idAtLocation)).toMatchObject({ kind: 'tensor', preview: '[7, 8]' });
    expect(x.move(jon)).toBe(x);
    expect(x.location).toBe(jon);
    expect(await held(alice)).toEqual([]);
    expect(await values(await x.get())).toEqual([7, 8]);
    // a chain moves straight from where the data is
    const y = sy.tensor([9]).send(bob).send(alice).move(jon);
    expect([await held(bob), await held(alice)]).toEqual([[], []]);
    expect(await values(await y.get())).toEqual([9]);
    expect(thrown(() => sy.tensor([1]).send(bob).remoteGet()).code).toBe('INVALID_ARGUMENT');
    await sy.testing.assertNoLeaks(hook);
  });

  test('a sent-on pointer is spent: the chain owns the object', () => {
    const p = sy.tensor([1]).send(bob);
    const chain = p.send(alice);
    expect(thrown(() => p.add(1)).message).toMatch(/was sent on/);
    expect(thrown(() => chain.send(alice)).code).toBe('INVALID_ARGUMENT');
    chain.dispose();
  });

  test('chains whose data or heads differ are not collocated (x via alice to bob, y via jon to bob)', () => {
    const x = sy.tensor([1]).send(bob).send(alice);
    const y = sy.tensor([1]).send(bob).send(jon);
    const e = thrown(() => x.add(y));
    expect(e).toBeInstanceOf(sy.TensorsNotCollocatedError);
    expect(e.message).toMatch(/<VirtualWorker id:bob> \(via alice\) while the other is on <VirtualWorker id:bob> \(via jon\)/);
    const z = sy.tensor([1]).send(jon).send(alice); // same head, data elsewhere
    expect(thrown(() => x.add(z)).message).toMatch(/id:bob> \(via alice\) while the other is on <VirtualWorker id:jon> \(via alice\)/);
    for (const p of [x, y, z]) p.dispose();
  });

  test('a failure down the chain reaches whoever reads the result', async () => {
    const x = sy.tensor([1, 2, 3]).send(bob).send(alice);
    // Indices out of range: only the worker that holds them can tell.
    const idx = tf.tensor1d([9], 'int32').send(bob).send(alice);
    const bad = x.gather(idx);
    const atBob = (await bad.get()) as sy.PointerTensor;
    await expect(atBob.get()).rejects.toThrow(/Remote op 'gather' failed on worker 'bob'/);
    x.dispose();
    idx.dispose();
  });
});

describe('workers talk to each other directly', () => {
  test('moving 16 MB from bob to alice sends no tensor bytes through the main thread', async () => {
    const big = tf.randomUniform([4 * 1024 * 1024]);
    const p = big.send(bob);
    await hook.settle();
    const before = hook.transportStats();
    const moved = new Promise<sy.LifecycleEvent>((resolve) => {
      const sub = hook.events$.subscribe((e) => {
        if (e.type === 'moved') {
          sub.unsubscribe();
          resolve(e);
        }
      });
    });
    p.move(alice);
    await hook.settle();
    const after = hook.transportStats();
    expect(await moved).toMatchObject({ type: 'moved', worker: 'bob', to: 'alice', bytes: 16 * 1024 * 1024 });
    expect(after.tensorBytesOut - before.tensorBytesOut).toBe(0);
    expect(after.tensorBytesIn - before.tensorBytesIn).toBe(0);
    const back = await p.get();
    expect(sy.testing.sameValues(back.dataSync(), big.dataSync())).toBe(true);
  });
});
