import { uniformParameter } from './init.js';
import { type Activation, Module, type ModuleSpec, type ParameterSource } from './module.js';

export interface Conv2dOptions {
  readonly stride?: number;
  readonly padding?: 'valid' | 'same';
  readonly bias?: boolean;
}

/**
 * 2-D convolution over NHWC input (tfjs's layout), filter [k, k, in, out].
 * On the wasm backend of tfjs 4.22 its gradient cannot run (no
 * Conv2DBackpropFilter kernel): train convolutions on cpu or tfjs-node.
 */
export class Conv2d extends Module {
  readonly stride: number;
  readonly padding: 'valid' | 'same';
  readonly hasBias: boolean;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv2dOptions = {},
    existing?: ParameterSource,
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'valid';
    this.hasBias = options.bias ?? true;
    const fanIn = inChannels * kernelSize * kernelSize;
    this.registerParameter('weight', existing?.() ?? uniformParameter([kernelSize, kernelSize, inChannels, outChannels], fanIn));
    if (this.hasBias) this.registerParameter('bias', existing?.() ?? uniformParameter([outChannels], fanIn));
  }

  spec(): ModuleSpec {
    return {
      kind: 'conv2d',
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      bias: this.hasBias,
    };
  }

  forward<A extends Activation>(x: A): A {
    const y = x.conv2d(this.parameter('weight'), this.stride, this.padding) as A;
    return this.hasBias ? (y.add(this.parameter('bias')) as A) : y;
  }

  protected clone(): this {
    return new Conv2d(this.inChannels, this.outChannels, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      bias: this.hasBias,
    }) as this;
  }
}

export const conv2d = (inChannels: number, outChannels: number, kernelSize: number, options?: Conv2dOptions): Conv2d =>
  new Conv2d(inChannels, outChannels, kernelSize, options);

/** Max pooling over NHWC input. */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride = kernelSize,
  ) {
    super();
  }

  forward<A extends Activation>(x: A): A {
    return x.maxPool(this.kernelSize, this.stride, 'valid') as A;
  }

  spec(): ModuleSpec {
    return { kind: 'maxPool2d', kernelSize: this.kernelSize, stride: this.stride };
  }

  protected clone(): this {
    return new MaxPool2d(this.kernelSize, this.stride) as this;
  }
}

export const maxPool2d = (kernelSize: number, stride?: number): MaxPool2d => new MaxPool2d(kernelSize, stride);
