import type { AdamOptions } from '../core/specs.js';
import type { Parameter } from '../nn/module.js';
import { Optimizer, type OptimizerState, type Term, withTemp } from './optimizer.js';

/**
 * Adam, as PyTorch's optim.Adam (and tf.train.adam):
 *   1. g = grad + weightDecay·p; t += 1
 *   2. m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
 *   3. p -= lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps)
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  #t = 0;

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super(params, options.lr ?? 0.001);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  override step(): void {
    this.#t++;
    super.step();
  }

  protected update(p: Parameter, grad: Term, state: OptimizerState): void {
    const g = this.weightDecay === 0 ? grad : (grad.add(p.mul(this.weightDecay)) as Term);
    const m = state.get('m') ?? state.create('m', () => p.zerosLike() as Term);
    const v = state.get('v') ?? state.create('v', () => p.zerosLike() as Term);
    withTemp(g.mul(1 - this.beta1) as Term, (t) => m.mulInPlace(this.beta1).addInPlace(t));
    withTemp(g.square().mul(1 - this.beta2) as Term, (t) => v.mulInPlace(this.beta2).addInPlace(t));
    const mHat = m.div(1 - this.beta1 ** this.#t) as Term;
    const vHat = v.div(1 - this.beta2 ** this.#t) as Term;
    const denominator = vHat.sqrt().add(this.eps) as Term;
    withTemp(mHat.div(denominator).mul(this.lr) as Term, (step) => p.subInPlace(step));
    for (const t of [mHat, vHat, denominator]) t.dispose();
    if (g !== grad) g.dispose();
  }
}

export const adam = (params: readonly Parameter[], options?: AdamOptions): Adam => new Adam(params, options);
