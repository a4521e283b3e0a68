/**
 * A model of where every value lives, for model-based tests of pointer
 * programs (fast-check `commands`). The model knows, for each live pointer, the
 * values it should hold and its route: the workers from the pointer's location
 * (a chain's head) to the worker holding the data. After every command
 * `checkStores` reads every worker and checks that the stores are exactly what
 * the model says: each route's links and tensor present, nothing else anywhere.
 */
import type fc from 'fast-check';
import { SyftError } from '../core/errors.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import type { Hook } from '../client/hook.js';
import type { VirtualWorker } from '../client/virtual-worker.js';
import type { ObjectSummary } from '../core/protocol.js';

export interface ModelEntry {
  /** The values the pointer's tensor holds (float32-rounded). */
  readonly values: readonly number[];
  /** Worker ids from the pointer's location to the data. */
  readonly route: readonly string[];
}

export interface PointerModel {
  /** The workers' ids, in the order of PointerSystem.workers. */
  readonly workers: readonly string[];
  /** One entry per live pointer, index-aligned with PointerSystem.pointers. */
  readonly entries: ModelEntry[];
}

export interface PointerSystem {
  readonly hook: Hook;
  readonly workers: readonly VirtualWorker[];
  /** The live pointers, index-aligned with PointerModel.entries. */
  readonly pointers: PointerTensor<unknown>[];
}

/** A command of a pointer program: check(model), run(model, system) (asserts), toString(). */
export type PointerCommand = fc.AsyncCommand<PointerModel, PointerSystem>;

export class ModelMismatchError extends SyftError {
  constructor(message: string) {
    super('MODEL_MISMATCH', message);
  }
}

export const f32 = (values: readonly number[]): number[] => values.map((v) => Math.fround(v));

/** A command's index argument, mapped onto the live entries. */
export function pick(model: Readonly<PointerModel>, index: number): number {
  return index % model.entries.length;
}

export function mismatch(condition: boolean, message: () => string): void {
  if (!condition) throw new ModelMismatchError(message());
}

/** Checks every worker's store against the model (after the system settled). */
export async function checkStores(model: Readonly<PointerModel>, system: PointerSystem): Promise<void> {
  await system.hook.settle();
  const held = new Map<string, Map<number, ObjectSummary>>();
  for (const w of system.workers) held.set(w.id, await w.objects());
  const reached = new Map<string, Set<number>>(system.workers.map((w) => [w.id, new Set()]));
  model.entries.forEach((entry, i) => {
    const pointer = system.pointers[i]!;
    mismatch(pointer.location.id === entry.route[0], () => `${String(pointer)}: model says it points to ${entry.route[0]}`);
    let id = pointer.idAtLocation;
    entry.route.forEach((worker, hop) => {
      const found = held.get(worker)?.get(id);
      mismatch(found !== undefined, () => `${worker} should hold ${id} (hop ${hop} of ${String(pointer)}, route ${entry.route.join(' -> ')})`);
      reached.get(worker)!.add(id);
      const last = hop === entry.route.length - 1;
      if (last) {
        mismatch(found!.kind === 'tensor', () => `${worker}:${id} should hold the data, holds a pointer`);
      } else {
        mismatch(
          found!.kind === 'pointer' && found!.location === entry.route[hop + 1],
          () => `${worker}:${id} should point to ${entry.route[hop + 1]}, holds ${JSON.stringify(found)}`,
        );
        if (found!.kind === 'pointer') id = found!.idAtLocation;
      }
    });
  });
  for (const [worker, objects] of held) {
    const extra = [...objects.keys()].filter((id) => !reached.get(worker)!.has(id));
    mismatch(extra.length === 0, () => `${worker} holds objects no live pointer reaches: ${extra.join(', ')}`);
  }
}

/** Replaces entry i (the pointer was re-made, e.g. by a chain send or a get on a chain). */
export function replace(model: PointerModel, system: PointerSystem, i: number, pointer: PointerTensor<unknown>, entry: ModelEntry): void {
  model.entries[i] = entry;
  system.pointers[i] = pointer;
}

export function remove(model: PointerModel, system: PointerSystem, i: number): PointerTensor<unknown> {
  model.entries.splice(i, 1);
  return system.pointers.splice(i, 1)[0]!;
}
