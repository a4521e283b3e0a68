/**
 * Runs one registered op on the tensors of a store (the worker side). Nothing
 * outside the registry can run: the name is checked against it before the tfjs
 * function is looked up.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UnknownOpError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import type { WireArg } from '../transport/protocol.js';
import { isOpName, nearOpNames, OPS, type OpName } from './op-registry.js';

type TfOp = (...args: unknown[]) => tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

const tfOps = tf as unknown as Record<OpName, TfOp>;

function resolveArg(arg: WireArg, store: ObjectStore): unknown {
  if (typeof arg === 'number') return store.get(arg);
  if ('list' in arg) return arg.list.map((a) => resolveArg(a, store));
  return arg.value;
}

/** The op's outputs, in the order of the caller's output ids. */
export function executeOp(name: string, args: readonly WireArg[], store: ObjectStore): tf.Tensor[] {
  if (!isOpName(name)) throw new UnknownOpError(name, nearOpNames(name));
  const spec = OPS[name];
  const values = args.map((a) => resolveArg(a, store));
  const result = tfOps[name](...values);
  switch (spec.outputs.kind) {
    case 'tensor':
      return [result as tf.Tensor];
    case 'list':
      return result as tf.Tensor[];
    case 'record': {
      const record = result as Record<string, tf.Tensor>;
      return spec.outputs.keys.map((k) => record[k]!);
    }
  }
}
