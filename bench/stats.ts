/**
 * Benchmark helpers. Machines here are shared and noisy: every figure is a
 * median of repeats after a warm-up, and every claim is a ratio against a
 * baseline measured in the same run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

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
  /** The target and which side of it passes. */
  readonly target: number;
  readonly better: 'higher' | 'lower';
}

export function printRatios(ratios: readonly Ratio[]): void {
  console.log('\nRatios (targets are for the benchmark, never asserted in tests)');
  for (const r of ratios) {
    const pass = r.better === 'higher' ? r.value >= r.target : r.value <= r.target;
    console.log(`  ${r.name}: ${r.value.toFixed(2)} (target ${r.better === 'higher' ? '>=' : '<='} ${r.target}) ${pass ? 'PASS' : 'MISS'}`);
  }
}

export function saveResults(name: string, data: unknown): void {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(data, null, 2));
}

function format(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4);
}
