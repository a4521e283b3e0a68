/**
 * PySyft's verbs, `send`, `share` and `fixPrecision`, on every kind of tensor,
 * from this one place: `tf.Tensor` (added by `sy.hook(tf)`, as PySyft's hook
 * patched torch.Tensor), syft tensors, pointers and fixed-precision tensors
 * (added when syft-ts loads). The tensor classes themselves stay free of the
 * layers above them (workers, secret sharing).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rank } from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
import type { FixedPrecisionOptions } from '../core/ring/fixed-precision.js';
import type { MultiPointerTensor } from '../pointers/multi-pointer-tensor.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import { type SendOptions, sendPointer, sendTensor, type SendTarget } from '../pointers/send.js';
import { AdditiveSharingTensor, type ShareOptions, shareIntegerTensor } from '../smpc/additive-sharing-tensor.js';
import { FixedPrecisionTensor, precisionOf } from '../smpc/fixed-precision-tensor.js';
import { FixedPrecisionPointer } from '../smpc/fixed-precision-pointer.js';
// Loaded for its effect: fixed-precision and shared tensors join the op dispatcher (sy.add(x_sh, y), ...).
import '../smpc/smpc-ops.js';
import { SyftTensor } from '../tensor/syft-tensor.js';

/** pointer.share(...workers, options): the fixed-point encoding, a weight, and the crypto provider. */
export interface PointerShareOptions extends ShareOptions, FixedPrecisionOptions {
  /** Multiplies the tensor by this public number before it is shared (a FedAvg weight, say). */
  readonly weight?: number;
}

declare module '@tensorflow/tfjs-core/dist/tensor.js' {
  interface Tensor<R extends Rank = Rank> {
    /** Sends a copy of this tensor to a virtual worker and returns a pointer to it (added by sy.hook). */
    send(worker: SendTarget, options?: SendOptions): PointerTensor<Tensor>;
    /** To several workers: a MultiPointerTensor with a copy at each. */
    send(first: SendTarget, second: SendTarget, ...more: (SendTarget | SendOptions)[]): MultiPointerTensor<Tensor>;
    /** Encodes the values in fixed point over Z_2^64 (added by sy.hook). */
    fixPrecision(options?: FixedPrecisionOptions): FixedPrecisionTensor;
    /** Secret-shares an integer tensor among workers (added by sy.hook); real values need fixPrecision() first. */
    share(...args: (Location | ShareOptions)[]): AdditiveSharingTensor;
  }
}

declare module '../tensor/syft-tensor.js' {
  interface SyftTensor {
    /**
     * Sends a copy to `worker` and returns a pointer to it; to several workers, a
     * MultiPointerTensor. This tensor stays usable.
     */
    send(worker: SendTarget, options?: SendOptions): PointerTensor<SyftTensor>;
    send(first: SendTarget, second: SendTarget, ...more: (SendTarget | SendOptions)[]): MultiPointerTensor<SyftTensor>;
    /** Encodes the values in fixed point over Z_2^64 (PySyft's fix_precision(); 16 fractional bits by default). */
    fixPrecision(options?: FixedPrecisionOptions): FixedPrecisionTensor;
    /** Secret-shares an integer tensor among workers; real values go through fixPrecision() first. */
    share(...args: (Location | ShareOptions)[]): AdditiveSharingTensor;
  }
}

declare module '../pointers/pointer-tensor.js' {
  interface PointerTensor<L> {
    /**
     * Sends this pointer on: `x.send(bob).send(alice)` leaves the data at bob and
     * gives alice a pointer to it; the result points to alice's pointer. This
     * pointer is spent (the chain owns bob's object now).
     */
    send(worker: Location): PointerTensor<PointerTensor<L>>;
    /**
     * Secret-shares the tensor among `workers` from where it is: the worker
     * holding it encodes it in fixed point, splits it with its CSPRNG and sends
     * each party its share, so no one else (the caller included) sees it. The
     * tensor stays. Options: the fixed-point precision, a public `weight` to
     * multiply by first (secure weighted averaging), and the crypto provider.
     */
    share(...args: (Location | PointerShareOptions)[]): AdditiveSharingTensor;
    /**
     * Encodes the tensor in fixed point AT its worker (PySyft's
     * `x.send(bob).fix_precision()`): the data never comes here. The result
     * points to the ring tensor there; `get()` brings a FixedPrecisionTensor
     * home, `floatPrecision()` decodes it there, `share(...)` shares it from there.
     */
    fixPrecision(options?: FixedPrecisionOptions): FixedPrecisionPointer;
  }
}

declare module '../smpc/fixed-precision-tensor.js' {
  interface FixedPrecisionTensor {
    /**
     * Splits the tensor into additive shares, one per worker, drawn from the
     * CSPRNG; a crypto provider is needed for private products.
     */
    share(...args: (Location | ShareOptions)[]): AdditiveSharingTensor;
  }
}

type Verbs<T> = Record<string, (this: T, ...args: never[]) => unknown>;

const TF_VERBS: Verbs<tf.Tensor> = {
  send(...args: unknown[]) {
    return sendTensor(this, 'tf', false, args);
  },
  fixPrecision(options?: FixedPrecisionOptions) {
    return FixedPrecisionTensor.encode(this, options);
  },
  share(...args: (Location | ShareOptions)[]) {
    return shareIntegerTensor(this, args);
  },
};

const SYFT_VERBS: Verbs<SyftTensor> = {
  send(...args: unknown[]) {
    return sendTensor(this.tensor, 'syft', this.requiresGrad, args, this);
  },
  fixPrecision(options?: FixedPrecisionOptions) {
    return FixedPrecisionTensor.encode(this.tensor, options);
  },
  share(...args: (Location | ShareOptions)[]) {
    return shareIntegerTensor(this.tensor, args);
  },
};

const POINTER_VERBS: Verbs<PointerTensor<unknown>> = {
  send(...workers: unknown[]) {
    return sendPointer(this, workers);
  },
  share(...args: (Location | PointerShareOptions)[]) {
    this.assertLive();
    if (this.route.length !== 1 || this.slot !== 'value') {
      throw new InvalidArgumentError(`${String(this)}: share() needs a pointer to the data itself; move() it first.`);
    }
    const last = args[args.length - 1];
    const options = last !== undefined && !isLocation(last) ? last : {};
    const workers = (last !== undefined && !isLocation(last) ? args.slice(0, -1) : args) as Location[];
    const { cryptoProvider, weight, ...precision } = options;
    return AdditiveSharingTensor.shareFromWorker(
      this.location,
      this.idAtLocation,
      precisionOf(precision),
      cryptoProvider === undefined ? workers : [...workers, { cryptoProvider }],
      weight,
    );
  },
  fixPrecision(options?: FixedPrecisionOptions) {
    this.assertLive();
    if (this.slot !== 'value') throw new InvalidArgumentError(`${String(this)}: fixPrecision() encodes a tensor, not its gradient; get() the gradient first.`);
    return FixedPrecisionPointer.encodeAt(this.route, this.idAtLocation, precisionOf(options), this.kind, this.shape);
  },
};

const FIXED_VERBS: Verbs<FixedPrecisionTensor> = {
  share(...args: (Location | ShareOptions)[]) {
    return AdditiveSharingTensor.share(this.ring, this.precision, args);
  },
};

function install<T>(proto: object, verbs: Verbs<T>): void {
  for (const [name, value] of Object.entries(verbs)) {
    Object.defineProperty(proto, name, { value, enumerable: false, configurable: true, writable: true });
  }
}

install(SyftTensor.prototype, SYFT_VERBS);
install(PointerTensor.prototype, POINTER_VERBS);
install(FixedPrecisionTensor.prototype, FIXED_VERBS);

/** Adds the verbs to tf.Tensor: the core's class and the one of the namespace the user passed, if another copy. */
export function addVerbsToTfTensors(prototypes: readonly unknown[]): void {
  for (const proto of new Set(prototypes)) {
    if (typeof proto === 'object' && proto !== null) install(proto, TF_VERBS);
  }
}
