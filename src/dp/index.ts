/**
 * `sy.dp`: differential privacy. Accountants (RDP of the Poisson-subsampled
 * Gaussian with Balle et al. 2020's conversion; PRV, Gopi et al. 2021, tighter), exact discrete noise on a grid,
 * analytic Gaussian calibration, DP-SGD (per-example clipping of linear and
 * conv2d layers; CSPRNG ziggurat training noise), PATE's analysis, and the ledger a
 * worker keeps against its owner's budget (worker.setPolicy).
 */
export { DEFAULT_ORDERS, computeRdp, privacySpent } from './rdp.js';
export { PrvAccountant, type PrvEntry, type PrvEpsilon, type PrvOptions } from './prv.js';
export { RdpAccountant, dpSgdEpsilon, noiseForEpsilon, type DpSgdRun, type NoiseSearch, type StepParams } from './accountant.js';
export { analyticGaussianSigma, granularityFor, onTensor, type GaussianParams, type LaplaceParams } from './mechanisms.js';
// The mechanisms users call: on a pointer the noise is added at its worker; on a tensor or numbers, here.
export {
  gaussianRelease as gaussian,
  gaussianNoiseRelease as gaussianNoise,
  laplaceRelease as laplace,
  randomizedResponseRelease as randomizedResponse,
} from './release.js';
export { dpSgdGradients, type DpSgdGradients, type DpSgdOptions } from './dp-sgd.js';
export { trainingNoise } from './training-noise.js';
export { dpSgdTrain, dpStepsAfter, poissonSample, type DpTrainOptions } from './train.js';
export { sampleDiscreteGaussian, sampleDiscreteLaplace, rationalOf } from './discrete.js';
export * as pate from './pate.js';
export { dpSgdCharge, mechanismCharge, PrivacyLedger, type PrivacyBudget, type PrivacyCharge, type PrivacySpent } from './ledger.js';
