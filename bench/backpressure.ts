/**
 * Memory of a synchronous loop that issues a million ops without awaiting:
 * with the default backpressure bound, against the same loop with the bound
 * lifted, in the same run. Each variant runs in a child process of its own, so
 * neither sees the other's heap; peaks are sampled after a forced GC every
 * 100,000 ops. The loop disposes its pointers in sy.tidy blocks of 1,000, as
 * a long loop should (pointers created in one synchronous stretch are only
 * collected when it yields).
 *
 *   npm run build && npx tsx --expose-gc bench/backpressure.ts
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as sy from '../dist/src/index.js';
import { median, printRatios, printTable, type Row, saveResults } from './stats.js';

const OPS = 1_000_000;
const RUNS = 3;

interface Sample {
  readonly peakHeapMB: number;
  readonly peakRssMB: number;
  readonly seconds: number;
  readonly maxUnfinished: number;
}

async function child(bounded: boolean): Promise<void> {
  const hook = await sy.hook(tf, bounded ? {} : { backpressure: { commands: Number.MAX_SAFE_INTEGER, bytes: Number.MAX_SAFE_INTEGER } });
  const [bob] = await hook.virtualWorkers(['bob'], { threads: 1 });
  const x = sy.tensor([1, 2, 3, 4, 5]).send(bob!);
  const gc = (globalThis as { gc?: () => void }).gc!;
  let peakHeap = 0;
  let peakRss = 0;
  const sample = (): void => {
    gc();
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  const t0 = performance.now();
  for (let i = 0; i < OPS; i += 1000) {
    sy.tidy(() => {
      for (let j = 0; j < 1000; j++) x.add(1);
    });
    if (i % 100_000 === 0) sample();
  }
  await hook.settle();
  sample();
  const result: Sample = {
    peakHeapMB: peakHeap / 2 ** 20,
    peakRssMB: peakRss / 2 ** 20,
    seconds: (performance.now() - t0) / 1000,
    maxUnfinished: hook.transportStats().maxUnfinished,
  };
  console.log(JSON.stringify(result));
  await hook.shutdown();
}

function measure(bounded: boolean): Sample {
  const out = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), bounded ? 'bounded' : 'unbounded'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr.slice(-2000)}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Sample;
}

export async function run(): Promise<void> {
  const samples = { bounded: [] as Sample[], unbounded: [] as Sample[] };
  // Alternate, so both see the same machine load.
  for (let r = 0; r < RUNS; r++) {
    samples.unbounded.push(measure(false));
    samples.bounded.push(measure(true));
  }
  const med = (which: keyof typeof samples, key: keyof Sample): number => median(samples[which].map((s) => s[key]));
  const rows: Row[] = [];
  for (const which of ['unbounded', 'bounded'] as const) {
    rows.push({ name: `${which}: peak heap`, value: med(which, 'peakHeapMB'), unit: 'MB' });
    rows.push({ name: `${which}: peak RSS`, value: med(which, 'peakRssMB'), unit: 'MB' });
    rows.push({ name: `${which}: commands sent, not finished (max)`, value: med(which, 'maxUnfinished'), unit: '' });
    rows.push({ name: `${which}: ${OPS} ops, issued and settled`, value: med(which, 'seconds'), unit: 's' });
  }
  printTable(`bench/backpressure: ${OPS.toLocaleString('en')} ops issued without await, in sy.tidy blocks of 1,000 (medians of ${RUNS} runs, each in its own process)`, rows);
  const ratios = [
    { name: 'peak RSS, bounded / unbounded', value: med('bounded', 'peakRssMB') / med('unbounded', 'peakRssMB'), target: 1, better: 'lower' as const },
    { name: 'peak heap, bounded / unbounded', value: med('bounded', 'peakHeapMB') / med('unbounded', 'peakHeapMB'), target: 1, better: 'lower' as const },
    { name: 'time, bounded / unbounded', value: med('bounded', 'seconds') / med('unbounded', 'seconds'), target: 1.1, better: 'lower' as const },
  ];
  printRatios(ratios);
  saveResults('backpressure', { rows, ratios, samples });
}

const mode = process.argv[2];
if (mode === 'bounded' || mode === 'unbounded') await child(mode === 'bounded');
else if (import.meta.url === `file://${process.argv[1]}`) await run();
