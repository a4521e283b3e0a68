/**
 * UCI Credit Approval (Quinlan): 690 applications, 15 anonymised attributes
 * and an approved (+) or refused (-) label. Rows with a missing value ('?')
 * are dropped, leaving 653; binary attributes become 0/1, categorical ones
 * one-hot columns (categories as they appear in the file, sorted), numeric
 * ones are standardized.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';
import { ensureBackend } from './ensure-backend.js';
import { loadBytes } from './load-bytes.js';

export const CREDIT_APPROVAL_URL = 'https://archive.ics.uci.edu/ml/machine-learning-databases/credit-screening/crx.data';
/** Where the workspace keeps a copy, relative to the working directory. */
export const CREDIT_APPROVAL_LOCAL = '../shared/data/credit-approval/crx.data';

/**
 * A1..A15, from crx.names. A binary attribute names its value that encodes as
 * 1, fixed here rather than taken from the data, so that a subset of the file
 * in which only one value occurs still encodes the same way.
 */
type Kind = { readonly kind: 'binary'; readonly one: string; readonly zero: string } | { readonly kind: 'categorical' | 'numeric' };
const NUMERIC: Kind = { kind: 'numeric' };
const CATEGORICAL: Kind = { kind: 'categorical' };
const binary = (one: string, zero: string): Kind => ({ kind: 'binary', one, zero });
const ATTRIBUTES: readonly Kind[] = [
  binary('b', 'a'), NUMERIC, NUMERIC, CATEGORICAL, CATEGORICAL, CATEGORICAL, CATEGORICAL, NUMERIC,
  binary('t', 'f'), binary('t', 'f'), NUMERIC, binary('t', 'f'), CATEGORICAL, NUMERIC, NUMERIC,
];

export interface CreditApproval {
  /** [653, features] float32. */
  readonly features: tf.Tensor2D;
  /** [653, 1] float32: 1 approved, 0 refused. */
  readonly targets: tf.Tensor2D;
  /** One name per feature column: 'A2', 'A4=u', … */
  readonly featureNames: readonly string[];
  readonly length: number;
  /** Approved applications (targets equal to 1). */
  readonly positives: number;
  /** Rows dropped for a missing value. */
  readonly dropped: number;
}

export interface CreditApprovalOptions {
  /** A local crx.data; by default ../shared/data/credit-approval/crx.data, else the UCI download. */
  readonly path?: string;
  readonly url?: string;
}

export async function creditApproval(options: CreditApprovalOptions = {}): Promise<CreditApproval> {
  const paths = options.path === undefined ? [CREDIT_APPROVAL_LOCAL] : [options.path];
  const bytes = await loadBytes('UCI Credit Approval (crx.data)', paths, options.url ?? CREDIT_APPROVAL_URL);
  const parsed = parseCreditApproval(new TextDecoder().decode(bytes));
  await ensureBackend();
  return {
    features: tf.tensor2d(parsed.features, [parsed.length, parsed.featureNames.length]),
    targets: tf.tensor2d(parsed.targets, [parsed.length, 1]),
    featureNames: parsed.featureNames,
    length: parsed.length,
    positives: parsed.positives,
    dropped: parsed.dropped,
  };
}

export interface ParsedCreditApproval {
  readonly features: Float32Array;
  readonly targets: Float32Array;
  readonly featureNames: string[];
  readonly length: number;
  readonly positives: number;
  readonly dropped: number;
}

/** The preprocessing, on the file's text. */
export function parseCreditApproval(text: string): ParsedCreditApproval {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const rows: string[][] = [];
  let dropped = 0;
  lines.forEach((line, n) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 16) throw new InvalidArgumentError(`crx.data line ${n + 1}: expected 16 comma-separated values, found ${cells.length}.`);
    if (cells.includes('?')) dropped++;
    else rows.push(cells);
  });
  const columns: Array<{ name: string; value: (row: string[]) => number }> = [];
  ATTRIBUTES.forEach((attribute, a) => {
    const name = `A${a + 1}`;
    const values = rows.map((r) => r[a]!);
    if (attribute.kind === 'numeric') {
      const xs = values.map((v, i) => {
        const x = Number(v);
        if (v === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`crx.data: ${name} of kept row ${i + 1} is '${v}', not a number.`);
        return x;
      });
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      // A constant column (possible in a small subset) becomes all zeros rather than NaN.
      const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) || 1;
      columns.push({ name, value: (row) => (Number(row[a]) - mean) / std });
      return;
    }
    if (attribute.kind === 'binary') {
      const { one, zero } = attribute;
      const other = values.findIndex((v) => v !== one && v !== zero);
      if (other >= 0) throw new InvalidArgumentError(`crx.data: ${name} of kept row ${other + 1} is '${values[other]}'; ${name} is binary, ${one} or ${zero}.`);
      columns.push({ name: `${name}=${one}`, value: (row) => (row[a] === one ? 1 : 0) });
      return;
    }
    // Sorted, so the column order does not depend on the order of the rows.
    const categories = [...new Set(values)].sort();
    for (const c of categories) columns.push({ name: `${name}=${c}`, value: (row) => (row[a] === c ? 1 : 0) });
  });
  const width = columns.length;
  const features = new Float32Array(rows.length * width);
  const targets = new Float32Array(rows.length);
  let positives = 0;
  rows.forEach((row, i) => {
    columns.forEach((c, j) => (features[i * width + j] = c.value(row)));
    const label = row[15];
    if (label !== '+' && label !== '-') throw new InvalidArgumentError(`crx.data: the label of kept row ${i + 1} is '${label}', not + or -.`);
    targets[i] = label === '+' ? 1 : 0;
    positives += targets[i]!;
  });
  return { features, targets, featureNames: columns.map((c) => c.name), length: rows.length, positives, dropped };
}
