/**
 * The credit examples' report: held-out accuracy at threshold 0.5, measured on
 * the bank's own copy of the rows (the simulation's view; in a real run the
 * bank would not hold them).
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';

export function thresholdAccuracy(model: sy.nn.Module, features: tf.Tensor, targets: tf.Tensor, rows: tf.Tensor1D): number {
  return sy.noGrad(() =>
    tf.tidy(() => {
      const p = (model.forward(sy.tensor(tf.gather(features, rows))) as sy.SyftTensor).tensor;
      return tf.mean(tf.equal(tf.greater(p, 0.5), tf.greater(tf.gather(targets, rows), 0.5))).dataSync()[0]!;
    }),
  );
}
