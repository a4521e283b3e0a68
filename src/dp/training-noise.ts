/**
 * Gaussian noise for DP-SGD's steps: fast, from the CSPRNG, and hardened
 * against floating-point attacks the way Opacus's secure_mode is.
 *
 * Why not the exact samplers (./discrete.ts): a DP-SGD step needs one
 * Gaussian per parameter (101,770 for an MNIST MLP 784-128-10, every step),
 * and the exact discrete Gaussian takes ~4.5 µs a sample: 0.45 s of noise for
 * a 17 ms step. Query releases (./mechanisms.ts, a few numbers each) keep the
 * exact samplers; the per-step training noise comes from here, as Opacus
 * splits it (torch.normal in its optimizer, never a discrete sampler).
 *
 * Randomness: every bit comes from crypto.randomFillSync, filled in bulk,
 * one fill per 4096 outputs (never the predictable built-in PRNG;
 * getRandomValues refuses more than 65,536 bytes). One normal takes two
 * uint32 words: 52 bits of uniform, 8 bits of layer, 1 of sign.
 *
 * Sampler: the ziggurat (Marsaglia and Tsang 2000, 256 layers, numpy's
 * constants r and v), an exact rejection sampler of the normal whose common
 * case is a multiply and a compare. Box–Muller, as first planned, measured
 * 140-165 ns per output here (two logs, sines and cosines for its four
 * normals), the polar method 100-110 ns (its logs and 21% rejections): 10-15
 * ms a step for 101,770 parameters, most of the 1.3x budget of a ~17 ms plain
 * step on wasm. The ziggurat takes ~36 ns an output, a quarter of that, a
 * third of it the CSPRNG's bytes.
 *
 * Floating-point attacks (Holohan and Braghin 2021, "Secure Random Sampling
 * in Differential Privacy", arXiv:2107.10138): a sampler's double outputs
 * are not all equally likely, which can reveal the value noise was added to.
 * Their §5.1 mitigation, which Opacus's `_generate_noise(std, reference,
 * generator, secure_mode=True)` applies (pytorch/opacus,
 * opacus/optimizers/optimizer.py at 0307f7d2a89b, "calling the Gaussian noise
 * function 2*n times, when n=2"), is done here too: each output is the sum of
 * 4 independent normals of standard deviation σ divided by 2 (standard
 * deviation σ), so an attacker must search the random bits behind 3 of the
 * 4 normals (61 bits each here; Opacus counts 2^(53·3) for torch's), not
 * one. Opacus's extra sample, drawn and thrown away first, guards torch's
 * generator state, which fresh CSPRNG bytes do not need.
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';

/** Independent normals summed per output (Opacus's 2n with n = 2). */
const SUMMANDS = 4;
const LAYERS = 256;
/** Where the tail starts, and the area of each layer (numpy's ziggurat for 256 layers). */
const R = 3.6541528853610088;
const V = 0.00492867323399;
const TWO_POW_52 = 2 ** 52;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_MINUS_53 = 2 ** -53;

const density = (x: number): number => Math.exp(-0.5 * x * x);

/**
 * The ziggurat's layers, bottom (0: the base strip and the tail) to top.
 * Layer i spans width x_i; points left of x_{i+1} are under the curve for sure.
 */
const { edge, width, height } = (() => {
  const x = new Float64Array(LAYERS + 1);
  x[0] = V / density(R);
  x[1] = R;
  for (let i = 1; i < LAYERS - 1; i++) x[i + 1] = Math.sqrt(-2 * Math.log(V / x[i]! + density(x[i]!)));
  x[LAYERS] = 0; // the top layer is all wedge: its inner edge is 0
  const edge = new Float64Array(LAYERS); // x_{i+1} / x_i, on the 52-bit integer scale of the uniform
  const width = new Float64Array(LAYERS); // x_i / 2^52: turns the 52-bit integer into a point of the layer
  const height = new Float64Array(LAYERS + 1); // f(x_i)
  for (let i = 0; i < LAYERS; i++) {
    edge[i] = Math.floor((x[i + 1]! / x[i]!) * TWO_POW_52);
    width[i] = x[i]! / TWO_POW_52;
  }
  for (let i = 0; i <= LAYERS; i++) height[i] = density(x[i]!);
  return { edge, width, height };
})();

/** CSPRNG words for the rare draws past the bulk fill: the slow path's uniforms and redrawn normals. */
class WordPool {
  #words = new Uint32Array(1024);
  #at = this.#words.length;

  /** Two words, refilling when spent (a word is never used twice). */
  #pair(): [number, number] {
    if (this.#at + 2 > this.#words.length) {
      randomFillSync(this.#words);
      this.#at = 0;
    }
    const pair: [number, number] = [this.#words[this.#at]!, this.#words[this.#at + 1]!];
    this.#at += 2;
    return pair;
  }

  /** A uniform double in (0, 1], 53 bits of two words (never 0: logs take it). */
  uniform(): number {
    const [hi, lo] = this.#pair();
    return ((hi >>> 5) * 67108864 + (lo >>> 6) + 1) * TWO_POW_MINUS_53;
  }

  /** One standard normal, by the whole ziggurat. */
  normal(): number {
    for (;;) {
      const [hi, lo] = this.#pair();
      const z = zigguratDraw(hi, lo) ?? slowPath(hi, lo);
      if (z !== undefined) return z;
    }
  }
}

const extra = new WordPool();

/** The common case of the ziggurat: inside layer `hi & 255`'s sure part. Undefined: the slow path decides. */
function zigguratDraw(hi: number, lo: number): number | undefined {
  const layer = hi & 0xff;
  const bits = (hi >>> 12) * TWO_POW_32 + lo;
  return bits < edge[layer]! ? (1 - ((hi >>> 7) & 2)) * bits * width[layer]! : undefined;
}

/** The rare case: the wedge's rejection test, or the tail beyond R. Undefined: draw a new normal. */
function slowPath(hi: number, lo: number): number | undefined {
  const layer = hi & 0xff;
  const sign = 1 - ((hi >>> 7) & 2);
  if (layer === 0) {
    // Marsaglia 1964: R + a with a exponential of rate R, kept with probability exp(-a²/2).
    for (;;) {
      const a = -Math.log(extra.uniform()) / R;
      const b = -Math.log(extra.uniform());
      if (b + b > a * a) return sign * (R + a);
    }
  }
  const x = ((hi >>> 12) * TWO_POW_32 + lo) * width[layer]!;
  const y = height[layer]! + extra.uniform() * (height[layer + 1]! - height[layer]!);
  return y < density(x) ? sign * x : undefined;
}

/**
 * Outputs made per CSPRNG fill: the words and normals of a chunk (128 KB and
 * 128 KB) stay in cache between filling, transforming and summing, where a
 * step's worth (3.2 MB each for 101,770 parameters) would not.
 */
export const NOISE_CHUNK = 4096;
const words = new Int32Array(2 * SUMMANDS * NOISE_CHUNK);
const normals = new Float64Array(SUMMANDS * NOISE_CHUNK);
const misses = new Int32Array(SUMMANDS * NOISE_CHUNK);

/** m <= SUMMANDS·NOISE_CHUNK standard normals into the scratch (two CSPRNG words each, one fill). */
function fillNormals(m: number): Float64Array {
  // Locals, not the module's bindings: V8 reloads those on every access in the loop.
  const [w, z, missing, inner, scaleOf] = [words, normals, misses, edge, width];
  randomFillSync(m === z.length ? w : w.subarray(0, 2 * m));
  // Every normal's common case without a branch on its sign (a coin flip the CPU cannot predict); the ~1%
  // outside the layers' sure parts are noted and settled after.
  let missed = 0;
  for (let k = 0, at = 0; k < m; k++, at += 2) {
    const hi = w[at]!;
    const layer = hi & 0xff;
    const bits = (hi >>> 12) * TWO_POW_32 + (w[at + 1]! >>> 0);
    z[k] = (1 - ((hi >>> 7) & 2)) * bits * scaleOf[layer]!;
    if (bits >= inner[layer]!) missing[missed++] = k;
  }
  // A draw the ziggurat rejects is replaced by a fresh normal: each slot stays an independent exact draw.
  for (let j = 0; j < missed; j++) {
    const k = missing[j]!;
    z[k] = slowPath(w[2 * k]! >>> 0, w[2 * k + 1]! >>> 0) ?? extra.normal();
  }
  return z;
}

/** m independent standard normals (the ziggurat alone, without the summing of trainingNoise). */
export function standardNormals(m: number): Float64Array {
  if (!(Number.isSafeInteger(m) && m >= 0)) throw new InvalidArgumentError(`standardNormals: m must be a whole number >= 0, got ${m}.`);
  const out = new Float64Array(m);
  for (let start = 0; start < m; start += normals.length) {
    const count = Math.min(normals.length, m - start);
    out.set(fillNormals(count).subarray(0, count), start);
  }
  return out;
}

/**
 * n samples of N(0, σ²) as float32, each the sum of 4 standard normals times
 * σ/2 (Opacus's secure_mode). σ = 0 gives zeros without drawing.
 */
export function trainingNoise(n: number, sigma: number): Float32Array {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new InvalidArgumentError(`trainingNoise: n must be a whole number >= 0, got ${n}.`);
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new InvalidArgumentError(`trainingNoise: sigma must be a finite number >= 0, got ${sigma}.`);
  const out = new Float32Array(n);
  if (sigma === 0) return out;
  const scale = sigma / 2;
  for (let start = 0; start < n; start += NOISE_CHUNK) {
    const count = Math.min(NOISE_CHUNK, n - start);
    const z = fillNormals(SUMMANDS * count);
    for (let i = 0, k = 0; i < count; i++, k += SUMMANDS) out[start + i] = scale * (z[k]! + z[k + 1]! + z[k + 2]! + z[k + 3]!);
  }
  return out;
}
