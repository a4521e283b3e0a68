/**
 * Actors that share a thread share its wasm heap: what one worker frees,
 * another's kernels may be handed next. Through the real runtime, alice and
 * bob on ONE thread: alice stores and frees tensors of distinctive values, then
 * bob runs ops with random, mostly adversarial arguments. Every op either fails
 * with INVALID_ARGUMENT (refused at the client, or at bob before any kernel
 * runs) or returns values, and no value bob ever gets back is one of alice's.
 * Then the probe's concrete findings, each refused quickly, with the worker
 * still right afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let alice: sy.VirtualWorker;
let bob: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  [alice, bob] = await hook.virtualWorkers(['alice', 'bob'], { threads: 1 });
});
afterAll(() => hook.shutdown());

/** Exactly representable in float32, and no op on bob's small data can produce them by chance. */
const SECRETS = [123456.78125, -98765.4375, 31415.92578125];
const SECRET_BITS = SECRETS.map((s) => new Int32Array(new Float32Array([s]).buffer)[0]!);

/** alice holds tensors full of secrets, computes with them (more freed buffers), and frees all of it. */
async function aliceFreesSecrets(): Promise<void> {
  const pointers = SECRETS.map((s) => tf.fill([2048], s).send(alice));
  const derived = pointers.map((p) => p.mul(1).add(0));
  for (const p of [...pointers, ...derived]) p.dispose();
  // Answered only after alice has run everything before it, the deletes included.
  await alice.objects();
}

type Outcome = { ok: true; values: number[][]; dtypes: string[] } | { ok: false; code: string; cause: string | undefined; message: string };

/** Runs `make` (ops on bob's pointers) and fetches every result; how it ended. */
async function attempt(make: () => unknown): Promise<Outcome> {
  let result: unknown;
  try {
    result = make();
  } catch (error) {
    if (!sy.isSyftError(error)) throw error;
    return { ok: false, code: error.code, cause: undefined, message: error.message };
  }
  const pointers = (result instanceof sy.PointerTensor ? [result] : Array.isArray(result) ? result : Object.values(result as object)) as sy.PointerTensor<tf.Tensor>[];
  try {
    const got = await Promise.all(pointers.map((p) => p.get()));
    return { ok: true, values: got.map((t) => Array.from(t.dataSync())), dtypes: got.map((t) => t.dtype) };
  } catch (error) {
    if (!sy.isSyftError(error)) throw error;
    return { ok: false, code: error.code, cause: (error as sy.RemoteError).causeCode, message: error.message };
  } finally {
    for (const p of pointers) p.dispose();
  }
}

function expectRefusedOrClean(out: Outcome, context: string): void {
  if (!out.ok) {
    // Refused at the client (INVALID_ARGUMENT) or at bob (a RemoteError whose cause is INVALID_ARGUMENT): nothing else.
    expect(out.code === 'INVALID_ARGUMENT' || (out.code === 'REMOTE_ERROR' && out.cause === 'INVALID_ARGUMENT'), `${context}: ${out.code}/${out.cause} ${out.message}`).toBe(true);
    return;
  }
  out.values.forEach((values, i) => {
    const secrets = out.dtypes[i] === 'int32' ? SECRET_BITS : out.dtypes[i] === 'float32' ? SECRETS : [];
    const leaked = values.find((v) => secrets.includes(v));
    expect(leaked, `${context}: bob got alice's freed value`).toBeUndefined();
  });
}

// ---------------------------------------------------------------------------
// Random, mostly adversarial ops at bob

const junk = fc.oneof(
  fc.constantFrom<unknown>(-1, -2, -2000, 0, 0.5, 2.5, NaN, Infinity, -Infinity, 1e12, 2 ** 31, 2 ** 53, -(2 ** 31), 'abc', null, true, [], [[]], [1, [2]], [NaN]),
  fc.integer({ min: -3000, max: 3000 }),
);
const int = (min: number, max: number) => fc.oneof({ weight: 3, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: junk });
const list = (n: number, min: number, max: number) =>
  fc.oneof({ weight: 4, arbitrary: fc.array(int(min, max), { minLength: n, maxLength: n }) }, { weight: 1, arbitrary: fc.array(int(min, max), { maxLength: n + 2 }) }, { weight: 1, arbitrary: junk });

interface BobData {
  readonly x: sy.PointerTensor<tf.Tensor>;
  readonly shape: number[];
  readonly idx: sy.PointerTensor<tf.Tensor>;
}

type OpCase = { readonly name: string; readonly args: unknown[]; readonly run: (d: BobData) => unknown };

function opCase(shape: number[]): fc.Arbitrary<OpCase> {
  const r = shape.length;
  const big = Math.max(...shape) + 3;
  const c = (name: string, args: fc.Arbitrary<unknown[]>, run: (d: BobData, a: unknown[]) => unknown) =>
    args.map((a): OpCase => ({ name, args: a, run: (d) => run(d, a) }));
  const call = (name: string) => (d: BobData, a: unknown[]) => d.x.op(name, ...a);
  return fc.oneof(
    c('slice', fc.tuple(list(r, -2500, big), list(r, -2500, 2500)), call('slice')),
    c('stridedSlice', fc.tuple(list(r, -big, big), list(r, -big, big), list(r, -3, 3), int(0, 2 ** r), int(0, 2 ** r), int(0, 1), int(0, 1), int(0, 2 ** r)), call('stridedSlice')),
    c('gather', fc.tuple(int(-r - 1, r)), (d, [a]) => d.x.gather(d.idx, a as number)),
    c('gatherND', fc.constant([]), (d) => d.x.gatherND(d.idx.reshape([-1, 1]))),
    c('pad', fc.tuple(fc.array(fc.tuple(int(-2000, 4), int(-2000, 4)), { minLength: r, maxLength: r }), int(-5, 5)), call('pad')),
    c('mirrorPad', fc.tuple(fc.array(fc.tuple(int(-2, 5), int(-2, 5)), { minLength: r, maxLength: r }), fc.constantFrom('reflect', 'symmetric')), call('mirrorPad')),
    c('tile', fc.tuple(list(r, -2, 4)), call('tile')),
    c('reshape', fc.tuple(list(r, -2, 8)), call('reshape')),
    c('broadcastTo', fc.tuple(list(r + 1, -2, 5)), call('broadcastTo')),
    c('transpose', fc.tuple(list(r, -1, r)), call('transpose')),
    c('expandDims', fc.tuple(int(-r - 2, r + 2)), call('expandDims')),
    c('cumsum', fc.tuple(int(-r - 1, r)), call('cumsum')),
    c('reverse', fc.tuple(list(1, -r - 1, r)), call('reverse')),
    c('sum', fc.tuple(list(1, -r - 1, r), fc.boolean()), call('sum')),
    c('topk', fc.tuple(int(-1, shape[r - 1]! + 1)), call('topk')),
    c('split', fc.tuple(fc.oneof(int(1, 4), list(2, -1, 4)), int(-r, r - 1)), call('split')),
    c('oneHot', fc.tuple(int(-1, 6)), (d, [depth]) => d.idx.oneHot(depth as number)),
    c('concat', fc.tuple(int(-r - 1, r)), (d, [a]) => sy.concat([d.x, d.x], a as number)),
    c('cast', fc.tuple(fc.constantFrom('float32', 'int32', 'bool', 'string', 'complex64')), call('cast')),
  );
}

/** ISOLATION_RUNS=5000 for a soak (about 15 ms a run). */
const RUNS = Number(process.env['ISOLATION_RUNS'] ?? 250);

describe('bob cannot read what alice freed on their shared thread', () => {
  test('random adversarial ops at bob fail with INVALID_ARGUMENT or return none of alice\'s values', async () => {
    const counts = { refused: 0, ran: 0 };
    const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        shapeArb.chain((shape) => fc.tuple(fc.constant(shape), opCase(shape), fc.array(fc.integer({ min: -2, max: 6 }), { minLength: 1, maxLength: 4 }))),
        async ([shape, op, indices]) => {
          await aliceFreesSecrets();
          const n = shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(Array.from({ length: n }, (_, i) => i + 1), shape).send(bob);
          const idx = tf.tensor1d(indices, 'int32').send(bob);
          const out = await attempt(() => op.run({ x, shape, idx }));
          x.dispose();
          idx.dispose();
          counts[out.ok ? 'ran' : 'refused']++;
          expectRefusedOrClean(out, `${op.name}${JSON.stringify(op.args, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))} on ${JSON.stringify(shape)}`);
        },
      ),
      { numRuns: RUNS },
    );
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.ran).toBeGreaterThan(0);
    // bob still computes right, and holds nothing left over.
    expect(Array.from(await (await sy.tensor([1, 2, 3]).send(bob).mul(2).get()).data())).toEqual([2, 4, 6]);
    await sy.testing.collectGarbage();
    expect((await bob.objects()).size).toBe(0);
  }, Math.max(60_000, RUNS * 50));
});

describe("the probe's findings, through the runtime", () => {
  /**
   * A pointer whose shape and dtype the caller does not know: its ops reach bob
   * unchecked, as a hostile client's would (with known shapes the caller refuses
   * most of these itself, with the same message: test/property/op-shape-inference.test.ts).
   */
  const unchecked = (values: number[] | number[][], dtype: 'float32' | 'int32' | 'bool' = 'float32'): sy.PointerTensor<tf.Tensor> => {
    const t = tf.tensor(values, undefined, dtype);
    const id = hook.localWorker.nextId();
    bob.post({ type: 'store', id, tensor: { dtype, shape: t.shape, values: t.dataSync().slice() as Float32Array | Int32Array | Uint8Array } });
    t.dispose();
    return new sy.PointerTensor(bob, id, 'tf');
  };
  const x5 = () => unchecked([1, 2, 3, 4, 5]);
  const FINDINGS: [string, () => unknown, RegExp][] = [
    ['slice([-2000], [2000])', () => x5().slice([-2000], [2000]), /slice: begin\[0\] = -2000 is negative/],
    ['tile([-1])', () => x5().tile([-1]), /tile: reps\[0\] = -1 is not a positive integer/],
    ['broadcastTo 10^12', () => x5().broadcastTo([2e11, 5]), /broadcastTo: the result would have 1000000000000 elements/],
    ['tile 10^12', () => x5().tile([2e11]), /over the limit of 134217728/],
    ['pad huge', () => x5().pad([[0, 1e12]]), /pad: the result would have/],
    ['reshape([2.5, 1.6])', () => unchecked([1, 2, 3, 4]).reshape([2.5, 1.6]), /reshape: shape\[0\] = 2.5 is not a positive integer/],
    ['oneHot(1e12)', () => unchecked([0, 1], 'int32').oneHot(1e12), /oneHot: depth = 1000000000000/],
    ["cast to 'string'", () => x5().cast('string' as never), /cast: dtype = the string "string"/],
    ['transpose with a repeated axis', () => unchecked([[1, 2], [3, 4]]).transpose([0, 0]), /transpose: perm = \[0, 0\] repeats axis 0/],
    ['cumsum(-1)', () => unchecked([[1, 2], [3, 4]]).cumsum(-1), /cumsum: axis = -1/],
    ['gatherND outside', () => sy.tensor([[1, 2], [3, 4]]).send(bob).gatherND(tf.tensor2d([[5, 5]], undefined, 'int32').send(bob)), /gatherND: indices row 0/],
    ['abs of bool', () => unchecked([1, 0], 'bool').abs(), /abs: input x has dtype bool/],
  ];

  test.each(FINDINGS)('%s is refused with INVALID_ARGUMENT within 2 s, and bob keeps working', async (_, make, re) => {
    await aliceFreesSecrets();
    const started = performance.now();
    const out = await attempt(make);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.ok).toBe(false);
    const failed = out as Extract<Outcome, { ok: false }>;
    expect([failed.code, failed.cause]).toEqual(['REMOTE_ERROR', 'INVALID_ARGUMENT']);
    expect(failed.message).toMatch(re);
    // The next op on the same thread gives the right value, and the store still lists cleanly.
    const y = sy.tensor([1, 2, 3]).send(bob);
    expect(Array.from(await (await y.add(y).sum().get()).data())).toEqual([12]);
    y.dispose();
    await sy.testing.collectGarbage();
    const objects = await bob.objects();
    for (const summary of objects.values()) expect(['float32', 'int32', 'bool']).toContain((summary as { dtype?: string }).dtype ?? 'float32');
  });
});

describe('a model trained in one message at bob', () => {
  test('runs its layers through the same checks: a pool window larger than the input is refused, not read past', async () => {
    await aliceFreesSecrets();
    const model = sy.nn.sequential(sy.nn.conv2d(1, 1, 1), sy.nn.maxPool2d(8), sy.nn.flatten(1), sy.nn.linear(1, 1)).send(bob);
    const x = sy.tensor(tf.ones([2, 3, 3, 1])).send(bob);
    const y = sy.tensor(tf.zeros([2, 1])).send(bob);
    const error = await model.trainOn(x, y, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 }, steps: 1 }).then(
      () => undefined,
      (e: unknown) => e as sy.RemoteError,
    );
    expect(error?.causeCode).toBe('INVALID_ARGUMENT');
    expect(error?.message).toMatch(/maxPool/);
    // bob trains a sound model right afterwards.
    const ok = sy.nn.sequential(sy.nn.linear(9, 1)).send(bob);
    const losses = await ok.trainOn(sy.tensor(tf.ones([2, 9])).send(bob), y, { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.01 }, steps: 3 });
    expect(losses.every(Number.isFinite)).toBe(true);
  });
});
