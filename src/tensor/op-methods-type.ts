import type { OpName, OpResult } from '../core/op-registry.js';

/**
 * The op methods the registry installs on a tensor-like class whose ops return
 * `R` (a pointer returns pointers, a syft tensor returns syft tensors). Arguments
 * are the tfjs op's arguments after the receiver; they are checked at call time
 * against the registry entry.
 */
export type OpMethods<R> = { readonly [K in OpName]: (...args: unknown[]) => OpResult<K, R> } & {
  /** Calls a registered op by name: `x.op('add', y)`; unknown names throw UnknownOpError. */
  op(name: string, ...args: unknown[]): unknown;
};
