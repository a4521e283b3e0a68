/**
 * FFTs of any length for the PRV accountant. Opacus composes a discretized
 * privacy loss by a circular self-convolution of the grid's exact length
 * (scipy's rfft/irfft: 391,570 points in its test), so padding to a power of
 * two would change which mass wraps around; lengths that are not powers of
 * two go through Bluestein's chirp-z transform. Twiddle factors come from a
 * table of cos/sin computed directly, not from a running product: a product
 * recurrence drifts by ~n·2⁻⁵³ over a 2²⁰-point stage, and that drift, raised
 * to the 2,000th power by the composition, moved ε by 7e-5.
 */
import { InvalidArgumentError } from '../core/errors.js';

/** cos and sin of 2πk/n for k < n/2, for the power-of-two n last used (one table: the accountant reuses one size). */
let table: { n: number; cos: Float64Array; sin: Float64Array } | undefined;

function twiddles(n: number): { n: number; cos: Float64Array; sin: Float64Array } {
  if (table === undefined || table.n % n !== 0) {
    const half = n >> 1;
    const [cos, sin] = [new Float64Array(half), new Float64Array(half)];
    for (let k = 0; k < half; k++) {
      cos[k] = Math.cos((2 * Math.PI * k) / n);
      sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    table = { n, cos, sin };
  }
  return table;
}

/** Reorders (re, im) by bit-reversed index, in place. */
function bitReverse(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
}

/**
 * Decimation in time, in place, from bit-reversed input to natural-order
 * output; length a power of two, the inverse without the 1/n scaling. Two
 * radix-2 stages per pass over the data (half the passes: the arrays outgrow
 * the cache): the stage of length 2L pairs (a0, a1) and (a2, a3) with
 * w = W_2L^k, the stage of length 4L pairs (a0, a2) with v = W_4L^k and
 * (a1, a3) with W_4L^(k+L) = v·(∓i).
 */
function dit(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  if (n < 2) return;
  // A table built for a larger power of two serves this n at a stride.
  const { n: tableN, cos, sin } = twiddles(n);
  const sign = inverse ? 1 : -1;
  let L = 1;
  if ((31 - Math.clz32(n)) % 2 === 1) {
    for (let i = 0; i < n; i += 2) {
      const ar = re[i]!;
      const ai = im[i]!;
      const br = re[i + 1]!;
      const bi = im[i + 1]!;
      re[i] = ar + br;
      im[i] = ai + bi;
      re[i + 1] = ar - br;
      im[i + 1] = ai - bi;
    }
    L = 2;
  }
  for (; 4 * L <= n; L *= 4) {
    const L4 = 4 * L;
    const stride = tableN / L4;
    for (let i = 0; i < n; i += L4) {
      for (let k = 0; k < L; k++) {
        const vr = cos[k * stride]!;
        const vi = sign * sin[k * stride]!;
        const wr = cos[2 * k * stride]!;
        const wi = sign * sin[2 * k * stride]!;
        const a0 = i + k;
        const a1 = a0 + L;
        const a2 = a1 + L;
        const a3 = a2 + L;
        const x0r = re[a0]!;
        const x0i = im[a0]!;
        const x2r = re[a2]!;
        const x2i = im[a2]!;
        const t1r = re[a1]! * wr - im[a1]! * wi;
        const t1i = re[a1]! * wi + im[a1]! * wr;
        const t3r = re[a3]! * wr - im[a3]! * wi;
        const t3i = re[a3]! * wi + im[a3]! * wr;
        const b0r = x0r + t1r;
        const b0i = x0i + t1i;
        const b1r = x0r - t1r;
        const b1i = x0i - t1i;
        const b2r = x2r + t3r;
        const b2i = x2i + t3i;
        const b3r = x2r - t3r;
        const b3i = x2i - t3i;
        const yr = b2r * vr - b2i * vi;
        const yi = b2r * vi + b2i * vr;
        const zr = -sign * (b3r * vi + b3i * vr);
        const zi = sign * (b3r * vr - b3i * vi);
        re[a0] = b0r + yr;
        im[a0] = b0i + yi;
        re[a2] = b0r - yr;
        im[a2] = b0i - yi;
        re[a1] = b1r + zr;
        im[a1] = b1i + zi;
        re[a3] = b1r - zr;
        im[a3] = b1i - zi;
      }
    }
  }
}

/**
 * Decimation in frequency, in place, from natural-order input to
 * bit-reversed output (dit's stages run backwards). A convolution needs no
 * reordering: dif both factors, multiply, dit back.
 */
function dif(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  if (n < 2) return;
  const { n: tableN, cos, sin } = twiddles(n);
  const sign = inverse ? 1 : -1;
  const odd = (31 - Math.clz32(n)) % 2 === 1;
  for (let L = n >> 2; L >= (odd ? 2 : 1); L >>= 2) {
    const L4 = 4 * L;
    const stride = tableN / L4;
    for (let i = 0; i < n; i += L4) {
      for (let k = 0; k < L; k++) {
        const vr = cos[k * stride]!;
        const vi = sign * sin[k * stride]!;
        const wr = cos[2 * k * stride]!;
        const wi = sign * sin[2 * k * stride]!;
        const a0 = i + k;
        const a1 = a0 + L;
        const a2 = a1 + L;
        const a3 = a2 + L;
        const x0r = re[a0]!;
        const x0i = im[a0]!;
        const x1r = re[a1]!;
        const x1i = im[a1]!;
        const x2r = re[a2]!;
        const x2i = im[a2]!;
        const x3r = re[a3]!;
        const x3i = im[a3]!;
        // Stage 4L: B0 = x0 + x2, B2 = (x0 - x2)·v, B1 = x1 + x3, B3 = (x1 - x3)·v·(∓i).
        const b0r = x0r + x2r;
        const b0i = x0i + x2i;
        const b1r = x1r + x3r;
        const b1i = x1i + x3i;
        const d2r = x0r - x2r;
        const d2i = x0i - x2i;
        const d3r = x1r - x3r;
        const d3i = x1i - x3i;
        const b2r = d2r * vr - d2i * vi;
        const b2i = d2r * vi + d2i * vr;
        const b3r = -sign * (d3r * vi + d3i * vr);
        const b3i = sign * (d3r * vr - d3i * vi);
        // Stage 2L: (B0, B1) and (B2, B3), the differences times w.
        re[a0] = b0r + b1r;
        im[a0] = b0i + b1i;
        const e1r = b0r - b1r;
        const e1i = b0i - b1i;
        re[a1] = e1r * wr - e1i * wi;
        im[a1] = e1r * wi + e1i * wr;
        re[a2] = b2r + b3r;
        im[a2] = b2i + b3i;
        const e3r = b2r - b3r;
        const e3i = b2i - b3i;
        re[a3] = e3r * wr - e3i * wi;
        im[a3] = e3r * wi + e3i * wr;
      }
    }
  }
  if (odd) {
    for (let i = 0; i < n; i += 2) {
      const ar = re[i]!;
      const ai = im[i]!;
      const br = re[i + 1]!;
      const bi = im[i + 1]!;
      re[i] = ar + br;
      im[i] = ai + bi;
      re[i + 1] = ar - br;
      im[i + 1] = ai - bi;
    }
  }
}

/**
 * Bluestein's pieces for one length n: the chirp w_j = e^(-iπj²/n) and the
 * power-of-two DFT of the filter conj(w) laid out circularly, in bit-reversed
 * order. Kept for the last length used (the accountant transforms one length
 * forward and back; about 16 MB for MNIST's grid). The inverse transform
 * uses conj(w), whose filter's DFT is the conjugate: the filter is symmetric.
 */
let bluesteinPlan: { n: number; m: number; cr: Float64Array; ci: Float64Array; fr: Float64Array; fi: Float64Array } | undefined;

function bluestein(n: number): NonNullable<typeof bluesteinPlan> {
  if (bluesteinPlan?.n === n) return bluesteinPlan;
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const [cr, ci] = [new Float64Array(n), new Float64Array(n)];
  for (let j = 0; j < n; j++) {
    // j² mod 2n keeps the angle below 2π and exact (j² < 2⁵³ for any length an accountant builds).
    const angle = (-Math.PI * ((j * j) % (2 * n))) / n;
    cr[j] = Math.cos(angle);
    ci[j] = Math.sin(angle);
  }
  const [fr, fi] = [new Float64Array(m), new Float64Array(m)];
  fr[0] = cr[0]!;
  fi[0] = -ci[0]!;
  for (let j = 1; j < n; j++) {
    fr[j] = fr[m - j] = cr[j]!;
    fi[j] = fi[m - j] = -ci[j]!;
  }
  dif(fr, fi, false);
  bluesteinPlan = { n, m, cr, ci, fr, fi };
  return bluesteinPlan;
}

/** The DFT of (re, im), any length: X_k = Σ x_j e^(∓2πijk/n); the inverse is scaled by 1/n. Inputs are not modified. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  if (im.length !== n) throw new InvalidArgumentError(`fft: real and imaginary parts differ in length (${n} and ${im.length}).`);
  if (n === 0) return { re: new Float64Array(0), im: new Float64Array(0) };
  const scale = inverse ? 1 / n : 1;
  if ((n & (n - 1)) === 0) {
    const r = Float64Array.from(re);
    const i = Float64Array.from(im);
    bitReverse(r, i);
    dit(r, i, inverse);
    if (inverse) for (let k = 0; k < n; k++) (r[k]! *= scale), (i[k]! *= scale);
    return { re: r, im: i };
  }
  // Bluestein: jk = (j² + k² - (k - j)²)/2 turns the DFT into a circular convolution with the chirp, of power-of-two length m.
  const { m, cr, ci: ciForward, fr, fi } = bluestein(n);
  const s = inverse ? -1 : 1;
  const [ar, ai] = [new Float64Array(m), new Float64Array(m)];
  for (let j = 0; j < n; j++) {
    const ci = s * ciForward[j]!;
    ar[j] = re[j]! * cr[j]! - im[j]! * ci;
    ai[j] = re[j]! * ci + im[j]! * cr[j]!;
  }
  dif(ar, ai, false);
  // Both spectra are in bit-reversed order; the product is too, which is what dit takes.
  for (let k = 0; k < m; k++) {
    const gi = s * fi[k]!;
    const xr = ar[k]! * fr[k]! - ai[k]! * gi;
    ai[k] = ar[k]! * gi + ai[k]! * fr[k]!;
    ar[k] = xr;
  }
  dit(ar, ai, true);
  const [outR, outI] = [new Float64Array(n), new Float64Array(n)];
  for (let k = 0; k < n; k++) {
    const xr = ar[k]! / m;
    const xi = ai[k]! / m;
    const ci = s * ciForward[k]!;
    outR[k] = (xr * cr[k]! - xi * ci) * scale;
    outI[k] = (xr * ci + xi * cr[k]!) * scale;
  }
  return { re: outR, im: outI };
}

/**
 * The DFT of a real sequence of even length n, bins 0..n/2 (numpy's rfft),
 * by one complex FFT of length n/2 on (x₀ + i·x₁, x₂ + i·x₃, ...).
 */
export function rfft(x: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  if (n === 0 || n % 2 !== 0) throw new InvalidArgumentError(`rfft: needs an even length, got ${n}.`);
  const h = n / 2;
  const [zr, zi] = [new Float64Array(h), new Float64Array(h)];
  for (let j = 0; j < h; j++) {
    zr[j] = x[2 * j]!;
    zi[j] = x[2 * j + 1]!;
  }
  const z = fft(zr, zi);
  const [re, im] = [new Float64Array(h + 1), new Float64Array(h + 1)];
  for (let k = 0; k <= h; k++) {
    // E_k = (Z_k + conj Z_(h-k))/2 is the DFT of the even samples, O_k = (Z_k - conj Z_(h-k))/(2i) of the odd ones.
    const ar = z.re[k % h]!;
    const ai = z.im[k % h]!;
    const br = z.re[(h - k) % h]!;
    const bi = -z.im[(h - k) % h]!;
    const er = (ar + br) / 2;
    const ei = (ai + bi) / 2;
    const or = (ai - bi) / 2;
    const oi = -(ar - br) / 2;
    const angle = (-Math.PI * k) / h;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    re[k] = er + or * wr - oi * wi;
    im[k] = ei + or * wi + oi * wr;
  }
  return { re, im };
}

/**
 * The real sequence of even length n whose rfft is (re, im), bins 0..n/2
 * (numpy's irfft(·, n)): the imaginary parts of bins 0 and n/2 are ignored.
 */
export function irfft(re: Float64Array, im: Float64Array, n: number): Float64Array {
  if (n === 0 || n % 2 !== 0 || re.length !== n / 2 + 1 || im.length !== re.length) {
    throw new InvalidArgumentError(`irfft: needs n even and n/2 + 1 bins, got n = ${n} and ${re.length} bins.`);
  }
  const h = n / 2;
  const [zr, zi] = [new Float64Array(h), new Float64Array(h)];
  for (let k = 0; k < h; k++) {
    const ar = re[k]!;
    const ai = k === 0 ? 0 : im[k]!;
    const br = re[h - k]!;
    const bi = k === 0 ? 0 : -im[h - k]!;
    // Undo the split: E_k = (X_k + conj X_(h-k))/2, O_k = (X_k - conj X_(h-k))·e^(2πik/n)/2, Z_k = E_k + i·O_k.
    const er = (ar + br) / 2;
    const ei = (ai + bi) / 2;
    const dr = (ar - br) / 2;
    const di = (ai - bi) / 2;
    const angle = (Math.PI * k) / h;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    const or = dr * wr - di * wi;
    const oi = dr * wi + di * wr;
    zr[k] = er - oi;
    zi[k] = ei + or;
  }
  const z = fft(zr, zi, true);
  const out = new Float64Array(n);
  for (let j = 0; j < h; j++) {
    out[2 * j] = z.re[j]!;
    out[2 * j + 1] = z.im[j]!;
  }
  return out;
}
