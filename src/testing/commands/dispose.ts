import { checkStores, pick, type PointerCommand, type PointerModel, type PointerSystem, remove } from '../pointer-model.js';

/** x.dispose(): the object is deleted, down the whole chain. */
export class DisposeCommand implements PointerCommand {
  constructor(readonly index: number) {}
  check = (m: Readonly<PointerModel>): boolean => m.entries.length > 0;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    remove(model, system, pick(model, this.index)).dispose();
    await checkStores(model, system);
  }
  toString = (): string => `dispose(#${this.index})`;
}
