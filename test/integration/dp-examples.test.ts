/**
 * The DP examples' small variants, run as users run them (once: the byte
 * encoding's project leaves this file out). Example 11 (--quick: 1,024
 * training digits, batch 128, 3 epochs, σ 0.7, 1.1 and 1.5): the ε it prints
 * and saves after every epoch must be what sy.dp.dpSgdEpsilon says for the
 * same run (dpSgdTrain counts steps as it does); private models must learn
 * (far above the 10% of chance) and plain SGD must not do worse than the
 * most-noised run. Example 12 (--quick): ε per round is the accountant's.
 * The full runs are the examples themselves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
// sy.dp.dpSgdEpsilon, from its module: the whole package would add seconds of tfjs start-up to this test.
import { dpSgdEpsilon, RdpAccountant } from '../../src/dp/accountant.js';

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

// Example 12 runs as a user runs it (its protocol paths are test/integration/dp-fedavg.test.ts's).
test('example 12 (--quick): ε per round is the accountant\'s; the private and plain accuracies are sane', async () => {
  const example = fileURLToPath(new URL('../../examples/12-dp-fedavg-credit.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--expose-gc', example, '--quick'], { timeout: 120_000, maxBuffer: 1 << 24 });
  const setup = /^(\d+) users, q = ([\d.]+) \(clientsPerRound (\d+)\), z = ([\d.]+), S = ([\d.]+), δ = ([\de.-]+);/m.exec(stdout);
  expect(setup).not.toBeNull();
  const [users, q, perRound, z, , delta] = setup!.slice(1).map(Number) as [number, number, number, number, number, number];
  // 653 applicants, 131 held out: 522 users, one applicant each.
  expect([users, perRound]).toEqual([522, 50]);
  expect(q).toBeCloseTo(perRound / users, 4);
  const epsilons = [...stdout.matchAll(/^round (\d+): ε = ([\d.]+) at δ = 1e-5, (\d+) users took part/gm)].map((m) => ({ round: Number(m[1]), epsilon: Number(m[2]) }));
  expect(epsilons.map((e) => e.round)).toEqual([1, 2, 3, 4, 5]);
  // ε grows every round; the first and the last are the accountant's (printed to 4 decimals). Each accountant
  // query recomputes 151 orders' series (~0.5 s at this q), so not all five.
  epsilons.slice(1).forEach((e, k) => expect(e.epsilon).toBeGreaterThan(epsilons[k]!.epsilon));
  for (const { round, epsilon } of [epsilons[0]!, epsilons.at(-1)!]) {
    const want = new RdpAccountant().step({ noiseMultiplier: z, sampleRate: perRound / users }, round).getEpsilon(delta);
    expect(Math.abs(epsilon - want)).toBeLessThanOrEqual(5e-5);
  }
  const table = [...stdout.matchAll(/^(non-private FedAvg|DP-FedAvg, secure aggregation, z = [\d.]+)\s+\|\s+([\d.]+)%\s+\|\s+(\S+)/gm)];
  expect(table.map((m) => m[1])).toEqual(['non-private FedAvg', `DP-FedAvg, secure aggregation, z = ${z}`]);
  expect(Number(table[1]![3])).toBeCloseTo(epsilons.at(-1)!.epsilon, 4);
  const [plainAcc, privateAcc] = table.map((m) => Number(m[2])) as [number, number];
  // Held-out accuracy of the logistic regression after 5 rounds: ~82% without DP; 67-76% in 7 runs with DP at
  // z = 1.5, 50 users a round (noise zS/C = 0.015 a coordinate); the majority class alone gives ~55%.
  expect(plainAcc).toBeGreaterThan(75);
  expect(privateAcc).toBeGreaterThan(60);
  expect(privateAcc).toBeLessThanOrEqual(100);
  expect(stdout).toMatch(/objects left at the servers: 0, 0, 0/);
}, 120_000);
