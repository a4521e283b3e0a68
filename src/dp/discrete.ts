/**
 * Exact samplers of the discrete Laplace and discrete Gaussian distributions
 * (Canonne, Kamath and Steinke 2020, "The Discrete Gaussian for Differential
 * Privacy", Algorithms 1-3), driven only by uniform random integers from the
 * CSPRNG (crypto.randomFillSync) and exact rational arithmetic on BigInts.
 * No floating point touches a sample, so the output distribution is exactly
 * the one the privacy proof assumes: floating-point Laplace samplers leak
 * through the gaps between doubles (Mironov 2012).
 *
 * Parameters arrive as doubles and are used as the exact dyadic rationals
 * they are.
 */
import { randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';

/** A non-negative rational n/d. */
interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

/** The exact value of a finite double >= 0, as n / 2^k. */
export function rationalOf(x: number): Rational {
  if (!(Number.isFinite(x) && x >= 0)) throw new InvalidArgumentError(`discrete sampler: a parameter must be a finite number >= 0, got ${x}.`);
  let d = 1n;
  let v = x;
  // Doubling is exact until the value is an integer (at most 1074 times).
  while (!Number.isInteger(v)) {
    v *= 2;
    d *= 2n;
  }
  return { n: BigInt(v), d };
}

/** Uniform random integers below a bound, by rejection from CSPRNG bytes (no modulo bias). */
class UniformSource {
  #pool = new Uint32Array(1024);
  #at = this.#pool.length;

  #word(): number {
    if (this.#at === this.#pool.length) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    return this.#pool[this.#at++]!;
  }

  /** Uniform in [0, bound): the fewest bits that can hold bound - 1, redrawn while too large (at most 2 draws expected). */
  below(bound: bigint): bigint {
    if (bound <= 0n) throw new InvalidArgumentError('uniform: the bound must be positive.');
    if (bound === 1n) return 0n;
    if (bound <= 0x100000000n) {
      // One word: plain number arithmetic, the common case (Bernoulli trials with small denominators).
      const b = Number(bound);
      const shift = Math.clz32(b - 1);
      for (;;) {
        const r = this.#word() >>> shift;
        if (r < b) return BigInt(r);
      }
    }
    let bits = 0;
    for (let v = bound - 1n; v > 0n; v >>= 32n) bits += v > 0xffffffffn ? 32 : 32 - Math.clz32(Number(v));
    const words = Math.ceil(bits / 32);
    const excess = BigInt(words * 32 - bits);
    for (;;) {
      let r = 0n;
      for (let i = 0; i < words; i++) r = (r << 32n) | BigInt(this.#word());
      r >>= excess;
      if (r < bound) return r;
    }
  }
}

const uniform = new UniformSource();

/** Bernoulli(n/d). */
function bernoulli(p: Rational): boolean {
  return uniform.below(p.d) < p.n;
}

/** Bernoulli(exp(-γ)) for a rational γ in [0, 1] (CKS Algorithm 1, first part). */
function bernoulliExpSmall(g: Rational): boolean {
  let k = 1n;
  for (;;) {
    if (!bernoulli({ n: g.n, d: g.d * k })) break;
    k++;
  }
  return k % 2n === 1n;
}

/** Bernoulli(exp(-γ)) for any rational γ >= 0 (CKS Algorithm 1). */
function bernoulliExp(g: Rational): boolean {
  if (g.n <= g.d) return bernoulliExpSmall(g);
  const whole = g.n / g.d;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpSmall({ n: 1n, d: 1n })) return false;
  return bernoulliExpSmall({ n: g.n - whole * g.d, d: g.d });
}

/**
 * Randomized response's coin: true (flip) with probability 1/(1 + e^ε),
 * exactly: propose flip or keep with probability 1/2 each, accept a flip with
 * probability e^-ε, and try again when it is refused.
 */
export function flipWithRandomizedResponse(epsilon: Rational): boolean {
  for (;;) {
    if (uniform.below(2n) === 0n) return false;
    if (bernoulliExp(epsilon)) return true;
  }
}

/** The discrete Laplace with scale t = num/den: P(x) ∝ exp(-|x|/t) on the integers (CKS Algorithm 2). */
export function sampleDiscreteLaplace(scale: Rational): bigint {
  if (scale.n <= 0n) throw new InvalidArgumentError('discrete Laplace: the scale must be positive.');
  // Algorithm 2 takes s/t with scale t/s.
  const [s, t] = [scale.d, scale.n];
  for (;;) {
    const u = uniform.below(t);
    if (!bernoulliExp({ n: u, d: t })) continue;
    let v = 0n;
    while (bernoulliExp({ n: 1n, d: 1n })) v++;
    const y = (u + t * v) / s;
    const negative = uniform.below(2n) === 1n;
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/** The discrete Gaussian with variance parameter σ² (a rational): P(x) ∝ exp(-x²/(2σ²)) (CKS Algorithm 3). */
export function sampleDiscreteGaussian(sigma2: Rational): bigint {
  if (sigma2.n <= 0n) throw new InvalidArgumentError('discrete Gaussian: sigma² must be positive.');
  // t = floor(σ) + 1: from the double's estimate, then made exact (t² > σ² >= (t-1)²) in rationals.
  let t = BigInt(Math.floor(Math.sqrt(Number(sigma2.n) / Number(sigma2.d)))) + 1n;
  while (t > 1n && (t - 1n) * (t - 1n) * sigma2.d > sigma2.n) t--;
  while (t * t * sigma2.d <= sigma2.n) t++;
  for (;;) {
    const y = sampleDiscreteLaplace({ n: t, d: 1n });
    const absY = y < 0n ? -y : y;
    // γ = (|y| - σ²/t)² / (2σ²) = (|y|·t·d - n)² / (2·t²·d·n), with σ² = n/d.
    const diff = absY * t * sigma2.d - sigma2.n;
    if (bernoulliExp({ n: diff * diff, d: 2n * t * t * sigma2.d * sigma2.n })) return y;
  }
}
