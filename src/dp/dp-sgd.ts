/**
 * DP-SGD's gradient (Abadi et al. 2016) for sy.nn sequential models of
 * linear layers and parameter-free layers: per-example gradients clipped to
 * maxGradNorm, summed, Gaussian noise σ·C added, divided by the expected
 * batch size.
 *
 * Per-example gradients are never materialized (Opacus's trick, and
 * Goodfellow 2015's): for a linear layer with input a and backpropagated
 * gradient g = ∂L/∂z (L the sum of the per-example losses), example i's
 * weight gradient is the outer product a_i ⊗ g_i, whose norm is
 * ||a_i||·||g_i||, and the clipped sum is aᵀ(c ⊙ g), one matMul. g for every
 * layer comes from one backward pass: zero "probes" are added to each
 * layer's output and tf.grads differentiates with respect to them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import { lossFunction } from '../nn/losses.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { SyftTensor, tensor } from '../tensor/syft-tensor.js';
import { gaussianNoise } from './mechanisms.js';

export interface DpSgdOptions {
  /** The loss, by sy.nn name ('mse', 'crossEntropy', ...): a mean over the batch, as sy.nn's losses are. */
  readonly loss: string;
  /** C: every example's gradient is scaled to at most this L2 norm. */
  readonly maxGradNorm: number;
  /** σ: the noise on the clipped sum has standard deviation σ·C. */
  readonly noiseMultiplier: number;
  /** The divisor of the noisy sum: the expected batch size under Poisson sampling (default: this batch's size). */
  readonly expectedBatchSize?: number;
}

export interface DpSgdGradients {
  /** In model.parameters() order. */
  readonly gradients: tf.Tensor[];
  /** Each example's gradient norm before clipping. */
  readonly norms: Float32Array;
}

const valueOf = (p: unknown): tf.Tensor => (p as SyftTensor).tensor;

function layersOf(model: Module): readonly Module[] {
  if (!(model instanceof Sequential)) throw new InvalidArgumentError('dpSgdGradients: the model must be a sy.nn.sequential(...) of linear and parameter-free layers.');
  for (const layer of model.layers) {
    if (!(layer instanceof Linear) && layer.parameters().length > 0) {
      throw new InvalidArgumentError(`dpSgdGradients: per-example gradients are computed for linear layers only; ${layer.constructor.name} has parameters.`);
    }
    if (layer.parameters().some((p) => !(p instanceof SyftTensor))) throw new InvalidArgumentError('dpSgdGradients: the model must be local (get() it first).');
  }
  return model.layers;
}

/** A parameter-free layer applied to a plain tensor (its forward, without syft's own recording). */
function applyLayer(layer: Module, h: tf.Tensor): tf.Tensor {
  return noGrad(() => (layer.forward(tensor(h)) as SyftTensor).tensor);
}

export function dpSgdGradients(model: Module, x: tf.Tensor, y: tf.Tensor, options: DpSgdOptions): DpSgdGradients {
  const layers = layersOf(model);
  const { maxGradNorm: C, noiseMultiplier: sigma } = options;
  if (!(C > 0 && Number.isFinite(C))) throw new InvalidArgumentError(`dpSgdGradients: maxGradNorm must be a positive number, got ${C}.`);
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new InvalidArgumentError(`dpSgdGradients: noiseMultiplier must be a number >= 0, got ${sigma}.`);
  const loss = lossFunction(options.loss);
  const batch = x.shape[0]!;
  const divisor = options.expectedBatchSize ?? batch;
  const linears = layers.filter((l): l is Linear => l instanceof Linear);

  return tf.tidy(() => {
    // One forward with probes on every linear output; the inputs of the linear layers are kept for the weights' gradients.
    const inputs: tf.Tensor[] = [];
    const forward = (...probes: tf.Tensor[]): tf.Scalar => {
      let h = x;
      let k = 0;
      for (const layer of layers) {
        if (layer instanceof Linear) {
          // The caller's x is kept by the caller; the activations made here are kept past tf.grads' scope, and released below.
          inputs[k] = h === x ? x : tf.keep(h);
          const [w, b] = layer.parameters().map(valueOf);
          h = tf.add(b === undefined ? tf.matMul(h, w!) : tf.add(tf.matMul(h, w!), b), probes[k]!);
          k++;
        } else {
          h = applyLayer(layer, h);
        }
      }
      // L = Σ_i ℓ_i: the batch mean times the batch size.
      return tf.mul(noGrad(() => (loss(tensor(h), tensor(y)) as SyftTensor).tensor), batch) as tf.Scalar;
    };
    const probes = linears.map((l) => tf.zeros([batch, l.outFeatures]));
    const backprops = tf.grads(forward)(probes);
    // Squared per-example norms, summed over the layers: ||a_i||²·||g_i||² for the weight, ||g_i||² for the bias.
    let normsSquared: tf.Tensor = tf.zeros([batch]);
    linears.forEach((layer, k) => {
      const g2 = tf.sum(tf.square(backprops[k]!), 1);
      normsSquared = tf.add(normsSquared, tf.mul(tf.sum(tf.square(inputs[k]!), 1), g2));
      if (layer.bias) normsSquared = tf.add(normsSquared, g2);
    });
    const norms = tf.sqrt(normsSquared);
    // Opacus's clip factor: C / (norm + 1e-6), at most 1.
    const factors = tf.reshape(tf.minimum(tf.div(C, tf.add(norms, 1e-6)), 1), [batch, 1]);
    const gradients: tf.Tensor[] = [];
    linears.forEach((layer, k) => {
      const scaled = tf.mul(backprops[k]!, factors);
      gradients.push(tf.matMul(tf.transpose(inputs[k]!), scaled));
      if (layer.bias) gradients.push(tf.sum(scaled, 0));
    });
    const noisy = gradients.map((g) => {
      const values = sigma === 0 ? g.dataSync() : gaussianNoise(g.dataSync(), sigma * C);
      return tf.keep(tf.div(tf.tensor(Float32Array.from(values), g.shape), divisor));
    });
    const out = { gradients: noisy, norms: norms.dataSync() as Float32Array };
    for (const a of inputs) if (a !== x) a.dispose();
    return out;
  });
}
