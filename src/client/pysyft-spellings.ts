/**
 * PySyft's spellings as members that say how syft-ts spells them:
 * `x.fix_precision()` throws PySyftNameError ("... in syft-ts write
 * x.fixPrecision()") where it would otherwise be "x.fix_precision is not a
 * function", which sends a PySyft user to the docs for a one-word answer.
 *
 * A spelling is installed only where the class (or a base class) does not
 * define the name: a real member always wins, so a future `x.view()` of
 * syft-ts's own replaces the hint rather than being hidden by it. The members
 * are non-enumerable, so they show up in no listing, copy or equality check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PySyftNameError } from '../core/errors.js';
import { PYSYFT_FUNCTIONS, PYSYFT_NAMES, type PySyftName, pysyftUsage, type Receiver } from '../core/pysyft-names.js';
import { Module } from '../nn/module.js';
import { Optimizer } from '../optim/optimizer.js';
import { MultiPointerTensor } from '../pointers/multi-pointer-tensor.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import { AdditiveSharingTensor } from '../smpc/additive-sharing-tensor.js';
import { FixedPrecisionPointer } from '../smpc/fixed-precision-pointer.js';
import { FixedPrecisionTensor } from '../smpc/fixed-precision-tensor.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { Hook } from './hook.js';
import { VirtualWorker } from './virtual-worker.js';

function spellingError(row: PySyftName, receiver: Receiver, form: string): PySyftNameError {
  return new PySyftNameError(pysyftUsage(row, receiver), form, row.note);
}

/**
 * Gives `proto` a throwing member for every row that names `receiver`, unless
 * `proto` already has that name (own or inherited). Returns the names it
 * installed.
 */
export function installPySyftSpellings(proto: object, receiver: Receiver, table: readonly PySyftName[] = PYSYFT_NAMES): string[] {
  const installed: string[] = [];
  for (const row of table) {
    const form = row.forms[receiver];
    if (form === undefined || row.pysyft in proto) continue;
    const fail = (): never => {
      throw spellingError(row, receiver, form);
    };
    // A property throws on read and on write: `x.requires_grad = true` is the same habit.
    const descriptor: PropertyDescriptor =
      row.kind === 'method' ? { value: fail, writable: true } : { get: fail, set: fail };
    Object.defineProperty(proto, row.pysyft, { ...descriptor, enumerable: false, configurable: true });
    installed.push(row.pysyft);
  }
  return installed;
}

const PROTOTYPES: ReadonlyArray<readonly [object, Receiver]> = [
  [tf.Tensor.prototype, 'tfTensor'],
  [SyftTensor.prototype, 'syftTensor'],
  [PointerTensor.prototype, 'pointer'],
  [MultiPointerTensor.prototype, 'multiPointer'],
  [FixedPrecisionTensor.prototype, 'fixedPrecision'],
  [FixedPrecisionPointer.prototype, 'fixedPrecisionPointer'],
  [AdditiveSharingTensor.prototype, 'shared'],
  [VirtualWorker.prototype, 'worker'],
  [Module.prototype, 'module'],
  [Optimizer.prototype, 'optimizer'],
  [Hook.prototype, 'hook'],
];

// tf.Tensor is tfjs-core's class, the one @tensorflow/tfjs and tfjs-node re-export: installed at import,
// so the spellings answer before sy.hook(tf) too.
for (const [proto, receiver] of PROTOTYPES) installPySyftSpellings(proto, receiver);

function moduleLevel(name: keyof typeof PYSYFT_FUNCTIONS): never {
  const { pysyft, syftTs } = PYSYFT_FUNCTIONS[name];
  throw new PySyftNameError(pysyft, syftTs);
}

/** PySyft's `sy.TorchHook(torch)`: throws PYSYFT_NAME naming `await sy.hook(tf)`. */
export function TorchHook(..._args: unknown[]): never {
  return moduleLevel('TorchHook');
}

/** PySyft's `sy.combine_pointers(x, y)`: throws PYSYFT_NAME naming `sy.combinePointers(x, y)`. */
export function combine_pointers(..._args: unknown[]): never {
  return moduleLevel('combine_pointers');
}
