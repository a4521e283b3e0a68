/** `sy.optim`: optimizers for local or remote parameters; their state stays next to the parameters. */
export { Optimizer, type OptimizerState, type Term } from './optimizer.js';
export { Sgd, sgd, type SgdOptions } from './sgd.js';
export { Adam, adam, type AdamOptions } from './adam.js';
