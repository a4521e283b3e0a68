/**
 * A tensor secret-shared among virtual workers (PySyft's AdditiveSharingTensor):
 * x = x_1 + … + x_n mod 2^64, party i holding x_i in its store. No proper
 * subset of the parties learns anything about x; only get() (which gathers
 * every share at the caller) reconstructs it.
 *
 * Ops return new shared tensors at once and run pipelined in the parties'
 * command streams. Linear ops are local to each party; private products use
 * Beaver triples from the crypto provider and open masked values between the
 * parties, worker to worker (src/smpc/protocols.ts). The caller knows every
 * shape, so shape errors are thrown at once.
 */
import { inspect } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { CryptoProviderRequiredError, InvalidArgumentError, SharesNotCompatibleError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
import { RemoteHandle } from '../pointers/remote-handle.js';
import { reconstruct, splitShares } from '../core/ring/additive-shares.js';
import { type CryptoProviderLike, toTripleProvider, type TripleProvider } from './crypto-provider.js';
import { encodeScaled, scaleOf } from '../core/ring/fixed-precision.js';
import { FixedPrecisionTensor, plainToTensor, type PlainValue, type Precision } from './fixed-precision-tensor.js';
import { beaverProduct, open, type Parties, refreshShares, release, ringOpAtParties, truncate } from './protocols.js';
import { type RingTensor, sizeOf } from '../core/ring/ring.js';

export interface ShareOptions {
  /** Deals Beaver triples and truncation masks: a worker that is not a party, or any TripleProvider. */
  readonly cryptoProvider?: CryptoProviderLike;
}

/** Splits `args` of share(bob, alice, ..., options) into workers and options. */
function partiesAndOptions(args: readonly (Location | ShareOptions)[]): { parties: Location[]; options: ShareOptions } {
  const last = args[args.length - 1];
  const hasOptions = last !== undefined && !isLocation(last);
  const parties = (hasOptions ? args.slice(0, -1) : args) as Location[];
  if (parties.some((p) => !isLocation(p))) throw new InvalidArgumentError('share(...workers, options): the workers come first, the options last.');
  if (parties.length < 2) throw new InvalidArgumentError(`share: needs at least 2 workers to share among, got ${parties.length}.`);
  if (new Set(parties.map((p) => p.id)).size !== parties.length) {
    throw new InvalidArgumentError(`share: the workers must differ, got ${parties.map((p) => p.id).join(', ')}.`);
  }
  return { parties, options: hasOptions ? (last as ShareOptions) : {} };
}

function broadcastShape(op: string, a: readonly number[] | undefined, b: readonly number[] | undefined): readonly number[] | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  if (sizeOf(b) === 1 && b.length <= a.length) return a;
  if (a.length === b.length && a.every((d, i) => d === b[i])) return a;
  throw new InvalidArgumentError(`${op}: shapes [${a}] and [${b}] differ; shared ops take equal shapes or a scalar.`);
}

/**
 * Its shares are remote objects like a pointer's, one per party, with the same
 * lifecycle (src/pointers/remote-handle.ts): `hook.localWorker.objects()` and
 * the leak checks list them, `sy.tidy` and `using` dispose them, and a tensor
 * that becomes unreachable has its shares collected at every party.
 */
export class AdditiveSharingTensor extends RemoteHandle {
  /** The workers holding one share each, in order; parties[0] is the leader that adds public constants. */
  readonly parties: Parties;
  /** Known at the caller for tensors shared from here; undefined for tensors shared by a worker. */
  readonly shape: readonly number[] | undefined;
  readonly precision: Precision;
  readonly #provider: TripleProvider | undefined;
  readonly #id: number;

  /** @internal Made by share() and by ops. */
  constructor(parties: Parties, id: number, shape: readonly number[] | undefined, precision: Precision, provider: TripleProvider | undefined) {
    super(parties.map((location) => ({ location, idAtLocation: id })));
    this.parties = parties;
    this.#id = id;
    this.shape = shape;
    this.precision = precision;
    this.#provider = provider;
  }

  /**
   * @internal Shares a ring tensor held by the caller: n-1 shares from the CSPRNG,
   * the last the difference; each worker gets its share directly.
   */
  static share(ring: RingTensor, precision: Precision, args: readonly (Location | ShareOptions)[]): AdditiveSharingTensor {
    const { parties, options } = partiesAndOptions(args);
    const provider = options.cryptoProvider === undefined ? undefined : toTripleProvider(options.cryptoProvider);
    const id = parties[0]!.owner.nextId();
    splitShares(ring, parties.length).forEach((share, i) => parties[i]!.post({ type: 'ring-store', id, ring: share }, [share.values.buffer as ArrayBuffer]));
    return new AdditiveSharingTensor(parties, id, [...ring.shape], precision, provider);
  }

  /**
   * @internal Shares a tensor held by a worker, from that worker: it encodes
   * (times `weight`) and splits the tensor itself, so the caller never sees it.
   */
  static shareFromWorker(
    holder: Location,
    idAtHolder: number,
    precision: Precision,
    args: readonly (Location | ShareOptions)[],
    weight?: number,
  ): AdditiveSharingTensor {
    const { parties, options } = partiesAndOptions(args);
    const provider = options.cryptoProvider === undefined ? undefined : toTripleProvider(options.cryptoProvider);
    const id = parties[0]!.owner.nextId();
    for (const p of parties) p.post({ type: 'expect', id });
    holder.post({
      type: 'share-tensor',
      id: idAtHolder,
      scale: scaleOf(precision),
      ...(weight === undefined ? {} : { weight }),
      parties: parties.map((p) => p.address),
      out: id,
    });
    return new AdditiveSharingTensor(parties, id, undefined, precision, provider);
  }

  /** PySyft's `x.child.crypto_provider`. */
  get cryptoProvider(): TripleProvider | undefined {
    return this.#provider;
  }

  /** Where each share is: one (worker, id) per party. */
  get shares(): readonly { readonly location: string; readonly idAtLocation: number }[] {
    return this.parties.map((p) => ({ location: p.id, idAtLocation: this.#id }));
  }

  add(other: AdditiveSharingTensor | FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'add');
      return this.#result(ringOpAtParties(this.parties, 'add', () => [this.#id, o.#id]), broadcastShape('add', this.shape, o.shape));
    }
    const p = this.#public(other, 'add');
    return this.#result(ringOpAtParties(this.parties, 'addPublic', (i) => [this.#id, { value: p }, { value: i === 0 }]), broadcastShape('add', this.shape, p.shape));
  }

  sub(other: AdditiveSharingTensor | FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'sub');
      return this.#result(ringOpAtParties(this.parties, 'sub', () => [this.#id, o.#id]), broadcastShape('sub', this.shape, o.shape));
    }
    return this.add(this.#negatedPublic(other));
  }

  neg(): AdditiveSharingTensor {
    this.#assertLive('neg');
    return this.#result(ringOpAtParties(this.parties, 'neg', () => [this.#id]), this.shape);
  }

  /**
   * Element-wise product. By a public integer it is local and exact; by any
   * other public value it is local and then truncated; by another shared
   * tensor it is Beaver's protocol, then truncated.
   */
  mul(other: AdditiveSharingTensor | FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'mul');
      const shape = this.#knownShape('mul', broadcastShape('mul', this.shape, o.shape));
      if (!sameShape(this.shape, o.shape)) throw new InvalidArgumentError(`mul: shared operands need equal shapes, got [${this.shape}] and [${o.shape}].`);
      const z = beaverProduct('mul', this.#id, o.#id, { x: shape, y: shape }, this.parties, this.#providerFor('mul', o));
      return this.#truncated(z, shape, 'mul', o);
    }
    this.#assertLive('mul');
    if (typeof other === 'number' && Number.isInteger(other)) {
      return this.#result(ringOpAtParties(this.parties, 'scale', () => [this.#id, { value: BigInt(other) }]), this.shape);
    }
    const p = this.#public(other, 'mul');
    const shape = broadcastShape('mul', this.shape, p.shape);
    return this.#truncated(ringOpAtParties(this.parties, 'mulPublic', () => [this.#id, { value: p }]), shape, 'mul');
  }

  /** Division by a public number (multiplication by its inverse). */
  div(divisor: number): AdditiveSharingTensor {
    if (!(typeof divisor === 'number' && divisor !== 0 && Number.isFinite(divisor))) {
      throw new InvalidArgumentError(`div: the divisor must be a finite non-zero number, got ${divisor}.`);
    }
    return this.mul(1 / divisor);
  }

  /** Matrix product [m, k]·[k, n] with a shared or public matrix. */
  matMul(other: AdditiveSharingTensor | FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'matMul');
      const shape = matMulShape(this.#knownShape('matMul', this.shape), o.#knownShape('matMul', o.shape));
      const z = beaverProduct('matMul', this.#id, o.#id, { x: this.shape!, y: o.shape! }, this.parties, this.#providerFor('matMul', o));
      return this.#truncated(z, shape, 'matMul', o);
    }
    const p = this.#public(other, 'matMul');
    const shape = matMulShape(this.#knownShape('matMul', this.shape), p.shape);
    return this.#truncated(ringOpAtParties(this.parties, 'matMulPublic', () => [this.#id, { value: p }]), shape, 'matMul');
  }

  /** Sum of all elements, or along one axis. Local: sums of shares are shares of the sum. */
  sum(axis?: number): AdditiveSharingTensor {
    this.#assertLive('sum');
    const shape = this.shape === undefined ? undefined : axis === undefined ? [] : this.shape.filter((_, d) => d !== (axis < 0 ? axis + this.shape!.length : axis));
    return this.#result(ringOpAtParties(this.parties, 'sum', () => [this.#id, { value: axis ?? null }]), shape);
  }

  /** The mean: the sum times the public 1/n, truncated (so fixed-point tensors only). */
  mean(axis?: number): AdditiveSharingTensor {
    const shape = this.#knownShape('mean', this.shape);
    const n = axis === undefined ? sizeOf(shape) : shape[axis < 0 ? axis + shape.length : axis]!;
    if (scaleOf(this.precision) === 1n) throw new InvalidArgumentError('mean: integer shares have no fractional part; share x.fixPrecision() instead.');
    const sum = this.sum(axis);
    const mean = sum.mul(1 / n);
    sum.dispose();
    return mean;
  }

  reshape(shape: readonly number[]): AdditiveSharingTensor {
    this.#assertLive('reshape');
    // A full shape also names the shape of a tensor shared by a worker.
    const known = this.shape === undefined ? (shape.includes(-1) ? undefined : shape) : inferShape(this.shape, shape);
    return this.#result(ringOpAtParties(this.parties, 'reshape', () => [this.#id, { value: [...shape] }]), known);
  }

  transpose(perm?: readonly number[]): AdditiveSharingTensor {
    this.#assertLive('transpose');
    const shape = this.shape === undefined ? undefined : (perm ?? this.shape.map((_, d) => this.shape!.length - 1 - d)).map((d) => this.shape![d]!);
    return this.#result(ringOpAtParties(this.parties, 'transpose', () => [this.#id, { value: perm === undefined ? null : [...perm] }]), shape);
  }

  /** tf.slice's block: `begin` and `size` (-1 for "to the end") per axis. */
  slice(begin: readonly number[], size: readonly number[]): AdditiveSharingTensor {
    this.#assertLive('slice');
    const shape = this.shape === undefined ? undefined : size.map((s, d) => (s === -1 ? this.shape![d]! - begin[d]! : s));
    return this.#result(ringOpAtParties(this.parties, 'slice', () => [this.#id, { value: [...begin] }, { value: [...size] }]), shape);
  }

  /**
   * New shares of the same value (PySyft's refresh()): the provider deals
   * shares of zero and every party adds its own. Old and new shares together
   * are independent of each other, which limits what a party that keeps old
   * shares can combine.
   */
  refresh(): AdditiveSharingTensor {
    const shape = this.#knownShape('refresh', this.shape);
    return this.#result(refreshShares(this.#id, shape, this.parties, this.#providerFor('refresh')), shape);
  }

  /** Gathers every share here and reconstructs (PySyft's get()); the shares leave the workers. */
  async get(): Promise<FixedPrecisionTensor> {
    this.#assertLive('get');
    this.retire('fetched');
    const shares = await Promise.all(this.parties.map((p) => p.request({ type: 'ring-fetch', id: this.#id, keep: false })));
    return new FixedPrecisionTensor(reconstruct(shares), this.precision);
  }

  /** Copies of the shares, one per party, for inspection (they look random by design); the shares stay. */
  async peekShares(): Promise<RingTensor[]> {
    this.#assertLive('peekShares');
    return Promise.all(this.parties.map((p) => p.request({ type: 'ring-fetch', id: this.#id, keep: true })));
  }

  /** Opens the value to every party (each then holds it in plaintext, as a ring tensor) and returns it here too. */
  async open(): Promise<FixedPrecisionTensor> {
    this.#assertLive('open');
    const [opened] = open(this.parties, [this.#id]) as [number];
    const at = await Promise.all(this.parties.map((p) => p.request({ type: 'ring-fetch', id: opened, keep: false })));
    return new FixedPrecisionTensor(at[0]!, this.precision);
  }

  override toString(): string {
    const lines = this.parties.map((p) => `\t-> [PointerTensor | me -> ${p.id}:${this.#id}]`);
    const provider = this.#provider === undefined ? '' : `\n\t*crypto provider: ${this.#provider.id}*`;
    const fixed = scaleOf(this.precision) === 1n ? '' : `FixedPrecisionTensor>`;
    return `(Wrapper)>${fixed}[AdditiveSharingTensor]\n${lines.join('\n')}${provider}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #result(id: number, shape: readonly number[] | undefined, other?: AdditiveSharingTensor): AdditiveSharingTensor {
    return new AdditiveSharingTensor(this.parties, id, shape === undefined ? undefined : [...shape], this.precision, this.#provider ?? (other === undefined ? undefined : other.#provider));
  }

  /** A product carries scale²: divide once by the scale (nothing to do for integer shares). */
  #truncated(z: number, shape: readonly number[] | undefined, op: string, other?: AdditiveSharingTensor): AdditiveSharingTensor {
    const scale = scaleOf(this.precision);
    if (scale === 1n) return this.#result(z, shape, other);
    const out = truncate(z, this.#knownShape(op, shape), scale, this.parties, this.#providerFor(op, other));
    release(this.parties, [z]);
    return this.#result(out, shape, other);
  }

  #providerFor(op: string, other?: AdditiveSharingTensor): TripleProvider {
    const provider = this.#provider ?? (other === undefined ? undefined : other.#provider);
    if (provider === undefined) throw new CryptoProviderRequiredError(op);
    return provider;
  }

  #knownShape(op: string, shape: readonly number[] | undefined): readonly number[] {
    if (shape === undefined) {
      throw new InvalidArgumentError(
        `${op}: the shape of a tensor shared by a worker is not known here; reshape() it to its shape first, or share it from the caller.`,
      );
    }
    return shape;
  }

  #assertLive(op: string): void {
    this.assertLive(`${op}: this AdditiveSharingTensor`);
  }

  #peer(other: AdditiveSharingTensor, op: string): AdditiveSharingTensor {
    this.#assertLive(op);
    other.#assertLive(op);
    const same = other.parties.length === this.parties.length && other.parties.every((p, i) => p.id === this.parties[i]!.id);
    if (!same) {
      throw new SharesNotCompatibleError(
        op,
        `the tensors are shared among different workers (${this.parties.map((p) => p.id).join(', ')} and ${other.parties.map((p) => p.id).join(', ')}); share both among the same workers, in the same order.`,
      );
    }
    if (scaleOf(other.precision) !== scaleOf(this.precision)) {
      throw new SharesNotCompatibleError(op, 'the tensors have different fixed-point precisions; encode both with the same fixPrecision() options.');
    }
    return other;
  }

  /** A public operand, encoded at this tensor's precision. */
  #public(value: FixedPrecisionTensor | PlainValue, op: string): RingTensor {
    this.#assertLive(op);
    if (value instanceof FixedPrecisionTensor) {
      if (value.scale !== scaleOf(this.precision)) throw new SharesNotCompatibleError(op, 'the public tensor has another fixed-point precision.');
      return value.ring;
    }
    const t = plainToTensor(value);
    return encodeScaled(t.dataSync(), t.shape, scaleOf(this.precision));
  }

  #negatedPublic(value: FixedPrecisionTensor | PlainValue): FixedPrecisionTensor | tf.Tensor {
    if (value instanceof FixedPrecisionTensor) return value.neg();
    return tf.neg(plainToTensor(value));
  }
}

/**
 * share() on a plain tensor: integers are shared as they are (scale 1);
 * real values must be encoded first, as in PySyft, where sharing floats gave
 * garbage (#2176): here it is refused and says what to do.
 */
export function shareIntegerTensor(t: tf.Tensor, args: readonly (Location | ShareOptions)[]): AdditiveSharingTensor {
  if (t.dtype === 'float32') {
    throw new InvalidArgumentError('share: a float32 tensor must be encoded first: x.fixPrecision().share(bob, alice, { cryptoProvider }).');
  }
  const precision = { base: 2, precisionFractional: 0 } as const;
  return AdditiveSharingTensor.share(encodeScaled(t.dataSync(), t.shape, 1n), precision, args);
}

function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a === undefined || b === undefined || (a.length === b.length && a.every((d, i) => d === b[i]));
}

function matMulShape(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length !== 2 || b.length !== 2 || a[1] !== b[0]) {
    throw new InvalidArgumentError(`matMul: needs [m, k] and [k, n], got [${a}] and [${b}].`);
  }
  return [a[0]!, b[1]!];
}

function inferShape(from: readonly number[], to: readonly number[]): readonly number[] {
  const size = sizeOf(from);
  const known = sizeOf(to.filter((d) => d !== -1));
  const shape = to.map((d) => (d === -1 ? size / known : d));
  if (to.filter((d) => d === -1).length > 1 || sizeOf(shape) !== size || shape.some((d) => !Number.isInteger(d))) {
    throw new InvalidArgumentError(`reshape: cannot reshape [${from}] (${size} values) to [${to}].`);
  }
  return shape;
}
