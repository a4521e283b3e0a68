/** `sy.optim`: optimizers for local or remote parameters; their state stays next to the parameters. */
export { Optimizer, type OptimizerState, type Steppable, type SteppableKinds, type Term } from './optimizer.js';
export { Sgd, sgd } from './sgd.js';
export { Adam, adam } from './adam.js';
export { optimizerFromSpec } from './from-spec.js';
export type { AdamOptions, OptimizerSpec, SgdOptions } from '../core/specs.js';
