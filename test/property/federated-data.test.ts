/**
 * Partitions give every sample to exactly one worker, and the federated
 * loader visits every sample exactly once per epoch, for any partition,
 * batch size, order and shuffle; batches are made at their worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['p0', 'p1', 'p2', 'p3'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const partitionArb = (length: number, parts: number): fc.Arbitrary<sy.federated.Partition> =>
  fc.oneof(
    fc.constant('even' as const),
    fc.constant('iid' as const),
    fc.integer({ min: 1, max: 3 }).map((k) => ({ byLabel: { shardsPerWorker: k } })),
    fc.double({ min: 0.05, max: 10, noNaN: true }).map((alpha) => ({ dirichlet: alpha })),
    fc.array(fc.integer({ min: 0, max: parts - 1 }), { minLength: length, maxLength: length }).map((owner) =>
      Array.from({ length: parts }, (_, k) => owner.flatMap((o, i) => (o === k ? [i] : []))),
    ),
  );

test('every partition gives each sample to exactly one worker', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 1, max: 10 }),
      (length, parts, seed, classes) => {
        const labels = Int32Array.from({ length }, (_, i) => (i * 7919 + seed) % classes);
        fc.assert(
          fc.property(partitionArb(length, parts), (partition) => {
            const split = sy.federated.partitionIndices(length, parts, { partition, seed }, () => labels);
            expect(split).toHaveLength(parts);
            expect(split.flat().sort((a, b) => a - b)).toEqual(Array.from({ length }, (_, i) => i));
          }),
          { numRuns: 5 },
        );
      },
    ),
    { numRuns: 60 },
  );
});

test('byLabel gives each worker at most shardsPerWorker + 1 labels per shard edge; dirichlet with a small alpha skews', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
  const byLabel = sy.federated.partitionIndices(1000, 5, { partition: { byLabel: { shardsPerWorker: 2 } }, seed: 1 }, () => labels);
  // 10 shards of 100 sorted samples: each shard is exactly one label.
  for (const part of byLabel) expect(new Set(part.map((i) => labels[i])).size).toBeLessThanOrEqual(2);
  const skewed = sy.federated.partitionIndices(1000, 5, { partition: { dirichlet: 0.1 }, seed: 1 }, () => labels);
  const even = sy.federated.partitionIndices(1000, 5, { partition: { dirichlet: 1000 }, seed: 1 }, () => labels);
  const spread = (parts: number[][]) => Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length));
  expect(spread(skewed)).toBeGreaterThan(spread(even));
});

test('bad partitions are refused with the reason', () => {
  expect(() => sy.federated.partitionIndices(3, 2, { partition: [[0, 1], [1, 2]] })).toThrow(/sample 1 is given to two workers/);
  expect(() => sy.federated.partitionIndices(3, 2, { partition: [[0], [2]] })).toThrow(/sample 1 is given to no worker/);
  expect(() => sy.federated.partitionIndices(3, 2, { partition: [[0, 1, 2]] })).toThrow(/1 index lists for 2 workers/);
  expect(() => sy.federated.partitionIndices(3, 2, { partition: { dirichlet: 0 } })).toThrow(/alpha must be positive/);
});

test('the loader visits every sample exactly once per epoch, at its worker, for any partition and options', async () => {
  await fc.assert(
    fc
      .asyncProperty(
        fc.integer({ min: 1, max: 40 }).chain((length) =>
          fc.record({
            length: fc.constant(length),
            parts: fc.integer({ min: 1, max: 4 }),
            batchSize: fc.integer({ min: 1, max: 12 }),
            shuffle: fc.boolean(),
            dropLast: fc.boolean(),
            order: fc.constantFrom('worker-by-worker' as const, 'interleaved' as const),
            seed: fc.integer({ min: 0, max: 1000 }),
            partition: fc.integer({ min: 1, max: 4 }).chain((parts) => partitionArb(length, parts).map((p) => ({ parts, p }))),
          }),
        ),
        async ({ length, batchSize, shuffle, dropLast, order, seed, partition }) => {
          const parts = partition.parts;
          // Sample i holds the value i; its target 2i: a batch's rows must stay paired.
          const values = Array.from({ length }, (_, i) => i);
          const dataset = new sy.BaseDataset(tf.tensor2d(values, [length, 1]), tf.tensor2d(values.map((v) => 2 * v), [length, 1]));
          const fd = sy.federate(dataset, workers.slice(0, parts), { partition: partition.p, seed });
          const loader = new sy.FederatedDataLoader(fd, { batchSize, shuffle, dropLast, order, seed });
          for (let epoch = 0; epoch < 2; epoch++) {
            const seen: number[] = [];
            let batches = 0;
            for await (const batch of loader) {
              expect(batch.data.location).toBe(batch.worker);
              expect(batch.target.location).toBe(batch.worker);
              expect(batch.rows.length).toBeLessThanOrEqual(batchSize);
              if (dropLast) expect(batch.rows.length).toBe(batchSize);
              const [x, t] = await Promise.all([batch.data.get(), batch.target.get()]);
              const xs = Array.from(x.dataSync());
              expect(Array.from(t.dataSync())).toEqual(xs.map((v) => 2 * v));
              // The worker's rows are the samples it was given.
              const given = fd.get(batch.worker.id).indices!;
              expect(xs).toEqual(batch.rows.map((r) => given[r]));
              seen.push(...xs);
              batches++;
              x.dispose();
              t.dispose();
            }
            expect(batches).toBe(loader.length);
            seen.sort((a, b) => a - b);
            if (dropLast) {
              const expected = fd.list().reduce((n, d) => n + Math.floor(d.length / batchSize) * batchSize, 0);
              expect(seen).toHaveLength(expected);
              expect(new Set(seen).size).toBe(seen.length);
            } else {
              expect(seen).toEqual(values);
            }
          }
          dataset.data.dispose();
          dataset.targets.dispose();
          fd.dispose();
        },
      )
      .afterEach(() => sy.testing.assertNoLeaks(hook)),
    { numRuns: 25 },
  );
});

test('shuffled epochs differ and repeat with the seed', () => {
  const fd = sy.federate(new sy.BaseDataset(tf.zeros([20, 1]), tf.zeros([20, 1])), workers.slice(0, 1));
  const a = new sy.FederatedDataLoader(fd, { batchSize: 5, shuffle: true, seed: 9 });
  const b = new sy.FederatedDataLoader(fd, { batchSize: 5, shuffle: true, seed: 9 });
  expect(a.plan(0)).toEqual(b.plan(0));
  expect(a.plan(0)).not.toEqual(a.plan(1));
  fd.dispose();
});

test('BaseDataset: length, at(i), labels from one-hot or scalar targets, and shape checks', () => {
  const d = new sy.BaseDataset(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor2d([[0, 1], [1, 0], [0, 1]]));
  expect(d.length).toBe(3);
  const { data, target } = d.at(1);
  expect(Array.from(data.dataSync())).toEqual([3, 4]);
  expect(Array.from(target.dataSync())).toEqual([1, 0]);
  expect(Array.from(d.labels())).toEqual([1, 0, 1]);
  expect(Array.from(new sy.BaseDataset(tf.zeros([2, 1]), tf.tensor1d([3, 1])).labels())).toEqual([3, 1]);
  expect(() => d.at(3)).toThrow(/samples 0 to 2/);
  expect(() => new sy.BaseDataset(tf.zeros([2, 1]), tf.zeros([3]))).toThrow(/first \(sample\) axis of the same length/);
});

test("numIterators and iterPerWorker (PySyft's walks): each step holds distinct workers, and no worker's batches are visited more often than there are iterators", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
      fc.boolean(),
      (sizes, batchSize, numIterators, iterPerWorker, shuffle) => {
        let next = 0;
        const parts = sizes.map((n) => Array.from({ length: n }, () => next++));
        const fd = sy.federate(new sy.BaseDataset(tf.zeros([next, 1]), tf.zeros([next, 1])), workers.slice(0, sizes.length), { partition: parts });
        const loader = new sy.FederatedDataLoader(fd, { batchSize, numIterators, iterPerWorker, shuffle, seed: 5 });
        const batchesOf = sizes.map((n) => Math.ceil(n / batchSize));
        const expectedIterators = iterPerWorker ? sizes.length : sizes.length === 1 ? 1 : Math.min(numIterators, sizes.length - 1);
        expect(loader.numIterators).toBe(expectedIterators);
        const steps = loader.steps(0);
        const visits = new Map<string, number>();
        for (const step of steps) {
          expect(step).toHaveLength(expectedIterators);
          expect(new Set(step.map((b) => b.worker)).size).toBe(step.length);
          for (const b of step) visits.set(b.worker, (visits.get(b.worker) ?? 0) + 1);
        }
        workers.slice(0, sizes.length).forEach((w, k) => expect(visits.get(w.id) ?? 0).toBeLessThanOrEqual(expectedIterators * batchesOf[k]!));
        if (iterPerWorker) expect(steps).toHaveLength(Math.min(...batchesOf));
        // One iterator is PySyft's plain loader: every batch of every worker, once, worker by worker.
        if (expectedIterators === 1 && !iterPerWorker) {
          expect(steps).toHaveLength(loader.length);
          expect(steps.map((s) => s[0]!.worker)).toEqual(workers.slice(0, sizes.length).flatMap((w, k) => Array(batchesOf[k]).fill(w.id)));
        }
        // With numIterators, the pass is at most numIterators epochs of batches.
        expect(steps.length * expectedIterators).toBeLessThanOrEqual(expectedIterators * loader.length);
        fd.dispose();
      },
    ),
    { numRuns: 40 },
  );
});
