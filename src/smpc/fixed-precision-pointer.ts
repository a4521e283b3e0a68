/**
 * A fixed-precision tensor at a worker (PySyft's `x.send(bob).fix_precision()`):
 * `ptr.fixPrecision()` encodes the tensor where it is, with the ring op
 * `encode`, so the data never comes to the caller. This handle points to the
 * ring tensor there: `get()` brings it home as a FixedPrecisionTensor,
 * `floatPrecision()` decodes it at the worker into a tensor pointer again, and
 * `share(...)` splits it from the worker among the parties.
 */
import { inspect } from 'node:util';
import { InvalidArgumentError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
import { scaleOf } from '../core/ring/fixed-precision.js';
import { PointerTensor, type TensorKind } from '../pointers/pointer-tensor.js';
import { RemoteHandle } from '../pointers/remote-handle.js';
import { AdditiveSharingTensor, type ShareOptions } from './additive-sharing-tensor.js';
import { FixedPrecisionTensor, type Precision } from './fixed-precision-tensor.js';

export class FixedPrecisionPointer extends RemoteHandle {
  readonly location: Location;
  readonly idAtLocation: number;
  readonly precision: Precision;
  /** What floatPrecision() points to: a tf tensor or a syft tensor, as the pointer it came from. */
  readonly #kind: TensorKind;
  /** The encoded tensor's shape, when the pointer it came from knew it (encoding keeps it). */
  readonly #shape: readonly number[] | undefined;
  /** The workers from this handle's to the one holding the encoding (one, or a chain's hops). */
  readonly route: readonly Location[];

  /** @internal Made by PointerTensor.fixPrecision(). */
  constructor(route: readonly Location[], idAtLocation: number, precision: Precision, kind: TensorKind, shape?: readonly number[]) {
    const location = route[0]!;
    super([{ location, idAtLocation }]);
    this.location = location;
    this.route = route;
    this.idAtLocation = idAtLocation;
    this.precision = precision;
    this.#kind = kind;
    this.#shape = shape === undefined ? undefined : Object.freeze([...shape]);
  }

  /**
   * @internal Encodes the tensor `id` at the head of `route` where its data is
   * (a chain forwards the ring op down to it); the pointer's tensor stays.
   */
  static encodeAt(route: readonly Location[], id: number, precision: Precision, kind: TensorKind, shape?: readonly number[]): FixedPrecisionPointer {
    const head = route[0]!;
    const out = head.owner.nextId();
    head.post({ type: 'ring-op', op: 'encode', args: [id, { value: scaleOf(precision) }], out });
    return new FixedPrecisionPointer(route, out, precision, kind, shape);
  }

  /** The shape, known here when the pointer it was made from knew it; undefined otherwise. */
  get shape(): number[] | undefined {
    return this.#shape === undefined ? undefined : [...this.#shape];
  }

  /** 'float32' for an encoding with fractional digits, 'int32' for integers. */
  get dtype(): 'float32' | 'int32' {
    return scaleOf(this.precision) === 1n ? 'int32' : 'float32';
  }

  /** Brings the encoded values home (PySyft's get()); the worker no longer holds them. */
  get(): Promise<FixedPrecisionTensor> {
    this.assertLive(`get: ${String(this)}`);
    if (this.route.length > 1) {
      // Thrown here, not in the promise: a local mistake. The values sit at the chain's end, and a hop-by-hop get()
      // would need an encoding-pointer kind at every hop.
      throw new InvalidArgumentError(`get: ${String(this)} is a chain; floatPrecision() it, or encode after remoteGet() or move().`);
    }
    this.retire('fetched');
    return this.location.request({ type: 'ring-fetch', id: this.idAtLocation, keep: false }).then((ring) => new FixedPrecisionTensor(ring, this.precision));
  }

  /** Decodes at the worker: a pointer to the float32 tensor there (this handle stays). */
  floatPrecision(): PointerTensor {
    this.assertLive(`floatPrecision: ${String(this)}`);
    const out = this.location.owner.nextId();
    this.location.post({ type: 'ring-op', op: 'decode', args: [this.idAtLocation, { value: scaleOf(this.precision) }], out });
    // Decoding keeps the shape and gives float32 (the encoding of integers too, as PySyft's float_precision()).
    return new PointerTensor(this.location, out, this.#kind, this.route, this.#shape === undefined ? undefined : { shape: this.#shape, dtype: 'float32' });
  }

  /**
   * Secret-shares the encoded tensor among `workers` from the worker holding
   * it: it splits the words with its CSPRNG and sends each party its share.
   * This handle stays. The shared tensor's shape is not known here until
   * reshape() names it.
   */
  share(...args: (Location | ShareOptions)[]): AdditiveSharingTensor {
    this.assertLive(`share: ${String(this)}`);
    if (this.route.length > 1) {
      throw new InvalidArgumentError(`share: ${String(this)} is a chain; the worker holding the encoding shares it: remoteGet() or move() the data there first.`);
    }
    const last = args[args.length - 1];
    if (last !== undefined && !isLocation(last) && ('precisionFractional' in last || 'base' in last || 'weight' in last)) {
      throw new InvalidArgumentError('share: this tensor is encoded already; pass only the workers and { cryptoProvider }.');
    }
    return AdditiveSharingTensor.shareFromWorker(this.location, this.idAtLocation, this.precision, args);
  }

  override toString(): string {
    return `(Wrapper)>FixedPrecisionTensor>[PointerTensor | me:${this.location.owner.id} -> ${this.location.id}:${this.idAtLocation}]`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
