/**
 * Runs one registered op on the tensors of a store (the worker side). Nothing
 * outside the registry can run: the name is checked against it before the tfjs
 * function is looked up, and the arguments against the entry's checks
 * (src/core/op-checks.ts) before any kernel sees them — the wasm kernels trust
 * their arguments, and every actor on a thread shares one wasm heap. Ops whose
 * inputs are chain links never get here: the actor forwards them to where the
 * data is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UnknownOpError } from '../core/errors.js';
import type { WireArg } from '../core/protocol.js';
import { flattenOutputs, isOpName, nearOpNames, OPS, type OpName } from '../core/op-registry.js';
import { checkOp } from '../tensor/op-checking.js';

type TfOp = (...args: unknown[]) => tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

const tfOps = tf as unknown as Record<OpName, TfOp>;


/** Arguments with references replaced by tensors: `value(id)` for ids, `grad(id)` for gradients. */
export function resolveArgs(
  args: readonly WireArg[],
  value: (id: number) => tf.Tensor,
  grad: (id: number) => tf.Tensor,
): unknown[] {
  return args.map((arg) => {
    if (typeof arg === 'number') return value(arg);
    if ('list' in arg) return resolveArgs(arg.list, value, grad);
    if ('grad' in arg) return grad(arg.grad);
    return arg.value;
  });
}

/**
 * Runs a registered op on resolved arguments; its outputs in the order of the
 * caller's ids. Arguments that break the op's checks throw InvalidArgumentError
 * before anything is allocated.
 */
export function executeOp(name: string, args: readonly unknown[]): tf.Tensor[] {
  if (!isOpName(name)) throw new UnknownOpError(name, nearOpNames(name));
  checkOp(name, args);
  return flattenOutputs<tf.Tensor>(OPS[name], tfOps[name](...args));
}
