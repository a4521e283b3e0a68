/**
 * Rebuilds a module from its spec around existing parameters: how a worker
 * gets the model it trains in one message. One entry per kind of module.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { Dropout, isOpLayerName, OpLayer } from './activations.js';
import { Conv2d, MaxPool2d } from './conv.js';
import { Linear } from './linear.js';
import type { Module, ModuleSpec, ParameterSource } from './module.js';
import { Sequential } from './sequential.js';

type Builders = { [K in ModuleSpec['kind']]: (spec: Extract<ModuleSpec, { kind: K }>, take: ParameterSource) => Module };

const BUILDERS: Builders = {
  linear: (s, take) => new Linear(s.inFeatures, s.outFeatures, s.bias, take),
  sequential: (s, take) => new Sequential(...s.layers.map((layer) => moduleFromSpec(layer, take))),
  op: (s) => {
    if (!isOpLayerName(s.name)) throw new InvalidArgumentError(`Unknown layer '${s.name}' in a module spec.`);
    return new OpLayer(s.name, s.arg);
  },
  dropout: (s) => new Dropout(s.rate),
  conv2d: (s, take) => new Conv2d(s.inChannels, s.outChannels, s.kernelSize, { stride: s.stride, padding: s.padding, bias: s.bias }, take),
  maxPool2d: (s) => new MaxPool2d(s.kernelSize, s.stride),
};

export function moduleFromSpec(spec: ModuleSpec, take: ParameterSource): Module {
  const build = BUILDERS[spec.kind] as (s: ModuleSpec, t: ParameterSource) => Module;
  if (build === undefined) throw new InvalidArgumentError(`Unknown module kind '${String((spec as { kind: unknown }).kind)}'.`);
  return build(spec, take);
}
