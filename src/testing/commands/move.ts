import { checkStores, pick, type PointerCommand, type PointerModel, type PointerSystem } from '../pointer-model.js';

/** x.move(worker): the data goes there, the pointer points there directly. */
export class MoveCommand implements PointerCommand {
  constructor(
    readonly index: number,
    readonly worker: number,
  ) {}
  check = (m: Readonly<PointerModel>): boolean => m.entries.length > 0;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    const i = pick(model, this.index);
    const target = system.workers[this.worker % system.workers.length]!;
    system.pointers[i]!.move(target);
    model.entries[i] = { values: model.entries[i]!.values, route: [target.id] };
    await checkStores(model, system);
  }
  toString = (): string => `#${this.index}.move(w${this.worker})`;
}
