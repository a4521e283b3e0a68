/**
 * Ring ops for convolution and pooling windows (im2col), local to each party.
 * Gathering is linear: a share's windows are shares of the value's windows,
 * so every party runs the same op on its share and nothing is exchanged.
 *
 * Words are copied as their two 32-bit halves (whose order does not matter
 * to a copy): reading a BigUint64Array element makes a BigInt, and a copy
 * needs no arithmetic.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RingTensor } from './ring.js';

/**
 * Where the windows of an NHWC input lie, as the caller computed them from
 * tfjs's rules (src/smpc/conv.ts): window size, strides, the padding before
 * the first row and column, and the output's height and width.
 *
 * `fill` says what a window reads outside the input: 'zero' (a convolution's
 * padding, and a sum's) or 'edge', the nearest input pixel. An edge pixel lies
 * in every window that reaches past it, as long as the padding is smaller than
 * the window (tfjs's rule for pools), so a maximum over edge-filled windows is
 * the maximum over their in-bounds part, which is what maxPool takes.
 */
export interface WindowGeometry {
  readonly filter: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padBefore: readonly [number, number];
  readonly out: readonly [number, number];
  readonly fill: 'zero' | 'edge';
}

/** Output elements one op may make (2^27 words = 1 GiB), so that a bad geometry fails here, not in the allocator. */
const MAX_ELEMENTS = 2 ** 27;

function count(name: string, v: unknown, min: number): number {
  if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= min)) {
    throw new InvalidArgumentError(`ring windows: ${name} must be an integer >= ${min}, got ${String(v)}.`);
  }
  return v;
}

function pairOf(name: string, v: unknown, min: number): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new InvalidArgumentError(`ring windows: ${name} must be a pair of integers, got ${String(v)}.`);
  return [count(`${name}[0]`, v[0], min), count(`${name}[1]`, v[1], min)];
}

/** The geometry arrives over the wire at a party: every field is checked before anything is read with it. */
function checked(x: RingTensor, g: WindowGeometry): { fh: number; fw: number; sh: number; sw: number; top: number; left: number; oh: number; ow: number; edge: boolean } {
  if (typeof g !== 'object' || g === null) throw new InvalidArgumentError('ring windows: expects a geometry { filter, strides, padBefore, out, fill }.');
  if (x.shape.length !== 4 && x.shape.length !== 3) throw new InvalidArgumentError(`ring windows: expects an NHWC or HWC tensor (rank 4 or 3), got shape [${x.shape}].`);
  const [fh, fw] = pairOf('filter', g.filter, 1);
  const [sh, sw] = pairOf('strides', g.strides, 1);
  const [top, left] = pairOf('padBefore', g.padBefore, 0);
  const [oh, ow] = pairOf('out', g.out, 0);
  if (g.fill !== 'zero' && g.fill !== 'edge') throw new InvalidArgumentError(`ring windows: fill must be 'zero' or 'edge', got ${String(g.fill)}.`);
  const [n, h, w, c] = dims(x);
  if (n * oh * ow * fh * fw * c > MAX_ELEMENTS) {
    throw new InvalidArgumentError(`ring windows: ${n}x${oh}x${ow} windows of ${fh}x${fw}x${c} values exceed ${MAX_ELEMENTS} elements; run on smaller batches.`);
  }
  if (g.fill === 'edge' && (h === 0 || w === 0) && n * c * oh * ow > 0) throw new InvalidArgumentError('ring windows: an empty input has no edge to fill from.');
  return { fh, fw, sh, sw, top, left, oh, ow, edge: g.fill === 'edge' };
}

/**
 * The windows of x [N, H, W, C] as [N, outH, outW, fh·fw, C] (of x [H, W, C]
 * as [outH, outW, fh·fw, C]): window (oy, ox)
 * starts at input row oy·sh - top and column ox·sw - left. The values of one
 * window row are contiguous in NHWC, so each row is one run of fw·C words
 * (clipped at the borders). O(output) time, one allocation.
 */
export function ringWindows(x: RingTensor, g: WindowGeometry): RingTensor {
  const { fh, fw, sh, sw, top, left, oh, ow, edge } = checked(x, g);
  const [n, h, w, c] = dims(x);
  const out = new BigUint64Array(n * oh * ow * fh * fw * c);
  const src = new Uint32Array(x.values.buffer, x.values.byteOffset, x.values.length * 2);
  const dst = new Uint32Array(out.buffer);
  const rowWords = 2 * fw * c;
  const pixel = 2 * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        // The columns of the window inside the input: [lo, hi).
        const lo = Math.min(fw, Math.max(0, -x0));
        const hi = Math.max(lo, Math.min(fw, w - x0));
        for (let ky = 0; ky < fh; ky++) {
          let iy = oy * sh - top + ky;
          if (iy < 0 || iy >= h) {
            if (!edge) {
              o += rowWords;
              continue;
            }
            iy = iy < 0 ? 0 : h - 1;
          }
          const row = 2 * (b * h + iy) * w * c;
          let from = row + (x0 + lo) * pixel;
          let to = o + lo * pixel;
          for (let end = to + (hi - lo) * pixel; to < end; ) dst[to++] = src[from++]!;
          if (edge) {
            for (let kx = 0; kx < lo; kx++) copyPixel(src, row, dst, o + kx * pixel, pixel);
            const last = row + (w - 1) * pixel;
            for (let kx = hi; kx < fw; kx++) copyPixel(src, last, dst, o + kx * pixel, pixel);
          }
          o += rowWords;
        }
      }
    }
  }
  return { values: out, shape: x.shape.length === 4 ? [n, oh, ow, fh * fw, c] : [oh, ow, fh * fw, c] };
}

/** [N, H, W, C], a rank-3 input being one image (as tfjs reads it). */
function dims(x: RingTensor): [number, number, number, number] {
  return (x.shape.length === 4 ? x.shape : [1, ...x.shape]) as [number, number, number, number];
}

function copyPixel(src: Uint32Array, from: number, dst: Uint32Array, to: number, words: number): void {
  for (let k = 0; k < words; k++) dst[to + k] = src[from + k]!;
}

export const CONV_RING_OPS = {
  /** A convolution's patches, [N·outH·outW, fh·fw·C]: the rows a filter reshaped to [fh·fw·C, out] multiplies. */
  im2col: (x: RingTensor, g: WindowGeometry): RingTensor => {
    const t = ringWindows(x, g);
    const [k, c] = t.shape.slice(-2) as [number, number];
    return { values: t.values, shape: [t.shape.slice(0, -2).reduce((a, b) => a * b, 1), k * c] };
  },
  /** A pool's windows, [N, outH, outW, fh·fw, C] (no N for an HWC input): reduced over the window axis (sum, max). */
  poolWindows: ringWindows,
} as const;
