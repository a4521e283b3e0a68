/**
 * Model-based tests with sy.testing: random programs of send / send-chain /
 * move / remoteGet / get / op / dispose / collect preserve every value, keep
 * every store equal to the model after each command, and leave nothing behind.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  // Four actors on three threads: moves and chains cross threads and stay inside one.
  workers = await hook.virtualWorkers(['p0', 'p1', 'p2', 'p3'], { threads: 3 });
});
afterAll(() => hook.shutdown());

test('random pointer programs match the model after every command', async () => {
  await fc.assert(
    fc.asyncProperty(sy.testing.pointerProgram({ workers: 4 }), (program) =>
      sy.testing.runPointerProgram({ hook, workers }, program),
    ),
    { numRuns: 40 },
  );
});

test('the runner catches a command that breaks the model', async () => {
  // A user command that forgets to tell the model about the pointer it creates.
  class ForgetfulSend implements sy.testing.PointerCommand {
    check = () => true;
    async run(model: sy.testing.PointerModel, system: sy.testing.PointerSystem) {
      system.pointers.push(sy.tensor([1, 2, 3]).send(system.workers[0]!));
      await sy.testing.checkStores(model, system);
    }
    toString = () => 'forgetfulSend';
  }
  const program = sy.testing.pointerProgram({ workers: 2, extra: [fc.constant(new ForgetfulSend())] }, { maxCommands: 5, size: 'max' });
  const outcome = await fc.check(
    fc.asyncProperty(program, (p) => sy.testing.runPointerProgram({ hook, workers: workers.slice(0, 2) }, p)),
    { numRuns: 50 },
  );
  expect(outcome.failed).toBe(true);
  expect(String(outcome.counterexample)).toMatch(/forgetfulSend/);
});
