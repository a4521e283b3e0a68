/**
 * The op registry's argument checks (src/core/op-checks.ts) against real tfjs
 * tensors. A worker thread runs them before every op it executes: the ops a
 * client sends (src/host/op-execute.ts) and the ops of a model it trains in
 * one message (local syft-tensor ops inside the thread), because every actor
 * on that thread shares one wasm heap. In the client's own thread local ops
 * stay unchecked, as plain tfjs: the data and the heap are the user's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type CheckEnv, checkOpArguments, type TensorView } from '../core/op-checks.js';
import { OPS, type OpName } from '../core/op-registry.js';

/** A tensor is a tf.Tensor of this realm: wire data (plain objects) can never pass for one. */
const ENV: CheckEnv = {
  isTensor: (value): value is TensorView => value instanceof tf.Tensor,
  hasKernel: (kernel) => tf.getKernel(kernel, tf.getBackend()) !== undefined,
  backend: () => tf.getBackend(),
};

let localChecks = false;

/** Throws InvalidArgumentError when `args` (tf tensors and plain values) break op `name`'s checks. */
export function checkOp(name: OpName, args: readonly unknown[]): void {
  checkOpArguments(name, OPS[name], args, ENV);
}

/** Makes local syft-tensor ops in this thread check their arguments too (a worker thread calls it once). */
export function checkLocalOps(): void {
  localChecks = true;
}

export function localOpsChecked(): boolean {
  return localChecks;
}
