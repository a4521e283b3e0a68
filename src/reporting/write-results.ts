/**
 * A run's results as files: JSON for tools (and for reporting the run again
 * later), an SVG chart for people. Written synchronously: this happens once,
 * at the end of a run, and a script that exits right after must not lose it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderChartSvg, type ChartOptions } from './chart-svg.js';
import type { RoundResult } from './round-result.js';


/** Writes `{ meta, rounds }` as indented JSON. NaN and ±Infinity (a round without participants) become null. */
export function writeResultsJson(path: string, results: readonly RoundResult[], meta: Record<string, unknown> = {}): void {
  // JSON.stringify already writes non-finite numbers as null; spelled out here because readers depend on it.
  const json = JSON.stringify({ meta, rounds: results }, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
  writeFile(path, json + '\n');
}

export function writeChartSvg(path: string, results: readonly RoundResult[], options: ChartOptions): void {
  writeFile(path, renderChartSvg(results, options));
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, 'utf8');
}
