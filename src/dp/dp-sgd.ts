/**
 * DP-SGD's gradient (Abadi et al. 2016) for sy.nn models of linear and
 * conv2d layers between parameter-free ones (activations, maxPool2d,
 * flatten, dropout): per-example gradients clipped to maxGradNorm, summed,
 * Gaussian noise σ·C added (./training-noise.ts), divided by the expected
 * batch size.
 *
 * One backward pass gives every layer's backpropagated gradient g = ∂L/∂z
 * (L the sum of the per-example losses): zero "probes" are added to each
 * layer's output and tf.grads differentiates with respect to them. From g
 * and the layer's input a, as Opacus's grad samplers do:
 * - linear: example i's weight gradient is the outer product a_i ⊗ g_i, of
 *   norm ||a_i||·||g_i||, and the clipped sum is aᵀ(c ⊙ g), one matMul: no
 *   per-example gradient is ever made (Goodfellow 2015's trick);
 * - conv2d: example i's filter gradient is unfold(a_i)ᵀ g_i, the patches of
 *   its input (im2col, [k·k·in, L] for L output positions) times its
 *   backprops ([L, out]): one batched matMul gives all of them, [n, k·k·in,
 *   out], small beside the activations, then their norms and the sum
 *   weighted by the clip factors (Opacus's compute_conv_grad_sample, in NHWC).
 * The norm that is clipped is over all layers' gradients together.
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { ClassTargets } from '../core/specs.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { lossFunction } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { SyftTensor, tensor } from '../tensor/syft-tensor.js';
import { trainingNoise } from './training-noise.js';

export interface DpSgdOptions {
  /** The loss, by sy.nn name ('mse', 'crossEntropy', ...): a mean over the batch, as sy.nn's losses are. */
  readonly loss: string;
  /** Class-index targets for nll/crossEntropy, as in a training job. */
  readonly lossOptions?: ClassTargets;
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
  /** Each example's gradient norm (all parameters together) before clipping. */
  readonly norms: Float32Array;
  /** The batch's mean loss (not private: computed from the rows, without noise). */
  readonly loss: number;
}

/** A layer with parameters whose per-example gradients are computed here. */
type Trainable = Linear | Conv2d;

const valueOf = (p: unknown): tf.Tensor => (p as SyftTensor).tensor;
const isTrainable = (layer: Module): layer is Trainable => layer instanceof Linear || layer instanceof Conv2d;

/** The model as a flat list of layers (nested sequentials opened, a lone layer as a list of one). */
function layersOf(model: Module): Module[] {
  const flat = model instanceof Sequential ? model.layers.flatMap(layersOf) : [model];
  for (const layer of flat) {
    if (!isTrainable(layer) && layer.parameters().length > 0) {
      throw new InvalidArgumentError(
        `dpSgdGradients: per-example gradients are computed for linear and conv2d layers; ${layer.constructor.name} has parameters of its own.`,
      );
    }
    if (layer.parameters().some((p) => !(p instanceof SyftTensor))) throw new InvalidArgumentError('dpSgdGradients: the model must be local (get() it first).');
  }
  return flat;
}

/** A parameter-free layer applied to a plain tensor (its forward, without syft's own recording). */
function applyLayer(layer: Module, h: tf.Tensor): tf.Tensor {
  return noGrad(() => (layer.forward(tensor(h)) as SyftTensor).tensor);
}

/** The layer's output before the probe, with the layer's own parameters as plain tensors. */
function outputOf(layer: Trainable, h: tf.Tensor): tf.Tensor {
  const [w, b] = layer.parameters().map(valueOf);
  if (layer instanceof Linear) {
    if (h.rank !== 2) throw new InvalidArgumentError(`dpSgdGradients: a linear layer takes [batch, features] here, got shape [${h.shape}]; flatten() before it.`);
    return b === undefined ? tf.matMul(h, w!) : tf.add(tf.matMul(h, w!), b);
  }
  if (h.rank !== 4) throw new InvalidArgumentError(`dpSgdGradients: a conv2d layer takes [batch, height, width, channels], got shape [${h.shape}].`);
  // Only the input's gradient is taken through this conv (tf.grads prunes the filter's), a kernel every backend has.
  const z = tf.conv2d(h as tf.Tensor4D, w as tf.Tensor4D, layer.stride, layer.padding);
  return b === undefined ? z : tf.add(z, b);
}

/** Each trainable layer's output shape without the batch axis, for an input of this shape (a dry run on one example, cached). */
const shapeCache = new WeakMap<Module, Map<string, number[][]>>();
function probeShapes(model: Module, layers: readonly Module[], sample: readonly number[]): number[][] {
  let byInput = shapeCache.get(model);
  if (byInput === undefined) shapeCache.set(model, (byInput = new Map()));
  const key = sample.join(',');
  const known = byInput.get(key);
  if (known !== undefined && known.length === layers.filter(isTrainable).length) return known;
  const shapes = tf.tidy(() => {
    const out: number[][] = [];
    let h: tf.Tensor = tf.zeros([1, ...sample]);
    for (const layer of layers) {
      h = isTrainable(layer) ? outputOf(layer, h) : applyLayer(layer, h);
      if (isTrainable(layer)) out.push(h.shape.slice(1));
    }
    return out;
  });
  byInput.set(key, shapes);
  return shapes;
}

/** Padding before the first row/column along one axis, as tfjs computes it for the forward conv. */
function padBefore(padding: 'valid' | 'same', size: number, kernel: number, stride: number): number {
  if (padding === 'valid') return 0;
  return Math.floor(Math.max(0, (Math.ceil(size / stride) - 1) * stride + kernel - size) / 2);
}

/**
 * Each example's input patches, transposed: [n, k·k·in, L], row (i, j, c) in
 * the filter's [k, k, in] row-major order, column the output position.
 * Built from the typed array: on wasm, slicing copies its whole source.
 */
function unfoldTransposed(a: tf.Tensor, layer: Conv2d, outShape: readonly number[]): tf.Tensor3D {
  const [n, h, w, ci] = a.shape as [number, number, number, number];
  const [oh, ow] = outShape as [number, number];
  const k = layer.kernelSize;
  const s = layer.stride;
  const top = padBefore(layer.padding, h, k, s);
  const left = padBefore(layer.padding, w, k, s);
  const values = a.dataSync();
  const positions = oh * ow;
  const rows = k * k * ci;
  const out = new Float32Array(n * rows * positions);
  for (let b = 0; b < n; b++) {
    const base = b * rows * positions;
    for (let i = 0; i < k; i++) {
      for (let r = 0; r < oh; r++) {
        const row = r * s + i - top;
        if (row < 0 || row >= h) continue; // padding: zeros
        for (let j = 0; j < k; j++) {
          for (let q = 0; q < ow; q++) {
            const col = q * s + j - left;
            if (col < 0 || col >= w) continue;
            const from = ((b * h + row) * w + col) * ci;
            const to = base + (i * k + j) * ci * positions + r * ow + q;
            for (let c = 0; c < ci; c++) out[to + c * positions] = values[from + c]!;
          }
        }
      }
    }
  }
  return tf.tensor3d(out, [n, rows, positions]);
}

/** A trainable layer's part of the computation, once the backprops g are known. */
interface LayerGradients {
  /** Squared per-example norm of this layer's gradients, [n]. */
  readonly normsSquared: tf.Tensor;
  /** The sums of the per-example gradients weighted by the clip factors ([n, 1]), in parameter order. */
  readonly clippedSums: (factors: tf.Tensor) => tf.Tensor[];
}

function linearGradients(layer: Linear, a: tf.Tensor, g: tf.Tensor): LayerGradients {
  const g2 = tf.sum(tf.square(g), 1);
  const weight = tf.mul(tf.sum(tf.square(a), 1), g2);
  return {
    normsSquared: layer.bias ? tf.add(weight, g2) : weight,
    clippedSums: (factors) => {
      const scaled = tf.mul(g, factors);
      // An explicit transpose: wasm's matMul with transposeA is about 10x slower.
      const sums = [tf.matMul(tf.transpose(a), scaled)];
      if (layer.bias) sums.push(tf.sum(scaled, 0));
      return sums;
    },
  };
}

function convGradients(layer: Conv2d, a: tf.Tensor, g: tf.Tensor): LayerGradients {
  const [n, oh, ow, co] = g.shape as [number, number, number, number];
  const g3 = tf.reshape(g, [n, oh * ow, co]);
  // Per-example filter gradients [n, k·k·in, out] and bias gradients [n, out].
  const perExample = tf.matMul(unfoldTransposed(a, layer, [oh, ow]), g3);
  const perExampleBias = layer.hasBias ? tf.sum(g3, 1) : undefined;
  const weight = tf.sum(tf.square(perExample), [1, 2]);
  return {
    normsSquared: perExampleBias === undefined ? weight : tf.add(weight, tf.sum(tf.square(perExampleBias), 1)),
    clippedSums: (factors) => {
      const row = tf.reshape(factors, [1, n]);
      const sums = [tf.reshape(tf.matMul(row, tf.reshape(perExample, [n, -1])), valueOf(layer.parameters()[0]).shape)];
      if (perExampleBias !== undefined) sums.push(tf.reshape(tf.matMul(row, perExampleBias), [co]));
      return sums;
    },
  };
}

export function dpSgdGradients(model: Module, x: tf.Tensor, y: tf.Tensor, options: DpSgdOptions): DpSgdGradients {
  const layers = layersOf(model);
  const { maxGradNorm: C, noiseMultiplier: sigma } = options;
  if (!(C > 0 && Number.isFinite(C))) throw new InvalidArgumentError(`dpSgdGradients: maxGradNorm must be a positive number, got ${C}.`);
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new InvalidArgumentError(`dpSgdGradients: noiseMultiplier must be a number >= 0, got ${sigma}.`);
  const divisor = options.expectedBatchSize ?? x.shape[0]!;
  if (!(divisor > 0 && Number.isFinite(divisor))) throw new InvalidArgumentError(`dpSgdGradients: expectedBatchSize must be positive, got ${divisor}.`);
  const loss = lossFunction(options.loss);
  const batch = x.shape[0]!;
  const trainables = layers.filter(isTrainable);
  if (trainables.length === 0) throw new InvalidArgumentError('dpSgdGradients: the model has no linear or conv2d layer to train.');
  const shapes = probeShapes(model, layers, x.shape.slice(1));

  const clipped = tf.tidy(() => {
    // One forward with probes on every trainable layer's output; the layers' inputs are kept for their gradients.
    const inputs: tf.Tensor[] = [];
    const forward = (...probes: tf.Tensor[]): tf.Scalar => {
      let h = x;
      let k = 0;
      for (const layer of layers) {
        if (isTrainable(layer)) {
          // The caller's x is kept by the caller; the activations made here are kept past tf.grads' scope, and released below.
          inputs[k] = h === x ? x : tf.keep(h);
          h = tf.add(outputOf(layer, h), probes[k]!);
          k++;
        } else {
          h = applyLayer(layer, h);
        }
      }
      // L = Σ_i ℓ_i: the batch mean times the batch size.
      return tf.mul(noGrad(() => (loss(tensor(h), tensor(y), options.lossOptions) as SyftTensor).tensor), batch) as tf.Scalar;
    };
    const probes = shapes.map((shape) => tf.zeros([batch, ...shape]));
    const { value, grads: backprops } = tf.valueAndGrads(forward)(probes);
    const parts = trainables.map((layer, k) =>
      layer instanceof Linear ? linearGradients(layer, inputs[k]!, backprops[k]!) : convGradients(layer, inputs[k]!, backprops[k]!),
    );
    const norms = tf.sqrt(parts.reduce<tf.Tensor>((sum, p) => tf.add(sum, p.normsSquared), tf.zeros([batch])));
    // Opacus's clip factor: C / (norm + 1e-6), at most 1.
    const factors = tf.reshape(tf.minimum(tf.div(C, tf.add(norms, 1e-6)), 1), [batch, 1]);
    const sums = parts.flatMap((p) => p.clippedSums(factors)).map((g) => tf.keep(g));
    const out = { sums, norms: norms.dataSync() as Float32Array, loss: value.dataSync()[0]! / batch };
    for (const a of inputs) if (a !== x) a.dispose();
    return out;
  });

  // The noise for every parameter in one draw; the sum and the noise divided by the expected batch size.
  const total = clipped.sums.reduce((n, g) => n + g.size, 0);
  const noise = trainingNoise(total, sigma * C);
  let offset = 0;
  const gradients = clipped.sums.map((g) => {
    const values = g.dataSync();
    const out = noise.slice(offset, offset + g.size);
    for (let j = 0; j < out.length; j++) out[j] = (out[j]! + values[j]!) / divisor;
    offset += g.size;
    const result = tf.tensor(out, g.shape);
    g.dispose();
    return result;
  });
  return { gradients, norms: clipped.norms, loss: clipped.loss };
}
