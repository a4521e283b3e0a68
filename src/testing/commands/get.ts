import * as tf from '@tensorflow/tfjs-core';
import { PointerTensor } from '../../pointers/pointer-tensor.js';
import { SyftTensor } from '../../tensor/syft-tensor.js';
import { checkStores, mismatch, pick, type PointerCommand, type PointerModel, type PointerSystem, remove, replace } from '../pointer-model.js';

/** await x.get(): the values come home from data; on a chain, one hop is removed. */
export class GetCommand implements PointerCommand {
  constructor(readonly index: number) {}
  check = (m: Readonly<PointerModel>): boolean => m.entries.length > 0;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    const i = pick(model, this.index);
    const entry = model.entries[i]!;
    const got: unknown = await system.pointers[i]!.get();
    if (entry.route.length > 1) {
      mismatch(got instanceof PointerTensor && got.location.id === entry.route[1], () => `get() on a chain should give a pointer to ${entry.route[1]}`);
      replace(model, system, i, got as PointerTensor<unknown>, { values: entry.values, route: entry.route.slice(1) });
    } else {
      remove(model, system, i);
      const values = Array.from(got instanceof SyftTensor ? got.dataSync() : (got as tf.Tensor).dataSync());
      mismatch(
        values.length === entry.values.length && values.every((v, k) => Object.is(v, entry.values[k])),
        () => `get() gave [${values.join(', ')}], the model says [${entry.values.join(', ')}]`,
      );
    }
    await checkStores(model, system);
  }
  toString = (): string => `get(#${this.index})`;
}
