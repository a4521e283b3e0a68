/**
 * Parameter-free layers: one registry op each, so they run wherever their input is.
 */
import { type Activation, Module } from './module.js';

type OpOf = (x: Activation) => Activation;

/** A layer that applies one op (relu, softmax, ...) to its input. */
export class OpLayer extends Module {
  constructor(
    readonly name: string,
    private readonly apply: OpOf,
  ) {
    super();
  }

  forward<A extends Activation>(x: A): A {
    return this.apply(x) as A;
  }

  protected clone(): this {
    return new OpLayer(this.name, this.apply) as this;
  }
}

export const relu = (): OpLayer => new OpLayer('relu', (x) => x.relu() as Activation);
export const sigmoid = (): OpLayer => new OpLayer('sigmoid', (x) => x.sigmoid() as Activation);
export const tanh = (): OpLayer => new OpLayer('tanh', (x) => x.tanh() as Activation);
/** Softmax along `dim` (default: the last axis). */
export const softmax = (dim = -1): OpLayer => new OpLayer('softmax', (x) => x.softmax(dim) as Activation);
/** Log-softmax along `dim` (default: the last axis); pair it with nllLoss. */
export const logSoftmax = (dim = -1): OpLayer => new OpLayer('logSoftmax', (x) => x.logSoftmax(dim) as Activation);
/** Flattens all but the batch axis into `features` (pointers do not know their shape, so say how many). */
export const flatten = (features: number): OpLayer => new OpLayer('flatten', (x) => x.reshape([-1, features]) as Activation);

/** Zeroes each value with probability `rate` and scales the rest by 1/(1-rate), in training only. */
export class Dropout extends Module {
  constructor(readonly rate = 0.5) {
    super();
  }

  forward<A extends Activation>(x: A): A {
    return this.training && this.rate > 0 ? (x.dropout(this.rate) as A) : x;
  }

  protected clone(): this {
    return new Dropout(this.rate) as this;
  }
}

export const dropout = (rate = 0.5): Dropout => new Dropout(rate);
