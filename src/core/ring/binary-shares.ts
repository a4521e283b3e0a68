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
 *      (carryLevelOpen / carryLevelClose). Both ANDs take P, so one mask of P
 *      serves both (triples (a, b1, a & b1) and (a, b2, a & b2)): 24 bytes per
 *      element to each other party per round; the last round skips P's
 *      update, which nothing reads (16 bytes). Six rounds;
 *   4. the sign bit is bit 63 of P₀ ^ (G << 1), XOR-shared; each party opens
 *      it masked with s (signBitMask): one round, 8 bytes per element;
 *   5. to arithmetic: bit = e + s - 2es with e public, linear in s's shares
 *      (bitToArithmetic).
 * Eight rounds and 152 bytes per element to each other party; exact for every
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
/** Rows of the dealt triple tensor: per level a, b1, a & b1, b2, a & b2; the last level only the first three. */
export const TRIPLE_ROWS = (CARRY_LEVELS.length - 1) * 5 + 3;
const isLast = (level: number): boolean => level === CARRY_LEVELS.length - 1;

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
 * rows (level L: rows 5L .. 5L+4 hold a, b1, a & b1, b2, a & b2), in the
 * clear; the dealer XOR-shares the whole tensor.
 */
export function binaryTriples(elementShape: readonly number[], n: number): RingTensor {
  const { ring, u } = packed(TRIPLE_ROWS, elementShape, n);
  randomFillSync(u);
  for (let level = 0; level < CARRY_LEVELS.length; level++) {
    const a = row(u, 5 * level, n);
    for (const j of isLast(level) ? [1] : [1, 3]) {
      const [b, c] = [row(u, 5 * level + j, n), row(u, 5 * level + j + 1, n)];
      for (let i = 0; i < c.length; i++) c[i] = a[i]! & b[i]!;
    }
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

/**
 * Level L, step 1: this party's masked P (for both ANDs) and masked G << k and
 * P << k, packed [d; e1; e2] ([d; e1] at the last level). One pass over the
 * words (this and carryLevelClose are most of a comparison's local work).
 */
function carryLevelOpen(state: RingTensor, triples: RingTensor, level: number): RingTensor {
  const k = levelDistance(level);
  const n = state.values.length / 3;
  const last = isLast(level);
  const { ring, u } = packed(last ? 2 : 3, elementShape(state), n);
  const [s, t] = [halves(state), halves(triples)];
  const [p, g] = [row(s, 0, n), row(s, 1, n)];
  const base = 5 * level;
  const [ta, tb1, tb2] = [row(t, base, n), row(t, base + 1, n), last ? row(t, base + 1, n) : row(t, base + 3, n)];
  const [d, e1, e2] = [row(u, 0, n), row(u, 1, n), last ? row(u, 1, n) : row(u, 2, n)];
  // A word shifted left by k, in halves: k = 32 moves the low half up (JavaScript's << takes k mod 32).
  const wide = k === 32;
  const back = 32 - k;
  for (let i = 0; i < 2 * n; i += 2) {
    const pl = p[i]!;
    const ph = p[i + 1]!;
    const gl = g[i]!;
    const gh = g[i + 1]!;
    d[i] = pl ^ ta[i]!;
    d[i + 1] = ph ^ ta[i + 1]!;
    e1[i] = (wide ? 0 : gl << k) ^ tb1[i]!;
    e1[i + 1] = (wide ? gl : (gh << k) | (gl >>> back)) ^ tb1[i + 1]!;
    if (!last) {
      e2[i] = (pl << k) ^ tb2[i]!;
      e2[i + 1] = ((ph << k) | (pl >>> back)) ^ tb2[i + 1]!;
    }
  }
  return ring;
}

/**
 * Level L, step 2, with [d; e1; e2] opened (XOR of every party's):
 * G ^= P & (G << k); P &= P << k (not at the last level). This party's share of
 * x & y, from d = x ^ a and e = y ^ b: c ^ (d & b) ^ (e & a), the leader adding d & e.
 */
function carryLevelClose(state: RingTensor, opened: RingTensor, triples: RingTensor, level: number, leader: boolean): RingTensor {
  levelDistance(level);
  const n = state.values.length / 3;
  const last = isLast(level);
  const { ring, u } = packed(3, elementShape(state), n);
  const [s, o, t] = [halves(state), halves(opened), halves(triples)];
  const base = 5 * level;
  const [d, e1, e2] = [row(o, 0, n), row(o, 1, n), last ? row(o, 1, n) : row(o, 2, n)];
  const [a, b1, c1] = [row(t, base, n), row(t, base + 1, n), row(t, base + 2, n)];
  const [b2, c2] = last ? [b1, c1] : [row(t, base + 3, n), row(t, base + 4, n)];
  const [p, g] = [row(s, 0, n), row(s, 1, n)];
  const [pOut, gOut] = [row(u, 0, n), row(u, 1, n)];
  const lead = leader ? 0xffffffff : 0;
  for (let i = 0; i < 2 * n; i++) {
    const di = d[i]!;
    const ai = a[i]!;
    gOut[i] = g[i]! ^ c1[i]! ^ (di & b1[i]!) ^ (e1[i]! & ai) ^ (di & e1[i]! & lead);
    pOut[i] = last ? p[i]! : c2[i]! ^ (di & b2[i]!) ^ (e2[i]! & ai) ^ (di & e2[i]! & lead);
  }
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

/**
 * Step 5 folded into a product: this party's share of y·bit, from the opened
 * e = bit ^ s and f = y - a (opened in step 1) and its shares of s and a·s:
 * y·s = f·s + a·s is linear in the shares, and y·bit = e·y + (1 - 2e)·y·s.
 */
function bitTimes(e: RingTensor, f: RingTensor, y: RingTensor, sArith: RingTensor, as: RingTensor): RingTensor {
  const out = new BigUint64Array(e.values.length);
  const [ev, fv, yv, sv, asv] = [e.values, f.values, y.values, sArith.values, as.values];
  for (let i = 0; i < out.length; i++) {
    const ys = BigInt.asUintN(64, BigInt.asUintN(64, fv[i]! * sv[i]!) + asv[i]!);
    out[i] = (ev[i]! & 1n) === 1n ? BigInt.asUintN(64, yv[i]! - ys) : ys;
  }
  return { values: out, shape: [...e.shape] };
}

function levelDistance(level: number): number {
  const k = CARRY_LEVELS[level];
  if (k === undefined) throw new InvalidArgumentError(`carry level ${level} does not exist; levels are 0..${CARRY_LEVELS.length - 1}.`);
  return k;
}

/** The sign-bit circuit's steps, as ring ops a party may run (spread into RING_OPS). */
export const BINARY_RING_OPS = { carryStart, carryLevelOpen, carryLevelClose, signBitMask, bitToArithmetic, bitTimes } as const;
