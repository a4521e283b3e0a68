import { uniformParameter } from './init.js';
import { type Activation, Module, type ModuleSpec, type ParameterSource } from './module.js';

/** y = x·W + b, with W of shape [inFeatures, outFeatures] (tfjs's layout; PyTorch stores W transposed). */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly bias = true,
    existing?: ParameterSource,
  ) {
    super();
    this.registerParameter('weight', existing?.() ?? uniformParameter([inFeatures, outFeatures], inFeatures));
    if (bias) this.registerParameter('bias', existing?.() ?? uniformParameter([outFeatures], inFeatures));
  }

  spec(): ModuleSpec {
    return { kind: 'linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias };
  }

  forward<A extends Activation>(x: A): A {
    const y = x.matMul(this.parameter('weight')) as A;
    return this.bias ? (y.add(this.parameter('bias')) as A) : y;
  }

  protected clone(): this {
    return new Linear(this.inFeatures, this.outFeatures, this.bias) as this;
  }
}

/** `sy.nn.linear(2, 1)`, as `nn.Linear(2, 1)`. */
export const linear = (inFeatures: number, outFeatures: number, bias = true): Linear => new Linear(inFeatures, outFeatures, bias);
