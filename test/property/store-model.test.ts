/**
 * Model-based test: any random program of create / op / dispose / get / tidy
 * leaves each worker's store equal to the live pointers, and every value equal
 * to what a plain model computes with float32 rounding.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

const LENGTH = 3;
type Vec = number[];

interface Model {
  /** Expected values of each live pointer, by the pointer's position in `real.pointers`. */
  values: Vec[];
  workers: number[];
}

interface Real {
  workers: sy.VirtualWorker[];
  pointers: sy.PointerTensor[];
}

type Cmd = fc.AsyncCommand<Model, Real>;

const f32 = (values: Vec) => values.map((v) => Math.fround(v));
const BINARY = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
} as const;

/** After every command: what each worker holds is exactly what live pointers point at. */
async function checkStores(real: Real): Promise<void> {
  for (const worker of real.workers) {
    const held = [...(await worker.objects()).keys()].sort();
    const expected = real.pointers.filter((p) => p.location === worker).map((p) => p.idAtLocation).sort();
    expect(held).toEqual(expected);
  }
}

const pick = (index: number, model: Model) => index % model.values.length;

class Create implements Cmd {
  constructor(readonly worker: number, readonly values: Vec) {}
  check = () => true;
  async run(model: Model, real: Real) {
    real.pointers.push(sy.tensor(this.values).send(real.workers[this.worker]!));
    model.values.push(f32(this.values));
    model.workers.push(this.worker);
    await checkStores(real);
  }
  toString = () => `create(w${this.worker}, [${this.values}])`;
}

class Binary implements Cmd {
  constructor(readonly op: keyof typeof BINARY, readonly a: number, readonly b: number) {}
  check = (m: Readonly<Model>) => m.values.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(this.a, model);
    // The second operand must be at the same worker: take the next pointer there.
    const peers = model.workers.map((w, k) => [w, k] as const).filter(([w]) => w === model.workers[i]);
    const j = peers[this.b % peers.length]![1];
    real.pointers.push(real.pointers[i]!.op(this.op, real.pointers[j]!) as sy.PointerTensor);
    model.values.push(f32(model.values[i]!.map((v, k) => BINARY[this.op](v, model.values[j]![k]!))));
    model.workers.push(model.workers[i]!);
    await checkStores(real);
  }
  toString = () => `${this.op}(#${this.a}, #${this.b})`;
}

class Dispose implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.values.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(this.index, model);
    real.pointers.splice(i, 1)[0]!.dispose();
    model.values.splice(i, 1);
    model.workers.splice(i, 1);
    await checkStores(real);
  }
  toString = () => `dispose(#${this.index})`;
}

class Get implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.values.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(this.index, model);
    const [pointer] = real.pointers.splice(i, 1);
    const [expected] = model.values.splice(i, 1);
    model.workers.splice(i, 1);
    const t = await pointer!.get();
    expect(Array.from(t.dataSync())).toEqual(expected);
    await checkStores(real);
  }
  toString = () => `get(#${this.index})`;
}

/** A tidy that creates temporaries at a worker and keeps only one result. */
class Tidy implements Cmd {
  constructor(readonly worker: number, readonly values: Vec, readonly steps: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const w = real.workers[this.worker]!;
    const kept = sy.tidy(() => {
      let p = sy.tensor(this.values).send(w);
      for (let s = 0; s < this.steps; s++) p = p.add(p);
      return p;
    });
    real.pointers.push(kept);
    let expected = f32(this.values);
    for (let s = 0; s < this.steps; s++) expected = f32(expected.map((v) => v + v));
    model.values.push(expected);
    model.workers.push(this.worker);
    await checkStores(real);
  }
  toString = () => `tidy(w${this.worker}, [${this.values}], ${this.steps} doublings)`;
}

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['w0', 'w1', 'w2'], { threads: 2 });
});
afterAll(() => hook.shutdown());

const vec = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: LENGTH, maxLength: LENGTH });
const worker = fc.integer({ min: 0, max: 2 });
const index = fc.nat(50);

const commands = [
  fc.tuple(worker, vec).map(([w, v]) => new Create(w, v)),
  fc.tuple(fc.constantFrom<keyof typeof BINARY>('add', 'sub', 'mul'), index, index).map(([o, a, b]) => new Binary(o, a, b)),
  index.map((i) => new Dispose(i)),
  index.map((i) => new Get(i)),
  fc.tuple(worker, vec, fc.integer({ min: 0, max: 4 })).map(([w, v, s]) => new Tidy(w, v, s)),
];

test('random programs keep every store equal to the live pointers and every value exact', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: 'max' }), async (program) => {
      await Promise.all(workers.map((w) => w.clearObjects()));
      const real: Real = { workers, pointers: [] };
      await fc.asyncModelRun(() => ({ model: { values: [], workers: [] }, real }), program);
      for (const p of real.pointers) p.dispose();
      await sy.testing.assertNoLeaks(hook);
    }),
    { numRuns: 60 },
  );
});
