import { checkStores, pick, type PointerCommand, type PointerModel, type PointerSystem, replace } from '../pointer-model.js';

/** x.send(worker) on a pointer: the worker gets a pointer to x's object (a chain grows by one hop). */
export class SendChainCommand implements PointerCommand {
  constructor(
    readonly index: number,
    readonly worker: number,
  ) {}
  check = (m: Readonly<PointerModel>): boolean =>
    m.entries.length > 0 && m.workers[this.worker % m.workers.length] !== m.entries[pick(m, this.index)]!.route[0];
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    const i = pick(model, this.index);
    const target = system.workers[this.worker % system.workers.length]!;
    const entry = model.entries[i]!;
    replace(model, system, i, system.pointers[i]!.send(target), { values: entry.values, route: [target.id, ...entry.route] });
    await checkStores(model, system);
  }
  toString = (): string => `#${this.index}.send(w${this.worker})`;
}
