/**
 * `sy.smpc`: secure multi-party computation over Z_2^64. The everyday entry
 * points are methods (`x.fixPrecision()`, `.share(...)`, `pointer.share(...)`);
 * this namespace adds the pieces for building and testing protocols.
 */
export { AdditiveSharingTensor, type ShareOptions } from './additive-sharing-tensor.js';
export { FixedPrecisionTensor, fixPrecision, type Precision, type PlainValue } from './fixed-precision-tensor.js';
export { type FixedPrecisionOptions, MAX_MAGNITUDE_BITS, encodeFixed, decodeFixed } from './fixed-precision.js';
export { TrustedDealer, type TripleProvider, type CryptoProviderLike } from './crypto-provider.js';
export { type RingTensor, ringTensor } from './ring.js';
export { splitShares, reconstruct } from './additive-shares.js';
export { RING_OPS, type RingOpName } from './ring-ops.js';
export type { DealRequest } from '../transport/protocol.js';
