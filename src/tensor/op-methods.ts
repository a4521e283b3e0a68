/**
 * Derives methods and functional forms from the registry, so adding an op is one
 * registry entry: `x.add(y)` on pointers and syft tensors, and `sy.add(x, y)`.
 */
import { MultiPointerTensor } from '../pointers/multi-pointer-tensor.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import type * as tf from '@tensorflow/tfjs-core';
import { assertOpName, callOp, callOpByName } from './op-dispatch.js';
import { OPS, opNames, type OpName, type OpResult } from '../core/op-registry.js';
import { SyftTensor } from './syft-tensor.js';

/** In method form the receiver is the first input; for list ops, the first list element. */
function withReceiver(name: OpName, receiver: unknown, args: unknown[]): unknown[] {
  if (OPS[name].inputs !== 'list') return [receiver, ...args];
  const [first, ...rest] = args;
  const others = first === undefined ? [] : Array.isArray(first) ? first : [first];
  return [[receiver, ...others], ...rest];
}

function installOn(proto: object): void {
  for (const name of opNames()) {
    Object.defineProperty(proto, name, {
      value: function (this: unknown, ...args: unknown[]) {
        return callOp(name, withReceiver(name, this, args));
      },
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperty(proto, 'op', {
    value: function (this: unknown, name: string, ...args: unknown[]) {
      assertOpName(name);
      return callOp(name, withReceiver(name, this, args));
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

installOn(PointerTensor.prototype);
installOn(SyftTensor.prototype);
installOn(MultiPointerTensor.prototype);

/** The argument types, one level of lists flattened (concat([a, b]) has its tensors in a list). */
type ArgTypes<A extends readonly unknown[]> = A[number] | (A[number] extends readonly (infer E)[] ? E : never);

/** An op's result runs where its tensors are: multi-pointers, then pointers, then syft tensors, then tf tensors. */
type ResultTensor<A extends readonly unknown[]> = [Extract<ArgTypes<A>, MultiPointerTensor>] extends [never]
  ? [Extract<ArgTypes<A>, PointerTensor>] extends [never]
    ? [Extract<ArgTypes<A>, SyftTensor>] extends [never]
      ? tf.Tensor
      : SyftTensor
    : Extract<ArgTypes<A>, PointerTensor>
  : Extract<ArgTypes<A>, MultiPointerTensor>;

type Functional = {
  readonly [K in OpName]: <A extends unknown[]>(...args: A) => OpResult<K, ResultTensor<A>>;
};

/** `sy.add(x, y)` and friends: each runs where its tensors are. */
export const functionalOps: Functional = Object.fromEntries(
  opNames().map((name) => [name, (...args: unknown[]) => callOp(name, args)]),
) as unknown as Functional;

/** Calls a registered op by name; unknown names throw UnknownOpError with near names. */
export function op(name: string, ...args: unknown[]): unknown {
  return callOpByName(name, args);
}
