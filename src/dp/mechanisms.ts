/**
 * Additive noise mechanisms on numbers, with noise that does not leak
 * through floating point: values are snapped to a grid of granularity γ (a
 * power of two far below the noise scale) and integer noise from the exact
 * discrete samplers (./discrete.ts) is added in grid units. Snapping moves a
 * value by at most γ/2, so the sensitivity used for calibration over d values
 * is Δ + d·γ in L1 (Laplace) and Δ + √d·γ in L2 (Gaussian).
 * (Mironov 2012 showed that textbook floating-point Laplace noise reveals the
 * input through which doubles can come out; the discrete Laplace/Gaussian on
 * a grid is Google's differential-privacy library's answer and CKS 2020's.)
 *
 * Calibration: Laplace b = (Δ + d·γ)/ε; Gaussian σ by the analytic Gaussian
 * mechanism (Balle and Wang 2018), the smallest σ with
 *   Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ) ≤ δ,
 * found by bisection in log space.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { DpMechanismSpec } from '../core/protocol.js';
import * as tf from '@tensorflow/tfjs-core';
import { flipWithRandomizedResponse, rationalOf, sampleDiscreteGaussian, sampleDiscreteLaplace } from './discrete.js';
import { logNdtr } from './special.js';

export interface LaplaceParams {
  readonly sensitivity: number;
  readonly epsilon: number;
}

export interface GaussianParams extends LaplaceParams {
  readonly delta: number;
}

function positive(name: string, v: number): number {
  if (!(v > 0 && Number.isFinite(v))) throw new InvalidArgumentError(`${name} must be a positive finite number, got ${v}.`);
  return v;
}

/** The grid for noise of scale `scale`: the power of two 2^-30 times below it (noise keeps 30 bits of resolution). */
export function granularityFor(scale: number): number {
  return 2 ** (Math.floor(Math.log2(scale)) - 30);
}

/** δ(σ) of the Gaussian mechanism with sensitivity Δ at ε (Balle and Wang 2018, Theorem 8), computed in log space. */
function gaussianDelta(sigma: number, sensitivity: number, epsilon: number): number {
  const a = sensitivity / (2 * sigma);
  const b = (epsilon * sigma) / sensitivity;
  const first = logNdtr(a - b);
  const second = epsilon + logNdtr(-a - b);
  return second >= first ? 0 : Math.exp(first) * -Math.expm1(second - first);
}

/** The analytic Gaussian mechanism's σ: the smallest that gives (ε, δ)-DP for sensitivity Δ. */
export function analyticGaussianSigma({ sensitivity, epsilon, delta }: GaussianParams): number {
  positive('sensitivity', sensitivity);
  positive('epsilon', epsilon);
  if (!(delta > 0 && delta < 1)) throw new InvalidArgumentError(`delta must be in (0, 1), got ${delta}.`);
  let [low, high] = [0, sensitivity];
  while (gaussianDelta(high, sensitivity, epsilon) > delta) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (gaussianDelta(mid, sensitivity, epsilon) > delta) low = mid;
    else high = mid;
  }
  return high;
}

/** Snaps each value to the grid and adds `noise()` grid units; the result lies on the grid. */
function onGrid(values: ArrayLike<number>, granularity: number, noise: () => bigint): Float64Array {
  // From 2^53 grid steps up, a double is already a multiple of γ (a power of two), and v / γ could overflow.
  const onItsOwn = 2 ** 53 * granularity;
  return Float64Array.from(values, (v) => {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`a DP mechanism takes finite values, got ${v}.`);
    return Math.abs(v) >= onItsOwn ? v + Number(noise()) * granularity : (Math.round(v / granularity) + Number(noise())) * granularity;
  });
}

/** values + discrete Gaussian noise of standard deviation σ on the grid for σ (DP-SGD's noise, calibrated by the caller). */
export function gaussianNoise(values: ArrayLike<number>, sigma: number): Float64Array {
  positive('sigma', sigma);
  const granularity = granularityFor(sigma);
  const s = rationalOf(sigma / granularity);
  const sigma2 = { n: s.n * s.n, d: s.d * s.d };
  return onGrid(values, granularity, () => sampleDiscreteGaussian(sigma2));
}

/** values + Laplace noise of scale (Δ + d·γ)/ε, discrete on the grid γ (ε-DP for sensitivity Δ in L1 over d values). */
export function laplace(values: ArrayLike<number>, params: LaplaceParams): Float64Array {
  const sensitivity = positive('sensitivity', params.sensitivity);
  const epsilon = positive('epsilon', params.epsilon);
  const granularity = granularityFor(sensitivity / epsilon);
  // Snapping moves each of the d values by up to γ/2: two inputs Δ apart in L1 may land Δ + d·γ apart.
  const scale = rationalOf((sensitivity + values.length * granularity) / epsilon / granularity);
  return onGrid(values, granularity, () => sampleDiscreteLaplace(scale));
}

/** values + discrete Gaussian noise with the analytic σ for sensitivity Δ + √d·γ ((ε, δ)-DP, sensitivity in L2 over d values). */
export function gaussian(values: ArrayLike<number>, params: GaussianParams): Float64Array {
  const sensitivity = positive('sensitivity', params.sensitivity);
  const granularity = granularityFor(analyticGaussianSigma(params));
  // Snapped, two inputs Δ apart in L2 may land Δ + √d·γ apart.
  const sigma = analyticGaussianSigma({ ...params, sensitivity: sensitivity + Math.sqrt(values.length) * granularity }) / granularity;
  const s = rationalOf(sigma);
  const sigma2 = { n: s.n * s.n, d: s.d * s.d };
  return onGrid(values, granularity, () => sampleDiscreteGaussian(sigma2));
}

/**
 * Randomized response (Warner 1965): each bit is reported truthfully with
 * probability e^ε/(1 + e^ε) and flipped otherwise, exactly (no floating point
 * decides a flip): ε-local DP per bit.
 */
export function randomizedResponse(bits: ArrayLike<number | boolean>, { epsilon }: { readonly epsilon: number }): Uint8Array {
  const e = rationalOf(positive('epsilon', epsilon));
  return Uint8Array.from(bits as ArrayLike<unknown>, (b) => {
    if (b !== 0 && b !== 1 && b !== true && b !== false) throw new InvalidArgumentError(`randomizedResponse takes bits (0, 1, true, false), got ${String(b)}.`);
    const bit = b === 1 || b === true ? 1 : 0;
    return flipWithRandomizedResponse(e) ? 1 - bit : bit;
  });
}

/** A mechanism on a tfjs tensor: the noisy values as a float32 tensor of the same shape (rounding after the noise is post-processing). */
export function onTensor(x: tf.Tensor, mechanism: (values: ArrayLike<number>) => ArrayLike<number>): tf.Tensor {
  return tf.tensor(Float32Array.from(mechanism(x.dataSync())), x.shape, 'float32');
}

/** Each mechanism described as data (the form a worker receives), one entry each: float32 out, or 0/1 int32 for randomized response. */
const MECHANISMS: { readonly [K in DpMechanismSpec['kind']]: (x: tf.Tensor, spec: Extract<DpMechanismSpec, { kind: K }>) => tf.Tensor } = {
  laplace: (x, spec) => onTensor(x, (v) => laplace(v, spec)),
  gaussian: (x, spec) => onTensor(x, (v) => gaussian(v, spec)),
  randomizedResponse: (x, spec) => tf.tensor(Int32Array.from(randomizedResponse(x.dataSync() as ArrayLike<number>, spec)), x.shape, 'int32'),
  gaussianNoise: (x, spec) => onTensor(x, (v) => gaussianNoise(v, spec.sigma)),
};

/** Refuses a mechanism's parameters with a coded error naming the wrong one (at the caller, before anything is sent). */
export function checkMechanism(spec: DpMechanismSpec): void {
  if (spec.kind === 'gaussianNoise') {
    positive('sigma', spec.sigma);
    return;
  }
  positive('epsilon', spec.epsilon);
  if (spec.kind !== 'randomizedResponse') positive('sensitivity', spec.sensitivity);
  if (spec.kind === 'gaussian') analyticGaussianSigma(spec);
}

export function applyMechanism(x: tf.Tensor, spec: DpMechanismSpec): tf.Tensor {
  return (MECHANISMS[spec.kind] as (x: tf.Tensor, spec: DpMechanismSpec) => tf.Tensor)(x, spec);
}
