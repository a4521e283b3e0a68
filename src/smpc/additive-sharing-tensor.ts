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
import { callOp } from '../tensor/op-dispatch.js';
import { reconstruct, splitShares } from '../core/ring/additive-shares.js';
import { type CryptoProviderLike, toTripleProvider, type TripleProvider, TrustedDealer } from './crypto-provider.js';
import { encodeScaled, FixedPrecisionOpOverflowError, largestExact, outOfRange, scaleOf } from '../core/ring/fixed-precision.js';
import {
  FixedPrecisionTensor,
  integerExponent,
  type MixedOp,
  type PlainValue,
  plainValues,
  type Precision,
  type SharedOperand,
  WITH_LOCAL_OPERAND,
} from './fixed-precision-tensor.js';
import { beaverProduct, open, type Parties, refreshShares, release, ringOpAtParties, truncate } from './protocols.js';
import { ringBroadcastTo, ringNeg, ringReshape, type RingTensor, ringTranspose, sizeOf } from '../core/ring/ring.js';
import {
  broadcastShapes,
  concatenatedShape,
  dotPlan,
  expandedShape,
  matMulShape,
  normalizeAxis,
  reducedShape,
  reductionAxes,
  reshapedShape,
  sameDims,
  slicedShape,
  splitSizes,
  squeezedShape,
  tiledShape,
  transposedShape,
} from './shapes.js';
import { UnsupportedOnSharesError } from './unsupported.js';

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
  /**
   * Track ops on the shared tensor for backward() (PySyft's requires_grad=True):
   * gradients come as shares among the same parties (src/smpc/share-autograd.ts).
   */
  readonly requiresGrad?: boolean;
}

/** A gradient needs fractions: refused before any share leaves, so a refusal leaves nothing at the parties. */
function refuseIntegerGradient(options: ShareOptions, precision: Precision): void {
  if (options.requiresGrad === true && scaleOf(precision) === 1n) {
    throw new InvalidArgumentError('requiresGrad: integer shares cannot hold a gradient; share x.fixPrecision() instead.');
  }
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

/** What ops on shares take as the other operand: another shared tensor, a fixed-precision tensor, or a public value. */
export type SharedOrPublic = AdditiveSharingTensor | FixedPrecisionTensor | PlainValue;

/** The result shape of an element-wise op, checked before anything runs; unknown when a shape is (a tensor shared by a worker). */
function elementwiseShape(op: string, a: readonly number[] | undefined, b: readonly number[] | undefined): readonly number[] | undefined {
  if (a === undefined || b === undefined) return undefined;
  return broadcastShapes(op, a, b);
}

/**
 * Its shares are remote objects like a pointer's, one per party, with the same
 * lifecycle (src/pointers/remote-handle.ts): `hook.localWorker.objects()` and
 * the leak checks list them, `sy.tidy` and `using` dispose them, and a tensor
 * that becomes unreachable has its shares collected at every party.
 *
 * It is a tensor to the rest of the API (src/smpc/smpc-ops.ts): `sy.add`,
 * `sy.matMul`, `sy.sum`, `sy.stack`, `sy.split`, ... take it; operands
 * broadcast by tfjs's rules; `shape`, `rank`, `size` and `dtype` ('float32' for
 * fixed-point shares, 'int32' for integer shares) are known here; the in-place
 * verbs (`addInPlace`, ...) put new shares in place of the old ones, which
 * are deleted at the parties. Comparisons, approximations, convolutions and
 * their gradients run through the op table (src/smpc/smpc-ops.ts); ops with
 * no protocol are refused with UnsupportedOnSharesError.
 */
export class AdditiveSharingTensor extends RemoteHandle implements SharedOperand {
  /** The workers holding one share each, in order; parties[0] is the leader that adds public constants. */
  readonly parties: Parties;
  readonly precision: Precision;
  readonly #provider: TripleProvider | undefined;
  #id: number;
  #shape: readonly number[] | undefined;
  /** Debug mode: the overflow checks of the ops that made this tensor, itself included. */
  #verdict: Verdict | undefined;
  /** Debug mode: this tensor's value, fetched to the caller once. */
  #opened: Promise<RingTensor> | undefined;
  #requiresGrad = false;
  #grad: AdditiveSharingTensor | undefined;

  /** @internal Made by share() and by ops. */
  constructor(parties: Parties, id: number, shape: readonly number[] | undefined, precision: Precision, provider: TripleProvider | undefined) {
    super(parties.map((location) => ({ location, idAtLocation: id })));
    this.parties = parties;
    this.#id = id;
    this.#shape = shape === undefined ? undefined : [...shape];
    this.precision = precision;
    this.#provider = provider;
  }

  /**
   * @internal Shares a ring tensor held by the caller: n-1 shares from the CSPRNG,
   * the last the difference; each worker gets its share directly.
   */
  static share(ring: RingTensor, precision: Precision, args: readonly (Location | ShareOptions)[]): AdditiveSharingTensor {
    const { parties, options } = partiesAndOptions(args);
    refuseIntegerGradient(options, precision);
    const provider = options.cryptoProvider === undefined ? undefined : toTripleProvider(options.cryptoProvider);
    const id = parties[0]!.owner.nextId();
    splitShares(ring, parties.length).forEach((share, i) => parties[i]!.post({ type: 'ring-store', id, ring: share }, [share.values.buffer as ArrayBuffer]));
    return new AdditiveSharingTensor(parties, id, [...ring.shape], precision, provider).#tracked(options);
  }

  /**
   * @internal Shares a tensor held by a worker, from that worker: it encodes
   * (times `weight`) and splits the tensor itself, so the caller never sees it.
   * A ring tensor there (encoded by `ptr.fixPrecision()`) is split as it is.
   */
  static shareFromWorker(
    holder: Location,
    idAtHolder: number,
    precision: Precision,
    args: readonly (Location | ShareOptions)[],
    weight?: number,
    shape?: readonly number[],
  ): AdditiveSharingTensor {
    const { parties, options } = partiesAndOptions(args);
    refuseIntegerGradient(options, precision);
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
    return new AdditiveSharingTensor(parties, id, shape, precision, provider).#tracked(options);
  }

  #tracked(options: ShareOptions): this {
    if (options.requiresGrad === true) this.requiresGrad = true;
    return this;
  }

  /**
   * Whether backward() computes a gradient for this tensor (a leaf: set by
   * share(..., { requiresGrad: true })) or through it (a result of ops on such
   * tensors). Only fixed-point shares can require one: integer shares have no
   * fractional part to hold a gradient.
   */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && this.#scale === 1n) {
      throw new InvalidArgumentError('requiresGrad: integer shares cannot hold a gradient; share x.fixPrecision() instead.');
    }
    this.#requiresGrad = value;
  }

  /**
   * The gradient backward() accumulated (leaves only), shared among the same
   * parties, like PyTorch's `.grad`. It belongs to this tensor: dispose() and
   * get() release it too (read it first with `await x.grad.get()`).
   */
  get grad(): AdditiveSharingTensor | undefined {
    return this.#grad;
  }

  set grad(value: AdditiveSharingTensor | undefined) {
    if (value !== undefined) this.#peer(value, 'grad');
    if (this.#grad !== value) this.#grad?.dispose();
    this.#grad = value;
  }

  /** Deletes the shares at every party, and the gradient's. */
  override dispose(): void {
    this.#releaseGrad();
    super.dispose();
  }

  #releaseGrad(): void {
    this.#grad?.dispose();
    this.#grad = undefined;
  }

  /** Known at the caller for tensors shared from here; undefined for tensors shared by a worker (reshape() names it). */
  get shape(): readonly number[] | undefined {
    return this.#shape;
  }

  get rank(): number | undefined {
    return this.#shape?.length;
  }

  get size(): number | undefined {
    return this.#shape === undefined ? undefined : sizeOf(this.#shape);
  }

  /** 'float32' for fixed-point shares (real values), 'int32' for integer shares (precisionFractional 0). */
  get dtype(): 'float32' | 'int32' {
    return this.#scale === 1n ? 'int32' : 'float32';
  }

  /** PySyft's `x.child.crypto_provider`. */
  get cryptoProvider(): TripleProvider | undefined {
    return this.#provider;
  }

  /** Where each share is: one (worker, id) per party. */
  get shares(): readonly { readonly location: string; readonly idAtLocation: number }[] {
    return this.parties.map((p) => ({ location: p.id, idAtLocation: this.#id }));
  }

  add(other: SharedOrPublic): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'add');
      const shape = elementwiseShape('add', this.#shape, o.#shape);
      const check = this.#linearCheck('add', 'a sum', o);
      return this.#result(ringOpAtParties(this.parties, 'add', () => [this.#id, o.#id]), shape, o, check);
    }
    return this.#addPublic(this.#public(other, 'add'), 'add');
  }

  sub(other: SharedOrPublic): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'sub');
      const shape = elementwiseShape('sub', this.#shape, o.#shape);
      const check = this.#linearCheck('sub', 'a difference', o);
      return this.#result(ringOpAtParties(this.parties, 'sub', () => [this.#id, o.#id]), shape, o, check);
    }
    return this.#addPublic(ringNeg(this.#public(other, 'sub')), 'sub');
  }

  /** public - this (PySyft's `c - x`): every party negates its share, the leader adds the public value. */
  rsub(other: FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    const p = this.#public(other, 'sub');
    const shape = elementwiseShape('sub', this.#shape, p.shape);
    const negated = ringNeg(p);
    const check: OverflowCheck = { operands: [this], test: ([x]) => overflowOf('sub', 'a difference', largestExact('sub', x!, negated), this.#scale, this.#scale) };
    return this.#result(ringOpAtParties(this.parties, 'subFromPublic', (i) => [this.#id, { value: p }, { value: i === 0 }]), shape, undefined, check);
  }

  #addPublic(p: RingTensor, op: 'add' | 'sub'): AdditiveSharingTensor {
    const shape = elementwiseShape(op, this.#shape, p.shape);
    const check: OverflowCheck = { operands: [this], test: ([x]) => overflowOf(op, 'a sum', largestExact('add', x!, p), this.#scale, this.#scale) };
    return this.#result(ringOpAtParties(this.parties, 'addPublic', (i) => [this.#id, { value: p }, { value: i === 0 }]), shape, undefined, check);
  }

  /** Debug check of a shared sum or difference: its exact value must stay in range. */
  #linearCheck(op: 'add' | 'sub', what: string, o: AdditiveSharingTensor): OverflowCheck {
    // Operands that broadcast are compared at the result's shape, as the parties compute them.
    const exact = (x: RingTensor, y: RingTensor): bigint => {
      const shape = broadcastShapes(op, x.shape, y.shape);
      return largestExact(op, ringBroadcastTo(x, shape), ringBroadcastTo(y, shape));
    };
    return { operands: [this, o], test: ([x, y]) => overflowOf(op, what, exact(x!, y!), this.#scale, this.#scale) };
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
    return this.#result(ringOpAtParties(this.parties, 'neg', () => [this.#id]), this.#shape);
  }

  /**
   * Element-wise product (operands broadcast). By a public integer it is local
   * and exact; by any other public value it is local and then truncated; by
   * another shared tensor it is Beaver's protocol, then truncated.
   */
  mul(other: SharedOrPublic): AdditiveSharingTensor {
    if (other instanceof AdditiveSharingTensor) {
      const o = this.#peer(other, 'mul');
      const shape = this.#knownShape('mul', elementwiseShape('mul', this.#shape, o.#shape));
      const provider = this.#providerFor('mul', o);
      // Beaver's triple is element-wise on one shape: operands that broadcast are broadcast at the parties first.
      const [x, y] = [this.#broadcastId(shape), o.#broadcastId(shape)];
      const z = beaverProduct('mul', x, y, { x: shape, y: shape }, this.parties, provider);
      release(this.parties, [x, y].filter((id) => id !== this.#id && id !== o.#id));
      const check = this.#productCheck('mul', [this, o], ([a, b]) => largestExact('mul', ringBroadcastTo(a!, shape), ringBroadcastTo(b!, shape)));
      return this.#truncated(z, shape, 'mul', o, check);
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
      return this.#result(ringOpAtParties(this.parties, 'scale', () => [this.#id, { value: k }]), this.#shape, undefined, check);
    }
    this.#assertIntegral(other, 'mul');
    const p = this.#public(other, 'mul');
    const shape = elementwiseShape('mul', this.#shape, p.shape);
    const truncated = this.#scale !== 1n;
    // Checked before the product runs, so a refusal leaves nothing at the parties.
    if (truncated) {
      this.#knownShape('mul', shape);
      this.#providerFor('mul');
    }
    const check = this.#productCheck('mul', [this], ([x]) => largestExact('mul', ringBroadcastTo(x!, shape ?? x!.shape), p), truncated);
    return this.#truncated(ringOpAtParties(this.parties, 'mulPublic', () => [this.#id, { value: p }]), shape, 'mul', undefined, check);
  }

  /**
   * Division by a public value: a number or a public tensor (multiplication by
   * its reciprocal, so fixed-point shares only). By a shared value it is the
   * approximation x·reciprocal(y) (src/smpc/approximations.ts, reached through
   * the op table so this class needs no import of it).
   */
  div(divisor: number | FixedPrecisionTensor | PlainValue | AdditiveSharingTensor): AdditiveSharingTensor {
    if (divisor instanceof AdditiveSharingTensor) return callOp('div', [this, divisor]) as AdditiveSharingTensor;
    if (this.#scale === 1n) {
      throw new InvalidArgumentError('div: integer shares have no fractional part, so a quotient would be rounded; share x.fixPrecision() instead.');
    }
    if (typeof divisor === 'number') {
      if (!(divisor !== 0 && Number.isFinite(divisor))) throw new InvalidArgumentError(`div: the divisor must be a finite non-zero number, got ${divisor}.`);
      if (Number.isSafeInteger(divisor) && Math.abs(divisor) > 1 && this.#shape !== undefined) return this.#divideByInteger(divisor);
      return this.mul(1 / divisor);
    }
    const values = divisor instanceof FixedPrecisionTensor ? { values: divisor.toFloat64(), shape: divisor.shape } : plainValues(divisor);
    const reciprocal = Float64Array.from(values.values, (v) => {
      if (!(v !== 0 && Number.isFinite(v))) throw new InvalidArgumentError(`div: every divisor must be a finite non-zero number, got ${v}.`);
      return 1 / v;
    });
    return this.#mulEncoded(encodeScaled(reciprocal, values.shape, this.#scale));
  }

  /**
   * x / d for an integer d: the truncation protocol divides by d itself, to one
   * unit in the last place, where x·(1/d) would carry the error of encoding 1/d
   * (9 / 3 at 3 decimal digits: 9 · 0.333 = 2.997).
   */
  #divideByInteger(d: number): AdditiveSharingTensor {
    this.#assertLive('div');
    const provider = this.#providerFor('div');
    const shape = this.#shape!;
    const source = d < 0 ? this.neg() : this;
    const out = truncate(source.#id, shape, BigInt(Math.abs(d)), this.parties, provider);
    const result = source.#result(out, shape);
    if (source !== this) source.dispose();
    return result;
  }

  #mulEncoded(p: RingTensor): AdditiveSharingTensor {
    return this.mul(new FixedPrecisionTensor(p, this.precision));
  }

  /**
   * x^k for an integer k >= 0 (PySyft's `x ** 3`): square-and-multiply with
   * Beaver products, so about 2·log2(k) products, each one opening round.
   */
  pow(exponent: number | FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    if ((exponent as unknown) instanceof AdditiveSharingTensor) throw new UnsupportedOnSharesError('pow', 'a shared exponent');
    const k = integerExponent(exponent);
    this.#assertLive('pow');
    if (k === 0) {
      const zero = this.mul(0);
      const one = zero.add(1);
      zero.dispose();
      return one;
    }
    if (k > 1) this.#providerFor('pow');
    let result: AdditiveSharingTensor | undefined;
    let base: AdditiveSharingTensor = this;
    for (let e = k; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) {
        const next = result === undefined ? base.clone() : result.mul(base);
        result?.dispose();
        result = next;
      }
      if (e > 1) {
        const squared = base.mul(base);
        if (base !== this) base.dispose();
        base = squared;
      }
    }
    if (base !== this) base.dispose();
    return result!;
  }

  /**
   * Each party reduces its share modulo |m|, a power of two (integer shares
   * only, as PySyft's AdditiveSharingTensor.mod): the result's shares add up to
   * a value congruent to x modulo m, between 0 and parties·|m|; reduce it again
   * after get(). An exact x mod m on shares needs a comparison (issue 14).
   */
  mod(modulus: number): AdditiveSharingTensor {
    this.#assertLive('mod');
    if (this.#scale !== 1n) throw new UnsupportedOnSharesError('mod', 'a remainder of fixed-point shares');
    const m = typeof modulus === 'number' ? Math.abs(modulus) : NaN;
    if (!(Number.isSafeInteger(m) && m >= 1 && Number.isInteger(Math.log2(m)))) {
      throw new InvalidArgumentError(`mod: shared values take a power-of-two modulus (it divides the ring's 2^64), got ${String(modulus)}.`);
    }
    return this.#result(ringOpAtParties(this.parties, 'modPowerOfTwo', () => [this.#id, { value: BigInt(m) }]), this.#shape);
  }

  /** Matrix product [m, k]·[k, n] with a shared or public matrix (optionally transposed, as tf.matMul). */
  matMul(other: SharedOrPublic, transposeA = false, transposeB = false): AdditiveSharingTensor {
    if (transposeA) return this.#through(this.transpose(), (t) => t.matMul(other, false, transposeB));
    if (other instanceof AdditiveSharingTensor) {
      if (transposeB) return this.#through(other.transpose(), (t) => this.matMul(t));
      const o = this.#peer(other, 'matMul');
      const shape = matMulShape(this.#knownShape('matMul', this.#shape), o.#knownShape('matMul', o.#shape));
      const z = beaverProduct('matMul', this.#id, o.#id, { x: this.#shape!, y: o.#shape! }, this.parties, this.#providerFor('matMul', o));
      return this.#truncated(z, shape, 'matMul', o, this.#productCheck('matMul', [this, o], ([x, y]) => largestExact('matMul', x!, y!)));
    }
    const encoded = this.#public(other, 'matMul');
    const p = transposeB ? ringTranspose(encoded) : encoded;
    const shape = matMulShape(this.#knownShape('matMul', this.#shape), p.shape);
    this.#providerFor('matMul');
    const check = this.#productCheck('matMul', [this], ([x]) => largestExact('matMul', x!, p));
    return this.#truncated(ringOpAtParties(this.parties, 'matMulPublic', () => [this.#id, { value: p }]), shape, 'matMul', undefined, check);
  }

  /** public · this, a matrix product with the public matrix on the left (PySyft's `y @ x` for a public y). */
  rmatMul(other: FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    const p = this.#public(other, 'matMul');
    const shape = matMulShape(p.shape, this.#knownShape('matMul', this.#shape));
    this.#providerFor('matMul');
    const check = this.#productCheck('matMul', [this], ([x]) => largestExact('matMul', p, x!));
    return this.#truncated(ringOpAtParties(this.parties, 'publicMatMul', () => [{ value: p }, this.#id]), shape, 'matMul', undefined, check);
  }

  /** tf.dot: vector·vector (a scalar), matrix·vector, vector·matrix, matrix·matrix. */
  dot(other: SharedOrPublic): AdditiveSharingTensor {
    const shape = this.#knownShape('dot', this.#shape);
    if (other instanceof AdditiveSharingTensor) {
      const plan = dotPlan(shape, other.#knownShape('dot', other.#shape));
      return this.#through(this.reshape(plan.left), (l) => other.#through(other.reshape(plan.right), (r) => l.#through(l.matMul(r), (z) => z.reshape(plan.result))));
    }
    const p = this.#public(other, 'dot');
    const plan = dotPlan(shape, p.shape);
    return this.#through(this.reshape(plan.left), (l) => l.#through(l.matMul(new FixedPrecisionTensor(ringReshape(p, plan.right), this.precision)), (z) => z.reshape(plan.result)));
  }

  /** public · this for tf.dot with the public operand first. */
  rdot(other: FixedPrecisionTensor | PlainValue): AdditiveSharingTensor {
    const p = this.#public(other, 'dot');
    const plan = dotPlan(p.shape, this.#knownShape('dot', this.#shape));
    return this.#through(this.reshape(plan.right), (r) => r.#through(r.rmatMul(new FixedPrecisionTensor(ringReshape(p, plan.left), this.precision)), (z) => z.reshape(plan.result)));
  }

  /** Sum over an axis, several, or all of them (keepDims as tf.sum). Local: sums of shares are shares of the sum. */
  sum(axis?: number | readonly number[] | null, keepDims = false): AdditiveSharingTensor {
    this.#assertLive('sum');
    if (this.#shape === undefined && (keepDims || (axis !== undefined && axis !== null && typeof axis !== 'number'))) this.#knownShape('sum', undefined);
    const axes = this.#shape === undefined ? undefined : reductionAxes('sum', this.#shape, axis);
    const shape = this.#shape === undefined ? (axis === undefined || axis === null ? [] : undefined) : reducedShape(this.#shape, axes!, keepDims);
    const wire = axes === undefined ? (axis === undefined || axis === null ? null : [axis as number]) : axes;
    const check: OverflowCheck = {
      operands: [this],
      test: ([x]) => overflowOf('sum', 'a sum', largestSum(x!, wire), this.#scale, this.#scale),
    };
    return this.#result(ringOpAtParties(this.parties, 'sumAxes', () => [this.#id, { value: wire }, { value: keepDims }]), shape, undefined, check);
  }

  /**
   * The mean: the sum divided by the public count with the truncation
   * protocol (fixed-point shares only; off by at most one unit in the last place).
   */
  mean(axis?: number | readonly number[] | null, keepDims = false): AdditiveSharingTensor {
    const shape = this.#knownShape('mean', this.#shape);
    if (this.#scale === 1n) throw new InvalidArgumentError('mean: integer shares have no fractional part; share x.fixPrecision() instead.');
    const axes = reductionAxes('mean', shape, axis);
    const n = axes.reduce((c, d) => c * shape[d]!, 1);
    if (n === 0) throw new InvalidArgumentError(`mean: reduces an empty axis of [${shape}].`);
    const provider = this.#providerFor('mean');
    const sum = this.sum(axis, keepDims);
    if (n === 1) return sum;
    const out = truncate(sum.#id, sum.#shape!, BigInt(n), this.parties, provider);
    const mean = sum.#result(out, sum.#shape);
    sum.dispose();
    return mean;
  }

  reshape(shape: readonly number[]): AdditiveSharingTensor {
    this.#assertLive('reshape');
    // A full shape also names the shape of a tensor shared by a worker.
    const known = this.#shape === undefined ? (shape.includes(-1) ? undefined : [...shape]) : reshapedShape(this.#shape, shape);
    return this.#result(ringOpAtParties(this.parties, 'reshape', () => [this.#id, { value: [...shape] }]), known);
  }

  transpose(perm?: readonly number[] | null): AdditiveSharingTensor {
    this.#assertLive('transpose');
    const planned = this.#shape === undefined ? undefined : transposedShape('transpose', this.#shape, perm);
    return this.#result(ringOpAtParties(this.parties, 'transpose', () => [this.#id, { value: planned?.perm ?? (perm === undefined || perm === null ? null : [...perm]) }]), planned?.shape);
  }

  /** tf.slice's block: `begin` and `size` (-1 for "to the end") per axis. */
  slice(begin: number | readonly number[], size?: number | readonly number[]): AdditiveSharingTensor {
    this.#assertLive('slice');
    const window = slicedShape(this.#knownShape('slice', this.#shape), begin, size);
    return this.#result(ringOpAtParties(this.parties, 'slice', () => [this.#id, { value: window.begin }, { value: window.size }]), window.size);
  }

  expandDims(axis = 0): AdditiveSharingTensor {
    return this.reshape(expandedShape(this.#knownShape('expandDims', this.#shape), axis));
  }

  squeeze(axis?: readonly number[] | number | null): AdditiveSharingTensor {
    return this.reshape(squeezedShape(this.#knownShape('squeeze', this.#shape), axis));
  }

  tile(reps: readonly number[]): AdditiveSharingTensor {
    this.#assertLive('tile');
    const shape = tiledShape(this.#knownShape('tile', this.#shape), reps);
    return this.#result(ringOpAtParties(this.parties, 'tile', () => [this.#id, { value: [...reps] }]), shape);
  }

  broadcastTo(shape: readonly number[]): AdditiveSharingTensor {
    this.#assertLive('broadcastTo');
    const from = this.#knownShape('broadcastTo', this.#shape);
    if (!sameDims(broadcastShapes('broadcastTo', from, shape), shape)) throw new InvalidArgumentError(`broadcastTo: [${from}] does not broadcast to [${shape}].`);
    return this.#result(ringOpAtParties(this.parties, 'broadcastTo', () => [this.#id, { value: [...shape] }]), shape);
  }

  /** New shares of the same value under new ids (each party copies its share). */
  clone(): AdditiveSharingTensor {
    this.#assertLive('clone');
    return this.#result(ringOpAtParties(this.parties, 'copy', () => [this.#id]), this.#shape);
  }

  /** tf.split: equal parts or these sizes along `axis`, each a shared tensor. */
  split(numOrSizeSplits: number | readonly number[], axis = 0): AdditiveSharingTensor[] {
    const shape = this.#knownShape('split', this.#shape);
    const { axis: d, sizes } = splitSizes(shape, numOrSizeSplits, axis);
    let at = 0;
    return sizes.map((n) => {
      const begin = shape.map((_, k) => (k === d ? at : 0));
      at += n;
      return this.slice(begin, shape.map((m, k) => (k === d ? n : m)));
    });
  }

  /** tf.unstack: the slices along `axis`, that axis removed (PySyft's torch.unbind). */
  unstack(axis = 0): AdditiveSharingTensor[] {
    const shape = this.#knownShape('unstack', this.#shape);
    const d = normalizeAxis('unstack', axis, shape.length);
    return this.split(shape[d]!, d).map((piece) => {
      const squeezed = piece.squeeze([d]);
      piece.dispose();
      return squeezed;
    });
  }

  /** tf.concat of tensors shared among the same parties at one precision. */
  static concat(tensors: readonly AdditiveSharingTensor[], axis = 0): AdditiveSharingTensor {
    const first = tensors[0];
    if (first === undefined) throw new InvalidArgumentError('concat: needs at least one tensor.');
    const others = tensors.map((t) => first.#peer(t, 'concat'));
    const planned = concatenatedShape(others.map((t) => t.#knownShape('concat', t.#shape)), axis);
    const out = ringOpAtParties(first.parties, 'concat', () => [{ list: others.map((t) => t.#id) }, { value: planned.axis }]);
    const result = first.#result(out, planned.shape);
    result.#verdict = firstOverflow(others.map((t) => t.#verdict));
    return result;
  }

  /** tf.stack: tensors of one shape along a new axis. */
  static stack(tensors: readonly AdditiveSharingTensor[], axis = 0): AdditiveSharingTensor {
    const first = tensors[0];
    if (first === undefined) throw new InvalidArgumentError('stack: needs at least one tensor.');
    const shape = first.#knownShape('stack', first.#shape);
    for (const t of tensors) {
      first.#peer(t, 'stack');
      if (!sameDims(t.#knownShape('stack', t.#shape), shape)) throw new InvalidArgumentError(`stack: shapes [${shape}] and [${t.#shape}] differ.`);
    }
    const d = normalizeAxis('stack', axis, shape.length, 1);
    const expanded = tensors.map((t) => t.expandDims(d));
    const out = AdditiveSharingTensor.concat(expanded, d);
    for (const t of expanded) t.dispose();
    return out;
  }

  /**
   * New shares of the same value in place of the old ones (refresh() on this
   * handle), e.g. for a parameter after each optimizer step.
   */
  refreshInPlace(): this {
    return this.#become(this.refresh(), 'refreshInPlace');
  }

  /** this += other, in place (PyTorch's add_): new shares replace the old, which are deleted at the parties. */
  addInPlace(other: SharedOrPublic): this {
    return this.#become(this.add(other), 'addInPlace');
  }

  subInPlace(other: SharedOrPublic): this {
    return this.#become(this.sub(other), 'subInPlace');
  }

  mulInPlace(other: SharedOrPublic): this {
    return this.#become(this.mul(other), 'mulInPlace');
  }

  divInPlace(divisor: number | FixedPrecisionTensor | PlainValue): this {
    return this.#become(this.div(divisor), 'divInPlace');
  }

  zeroInPlace(): this {
    return this.#become(this.mul(0), 'zeroInPlace');
  }

  /** @internal A fixed-precision tensor's op with this shared tensor as its other operand (`fp.add(x_sh)`). */
  [WITH_LOCAL_OPERAND](op: MixedOp, local: FixedPrecisionTensor, localFirst: boolean): AdditiveSharingTensor {
    if (!localFirst) return this[op](local);
    switch (op) {
      case 'add':
      case 'mul':
        return this[op](local);
      case 'sub':
        return this.rsub(local);
      case 'matMul':
        return this.rmatMul(local);
      case 'dot':
        return this.rdot(local);
      case 'div':
        return callOp('div', [local, this]) as AdditiveSharingTensor;
    }
  }

  /**
   * New shares of the same value (PySyft's refresh()): the provider deals
   * shares of zero and every party adds its own. Old and new shares together
   * are independent of each other, which limits what a party that keeps old
   * shares can combine.
   */
  refresh(): AdditiveSharingTensor {
    const shape = this.#knownShape('refresh', this.#shape);
    return this.#result(refreshShares(this.#id, shape, this.parties, this.#providerFor('refresh')), shape);
  }

  /**
   * Distributed Gaussian noise of standard deviation `sigma` (in values, not
   * ring units) on the shared value: every party adds its own part (variance
   * sigma²/n, an exact discrete Gaussian in ring units) to its share, so no
   * one ever holds the value without noise once it is opened.
   */
  withNoise(sigma: number): AdditiveSharingTensor {
    if (!(sigma > 0 && Number.isFinite(sigma))) throw new InvalidArgumentError(`withNoise: sigma must be a positive finite number, got ${sigma}.`);
    const perParty = (sigma * Number(scaleOf(this.precision))) / Math.sqrt(this.parties.length);
    if (!(perParty >= 1)) {
      throw new InvalidArgumentError(`withNoise: sigma ${sigma} is below one unit of the encoding (2^-${Math.log2(Number(scaleOf(this.precision)))}); share with more fractional bits.`);
    }
    const out = this.parties[0]!.owner.nextId();
    for (const p of this.parties) p.post({ type: 'share-noise', id: this.#id, sigma: perParty, out });
    return this.#result(out, this.#shape);
  }

  /** Gathers every share here and reconstructs (PySyft's get()); the shares leave the workers, and the gradient's are released. */
  async get(): Promise<FixedPrecisionTensor> {
    this.#assertLive('get');
    this.retire('fetched');
    this.#releaseGrad();
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
    const [opened] = open(this.parties, [this.#id], { step: 'open', words: this.size }) as [number];
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

  /** Runs `f` on a temporary tensor made for it, then disposes the temporary (never this tensor itself). */
  #through(temp: AdditiveSharingTensor, f: (t: AdditiveSharingTensor) => AdditiveSharingTensor): AdditiveSharingTensor {
    try {
      return f(temp);
    } finally {
      if (temp !== this) temp.dispose();
    }
  }

  /** This tensor's share id, or a broadcast copy's (a new id: release it after use). */
  #broadcastId(shape: readonly number[]): number {
    if (this.#shape !== undefined && sameDims(this.#shape, shape)) return this.#id;
    return ringOpAtParties(this.parties, 'broadcastTo', () => [this.#id, { value: [...shape] }]);
  }

  /** In place: this handle takes `next`'s shares, and its old shares are deleted at the parties (after every op issued on them). */
  #become(next: AdditiveSharingTensor, op: string): this {
    if (this.#shape !== undefined && next.#shape !== undefined && !sameDims(this.#shape, next.#shape)) {
      next.dispose();
      throw new InvalidArgumentError(`${op}: the result has shape [${next.#shape}], not this tensor's [${this.#shape}]; an in-place update cannot change the shape.`);
    }
    const old = this.#id;
    this.rebind(this.parties.map((location) => ({ location, idAtLocation: next.#id })));
    this.#id = next.#id;
    this.#verdict = next.#verdict;
    this.#opened = undefined;
    next.retire('sent');
    release(this.parties, [old]);
    return this;
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
    // A provider that is a party would refuse at deal time, after the op's first steps had run: refuse now.
    if (provider instanceof TrustedDealer && this.parties.some((p) => p.id === provider.id)) {
      throw new InvalidArgumentError(`the crypto provider '${provider.id}' is also a party; use a worker that holds no shares.`);
    }
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

  /** Integer shares have no fractional part: a non-integer public factor would be rounded silently. */
  #assertIntegral(value: FixedPrecisionTensor | PlainValue, op: string): void {
    if (this.#scale !== 1n || value instanceof FixedPrecisionTensor) return;
    const { values } = plainValues(value);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isInteger(values[i])) {
        throw new InvalidArgumentError(`${op}: integer shares times the non-integer ${values[i]} would be rounded; share x.fixPrecision() instead.`);
      }
    }
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

  /** A public operand, encoded at this tensor's precision (numbers and arrays leave no tfjs tensor behind). */
  #public(value: FixedPrecisionTensor | PlainValue, op: string): RingTensor {
    this.#assertLive(op);
    if (value instanceof FixedPrecisionTensor) {
      if (value.scale !== scaleOf(this.precision)) throw new SharesNotCompatibleError(op, 'the public tensor has another fixed-point precision.');
      return value.ring;
    }
    const { values, shape } = plainValues(value);
    return encodeScaled(values, shape, scaleOf(this.precision));
  }
}

/** The largest |sum| of a reduction over `axes` (null: all), for the debug overflow check. */
function largestSum(x: RingTensor, axes: readonly number[] | null): bigint {
  if (axes === null) return largestExact('sum', x);
  if (axes.length === 1) return largestExact('sum', x, undefined, axes[0]);
  // Several axes: move them to the end and sum the flattened tail.
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const t = ringTranspose(x, [...kept, ...axes]);
  const outer = sizeOf(kept.map((d) => x.shape[d]!));
  return largestExact('sum', ringReshape(t, [outer, sizeOf(axes.map((d) => x.shape[d]!))]), undefined, 1);
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

declare module './fixed-precision-tensor.js' {
  interface SharedResultTypes {
    /** What an op of a fixed-precision tensor with a shared operand gives. */
    readonly shared: AdditiveSharingTensor;
  }
}
