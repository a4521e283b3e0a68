/**
 * PySyft v0.2.9 test/torch/federated/test_dataloader.py, ported case by case.
 *
 * syft-ts differs on purpose: the loader is iterated with `for await`; each
 * step is a FederatedStep whose `batches` map is PySyft's dict of batches,
 * keyed by worker id rather than by the worker object; len(loader) is
 * `loader.length`; keyword options are camelCase (batch_size → batchSize,
 * drop_last → dropLast, num_iterators → numIterators, iter_per_worker →
 * iterPerWorker).
 *
 * Left out: nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;
let james: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice, james] = await hook.virtualWorkers(['bob', 'alice', 'james']);
});
afterAll(() => hook.shutdown());

const dataset = (values: number[]) => new sy.BaseDataset(tf.tensor1d(values), tf.tensor1d(values));
/** Releases a step's batches (their pointers own the gathered rows at the workers). */
const release = (step: sy.federated.FederatedStep) => {
  for (const b of step.batches.values()) {
    b.data.dispose();
    b.target.dispose();
  }
};

describe('test_dataloader.py', () => {
  test('test_federated_dataloader', async () => {
    const datasets = [dataset([1, 2]).send(bob), dataset([3, 4, 5, 6]).send(alice)];
    const fedDataset = new sy.FederatedDataset(datasets);

    let fdataloader = new sy.FederatedDataLoader(fedDataset, { batchSize: 2 });
    let counter = 0;
    for await (const step of fdataloader) {
      counter++;
      release(step);
    }
    expect(counter).toBe(fdataloader.length);
    expect(counter).toBe(3);

    fdataloader = new sy.FederatedDataLoader(fedDataset, { batchSize: 2, dropLast: true });
    counter = 0;
    for await (const step of fdataloader) {
      counter++;
      release(step);
    }
    expect(counter).toBe(fdataloader.length);
    // And with a batch size that leaves a smaller last batch at alice, dropLast leaves it out.
    const odd = new sy.FederatedDataLoader(fedDataset, { batchSize: 3, dropLast: true });
    const sizes: number[] = [];
    for await (const step of odd) {
      sizes.push(step.rows.length);
      release(step);
    }
    expect(sizes).toEqual([3]);
    expect(odd.length).toBe(1);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_federated_dataloader_shuffle', async () => {
    const datasets = [dataset([1, 2]).send(bob), dataset([3, 4, 5, 6]).send(alice)];
    const fedDataset = new sy.FederatedDataset(datasets);
    const fdataloader = new sy.FederatedDataLoader(fedDataset, { batchSize: 2, shuffle: true });
    const seen = new Set<string>();
    for (let epoch = 0; epoch < 3; epoch++) {
      let counter = 0;
      const values: number[] = [];
      for await (const step of fdataloader) {
        // One batch for bob, then two for alice (batch size 2).
        expect(step.data.location.id).toBe(counter < 1 ? 'bob' : 'alice');
        values.push(...Array.from((await step.data.get()).dataSync()));
        step.target.dispose();
        counter++;
      }
      expect(counter).toBe(fdataloader.length);
      expect([...values].sort()).toEqual([1, 2, 3, 4, 5, 6]);
      seen.add(values.join());
    }
    // Shuffled: the three epochs did not all visit alice's rows in one order.
    expect(seen.size).toBeGreaterThan(1);

    const numIterators = 2;
    const lowered = new sy.FederatedDataLoader(fedDataset, { batchSize: 2, numIterators, shuffle: true });
    expect(lowered.numIterators).toBe(numIterators - 1);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_federated_dataloader_num_iterators', async () => {
    const datasets = [dataset([1, 2]).send(bob), dataset([3, 4, 5, 6]).send(alice), dataset([7, 8, 9, 10]).send(james)];
    const fedDataset = new sy.FederatedDataset(datasets);
    const numIterators = datasets.length;
    const fdataloader = new sy.FederatedDataLoader(fedDataset, { batchSize: 2, numIterators, shuffle: true });
    expect(fdataloader.numIterators).toBe(numIterators - 1);
    let counter = 0;
    const order: string[][] = [];
    for await (const step of fdataloader) {
      const batches = step.batches;
      expect(batches.size).toBe(numIterators - 1);
      if (counter < 1) expect(batches.get('bob')!.data.location.id).toBe('bob');
      // bob is replaced by james
      else expect(batches.get('james')!.data.location.id).toBe('james');
      if (counter < 2) expect(batches.get('alice')!.data.location.id).toBe('alice');
      order.push([...batches.keys()]);
      release(step);
      counter++;
    }
    const epochs = numIterators - 1;
    expect(counter * (numIterators - 1)).toBe(epochs * fdataloader.length);
    // PySyft's walk, step by step: each iterator covers every worker once.
    expect(order).toEqual([
      ['bob', 'alice'],
      ['james', 'alice'],
      ['james', 'bob'],
      ['alice', 'james'],
      ['alice', 'james'],
    ]);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_federated_dataloader_iter_per_worker', async () => {
    const datasets = [dataset([1, 2]).send(bob), dataset([3, 4, 5, 6]).send(alice), dataset([7, 8, 9, 10]).send(james)];
    const fedDataset = new sy.FederatedDataset(datasets);
    const fdataloader = new sy.FederatedDataLoader(fedDataset, { batchSize: 2, iterPerWorker: true, shuffle: true });
    const nrWorkers = datasets.length;
    expect(fdataloader.numIterators).toBe(nrWorkers);
    let steps = 0;
    for await (const step of fdataloader) {
      expect(step.batches.size).toBe(nrWorkers);
      expect([...step.batches.values()].map((b) => b.data.location.id)).toEqual(['bob', 'alice', 'james']);
      release(step);
      steps++;
    }
    // The pass ends when the worker with fewest batches (bob, one) runs out.
    expect(steps).toBe(1);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_federated_dataloader_one_worker', () => {
    const datasets = [dataset([3, 4, 5, 6]).send(bob)];
    const fedDataset = new sy.FederatedDataset(datasets);
    const fdataloader = new sy.FederatedDataLoader(fedDataset, { batchSize: 2, shuffle: true });
    expect(fdataloader.numIterators).toBe(1);
    // numIterators asks for more than one worker can give: lowered to 1 as well.
    expect(new sy.FederatedDataLoader(fedDataset, { batchSize: 2, numIterators: 3 }).numIterators).toBe(1);
    fedDataset.dispose();
  });
});

describe('loader options as syft-ts checks them', () => {
  test('numIterators must be a positive integer; interleaved order is for one iterator', () => {
    const fedDataset = new sy.FederatedDataset([dataset([1, 2]).send(bob), dataset([3, 4]).send(alice), dataset([5]).send(james)]);
    expect(() => new sy.FederatedDataLoader(fedDataset, { numIterators: 0 })).toThrow(/numIterators must be a positive integer, got 0/);
    expect(() => new sy.FederatedDataLoader(fedDataset, { numIterators: 1.5 })).toThrow(/numIterators must be a positive integer/);
    expect(() => new sy.FederatedDataLoader(fedDataset, { numIterators: 2, order: 'interleaved' })).toThrow(/'interleaved' is for one iterator/);
    fedDataset.dispose();
  });
});
