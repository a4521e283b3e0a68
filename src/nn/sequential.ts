import { type Activation, Module, type ModuleSpec } from './module.js';

/** Applies its modules in order; their parameters are named '0.weight', '1.bias', ... */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.registerModule(String(i), layer));
  }

  forward<A extends Activation>(x: A): A {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }

  spec(): ModuleSpec {
    return { kind: 'sequential', layers: this.layers.map((l) => l.spec()) };
  }

  protected clone(): this {
    return new Sequential(...this.layers.map((l) => l.copy())) as this;
  }
}

export const sequential = (...layers: Module[]): Sequential => new Sequential(...layers);
