/**
 * The ops a party may run on its shares, one entry each (as tfjs-core
 * registers kernels): workers dispatch a RingOp command through this table
 * and run nothing else. Arguments arrive resolved: store ids become the ring
 * tensors they name, `{ value }` arguments are public values.
 *
 * Each op is local to one party; the protocols that need several parties
 * (multiplication, truncation) are sequences of these ops and Reveal rounds,
 * driven by src/smpc/protocols.ts.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  broadcastShapes,
  ringAdd,
  ringAddBroadcast,
  ringAddPublic,
  ringBroadcastTo,
  ringConcat,
  ringModPowerOfTwo,
  ringMulBroadcast,
  ringMulPublic,
  ringNeg,
  ringReshape,
  ringScale,
  ringSlice,
  ringSubBroadcast,
  ringSumAxis,
  ringTile,
  ringTranspose,
  type RingTensor,
} from './ring.js';
import { ringMatMulWasm } from './ring-matmul-wasm.js';
import { beaverWasm, truncFinishWasm, truncMaskWasm } from './ring-elementwise-wasm.js';
import { decodeScaled, encodeScaled } from './fixed-precision.js';
import { CONV_RING_OPS } from './ring-conv.js';
import { BINARY_RING_OPS } from './binary-shares.js';

/**
 * A plain float32 tensor, as ring ops see one: the argument `encode` reads
 * (a tensor in the worker's store) and the result `decode` makes (stored back
 * as a tensor). Only these two ops cross between tensors and ring tensors.
 */
export interface PlainTensor {
  readonly plain: ArrayLike<number>;
  readonly shape: readonly number[];
}

export function isPlainTensor(x: unknown): x is PlainTensor {
  return typeof x === 'object' && x !== null && 'plain' in x;
}

const HALF = 1n << 63n;
const OFFSET = 1n << 62n;

function copy(x: RingTensor): RingTensor {
  return { values: x.values.slice(), shape: x.shape };
}

/**
 * Beaver's product for party i, given the opened e = x - a and f = y - b and
 * its shares of the triple (a, b, c = a·b):
 *   z_i = c_i + e·b_i + a_i·f (+ e·f at the leader, party 0),
 * so that Σ z_i = (e + a)·(f + b) = x·y.
 */
function beaverMul(e: RingTensor, f: RingTensor, a: RingTensor, b: RingTensor, c: RingTensor, leader: boolean): RingTensor {
  return { values: beaverWasm(e.values, f.values, a.values, b.values, c.values, leader), shape: c.shape };
}

/** The matrix form: z_i = c_i + e·b_i + a_i·f (+ e·f); the leader folds e·(b_i + f) into one product. */
function beaverMatMul(e: RingTensor, f: RingTensor, a: RingTensor, b: RingTensor, c: RingTensor, leader: boolean): RingTensor {
  const eb = ringMatMulWasm(e, leader ? ringAdd(b, f) : b);
  return ringAdd(ringAdd(c, eb), ringMatMulWasm(a, f));
}

/**
 * Truncation (division of a shared x by a public scale), step 1 of 2: mask
 * x' = x + 2^62 (which lies in [0, 2^63) whenever |x| < 2^62) with a dealt
 * uniform r. c = x' + r is then opened; it is uniform, so it shows nothing.
 */
function truncationMask(x: RingTensor, r: RingTensor, leader: boolean): RingTensor {
  return { values: truncMaskWasm(x.values, r.values, leader ? OFFSET : 0n), shape: x.shape };
}

/**
 * Step 2, with c opened and the dealer's shares of r_div = floor((r mod 2^63) / s)
 * and r_msb = r >> 63. Write c_low = c mod 2^63. Because x' + (r mod 2^63) < 2^64,
 *   x' = c_low - (r mod 2^63) + 2^63·b,  with b = c_msb XOR r_msb = c_msb + (1 - 2c_msb)·r_msb,
 * which is linear in the shares of r_msb. So each party outputs
 *   -r_div_i + floor(2^63 / s)·(1 - 2c_msb)·r_msb_i
 * and the leader adds floor(c_low / s) + floor(2^63 / s)·c_msb - floor(2^62 / s).
 * The sum is x / s, off by at most one unit in the last place (the borrow of
 * the two floors; exact otherwise for s a power of two). No wrap-around error,
 * for any number of parties: PySyft 0.2's local truncation failed with three.
 */
function truncationFinish(c: RingTensor, rDiv: RingTensor, rMsb: RingTensor, leader: boolean, scale: bigint): RingTensor {
  const constants = { scale, k: HALF / scale, minusOffset: BigInt.asUintN(64, -(OFFSET / scale)) };
  return { values: truncFinishWasm(c.values, rDiv.values, rMsb.values, leader, constants), shape: c.shape };
}

/**
 * A public value is added once, by the leader; the others broadcast their
 * share to the result's shape (a share of x broadcast is a share of x broadcast).
 */
function leaderOnly(op: (x: RingTensor, p: RingTensor) => RingTensor) {
  return (x: RingTensor, p: RingTensor, leader: boolean): RingTensor =>
    leader ? op(x, p) : copy(ringBroadcastTo(x, broadcastShapes('public op', x.shape, p.shape)));
}

function asRing(x: unknown, op: string): RingTensor {
  if (isPlainTensor(x) || typeof x !== 'object' || x === null || !('values' in x)) {
    throw new InvalidArgumentError(`ring ${op}: expects a ring tensor (a share or a fixed-precision tensor); encode a plain tensor first.`);
  }
  return x as RingTensor;
}

export const RING_OPS = {
  copy,
  // Element-wise ops broadcast by tfjs's rules.
  add: ringAddBroadcast,
  sub: ringSubBroadcast,
  neg: ringNeg,
  /** Product of two tensors held by one party (a share times a public tensor, or plaintext ring math). */
  mul: ringMulBroadcast,
  scale: (x: RingTensor, k: bigint) => ringScale(x, k),
  /** A public value is added once, by the leader. */
  addPublic: leaderOnly(ringAddPublic),
  /** public - x: every party negates, the leader adds the public value. */
  subFromPublic: (x: RingTensor, p: RingTensor, leader: boolean) =>
    leader ? ringAddPublic(ringNeg(x), p) : ringBroadcastTo(ringNeg(x), broadcastShapes('sub', x.shape, p.shape)),
  mulPublic: ringMulPublic,
  matMulPublic: (x: RingTensor, p: RingTensor) => ringMatMulWasm(x, p),
  publicMatMul: (p: RingTensor, x: RingTensor) => ringMatMulWasm(p, x),
  sum: (x: RingTensor, axis: number | null) => ringSumAxis(x, axis ?? undefined),
  /** Sum over several axes (null: all), in decreasing order so the numbers stay valid; size-1 axes kept with keepDims. */
  sumAxes: (x: RingTensor, axes: readonly number[] | null, keepDims: boolean) => {
    const rank = x.shape.length;
    const list = (axes ?? x.shape.map((_, d) => d)).map((d) => (d < 0 ? d + rank : d)).sort((a, b) => b - a);
    let out = list.length === 0 ? copy(x) : x;
    for (const d of list) out = ringSumAxis(out, d);
    return keepDims ? ringReshape(out, x.shape.map((n, d) => (list.includes(d) ? 1 : n))) : out;
  },
  // A copy: two store entries never share a buffer, because fetch and move transfer it.
  reshape: (x: RingTensor, shape: readonly number[]) => copy(ringReshape(x, shape)),
  transpose: (x: RingTensor, perm: readonly number[] | null) => ringTranspose(x, perm ?? undefined),
  slice: (x: RingTensor, begin: readonly number[], size: readonly number[]) => ringSlice(x, begin, size),
  broadcastTo: (x: RingTensor, shape: readonly number[]) => copy(ringBroadcastTo(x, shape)),
  concat: (xs: readonly RingTensor[], axis: number) => ringConcat(xs, axis),
  tile: (x: RingTensor, reps: readonly number[]) => ringTile(x, reps),
  /** Each word modulo a power of two (shares stay congruent to the secret: see ringModPowerOfTwo). */
  modPowerOfTwo: (x: RingTensor, m: bigint) => ringModPowerOfTwo(x, m),
  /** A plain tensor encoded in fixed point at `scale` (x.send(bob).fixPrecision(): the encoding happens where the data is). */
  encode: (x: PlainTensor, scale: bigint): RingTensor => {
    if (!isPlainTensor(x)) throw new InvalidArgumentError('ring encode: expects a tensor; this one is a ring tensor already.');
    return encodeScaled(x.plain, x.shape, scale);
  },
  /** The inverse: a fixed-point ring tensor decoded to float32, stored as a plain tensor. */
  decode: (x: RingTensor, scale: bigint): PlainTensor => ({ plain: Float32Array.from(decodeScaled(asRing(x, 'decode'), scale)), shape: x.shape }),
  beaverMul,
  beaverMatMul,
  truncationMask,
  truncationFinish,
  // The sign-bit circuit's steps (comparisons).
  ...BINARY_RING_OPS,
  ...CONV_RING_OPS,
} as const;

export type RingOpName = keyof typeof RING_OPS;

function isRingOpName(name: string): name is RingOpName {
  return Object.prototype.hasOwnProperty.call(RING_OPS, name);
}

/** Ops that read a plain tensor; every other op refuses one (a ring op never sees a float by mistake). */
const READS_PLAIN: ReadonlySet<string> = new Set(['encode']);

/** Runs a registered ring op; anything else is refused. `decode` alone returns a plain tensor. */
export function executeRingOp(name: string, args: readonly unknown[]): RingTensor | PlainTensor {
  if (!isRingOpName(name)) {
    throw new InvalidArgumentError(`'${name}' is not a registered ring op; known: ${Object.keys(RING_OPS).join(', ')}.`);
  }
  if (!READS_PLAIN.has(name)) for (const a of args) if (isPlainTensor(a)) asRing(a, name);
  const op = RING_OPS[name] as (...a: readonly unknown[]) => RingTensor | PlainTensor;
  // A function's length counts its parameters up to the first optional one: the least a call must give.
  if (args.length < op.length) throw new InvalidArgumentError(`ring op '${name}' takes at least ${op.length} arguments, got ${args.length}.`);
  try {
    return op(...args);
  } catch (error) {
    // An argument of the wrong kind (a public value where a share belongs) surfaces as a TypeError inside the op: a caller's mistake, coded as one.
    if (error instanceof TypeError) throw new InvalidArgumentError(`ring op '${name}': an argument is not what it takes (${error.message}).`);
    throw error;
  }
}
