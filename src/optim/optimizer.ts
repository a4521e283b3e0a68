/**
 * The base of the optimizers. A step is written once with registry ops, so it
 * runs wherever each parameter is: for a parameter at bob the update, and the
 * optimizer's state (momentum, Adam's moments), live at bob.
 */
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Parameter } from '../nn/module.js';
// Types only: optimizers also run inside workers, where no pointer exists.
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import type { SyftTensor } from '../tensor/syft-tensor.js';
import { escapeScope } from '../tensor/tidy.js';

/**
 * What an optimizer steps: module parameters, and the tensor kinds that layers
 * above add by declaration merging (src/smpc adds shared tensors, which have
 * every method a step uses: grad, add, mul, clone, the in-place verbs, dispose).
 */
export interface SteppableKinds {
  parameter: Parameter;
}
export type Steppable = SteppableKinds[keyof SteppableKinds];

/** A tensor the update reads: a local syft tensor or a pointer (or gradient view) at the parameter's worker. */
export type Term = SyftTensor | PointerTensor<SyftTensor>;

export abstract class Optimizer {
  readonly params: readonly Parameter[];
  readonly #state = new Map<Parameter, Map<string, Term>>();

  constructor(params: readonly Steppable[], readonly lr: number) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new InvalidArgumentError('An optimizer needs parameters: sy.optim.sgd(model.parameters(), { lr: 0.1 }).');
    }
    if (!(lr > 0)) throw new InvalidArgumentError(`The learning rate must be positive, got ${lr}.`);
    // The kinds merged in from above answer every method a step calls, as a Parameter does.
    this.params = params as readonly Parameter[];
  }

  /** Zeroes every gradient in place (PyTorch's zero_grad()). */
  zeroGrad(): void {
    // A pointer's .grad is a view of the gradient at its worker; a local tensor's is undefined until backward().
    for (const p of this.params) p.grad?.zeroInPlace();
  }

  /** Updates every parameter that has a gradient, in place, recording nothing for backward(). */
  step(): void {
    noGrad(() => {
      for (const p of this.params) {
        const grad: Term | undefined = p.grad;
        if (grad === undefined) continue; // a local parameter that no backward() reached
        this.update(p, grad, this.#stateOf(p));
      }
    });
  }

  /** Applies one update to `p` given its gradient; temporaries must be disposed. */
  protected abstract update(p: Parameter, grad: Term, state: OptimizerState): void;

  #stateOf(p: Parameter): OptimizerState {
    let slots = this.#state.get(p);
    if (slots === undefined) this.#state.set(p, (slots = new Map()));
    const s = slots;
    return {
      get: (name) => s.get(name),
      // State outlives any tidy scope a training loop wraps around step().
      create: (name, make) => {
        const t = escapeScope(make);
        s.set(name, t);
        return t;
      },
    };
  }
}

export interface OptimizerState {
  get(name: string): Term | undefined;
  create(name: string, make: () => Term): Term;
}

/** Runs `f` on a temporary and disposes it. */
export function withTemp<T extends Term, R>(t: T, f: (t: T) => R): R {
  try {
    return f(t);
  } finally {
    t.dispose();
  }
}
