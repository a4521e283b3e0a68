/**
 * Additive secret sharing over Z_2^64: x = s_1 + … + s_n (mod 2^64). The
 * first n-1 shares are uniform random words from the operating system's CSPRNG
 * (crypto.randomFillSync; getRandomValues refuses more than 65,536 bytes per
 * call); the last is x minus their sum. Any n-1 shares are uniformly
 * distributed whatever x is, so they reveal nothing.
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { type RingTensor, ringAdd, ringSub } from './ring.js';

export function randomRing(shape: readonly number[], size: number): RingTensor {
  const values = new BigUint64Array(size);
  randomFillSync(values);
  return { values, shape: [...shape] };
}

export function splitShares(secret: RingTensor, parties: number): RingTensor[] {
  if (!(Number.isInteger(parties) && parties >= 2)) {
    throw new InvalidArgumentError(`share: needs at least 2 parties, got ${parties}.`);
  }
  const shares: RingTensor[] = [];
  let rest = secret;
  for (let p = 0; p < parties - 1; p++) {
    const r = randomRing(secret.shape, secret.values.length);
    shares.push(r);
    rest = ringSub(rest, r);
  }
  shares.push(rest);
  return shares;
}

export function reconstruct(shares: readonly RingTensor[]): RingTensor {
  if (shares.length === 0) throw new InvalidArgumentError('reconstruct: no shares given.');
  return shares.slice(1).reduce(ringAdd, shares[0]!);
}
