import type { SgdOptions } from '../core/specs.js';
import type { Parameter } from '../nn/module.js';
import { Optimizer, type OptimizerState, type Steppable, type Term, withTemp } from './optimizer.js';

/**
 * Stochastic gradient descent, as PyTorch's optim.SGD:
 *   1. d = grad + weightDecay·p
 *   2. with momentum: buf = momentum·buf + d (buf = d at the first step); d = buf
 *   3. p -= lr·d
 */
export class Sgd extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;

  constructor(params: readonly Steppable[], options: SgdOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
  }

  protected update(p: Parameter, grad: Term, state: OptimizerState): void {
    const decayed = this.weightDecay === 0 ? undefined : (grad.add(p.mul(this.weightDecay)) as Term);
    const d = decayed ?? grad;
    let direction = d;
    if (this.momentum !== 0) {
      const buf = state.get('momentum');
      if (buf === undefined) {
        direction = state.create('momentum', () => d.clone() as Term);
      } else {
        buf.mulInPlace(this.momentum).addInPlace(d);
        direction = buf;
      }
    }
    withTemp(direction.mul(this.lr) as Term, (step) => p.subInPlace(step));
    decayed?.dispose();
  }
}

export const sgd = (params: readonly Steppable[], options: SgdOptions): Sgd => new Sgd(params, options);
