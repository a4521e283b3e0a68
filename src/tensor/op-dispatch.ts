/**
 * Runs an op where its tensors are. Each kind of tensor registers a placement,
 * the way tfjs backends register kernels: syft tensors run on tfjs here with
 * autograd, pointers at their worker, multi-pointers on every branch. An op
 * goes to the highest-ranked placement that claims one of its arguments (or an
 * element of a list argument); plain tf tensors and numbers go to tfjs.
 *
 * Local mistakes (too many arguments, an unknown op) throw here, at once;
 * placements throw theirs (tensors in two places, a disposed pointer) before
 * anything is queued.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, UnknownOpError } from '../core/errors.js';
import { isOpName, nearOpNames, OPS, opNames, type OpName, type OpSpec, signatureOf } from '../core/op-registry.js';

export interface Placement {
  /** Higher is asked first: a multi-pointer claims an op before a pointer does, a pointer before a syft tensor. */
  readonly rank: number;
  claims(arg: unknown): boolean;
  call(name: OpName, spec: OpSpec, args: readonly unknown[]): unknown;
}

const placements: Placement[] = [];

export function registerPlacement(placement: Placement): void {
  placements.push(placement);
  placements.sort((a, b) => b.rank - a.rank);
}

type TfOp = (...args: unknown[]) => unknown;
const tfOps = tf as unknown as Record<OpName, TfOp>;

function assertOpName(name: unknown): asserts name is OpName {
  if (typeof name !== 'string' || !isOpName(name)) throw new UnknownOpError(String(name), nearOpNames(String(name)));
}

/** Calls a registered op by name (`sy.op('add', x, y)`); unknown names throw UnknownOpError with near names. */
export function op(name: string, ...args: unknown[]): unknown {
  assertOpName(name);
  return callOp(name, args);
}

export function callOp(name: OpName, args: readonly unknown[]): unknown {
  const spec = OPS[name];
  const max = (spec.inputs === 'list' ? 1 : spec.inputs) + spec.attrs.length;
  if (args.length > max || args.length === 0) {
    throw new InvalidArgumentError(`${signatureOf(name)} takes 1 to ${max} arguments, got ${args.length}.`);
  }
  for (const placement of placements) if (claimsAny(placement, args)) return placement.call(name, spec, args);
  return tfOps[name](...args);
}

function claimsAny(placement: Placement, args: readonly unknown[]): boolean {
  for (const arg of args) {
    if (placement.claims(arg)) return true;
    if (Array.isArray(arg)) for (const element of arg) if (placement.claims(element)) return true;
  }
  return false;
}

/** In method form the receiver is the first input; for list ops, the first list element. */
function withReceiver(name: OpName, receiver: unknown, args: unknown[]): unknown[] {
  if (OPS[name].inputs !== 'list') return [receiver, ...args];
  const [first, ...rest] = args;
  const others = first === undefined ? [] : Array.isArray(first) ? first : [first];
  return [[receiver, ...others], ...rest];
}

/** Gives a tensor class one method per registry entry (`x.add(y)`), plus `x.op(name, ...)`. */
export function installOpMethods(proto: object): void {
  const define = (name: string, value: (this: unknown, ...args: unknown[]) => unknown): void => {
    Object.defineProperty(proto, name, { value, enumerable: false, writable: true, configurable: true });
  };
  for (const name of opNames()) {
    define(name, function (...args) {
      return callOp(name, withReceiver(name, this, args));
    });
  }
  define('op', function (name, ...args) {
    assertOpName(name);
    return callOp(name, withReceiver(name, this, args));
  });
}
