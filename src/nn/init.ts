/** Parameter initialisation, as PyTorch does it for the same layers. */
import * as tf from '@tensorflow/tfjs-core';
import { SyftTensor } from '../tensor/syft-tensor.js';

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for Linear and Conv2d weights and biases. */
export function uniformParameter(shape: number[], fanIn: number): SyftTensor {
  const bound = 1 / Math.sqrt(fanIn);
  return new SyftTensor(tf.randomUniform(shape, -bound, bound), { requiresGrad: true });
}
