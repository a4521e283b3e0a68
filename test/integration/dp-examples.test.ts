/**
 * Example 11's small variant (--quick: 1,024 training digits, batch 128, 3
 * epochs, σ 0.7, 1.1 and 1.5), run as users run it. The ε it prints and
 * saves after every epoch must be what sy.dp.dpSgdEpsilon says for the same
 * run (N divides by the batch here, so dpSgdTrain's steps per epoch and
 * TF Privacy's step count agree); private models must learn (far above the
 * 10% of chance) and plain SGD must not do worse than the most-noised run.
 * The full run is the example itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
// sy.dp.dpSgdEpsilon, from its module: the whole package would add seconds of tfjs start-up to this test.
import { dpSgdEpsilon } from '../../src/dp/accountant.js';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../../examples/11-dp-sgd-mnist.ts', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'syft-dp-example-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const SIGMAS = [0.7, 1.1, 1.5];
const [N, BATCH, EPOCHS, DELTA] = [1024, 128, 3, 1e-5];

interface Saved {
  readonly meta: { readonly trainSize: number; readonly batchSize: number; readonly noiseMultiplier: number; readonly delta: number; readonly epsilon: number };
  readonly rounds: readonly { readonly round: number; readonly epsilon: number; readonly testAccuracy: number }[];
}

test('example 11 (--quick): ε per epoch is dpSgdEpsilon of the run; private models learn; plain SGD does at least as well as the most noise', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', example, '--quick', '--out', out], { timeout: 60_000, maxBuffer: 1 << 24 });
  const exact = (sigma: number, epochs: number) => dpSgdEpsilon({ datasetSize: N, batchSize: BATCH, noiseMultiplier: sigma, epochs, delta: DELTA });

  for (const sigma of SIGMAS) {
    // Saved at full precision: equal to the accountant's answer for the same run to 1e-9.
    const saved = JSON.parse(readFileSync(join(out, `sigma-${sigma}.json`), 'utf8')) as Saved;
    expect(saved.meta).toMatchObject({ trainSize: N, batchSize: BATCH, noiseMultiplier: sigma, delta: DELTA });
    expect(saved.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    saved.rounds.forEach((r) => expect(Math.abs(r.epsilon - exact(sigma, r.round))).toBeLessThanOrEqual(1e-9));
    expect(Math.abs(saved.meta.epsilon - exact(sigma, EPOCHS))).toBeLessThanOrEqual(1e-9);

    // Printed as it trains, to 4 decimals.
    const printed = [...stdout.matchAll(new RegExp(`DP σ ${sigma}\\s+epoch\\s+(\\d)/3: ε = ([\\d.]+) \\(δ = 1e-5\\), held-out accuracy ([\\d.]+)%`, 'g'))];
    expect(printed.map((m) => Number(m[1]))).toEqual([1, 2, 3]);
    printed.forEach((m) => expect(Math.abs(Number(m[2]) - exact(sigma, Number(m[1])))).toBeLessThanOrEqual(5e-5));
    printed.forEach((m, i) => expect(Number(m[3])).toBeCloseTo(100 * saved.rounds[i]!.testAccuracy, 2));
    expect(readFileSync(join(out, `sigma-${sigma}.svg`), 'utf8')).toMatch(/^<svg [^]*<polyline [^]*<\/svg>\n$/);
  }
  // More noise, less ε: 11.00, 4.52, 2.62 for this run.
  const epsilons = SIGMAS.map((s) => exact(s, EPOCHS));
  expect(epsilons[0]).toBeGreaterThan(epsilons[1]!);
  expect(epsilons[1]).toBeGreaterThan(epsilons[2]!);

  // The final table: one row per run, ε to 2 decimals, accuracies in percent.
  const rows = new Map([...stdout.matchAll(/^(plain SGD|DP σ [\d.]+)\s+(-|[\d.]+)\s+(\d+)\s+(∞|[\d.]+)\s+([\d.]+)\s+([\d.]+)$/gm)].map((m) => [m[1]!, m]));
  expect([...rows.keys()]).toEqual(['plain SGD', ...SIGMAS.map((s) => `DP σ ${s}`)]);
  expect(rows.get('plain SGD')![4]).toBe('∞');
  SIGMAS.forEach((s, i) => expect(rows.get(`DP σ ${s}`)![4]).toBe(epsilons[i]!.toFixed(2)));
  const accuracy = (name: string) => Number(rows.get(name)![5]);
  for (const s of SIGMAS) expect(accuracy(`DP σ ${s}`)).toBeGreaterThan(30);
  expect(accuracy('plain SGD')).toBeGreaterThanOrEqual(accuracy(`DP σ ${SIGMAS.at(-1)}`) - 5);
}, 90_000);
