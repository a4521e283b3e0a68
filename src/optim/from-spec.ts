/** An optimizer from its spec (a training job's, in a worker): one entry per kind. */
import type { OptimizerSpec } from '../core/specs.js';
import type { Parameter } from '../nn/module.js';
import { Adam } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { Sgd } from './sgd.js';

export function optimizerFromSpec(spec: OptimizerSpec, params: readonly Parameter[]): Optimizer {
  return spec.kind === 'sgd' ? new Sgd(params, spec) : new Adam(params, spec);
}
