/**
 * PySyft v0.2.9 test/torch/federated/test_dataset.py, ported case by case.
 *
 * syft-ts differs on purpose where JavaScript has no equivalent: len(x) is
 * `x.length`, dataset[i] is `dataset.at(i)`, fed_dataset["bob"] is
 * `fd.get('bob')` (or `fd.datasets['bob']`), get() is awaited, and
 * dataset.federate((bob, alice)) is `sy.federate(dataset, [bob, alice])`.
 *
 * Left out: nothing. test_federated_dataset_search keeps its loader half;
 * its PrivateGridNetwork tag search has no syft-ts counterpart (the pointers
 * are the ones send() returned), see that case.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook, thrown, rejection } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;
let alice: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [bob, alice] = await hook.virtualWorkers(['bob', 'alice']);
});
afterAll(() => hook.shutdown());

const values = (t: tf.Tensor | sy.SyftTensor) => Array.from(t.dataSync());
/** dataset[i] as PySyft compares it: (data, target) as numbers. */
const item = (d: sy.BaseDataset, i: number) => {
  const { data, target } = d.at(i);
  const out = [data.dataSync()[0], target.dataSync()[0]];
  tf.dispose([data, target]);
  return out;
};

describe('test_dataset.py', () => {
  test('test_base_dataset', async () => {
    const inputs = tf.tensor1d([1, 2, 3, 4]);
    const targets = tf.tensor1d([1, 2, 3, 4]);
    const dataset = new sy.BaseDataset(inputs, targets);
    expect(dataset.length).toBe(4);
    expect(item(dataset, 2)).toEqual([3, 3]);

    const remote = dataset.send(bob);
    expect(remote.data.location.id).toBe('bob');
    expect(remote.targets.location.id).toBe('bob');
    expect(remote.location.id).toBe('bob');
    // Known at the caller, without asking bob.
    expect(remote.length).toBe(4);
    // send() copies: the local dataset is unchanged.
    expect(values(dataset.data)).toEqual([1, 2, 3, 4]);

    // PySyft's older form of this case then called dataset.get() and saw local tensors again.
    const home = await remote.get();
    expect(values(home.data)).toEqual([1, 2, 3, 4]);
    expect(values(home.targets)).toEqual([1, 2, 3, 4]);
    expect(home.isRemote).toBe(false);
    expect(thrown(() => home.location).message).toMatch(/this dataset is local/);
    // The pointers get() used are spent: bob no longer holds the data.
    expect(thrown(() => remote.data).message).toMatch(/brought home with get\(\)/);
    expect((await bob.objects()).size).toBe(0);
    tf.dispose([inputs, targets, home.data, home.targets]);
  });

  test('test_base_dataset_transform', async () => {
    const inputs = tf.tensor1d([1, 2, 3, 4]);
    const targets = tf.tensor1d([1, 2, 3, 4]);
    const transformDataset = new sy.BaseDataset(inputs, targets);
    transformDataset.transform((x) => tf.mul(x, 2));
    const transformed = [...transformDataset].map(({ data, target }) => {
      const v = data.dataSync()[0]!;
      tf.dispose([data, target]);
      return v;
    });
    expect(transformed).toEqual([2, 4, 6, 8]);
    // The targets are left as they were (PySyft transforms only the data).
    expect(values(transformDataset.targets)).toEqual([1, 2, 3, 4]);

    // At a worker, fn receives the pointer: its ops run at bob and the data never comes here.
    const remote = new sy.BaseDataset(inputs, targets).send(bob);
    const fetched: string[] = [];
    const watch = hook.events$.subscribe((e) => e.type === 'fetched' && fetched.push(e.worker));
    remote.transform((x) => x.mul(2).add(1));
    expect(remote.location.id).toBe('bob');
    // The new data's shape is known here when the op's output rule gave it; ready() asks bob otherwise.
    expect((await remote.ready()).length).toBe(4);
    watch.unsubscribe();
    expect(fetched).toEqual([]);
    const home = await remote.get();
    expect(values(home.data)).toEqual([3, 5, 7, 9]);
    // A transform that would bring the data here, or leave the worker, is refused.
    const again = home.send(alice);
    expect(thrown(() => again.transform(() => tf.ones([4]) as never)).message).toMatch(/data is at 'alice', so fn must return a pointer there.*returned a local tensor/);
    expect(thrown(() => again.transform((x) => x.move(bob))).message).toMatch(/returned a pointer at 'bob'/);
    expect(thrown(() => new sy.BaseDataset(inputs, targets).transform(() => tf.ones([3]))).message).toMatch(/no longer has one row per target \(4 targets\)/);
    again.dispose();
    tf.dispose([inputs, targets, home.data, home.targets]);
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_federated_dataset', async () => {
    const aliceBaseDataset = new sy.BaseDataset(tf.tensor1d([3, 4, 5, 6]), tf.tensor1d([3, 4, 5, 6]));
    const datasets = [new sy.BaseDataset(tf.tensor1d([1, 2]), tf.tensor1d([1, 2])).send(bob), aliceBaseDataset.send(alice)];
    const fedDataset = new sy.FederatedDataset(datasets);
    expect(fedDataset.workers.map((w) => w.id)).toEqual(['bob', 'alice']);
    expect(fedDataset.length).toBe(6);
    expect(fedDataset.datasets['alice']).toBe(datasets[1]);

    const aliceRemoteData = await fedDataset.getDataset('alice');
    expect(values(aliceRemoteData.data)).toEqual(values(aliceBaseDataset.data));
    expect(item(aliceRemoteData, 2)).toEqual([5, 5]);
    expect(aliceRemoteData.length).toBe(4);
    expect(fedDataset.length).toBe(2);
    expect(String(fedDataset)).toMatch(/Distributed across: bob\n.*Number of datapoints: 2/s);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_dataset_to_federate', async () => {
    const dataset = new sy.BaseDataset(tf.tensor1d([1, 2, 3, 4, 5, 6]), tf.tensor1d([1, 2, 3, 4, 5, 6]));
    // PySyft: dataset.federate((bob, alice)).
    const fedDataset = sy.federate(dataset, [bob, alice]);
    expect(fedDataset).toBeInstanceOf(sy.FederatedDataset);
    expect(fedDataset.workers.map((w) => w.id)).toEqual(['bob', 'alice']);
    expect(fedDataset.get('bob').location.id).toBe('bob');
    expect(fedDataset.length).toBe(6);
    // PySyft's split: contiguous halves.
    expect(values(await fedDataset.get('alice').data.clone().get())).toEqual([4, 5, 6]);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_federated_dataset_search', async () => {
    // PySyft found these pointers with grid.search("data") over tagged tensors; here they are send()'s.
    const trainBob = tf.zeros([1000, 100]).send(bob);
    const targetBob = tf.zeros([1000, 100]).send(bob);
    const trainAlice = tf.zeros([1000, 100]).send(alice);
    const targetAlice = tf.zeros([1000, 100]).send(alice);
    const datasets = [new sy.BaseDataset(trainBob, targetBob), new sy.BaseDataset(trainAlice, targetAlice)];
    // A no-op when the pointers know their shapes; otherwise each worker is asked once.
    await Promise.all(datasets.map((d) => d.ready()));
    const fedDataset = new sy.FederatedDataset(datasets);
    const trainLoader = new sy.FederatedDataLoader(fedDataset, { batchSize: 4, shuffle: false, dropLast: false });
    let counter = 0;
    for await (const { data, target } of trainLoader) {
      counter++;
      data.dispose();
      target.dispose();
    }
    expect(counter).toBe(trainLoader.length);
    expect(counter).toBe(500);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_abstract_dataset', () => {
    const inputs = tf.tensor1d([1, 2, 3, 4]);
    const targets = tf.tensor1d([1, 2, 3, 4]);
    const dataset = new sy.BaseDataset(inputs, targets, { id: 1 });
    expect(dataset.id).toBe(1);
    expect(dataset.description).toBeUndefined();
    tf.dispose([inputs, targets]);
  });

  test('test_get_dataset', async () => {
    const aliceBaseDataset = new sy.BaseDataset(tf.tensor1d([3, 4, 5, 6]), tf.tensor1d([3, 4, 5, 6]));
    const datasets = [new sy.BaseDataset(tf.tensor1d([1, 2]), tf.tensor1d([1, 2])).send(bob), aliceBaseDataset.send(alice)];
    const fedDataset = new sy.FederatedDataset(datasets);
    const dataset = await fedDataset.getDataset('alice');
    expect(fedDataset.length).toBe(2);
    expect(dataset.length).toBe(4);
    expect(fedDataset.workers.map((w) => w.id)).toEqual(['bob']);
    expect(fedDataset.datasets['alice']).toBeUndefined();
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('test_illegal_get', async () => {
    const aliceBaseDataset = new sy.BaseDataset(tf.tensor1d([3, 4, 5, 6]), tf.tensor1d([3, 4, 5, 6]));
    const datasets = [new sy.BaseDataset(tf.tensor1d([1, 2]), tf.tensor1d([1, 2])).send(bob), aliceBaseDataset.send(alice)];
    const fedDataset = new sy.FederatedDataset(datasets);
    const held = (await alice.objects()).size;
    // PySyft raised ValueError; here a coded error that names the way out.
    const error = await rejection(fedDataset.get('alice').get());
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/part of a FederatedDataset.*fd\.getDataset\('alice'\)/);
    // Nothing moved: alice still holds her data.
    expect(fedDataset.length).toBe(6);
    expect((await alice.objects()).size).toBe(held);
    expect(values(await fedDataset.get('alice').data.clone().get())).toEqual([3, 4, 5, 6]);
    fedDataset.dispose();
    await sy.testing.assertNoLeaks(hook);
  });
});

describe('datasets over pointers, as PySyft users build them', () => {
  test('new BaseDataset(xPtr, yPtr): both at one worker, else a coded error; pointers of unknown shape ask the worker once', async () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]).send(bob);
    const y = tf.tensor1d([0, 1, 0]).send(bob);
    const d = new sy.BaseDataset(x, y);
    expect(d.location).toBe(bob);
    // Known here when the pointer knows its shape; otherwise ready() asks bob once.
    await d.ready();
    expect(d.length).toBe(3);
    expect(d.shape).toEqual([3, 2]);
    const elsewhere = tf.tensor1d([0, 1, 0]).send(alice);
    const split = thrown(() => new sy.BaseDataset(x, elsewhere));
    expect(split.code).toBe('INVALID_ARGUMENT');
    expect(split.message).toMatch(/data is at 'bob' and the targets at 'alice'; both must be at one worker/);
    const mixed = thrown(() => new sy.BaseDataset(x, tf.tensor1d([0, 1, 0])));
    expect(mixed.message).toMatch(/one is a pointer and the other a local tensor/);
    const short = tf.tensor1d([0, 1]).send(bob);
    // Refused by the constructor when the shapes are known here, else by ready().
    const rows = await rejection((async () => new sy.BaseDataset(x, short).ready())());
    expect(rows.message).toMatch(/same length; got data \[3,2\] and targets \[2\]/);
    expect(thrown(() => d.at(0)).message).toMatch(/the samples are at 'bob'/);
    short.dispose();
    d.dispose();
    elsewhere.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('FederatedDataset refuses local datasets and a worker given twice', () => {
    const local = new sy.BaseDataset(tf.tensor1d([1, 2]), tf.tensor1d([1, 2]));
    expect(thrown(() => new sy.FederatedDataset([local as never])).message).toMatch(/datasets\[0\] is local/);
    const a = local.send(bob);
    const b = local.send(bob);
    expect(thrown(() => new sy.FederatedDataset([a, b])).message).toMatch(/worker 'bob' appears twice/);
    a.dispose();
    b.dispose();
    tf.dispose([local.data, local.targets]);
  });
});
