/**
 * A pointer's shape and dtype come from the registry's output rules, never
 * from the worker: so the rules must give what tfjs gives. For every registry
 * op, on random inputs and on every input dtype the op accepts (a number
 * operand included), the inferred shapes and dtypes equal those of tfjs's own
 * result in this thread (the workers' backend); and through the runtime, a
 * result pointer's shape and dtype equal what get() brings home.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CheckEnv, checkOpArguments, type DType, inferOpOutputs, type InputRule, type ListRule, type TensorView } from '../../src/core/op-checks.js';
import { OPS, type OpName } from '../../src/core/op-registry.js';
import * as sy from '../../src/index.js';
import { checkOp } from '../../src/tensor/op-checking.js';
import { type Case, CASES, type Inputs } from '../support/op-cases.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let bob: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  bob = await hook.virtualWorker('bob');
});
afterAll(() => hook.shutdown());

const floats = (shape: number[]) =>
  fc.array(fc.float({ min: -3, max: 3, noNaN: true }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((v) => tf.tensor(v, shape));
const dims = (min: number, max: number, rank: number) => fc.array(fc.integer({ min, max }), { minLength: rank, maxLength: rank });

/** Cases for the registry ops test/support/op-cases.ts leaves out (it feeds the gradient test too). */
const MORE: Record<string, Case> = {
  isInf: { inputs: dims(1, 4, 2).chain((s) => floats(s)).map((x) => [x]) },
  prelu: { inputs: dims(1, 4, 2).chain((s) => fc.tuple(floats(s), floats([s[1]!]))) },
  moments: { inputs: dims(1, 4, 3).chain((s) => floats(s)).map((x) => [x]), attrs: () => [[0, 2], true] },
  topk: { inputs: dims(1, 5, 2).chain((s) => floats(s)).map((x) => [x]), attrs: ([x]) => [x!.shape[1]!, true] },
  stridedSlice: { inputs: dims(2, 5, 2).chain((s) => floats(s)).map((x) => [x]), attrs: () => [[0, 1], [2, 2], [1, 1]] },
  mirrorPad: { inputs: dims(2, 4, 2).chain((s) => floats(s)).map((x) => [x]), attrs: () => [[[1, 1], [0, 1]], 'reflect'] },
  gatherND: { inputs: dims(2, 4, 2).chain((s) => floats(s)).map((x) => [x, tf.tensor2d([[0, 1], [1, 0], [1, 1]], undefined, 'int32')]) },
  unsortedSegmentSum: { inputs: dims(2, 4, 2).chain((s) => floats(s)).map((x) => [x, tf.tensor1d(Array.from({ length: x.shape[0]! }, (_, i) => i % 2), 'int32')]), attrs: () => [3] },
  depthToSpace: { inputs: dims(1, 3, 3).chain(([n, h, w]) => floats([n!, h!, w!, 8])).map((x) => [x]), attrs: () => [2] },
  split: { inputs: dims(1, 3, 2).chain(([a, b]) => floats([a! * 2, b!])).map((x) => [x]), attrs: () => [2, 0] },
  conv1d: { inputs: fc.integer({ min: 3, max: 6 }).chain((w) => fc.tuple(floats([2, w, 3]), floats([2, 3, 4]))), attrs: () => [1, 'same'] },
  depthwiseConv2d: { inputs: fc.tuple(floats([1, 5, 5, 2]), floats([3, 3, 2, 2])), attrs: () => [1, 'valid'] },
  batchNorm: { inputs: dims(1, 3, 3).chain((s) => fc.tuple(floats(s), floats([s[2]!]), floats([s[2]!]).map((v) => tf.abs(v)))) },
  localResponseNormalization: { inputs: dims(1, 3, 4).chain((s) => floats(s)).map((x) => [x]), attrs: () => [2, 1, 1, 0.5] },
  dropout: { inputs: dims(1, 4, 2).chain((s) => floats(s)).map((x) => [x]), attrs: () => [0.5, undefined, 7] },
};

const ALL: Record<string, Case> = { ...CASES, ...MORE };

/** Checks see tf tensors as the worker does; the worker's kernels are this thread's. */
const ENV: CheckEnv = {
  isTensor: (value): value is TensorView => value instanceof tf.Tensor,
  hasKernel: () => true,
  backend: () => tf.getBackend(),
};

function flatten(result: unknown): tf.Tensor[] {
  if (result instanceof tf.Tensor || result instanceof sy.PointerTensor) return [result as tf.Tensor];
  if (Array.isArray(result)) return result as tf.Tensor[];
  return Object.values(result as Record<string, tf.Tensor>);
}

/** `t` as dtype `d`: bool from != 0 (cast to bool is refused by the registry), numbers by cast. */
function as(t: tf.Tensor, d: DType): tf.Tensor {
  if (t.dtype === d) return t.clone();
  return d === 'bool' ? tf.notEqual(t, 0) : tf.cast(t, d);
}

/** The case's inputs in every dtype each input accepts, and a number in place of each scalar-able operand. */
function variants(op: OpName, c: Case, inputs: Inputs): unknown[][] {
  const rules = OPS[op].checks.inputs;
  const out: unknown[][] = [c.list ? [inputs.map((t) => t.clone())] : inputs.map((t) => t.clone())];
  if (!Array.isArray(rules)) {
    for (const d of (rules as ListRule).dtypes) out.push([inputs.map((t) => as(t, d))]);
    return out;
  }
  (rules as readonly InputRule[]).forEach((rule, i) => {
    if (i >= inputs.length) return;
    for (const d of rule.dtypes) out.push(inputs.map((t, k) => (k === i ? as(t, d) : t.clone())));
    if (rule.kind === 'tensor-or-scalar') {
      for (const n of [2, true]) out.push(inputs.map((t, k) => (k === i ? n : t.clone())));
    }
  });
  return out;
}

/** The backend to compare against: the wasm backend has no UnsortedSegmentSum kernel, so that one is checked on cpu. */
async function onBackendFor<T>(op: string, fn: () => T): Promise<T> {
  const before = tf.getBackend();
  if (op !== 'unsortedSegmentSum' || tf.getKernel('UnsortedSegmentSum', before) !== undefined) return fn();
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  try {
    return fn();
  } finally {
    await tf.setBackend(before);
  }
}

describe('the registry output rules give what tfjs gives', () => {
  test('every registry op has a case here', () => {
    expect(Object.keys(OPS).filter((op) => !(op in ALL))).toEqual([]);
  });

  test.each(Object.keys(ALL))('%s: inferred shapes and dtypes equal tfjs results, over input dtypes', async (name) => {
    const op = name as OpName;
    const c = ALL[op]!;
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(c.inputs, async (inputs) => {
        const attrs = c.attrs?.(inputs) ?? [];
        for (const tensors of variants(op, c, inputs)) {
          const args = [...tensors, ...attrs];
          // Only calls a worker would run: the checks keep the others from the wasm kernels (ENV admits
          // unsortedSegmentSum, which runs on cpu here).
          let accepted = true;
          try {
            checkOpArguments(op, OPS[op], args, ENV);
          } catch (error) {
            if (!sy.isSyftError(error)) throw error;
            accepted = false;
          }
          if (accepted) {
            const inferred = inferOpOutputs(op, OPS[op], args, ENV);
            const actual = await onBackendFor(op, () => flatten((tf as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(...args)));
            const describe = (ts: readonly { shape: readonly number[]; dtype: string }[]) => ts.map((t) => `${t.dtype}[${t.shape.join(',')}]`);
            const context = `${op}(${tensors.flat().map((t) => (t instanceof tf.Tensor ? `${t.dtype}[${t.shape.join(',')}]` : String(t))).join(', ')})`;
            expect(describe(inferred.shapes.map((shape, i) => ({ shape, dtype: inferred.dtypes[i]! }))), context).toEqual(describe(actual));
            compared++;
            tf.dispose(actual);
          }
          tf.dispose(tensors.flat().filter((t): t is tf.Tensor => t instanceof tf.Tensor));
        }
        tf.dispose(inputs);
      }),
      { numRuns: 5 },
    );
    // The case itself is always a call the worker runs: every op was compared at least once per run.
    expect(compared).toBeGreaterThanOrEqual(5);
  });
});

describe('through the runtime', () => {
  test.each(Object.keys(CASES))("%s: a result pointer's shape and dtype are what get() brings home", async (op) => {
    const c = CASES[op]!;
    await fc.assert(
      fc.asyncProperty(c.inputs, async (inputs) => {
        const attrs = c.attrs?.(inputs) ?? [];
        const pointers = inputs.map((t) => t.send(bob));
        pointers.forEach((p, i) => {
          expect(p.shape).toEqual(inputs[i]!.shape);
          expect(p.dtype).toBe(inputs[i]!.dtype);
        });
        const result = c.list ? sy.op(op, pointers, ...attrs) : sy.op(op, ...pointers, ...attrs);
        const results = flatten(result) as unknown as sy.PointerTensor<tf.Tensor>[];
        const known = results.map((p) => ({ shape: p.shape, dtype: p.dtype, rank: p.rank, size: p.size }));
        expect(results.length).toBeGreaterThan(0);
        const home = await Promise.all(results.map((p) => p.get()));
        home.forEach((t, i) => expect(known[i], op).toEqual({ shape: t.shape, dtype: t.dtype, rank: t.rank, size: t.size }));
        for (const p of pointers) p.dispose();
        tf.dispose([...inputs, ...home]);
      }),
      { numRuns: 3 },
    );
  });
});

describe('calls the worker would refuse for their shapes are refused at the caller, with its message', () => {
  const f = (v: number[]) => (): sy.PointerTensor[] => [sy.tensor(v).send(bob)];
  const cases: [string, () => sy.PointerTensor[], (ps: sy.PointerTensor[]) => unknown, () => unknown][] = [
    ['add of [2] and [3]', () => [sy.tensor([1, 2]).send(bob), sy.tensor([1, 2, 3]).send(bob)], ([a, b]) => a!.add(b!), () => checkOp('add', [tf.zeros([2]), tf.zeros([3])])],
    ['matMul of rank 1', f([1, 2, 3]), ([p]) => p!.matMul(p!), () => checkOp('matMul', [tf.zeros([3]), tf.zeros([3])])],
    ['reshape [2] to [3]', f([1, 2]), ([p]) => p!.reshape([3]), () => checkOp('reshape', [tf.zeros([2]), [3]])],
    ['abs of bool', () => [tf.tensor1d([1, 0], 'bool').send(bob)], ([p]) => p!.abs(), () => checkOp('abs', [tf.zeros([2], 'bool')])],
    ['slice past the end', f([1, 2]), ([p]) => p!.slice([1], [2]), () => checkOp('slice', [tf.zeros([2]), [1], [2]])],
  ];

  test.each(cases)('%s', async (_, make, call, local) => {
    const inputs = make();
    const atCaller = thrown(() => call(inputs));
    expect(atCaller.code).toBe('INVALID_ARGUMENT');
    expect(atCaller.message).toBe(thrown(local).message);
    // Nothing of the refused op reached bob: it holds the inputs only.
    const held = [...(await bob.objects()).keys()];
    for (const p of inputs) expect(held).toContain(p.idAtLocation);
    expect(held.filter((id) => !inputs.some((p) => p.idAtLocation === id))).toEqual([]);
    for (const p of inputs) p.dispose();
  });

  test('a value check (indices in range) still runs at the worker only', async () => {
    const x = sy.tensor([[1, 2], [3, 4]]).send(bob);
    const idx = tf.tensor2d([[5, 5]], undefined, 'int32').send(bob);
    const r = x.gatherND(idx);
    expect(r.shape).toEqual([1]);
    const error = (await r.get().then(() => undefined, (e: unknown) => e)) as sy.RemoteError;
    expect([error.code, error.causeCode]).toEqual(['REMOTE_ERROR', 'INVALID_ARGUMENT']);
    expect(error.message).toMatch(/gatherND: indices row 0/);
    x.dispose();
    idx.dispose();
  });
});
