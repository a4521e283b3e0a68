// The public API's types, as a user's program sees them through `syft-ts`'s
// entry point: what must compile, and (`@ts-expect-error`) what must not.
// Checked by `vitest --typecheck` (the 'types' project) and by `npm run typecheck`:
// an @ts-expect-error that stops failing is itself an error.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, test } from 'vitest';
import * as sy from '../../src/index.js';
import type { Operand } from '../../src/tensor/op-methods.generated.js';

declare const hook: sy.Hook;
declare const bob: sy.VirtualWorker;
declare const alice: sy.VirtualWorker;
declare const james: sy.VirtualWorker;

describe('hook and workers', () => {
  test('sy.hook and hook.virtualWorker resolve to a hook and a worker', () => {
    expectTypeOf(sy.hook).returns.resolves.toEqualTypeOf<sy.Hook>();
    expectTypeOf(hook.virtualWorker('bob')).resolves.toEqualTypeOf<sy.VirtualWorker>();
    expectTypeOf(hook.virtualWorkers(['bob', 'alice'], { threads: 2 })).resolves.toEqualTypeOf<[sy.VirtualWorker, sy.VirtualWorker]>();
    expectTypeOf(bob.objects()).resolves.toEqualTypeOf<Map<number, sy.ObjectSummary>>();
    // @ts-expect-error a worker's id is a string
    void hook.virtualWorker(42);
    // @ts-expect-error objects() is async: a Map comes only after await
    void bob.objects().size;
  });
});

describe('tensors, send, get', () => {
  test('sy.tensor gives a syft tensor; send gives a pointer to the kind that was sent', () => {
    const x = sy.tensor([1, 2, 3]);
    expectTypeOf(x).toEqualTypeOf<sy.SyftTensor>();
    expectTypeOf(x.send(bob)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(tf.tensor([1, 2]).send(bob)).toEqualTypeOf<sy.PointerTensor<tf.Tensor>>();
    expectTypeOf(x.send(bob, alice)).toEqualTypeOf<sy.MultiPointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.send(bob).send(alice)).toEqualTypeOf<sy.PointerTensor<sy.PointerTensor<sy.SyftTensor>>>();
    expectTypeOf(x.send(bob).get()).resolves.toEqualTypeOf<sy.SyftTensor>();
    // @ts-expect-error send needs a worker
    x.send('bob');
  });

  test('a pointer to a tf.Tensor is a pointer wherever one is expected', () => {
    expectTypeOf<sy.PointerTensor<tf.Tensor>>().toMatchTypeOf<sy.PointerTensor>();
    // @ts-expect-error but not a pointer to a syft tensor: get() would not give one
    expectTypeOf<sy.PointerTensor<tf.Tensor>>().toMatchTypeOf<sy.PointerTensor<sy.SyftTensor>>();
  });
});

describe('op methods, typed from the registry', () => {
  const x = sy.tensor([1, 2, 3]).send(bob);
  const y = sy.tensor([1, 1, 1]).send(bob);

  test('results are pointers; records and lists as the registry says', () => {
    expectTypeOf(x.add(y)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.add(1)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.matMul(y, false, true)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.sum(0, true)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.split(3)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>[]>();
    expectTypeOf(x.moments()).toEqualTypeOf<{ mean: sy.PointerTensor<sy.SyftTensor>; variance: sy.PointerTensor<sy.SyftTensor> }>();
    expectTypeOf(x.topk(2).indices).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.concat([y, y], 0)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(sy.tensor([1]).relu()).toEqualTypeOf<sy.SyftTensor>();
    expectTypeOf(x.send(alice).add(1)).toEqualTypeOf<sy.PointerTensor<sy.PointerTensor<sy.SyftTensor>>>();
    expectTypeOf(x.cast('int32')).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.conv2d(y, 1, 'same')).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
  });

  test('attributes take tfjs types', () => {
    expectTypeOf(x.matMul).parameters.toEqualTypeOf<[b: Operand, transposeA?: boolean, transposeB?: boolean]>();
    expectTypeOf(x.sum).parameters.toEqualTypeOf<[axis?: number | number[], keepDims?: boolean]>();
    expectTypeOf(x.reshape([3, -1])).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
  });

  test('wrong arguments fail to compile', () => {
    // @ts-expect-error a string is not a tensor
    x.add('oops');
    // @ts-expect-error matMul needs the other matrix
    x.matMul();
    // @ts-expect-error transposeA is a boolean
    x.matMul(y, 1);
    // @ts-expect-error keepDims is a boolean
    x.sum(0, 'yes');
    // @ts-expect-error reshape needs a shape
    x.reshape();
    // @ts-expect-error a dtype tfjs does not know
    x.cast('float64');
    // @ts-expect-error too many arguments
    x.relu(1);
    // @ts-expect-error conv2d's padding is 'valid', 'same', a number or explicit pads
    x.conv2d(y, 1, 'full');
    // @ts-expect-error not an op
    x.addd(y);
    // @ts-expect-error op() by a registered name takes that op's arguments
    x.op('add', 'oops');
  });

  test('op() by name: typed for a registered name, unknown for a name known at run time', () => {
    expectTypeOf(x.op('matMul', y, true)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(x.op('split', 2)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>[]>();
    const name: string = 'add';
    expectTypeOf(x.op(name, y)).toEqualTypeOf<unknown>();
  });

  test('functional forms run where their tensors are', () => {
    expectTypeOf(sy.add(x, y)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(sy.add(1, x)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(sy.add(sy.tensor([1]), tf.tensor([2]))).toEqualTypeOf<sy.SyftTensor>();
    expectTypeOf(sy.add(tf.tensor([1]), 2)).toEqualTypeOf<tf.Tensor>();
    expectTypeOf(sy.concat([x, y], 0)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(sy.split(x, 3)).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>[]>();
    expectTypeOf(sy.add(sy.tensor([1]).send(bob, alice), 1)).toEqualTypeOf<sy.MultiPointerTensor<sy.SyftTensor>>();
    // @ts-expect-error a string is not a tensor
    sy.add(x, 'oops');
    // @ts-expect-error matMul takes two tensors
    sy.matMul(x);
    // @ts-expect-error axis is a number
    sy.concat([x, y], 'rows');
  });
});

describe('autograd, nn, optim', () => {
  test('a model takes any pointer, including a sent tf.Tensor', () => {
    const model = sy.nn.sequential(sy.nn.linear(784, 500), sy.nn.relu(), sy.nn.linear(500, 10)).send(bob);
    const xPtr = tf.randomUniform([2, 784]).send(bob);
    expectTypeOf(model.forward(xPtr)).toEqualTypeOf<sy.PointerTensor<tf.Tensor>>();
    expectTypeOf(model.forward(sy.tensor([[1]]))).toEqualTypeOf<sy.SyftTensor>();
    const opt = sy.optim.sgd(model.parameters(), { lr: 0.01, momentum: 0.9 });
    expectTypeOf(opt.step).returns.toEqualTypeOf<void>();
    // @ts-expect-error a model takes tensors
    model.forward([1, 2, 3]);
    // @ts-expect-error lr is a number
    sy.optim.sgd(model.parameters(), { lr: '0.01' });
  });

  test('backward and grad on pointers', () => {
    const w = sy.tensor([[0], [0]], { requiresGrad: true }).send(bob);
    expectTypeOf(w.grad).toEqualTypeOf<sy.PointerTensor<sy.SyftTensor>>();
    expectTypeOf(w.subInPlace(w.grad.mul(0.1))).toEqualTypeOf(w);
    // @ts-expect-error requiresGrad is a boolean
    sy.tensor([1], { requiresGrad: 1 });
  });
});

describe('federated', () => {
  test('federate, loaders and fedAvg', () => {
    const dataset = new sy.BaseDataset(tf.tensor([[1], [2]]), tf.tensor([0, 1]));
    const fd = sy.federate(dataset, [bob, alice], { partition: 'iid' });
    expectTypeOf(fd).toEqualTypeOf<sy.FederatedDataset>();
    const loader = new sy.FederatedDataLoader(fd, { batchSize: 64, shuffle: true });
    expectTypeOf(loader).toMatchTypeOf<AsyncIterable<sy.FederatedBatch>>();
    const model = sy.nn.sequential(sy.nn.linear(1, 2));
    const run = sy.federated.fedAvg(model, fd, { rounds: 1, localEpochs: 1, batchSize: 2, loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 } });
    expectTypeOf(run).resolves.toHaveProperty('model').toEqualTypeOf<typeof model>();
    // @ts-expect-error an unknown partition
    sy.federate(dataset, [bob], { partition: 'random' });
    // @ts-expect-error workers, not ids
    sy.federate(dataset, ['bob']);
  });
});

describe('smpc', () => {
  test('fixPrecision and share', () => {
    const fp = tf.tensor([0.1, 0.2]).fixPrecision();
    expectTypeOf(fp).toEqualTypeOf<sy.FixedPrecisionTensor>();
    const xs = fp.share(bob, alice, { cryptoProvider: james });
    expectTypeOf(xs).toEqualTypeOf<sy.AdditiveSharingTensor>();
    expectTypeOf(xs.mul(xs).add(xs)).toEqualTypeOf<sy.AdditiveSharingTensor>();
    expectTypeOf(xs.get()).resolves.toEqualTypeOf<sy.FixedPrecisionTensor>();
    // @ts-expect-error shares go to workers
    fp.share('bob', 'alice');
  });
});
