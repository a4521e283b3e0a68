/**
 * Models on fixed-precision and shared tensors (PySyft's
 * `model.fix_precision().share(bob, alice, crypto_provider=james, requires_grad=True)`):
 *
 *   const shared = model.fixPrecision().share(bob, alice, carol, { cryptoProvider: dealer, requiresGrad: true });
 *   const opt = sy.optim.sgd(shared.parameters(), { lr: 0.1 });
 *   shared.forward(xShared)                  // shared in, shared out
 *   const plain = (await shared.get()).floatPrecision();
 *
 * sy.nn may not import this layer, so the verbs are added to Module's
 * prototype from here and typed by declaration merging. Each changes the
 * module in place, as PySyft's do, and returns it under a type that says what
 * its parameters now are (FixedPrecisionModule, SharedModule): forward() then
 * takes and gives that kind of tensor. `get()` is Module's own, which fetches
 * each parameter: shares come back as fixed-precision tensors.
 *
 * Also the losses on shares, typed: sy.nn's own (they are written with
 * registry ops, so they run on shares) under shared types.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import type { FixedPrecisionOptions } from '../core/ring/fixed-precision.js';
import { crossEntropy as nnCrossEntropy, mseLoss as nnMseLoss, nllLoss as nnNllLoss } from '../nn/losses.js';
import { Module, type Parameter } from '../nn/module.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { AdditiveSharingTensor, type SharedOrPublic, type ShareOptions } from './additive-sharing-tensor.js';
import { FixedPrecisionTensor } from './fixed-precision-tensor.js';
import './share-autograd.js';

/** The members whose types change with the parameters' kind. */
type KindDependent = 'forward' | 'parameters' | 'namedParameters' | 'stateDict' | 'get' | 'fixPrecision' | 'share' | 'floatPrecision';

/** A module whose parameters are fixed-precision tensors (after `model.fixPrecision()`). */
export type FixedPrecisionModule<M extends Module> = Omit<M, KindDependent> & {
  forward(x: FixedPrecisionTensor): FixedPrecisionTensor;
  parameters(): FixedPrecisionTensor[];
  namedParameters(): Array<[string, FixedPrecisionTensor]>;
  /** Shares every parameter among `workers` (options last: cryptoProvider, requiresGrad). */
  share(...args: (Location | ShareOptions)[]): SharedModule<M>;
  /** Decodes every parameter: a plain local module again, its parameters requiring a gradient. */
  floatPrecision(): M;
};

/** A module whose parameters are shared (after `model.fixPrecision().share(...)`). */
export type SharedModule<M extends Module> = Omit<M, KindDependent> & {
  forward(x: AdditiveSharingTensor): AdditiveSharingTensor;
  parameters(): AdditiveSharingTensor[];
  namedParameters(): Array<[string, AdditiveSharingTensor]>;
  /** Reconstructs every parameter here, as fixed precision; the shares and their gradients leave the parties. */
  get(): Promise<FixedPrecisionModule<M>>;
};

declare module '../nn/module.js' {
  interface Module {
    /** Encodes every parameter in fixed precision, in place (PySyft's model.fix_precision()). */
    fixPrecision(options?: FixedPrecisionOptions): FixedPrecisionModule<this>;
  }
}

declare module '../optim/optimizer.js' {
  /** sy.optim.sgd(sharedModel.parameters(), { lr }) steps shared parameters. */
  interface SteppableKinds {
    shared: AdditiveSharingTensor;
  }
}

const asParameter = (t: unknown): Parameter => t as Parameter;

/** Replaces every parameter by `f` of it, in place. */
function mapParameters(m: Module, f: (p: unknown, name: string) => unknown): void {
  const state = Object.fromEntries(m.namedParameters().map(([name, p]) => [name, asParameter(f(p, name))]));
  m.loadStateDict(state);
}

function fixPrecision(this: Module, options: FixedPrecisionOptions = {}): unknown {
  const named = this.namedParameters();
  for (const [name, p] of named) {
    if (!(p instanceof SyftTensor)) {
      throw new InvalidArgumentError(`fixPrecision(): parameter '${name}' is not a local tensor (it is ${String(p)}); get() the model first.`);
    }
  }
  mapParameters(this, (p) => {
    const t = p as SyftTensor;
    const encoded = FixedPrecisionTensor.encode(t.tensor, options);
    // In place, as PySyft's: the float copy goes (model.copy() first to keep one).
    t.grad?.tensor.dispose();
    t.tensor.dispose();
    return encoded;
  });
  return this;
}

function share(this: Module, ...args: (Location | ShareOptions)[]): unknown {
  for (const [name, p] of this.namedParameters()) {
    if (!((p as unknown) instanceof FixedPrecisionTensor)) {
      throw new InvalidArgumentError(
        `share(): parameter '${name}' is not a fixed-precision tensor; encode the model first: model.fixPrecision().share(bob, alice, { cryptoProvider }).`,
      );
    }
  }
  const shared: AdditiveSharingTensor[] = [];
  try {
    mapParameters(this, (p) => {
      const s = (p as FixedPrecisionTensor).share(...args);
      shared.push(s);
      return s;
    });
  } catch (error) {
    // A bad worker list is refused at the first parameter; anything shared before an error goes.
    for (const s of shared) s.dispose();
    throw error;
  }
  return this;
}

function floatPrecision(this: Module): unknown {
  for (const [name, p] of this.namedParameters()) {
    if (!((p as unknown) instanceof FixedPrecisionTensor)) {
      throw new InvalidArgumentError(`floatPrecision(): parameter '${name}' is not a fixed-precision tensor (a shared model: await model.get() first).`);
    }
  }
  mapParameters(this, (p) => new SyftTensor((p as FixedPrecisionTensor).floatPrecision(), { requiresGrad: true }));
  return this;
}

for (const [name, value] of Object.entries({ fixPrecision, share, floatPrecision })) {
  Object.defineProperty(Module.prototype, name, { value, enumerable: false, writable: true, configurable: true });
}

/** mean((pred - target)²) on shares (sy.nn.mseLoss); the seed's ((pred - target)²).sum() is `pred.sub(t).square().sum()`. */
export function mseLoss(pred: AdditiveSharingTensor, target: SharedOrPublic): AdditiveSharingTensor {
  return nnMseLoss(pred as never, target as never) as unknown as AdditiveSharingTensor;
}

/** -mean over the batch of Σ logProbs·target, for one-hot targets (shared or public). */
export function nllLoss(logProbs: AdditiveSharingTensor, oneHotTarget: SharedOrPublic): AdditiveSharingTensor {
  return nnNllLoss(logProbs as never, oneHotTarget as never) as unknown as AdditiveSharingTensor;
}

/** nllLoss(logSoftmax(logits)) for one-hot targets: PyTorch's cross_entropy on shares. */
export function crossEntropy(logits: AdditiveSharingTensor, oneHotTarget: SharedOrPublic): AdditiveSharingTensor {
  return nnCrossEntropy(logits as never, oneHotTarget as never) as unknown as AdditiveSharingTensor;
}
