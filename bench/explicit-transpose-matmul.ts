/**
 * The fair plain-tfjs baseline on wasm: tfjs's own matMul gradient multiplies
 * with transposeA/B, which the wasm backend runs ~10x slower; syft-ts's
 * workers use this same gradient with explicit transposes.
 */
import * as tf from '@tensorflow/tfjs-core';

export const explicitTransposeMatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sb as tf.Tensor2D)),
      tf.matMul(tf.transpose(sa as tf.Tensor2D), dy as tf.Tensor2D),
    ],
  };
  // customGrad's typing passes inputs and `save` as one rest parameter.
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;
