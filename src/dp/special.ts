/**
 * The special functions the privacy accountants need, in log space where the
 * values underflow (erfc(30) is 1e-393): log(erfc(x)) without computing
 * erfc(x), log(exp(a) + exp(b)) and log(exp(a) - exp(b)) as Opacus writes
 * them (opacus/accountants/analysis/rdp.py), and log |binom(alpha, i)| for a
 * real alpha.
 */

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** log(exp(a) + exp(b)), exact when either is -Infinity. */
export function logAdd(a: number, b: number): number {
  const [hi, lo] = a >= b ? [a, b] : [b, a];
  if (lo === -Infinity) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/** log(exp(a) - exp(b)) for a >= b (Opacus's _log_sub: -Infinity when they are equal). */
export function logSub(a: number, b: number): number {
  if (a < b) throw new RangeError(`logSub: log(exp(${a}) - exp(${b})) is the log of a negative number.`);
  if (b === -Infinity) return a;
  if (a === b) return -Infinity;
  const d = Math.expm1(a - b);
  // exp(a - b) overflowed: the subtraction is the larger term.
  return Number.isFinite(d) ? Math.log(d) + b : a;
}

/** erf(x) by its Maclaurin series: accurate to a few ulps for |x| < 1.5, where the terms stay below 3. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * log(erfc(x) · exp(x²) · √π) for x >= 1.5, by the continued fraction
 * erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
 * evaluated with Lentz's method: no underflow however large x is.
 */
function logScaledErfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log(f);
}

/** log(erfc(x)), finite for every finite x. */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x < -1.5) {
    // erfc(x) = 2 - erfc(-x), the second term below 0.034.
    return Math.log(2 - Math.exp(logErfc(-x)));
  }
  if (x < 1.5) return Math.log1p(-erfSeries(x));
  return logScaledErfcFraction(x) - x * x - LOG_SQRT_PI;
}

/** log of the standard normal CDF, log Φ(t) = log(erfc(-t/√2) / 2) (scipy's log_ndtr). */
export function logNdtr(t: number): number {
  return logErfc(-t / Math.SQRT2) - Math.LN2;
}

/**
 * log|C(α, i)| and its sign for i = 0, 1, 2, ... in turn: each from the last
 * by one factor (α − i)/(i + 1), so a series of n terms costs n steps, not
 * n²/2 (RDP's series at q = 0.5 ran for seconds).
 */
export function binomialSeries(alpha: number): { next(): { log: number; sign: 1 | -1 | 0 } } {
  let [i, log, sign] = [0, 0, 1 as 1 | -1 | 0];
  return {
    next() {
      const term = { log: sign === 0 ? -Infinity : log, sign };
      const factor = (alpha - i) / (i + 1);
      if (factor === 0) sign = 0;
      else {
        if (factor < 0) sign = sign === 1 ? -1 : sign === -1 ? 1 : 0;
        log += Math.log(Math.abs(factor));
      }
      i++;
      return term;
    },
  };
}
