/**
 * Concurrent gets, moves, chain unwraps and collections, with fast-check's
 * scheduler choosing the order in which every task starts and resumes: in any
 * interleaving each value arrives intact and nothing is left behind.
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
  workers = await hook.virtualWorkers(['s0', 's1', 's2'], { threads: 2 });
});
afterAll(() => hook.shutdown());

type Action =
  | { kind: 'get' }
  | { kind: 'move'; to: number }
  | { kind: 'chain-get'; to: number }
  | { kind: 'move-then-op'; to: number }
  | { kind: 'collect' };

const to = fc.nat({ max: 2 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.constant<Action>({ kind: 'get' }),
  to.map<Action>((t) => ({ kind: 'move', to: t })),
  to.map<Action>((t) => ({ kind: 'chain-get', to: t })),
  to.map<Action>((t) => ({ kind: 'move-then-op', to: t })),
  fc.constant<Action>({ kind: 'collect' }),
);

const valuesOf = (t: unknown) => Array.from((t as tf.Tensor).dataSync());

test('any interleaving of gets, moves, chain gets and collection preserves values and leaks nothing', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(fc.tuple(fc.nat({ max: 2 }), actionArb), { minLength: 1, maxLength: 8 }),
      async (s, actions) => {
        const tasks = actions.map(([from, action], i) => {
          const expected = [i, i + 0.5, -i];
          const origin = workers[from]!;
          // The pointer lives only inside its task, so 'collect' can really drop it.
          let p: sy.PointerTensor<tf.Tensor> | undefined = tf.tensor(expected).send(origin);
          return (async () => {
            await s.schedule(Promise.resolve(), `start ${i}`);
            const target = workers[(action as { to?: number }).to ?? 0]!;
            switch (action.kind) {
              case 'get':
                expect(valuesOf(await s.schedule(p!.get(), `get ${i}`))).toEqual(expected);
                break;
              case 'move':
                p!.move(target);
                await s.schedule(Promise.resolve(), `moved ${i}`);
                expect(valuesOf(await s.schedule(p!.get(), `get ${i}`))).toEqual(expected);
                break;
              case 'chain-get': {
                if (target === origin) {
                  p!.dispose();
                  break;
                }
                const chain = p!.send(target);
                const inner = await s.schedule(chain.get(), `unwrap ${i}`);
                expect(valuesOf(await s.schedule(inner.get(), `get ${i}`))).toEqual(expected);
                break;
              }
              case 'move-then-op': {
                const q = p!.move(target).mul(2);
                await s.schedule(Promise.resolve(), `op ${i}`);
                expect(valuesOf(await s.schedule(q.get(), `get ${i}`))).toEqual(expected.map((v) => v * 2));
                p!.dispose();
                break;
              }
              case 'collect':
                p = undefined;
                await s.schedule(sy.testing.collectGarbage(), `gc ${i}`);
                break;
            }
          })();
        });
        await s.waitAll();
        await Promise.all(tasks);
        await sy.testing.collectGarbage();
        await sy.testing.assertNoLeaks(hook, { workers });
      },
    ),
    { numRuns: 40 },
  );
});
