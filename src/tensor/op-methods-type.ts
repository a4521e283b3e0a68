import type { OpName } from '../core/op-registry.js';
import type { RegistryOpMethods } from './op-methods.generated.js';

/**
 * The op methods the registry installs on a tensor-like class whose ops return
 * `R` (a pointer returns pointers, a syft tensor returns syft tensors): one
 * typed method per registry entry, generated from the registry and tfjs-core's
 * op signatures by scripts/gen-op-types.ts. Methods (not function-valued
 * properties) on purpose: their parameters stay bivariant, so a
 * `PointerTensor<tf.Tensor>` is still a `PointerTensor` where one is expected.
 */
export interface OpMethods<R> extends RegistryOpMethods<R> {
  /**
   * Calls an op by name: `x.op('add', y)` is `x.add(y)`, typed alike. A name
   * known only at run time (a `string`) takes any arguments and returns
   * `unknown`; an unregistered one throws UnknownOpError naming the nearest.
   */
  op<N extends string>(name: N, ...args: N extends OpName ? Parameters<RegistryOpMethods<R>[N]> : unknown[]): N extends OpName ? ReturnType<RegistryOpMethods<R>[N]> : unknown;
}
