/**
 * Backpressure: the caller never runs more than a bound ahead of a worker
 * thread. Synchronous loops of pipelined ops, moves between workers and
 * chains keep their results under a tiny bound (no deadlock when a worker
 * waits for another), and hook.drain() is the asynchronous form.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';

async function withHook<T>(backpressure: { commands: number; bytes?: number }, fn: (hook: sy.Hook, workers: sy.VirtualWorker[]) => Promise<T>): Promise<T> {
  const hook = await sy.hook(tf, { backpressure });
  try {
    return await fn(hook, await hook.virtualWorkers(['bob', 'alice', 'carol'], { threads: 2 }));
  } finally {
    await hook.shutdown();
  }
}

describe('backpressure', () => {
  test('a synchronous loop of 20,000 pipelined ops stays within the bound and computes the same value', async () => {
    await withHook({ commands: 512 }, async (hook, [bob]) => {
      let x = sy.tensor([1, 2, 3]).send(bob!);
      for (let i = 0; i < 20_000; i++) {
        const next = x.add(1);
        x.dispose();
        x = next;
      }
      expect(Array.from((await x.get()).dataSync())).toEqual([20_001, 20_002, 20_003]);
      const stats = hook.transportStats();
      expect(stats.backpressureWaits).toBeGreaterThan(0);
      // The bound, give or take one flush's deletes (the disposed pointers' objects).
      expect(stats.maxUnfinished).toBeLessThanOrEqual(512 + 256);
    });
  });

  test('tensor bytes are bounded too: sends of 1 MB tensors wait for the worker past the byte bound', async () => {
    await withHook({ commands: 1_000_000, bytes: 4 * 2 ** 20 }, async (hook, [bob]) => {
      const sent = Array.from({ length: 24 }, (_, k) => sy.tensor(tf.fill([256, 1024], k)).send(bob!));
      const sums = await Promise.all(sent.map((p) => p.sum().get()));
      expect(sums.map((s) => s.dataSync()[0])).toEqual(sent.map((_, k) => k * 256 * 1024));
      expect(hook.transportStats().backpressureWaits).toBeGreaterThan(0);
      for (const p of sent) p.dispose();
    });
  });

  test('random programs of ops, moves and chains across workers give the same values under a bound of 4 as unbounded', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), value: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant('move' as const), to: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('mul' as const), value: fc.integer({ min: -2, max: 2 }) }),
    );
    await withHook({ commands: 4 }, async (hook, workers) => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (program) => {
          let x = sy.tensor([1, -2]).send(workers[0]!);
          let expected = [1, -2];
          for (const s of program) {
            if (s.kind === 'move') {
              x.move(workers[s.to]!);
              continue;
            }
            const next = s.kind === 'add' ? x.add(s.value) : x.mul(s.value);
            x.dispose();
            x = next;
            expected = expected.map((v) => (s.kind === 'add' ? v + s.value : v * s.value));
          }
          expect(Array.from((await x.get()).dataSync())).toEqual(expected);
        }),
        { numRuns: 25 },
      );
      expect(hook.transportStats().backpressureWaits).toBeGreaterThan(0);
      await sy.testing.assertNoLeaks(hook);
    });
  });

  test('hook.drain() resolves once every thread finished what it was sent', async () => {
    await withHook({ commands: 1_000_000 }, async (hook, [bob, alice]) => {
      const x = sy.tensor([0]).send(bob!);
      const y = sy.tensor([0]).send(alice!);
      for (let i = 0; i < 5_000; i++) {
        x.add(1);
        y.add(1);
      }
      await hook.drain();
      expect(Array.from((await x.get()).dataSync())).toEqual([0]);
      expect(Array.from((await y.get()).dataSync())).toEqual([0]);
    });
  });

  test('bad bounds are refused with a coded error', async () => {
    await expect(sy.hook(tf, { backpressure: { commands: 0 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(sy.hook(tf, { waitTimeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
