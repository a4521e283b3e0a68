/**
 * Runs one registered op on the tensors of a store (the worker side). Nothing
 * outside the registry can run: the name is checked against it before the tfjs
 * function is looked up. Ops whose inputs are chain links never get here: the
 * actor forwards them to where the data is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UnknownOpError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WireArg } from '../transport/protocol.js';
import { flattenOutputs, isOpName, nearOpNames, OPS, type OpName } from './op-registry.js';

type TfOp = (...args: unknown[]) => tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

const tfOps = tf as unknown as Record<OpName, TfOp>;

function resolveArg(arg: WireArg, store: ObjectStore): unknown {
  if (typeof arg === 'number') return store.tensor(arg);
  if ('list' in arg) return arg.list.map((a) => resolveArg(a, store));
  return arg.value;
}

/** Every store id an op's arguments name, lists included. */
export function refsOf(args: readonly WireArg[], into: number[] = []): number[] {
  for (const arg of args) {
    if (typeof arg === 'number') into.push(arg);
    else if ('list' in arg) refsOf(arg.list, into);
  }
  return into;
}

/** The same arguments with every store id replaced by `map(id)`. */
export function mapRefs(args: readonly WireArg[], map: (id: number) => number): WireArg[] {
  return args.map((arg) => (typeof arg === 'number' ? map(arg) : 'list' in arg ? { list: mapRefs(arg.list, map) } : arg));
}

/** The op's outputs, in the order of the caller's output ids. */
export function executeOp(name: string, args: readonly WireArg[], store: ObjectStore): tf.Tensor[] {
  if (!isOpName(name)) throw new UnknownOpError(name, nearOpNames(name));
  const spec = OPS[name];
  const values = args.map((a) => resolveArg(a, store));
  return flattenOutputs<tf.Tensor>(spec, tfOps[name](...values));
}
