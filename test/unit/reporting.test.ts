/**
 * Reporting: what a person reads at the end of a run (table, chart) and while
 * it runs (progress), and the JSON a tool reads back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import * as reporting from '../../src/reporting/index.js';
import type { RoundResult } from '../../src/reporting/index.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { textWidth } from '../../src/reporting/chart-svg.js';

const round = (n: number, fields: Partial<RoundResult> = {}): RoundResult => ({
  round: n,
  trainLoss: 1 / n,
  participants: ['alice', 'bob'],
  excluded: [],
  seconds: 1.5 * n,
  ...fields,
});

const run: RoundResult[] = [
  round(1, { trainLoss: 2.302585, trainAccuracy: 0.1, testAccuracy: 0.12345, seconds: 3.14159 }),
  round(2, { trainLoss: 0.61234, trainAccuracy: 0.8, testAccuracy: 0.85, excluded: [{ worker: 'carol', reason: 'timed out after 30s' }] }),
  round(3, { trainLoss: NaN, participants: [], excluded: [{ worker: 'alice', reason: 'crashed' }, { worker: 'bob', reason: 'crashed' }] }),
  round(4, { trainLoss: 0.40001, trainAccuracy: 0.9, testAccuracy: 0.91234 }),
];

/** A writable that keeps what it is given; isTTY as a terminal or a pipe would report it. */
class FakeStream extends Writable {
  text = '';
  readonly columns = 120;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'syft-reporting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('summary table', () => {
  const table = reporting.formatSummaryTable(run);
  const lines = table.split('\n');
  const rows = lines.filter((l) => /^\s*\d+\s/.test(l));

  test('a header and one aligned row per round', () => {
    expect(lines[0]).toMatch(/Round\s+Train loss\s+Train acc %\s+Test acc %\s+Participants\s+Excluded\s+Seconds/);
    expect(rows).toHaveLength(run.length);
    expect(new Set([lines[0]!.length, ...rows.map((r) => r.length)]).size).toBe(1);
  });

  test('loss with 4 decimals, accuracy in percent with 2, counts, seconds', () => {
    expect(rows[0]!.trim().split(/\s+/)).toEqual(['1', '2.3026', '10.00', '12.35', '2', '0', '3.14']);
    expect(rows[1]!.trim().split(/\s+/)).toEqual(['2', '0.6123', '80.00', '85.00', '2', '1', '3.00']);
    // No participants: the loss is NaN and the accuracies are missing.
    expect(rows[2]!.trim().split(/\s+/)).toEqual(['3', '-', '-', '-', '0', '2', '4.50']);
    expect(table).not.toMatch(/NaN|undefined/);
  });

  test('exclusions with their reasons, and the best test accuracy', () => {
    expect(table).toContain('round 2: carol (timed out after 30s)');
    expect(table).toContain('round 3: alice (crashed)');
    expect(lines.at(-1)).toBe('Best test accuracy: 91.23% (round 4)');
  });

  test('no best-accuracy line without test accuracy; a test loss column only when there is test loss', () => {
    const plain = reporting.formatSummaryTable([round(1), round(2)]);
    expect(plain).not.toContain('Best');
    expect(plain).not.toContain('Test loss');
    expect(reporting.formatSummaryTable([round(1, { testLoss: 0.123456 })])).toMatch(/Test loss[\s\S]*0\.1235/);
    expect(reporting.formatSummaryTable([])).toContain('(no rounds)');
  });

  test('a column that is empty in every row is left out; one with any value stays', () => {
    const noAccuracy = reporting.formatSummaryTable([round(1), round(2, { trainLoss: NaN })]);
    expect(noAccuracy.split('\n')[0]!.trim().split(/\s{2,}/)).toEqual(['Round', 'Train loss', 'Participants', 'Excluded', 'Seconds']);
    expect(noAccuracy).not.toMatch(/acc %/);
    // One round with a test accuracy keeps the column; the others show '-'.
    const some = reporting.formatSummaryTable([round(1), round(2, { testAccuracy: 0.5 })]);
    expect(some.split('\n')[0]!.trim().split(/\s{2,}/)).toEqual(['Round', 'Train loss', 'Test acc %', 'Participants', 'Excluded', 'Seconds']);
    expect(some.split('\n')[2]!.trim().split(/\s+/)).toEqual(['1', '1.0000', '-', '2', '0', '1.50']);
    // A loss that is NaN in every round leaves its column out too.
    expect(reporting.formatSummaryTable([round(1, { trainLoss: NaN, testAccuracy: 0.5 })])).not.toContain('Train loss');
  });
});

describe('progress', () => {
  test('quiet writes nothing', () => {
    for (const isTTY of [true, false]) {
      const stream = new FakeStream(isTTY);
      const progress = reporting.createProgress({ quiet: true, stream, total: 3, label: 'round' });
      progress.tick(1, { loss: 0.5 });
      progress.tick();
      progress.stop();
      expect(stream.text).toBe('');
    }
  });

  test('not a terminal: one plain line per unit, no cursor codes, ending with the total', () => {
    const stream = new FakeStream(false);
    const progress = reporting.createProgress({ stream, total: 5, label: 'round' });
    for (let i = 1; i <= 5; i++) progress.tick(i, { loss: 1 / i, worker: 'bob' });
    progress.stop();
    progress.stop();
    const lines = stream.text.trimEnd().split('\n');
    expect(stream.text).not.toContain('\x1b');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^round 1\/5 \(20%\) \| \d+s elapsed \| ETA \S+ \| loss=1 worker=bob$/);
    expect(lines[2]).toContain('loss=0.3333');
    expect(lines.at(-1)).toMatch(/^round 5\/5 \(100%\)/);
  });

  test('not a terminal, many units: about one line per tenth', () => {
    const stream = new FakeStream(false);
    const progress = reporting.createProgress({ stream, total: 1000, label: 'epoch' });
    for (let i = 0; i < 1000; i++) progress.tick();
    progress.stop();
    const lines = stream.text.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines.at(-1)).toMatch(/^epoch 1000\/1000 \(100%\)/);
  });

  test('not a terminal, stopped early: the last line says where the run got to', () => {
    const stream = new FakeStream(false);
    const progress = reporting.createProgress({ stream, total: 100, label: 'round' });
    for (let i = 0; i < 37; i++) progress.tick();
    progress.stop();
    progress.tick();
    expect(stream.text.trimEnd().split('\n').at(-1)).toMatch(/^round 37\/100 \(37%\)/);
  });

  test('a terminal gets a cli-progress bar with the label, counts and info', () => {
    const stream = new FakeStream(true);
    const progress = reporting.createProgress({ stream, total: 2, label: 'round' });
    progress.tick(1, { loss: 0.25 });
    progress.tick(2, { loss: 0.125 });
    progress.stop();
    expect(stream.text).toContain('\x1b[');
    expect(stream.text).toMatch(/round .*100% \| 2\/2 .*loss=0\.1250/);
  });

  test('bad totals and ticks are InvalidArgumentError', () => {
    expect(() => reporting.createProgress({ total: -1, label: 'round' })).toThrow(InvalidArgumentError);
    expect(() => reporting.createProgress({ total: 1.5, label: 'round' })).toThrow(InvalidArgumentError);
    const progress = reporting.createProgress({ stream: new FakeStream(false), total: 2, label: 'round' });
    expect(() => progress.tick(3)).toThrow(InvalidArgumentError);
    expect(() => progress.tick(NaN)).toThrow(InvalidArgumentError);
    progress.stop();
  });

  test('isQuiet: --quiet or SYFT_QUIET=1', () => {
    expect(reporting.isQuiet(['node', 'train.js', '--quiet'], {})).toBe(true);
    expect(reporting.isQuiet(['node', 'train.js'], { SYFT_QUIET: '1' })).toBe(true);
    expect(reporting.isQuiet(['node', 'train.js'], { SYFT_QUIET: '0' })).toBe(false);
    expect(reporting.isQuiet(['node', 'train.js'], {})).toBe(false);
  });
});

describe('results JSON', () => {
  test('round trip, NaN as null, meta kept, parent directories made', () => {
    const path = join(dir, 'nested', 'deeper', 'results.json');
    reporting.writeResultsJson(path, run, { model: 'mlp', lr: 0.01 });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('NaN');
    const read = JSON.parse(text) as { meta: Record<string, unknown>; rounds: unknown[] };
    expect(read.meta).toEqual({ model: 'mlp', lr: 0.01 });
    expect(read.rounds).toEqual(run.map((r) => (Number.isNaN(r.trainLoss) ? { ...r, trainLoss: null } : r)));
    reporting.writeResultsJson(join(dir, 'no-meta.json'), run.slice(0, 1));
    expect(JSON.parse(readFileSync(join(dir, 'no-meta.json'), 'utf8')).meta).toEqual({});
  });
});

describe('SVG chart', () => {
  const polylines = (svg: string) => [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1]!.trim().split(/\s+/));
  const wellFormed = (svg: string) => {
    expect(svg.trimStart().startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    // XML-ish: every tag closed or self-closed, no stray & or < in text.
    const opened = [...svg.matchAll(/<([a-z]+)[^>]*?(\/?)>/g)].filter((m) => m[2] !== '/').map((m) => m[1]);
    const closed = [...svg.matchAll(/<\/([a-z]+)>/g)].map((m) => m[1]);
    expect(opened.sort()).toEqual(closed.sort());
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
  };

  test('one polyline per series with a point per finite value; title escaped; axes and legend', () => {
    const title = 'MNIST <non-iid> & 3 workers';
    const svg = reporting.renderChartSvg(run, { title });
    wellFormed(svg);
    expect(svg).toContain('MNIST &lt;non-iid&gt; &amp; 3 workers');
    expect(svg).not.toContain(title);
    const lines = polylines(svg);
    // Train loss, train accuracy, test accuracy; round 3 is NaN or missing in each.
    expect(lines.map((l) => l.length)).toEqual([3, 3, 3]);
    for (const label of ['Train loss', 'Train accuracy', 'Test accuracy', 'Round', 'Loss', 'Accuracy (%)', '100%']) expect(svg).toContain(label);
  });

  test('one round, constant series, no values at all: no NaN', () => {
    const one = reporting.renderChartSvg([round(1, { testAccuracy: 0.5 })], { title: 'one' });
    wellFormed(one);
    expect(polylines(one).map((l) => l.length)).toEqual([1, 1]);

    const flat = reporting.renderChartSvg([1, 2, 3].map((n) => round(n, { trainLoss: 0.5, testAccuracy: 0.7, testLoss: 0 })), { title: 'flat' });
    wellFormed(flat);
    expect(polylines(flat).map((l) => l.length)).toEqual([3, 3, 3]);

    const empty = reporting.renderChartSvg([round(1, { trainLoss: NaN }), round(2, { trainLoss: Infinity })], { title: 'empty' });
    wellFormed(empty);
    expect(polylines(empty)).toHaveLength(0);
    wellFormed(reporting.renderChartSvg([], { title: 'nothing', width: 320, height: 240 }));
  });

  test('huge and tiny losses and out-of-range accuracy stay finite', () => {
    const svg = reporting.renderChartSvg([round(1, { trainLoss: 3e38, testAccuracy: 1.5 }), round(2, { trainLoss: 1e-30, testAccuracy: -0.2 })], {
      title: 'extremes',
    });
    wellFormed(svg);
    expect(() => reporting.renderChartSvg(run, { title: 'x', width: 10 })).toThrow(InvalidArgumentError);
  });

  /** The tick labels of the left (loss) or right (accuracy) axis, as numbers. */
  const ticks = (svg: string, side: 'left' | 'right'): number[] =>
    [...svg.matchAll(new RegExp(`<text [^>]*text-anchor="${side === 'left' ? 'end' : 'start'}">([^<]*)</text>`, 'g'))]
      .map((m) => m[1]!)
      .filter((text) => side === 'left' || text.endsWith('%'))
      .map((text) => Number(text.replace('%', '')));
  const frame = (svg: string) => {
    const m = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!;
    const [left, top, w, h] = m.slice(1).map(Number) as [number, number, number, number];
    return { left, top, right: left + w, bottom: top + h };
  };
  const isNiceStep = (step: number) => {
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
  };
  const evenlyNice = (values: readonly number[]) => {
    const steps = values.slice(1).map((v, i) => v - values[i]!);
    expect(steps.every((s) => Math.abs(s - steps[0]!) < 1e-9), `steps ${steps.join(',')}`).toBe(true);
    expect(isNiceStep(steps[0]!), `step ${steps[0]}`).toBe(true);
  };
  const accuracyRun = (lo: number, hi: number): RoundResult[] =>
    Array.from({ length: 10 }, (_, i) => round(i + 1, { trainLoss: 0.35 - i * 0.005, testAccuracy: lo + ((hi - lo) * i) / 9, trainAccuracy: lo + ((hi - lo) * i) / 10 }));

  test('the accuracy axis is fitted to the accuracies, with room on both sides and nice ticks, within 0-100%', () => {
    const svg = reporting.renderChartSvg(accuracyRun(0.95, 0.97), { title: 'fitted' });
    const right = ticks(svg, 'right');
    expect(right.length).toBeGreaterThanOrEqual(3);
    expect(right.length).toBeLessThanOrEqual(11);
    expect(right[0]).toBeLessThan(95);
    expect(right[0]).toBeGreaterThanOrEqual(90);
    expect(right.at(-1)).toBeGreaterThan(97);
    expect(right.at(-1)).toBeLessThanOrEqual(100);
    evenlyNice(right);
    // Near 100% the axis stops at 100%; near 0% at 0%.
    expect(ticks(reporting.renderChartSvg(accuracyRun(0.99, 1), { title: 'top' }), 'right').at(-1)).toBe(100);
    expect(ticks(reporting.renderChartSvg(accuracyRun(0, 0.02), { title: 'bottom' }), 'right')[0]).toBe(0);
    // No accuracy at all: no accuracy axis.
    const lossOnly = reporting.renderChartSvg([round(1), round(2)], { title: 'loss only' });
    expect(ticks(lossOnly, 'right')).toEqual([]);
    expect(lossOnly).not.toContain('Accuracy (%)');
  });

  test('the loss axis is fitted to the losses, never below zero when no loss is negative', () => {
    const svg = reporting.renderChartSvg(accuracyRun(0.5, 0.6), { title: 'loss' });
    const left = ticks(svg, 'left');
    // Losses 0.305-0.35: an axis from 0 would flatten them.
    expect(left[0]).toBeGreaterThan(0.2);
    expect(left[0]).toBeLessThanOrEqual(0.305);
    expect(left.at(-1)).toBeGreaterThanOrEqual(0.35);
    expect(left.at(-1)).toBeLessThan(0.45);
    evenlyNice(left);
    const small = ticks(reporting.renderChartSvg([round(1, { trainLoss: 0.01 }), round(2, { trainLoss: 0.3 })], { title: 'small' }), 'left');
    expect(small[0]).toBe(0);
  });

  test('every point lies inside the plot frame, off its edges', () => {
    for (const svg of [reporting.renderChartSvg(accuracyRun(0.95, 0.97), { title: 'inside' }), reporting.renderChartSvg(run, { title: 'run' })]) {
      const f = frame(svg);
      const ys = polylines(svg).flat().map((p) => Number(p.split(',')[1]));
      expect(ys.length).toBeGreaterThan(0);
      for (const y of ys) {
        expect(y).toBeGreaterThanOrEqual(f.top);
        expect(y).toBeLessThanOrEqual(f.bottom);
      }
    }
    // Fitted with room to spare: the extreme accuracies are not drawn on the frame.
    const svg = reporting.renderChartSvg(accuracyRun(0.95, 0.97), { title: 'room' });
    const f = frame(svg);
    const accuracyYs = polylines(svg).slice(1).flat().map((p) => Number(p.split(',')[1]));
    expect(Math.min(...accuracyYs)).toBeGreaterThan(f.top);
    expect(Math.max(...accuracyYs)).toBeLessThan(f.bottom);
  });

  const titleLines = (svg: string) =>
    [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="middle" font-size="([\d.]+)" font-weight="bold">([^<]*)<\/text>/g)].map((m) => ({
      y: Number(m[1]),
      size: Number(m[2]),
      text: m[3]!.replace(/&amp;/g, '&'),
    }));

  test.each([320, 480, 800])('a long title fits a %i px wide chart: smaller, wrapped on balanced lines, all its words kept', (width) => {
    const title = 'FedAvg on UCI Credit Approval: 653 data owners, one worker each, with a trusted aggregator & 10 rounds';
    const svg = reporting.renderChartSvg(run, { title, width, height: 300 });
    wellFormed(svg);
    const lines = titleLines(svg);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(3);
    for (const line of lines) {
      expect(line.size).toBeGreaterThanOrEqual(12);
      expect(textWidth(line.text, line.size, true)).toBeLessThanOrEqual(width - 32);
    }
    expect(lines.map((l) => l.text).join(' ')).toBe(title);
    // Balanced: no line is less than half as wide as the longest.
    const widths = lines.map((l) => textWidth(l.text, l.size, true));
    expect(Math.min(...widths)).toBeGreaterThan(Math.max(...widths) / 2);
    // The title ends above the plot.
    expect(lines.at(-1)!.y).toBeLessThan(frame(svg).top);
  });

  test('a title too long for three lines is cut with an ellipsis; <title> keeps it whole', () => {
    const title = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const svg = reporting.renderChartSvg(run, { title, width: 320, height: 240 });
    const lines = titleLines(svg);
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)!.text.endsWith('…')).toBe(true);
    for (const line of lines) expect(textWidth(line.text, line.size, true)).toBeLessThanOrEqual(320 - 32);
    expect(svg).toContain(`<title>${title}</title>`);
  });

  test.each([
    [320, 240],
    [400, 300],
    [800, 450],
  ])('at %ix%i the legend sits below the round axis, inside the chart, entries not overlapping', (width, height) => {
    const all = [round(1, { testLoss: 0.5, trainAccuracy: 0.5, testAccuracy: 0.6 }), round(2, { testLoss: 0.4, trainAccuracy: 0.6, testAccuracy: 0.7 })];
    const svg = reporting.renderChartSvg(all, { title: 'A chart title of a usual length: bob and alice', width, height });
    const roundLabel = Number(/<text x="[\d.]+" y="([\d.]+)" text-anchor="middle">Round<\/text>/.exec(svg)![1]);
    const entries = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)">([^<]*\((?:left|right)\))<\/text>/g)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      label: m[3]!,
    }));
    expect(entries.map((e) => e.label)).toEqual(['Train loss (left)', 'Test loss (left)', 'Train accuracy (right)', 'Test accuracy (right)']);
    const f = frame(svg);
    expect(f.bottom - f.top).toBeGreaterThan(40);
    for (const [i, e] of entries.entries()) {
      expect(e.y).toBeGreaterThan(roundLabel + 12);
      expect(e.y).toBeLessThanOrEqual(height);
      expect(e.x).toBeGreaterThanOrEqual(0);
      expect(e.x + textWidth(e.label, 12)).toBeLessThanOrEqual(width);
      const next = entries[i + 1];
      if (next !== undefined && next.y === e.y) expect(next.x).toBeGreaterThan(e.x + textWidth(e.label, 12));
    }
  });

  test('writeChartSvg makes parent directories', () => {
    const path = join(dir, 'charts', 'run.svg');
    reporting.writeChartSvg(path, run, { title: 'run' });
    expect(readFileSync(path, 'utf8')).toBe(reporting.renderChartSvg(run, { title: 'run' }));
  });
});
