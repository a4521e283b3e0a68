import { tensor } from '../../tensor/syft-tensor.js';
import { checkStores, f32, type PointerCommand, type PointerModel, type PointerSystem } from '../pointer-model.js';

/** x = sy.tensor(values).send(worker) */
export class SendCommand implements PointerCommand {
  constructor(
    readonly worker: number,
    readonly values: readonly number[],
  ) {}
  check = (): boolean => true;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    const w = system.workers[this.worker % system.workers.length]!;
    system.pointers.push(tensor([...this.values]).send(w));
    model.entries.push({ values: f32(this.values), route: [w.id] });
    await checkStores(model, system);
  }
  toString = (): string => `send([${this.values.join(',')}], w${this.worker})`;
}
