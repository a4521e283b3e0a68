/**
 * Ops that have no protocol on shares (trigonometry, cumulative products,
 * sorting, ...: see smpcOpNames() for those that do). They are refused at
 * once, before anything runs at the parties, with their own code
 * (UNSUPPORTED_ON_SHARES), so a caller can tell them from a mistake in the
 * arguments.
 */
import { SyftError } from '../core/errors.js';

export class UnsupportedOnSharesError extends SyftError {
  /** The op refused. */
  readonly op: string;

  constructor(op: string, what = `'${op}'`) {
    super(
      'UNSUPPORTED_ON_SHARES',
      `${op}: ${what} is not available on fixed-precision or shared tensors: syft-ts has no protocol for it. ` +
        `Linear and structural ops, comparisons (less, relu, max, argMax, where, ...), approximations (exp, log, reciprocal, ` +
        `sqrt, sigmoid, tanh, softmax, ...), conv2d and pooling work (sy.smpc.smpcOpNames() lists them); ` +
        `for anything else, get() the values where you may see them.`,
    );
    this.name = 'UnsupportedOnSharesError';
    this.op = op;
  }
}

/**
 * A shared tensor used where JavaScript wants a number (`x_sh > 0`, `+x_sh`,
 * `x_sh == 1`): its value is secret, so it can't decide a branch (PySyft's
 * test___bool__). `if (x_sh)` alone can't be caught: every object is truthy.
 */
export class SharedValueToPrimitiveError extends SyftError {
  constructor() {
    super(
      'SHARED_VALUE_TO_PRIMITIVE',
      'a shared tensor has no value here to compare or convert: its value is secret, so it cannot decide a JavaScript if. ' +
        'Compute on shares (sy.greater(x_sh, 0), sy.where(cond_sh, a, b)) and open only what may be revealed (await x_sh.get()).',
    );
    this.name = 'SharedValueToPrimitiveError';
  }
}
