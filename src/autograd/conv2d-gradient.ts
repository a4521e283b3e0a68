/**
 * conv2d with a filter gradient the wasm backend can run. tfjs-backend-wasm
 * 4.22 has Conv2D and Conv2DBackpropInput but no Conv2DBackpropFilter kernel,
 * so tfjs's own conv2d gradient throws there and small CNNs cannot train.
 *
 * dW[i, j, ci, co] = Σ_{n,h,w} x[n, h·s + i, w·s + j, ci] · dy[n, h, w, co] is one
 * matMul of the input's patches (im2col) by dy. The patches are gathered from
 * the input's typed array: on wasm, each stridedSlice copies its whole source
 * (25 slices for a 5x5 filter took 66 ms of a 121 ms gradient; this takes ~3).
 * It is not written as a convolution of x by dy either: the wasm Conv2D
 * kernel returns wrong values and corrupts its heap when the filter nearly
 * covers the input (tfjs#7605, #8405), which is that convolution's shape.
 */
import * as tf from '@tensorflow/tfjs-core';

type Pad = 'same' | 'valid' | number;
type Pair = [number, number];

const pair = (v: number | readonly number[] | undefined, fallback: number): Pair =>
  v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0]!, v[1]!];

/** Padding before and after along one spatial axis, as tfjs computes it for the forward conv. */
function padding(pad: Pad, size: number, filter: number, stride: number): Pair {
  if (typeof pad === 'number') return [pad, pad];
  if (pad === 'valid') return [0, 0];
  const total = Math.max(0, (Math.ceil(size / stride) - 1) * stride + filter - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], strides: Pair, pad: Pad): tf.Tensor4D {
  const [fh, fw, ci, co] = filterShape as [number, number, number, number];
  const [n, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const top = padding(pad, h, fh, strides[0])[0];
  const left = padding(pad, w, fw, strides[1])[0];
  const xv = x.dataSync();
  // Patches transposed: row (i, j, c) — the row-major layout of a [fh, fw, ci] block — column (b, r, q).
  const positions = n * oh * ow;
  const columns = new Float32Array(fh * fw * ci * positions);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      for (let b = 0; b < n; b++) {
        for (let r = 0; r < oh; r++) {
          const row = r * strides[0] + i - top;
          if (row < 0 || row >= h) continue; // padding: zeros
          for (let q = 0; q < ow; q++) {
            const col = q * strides[1] + j - left;
            if (col < 0 || col >= w) continue;
            const from = ((b * h + row) * w + col) * ci;
            const position = (b * oh + r) * ow + q;
            for (let c = 0; c < ci; c++) columns[((i * fw + j) * ci + c) * positions + position] = xv[from + c]!;
          }
        }
      }
    }
  }
  const flat = tf.matMul(tf.tensor2d(columns, [fh * fw * ci, positions]), tf.reshape(dy, [positions, co]));
  return tf.reshape(flat, [fh, fw, ci, co]);
}

/**
 * True when conv2d(x, filter, …args) can take the gradient above: NHWC, no dilation, a plain padding.
 * A numeric padding with a non-square filter or unequal strides is left to tfjs: it sizes that
 * output with the filter's height and the first stride along both axes.
 */
export function needsConv2dFilterGradient(args: readonly unknown[]): boolean {
  const [x, filter, strides, pad, dataFormat, dilations, dimRoundingMode] = args;
  const [sh, sw] = pair(strides as number | number[] | undefined, 1);
  const square = filter instanceof tf.Tensor && filter.shape[0] === filter.shape[1] && sh === sw;
  const backendLacksKernel = tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) === undefined;
  const supported =
    x instanceof tf.Tensor &&
    filter instanceof tf.Tensor &&
    (x.rank === 3 || x.rank === 4) &&
    (pad === 'same' || pad === 'valid' || (typeof pad === 'number' && square)) &&
    (dataFormat === undefined || dataFormat === 'NHWC') &&
    pair(dilations as number | number[] | undefined, 1).every((d) => d === 1) &&
    dimRoundingMode === undefined;
  return backendLacksKernel && supported;
}

/** tf.conv2d(x, filter, strides, pad) whose gradient uses only kernels every backend has. */
export function conv2dPortableGradient(x: tf.Tensor3D | tf.Tensor4D, filter: tf.Tensor4D, strides: number | Pair, pad: Pad): tf.Tensor {
  const s = pair(strides, 1);
  const x4 = x.rank === 3 ? tf.expandDims<tf.Tensor4D>(x, 0) : (x as tf.Tensor4D);
  const conv = tf.customGrad(((xs: tf.Tensor4D, f: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([xs, f]);
    return {
      value: tf.conv2d(xs, f, s, pad),
      gradFunc: (dy: tf.Tensor4D, [sx, sf]: tf.Tensor[]) => [
        tf.conv2dTranspose(dy, sf as tf.Tensor4D, (sx as tf.Tensor4D).shape, s, pad),
        filterGradient(sx as tf.Tensor4D, dy, (sf as tf.Tensor4D).shape, s, pad),
      ],
    };
    // customGrad's typing passes inputs and `save` as one rest parameter.
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D;
  const y = conv(x4, filter);
  return x.rank === 3 ? tf.squeeze(y, [0]) : y;
}
