/**
 * `sy.smpc`: secure multi-party computation over Z_2^64. The everyday entry
 * points are methods (`x.fixPrecision()`, `.share(...)`, `pointer.share(...)`);
 * this namespace adds the pieces for building and testing protocols.
 */
export { AdditiveSharingTensor, debug, type ShareOptions } from './additive-sharing-tensor.js';
export { FixedPrecisionTensor, fixPrecision, type Precision, type PlainValue } from './fixed-precision-tensor.js';
export {
  type FixedPrecisionOptions,
  MAX_MAGNITUDE_BITS,
  encodeFixed,
  decodeFixed,
  representableRange,
  type RepresentableRange,
} from '../core/ring/fixed-precision.js';
export { FixedPrecisionPointer } from './fixed-precision-pointer.js';
export { UnsupportedOnSharesError } from './unsupported.js';
export { smpcOpNames } from './smpc-ops.js';
export * as approximations from './approximations.js';
export { costs, preprocess, type RecordedDeal, type SmpcCosts, type StepCost } from './costs.js';
export { discardPreprocessed, preprocessedCount } from './crypto-provider.js';
export { TrustedDealer, type TripleProvider, type CryptoProviderLike } from './crypto-provider.js';
export { type RingTensor, ringTensor } from '../core/ring/ring.js';
export { splitShares, reconstruct } from '../core/ring/additive-shares.js';
export { RING_OPS, type RingOpName } from '../core/ring/ring-ops.js';
export type { DealRequest } from '../core/protocol.js';
// Autograd on shares (x.backward(), x.grad) and the model verbs (model.fixPrecision().share(...)), installed on load.
export { GRADIENTS, type GradFn, type RecordedCall, type ShareGradient } from './share-autograd.js';
export { crossEntropy, type FixedPrecisionModule, mseLoss, nllLoss, type SharedModule } from './shared-module.js';
