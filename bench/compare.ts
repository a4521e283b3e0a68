/**
 * `npm run bench:compare [-- A B]`: the ratios of two bench runs side by side,
 * so a change that slows the hot path shows in review. A and B are run files
 * written by `npm run bench` (bench/results/<time>.json) or folders of them,
 * whose per-ratio medians are compared (machines here are noisy: compare
 * medians of several runs). Without arguments: the two newest runs in
 * bench/results.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Ratio } from './stats.js';

interface RunFile {
  readonly date: string;
  readonly commit?: string | null;
  readonly benches: Record<string, { readonly ratios?: readonly Ratio[] }>;
}

interface Side {
  readonly label: string;
  readonly runs: number;
  /** bench/ratio name → the median over the side's runs, and the ratio's goal. */
  readonly ratios: ReadonlyMap<string, { value: number; ratio: Ratio }>;
}

const results = fileURLToPath(new URL('./results/', import.meta.url));

function runFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(path, f));
}

function readRun(file: string): RunFile {
  const run = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunFile>;
  if (typeof run.benches !== 'object' || run.benches === null) {
    throw new Error(`${file} is not a run file of npm run bench (no "benches"): pass files from bench/results or folders of them.`);
  }
  return run as RunFile;
}

function side(path: string): Side {
  const files = runFiles(path);
  if (files.length === 0) throw new Error(`${path} holds no run files: run npm run bench first.`);
  const values = new Map<string, { values: number[]; ratio: Ratio }>();
  const commits = new Set<string>();
  for (const file of files) {
    const run = readRun(file);
    if (run.commit) commits.add(run.commit);
    for (const [bench, section] of Object.entries(run.benches)) {
      for (const ratio of section.ratios ?? []) {
        const key = `${bench}: ${ratio.name}`;
        const entry = values.get(key) ?? { values: [], ratio };
        entry.values.push(ratio.value);
        values.set(key, entry);
      }
    }
  }
  const label = `${relative(process.cwd(), path) || path}${commits.size > 0 ? ` (${[...commits].join(', ')})` : ''}`;
  return { label, runs: files.length, ratios: new Map([...values].map(([k, v]) => [k, { value: median(v.values), ratio: v.ratio }])) };
}

function newestTwo(): [string, string] {
  const files = runFiles(results);
  if (files.length < 2) throw new Error(`bench/results holds ${files.length} run file(s): compare needs two (run npm run bench, or pass two paths).`);
  return [files.at(-2)!, files.at(-1)!];
}

function goal(r: Ratio): string {
  return r.target === undefined ? '' : `${r.better === 'higher' ? '>=' : '<='} ${r.target}`;
}

function meets(r: Ratio, value: number): string {
  if (r.target === undefined) return '';
  return (r.better === 'higher' ? value >= r.target : value <= r.target) ? 'PASS' : 'MISS';
}

/** How much better (+) or worse (−) B is than A, in the ratio's own direction. */
function change(r: Ratio, a: number, b: number): string {
  const better = r.better === 'higher' ? b / a - 1 : a / b - 1;
  return `${better >= 0 ? '+' : '−'}${Math.abs(better * 100).toFixed(0)}%`;
}

const args = process.argv.slice(2);
if (args.length !== 0 && args.length !== 2) {
  console.error('usage: npm run bench:compare [-- <run file or folder A> <run file or folder B>]');
  process.exit(2);
}
const [pathA, pathB] = args.length === 2 ? [args[0]!, args[1]!] : newestTwo();
const [a, b] = [side(pathA), side(pathB)];
console.log(`A: ${a.label}, ${a.runs} run(s)\nB: ${b.label}, ${b.runs} run(s)\n(medians per ratio; change is B against A, + better in the ratio's own direction)\n`);
const names = [...new Set([...a.ratios.keys(), ...b.ratios.keys()])];
const width = Math.max(...names.map((n) => n.length));
console.log(`${'ratio'.padEnd(width)}  ${'A'.padStart(8)}  ${'B'.padStart(8)}  change  goal`);
for (const name of names) {
  const [ra, rb] = [a.ratios.get(name), b.ratios.get(name)];
  const r = (rb ?? ra)!.ratio;
  const cell = (s?: { value: number }) => (s === undefined ? '—' : s.value.toFixed(2)).padStart(8);
  const delta = ra && rb ? change(r, ra.value, rb.value).padStart(6) : ''.padStart(6);
  const verdicts = [ra && `A ${meets(r, ra.value)}`, rb && `B ${meets(r, rb.value)}`].filter((v) => v && !v.endsWith(' ')).join(', ');
  console.log(`${name.padEnd(width)}  ${cell(ra)}  ${cell(rb)}  ${delta}  ${goal(r)}${verdicts ? ` (${verdicts})` : ''}`);
}
