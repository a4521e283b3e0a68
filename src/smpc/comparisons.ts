/**
 * Comparisons on fixed-precision and shared tensors, all from one primitive:
 * the sign bit [x < 0]. On shares it is the dealer-assisted circuit of
 * src/core/ring/binary-shares.ts (8 rounds, exact for every value, 2 to N
 * parties; protocols.ts signBit); on a local fixed-precision tensor it is the
 * top bit of each word. Everything else is arithmetic on that bit:
 *
 * - less(a, b) = [a - b < 0]; greater, lessEqual, greaterEqual by symmetry
 *   and complement; equal = 1 - [d < 0] - [-d < 0] (both bits in one circuit
 *   over the stacked [d; -d]); exact while |a - b| stays in the ring's range.
 * - relu(x) = x·[x > 0] (one Beaver product by a 0/1 bit, which needs no
 *   truncation: 9 rounds in all); sign = [x > 0] - [x < 0]; abs = x - 2·x·[x < 0].
 * - where(c, a, b) = b + c·(a - b), c a 0/1 tensor (a comparison's result).
 * - max/min/argMax/argMin along an axis: a tree of pairwise comparisons,
 *   ceil(log2 n) levels of 9 rounds; ties go to the first position, as tfjs's
 *   argMax. The one-hot of the winner rides along the tree.
 *
 * Bits come as integer shares (precisionFractional 0): mulByBit multiplies by
 * them without a truncation. User-facing results (less, equal, sign, ...) are
 * 0/1 at the operands' precision, as PySyft returned them.
 */
import { CryptoProviderRequiredError, InvalidArgumentError } from '../core/errors.js';
import { encodeScaled, scaleOf } from '../core/ring/fixed-precision.js';
import { ringMulBroadcast, sizeOf } from '../core/ring/ring.js';
import { AdditiveSharingTensor } from './additive-sharing-tensor.js';
import { FixedPrecisionTensor, type PlainValue, type Precision } from './fixed-precision-tensor.js';
import { beaverProduct, release, ringOpAtParties, signBit } from './protocols.js';
import { normalizeAxis, sameDims } from './shapes.js';

export type Secret = AdditiveSharingTensor | FixedPrecisionTensor;

/** What the generic code uses of both kinds (same meaning on each). */
interface Ops<T> {
  add(other: T | PlainValue): T;
  sub(other: T | PlainValue): T;
  mul(other: T | PlainValue): T;
  neg(): T;
  slice(begin: readonly number[], size: readonly number[]): T;
  expandDims(axis: number): T;
  broadcastTo(shape: readonly number[]): T;
  reshape(shape: readonly number[]): T;
  sum(axis?: number | null, keepDims?: boolean): T;
  readonly shape: readonly number[] | undefined;
  readonly precision: Precision;
}

const ops = <T extends Secret>(x: T): Ops<T> => x as unknown as Ops<T>;

const integer = (p: Precision): Precision => ({ base: p.base, precisionFractional: 0 });

function shapeOf(x: Secret, op: string): readonly number[] {
  const shape = x.shape;
  if (shape === undefined) throw new InvalidArgumentError(`${op}: the shape of a tensor shared by a worker is not known here; reshape() it to its shape first.`);
  return shape;
}

function idOf(x: AdditiveSharingTensor): number {
  return x.shares[0]!.idAtLocation;
}

function providerOf(x: AdditiveSharingTensor, op: string) {
  const provider = x.cryptoProvider;
  if (provider === undefined) throw new CryptoProviderRequiredError(op);
  return provider;
}

/**
 * Refuses a shared operand whose protocol could not run (no crypto provider,
 * shape unknown here) before any temporary is made, so a refusal leaves
 * nothing at the parties.
 */
function ready(op: string, ...operands: readonly unknown[]): void {
  for (const x of operands) {
    if (!(x instanceof AdditiveSharingTensor)) continue;
    shapeOf(x, op);
    providerOf(x, op);
  }
}

/** [x < 0] as 0/1 integer shares (precisionFractional 0): a "bit" that mulByBit multiplies by without truncation. */
export function isNegativeBit<T extends Secret>(x: T): T {
  if (x instanceof FixedPrecisionTensor) {
    const values = BigUint64Array.from(x.ring.values, (v) => v >> 63n);
    return new FixedPrecisionTensor({ values, shape: [...x.ring.shape] }, integer(x.precision)) as T;
  }
  const shared = x as AdditiveSharingTensor;
  const shape = shapeOf(shared, 'comparison');
  const { bit } = signBit(idOf(shared), shape, shared.parties, providerOf(shared, 'comparison'), { bit: true });
  return new AdditiveSharingTensor(shared.parties, bit!, shape, integer(shared.precision), shared.cryptoProvider) as T;
}

/**
 * y·[d < 0] (y's precision), and the bit itself when asked: on shares in the
 * comparison's own eight rounds (no Beaver round after it: see signBit).
 */
export function negativeTimes<T extends Secret>(d: T, y: T, withBit = false): { product: T; bit: T | undefined } {
  if (d instanceof FixedPrecisionTensor) {
    const bit = isNegativeBit(d);
    return { product: mulByBit(y, bit), bit: withBit ? bit : undefined };
  }
  const [sd, sy] = [d as AdditiveSharingTensor, y as AdditiveSharingTensor];
  const shape = shapeOf(sd, 'comparison');
  if (!sameDims(shape, shapeOf(sy, 'comparison'))) throw new InvalidArgumentError(`comparison: shapes [${shape}] and [${sy.shape}] differ.`);
  const out = signBit(idOf(sd), shape, sd.parties, providerOf(sd, 'comparison'), { bit: withBit, times: idOf(sy) });
  const make = (id: number, precision: Precision) => new AdditiveSharingTensor(sd.parties, id, shape, precision, sd.cryptoProvider) as T;
  return { product: make(out.product!, sy.precision), bit: out.bit === undefined ? undefined : make(out.bit, integer(sd.precision)) };
}

/** x·bit for a 0/1 bit (integer shares): one Beaver product, no truncation; the result has x's precision. */
export function mulByBit<T extends Secret>(x: T, bit: T): T {
  if (scaleOf(bit.precision) !== 1n) throw new InvalidArgumentError('mulByBit: the bit must be integer shares (from isNegativeBit or a mask).');
  if (x instanceof FixedPrecisionTensor) {
    return new FixedPrecisionTensor(ringMulBroadcast(x.ring, (bit as FixedPrecisionTensor).ring), x.precision) as T;
  }
  const [sx, sb] = [x as AdditiveSharingTensor, bit as AdditiveSharingTensor];
  const shape = shapeOf(sx, 'mul');
  if (!sameDims(shape, shapeOf(sb, 'mul'))) throw new InvalidArgumentError(`mulByBit: shapes [${shape}] and [${sb.shape}] differ.`);
  const z = beaverProduct('mul', idOf(sx), idOf(sb), { x: shape, y: shape }, sx.parties, providerOf(sx, 'mul'));
  return new AdditiveSharingTensor(sx.parties, z, shape, sx.precision, sx.cryptoProvider) as T;
}

/** A 0/1 integer bit as 0/1 at `precision` (1 encoded as 1.0): a local multiple. */
function atPrecision<T extends Secret>(bit: T, precision: Precision): T {
  const scale = scaleOf(precision);
  if (bit instanceof FixedPrecisionTensor) {
    return new FixedPrecisionTensor({ values: BigUint64Array.from(bit.ring.values, (v) => BigInt.asUintN(64, v * scale)), shape: [...bit.ring.shape] }, precision) as T;
  }
  const b = bit as AdditiveSharingTensor;
  const id = ringOpAtParties(b.parties, 'scale', () => [idOf(b), { value: scale }]);
  return new AdditiveSharingTensor(b.parties, id, b.shape, precision, b.cryptoProvider) as T;
}

/** a - b where either may be public (the secret one decides the kind). */
function difference<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  if (a instanceof AdditiveSharingTensor || a instanceof FixedPrecisionTensor) return ops(a as T).sub(b);
  if (b instanceof AdditiveSharingTensor) return b.rsub(a) as T;
  if (b instanceof FixedPrecisionTensor) return FixedPrecisionTensor.encode(a, b.precision).sub(b) as T;
  throw new InvalidArgumentError('comparison: one operand must be a fixed-precision or shared tensor.');
}

/** [x < 0] and [-x < 0] in one circuit over the stacked pair (half the rounds of two). */
function bothSigns<T extends Secret>(x: T): [negative: T, positive: T] {
  const n = ops(x).neg();
  const stacked = (x instanceof AdditiveSharingTensor ? AdditiveSharingTensor.stack([x, n as AdditiveSharingTensor]) : FixedPrecisionTensor.stack([x as FixedPrecisionTensor, n as FixedPrecisionTensor])) as T;
  const bits = isNegativeBit(stacked);
  const shape = shapeOf(x, 'comparison');
  const size = [1, ...shape];
  const at = (k: number): T => {
    const row = ops(bits).slice([k, ...shape.map(() => 0)], size);
    return using([row], () => ops(row).reshape(shape));
  };
  const out: [T, T] = [at(0), at(1)];
  for (const t of [n, stacked, bits]) dispose(t);
  return out;
}

function dispose(t: Secret): void {
  if (t instanceof AdditiveSharingTensor) t.dispose();
}

/** Runs f, then disposes the temporaries (shared tensors; local ones are plain memory). */
function using<T extends Secret, R>(temps: readonly T[], f: () => R): R {
  try {
    return f();
  } finally {
    for (const t of temps) dispose(t);
  }
}

export function less<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  ready('less', a, b);
  const d = difference<T>(a, b);
  const bit = isNegativeBit(d);
  return using([d, bit], () => atPrecision(bit, d.precision));
}

export function greater<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  return less(b, a);
}

/** 1 - [a > b]. */
export function lessEqual<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  const g = greater<T>(a, b);
  return using([g], () => oneMinus(g));
}

export function greaterEqual<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  const l = less<T>(a, b);
  return using([l], () => oneMinus(l));
}

function oneMinus<T extends Secret>(x: T): T {
  return x instanceof AdditiveSharingTensor ? (x.rsub(1) as T) : (FixedPrecisionTensor.encode(1, x.precision).sub(x as FixedPrecisionTensor) as T);
}

export function equal<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  ready('equal', a, b);
  const d = difference<T>(a, b);
  const [lt, gt] = bothSigns(d);
  const either = ops(lt).add(gt);
  const eq = oneMinus(either);
  return using([d, lt, gt, either, eq], () => atPrecision(eq, d.precision));
}

export function notEqual<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  ready('notEqual', a, b);
  const d = difference<T>(a, b);
  const [lt, gt] = bothSigns(d);
  const either = ops(lt).add(gt);
  return using([d, lt, gt, either], () => atPrecision(either, d.precision));
}

/** relu(x) and the bit [x > 0] (integer shares) that its gradient multiplies by (mulByBit). */
export function reluWithMask<T extends Secret>(x: T): { out: T; mask: T } {
  ready('reluWithMask', x);
  const n = ops(x).neg();
  const { product, bit } = negativeTimes(n, x, true);
  dispose(n);
  return { out: product, mask: bit! };
}

/** max(a, b) element-wise, as tf.maximum. */
export function maximum<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  const cond = greater<T>(a, b);
  return using([cond], () => where(cond, a, b));
}

export function minimum<T extends Secret>(a: T | PlainValue, b: T | PlainValue): T {
  const cond = less<T>(a, b);
  return using([cond], () => where(cond, a, b));
}

export function relu<T extends Secret>(x: T): T {
  ready('relu', x);
  const n = ops(x).neg();
  const { product } = negativeTimes(n, x);
  dispose(n);
  return product;
}

/** -1, 0 or 1, at x's precision (tfjs's sign: 0 at 0). */
export function sign<T extends Secret>(x: T): T {
  ready('sign', x);
  const [negative, positive] = bothSigns(x);
  const s = ops(positive).sub(negative);
  return using([negative, positive, s], () => atPrecision(s, x.precision));
}

export function abs<T extends Secret>(x: T): T {
  ready('abs', x);
  const { product: flipped } = negativeTimes(x, x);
  const twice = ops(flipped).mul(2);
  return using([flipped, twice], () => ops(x).sub(twice));
}

/** where(cond, a, b) = b + cond·(a - b), cond a 0/1 tensor at the operands' precision (a comparison's result). */
export function where<T extends Secret>(cond: T, a: T | PlainValue, b: T | PlainValue): T {
  ready('where', cond, a, b);
  const d = difference<T>(a, b);
  // The more secret operand leads the product and the sum (a shared tensor takes fixed or public operands, not the reverse).
  const [c, dd] = [cond as Secret, d as Secret];
  const product = (c instanceof AdditiveSharingTensor || !(dd instanceof AdditiveSharingTensor) ? ops(c).mul(dd) : dd.mul(c)) as Secret;
  const sum = (product instanceof AdditiveSharingTensor || !(b instanceof AdditiveSharingTensor) ? ops(product).add(b as Secret) : b.add(product)) as T;
  return using([d, product as T], () => sum);
}

/**
 * The tree along one axis: at each level neighbours meet (candidates 2i and
 * 2i+1; [b > a] picks b, so a tie keeps the earlier one), an odd one out at
 * the end goes on. Winners stay in position order, so ties go to the first
 * position overall, as tfjs's argMax. The winner's one-hot over the original
 * positions rides along when asked for.
 */
function tournament<T extends Secret>(x: T, axis: number, withOneHot: boolean): { max: T; oneHot: T | undefined } {
  ready('max', x);
  const shape = shapeOf(x, 'max');
  const d = normalizeAxis('max', axis, shape.length);
  const n = shape[d]!;
  if (n === 0) throw new InvalidArgumentError(`max: axis ${axis} has no elements.`);
  const along = (t: T, begin: number, size: number): T => {
    const s = shapeOf(t, 'max');
    return ops(t).slice(s.map((_, k) => (k === d ? begin : 0)), s.map((m, k) => (k === d ? size : m)));
  };
  // Candidates 2i and 2i+1 of the first 2h along d: the axis split into [h, 2], each half taken and the pair axis dropped.
  const pairs = (t: T, h: number): [T, T] => {
    const s = shapeOf(t, 'max');
    const even = along(t, 0, 2 * h);
    const split = ops(even).reshape([...s.slice(0, d), h, 2, ...s.slice(d + 1)]);
    const half = (k: number): T => {
      const picked = ops(split).slice([...s.slice(0, d).map(() => 0), 0, k, ...s.slice(d + 1).map(() => 0)], [...s.slice(0, d), h, 1, ...s.slice(d + 1)]);
      return using([picked], () => ops(picked).reshape([...s.slice(0, d), h, ...s.slice(d + 1)]));
    };
    return using([even, split], () => [half(0), half(1)]);
  };
  const concat = (parts: readonly T[], at: number): T =>
    (parts[0] instanceof AdditiveSharingTensor ? AdditiveSharingTensor.concat(parts as readonly AdditiveSharingTensor[], at) : FixedPrecisionTensor.concat(parts as readonly FixedPrecisionTensor[], at)) as T;
  let value: T = x;
  // The one-hot has x's shape plus a last axis of n positions; it starts public (the identity), so the first level multiplies bits by public values.
  let oneHot: T | undefined;
  let m = n;
  const temps: T[] = [];
  while (m > 1) {
    const h = Math.floor(m / 2);
    const [a, b] = pairs(value, h);
    const gap = ops(b).sub(a);
    const aMinusB = ops(a).sub(b);
    const { product: moved, bit } = negativeTimes(aMinusB, gap, withOneHot);
    let next = ops(a).add(moved);
    let nextHot: T | undefined;
    if (withOneHot) {
      const bBigger = bit!;
      const bitShape = [...shapeOf(bBigger, 'max'), n];
      const expanded = ops(bBigger).expandDims(bitShape.length - 1);
      const bits = ops(expanded).broadcastTo(bitShape);
      temps.push(expanded);
      if (oneHot === undefined) {
        // Level 0: the pair i holds one-hots e_2i and e_2i+1: e_2i + bit·(e_2i+1 - e_2i), a public difference.
        const { first, step } = firstLevelOneHot(shape, d, h, n);
        const scaled = ops(bits).mul(step);
        nextHot = ops(scaled).add(first);
        temps.push(scaled);
      } else {
        const [ha, hb] = pairs(oneHot, h);
        const hGap = ops(hb).sub(ha);
        const hMoved = mulByBit(hGap, bits);
        nextHot = ops(ha).add(hMoved);
        temps.push(ha, hb, hGap, hMoved);
      }
      if (m % 2 === 1) {
        const rest = oneHot === undefined ? undefined : along(oneHot, 2 * h, 1);
        const restHot = rest ?? publicOneHot(x, shape, d, 2 * h, n);
        const joined = concat([nextHot, restHot], d);
        temps.push(nextHot, restHot);
        nextHot = joined;
      }
      temps.push(bits);
      if (oneHot !== undefined) temps.push(oneHot);
      oneHot = nextHot;
    }
    if (m % 2 === 1) {
      const rest = along(value, 2 * h, 1);
      const joined = concat([next, rest], d);
      temps.push(next, rest);
      next = joined;
    }
    temps.push(a, b, aMinusB, gap, moved);
    if (bit !== undefined) temps.push(bit);
    if (value !== x) temps.push(value);
    value = next;
    m = h + (m % 2);
  }
  for (const t of temps) dispose(t);
  if (value === x) value = ops(x).add(0);
  return { max: value, oneHot: oneHot ?? (withOneHot ? publicOneHot(x, shape, d, 0, n) : undefined) };
}

/** For the first level: the one-hots e_2i of each pair's first position, and e_2i+1 - e_2i, shaped [..., h (at d), ..., n]. */
function firstLevelOneHot(shape: readonly number[], d: number, h: number, n: number): { first: PlainValue; step: PlainValue } {
  const out = shape.map((m, k) => (k === d ? h : 1));
  const size = sizeOf(out) * n;
  const first = new Float64Array(size);
  const step = new Float64Array(size);
  // Only the axis d varies (other axes are 1, broadcast): index i along d, position j.
  for (let i = 0; i < h; i++) {
    first[i * n + 2 * i] = 1;
    step[i * n + 2 * i] = -1;
    step[i * n + 2 * i + 1] = 1;
  }
  return { first: tensorLike(first, [...out, n]), step: tensorLike(step, [...out, n]) };
}

/** The one-hot e_position as a secret of the tournament's kind, for an odd one out at the first level. */
function publicOneHot<T extends Secret>(x: T, shape: readonly number[], d: number, position: number, n: number): T {
  const rowShape = [...shape.map((m, k) => (k === d ? 1 : m)), n];
  const values = new Float64Array(sizeOf(rowShape));
  for (let i = position; i < values.length; i += n) values[i] = 1;
  const ring = encodeScaled(values, rowShape, 1n);
  const precision = integer(x.precision);
  if (x instanceof FixedPrecisionTensor) return new FixedPrecisionTensor(ring, precision) as T;
  // A public value held as shares: the leader holds it, the others zero (a sum scaled by 0 is a zero of any shape).
  const sx = x as AdditiveSharingTensor;
  const total = ringOpAtParties(sx.parties, 'sumAxes', () => [idOf(sx), { value: null }, { value: false }]);
  const zero = ringOpAtParties(sx.parties, 'scale', () => [total, { value: 0n }]);
  const id = ringOpAtParties(sx.parties, 'addPublic', (i) => [zero, { value: ring }, { value: i === 0 }]);
  release(sx.parties, [total, zero]);
  return new AdditiveSharingTensor(sx.parties, id, rowShape, precision, sx.cryptoProvider) as T;
}

function tensorLike(values: Float64Array, shape: readonly number[]): PlainValue {
  return new FixedPrecisionTensor(encodeScaled(values, shape, 1n), { base: 2, precisionFractional: 0 }) as unknown as PlainValue;
}

/** Reduces every axis in `axes` one at a time (null: all). */
function reduceAxes<T extends Secret>(x: T, axis: number | readonly number[] | null | undefined, keepDims: boolean, f: (t: T, d: number) => T): T {
  const shape = shapeOf(x, 'max');
  const list = axis === null || axis === undefined ? shape.map((_, d) => d) : (Array.isArray(axis) ? axis : [axis as number]).map((a) => normalizeAxis('max', a, shape.length));
  let out: T = x;
  for (const d of [...new Set(list)].sort((a, b) => b - a)) {
    const next = f(out, d);
    if (out !== x) dispose(out);
    out = next;
  }
  if (out === x) out = ops(x).add(0);
  if (keepDims) return out;
  const squeezed = ops(out).reshape(shape.filter((_, d) => !list.includes(d)));
  dispose(out);
  return squeezed;
}

/** max along `axis` (default: all), as tf.max: a log-depth tree of pairwise comparisons. */
export function max<T extends Secret>(x: T, axis?: number | readonly number[] | null, keepDims = false): T {
  return reduceAxes(x, axis, keepDims, (t, d) => tournament(t, d, false).max);
}

export function min<T extends Secret>(x: T, axis?: number | readonly number[] | null, keepDims = false): T {
  const n = ops(x).neg();
  const m = max(n, axis, keepDims);
  return using([n, m], () => ops(m).neg());
}

/** max along one axis (keepDims) and the one-hot of the first maximum's position (0/1 integer shares, x's shape). */
export function maxWithOneHot<T extends Secret>(x: T, axis: number): { max: T; oneHot: T } {
  const shape = shapeOf(x, 'max');
  const d = normalizeAxis('max', axis, shape.length);
  const { max: m, oneHot } = tournament(x, d, true);
  // The tree's one-hot is [..., 1 (at d), ..., n]: its last axis back in place of d gives x's shape.
  const perm = [...shape.keys()].map((k) => (k === d ? shape.length : k));
  const moved = (oneHot instanceof AdditiveSharingTensor ? oneHot.transpose(perm.concat(d)) : (oneHot as FixedPrecisionTensor).transpose(perm.concat(d))) as T;
  const hot = ops(moved).reshape(shape);
  for (const t of [oneHot!, moved]) dispose(t);
  return { max: m, oneHot: hot };
}

/** The index of the first maximum along `axis` (default 0, as tf.argMax), at x's precision. */
export function argMax<T extends Secret>(x: T, axis = 0): T {
  const shape = shapeOf(x, 'argMax');
  const d = normalizeAxis('argMax', axis, shape.length);
  const { max: m, oneHot } = maxWithOneHot(x, d);
  const positions = new Float64Array(shape[d]!).map((_, i) => i);
  const indexShape = shape.map((n, k) => (k === d ? n : 1));
  const weighted = ops(oneHot).mul(new FixedPrecisionTensor(encodeScaled(positions, indexShape, 1n), integer(x.precision)) as unknown as PlainValue);
  const index = ops(weighted).sum(d);
  return using([m, oneHot, weighted, index], () => atPrecision(index, x.precision));
}

export function argMin<T extends Secret>(x: T, axis = 0): T {
  const n = ops(x).neg();
  return using([n], () => argMax(n, axis));
}
