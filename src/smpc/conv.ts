/**
 * conv2d, avgPool and maxPool on fixed-precision and shared tensors, NHWC as
 * in tfjs, in the registry's argument order (src/core/op-registry.ts).
 *
 * Each is im2col and a reduction. The windows of the input are gathered by a
 * ring op (src/core/ring/ring-conv.ts), at every party on its own share:
 * gathering is linear, so it needs no communication. Then:
 * - conv2d: the [N·outH·outW, fh·fw·in] patches times the filter reshaped to
 *   [fh·fw·in, out], one matrix product (Beaver's when both are shared, a
 *   local product by a public or fixed-precision filter), then truncation;
 * - avgPool: the sum over each window divided by the public count of its
 *   in-bounds values (local, then truncation);
 * - maxPool: the maximum over each window by comparisons (./comparisons.ts).
 *
 * Arguments are checked by the registry's own rules before anything runs, so
 * a call tfjs would refuse is refused here with the same message, and the
 * output shape is tfjs's.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { SHAPE_ONLY_ENV, ShapeOnly, inferOpOutputs } from '../core/op-checks.js';
import { OPS } from '../core/op-registry.js';
import { CONV_RING_OPS, type WindowGeometry } from '../core/ring/ring-conv.js';
import { encodeScaled, scaleOf } from '../core/ring/fixed-precision.js';
import { AdditiveSharingTensor } from './additive-sharing-tensor.js';
import { max } from './comparisons.js';
import { FixedPrecisionTensor, type PlainValue, plainValues } from './fixed-precision-tensor.js';
import { ringOpAtParties } from './protocols.js';

type Secret = AdditiveSharingTensor | FixedPrecisionTensor;
type Op = 'conv2d' | 'avgPool' | 'maxPool';

/** What a call computes, once the registry's checks passed. */
interface Plan {
  readonly geometry: Omit<WindowGeometry, 'fill'>;
  /** tfjs's output shape (rank 3 for a rank-3 input). */
  readonly out: readonly number[];
  /** The input's [H, W] and whether it has a batch axis. */
  readonly height: number;
  readonly width: number;
  readonly batched: boolean;
}

function shapeOf(op: Op, name: string, x: unknown): readonly number[] {
  if (x instanceof AdditiveSharingTensor) {
    x.assertLive(`${op}: the ${name} (an AdditiveSharingTensor)`);
    if (x.shape === undefined) {
      throw new InvalidArgumentError(`${op}: the shape of the ${name}, shared by a worker, is not known here; reshape() it to its shape first, or share it from the caller.`);
    }
    return x.shape;
  }
  if (x instanceof FixedPrecisionTensor) return x.shape;
  return plainValues(x as PlainValue).shape;
}

const isSecret = (x: unknown): x is Secret => x instanceof AdditiveSharingTensor || x instanceof FixedPrecisionTensor;

function pairOf(v: unknown): [number, number] {
  return typeof v === 'number' ? [v, v] : [(v as number[])[0]!, (v as number[])[1]!];
}

/**
 * Runs the registry's checks of `op` on the shapes (tfjs's messages), then
 * works out the padding before the first row and column as tfjs does: 'same'
 * pads (out - 1)·stride + window - in in total, the smaller half first.
 */
function plan(op: Op, x: readonly number[], filter: readonly number[] | undefined, attrs: readonly unknown[]): Plan {
  const inputs = [new ShapeOnly(x, 'float32'), ...(filter === undefined ? [] : [new ShapeOnly(filter, 'float32')])];
  const out = inferOpOutputs(op, OPS[op], [...inputs, ...attrs], SHAPE_ONLY_ENV).shapes[0]!;
  // conv2d's attributes are (strides, pad, ...), a pool's (filterSize, strides, pad, ...).
  const [window, stridesArg, padArg] = filter === undefined ? [pairOf(attrs[0]), attrs[1], attrs[2]] : [[filter[0]!, filter[1]!], attrs[0], attrs[1]];
  const batched = x.length === 4;
  const [height, width] = batched ? [x[1]!, x[2]!] : [x[0]!, x[1]!];
  const [oh, ow] = batched ? [out[1]!, out[2]!] : [out[0]!, out[1]!];
  const strides = pairOf(stridesArg);
  let padBefore: [number, number];
  if (padArg === 'valid') padBefore = [0, 0];
  else if (padArg === 'same') {
    const before = (o: number, s: number, k: number, n: number) => Math.floor(Math.max(0, (o - 1) * s + k - n) / 2);
    padBefore = [before(oh, strides[0], window[0]!, height), before(ow, strides[1], window[1]!, width)];
  } else if (typeof padArg === 'number') padBefore = [padArg, padArg];
  else {
    const rows = padArg as readonly (readonly number[])[];
    padBefore = [rows[1]![0]!, rows[2]![0]!];
  }
  return { geometry: { filter: [window[0]!, window[1]!], strides, padBefore, out: [oh, ow] }, out, height, width, batched };
}

/** The windows of a secret input, [(N,) outH, outW, fh·fw, C], by the same ring op at every party or here. */
function windows<T extends Secret>(x: T, geometry: WindowGeometry, op: 'poolWindows' | 'im2col', shape: readonly number[]): T {
  if (x instanceof FixedPrecisionTensor) return new FixedPrecisionTensor(CONV_RING_OPS[op](x.ring, geometry), x.precision) as T;
  const s = x as AdditiveSharingTensor;
  const id = ringOpAtParties(s.parties, op, () => [s.shares[0]!.idAtLocation, { value: geometry }]);
  return new AdditiveSharingTensor(s.parties, id, shape, s.precision, s.cryptoProvider) as T;
}

function windowShape(p: Plan, x: readonly number[]): number[] {
  const [fh, fw] = p.geometry.filter;
  const c = x[x.length - 1]!;
  const [oh, ow] = p.geometry.out;
  return p.batched ? [x[0]!, oh, ow, fh * fw, c] : [oh, ow, fh * fw, c];
}

/** Runs `f`, then disposes the temporaries that are shared tensors (a fixed-precision tensor holds no remote state). */
function using<R>(temps: readonly unknown[], f: () => R): R {
  try {
    return f();
  } finally {
    for (const t of temps) if (t instanceof AdditiveSharingTensor) t.dispose();
  }
}

function refuseDilations(dilations: unknown): void {
  if (dilations === undefined) return;
  const [dh, dw] = pairOf(dilations);
  if (dh !== 1 || dw !== 1) {
    throw new InvalidArgumentError(
      `conv2d: dilations ${JSON.stringify(dilations)} on fixed-precision or shared tensors are not supported; pass dilations 1, with the filter dilated instead (zeros between its taps: a [(fh-1)·d+1, (fw-1)·d+1] filter).`,
    );
  }
}

/**
 * tf.conv2d(x, filter, strides, pad, dataFormat, dilations, dimRoundingMode)
 * where x, the filter, or both are shared or fixed-precision (the other may be
 * public). A product of shared values before truncation must stay below the
 * shared range (2^30 at 16 bits, for each output's whole sum over its window).
 */
export function conv2d(...args: readonly unknown[]): AdditiveSharingTensor | FixedPrecisionTensor {
  const [x, filter, , , , dilations] = args;
  if (!isSecret(x) && !isSecret(filter)) throw new InvalidArgumentError('conv2d: neither the input nor the filter is fixed-precision or shared; call tf.conv2d.');
  const xShape = shapeOf('conv2d', 'input', x);
  const fShape = shapeOf('conv2d', 'filter', filter);
  const p = plan('conv2d', xShape, fShape, args.slice(2));
  refuseDilations(dilations);
  const like = (isSecret(x) ? x : filter) as Secret;
  const geometry: WindowGeometry = { ...p.geometry, fill: 'zero' };
  const k = fShape[0]! * fShape[1]! * fShape[2]!;
  const rows = (p.batched ? xShape[0]! : 1) * p.geometry.out[0] * p.geometry.out[1];
  const secretX = isSecret(x) ? x : FixedPrecisionTensor.encode(x as PlainValue, like.precision);
  const patches = windows(secretX, geometry, 'im2col', [rows, k]);
  const secretFilter = isSecret(filter) ? filter : FixedPrecisionTensor.encode(filter as PlainValue, like.precision);
  const matrix = secretFilter.reshape([k, fShape[3]!]);
  return using([patches, matrix], () => {
    let product: Secret;
    if (patches instanceof AdditiveSharingTensor) product = patches.matMul(matrix);
    else if (matrix instanceof AdditiveSharingTensor) product = matrix.rmatMul(patches);
    else product = patches.matMul(matrix as FixedPrecisionTensor);
    return using([product], () => product.reshape(p.out));
  });
}

function secretInput(op: Op, x: unknown): Secret {
  if (!isSecret(x)) throw new InvalidArgumentError(`${op}: the input must be the fixed-precision or shared tensor (a public one goes to tf.${op}).`);
  return x;
}

/**
 * The number of in-bounds values in each window, [outH, outW, 1] (broadcast
 * over batch and channels), or the one count when every window has it (which
 * may be less than the window's size: 'same' padding can clip every window alike).
 */
function windowCounts(p: Plan): number | number[] {
  const along = (o: number, s: number, pad: number, k: number, n: number) => Math.min(n, o * s - pad + k) - Math.max(0, o * s - pad);
  const [oh, ow] = p.geometry.out;
  const counts: number[] = [];
  for (let oy = 0; oy < oh; oy++) {
    const cy = along(oy, p.geometry.strides[0], p.geometry.padBefore[0], p.geometry.filter[0], p.height);
    for (let ox = 0; ox < ow; ox++) counts.push(cy * along(ox, p.geometry.strides[1], p.geometry.padBefore[1], p.geometry.filter[1], p.width));
  }
  return counts.every((c) => c === counts[0]) ? counts[0]! : counts;
}

/**
 * tf.avgPool(x, filterSize, strides, pad, dimRoundingMode): the mean of the
 * in-bounds values of each window, as tfjs (padding is not counted).
 */
export function avgPool(...args: readonly unknown[]): AdditiveSharingTensor | FixedPrecisionTensor {
  const x = secretInput('avgPool', args[0]);
  const xShape = shapeOf('avgPool', 'input', x);
  const p = plan('avgPool', xShape, undefined, args.slice(1));
  const w = windows(x, { ...p.geometry, fill: 'zero' }, 'poolWindows', windowShape(p, xShape));
  const axis = p.batched ? 3 : 2;
  const counts = windowCounts(p);
  return using([w], () => {
    const sum = w.sum(axis);
    if (counts === 1) return sum;
    if (typeof counts === 'number') return using([sum], () => sum.div(counts));
    const [oh, ow] = p.geometry.out;
    const divisor = new FixedPrecisionTensor(encodeScaled(counts, [oh, ow, 1], x instanceof FixedPrecisionTensor ? x.scale : scaleOf(x.precision)), x.precision);
    return using([sum], () => sum.div(divisor));
  });
}

/** tf.maxPool(x, filterSize, strides, pad, dimRoundingMode): the maximum of each window, by comparisons. */
export function maxPool(...args: readonly unknown[]): AdditiveSharingTensor | FixedPrecisionTensor {
  const x = secretInput('maxPool', args[0]);
  const xShape = shapeOf('maxPool', 'input', x);
  const p = plan('maxPool', xShape, undefined, args.slice(1));
  // Edge-filled windows: a window's out-of-bounds reads repeat a value it holds, so its maximum is unchanged.
  const w = windows(x, { ...p.geometry, fill: 'edge' }, 'poolWindows', windowShape(p, xShape));
  return using([w], () => max(w, p.batched ? 3 : 2, false));
}
