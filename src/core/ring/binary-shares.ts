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
 * Sign bit of an arithmetic sharing x (two's complement in Z_2^64), with the
 * dealer's r given both ways (arithmetic shares and XOR shares of its words):
 *   1. open c = x + r (one round);
 *   2. x = c - r = c + ~r + 1: propagate P = c ^ ~r and generate G = c & ~r
 *      are local (c is public), the carry-in folds into bit 0;
 *   3. Kogge-Stone over 64 bits: for k = 1, 2, 4, 8, 16, 32,
 *      G ^= P & (G << k) and P &= P << k, two ANDs in one round (six rounds);
 *   4. the sign bit is bit 63 of P₀ ^ (G << 1), XOR-shared;
 *   5. to arithmetic: the dealer's random bit s, shared both ways; open
 *      e = bit ^ s (one round); bit = e + s - 2es, linear in s's shares.
 * Eight rounds in all; exact for every word (no range assumption).
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import type { RingTensor } from './ring.js';

const MASK = (1n << 64n) - 1n;

function words(size: number): BigUint64Array {
  return new BigUint64Array(size);
}

function map2(a: RingTensor, b: RingTensor, f: (x: bigint, y: bigint) => bigint): RingTensor {
  if (a.values.length !== b.values.length) {
    throw new InvalidArgumentError(`binary shares: ${a.values.length} and ${b.values.length} words differ.`);
  }
  const out = words(a.values.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.values[i]!, b.values[i]!);
  return { values: out, shape: [...a.shape] };
}

function map1(a: RingTensor, f: (x: bigint) => bigint): RingTensor {
  const out = words(a.values.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.values[i]!);
  return { values: out, shape: [...a.shape] };
}

export const xorWords = (a: RingTensor, b: RingTensor): RingTensor => map2(a, b, (x, y) => x ^ y);
export const andWords = (a: RingTensor, b: RingTensor): RingTensor => map2(a, b, (x, y) => x & y);
export const shiftLeftWords = (a: RingTensor, k: number): RingTensor => map1(a, (x) => (x << BigInt(k)) & MASK);

/** Fresh uniform words from the CSPRNG, shaped like `like`. */
export function randomWords(like: RingTensor): RingTensor {
  const values = words(like.values.length);
  randomFillSync(values);
  return { values, shape: [...like.shape] };
}

/** XOR shares of `secret` among `parties` (any n-1 of them are uniform whatever the secret). */
export function splitXor(secret: RingTensor, parties: number): RingTensor[] {
  if (!(Number.isInteger(parties) && parties >= 2)) throw new InvalidArgumentError(`binary share: needs at least 2 parties, got ${parties}.`);
  const shares: RingTensor[] = [];
  let rest = secret;
  for (let p = 0; p < parties - 1; p++) {
    const r = randomWords(secret);
    shares.push(r);
    rest = xorWords(rest, r);
  }
  shares.push(rest);
  return shares;
}

export function reconstructXor(shares: readonly RingTensor[]): RingTensor {
  if (shares.length === 0) throw new InvalidArgumentError('binary reconstruct: no shares given.');
  return shares.slice(1).reduce(xorWords, shares[0]!);
}

/** One party's part of a binary Beaver triple: shares of a, b and c = a & b. */
export interface BinaryTriple {
  readonly a: RingTensor;
  readonly b: RingTensor;
  readonly c: RingTensor;
}

/** The dealer's work for one AND of `like`-shaped words: one triple part per party. */
export function dealBinaryTriple(like: RingTensor, parties: number): BinaryTriple[] {
  const a = randomWords(like);
  const b = randomWords(like);
  const [as, bs, cs] = [splitXor(a, parties), splitXor(b, parties), splitXor(andWords(a, b), parties)];
  return as.map((_, p) => ({ a: as[p]!, b: bs[p]!, c: cs[p]! }));
}

/** AND, step 1: what a party opens (its x ^ a and y ^ b). */
export function andOpen(x: RingTensor, y: RingTensor, t: BinaryTriple): readonly [RingTensor, RingTensor] {
  return [xorWords(x, t.a), xorWords(y, t.b)];
}

/** AND, step 2: with d and e opened (XOR of every party's), this party's share of x & y. */
export function andClose(party: number, d: RingTensor, e: RingTensor, t: BinaryTriple): RingTensor {
  const z = xorWords(xorWords(t.c, andWords(d, t.b)), andWords(e, t.a));
  return party === 0 ? xorWords(z, andWords(d, e)) : z;
}

/** The carry tree's state at one party: propagate and generate shares, and the first propagate (for the sum bit). */
export interface CarryState {
  readonly p: RingTensor;
  readonly g: RingTensor;
  readonly p0: RingTensor;
}

/**
 * Step 2 at one party: from the opened c = x + r and its XOR share of r, the
 * propagate and generate shares of c + ~r with a carry-in of 1 (so c - r).
 */
export function carryStart(party: number, c: RingTensor, rBits: RingTensor): CarryState {
  // ~r: party 0 flips its share. c is public: XOR-ed in by party 0 only, AND-ed into every share.
  const notR = party === 0 ? map1(rBits, (x) => ~x & MASK) : rBits;
  const p = party === 0 ? xorWords(c, notR) : notR;
  let g = andWords(c, notR);
  // Carry-in 1 into bit 0: g₀ |= p₀, and g₀, p₀ never both hold, so XOR (linear, local).
  g = xorWords(g, map1(p, (x) => x & 1n));
  return { p, g, p0: p };
}

/** The Kogge-Stone distances: log2(64) levels. */
export const CARRY_LEVELS: readonly number[] = [1, 2, 4, 8, 16, 32];

/** Level k, step 1: the two ANDs' inputs, (P, G << k) and (P, P << k), opened with two triples. */
export function carryLevelOpen(s: CarryState, k: number, t1: BinaryTriple, t2: BinaryTriple): readonly RingTensor[] {
  return [...andOpen(s.p, shiftLeftWords(s.g, k), t1), ...andOpen(s.p, shiftLeftWords(s.p, k), t2)];
}

/** Level k, step 2: G ^= P & (G << k); P &= P << k. `opened` is the XOR of every party's four words. */
export function carryLevelClose(party: number, s: CarryState, opened: readonly RingTensor[], t1: BinaryTriple, t2: BinaryTriple): CarryState {
  const [d1, e1, d2, e2] = opened as [RingTensor, RingTensor, RingTensor, RingTensor];
  return { p: andClose(party, d2, e2, t2), g: xorWords(s.g, andClose(party, d1, e1, t1)), p0: s.p0 };
}

/** Step 4: this party's XOR share of the sign bit (0 or 1 in each word). */
export function signBit(s: CarryState): RingTensor {
  return map2(s.p0, shiftLeftWords(s.g, 1), (p, g) => ((p ^ g) >> 63n) & 1n);
}

/**
 * Step 5 at one party: its arithmetic share of a bit XOR-shared as `bit`,
 * given the opened e = bit ^ s and its arithmetic share of the dealer's s.
 */
export function bitToArithmetic(party: number, e: RingTensor, sArith: RingTensor): RingTensor {
  // bit = e + s - 2es = e + (1 - 2e)·s: public e, shared s.
  return map2(e, sArith, (ev, si) => ((party === 0 ? ev : 0n) + (ev === 1n ? (MASK + 1n - si) & MASK : si)) & MASK);
}
