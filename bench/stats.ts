/**
 * Benchmark helpers. Machines here are shared and noisy: every figure is a
 * median of repeats after a warm-up, and every claim is a ratio against a
 * baseline measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median duration in ms of `fn` over `repeats` runs, after `warmup` unmeasured runs. */
export async function timeMedian(fn: () => unknown, { warmup = 2, repeats = 7 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export interface Row {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`  ${r.name.padEnd(width)}  ${format(r.value).padStart(12)} ${r.unit}`);
}

export interface Ratio {
  readonly name: string;
  readonly value: number;
  /** The goal, and which side of it meets it; none for a ratio shown only to explain another. */
  readonly target?: number;
  readonly better: 'higher' | 'lower';
}

/** Whether a ratio met its goal; undefined when it has none. */
export function verdict(r: Ratio): 'PASS' | 'MISS' | undefined {
  if (r.target === undefined) return undefined;
  return (r.better === 'higher' ? r.value >= r.target : r.value <= r.target) ? 'PASS' : 'MISS';
}

export function printRatios(ratios: readonly Ratio[]): void {
  console.log('\nRatios against baselines measured in this run (PASS: the goal is met on this machine, MISS: not)');
  const width = Math.max(...ratios.map((r) => r.name.length));
  for (const r of ratios) {
    const goal = r.target === undefined ? 'no goal' : `goal ${r.better === 'higher' ? '>=' : '<='} ${r.target}`;
    console.log(`  ${r.name.padEnd(width)}  ${r.value.toFixed(2).padStart(8)}  (${goal})${verdict(r) === undefined ? '' : ` ${verdict(r)}`}`);
  }
}

/** One file per process: every bench run in it (alone, or all of them by `npm run bench`) adds its section. */
interface RunFile {
  readonly date: string;
  readonly machine: Record<string, unknown>;
  readonly commit: string | null;
  readonly benches: Record<string, Record<string, unknown>>;
}
let current: { readonly file: URL; readonly run: RunFile } | undefined;

/**
 * Records a bench's figures in bench/results/<time>.json, the file of this
 * run, with the machine and the commit beside them: a figure means nothing
 * without them, and `npm run bench:compare` reads two such files (or two
 * folders of them) side by side. The file is rewritten after each bench, so
 * a run cut short keeps what it measured.
 */
export function saveResults(name: string, data: Record<string, unknown>): void {
  if (current === undefined) {
    const dir = new URL('./results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const date = new Date().toISOString();
    const file = new URL(`${date.replace(/[:.]/g, '-')}.json`, dir);
    const machine = { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGB: Math.round(totalmem() / 2 ** 30), load: loadavg().map((l) => Number(l.toFixed(2))) };
    current = { file, run: { date, machine, commit: commit(), benches: {} } };
  }
  const ratios = Array.isArray(data['ratios']) ? (data['ratios'] as Ratio[]).map((r) => ({ ...r, verdict: verdict(r) ?? null })) : undefined;
  current.run.benches[name] = { date: new Date().toISOString(), ...data, ...(ratios ? { ratios } : {}) };
  writeFileSync(current.file, JSON.stringify(current.run, null, 2) + '\n');
  console.log(`  saved ${fileURLToPath(current.file).replace(`${process.cwd()}/`, '')} (${name})`);
}

/** The commit measured, marked dirty when the work tree has changes; null outside a git checkout. */
function commit(): string | null {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') === '' ? '' : '-dirty'}`;
  } catch {
    return null;
  }
}

function format(v: number): string {
  // Counts (bytes, commands) are whole numbers: no decimals to read past.
  return Number.isInteger(v) || v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4);
}
