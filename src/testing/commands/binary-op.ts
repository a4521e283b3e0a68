import { checkStores, f32, pick, type PointerCommand, type PointerModel, type PointerSystem } from '../pointer-model.js';

const APPLY = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
} as const;

export type BinaryOpName = keyof typeof APPLY;

/** z = x.op(y), x and y on the same route (same head, same data worker): the result lives there too. */
export class BinaryOpCommand implements PointerCommand {
  constructor(
    readonly op: BinaryOpName,
    readonly a: number,
    readonly b: number,
  ) {}
  check = (m: Readonly<PointerModel>): boolean => m.entries.length > 0;
  async run(model: PointerModel, system: PointerSystem): Promise<void> {
    const i = pick(model, this.a);
    const route = model.entries[i]!.route.join('>');
    const peers = model.entries.flatMap((e, k) => (e.route.join('>') === route ? [k] : []));
    const j = peers[this.b % peers.length]!;
    const x = model.entries[i]!;
    const y = model.entries[j]!;
    system.pointers.push(system.pointers[i]!.op(this.op, system.pointers[j]!) as (typeof system.pointers)[number]);
    model.entries.push({ values: f32(x.values.map((v, k) => APPLY[this.op](v, y.values[k]!))), route: x.route });
    await checkStores(model, system);
  }
  toString = (): string => `#${this.a}.${this.op}(#${this.b})`;
}
