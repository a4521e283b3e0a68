/**
 * Random pointer programs, run against the model (fast-check model-based
 * testing). A program is a sequence of send / send-chain / move / remoteGet /
 * get / op / dispose / collect commands; after each one the model checks every
 * worker's store, and at the end nothing may be left.
 *
 * Plug in a command of your own: implement `PointerCommand` (check(model),
 * run(model, system) that asserts, toString()), usually updating
 * `model.entries` and `system.pointers` together and ending with
 * `await checkStores(model, system)`, then pass its arbitrary in `extra`:
 *
 *   class DoubleCommand implements sy.testing.PointerCommand { ... }
 *   const program = sy.testing.pointerProgram({ workers: 3, extra: [fc.nat().map((i) => new DoubleCommand(i))] });
 *   await fc.assert(fc.asyncProperty(program, (p) => sy.testing.runPointerProgram({ hook, workers }, p)));
 */
import fc from 'fast-check';
import type { Hook } from '../client/hook.js';
import type { VirtualWorker } from '../client/virtual-worker.js';
import { vectorArb } from './arbitraries.js';
import { BinaryOpCommand, type BinaryOpName } from './commands/binary-op.js';
import { CollectCommand } from './commands/collect.js';
import { DisposeCommand } from './commands/dispose.js';
import { GetCommand } from './commands/get.js';
import { MoveCommand } from './commands/move.js';
import { RemoteGetCommand } from './commands/remote-get.js';
import { SendChainCommand } from './commands/send-chain.js';
import { SendCommand } from './commands/send.js';
import { assertNoLeaks } from './leaks.js';
import type { PointerCommand, PointerSystem } from './pointer-model.js';

export interface PointerProgramOptions {
  /** How many workers the commands address (the system must have at least this many). */
  readonly workers: number;
  /** Length of every tensor in the program (default 3). */
  readonly vectorLength?: number;
  /** Include collection by GC (default: when node runs with --expose-gc). */
  readonly collect?: boolean;
  /** Commands of your own, mixed in with the built-in ones. */
  readonly extra?: readonly fc.Arbitrary<PointerCommand>[];
}

export function pointerCommands(options: PointerProgramOptions): fc.Arbitrary<PointerCommand>[] {
  const worker = fc.nat({ max: options.workers - 1 });
  const index = fc.nat(64);
  const collect = options.collect ?? typeof (globalThis as { gc?: unknown }).gc === 'function';
  const send = fc.tuple(worker, vectorArb(options.vectorLength ?? 3)).map(([w, v]) => new SendCommand(w, v));
  return [
    // Every other command needs a live pointer: sends come twice as often.
    send,
    send,
    fc.tuple(index, worker).map(([i, w]) => new SendChainCommand(i, w)),
    fc.tuple(index, worker).map(([i, w]) => new MoveCommand(i, w)),
    index.map((i) => new RemoteGetCommand(i)),
    index.map((i) => new GetCommand(i)),
    fc.tuple(fc.constantFrom<BinaryOpName>('add', 'sub', 'mul'), index, index).map(([o, a, b]) => new BinaryOpCommand(o, a, b)),
    index.map((i) => new DisposeCommand(i)),
    ...(collect ? [index.map((i) => new CollectCommand(i))] : []),
    ...(options.extra ?? []),
  ];
}

export function pointerProgram(
  options: PointerProgramOptions,
  constraints: fc.CommandsContraints = { maxCommands: 25, size: 'max' },
): fc.Arbitrary<Iterable<PointerCommand>> {
  return fc.commands(pointerCommands(options), constraints);
}

/**
 * Runs one program on workers of their own (their stores are cleared first),
 * then disposes what is left and asserts that nothing leaked.
 */
export async function runPointerProgram(
  system: { readonly hook: Hook; readonly workers: readonly VirtualWorker[] },
  program: Iterable<PointerCommand>,
): Promise<void> {
  await Promise.all(system.workers.map((w) => w.clearObjects()));
  const real: PointerSystem = { hook: system.hook, workers: system.workers, pointers: [] };
  try {
    await fc.asyncModelRun(() => ({ model: { workers: system.workers.map((w) => w.id), entries: [] }, real }), program);
  } finally {
    for (const p of real.pointers) p.dispose();
  }
  await assertNoLeaks(system.hook, { workers: system.workers });
}
