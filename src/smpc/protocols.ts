/**
 * The multi-party protocols, as sequences of per-party ring ops and openings.
 * They run in the parties' command streams, pipelined: nothing here awaits.
 * Shares are named by one id, the same at every party (each store is its own
 * namespace); party 0 is the leader that adds public constants.
 */
import type { Location } from '../core/handles.js';
import type { WireArg } from '../core/protocol.js';
import { CARRY_LEVELS } from '../core/ring/binary-shares.js';
import type { RingOpName } from '../core/ring/ring-ops.js';
import type { TripleProvider } from './crypto-provider.js';
import { meterOpening } from './costs.js';
import { sizeOf } from '../core/ring/ring.js';

export type Parties = readonly Location[];

/** An argument of a ring op as each party sees it: a share id, a list of them, or a public value. */
type PartyArg = number | { readonly list: readonly number[] } | { readonly value: unknown };

/** Runs `op` at every party (arguments may depend on the party's index); returns the result's id. */
export function ringOpAtParties(parties: Parties, op: RingOpName, args: (index: number) => readonly PartyArg[]): number {
  const out = parties[0]!.owner.nextId();
  parties.forEach((w, i) => w.post({ type: 'ring-op', op, args: args(i) as readonly WireArg[], out }));
  return out;
}

export function release(parties: Parties, ids: readonly number[]): void {
  for (const w of parties) for (const id of ids) w.release(id);
}

/**
 * Opens shared values in one round: every party ends up holding the plaintext
 * sums (the XORs, for binary shares) under the returned ids.
 */
export function open(parties: Parties, parts: readonly number[], how: OpenOptions): number[] {
  const out = parts.map(() => parties[0]!.owner.nextId());
  const addresses = parties.map((p) => p.address);
  const extra = { step: how.step, ...(how.words === undefined ? {} : { words: how.words }), ...(how.binary === true ? { xor: true } : {}) };
  parties.forEach((w, index) => w.post({ type: 'reveal', parts, parties: addresses, index, out, ...extra }));
  if (how.words !== undefined) meterOpening(how.step, parties.length, how.words);
  return out;
}

export interface OpenOptions {
  /** The protocol step, for the cost accounting. */
  readonly step: string;
  /** Words each party sends each other party (undefined when a shape is not known here: then the opening is not counted). */
  readonly words: number | undefined;
  /** Binary shares: opened by XOR. */
  readonly binary?: boolean;
}

const leader = (i: number) => ({ value: i === 0 });

/**
 * Beaver's multiplication of shared x and y (element-wise, or matrix product):
 * 1. the provider deals a triple a, b, c = a·b (shapes of x and y);
 * 2. each party masks its shares: e_i = x_i - a_i, f_i = y_i - b_i;
 * 3. e and f are opened together, in one round (CrypTen's reveal_batch); they
 *    are uniformly random, so they show nothing of x or y;
 * 4. each party computes z_i = c_i + e·b_i + a_i·f (+ e·f at the leader).
 * The result carries the product of both scales; see truncate().
 */
export function beaverProduct(
  kind: 'mul' | 'matMul',
  x: number,
  y: number,
  shapes: { readonly x: readonly number[]; readonly y: readonly number[] },
  parties: Parties,
  provider: TripleProvider,
): number {
  const [a, b, c] = provider.deal(kind === 'mul' ? { kind, shape: shapes.x } : { kind, a: shapes.x, b: shapes.y }, parties) as [number, number, number];
  const e = ringOpAtParties(parties, 'sub', () => [x, a]);
  const f = ringOpAtParties(parties, 'sub', () => [y, b]);
  const [eOpen, fOpen] = open(parties, [e, f], { step: kind, words: sizeOf(shapes.x) + sizeOf(shapes.y) }) as [number, number];
  const z = ringOpAtParties(parties, kind === 'mul' ? 'beaverMul' : 'beaverMatMul', (i) => [eOpen, fOpen, a, b, c, leader(i)]);
  release(parties, [a, b, c, e, f, eOpen, fOpen]);
  return z;
}

/**
 * Divides shared x by the public `scale` (after a fixed-point product), for
 * any number of parties:
 * 1. the provider deals r (uniform), floor((r mod 2^63) / scale) and r's top bit;
 * 2. each party masks: c_i = x_i + r_i (+ 2^62 at the leader);
 * 3. c is opened (uniform, so it shows nothing);
 * 4. each party finishes locally (ring-ops.ts, truncationFinish, has the algebra).
 * Needs |x| < 2^62; the result is off by at most one unit in the last place.
 */
export function truncate(x: number, shape: readonly number[], scale: bigint, parties: Parties, provider: TripleProvider): number {
  const [r, rDiv, rMsb] = provider.deal({ kind: 'truncation', shape, scale }, parties) as [number, number, number];
  const masked = ringOpAtParties(parties, 'truncationMask', (i) => [x, r, leader(i)]);
  const [c] = open(parties, [masked], { step: 'truncation', words: sizeOf(shape) }) as [number];
  const out = ringOpAtParties(parties, 'truncationFinish', (i) => [c, rDiv, rMsb, leader(i), { value: scale }]);
  release(parties, [r, rDiv, rMsb, masked, c]);
  return out;
}

/** Re-randomizes shares by adding dealt shares of zero; the value is unchanged. */
export function refreshShares(x: number, shape: readonly number[], parties: Parties, provider: TripleProvider): number {
  const [zero] = provider.deal({ kind: 'zero', shape }, parties) as [number];
  const out = ringOpAtParties(parties, 'add', () => [x, zero]);
  release(parties, [zero]);
  return out;
}

/** What signBit gives: the bit's shares, and/or those of y·bit. */
export interface SignBitOutputs {
  readonly bit: number | undefined;
  readonly product: number | undefined;
}

/**
 * The sign bit of shared x (1 where x < 0 in two's complement), as additive
 * shares of 0/1 without scale: the circuit of src/core/ring/binary-shares.ts,
 * whose header numbers the steps. Eight rounds, 152 bytes per element from
 * each party to each other; exact for every value.
 *
 * With `times` (the id of a shared y of x's shape), also y·bit in the same
 * eight rounds: y - a is opened beside x + r in step 1 (8 more bytes per
 * element) and the product is local once the bit's mask is open (bitTimes),
 * where a Beaver product after the circuit would cost a ninth round.
 */
export function signBit(
  x: number,
  shape: readonly number[],
  parties: Parties,
  provider: TripleProvider,
  outputs: { readonly bit: boolean; readonly times?: number },
): SignBitOutputs {
  const times = outputs.times;
  const dealt = provider.deal({ kind: times === undefined ? 'comparison' : 'comparisonProduct', shape }, parties);
  const [r, rBits, triples, sArith, sBits, a, as] = dealt as [number, number, number, number, number, number | undefined, number | undefined];
  const n = sizeOf(shape);
  const masked = ringOpAtParties(parties, 'add', () => [x, r]);
  const f = times === undefined ? undefined : ringOpAtParties(parties, 'sub', () => [times, a!]);
  const [c, fOpen] = open(parties, f === undefined ? [masked] : [masked, f], { step: 'comparison', words: f === undefined ? n : 2 * n }) as [number, number | undefined];
  let state = ringOpAtParties(parties, 'carryStart', (i) => [c, rBits, leader(i)]);
  for (let level = 0; level < CARRY_LEVELS.length; level++) {
    const sent = ringOpAtParties(parties, 'carryLevelOpen', () => [state, triples, { value: level }]);
    const [opened] = open(parties, [sent], { step: 'comparison', words: (level === CARRY_LEVELS.length - 1 ? 2 : 3) * n, binary: true }) as [number];
    const next = ringOpAtParties(parties, 'carryLevelClose', (i) => [state, opened, triples, { value: level }, leader(i)]);
    release(parties, [state, sent, opened]);
    state = next;
  }
  const masks = ringOpAtParties(parties, 'signBitMask', () => [state, sBits]);
  const [e] = open(parties, [masks], { step: 'comparison', words: n, binary: true }) as [number];
  const bit = outputs.bit ? ringOpAtParties(parties, 'bitToArithmetic', (i) => [e, sArith, leader(i)]) : undefined;
  const product = times === undefined ? undefined : ringOpAtParties(parties, 'bitTimes', () => [e, fOpen!, times, sArith, as!]);
  release(parties, [...dealt, masked, c, state, masks, e, ...(f === undefined ? [] : [f, fOpen!])]);
  return { bit, product };
}
