/**
 * Parameter-free layers: one registry op each, so they run wherever their input is.
 */
import { type Activation, Module, type ModuleSpec } from './module.js';

/** The parameter-free layers, one entry each: how each applies its op, given its one numeric argument. */
const OP_LAYERS = {
  relu: (x: Activation) => x.relu(),
  sigmoid: (x: Activation) => x.sigmoid(),
  tanh: (x: Activation) => x.tanh(),
  softmax: (x: Activation, dim = -1) => x.softmax(dim),
  logSoftmax: (x: Activation, dim = -1) => x.logSoftmax(dim),
  flatten: (x: Activation, features = -1) => x.reshape([-1, features]),
} as const;

export type OpLayerName = keyof typeof OP_LAYERS;

/** A layer that applies one op (relu, softmax, ...) to its input. */
export class OpLayer extends Module {
  constructor(
    readonly name: OpLayerName,
    readonly arg?: number,
  ) {
    super();
  }

  forward<A extends Activation>(x: A): A {
    return OP_LAYERS[this.name](x, this.arg) as A;
  }

  spec(): ModuleSpec {
    return this.arg === undefined ? { kind: 'op', name: this.name } : { kind: 'op', name: this.name, arg: this.arg };
  }

  protected clone(): this {
    return new OpLayer(this.name, this.arg) as this;
  }
}

export function isOpLayerName(name: string): name is OpLayerName {
  return Object.hasOwn(OP_LAYERS, name);
}

export const relu = (): OpLayer => new OpLayer('relu');
export const sigmoid = (): OpLayer => new OpLayer('sigmoid');
export const tanh = (): OpLayer => new OpLayer('tanh');
/** Softmax along `dim` (default: the last axis). */
export const softmax = (dim = -1): OpLayer => new OpLayer('softmax', dim);
/** Log-softmax along `dim` (default: the last axis); pair it with nllLoss. */
export const logSoftmax = (dim = -1): OpLayer => new OpLayer('logSoftmax', dim);
/** Flattens all but the batch axis into `features` (pointers do not know their shape, so say how many). */
export const flatten = (features: number): OpLayer => new OpLayer('flatten', features);

/** Zeroes each value with probability `rate` and scales the rest by 1/(1-rate), in training only. */
export class Dropout extends Module {
  constructor(readonly rate = 0.5) {
    super();
  }

  forward<A extends Activation>(x: A): A {
    return this.training && this.rate > 0 ? (x.dropout(this.rate) as A) : x;
  }

  spec(): ModuleSpec {
    return { kind: 'dropout', rate: this.rate };
  }

  protected clone(): this {
    return new Dropout(this.rate) as this;
  }
}

export const dropout = (rate = 0.5): Dropout => new Dropout(rate);
