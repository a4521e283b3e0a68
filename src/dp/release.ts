/**
 * DP mechanisms where the data is: `sy.dp.laplace(ptr, { sensitivity, epsilon })`
 * asks the pointer's worker to add the noise itself (the 'dp-noise' command,
 * its own CSPRNG) and returns a pointer to the noisy tensor; only that may
 * then travel. On a local tensor or numbers the noise is added here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import type { DpMechanismSpec } from '../core/protocol.js';
import { PointerTensor } from '../pointers/pointer-tensor.js';
import { applyMechanism, checkMechanism, gaussian, gaussianNoise, type GaussianParams, laplace, type LaplaceParams, randomizedResponse } from './mechanisms.js';

/** A pointer's worker applies the mechanism; the result stays there, under a new pointer. */
function atWorker(x: PointerTensor<unknown>, mechanism: DpMechanismSpec): PointerTensor<tf.Tensor> {
  if (x.route.length !== 1) {
    throw new InvalidArgumentError(`sy.dp.${mechanism.kind}: ${String(x)} is a chain; bring the data to one worker first (remoteGet()), so the noise is added where it is.`);
  }
  const out = x.location.owner.nextId();
  x.location.post({ type: 'dp-noise', id: x.idAtLocation, mechanism, out });
  const shape = x.shape;
  return new PointerTensor(x.location, out, 'tf', [x.location], shape === undefined ? undefined : { shape, dtype: mechanism.kind === 'randomizedResponse' ? 'int32' : 'float32' });
}

type Input = PointerTensor<unknown> | tf.Tensor | ArrayLike<number>;
type Output<X> = X extends PointerTensor<unknown> ? PointerTensor<tf.Tensor> : X extends tf.Tensor ? tf.Tensor : Float64Array;

function release<X extends Input>(x: X, mechanism: DpMechanismSpec, onNumbers: (v: ArrayLike<number>) => ArrayLike<number>): Output<X> {
  checkMechanism(mechanism);
  // A bare number would be read as an empty list (TypeScript refuses it; JavaScript callers would get [] back).
  if (typeof x !== 'object' || x === null || (!(x instanceof PointerTensor) && !(x instanceof tf.Tensor) && typeof (x as ArrayLike<number>).length !== 'number')) {
    throw new InvalidArgumentError(`sy.dp.${mechanism.kind}: takes a pointer, a tf.Tensor or an array of numbers, got ${typeof x === 'number' ? `the number ${x} (wrap it: [${x}])` : typeof x}.`);
  }
  if (x instanceof PointerTensor) return atWorker(x, mechanism) as Output<X>;
  if (x instanceof tf.Tensor) return applyMechanism(x, mechanism) as Output<X>;
  return onNumbers(x as ArrayLike<number>) as Output<X>;
}

/** ε-DP Laplace noise for L1 sensitivity Δ, at the data's worker for a pointer. */
export function laplaceRelease<X extends Input>(x: X, params: LaplaceParams): Output<X> {
  return release(x, { kind: 'laplace', ...params }, (v) => laplace(v, params));
}

/** (ε, δ)-DP Gaussian noise for L2 sensitivity Δ (analytic calibration), at the data's worker for a pointer. */
export function gaussianRelease<X extends Input>(x: X, params: GaussianParams): Output<X> {
  return release(x, { kind: 'gaussian', ...params }, (v) => gaussian(v, params));
}

/** ε-local-DP randomized response on 0/1 values, at the data's worker for a pointer. */
export function randomizedResponseRelease<X extends Input>(x: X, params: { readonly epsilon: number }): Output<X> {
  return release(x, { kind: 'randomizedResponse', ...params }, (v) => randomizedResponse(v, params));
}

/**
 * Gaussian noise of standard deviation `sigma` (exact discrete, on the grid),
 * at the data's worker for a pointer: for noise calibrated elsewhere, as
 * DP-FedAvg's z·S on a sum. Under a policy the worker charges it by the L2
 * sensitivity it tracks.
 */
export function gaussianNoiseRelease<X extends Input>(x: X, params: { readonly sigma: number }): Output<X> {
  return release(x, { kind: 'gaussianNoise', ...params }, (v) => gaussianNoise(v, params.sigma));
}
