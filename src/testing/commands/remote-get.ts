import { checkStores, pick, type PointerCommand, type PointerModel, type PointerSystem } from '../pointer-model.js';

/** x.remoteGet() on a chain: the data comes to the chain's head. */
export class RemoteGetCommand implements PointerCommand {
  constructor(readonly index: number) {}
  check = (m: Readonly<PointerModel>): boolean => m.entries.length > 0 && m.entries[pick(m, this.index)]!.route.length > 1;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    const i = pick(model, this.index);
    system.pointers[i]!.remoteGet();
    model.entries[i] = { values: model.entries[i]!.values, route: [model.entries[i]!.route[0]!] };
    await checkStores(model, system);
  }
  toString = (): string => `#${this.index}.remoteGet()`;
}
