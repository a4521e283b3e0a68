import { collectGarbage } from '../leaks.js';
import { checkStores, pick, type PointerCommand, type PointerModel, type PointerSystem, remove } from '../pointer-model.js';

/** Drops the last reference to a pointer and runs the GC: the object must go as with dispose(). Needs --expose-gc. */
export class CollectCommand implements PointerCommand {
  constructor(readonly index: number) {}
  check = (m: Readonly<PointerModel>): boolean => m.entries.length > 0;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    remove(model, system, pick(model, this.index));
    await collectGarbage();
    await checkStores(model, system);
  }
  toString = (): string => `collect(#${this.index})`;
}
