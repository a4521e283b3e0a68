/**
 * A worker that dies never hangs the rest. For chains, moves, Beaver
 * products, secure aggregation, FedAvg and trainOn, fast-check picks which
 * worker dies and when (a delay after the work was issued); every await that
 * depends on it must settle within 2 s of the crash, with the right value (the
 * work finished first) or WORKER_CRASHED, and the survivors must keep working
 * and hold nothing stale once their handles are disposed. A script that never
 * calls shutdown() still exits.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';

const SETTLE_MS = 2_000;
// FAULT_RUNS lengthens the soak (each run starts a fresh runtime).
// npm test must stay under 10 minutes: 2 runs a protocol on threads, 1 with workers in processes (the suite's second
// pass, where a crash is a kill -9 of a process; each run starts its processes afresh); FAULT_RUNS=50 for a soak.
const RUNS = Number(process.env.FAULT_RUNS ?? (process.env.SYFT_HOSTS === 'processes' ? 1 : 2));

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** How `promise` settled, failing the test if it is still pending SETTLE_MS after the crash. */
async function settled<T>(promise: Promise<T>, crashed: Promise<number>): Promise<Outcome<T>> {
  const outcome = promise.then(
    (value): Outcome<T> => ({ ok: true, value }),
    (error: unknown): Outcome<T> => ({ ok: false, error }),
  );
  const at = await crashed;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending ${SETTLE_MS} ms after the crash: something waits for a dead worker`)), Math.max(0, at + SETTLE_MS - Date.now()));
  });
  try {
    return await Promise.race([outcome, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work()` as a promise: an op on a pointer to a dead worker throws at once, which is a settlement too. */
function attempt<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The value, or the proof that the loss of a worker is what stopped it. */
function valueOrCrash<T>(outcome: Outcome<T>): T | undefined {
  if (outcome.ok) return outcome.value;
  expect(sy.isSyftError(outcome.error) ? outcome.error.code : String(outcome.error)).toBe('WORKER_CRASHED');
  return undefined;
}

/** Crashes `victim` after `delayMs`; resolves with the time the crash completed. */
function crashLater(victim: sy.VirtualWorker, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    setTimeout(() => sy.testing.crash(victim).then(() => resolve(Date.now()), reject), delayMs);
  });
}

/** Each survivor still computes, and once every handle is disposed holds nothing: no object, no wait, no opening. */
async function survivorsAreClean(hook: sy.Hook, survivors: readonly sy.VirtualWorker[]): Promise<void> {
  for (const w of survivors) {
    expect(Array.from((await tf.tensor([1, 2]).send(w).mul(3).get()).dataSync())).toEqual([3, 6]);
  }
  await sy.testing.collectGarbage();
  await sy.testing.assertNoLeaks(hook);
  for (const w of survivors) {
    const stats = await w.stats();
    expect([w.id, stats.objects, stats.pending, stats.openings, stats.retainedForBackward]).toEqual([w.id, 0, 0, 0, 0]);
  }
}

/** One fresh runtime per run: each worker on its own thread, so a crash kills exactly one. */
async function withWorkers<T>(ids: readonly string[], fn: (hook: sy.Hook, workers: sy.VirtualWorker[]) => Promise<T>): Promise<T> {
  const hook = await sy.hook(tf);
  try {
    const workers = await hook.virtualWorkers(ids, { threads: ids.length });
    return await fn(hook, workers);
  } finally {
    await hook.shutdown();
  }
}

const delay = fc.integer({ min: 0, max: 60 });

describe('a worker that dies mid-protocol', () => {
  test('chains: an op on a chain whose link or data holder dies settles, and the rest keep working', async () => {
    await fc.assert(
      fc.asyncProperty(delay, fc.integer({ min: 0, max: 1 }), async (ms, v) => {
        await withWorkers(['bob', 'alice', 'carol'], async (hook, [bob, alice, carol]) => {
          const victim = [bob!, alice!][v]!;
          const chain = sy.tensor([1, 2, 3]).send(bob!).send(alice!);
          const results = Array.from({ length: 5 }, (_, k) => chain.add(k).mul(2));
          const crashed = crashLater(victim, ms);
          for (const [k, r] of results.entries()) {
            // get() on a chain brings home the link (a pointer to bob); its get() the values.
            const got = valueOrCrash(await settled(attempt(() => r.get().then((link) => link.get())), crashed));
            if (got !== undefined) expect(Array.from(got.dataSync())).toEqual([1, 2, 3].map((x) => (x + k) * 2));
          }
          expect(valueOrCrash(await settled(hook.settle(), crashed))).toBeUndefined();
          chain.dispose();
          await survivorsAreClean(hook, [bob!, alice!, carol!].filter((w) => w !== victim));
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('moves: a move whose source or target dies settles at both ends', async () => {
    await fc.assert(
      fc.asyncProperty(delay, fc.integer({ min: 0, max: 1 }), async (ms, v) => {
        await withWorkers(['bob', 'carol', 'dave'], async (hook, [bob, carol, dave]) => {
          const victim = [bob!, carol!][v]!;
          const moved = Array.from({ length: 4 }, (_, k) => sy.tensor(tf.fill([256, 256], k)).send(bob!).move(carol!));
          const crashed = crashLater(victim, ms);
          for (const [k, m] of moved.entries()) {
            const got = valueOrCrash(await settled(attempt(() => m.sum().get()), crashed));
            if (got !== undefined) expect(got.dataSync()[0]).toBe(k * 256 * 256);
          }
          for (const m of moved) m.dispose();
          await survivorsAreClean(hook, [bob!, carol!, dave!].filter((w) => w !== victim));
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('Beaver products: a party or the crypto provider dies; every product settles', async () => {
    await fc.assert(
      fc.asyncProperty(delay, fc.integer({ min: 0, max: 2 }), async (ms, v) => {
        await withWorkers(['alice', 'carol', 'james', 'dave'], async (hook, [alice, carol, james, dave]) => {
          const victim = [alice!, carol!, james!][v]!;
          const x = sy.fixPrecision([1.5, -2, 3]).share(alice!, carol!, { cryptoProvider: james! });
          const products = [x.mul(x), x.mul(x).mul(x), x.reshape([1, 3]).matMul(x.reshape([3, 1]))];
          const expected = [[2.25, 4, 9], [3.375, -8, 27], [15.25]];
          const crashed = crashLater(victim, ms);
          for (const [k, p] of products.entries()) {
            const got = valueOrCrash(await settled(attempt(() => p.get()), crashed));
            if (got !== undefined) got.toFloat64().forEach((value, i) => expect(value).toBeCloseTo(expected[k]![i]!, 3));
          }
          for (const t of [x, ...products]) t.dispose();
          await survivorsAreClean(hook, [alice!, carol!, james!, dave!].filter((w) => w !== victim));
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('secure aggregation: a party dies; the sum settles', async () => {
    await fc.assert(
      fc.asyncProperty(delay, fc.integer({ min: 0, max: 2 }), async (ms, v) => {
        await withWorkers(['w0', 'w1', 'w2'], async (hook, workers) => {
          const victim = workers[v]!;
          const updates = workers.map((w, k) => [sy.tensor([k, k + 1]).send(w)]);
          const sum = sy.federated.secureAggregate(updates, workers);
          const crashed = crashLater(victim, ms);
          const got = valueOrCrash(await settled(sum, crashed));
          if (got !== undefined) expect(Array.from(got[0]!.dataSync())).toEqual([3, 6]);
          for (const [u] of updates) u!.dispose();
          await survivorsAreClean(hook, workers.filter((w) => w !== victim));
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('trainOn: the worker training a model dies; the job settles', async () => {
    await fc.assert(
      fc.asyncProperty(delay, async (ms) => {
        await withWorkers(['bob', 'alice'], async (hook, [bob, alice]) => {
          const model = sy.nn.linear(4, 1).send(bob!);
          const [x, y] = [sy.tensor(tf.randomNormal([64, 4], 0, 1, 'float32', 3)).send(bob!), sy.tensor(tf.zeros([64, 1])).send(bob!)];
          const job = model.trainOn(x, y, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 200 });
          const crashed = crashLater(bob!, ms);
          const losses = valueOrCrash(await settled(job, crashed));
          if (losses !== undefined) expect(losses).toHaveLength(200);
          for (const t of [x, y]) t.dispose();
          for (const p of model.parameters()) if (!p.isDisposed) p.dispose();
          await survivorsAreClean(hook, [alice!]);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('FedAvg: a client dies mid-round; the run settles, and rounds after the crash leave it out', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 }), async (ms, v) => {
        await withWorkers(['c0', 'c1', 'c2'], async (hook, workers) => {
          const victim = workers[v]!;
          const x = tf.randomNormal([90, 3], 0, 1, 'float32', 5);
          const y = x.sum(1, true);
          const fd = sy.federate(new sy.BaseDataset(x, y), workers);
          const run = sy.federated.fedAvg(sy.nn.linear(3, 1), fd, { rounds: 4, localEpochs: 20, loss: 'mse', optimizer: { kind: 'sgd', lr: 0.05 } });
          const crashed = crashLater(victim, ms);
          const result = valueOrCrash(await settled(run, crashed));
          if (result !== undefined) {
            for (const p of result.model.parameters()) expect(Array.from((p as sy.SyftTensor).dataSync()).every(Number.isFinite)).toBe(true);
            // Once a round has excluded the victim, every later round does too.
            const first = result.rounds.findIndex((r) => r.excluded.some((e) => e.worker === victim.id));
            if (first >= 0) for (const r of result.rounds.slice(first)) expect(r.participants).not.toContain(victim.id);
          }
          fd.dispose();
          await survivorsAreClean(hook, workers.filter((w) => w !== victim));
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('a straggler (sy.testing.slow) delays its answers without blocking the other workers', async () => {
    await withWorkers(['slowpoke', 'quick'], async (_, [slowpoke, quick]) => {
      await sy.testing.slow(slowpoke!, 400);
      const started = Date.now();
      const late = tf.tensor([1]).send(slowpoke!).add(1).get();
      expect(Array.from((await tf.tensor([1]).send(quick!).add(2).get()).dataSync())).toEqual([3]);
      expect(Date.now() - started).toBeLessThan(400);
      expect(Array.from((await late).dataSync())).toEqual([2]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      await sy.testing.slow(slowpoke!, 0);
    });
  });

  test('an object announced from a live worker that never sends it fails with WORKER_TIMEOUT after waitTimeoutMs', async () => {
    const hook = await sy.hook(tf, { waitTimeoutMs: 300 });
    try {
      const [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 1 });
      // A hand-made expect with no move behind it: the wait is bounded.
      bob!.post({ type: 'expect', id: 999, from: alice!.address });
      const reads = bob!.request({ type: 'fetch', id: 999, keep: false });
      const error = await reads.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(sy.isSyftError(error) ? error.code : error).toBe('WORKER_TIMEOUT');
      expect((await bob!.stats()).pending).toBe(0);
    } finally {
      await hook.shutdown();
    }
  });
});

describe('a script', () => {
  const script = fileURLToPath(new URL('../support/crash-script.ts', import.meta.url));
  const run = (mode: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SYFT_BACKEND: 'wasm' } });

  test.each(['no-shutdown', 'shutdown-after-party-died'])('%s: exits with code 0 on its own once its code is done', (mode) => {
    const result = run(mode);
    expect({ status: result.status, signal: result.signal, stderr: result.stderr.slice(0, 2000) }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(result.stdout).toContain('rejected WORKER_CRASHED');
  });
});
