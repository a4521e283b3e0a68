/**
 * Ops that have no meaning on shares without protocols syft-ts does not have
 * yet: comparisons (relu, max, argmax, equal, ...), approximations (exp, log,
 * sigmoid, division by a shared value, ...). They are refused at once, before
 * anything runs at the parties, with their own code (UNSUPPORTED_ON_SHARES),
 * so a caller can tell them from a mistake in the arguments.
 */
import { SyftError } from '../core/errors.js';

export class UnsupportedOnSharesError extends SyftError {
  /** The op refused. */
  readonly op: string;

  constructor(op: string, what = `'${op}'`) {
    super(
      'UNSUPPORTED_ON_SHARES',
      `${op}: ${what} is not available on fixed-precision or shared tensors: it needs comparison or approximation ` +
        `protocols (secure comparison, argmax, polynomial approximations) that syft-ts does not have yet. ` +
        `Linear and structural ops (add, sub, mul, matMul, dot, sum, mean, pow by an integer, reshape, slice, concat, stack, split, ...) work; ` +
        `for anything else, get() the values where you may see them.`,
    );
    this.name = 'UnsupportedOnSharesError';
    this.op = op;
  }
}
