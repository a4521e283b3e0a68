/**
 * PATE's privacy analysis (Papernot et al. 2017, the moments accountant for
 * the noisy-max aggregation of teacher votes), ported from PySyft 0.2.9's
 * syft/frameworks/torch/dp/pate.py (itself Papernot's analysis.py) so it
 * gives PySyft's numbers. `indices` are the examples the student queried
 * (rows of the vote counts), as in Papernot's code; PySyft's own test passed
 * labels there, which read rows 0..9.
 *
 * Left out on purpose: the smoothed sensitivity PySyft computed and never
 * returned (its cost grows with the vote counts).
 */
import { InvalidArgumentError } from '../core/errors.js';

/** An upper bound on Pr[the noisy max is not the true max] for Laplace noise of scale 1/noiseEps (Papernot's compute_q_noisy_max). */
export function noisyMaxQ(counts: readonly number[], noiseEps: number): number {
  let winner = 0;
  counts.forEach((c, i) => {
    if (c > counts[winner]!) winner = i;
  });
  let q = 0;
  counts.forEach((c, i) => {
    if (i === winner) return;
    const gap = -noiseEps * (c - counts[winner]!);
    q += (gap + 2) / (4 * Math.exp(gap));
  });
  return Math.min(q, 1 - 1 / counts.length);
}

/** The log moment of order l of a mechanism that is privEps-DP and answers wrongly with probability at most q (logmgf_exact). */
export function logMgfExact(q: number, privEps: number, l: number): number {
  let logT = privEps * l;
  if (q < 0.5) {
    const t = (1 - q) * Math.pow((1 - q) / (1 - Math.exp(privEps) * q), l) + q * Math.exp(privEps * l);
    // PySyft falls back to privEps·l when the log is undefined.
    if (t > 0) logT = Math.log(t);
  }
  return Math.min(0.5 * privEps * privEps * l * (l + 1), logT, privEps * l);
}

export interface PateAnalysis {
  /** Votes: teacherPreds[teacher][example], labels 0..L-1. */
  readonly teacherPreds: readonly (readonly number[])[];
  /** The examples answered (rows of the vote counts). */
  readonly indices: readonly number[];
  readonly noiseEps: number;
  readonly delta?: number;
  readonly moments?: number;
}

/** PySyft's perform_analysis: the data-dependent and data-independent ε of answering `indices` by noisy max. */
export function performAnalysis({ teacherPreds, indices, noiseEps, delta = 1e-5, moments = 8 }: PateAnalysis): { dataDepEps: number; dataIndEps: number } {
  const teachers = teacherPreds.length;
  const examples = teacherPreds[0]?.length ?? 0;
  if (teachers === 0 || examples === 0 || teacherPreds.some((row) => row.length !== examples)) {
    throw new InvalidArgumentError('performAnalysis: teacherPreds must be a non-empty [teachers][examples] array of labels.');
  }
  if (indices.length !== examples) throw new InvalidArgumentError(`performAnalysis: ${indices.length} indices for ${examples} examples; give one per example.`);
  if (!(noiseEps > 0) || !(delta > 0 && delta < 1) || !(Number.isSafeInteger(moments) && moments >= 1)) {
    throw new InvalidArgumentError('performAnalysis: noiseEps must be positive, delta in (0, 1), moments a whole number >= 1.');
  }
  const labels = new Set(teacherPreds.flat()).size;
  const counts = Array.from({ length: examples }, () => new Array<number>(labels).fill(0));
  for (const row of teacherPreds) {
    row.forEach((label, i) => {
      if (!(Number.isInteger(label) && label >= 0 && label < labels)) {
        throw new InvalidArgumentError(`performAnalysis: labels must be the integers 0..${labels - 1} with none missing, got ${label}.`);
      }
      counts[i]![label]!++;
    });
  }
  const ls = Array.from({ length: moments }, (_, k) => k + 1);
  const totals = ls.map(() => 0);
  for (const i of indices) {
    const row = counts[i];
    if (row === undefined) throw new InvalidArgumentError(`performAnalysis: index ${i} names no example (0..${examples - 1}).`);
    const q = noisyMaxQ(row, noiseEps);
    ls.forEach((l, k) => (totals[k]! += logMgfExact(q, 2 * noiseEps, l)));
  }
  const dataDepEps = Math.min(...ls.map((l, k) => (totals[k]! - Math.log(delta)) / l));
  // Data independent: every answer costs what a 2·noiseEps-DP answer can.
  const dataIndEps = Math.min(...ls.map((l) => (examples * logMgfExact(1, 2 * noiseEps, l) - Math.log(delta)) / l));
  return { dataDepEps, dataIndEps };
}
