/**
 * PySyft's spellings (src/core/pysyft-names.ts) answer with the syft-ts form:
 * every row on every class it names throws PYSYFT_NAME with the form, every
 * form names members that exist, and the installer never hides a member a
 * class defines itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { installPySyftSpellings, TorchHook, combine_pointers } from '../../src/client/pysyft-spellings.js';
import { PySyftNameError } from '../../src/core/errors.js';
import { PYSYFT_NAMES, type PySyftName, pysyftUsage, RECEIVER_VARIABLES, type Receiver } from '../../src/core/pysyft-names.js';
import { startHook, thrown } from '../support/runtime.js';

let hook: sy.Hook;
let instances: Record<Receiver, object>;

beforeAll(async () => {
  hook = await startHook();
  const [bob, alice, james] = await hook.virtualWorkers(['bob', 'alice', 'james'], { threads: 1 });
  const model = sy.nn.linear(2, 1);
  const fixed = sy.tensor([1, 2]).fixPrecision();
  instances = {
    tfTensor: tf.tensor([1, 2]),
    syftTensor: sy.tensor([1, 2], { requiresGrad: true }),
    pointer: sy.tensor([1, 2]).send(bob!),
    multiPointer: sy.tensor([1, 2]).send(bob!, alice!),
    fixedPrecision: fixed,
    fixedPrecisionPointer: sy.tensor([1, 2]).send(bob!).fixPrecision(),
    shared: fixed.share(bob!, alice!, { cryptoProvider: james! }),
    worker: bob!,
    module: model,
    optimizer: sy.optim.sgd(model.parameters(), { lr: 0.1 }),
    hook,
  };
});

afterAll(async () => {
  await hook?.shutdown();
});

const cases = PYSYFT_NAMES.flatMap((row) =>
  (Object.entries(row.forms) as Array<[Receiver, string]>).map(([receiver, form]) => ({ row, receiver, form })),
);

const expectedMessage = (row: PySyftName, receiver: Receiver, form: string): string =>
  `${pysyftUsage(row, receiver)} is PySyft's spelling; in syft-ts write ${form}` + (row.note === undefined ? '' : `. ${row.note}`);

describe('every spelling throws PYSYFT_NAME naming the syft-ts form', () => {
  test.each(cases.map((c) => [pysyftUsage(c.row, c.receiver), c.receiver, c] as const))('%s on %s', (_, receiver, { row, form }) => {
    const target = instances[receiver] as Record<string, unknown>;
    const error = thrown(() => (row.kind === 'method' ? (target[row.pysyft] as () => unknown).call(target) : target[row.pysyft]));
    expect(error).toBeInstanceOf(PySyftNameError);
    expect(error.code).toBe('PYSYFT_NAME');
    expect(error.message).toBe(expectedMessage(row, receiver, form));
    expect({ pysyft: (error as PySyftNameError).pysyft, syftTs: (error as PySyftNameError).syftTs }).toEqual({
      pysyft: pysyftUsage(row, receiver),
      syftTs: form,
    });
    if (row.kind === 'property') {
      // Assigning is the same habit (x.requires_grad = True).
      expect(thrown(() => (target[row.pysyft] = true)).code).toBe('PYSYFT_NAME');
    }
  });

  test('the brief example reads as written', () => {
    expect(thrown(() => (instances.tfTensor as unknown as { fix_precision(): unknown }).fix_precision()).message).toBe(
      "x.fix_precision() is PySyft's spelling; in syft-ts write x.fixPrecision(). precisionFractional counts bits (base 2): x.fixPrecision({ precisionFractional: 16 })",
    );
  });

  test('module-level names: sy.TorchHook and sy.combine_pointers', () => {
    expect(thrown(() => TorchHook({})).message).toBe("sy.TorchHook(torch) is PySyft's spelling; in syft-ts write const hook = await sy.hook(tf)");
    expect(thrown(() => combine_pointers()).message).toBe("sy.combine_pointers(x, y) is PySyft's spelling; in syft-ts write sy.combinePointers(x, y)");
    const exported = sy as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(exported['TorchHook']).toBe(TorchHook);
    expect(exported['combine_pointers']).toBe(combine_pointers);
  });

  test("new sy.VirtualWorker(hook, { id: 'bob' }) names hook.virtualWorker instead of building a broken worker", () => {
    const make = sy.VirtualWorker as unknown as new (...args: unknown[]) => unknown;
    const error = thrown(() => new make({}, { id: 'bob' }));
    expect([error.code, error.message]).toEqual([
      'PYSYFT_NAME',
      `sy.VirtualWorker(hook, id="bob") is PySyft's spelling; in syft-ts write const bob = await hook.virtualWorker('bob')`,
    ]);
  });
});

describe('the table', () => {
  test('one row per spelling and receiver', () => {
    const keys = cases.map((c) => `${c.receiver}.${c.row.pysyft}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('every member a form names exists where it says', () => {
    const variables = new Map<string, object>([['sy', sy]]);
    for (const [receiver, name] of Object.entries(RECEIVER_VARIABLES) as Array<[Receiver, string]>) {
      if (name !== 'x') variables.set(name, instances[receiver]);
    }
    const missing: string[] = [];
    for (const { receiver, form } of cases) {
      const members = [...form.matchAll(/\b(sy|x|bob|model|opt|hook)\.(\w+)/g)];
      expect(members.length, form).toBeGreaterThan(0);
      for (const [, variable, member] of members) {
        const object = variable === 'x' ? instances[receiver] : variables.get(variable!)!;
        if (!(member! in object)) missing.push(`${receiver}: ${form} (${member})`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('no spelling shows up in a listing of an object', () => {
    for (const [receiver, object] of Object.entries(instances) as Array<[Receiver, object]>) {
      const listed: string[] = [];
      for (const key in object) listed.push(key);
      const spellings = cases.filter((c) => c.receiver === receiver).map((c) => c.row.pysyft);
      expect(listed.filter((key) => spellings.includes(key)), receiver).toEqual([]);
    }
  });
});

describe('installPySyftSpellings never hides a member the class defines', () => {
  const names = [...new Set(PYSYFT_NAMES.map((row) => row.pysyft))];
  // How a class can already have a name: its own method, a base class's method, a getter, a plain value.
  const existing = fc.constantFrom('own method', 'base method', 'getter', 'value');

  test('property: defined names keep their member, the others throw PYSYFT_NAME', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(RECEIVER_VARIABLES) as Receiver[])),
        fc.dictionary(fc.constantFrom(...names), existing, { maxKeys: 12 }),
        (receiver, predefined) => {
          class Base {}
          class Subject extends Base {}
          const marker = Symbol('original');
          for (const [name, how] of Object.entries(predefined)) {
            const proto = how === 'base method' ? Base.prototype : Subject.prototype;
            const descriptor: PropertyDescriptor =
              how === 'getter' ? { get: () => marker, configurable: true } : { value: how === 'value' ? marker : () => marker, writable: true, configurable: true };
            Object.defineProperty(proto, name, descriptor);
          }
          const before = new Map(names.map((n) => [n, Object.getOwnPropertyDescriptor(Subject.prototype, n)]));
          const installed = installPySyftSpellings(Subject.prototype, receiver);
          const rows = PYSYFT_NAMES.filter((row) => row.forms[receiver] !== undefined);
          expect(installed.sort()).toEqual(rows.map((row) => row.pysyft).filter((n) => !(n in predefined)).sort());
          const subject = new Subject() as Record<string, unknown>;
          for (const name of Object.keys(predefined)) {
            expect(Object.getOwnPropertyDescriptor(Subject.prototype, name)).toEqual(before.get(name));
            const value = subject[name];
            expect(typeof value === 'function' ? (value as () => unknown)() : value).toBe(marker);
          }
          for (const row of rows.filter((r) => !(r.pysyft in predefined))) {
            const call = () => (row.kind === 'method' ? (subject[row.pysyft] as () => unknown)() : subject[row.pysyft]);
            expect(thrown(call).message).toBe(expectedMessage(row, receiver, row.forms[receiver]!));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a second install on a real class adds nothing: every name is defined by then', () => {
    expect(installPySyftSpellings(PointerTensorProto(), 'pointer')).toEqual([]);
  });

  test("x.size() stays JavaScript's TypeError: tfjs's size is a number, and a callable one would break x.size === 2", () => {
    const x = instances.tfTensor as tf.Tensor;
    expect(x.size).toBe(2);
    expect(() => (x as unknown as { size(): number }).size()).toThrow(TypeError);
  });
});

function PointerTensorProto(): object {
  return Object.getPrototypeOf(instances.pointer) as object;
}
