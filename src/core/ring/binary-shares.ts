/**
 * Binary (XOR) secret sharing of 64-bit words and the party-local steps of
 * the circuit that extracts a shared value's sign bit, from which every
 * comparison on shares is built (CrypTen's route: convert to binary shares,
 * add with a carry tree, open once per AND layer).
 *
 * A word w is shared as w = s_1 ^ … ^ s_n. XOR, NOT (party 0 flips) and shifts
 * are local; AND takes a binary Beaver triple (a, b, c = a & b) from the
 * dealer and one opening: each party opens d_i = x_i ^ a_i and e_i = y_i ^ b_i,
 * and with d = ⊕d_i, e = ⊕e_i its share of x & y is
 * c_i ^ (d & b_i) ^ (e & a_i), party 0 adding d & e.
 *
 * Sign bit of an arithmetic sharing x of n elements (two's complement in
 * Z_2^64), given the dealer's `comparison` material (r shared both ways,
 * 6·2 binary triples, a random bit s shared both ways):
 *   1. open c = x + r: one round, 8 bytes per element to each other party;
 *   2. x = c - r = c + ~r + 1: propagate P = c ^ ~r and generate G = c & ~r
 *      are local (c is public), the carry-in folds into bit 0 (carryStart);
 *   3. Kogge-Stone over 64 bits: for k = 1, 2, 4, 8, 16, 32,
 *      G ^= P & (G << k) and P &= P << k, two ANDs opened in one round
 *      (carryLevelOpen / carryLevelClose): six rounds, 32 bytes per element
 *      to each other party in each;
 *   4. the sign bit is bit 63 of P₀ ^ (G << 1), XOR-shared; each party opens
 *      it masked with s (signBitMask): one round, 8 bytes per element;
 *   5. to arithmetic: bit = e + s - 2es with e public, linear in s's shares
 *      (bitToArithmetic).
 * Eight rounds and 208 bytes per element to each other party; exact for every
 * word (no range assumption), for any number of parties.
 *
 * Words are worked on as pairs of 32-bit halves (a Uint32Array view of the
 * BigUint64Array): XOR, AND and shifts need no BigInt, which V8 cannot keep
 * in registers across a loop body this size.
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import type { RingTensor } from './ring.js';

/** The Kogge-Stone distances: log2(64) levels. */
export const CARRY_LEVELS: readonly number[] = [1, 2, 4, 8, 16, 32];
/** Rows of the dealt triple tensor: per level, two ANDs, each a, b, c. */
export const TRIPLE_ROWS = CARRY_LEVELS.length * 2 * 3;

function halves(t: RingTensor): Uint32Array {
  return new Uint32Array(t.values.buffer, t.values.byteOffset, t.values.length * 2);
}

/** A packed tensor of `rows` rows of `n` words each (shape [rows, ...elementShape]). */
function packed(rows: number, elementShape: readonly number[], n: number): { ring: RingTensor; u: Uint32Array } {
  const values = new BigUint64Array(rows * n);
  return { ring: { values, shape: [rows, ...elementShape] }, u: new Uint32Array(values.buffer) };
}

/** Row `r` of a packed tensor's halves (n words: 2n halves). */
const row = (u: Uint32Array, r: number, n: number): Uint32Array => u.subarray(2 * r * n, 2 * (r + 1) * n);

function xorInto(out: Uint32Array, a: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! ^ b[i]!;
}

/** Word-wise a << k (0 < k <= 32), into `out`. */
function shlInto(out: Uint32Array, a: Uint32Array, k: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const lo = a[i]!;
    const hi = a[i + 1]!;
    if (k === 32) {
      out[i] = 0;
      out[i + 1] = lo;
    } else {
      out[i] = lo << k;
      out[i + 1] = (hi << k) | (lo >>> (32 - k));
    }
  }
}

/** Elements of a packed tensor's rows: its shape without the leading row axis. */
function elementShape(t: RingTensor): readonly number[] {
  return t.shape.slice(1);
}

/** XOR shares of `secret` among `parties` (any n-1 of them are uniform whatever the secret). */
export function splitXor(secret: RingTensor, parties: number): RingTensor[] {
  if (!(Number.isInteger(parties) && parties >= 2)) throw new InvalidArgumentError(`binary share: needs at least 2 parties, got ${parties}.`);
  const last = new BigUint64Array(secret.values);
  const lastU = new Uint32Array(last.buffer);
  const shares: RingTensor[] = [];
  for (let p = 0; p < parties - 1; p++) {
    const r = new BigUint64Array(secret.values.length);
    randomFillSync(r);
    const u = new Uint32Array(r.buffer);
    for (let i = 0; i < u.length; i++) lastU[i]! ^= u[i]!;
    shares.push({ values: r, shape: [...secret.shape] });
  }
  shares.push({ values: last, shape: [...secret.shape] });
  return shares;
}

export function reconstructXor(shares: readonly RingTensor[]): RingTensor {
  if (shares.length === 0) throw new InvalidArgumentError('binary reconstruct: no shares given.');
  const out = new BigUint64Array(shares[0]!.values);
  const u = new Uint32Array(out.buffer);
  for (const s of shares.slice(1)) xorInto(u, u, halves(s));
  return { values: out, shape: [...shares[0]!.shape] };
}

/**
 * The dealer's triples for one sign-bit circuit over n elements: TRIPLE_ROWS
 * rows (level L, AND j: rows 6L+3j .. 6L+3j+2 hold a, b, a & b), in the clear;
 * the dealer XOR-shares the whole tensor.
 */
export function binaryTriples(elementShape: readonly number[], n: number): RingTensor {
  const { ring, u } = packed(TRIPLE_ROWS, elementShape, n);
  randomFillSync(u);
  for (let t = 0; t < TRIPLE_ROWS / 3; t++) {
    const [a, b, c] = [row(u, 3 * t, n), row(u, 3 * t + 1, n), row(u, 3 * t + 2, n)];
    for (let i = 0; i < c.length; i++) c[i] = a[i]! & b[i]!;
  }
  return ring;
}

/**
 * Step 2 at one party: from the opened c = x + r and its XOR share of r, the
 * carry state [P; G; P₀] of c + ~r with a carry-in of 1 (so c - r).
 */
function carryStart(c: RingTensor, rBits: RingTensor, leader: boolean): RingTensor {
  const n = c.values.length;
  const { ring, u } = packed(3, c.shape, n);
  const [cu, ru] = [halves(c), halves(rBits)];
  const [p, g, p0] = [row(u, 0, n), row(u, 1, n), row(u, 2, n)];
  for (let i = 0; i < 2 * n; i++) {
    // ~r: the leader flips its share. c is public: XOR-ed in by the leader only, AND-ed into every share.
    const notR = leader ? ~ru[i]! : ru[i]!;
    p[i] = leader ? cu[i]! ^ notR : notR;
    g[i] = cu[i]! & notR;
  }
  // Carry-in 1 into bit 0: g₀ |= p₀; g₀ and p₀ never both hold, so XOR (linear, local).
  for (let i = 0; i < 2 * n; i += 2) g[i]! ^= p[i]! & 1;
  p0.set(p);
  return ring;
}

/** Level L, step 1: this party's d and e of the two ANDs P & (G << k) and P & (P << k), packed [d1; e1; d2; e2]. */
function carryLevelOpen(state: RingTensor, triples: RingTensor, level: number): RingTensor {
  const k = levelDistance(level);
  const n = state.values.length / 3;
  const { ring, u } = packed(4, elementShape(state), n);
  const [s, t] = [halves(state), halves(triples)];
  const [p, g] = [row(s, 0, n), row(s, 1, n)];
  const base = 6 * level;
  shlInto(row(u, 1, n), g, k);
  shlInto(row(u, 3, n), p, k);
  xorInto(row(u, 0, n), p, row(t, base, n));
  xorInto(row(u, 1, n), row(u, 1, n), row(t, base + 1, n));
  xorInto(row(u, 2, n), p, row(t, base + 3, n));
  xorInto(row(u, 3, n), row(u, 3, n), row(t, base + 4, n));
  return ring;
}

/** Level L, step 2, with [d1; e1; d2; e2] opened (XOR of every party's): G ^= P & (G << k); P &= P << k. */
function carryLevelClose(state: RingTensor, opened: RingTensor, triples: RingTensor, level: number, leader: boolean): RingTensor {
  levelDistance(level);
  const n = state.values.length / 3;
  const { ring, u } = packed(3, elementShape(state), n);
  const [s, o, t] = [halves(state), halves(opened), halves(triples)];
  const base = 6 * level;
  const and = (out: Uint32Array, d: Uint32Array, e: Uint32Array, first: number, accumulate: Uint32Array | undefined): void => {
    const [a, b, c] = [row(t, first, n), row(t, first + 1, n), row(t, first + 2, n)];
    for (let i = 0; i < out.length; i++) {
      const z = c[i]! ^ (d[i]! & b[i]!) ^ (e[i]! & a[i]!) ^ (leader ? d[i]! & e[i]! : 0);
      out[i] = accumulate === undefined ? z : accumulate[i]! ^ z;
    }
  };
  and(row(u, 1, n), row(o, 0, n), row(o, 1, n), base, row(s, 1, n));
  and(row(u, 0, n), row(o, 2, n), row(o, 3, n), base + 3, undefined);
  row(u, 2, n).set(row(s, 2, n));
  return ring;
}

/** Step 4: this party's XOR share of the sign bit, masked with its share of the dealer's bit s (bit 0 of each word). */
function signBitMask(state: RingTensor, sBits: RingTensor): RingTensor {
  const n = state.values.length / 3;
  const s = halves(state);
  const [p0, g] = [row(s, 2, n), row(s, 1, n)];
  const sb = halves(sBits);
  const values = new BigUint64Array(n);
  const u = new Uint32Array(values.buffer);
  // Bit 63 of P₀ ^ (G << 1): bit 31 of P₀'s high half, bit 30 of G's.
  for (let i = 0; i < n; i++) u[2 * i] = ((p0[2 * i + 1]! >>> 31) ^ (g[2 * i + 1]! >>> 30) ^ sb[2 * i]!) & 1;
  return { values, shape: elementShape(state) };
}

/** Step 5: this party's arithmetic share of the bit, from the opened e = bit ^ s and its arithmetic share of s. */
function bitToArithmetic(e: RingTensor, sArith: RingTensor, leader: boolean): RingTensor {
  const out = new BigUint64Array(e.values.length);
  const [ev, sv] = [e.values, sArith.values];
  // bit = e + (1 - 2e)·s: public e, shared s.
  for (let i = 0; i < out.length; i++) {
    const flipped = (ev[i]! & 1n) === 1n;
    out[i] = BigInt.asUintN(64, (leader && flipped ? 1n : 0n) + (flipped ? -sv[i]! : sv[i]!));
  }
  return { values: out, shape: [...e.shape] };
}

function levelDistance(level: number): number {
  const k = CARRY_LEVELS[level];
  if (k === undefined) throw new InvalidArgumentError(`carry level ${level} does not exist; levels are 0..${CARRY_LEVELS.length - 1}.`);
  return k;
}

/** The sign-bit circuit's steps, as ring ops a party may run (spread into RING_OPS). */
export const BINARY_RING_OPS = { carryStart, carryLevelOpen, carryLevelClose, signBitMask, bitToArithmetic } as const;
