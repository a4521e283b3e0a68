/**
 * The seed lessons "Basic Remote Execution", "Remote Arithmetic" and "Garbage
 * Collection and Common Errors", as assertions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice] = await Promise.all([hook.virtualWorker('bob'), hook.virtualWorker('alice')]);
});
afterAll(() => hook.shutdown());

const values = async (t: sy.LocalTensor) => Array.from(await t.data());

describe('basic remote execution', () => {
  test('send puts the tensor at bob; get brings it home and bob no longer holds it', async () => {
    await bob.clearObjects();
    const x = sy.tensor([1, 2, 3, 4, 5]);
    const xPtr = x.send(bob);
    const before = await bob.objects();
    expect([...before.keys()]).toEqual([xPtr.idAtLocation]);
    expect(before.get(xPtr.idAtLocation)).toMatchObject({ kind: 'tensor', shape: [5], dtype: 'float32', preview: '[1, 2, 3, 4, 5]' });
    const back = await xPtr.get();
    expect(back).toBeInstanceOf(sy.SyftTensor);
    expect(await values(back)).toEqual([1, 2, 3, 4, 5]);
    expect((await bob.objects()).size).toBe(0);
    expect(thrown(() => xPtr.add(1)).code).toBe('POINTER_DISPOSED');
  });

  test('pointer metadata and print form follow PySyft', () => {
    const p = sy.tensor([1]).send(bob);
    expect(p.location).toBe(bob);
    expect(p.owner).toBe(hook.localWorker);
    expect(p.owner.id).toBe('me');
    // PySyft's print form, then what the pointer knows of its tensor (known at send time, no round trip).
    expect(String(p)).toBe(`(Wrapper)>[PointerTensor | me:${p.id} -> bob:${p.idAtLocation}] shape [1] float32`);
    expect([p.shape, p.dtype, p.rank, p.size]).toEqual([[1], 'float32', 1, 1]);
    expect(p.id).not.toBe(p.idAtLocation);
    p.dispose();
  });

  test('tf.Tensor gains send() after hook, and get() returns a tf.Tensor', async () => {
    const p = tf.tensor([[1, 2], [3, 4]], undefined, 'int32').send(bob);
    const t = await p.get();
    expect(t).toBeInstanceOf(tf.Tensor);
    expect(t.dtype).toBe('int32');
    expect(await t.array()).toEqual([[1, 2], [3, 4]]);
  });

  test('the local worker lists its live pointers', async () => {
    const p = sy.tensor([7]).send(bob);
    const mine = await hook.localWorker.objects();
    expect(mine.get(p.id)).toEqual({ id: p.id, kind: 'pointer', location: 'bob', idAtLocation: p.idAtLocation });
    p.dispose();
    expect((await hook.localWorker.objects()).has(p.id)).toBe(false);
  });
});

describe('remote arithmetic', () => {
  test('method and functional forms run at the worker and give the local result', async () => {
    const x = sy.tensor([1, 2, 3, 4, 5]).send(bob);
    const y = sy.tensor([1, 1, 1, 1, 1]).send(bob);
    const z = x.add(y);
    const w = sy.add(z, y);
    const s = sy.sum(w.mul(2));
    expect(await values(await z.get())).toEqual([2, 3, 4, 5, 6]);
    expect(await values(await w.get())).toEqual([3, 4, 5, 6, 7]);
    expect(await values(await s.get())).toEqual([50]);
    x.dispose();
    y.dispose();
  });

  test('functional ops on local tensors run locally and keep the tensor kind', async () => {
    const a = sy.add(tf.tensor([1, 2]), tf.tensor([3, 4]));
    expect(a).toBeInstanceOf(tf.Tensor);
    const b = sy.add(sy.tensor([1, 2]), 1);
    expect(b).toBeInstanceOf(sy.SyftTensor);
    expect(await values(b)).toEqual([2, 3]);
  });

  test('multi-output ops return one pointer per output', async () => {
    const x = sy.tensor([[1, 5], [3, 2]]).send(bob);
    const parts = x.split(2, 1);
    expect(parts).toHaveLength(2);
    expect(await values(await parts[1]!.get())).toEqual([5, 2]);
    const { values: top, indices } = x.topk(1);
    expect(await values(await top.get())).toEqual([5, 3]);
    expect(await values(await indices.get())).toEqual([1, 0]);
    parts[0]!.dispose();
    x.dispose();
  });

  test('commands to one worker run in issue order; two workers run concurrently', async () => {
    // x -> (3x + 1) mod 1009 and x -> 3(x + 1) mod 1009 diverge if any two commands swap.
    let p = sy.tensor([0], { dtype: 'int32' }).send(bob);
    let q = sy.tensor([0], { dtype: 'int32' }).send(alice);
    let ep = 0;
    let eq = 0;
    for (let i = 0; i < 300; i++) {
      const [np, nq] = [p.mul(3).add(1).mod(1009), q.add(1).mul(3).mod(1009)];
      p.dispose();
      q.dispose();
      [p, q] = [np, nq];
      ep = (3 * ep + 1) % 1009;
      eq = (3 * (eq + 1)) % 1009;
    }
    const [pv, qv] = await Promise.all([p.get(), q.get()]);
    expect(await values(pv)).toEqual([ep]);
    expect(await values(qv)).toEqual([eq]);
  });
});

describe('errors thrown at once', () => {
  test('a pointer with a local tensor: TensorsNotCollocatedError with PySyft advice', () => {
    const x = sy.tensor([1, 2]);
    const p = x.send(bob);
    const e1 = thrown(() => p.add(x));
    expect(e1).toBeInstanceOf(sy.TensorsNotCollocatedError);
    expect(e1.code).toBe('TENSORS_NOT_COLLOCATED');
    expect(e1.message).toMatch(/Call \.get\(\) on the PointerTensor or \.send\(bob\) on the other tensor/);
    expect(thrown(() => x.add(p)).code).toBe('TENSORS_NOT_COLLOCATED');
    p.dispose();
  });

  test('pointers at two workers: TensorsNotCollocatedError naming both', () => {
    const a = sy.tensor([1]).send(bob);
    const b = sy.tensor([1]).send(alice);
    const e = thrown(() => sy.add(a, b));
    expect(e).toBeInstanceOf(sy.TensorsNotCollocatedError);
    expect(e.message).toMatch(/<VirtualWorker id:bob> while the other is on <VirtualWorker id:alice>/);
    expect(e.message).toMatch(/\.move\(\), \.get\(\), and\/or \.send\(\)/);
    expect(thrown(() => sy.concat([a, b])).code).toBe('TENSORS_NOT_COLLOCATED');
    a.dispose();
    b.dispose();
  });

  test('use after dispose, unknown op, bad arguments', () => {
    const p = sy.tensor([1]).send(bob);
    p.dispose();
    p.dispose(); // harmless
    expect(thrown(() => p.relu()).code).toBe('POINTER_DISPOSED');
    expect(thrown(() => p.get()).message).toMatch(/was disposed/);
    const q = sy.tensor([1]).send(bob);
    const unknown = thrown(() => q.op('matmul', q));
    expect(unknown).toBeInstanceOf(sy.UnknownOpError);
    expect(unknown.message).toMatch(/Did you mean 'matMul'/);
    expect(thrown(() => sy.op('reluu', q)).message).toMatch(/'relu'/);
    expect(thrown(() => sy.tensor([1]).send('bob' as never)).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => (sy.tensor([1]) as unknown as { send(): unknown }).send()).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => tf.tensor(['a']).send(bob)).code).toBe('UNSUPPORTED_DTYPE');
    q.dispose();
  });

  test('worker ids are validated', async () => {
    expect((await rejection(hook.virtualWorker(42 as never))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(hook.virtualWorker(''))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(hook.virtualWorker('me'))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(hook.virtualWorker('bob'))).code).toBe('DUPLICATE_WORKER');
    expect((await rejection(hook.virtualWorkers(['x1', 'x1']))).code).toBe('DUPLICATE_WORKER');
    expect((await rejection(hook.virtualWorkers(['x2'], { threads: 0 }))).code).toBe('INVALID_ARGUMENT');
    expect(hook.workers.has('x1')).toBe(false);
  });
});

describe('remote failures', () => {
  test('a failing op rejects the dependent await with RemoteError and leaves the worker intact', async () => {
    const keep = sy.tensor([1, 2, 3]).send(bob);
    // Indices out of range: a check on values, which only the worker can run (a shape mismatch throws here, below).
    const idx = tf.tensor1d([0, 7], 'int32').send(bob);
    const bad = keep.gather(idx);
    const dependent = bad.relu().add(1);
    const error = await rejection(dependent.get());
    expect(error).toBeInstanceOf(sy.RemoteError);
    const remote = error as sy.RemoteError;
    expect(remote.worker).toBe('bob');
    expect(remote.op).toBe('gather');
    expect(remote.message).toMatch(/Remote op 'gather' failed on worker 'bob': .*gather/);
    // The worker and its other objects are unharmed.
    expect(await values(await keep.add(1).get())).toEqual([2, 3, 4]);
    expect((await bob.objects()).has(keep.idAtLocation)).toBe(true);
    bad.dispose();
    idx.dispose();
    keep.dispose();
  });

  test('a call the worker would refuse for its shapes throws at once, with the message the worker would give', () => {
    const keep = sy.tensor([1, 2, 3]).send(bob);
    const error = thrown(() => keep.matMul(keep));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe('matMul: input a has shape [3] of rank below 2; reshape vectors to [1, n] or [n, 1], or use dot.');
    keep.dispose();
  });

  test('errors are reported on the event bus', async () => {
    const seen: sy.LifecycleEvent[] = [];
    const sub = hook.events$.subscribe((e) => seen.push(e));
    const x = sy.tensor([1, 2]).send(bob);
    const idx = tf.tensor1d([5], 'int32').send(bob);
    const r = x.gather(idx);
    await rejection(r.get());
    sub.unsubscribe();
    expect(seen.some((e) => e.type === 'error' && e.op === 'gather' && e.worker === 'bob')).toBe(true);
    x.dispose();
    idx.dispose();
  });
});

describe('collection', () => {
  test('dispose, using and tidy delete remote objects; tidy keeps what it returns', async () => {
    await bob.clearObjects();
    const kept = sy.tidy(() => {
      const a = sy.tensor([1, 2]).send(bob);
      const b = a.mul(3);
      return { result: [b.add(1)] };
    });
    {
      using scoped = sy.tensor([5]).send(bob);
      expect(scoped.isDisposed).toBe(false);
    }
    const objects = await bob.objects();
    expect([...objects.keys()]).toEqual([kept.result[0]!.idAtLocation]);
    expect(await values(await kept.result[0]!.get())).toEqual([4, 7]);
    expect((await bob.objects()).size).toBe(0);
  });

  test('nested tidy hands kept pointers to the enclosing scope', async () => {
    await bob.clearObjects();
    sy.tidy(() => {
      const inner = sy.tidy(() => sy.tensor([1]).send(bob).add(1));
      expect(inner.isDisposed).toBe(false);
    });
    expect((await bob.objects()).size).toBe(0);
  });

  test('deletes are never lost at a batch boundary', async () => {
    const frank = await hook.virtualWorker('frank');
    const base = sy.tensor([1]).send(frank);
    // Batches are also sent every 256 commands; walk k across that boundary so a
    // delete lands as the last command of a full batch and more deletes follow it.
    for (let k = 250; k <= 262; k++) {
      await frank.objects(); // an empty queue: the k ops below are commands 1..k
      const made = Array.from({ length: k }, (_, i) => base.add(i));
      for (const p of made) p.dispose();
      expect((await frank.objects()).size).toBe(1);
    }
    base.dispose();
  });

  test('the GC lesson: rebinding one variable to 1000 sends leaves one object at the worker', async () => {
    const carol = await hook.virtualWorker('carol');
    const sent: number[] = [];
    const collected = new Set<number>();
    const sub = hook.events$.subscribe((e) => e.type === 'collected' && e.worker === 'carol' && collected.add(e.id));
    let x = sy.tensor([1, 2, 3, 4, 5]).send(carol);
    for (let i = 0; i < 1000; i++) {
      sent.push(x.idAtLocation);
      x = sy.tensor([1, 2, 3, 4, 5]).send(carol);
    }
    await sy.testing.collectGarbage();
    const objects = await carol.objects();
    sub.unsubscribe();
    expect([...objects.keys()]).toEqual([x.idAtLocation]);
    expect([...collected].sort()).toEqual(sent.sort());
    await sy.testing.assertNoLeaks(hook, { workers: [carol] });
    x.dispose();
  });

  test('the event ledger rebuilds each store exactly', async () => {
    const [dan, erin] = await hook.virtualWorkers(['dan', 'erin'], { threads: 1 });
    const ledger = new sy.testing.EventLedger(hook.events$);
    const a = sy.tensor([1, 2]).send(dan);
    const b = a.add(1);
    const c = sy.tensor([3]).send(erin);
    await b.get();
    const [danObjects, erinObjects] = await Promise.all([dan.objects(), erin.objects()]);
    expect([...ledger.held('dan')]).toEqual([...danObjects.keys()]);
    expect([...ledger.held('erin')]).toEqual([...erinObjects.keys()]);
    expect(ledger.count('stored')).toBe(3);
    expect(ledger.count('fetched')).toBe(1);
    a.dispose();
    c.dispose();
    await sy.testing.assertNoLeaks(hook, { workers: [dan, erin] });
    expect(ledger.held('dan').size).toBe(0);
    expect(ledger.held('erin').size).toBe(0);
    expect(ledger.count('deleted')).toBe(2);
    ledger.stop();
  });

  test('the leak checker finds orphans and dangling pointers', async () => {
    const p = sy.tensor([1]).send(bob);
    await bob.clearObjects(); // p now dangles
    const leaks = await sy.testing.findLeaks(hook);
    expect(leaks).toContainEqual({ worker: 'bob', id: p.idAtLocation, kind: 'dangling' });
    await expect(sy.testing.assertNoLeaks(hook)).rejects.toThrow(sy.testing.LeakError);
    p.dispose();
  });
});
