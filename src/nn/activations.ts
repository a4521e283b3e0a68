/**
 * Parameter-free layers: one registry op each, so they run wherever their input is.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { type Activation, Module, type ModuleSpec } from './module.js';

/** The parameter-free layers, one entry each: how each applies its op, given its one numeric argument. */
const OP_LAYERS = {
  relu: (x: Activation) => x.relu(),
  sigmoid: (x: Activation) => x.sigmoid(),
  tanh: (x: Activation) => x.tanh(),
  softmax: (x: Activation, dim = -1) => x.softmax(dim),
  logSoftmax: (x: Activation, dim = -1) => x.logSoftmax(dim),
  flatten: (x: Activation, features?: number) => x.reshape([-1, features ?? featuresOf(x)]),
} as const;

/** All but the batch axis, counted: from the input's shape, known at the caller for pointers too. */
function featuresOf(x: Activation): number {
  const shape = x.shape;
  if (shape === undefined) {
    throw new InvalidArgumentError(`flatten(): the input's shape is not known here; pass the feature count, sy.nn.flatten(features).`);
  }
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

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
/** Flattens all but the batch axis (into `features` values, if given; by default, as many as the input has). */
export const flatten = (features?: number): OpLayer => new OpLayer('flatten', features);

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
