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
 *
 * Representable range, with scale = 2^precisionFractional (10^… for base 10).
 * Nothing below is checked on shares: no party sees a value, so an overflow
 * gives a wrong result and no error (turn on `sy.smpc.debug.checkOverflow` in
 * tests to find one).
 * - Every value, and every result of add, sub, sum, mean, mul by a public
 *   integer: |x| < 2^62 / scale (2^46 ≈ 7.04e13 at the default 16 bits; 2^62 for
 *   integer shares). Sums wrap mod 2^64: a sum that leaves the range is garbage.
 * - Every product that is truncated (mul and matMul of two shared tensors, mul
 *   or matMul by a public non-integer, div, mean): the product before truncation,
 *   |x·y|, must be below 2^62 / scale² (2^30 ≈ 1.07e9 at 16 bits, 2^14 at 24
 *   bits), for matMul each |Σ_k x_ik·y_kj|, because the truncation protocol needs
 *   |x·y·scale²| < 2^62. 2^20 · 2^20 comes back as 0, and so does 2^40 · 1024.
 *   That is 2^32 times less than a FixedPrecisionTensor's own products allow
 *   (those are exact up to the value range, 2^46), so a computation that runs in
 *   the clear can fail once shared.
 * - Refused at once, before anything runs: mul by a public integer of
 *   magnitude >= 2^62, which takes every nonzero value out of range. Nothing
 *   finer can be checked without opening: the only bound on a share known
 *   without its value is the range itself, and a bound taken from the data
 *   would let a secret decide whether the op runs.
 */
import { inspect } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { CryptoProviderRequiredError, InvalidArgumentError, SharesNotCompatibleError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
import { RemoteHandle } from '../pointers/remote-handle.js';
import { reconstruct, splitShares } from '../core/ring/additive-shares.js';
import { type CryptoProviderLike, toTripleProvider, type TripleProvider } from './crypto-provider.js';
import { encodeScaled, FixedPrecisionOpOverflowError, largestExact, outOfRange, scaleOf } from '../core/ring/fixed-precision.js';
import { FixedPrecisionTensor, plainToTensor, type PlainValue, type Precision } from './fixed-precision-tensor.js';
import { beaverProduct, open, type Parties, refreshShares, release, ringOpAtParties, truncate } from './protocols.js';
import { type RingTensor, sizeOf } from '../core/ring/ring.js';

/**
 * `sy.smpc.debug`: checks for tests, all off by default.
 *
 * `checkOverflow`: FOR TESTS ONLY. IT REVEALS EVERY SHARED OPERAND TO THE
 * CALLER, which defeats secret sharing: never turn it on with data that must
 * stay private. While it is true, every op on shared tensors (add, sub, sum,
 * mul, matMul, by shared or public operands, and so div and mean) also fetches
 * the shares of its shared operands to the caller, adds them up and computes
 * the op's exact result in BigInt. If that leaves the representable range
 * (for truncated products, the product before truncation: see
 * AdditiveSharingTensor), get() and open() of the result, and of every tensor
 * computed from it, reject with FixedPrecisionOverflowError
 * (FIXED_PRECISION_OVERFLOW) naming the op. The check runs beside the parties'
 * work and is reported at the first await that reads the value, as a worker's
 * RemoteError is. Ops issued while it is false are not checked.
 */
export const debug: { checkOverflow: boolean } = { checkOverflow: false };

/** One op's overflow check in debug mode: the shared operands to open, and the test of their values. */
interface OverflowCheck {
  readonly operands: readonly AdditiveSharingTensor[];
  readonly test: (opened: readonly RingTensor[]) => FixedPrecisionOpOverflowError | undefined;
}

/** An outcome of checks: the first overflow found, or undefined. It never rejects, so no check goes unhandled. */
type Verdict = Promise<Error | undefined>;

const DEBUG_CONTEXT = '; found by sy.smpc.debug.checkOverflow from opened values (without it this shared result is wrong, with no error)';

/** The overflow (if any) of a raw result `largest` of scale `rawScale` (scale², before a truncation). */
function overflowOf(op: string, what: string, largest: bigint, rawScale: bigint, scale: bigint): FixedPrecisionOpOverflowError | undefined {
  return outOfRange(largest) ? new FixedPrecisionOpOverflowError(op, what, largest, rawScale, scale, DEBUG_CONTEXT) : undefined;
}

/** The first overflow among pending verdicts, in order; undefined when there is nothing to wait for. */
function firstOverflow(verdicts: readonly (Verdict | undefined)[]): Verdict | undefined {
  const pending = verdicts.filter((v): v is Verdict => v !== undefined);
  if (pending.length === 0) return undefined;
  if (pending.length === 1) return pending[0];
  return (async () => {
    for (const v of pending) {
      const error = await v;
      if (error !== undefined) return error;
    }
    return undefined;
  })();
}

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
  /** Debug mode: the overflow checks of the ops that made this tensor, itself included. */
  #verdict: Verdict | undefined;
  /** Debug mode: this tensor's value, fetched to the caller once. */
  #opened: Promise<RingTensor> | undefined;

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
    for (const p of parties) p.post({ type: 'expect', id, from: holder.address });
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
      const check = this.#linearCheck('add', 'a sum', o);
      return this.#result(ringOpAtParties(this.parties, 'add', () => [this.#id, o.#id]), broadcastShape('add', this.shape, o.shape), o, check);
    }
    return this.#addPublic(this.#public(other, 'add'), 'add');
  }

  sub(other: AdditiveSharingTensor | FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'sub');
      const check = this.#linearCheck('sub', 'a difference', o);
      return this.#result(ringOpAtParties(this.parties, 'sub', () => [this.#id, o.#id]), broadcastShape('sub', this.shape, o.shape), o, check);
    }
    this.#assertLive('sub');
    return this.#addPublic(this.#public(this.#negatedPublic(other), 'sub'), 'sub');
  }

  #addPublic(p: RingTensor, op: 'add' | 'sub'): AdditiveSharingTensor {
    const check: OverflowCheck = { operands: [this], test: ([x]) => overflowOf(op, 'a sum', largestExact('add', x!, p), this.#scale, this.#scale) };
    return this.#result(ringOpAtParties(this.parties, 'addPublic', (i) => [this.#id, { value: p }, { value: i === 0 }]), broadcastShape(op, this.shape, p.shape), undefined, check);
  }

  /** Debug check of a shared sum or difference: its exact value must stay in range. */
  #linearCheck(op: 'add' | 'sub', what: string, o: AdditiveSharingTensor): OverflowCheck {
    return { operands: [this, o], test: ([x, y]) => overflowOf(op, what, largestExact(op, x!, y!), this.#scale, this.#scale) };
  }

  /** Debug check of a product: before truncation (scale²) unless it is a product by a public integer. */
  #productCheck(op: 'mul' | 'matMul', operands: readonly AdditiveSharingTensor[], exact: (opened: readonly RingTensor[]) => bigint, truncated = true): OverflowCheck {
    const rawScale = truncated ? this.#scale * this.#scale : this.#scale;
    const what = truncated && this.#scale !== 1n ? 'the product before truncation' : 'a product';
    return { operands, test: (opened) => overflowOf(op, what, exact(opened), rawScale, this.#scale) };
  }

  get #scale(): bigint {
    return scaleOf(this.precision);
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
      return this.#truncated(z, shape, 'mul', o, this.#productCheck('mul', [this, o], ([x, y]) => largestExact('mul', x!, y!)));
    }
    this.#assertLive('mul');
    if (typeof other === 'number' && Number.isInteger(other)) {
      const k = BigInt(other);
      // Even the smallest nonzero share value, one unit, times k is out of range: refused before anything runs.
      if (outOfRange(k)) {
        throw new FixedPrecisionOpOverflowError('mul', `the public factor ${other} times one unit (the smallest nonzero shared value)`, k, this.#scale, this.#scale);
      }
      const factor: RingTensor = { values: BigUint64Array.of(BigInt.asUintN(64, k)), shape: [] };
      const check = this.#productCheck('mul', [this], ([x]) => largestExact('mul', x!, factor), false);
      return this.#result(ringOpAtParties(this.parties, 'scale', () => [this.#id, { value: k }]), this.shape, undefined, check);
    }
    const p = this.#public(other, 'mul');
    const shape = broadcastShape('mul', this.shape, p.shape);
    const check = this.#productCheck('mul', [this], ([x]) => largestExact('mul', x!, p), this.#scale !== 1n);
    return this.#truncated(ringOpAtParties(this.parties, 'mulPublic', () => [this.#id, { value: p }]), shape, 'mul', undefined, check);
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
      return this.#truncated(z, shape, 'matMul', o, this.#productCheck('matMul', [this, o], ([x, y]) => largestExact('matMul', x!, y!)));
    }
    const p = this.#public(other, 'matMul');
    const shape = matMulShape(this.#knownShape('matMul', this.shape), p.shape);
    const check = this.#productCheck('matMul', [this], ([x]) => largestExact('matMul', x!, p));
    return this.#truncated(ringOpAtParties(this.parties, 'matMulPublic', () => [this.#id, { value: p }]), shape, 'matMul', undefined, check);
  }

  /** Sum of all elements, or along one axis. Local: sums of shares are shares of the sum. */
  sum(axis?: number): AdditiveSharingTensor {
    this.#assertLive('sum');
    const shape = this.shape === undefined ? undefined : axis === undefined ? [] : this.shape.filter((_, d) => d !== (axis < 0 ? axis + this.shape!.length : axis));
    const check: OverflowCheck = { operands: [this], test: ([x]) => overflowOf('sum', 'a sum', largestExact('sum', x!, undefined, axis), this.#scale, this.#scale) };
    return this.#result(ringOpAtParties(this.parties, 'sum', () => [this.#id, { value: axis ?? null }]), shape, undefined, check);
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
    await this.#reportOverflow();
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
    await this.#reportOverflow();
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

  /**
   * An op's result. It carries the pending overflow checks of its operands
   * (this and `other`) and, in debug mode, `check` of this op: issued now, while
   * the operands are alive, so the parties read them before any later release.
   */
  #result(id: number, shape: readonly number[] | undefined, other?: AdditiveSharingTensor, check?: OverflowCheck): AdditiveSharingTensor {
    const out = new AdditiveSharingTensor(this.parties, id, shape === undefined ? undefined : [...shape], this.precision, this.#provider ?? (other === undefined ? undefined : other.#provider));
    out.#verdict = firstOverflow([this.#verdict, other === undefined ? undefined : other.#verdict, check !== undefined && debug.checkOverflow ? this.#run(check) : undefined]);
    return out;
  }

  /** A product carries scale²: divide once by the scale (nothing to do for integer shares). */
  #truncated(z: number, shape: readonly number[] | undefined, op: string, other?: AdditiveSharingTensor, check?: OverflowCheck): AdditiveSharingTensor {
    const scale = scaleOf(this.precision);
    if (scale === 1n) return this.#result(z, shape, other, check);
    const out = truncate(z, this.#knownShape(op, shape), scale, this.parties, this.#providerFor(op, other));
    release(this.parties, [z]);
    return this.#result(out, shape, other, check);
  }

  /**
   * Debug mode: opens the check's operands here and tests them. A fetch that
   * fails means the op failed at a party, which get() reports by itself.
   */
  #run(check: OverflowCheck): Verdict {
    const opened = Promise.all(check.operands.map((t) => t.#openedHere()));
    return opened.then(
      (values) => {
        try {
          return check.test(values);
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      },
      () => undefined,
    );
  }

  /** Debug mode: the value, fetched from every party (their shares stay) and added up here, once. */
  #openedHere(): Promise<RingTensor> {
    this.#opened ??= Promise.all(this.parties.map((p) => p.request({ type: 'ring-fetch', id: this.#id, keep: true }))).then(reconstruct);
    return this.#opened;
  }

  /** Throws the first overflow found by the debug checks of the ops that made this tensor. */
  async #reportOverflow(): Promise<void> {
    const error = await this.#verdict;
    if (error !== undefined) throw error;
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
