/**
 * A complex FFT of any length (radix-2 for powers of two, Bluestein's
 * chirp-z for the rest), for the PRV accountant's circular self-convolution:
 * Opacus composes on grids of arbitrary even length (391,570 points in its
 * test), and padding to a power of two would change the wrap-around.
 */

/** In-place radix-2 FFT of (re, im), length a power of two; inverse without the 1/n scaling. */
function radix2(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / len;
    const [wr, wi] = [Math.cos(angle), Math.sin(angle)];
    for (let i = 0; i < n; i += len) {
      let [cr, ci] = [1, 0];
      for (let k = 0; k < len / 2; k++) {
        const [a, b] = [i + k, i + k + len / 2];
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        [cr, ci] = [cr * wr - ci * wi, cr * wi + ci * wr];
      }
    }
  }
}

/** The DFT of (re, im), any length: X_k = Σ x_j e^(∓2πijk/n); the inverse is scaled by 1/n. */
export function fft(re: Float64Array, im: Float64Array, inverse = false): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  if ((n & (n - 1)) === 0) {
    const [r, i] = [Float64Array.from(re), Float64Array.from(im)];
    radix2(r, i, inverse);
    if (inverse) for (let k = 0; k < n; k++) [r[k], i[k]] = [r[k]! / n, i[k]! / n];
    return { re: r, im: i };
  }
  // Bluestein: jk = (j² + k² - (k - j)²)/2 turns the DFT into a convolution with the chirp w_j = e^(∓iπj²/n).
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const sign = inverse ? 1 : -1;
  const [cr, ci] = [new Float64Array(n), new Float64Array(n)];
  for (let j = 0; j < n; j++) {
    // j² mod 2n keeps the angle small and exact for large j.
    const angle = (sign * Math.PI * ((j * j) % (2 * n))) / n;
    [cr[j], ci[j]] = [Math.cos(angle), Math.sin(angle)];
  }
  const [ar, ai, br, bi] = [new Float64Array(m), new Float64Array(m), new Float64Array(m), new Float64Array(m)];
  for (let j = 0; j < n; j++) {
    ar[j] = re[j]! * cr[j]! - im[j]! * ci[j]!;
    ai[j] = re[j]! * ci[j]! + im[j]! * cr[j]!;
  }
  br[0] = cr[0]!;
  bi[0] = -ci[0]!;
  for (let j = 1; j < n; j++) {
    [br[j], bi[j]] = [cr[j]!, -ci[j]!];
    [br[m - j], bi[m - j]] = [cr[j]!, -ci[j]!];
  }
  radix2(ar, ai, false);
  radix2(br, bi, false);
  for (let k = 0; k < m; k++) [ar[k], ai[k]] = [ar[k]! * br[k]! - ai[k]! * bi[k]!, ar[k]! * bi[k]! + ai[k]! * br[k]!];
  radix2(ar, ai, true);
  const [outR, outI] = [new Float64Array(n), new Float64Array(n)];
  for (let k = 0; k < n; k++) {
    const [xr, xi] = [ar[k]! / m, ai[k]! / m];
    outR[k] = xr * cr[k]! - xi * ci[k]!;
    outI[k] = xr * ci[k]! + xi * cr[k]!;
    if (inverse) [outR[k], outI[k]] = [outR[k]! / n, outI[k]! / n];
  }
  return { re: outR, im: outI };
}
