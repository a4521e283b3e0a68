/**
 * A line chart of a run as one self-contained SVG file: no scripts, fonts or
 * stylesheets to fetch, so it opens the same in a browser, an image viewer or
 * a CI artifact preview. Loss and accuracy have different units, so loss is
 * on the left axis (scaled to the data) and accuracy on the right (0-100%).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { RoundResult } from './round-result.js';

export interface ChartOptions {
  readonly title: string;
  /** Pixels; default 800. */
  readonly width?: number;
  /** Pixels; default 450. */
  readonly height?: number;
}

interface Series {
  readonly label: string;
  readonly axis: 'loss' | 'accuracy';
  readonly color: string;
  readonly dash?: string;
  readonly value: (r: RoundResult) => number | undefined;
}

// In each pair the line a reader looks at first is solid: training loss, test accuracy.
const SERIES: readonly Series[] = [
  { label: 'Train loss (left)', axis: 'loss', color: '#1f77b4', value: (r) => r.trainLoss },
  { label: 'Test loss (left)', axis: 'loss', color: '#9467bd', dash: '6 4', value: (r) => r.testLoss },
  { label: 'Train accuracy (right)', axis: 'accuracy', color: '#2ca02c', dash: '6 4', value: (r) => r.trainAccuracy },
  { label: 'Test accuracy (right)', axis: 'accuracy', color: '#d62728', value: (r) => r.testAccuracy },
];

const MARGIN = { top: 48, right: 76, bottom: 96, left: 76 } as const;
const MIN_WIDTH = 320;
const MIN_HEIGHT = 240;
/** Beyond this many points per line, markers only clutter. */
const MAX_MARKERS = 50;

export function renderChartSvg(results: readonly RoundResult[], options: ChartOptions): string {
  const width = options.width ?? 800;
  const height = options.height ?? 450;
  if (!(Number.isFinite(width) && width >= MIN_WIDTH && Number.isFinite(height) && height >= MIN_HEIGHT)) {
    throw new InvalidArgumentError(`renderChartSvg: width and height must be at least ${MIN_WIDTH}x${MIN_HEIGHT} pixels; got ${width}x${height}.`);
  }
  const rounds = results.filter((r) => Number.isFinite(r.round)).sort((a, b) => a.round - b.round);
  const lines = SERIES.map((s) => ({
    ...s,
    points: rounds.flatMap((r) => {
      const v = s.value(r);
      return v !== undefined && Number.isFinite(v) ? [{ round: r.round, value: v }] : [];
    }),
  })).filter((s) => s.points.length > 0);

  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  const roundMin = rounds[0]?.round ?? 1;
  const roundMax = rounds.at(-1)?.round ?? 1;
  // One round (or none) has no span to scale: put it in the middle.
  const x = (round: number) =>
    roundMax === roundMin ? (plot.left + plot.right) / 2 : plot.left + ((round - roundMin) / (roundMax - roundMin)) * (plot.right - plot.left);
  const lossValues = lines.filter((s) => s.axis === 'loss').flatMap((s) => s.points.map((p) => p.value));
  const loss = niceScale(lossValues);
  const yLoss = (v: number) => plot.bottom - ((v - loss.lo) / (loss.hi - loss.lo)) * (plot.bottom - plot.top);
  // Accuracies are documented to be in [0, 1]; clamped so a bad one cannot draw outside the frame.
  const yAccuracy = (v: number) => plot.bottom - Math.min(1, Math.max(0, v)) * (plot.bottom - plot.top);
  const y = (axis: Series['axis'], v: number) => (axis === 'loss' ? yLoss(v) : yAccuracy(v));

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${n(width)}" height="${n(height)}" fill="#fff"/>`,
    `<text x="${n(width / 2)}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
  );

  // Grid and left axis (loss).
  for (const tick of loss.ticks) {
    const ty = yLoss(tick);
    out.push(
      `<line x1="${n(plot.left)}" y1="${n(ty)}" x2="${n(plot.right)}" y2="${n(ty)}" stroke="#e5e5e5"/>`,
      `<line x1="${n(plot.left - 5)}" y1="${n(ty)}" x2="${n(plot.left)}" y2="${n(ty)}" stroke="#666"/>`,
      `<text x="${n(plot.left - 8)}" y="${n(ty + 4)}" text-anchor="end">${escapeXml(loss.format(tick))}</text>`,
    );
  }
  // Right axis (accuracy).
  for (let percent = 0; percent <= 100; percent += 20) {
    const ty = yAccuracy(percent / 100);
    out.push(
      `<line x1="${n(plot.right)}" y1="${n(ty)}" x2="${n(plot.right + 5)}" y2="${n(ty)}" stroke="#666"/>`,
      `<text x="${n(plot.right + 8)}" y="${n(ty + 4)}" text-anchor="start">${percent}%</text>`,
    );
  }
  // Bottom axis (round).
  for (const round of roundTicks(roundMin, roundMax)) {
    const tx = x(round);
    out.push(
      `<line x1="${n(tx)}" y1="${n(plot.bottom)}" x2="${n(tx)}" y2="${n(plot.bottom + 5)}" stroke="#666"/>`,
      `<text x="${n(tx)}" y="${n(plot.bottom + 19)}" text-anchor="middle">${round}</text>`,
    );
  }
  out.push(
    `<rect x="${n(plot.left)}" y="${n(plot.top)}" width="${n(plot.right - plot.left)}" height="${n(plot.bottom - plot.top)}" fill="none" stroke="#666"/>`,
    `<text x="${n((plot.left + plot.right) / 2)}" y="${n(plot.bottom + 38)}" text-anchor="middle">Round</text>`,
    axisTitle('Loss', 20, (plot.top + plot.bottom) / 2, -90),
    axisTitle('Accuracy (%)', width - 20, (plot.top + plot.bottom) / 2, 90),
  );

  for (const s of lines) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    const coords = s.points.map((p) => `${n(x(p.round))},${n(y(s.axis, p.value))}`);
    out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${dash}/>`);
    // A line through one point draws nothing; markers keep short runs visible.
    if (s.points.length <= MAX_MARKERS) {
      for (const p of s.points) out.push(`<circle cx="${n(x(p.round))}" cy="${n(y(s.axis, p.value))}" r="3" fill="${s.color}"/>`);
    }
  }
  if (lines.length === 0) {
    out.push(`<text x="${n((plot.left + plot.right) / 2)}" y="${n((plot.top + plot.bottom) / 2)}" text-anchor="middle" fill="#888">No values to plot</text>`);
  }

  out.push(...legend(lines, width, plot.bottom + 62));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function axisTitle(text: string, cx: number, cy: number, angle: number): string {
  return `<text x="${n(cx)}" y="${n(cy)}" text-anchor="middle" transform="rotate(${angle} ${n(cx)} ${n(cy)})">${escapeXml(text)}</text>`;
}

/** Entries centred in rows under the plot; a narrow chart wraps them onto more rows. */
function legend(lines: readonly Series[], width: number, top: number): string[] {
  const sample = 24;
  // No text measurement in a static file: about 7px a character at 12px is close enough to space entries.
  const entryWidth = (s: Series) => sample + 6 + s.label.length * 7 + 18;
  const rows: Series[][] = [];
  let rowWidth = Infinity;
  for (const s of lines) {
    if (rowWidth + entryWidth(s) > width - 20) {
      rows.push([]);
      rowWidth = 0;
    }
    rows.at(-1)!.push(s);
    rowWidth += entryWidth(s);
  }
  const out: string[] = [];
  rows.forEach((row, i) => {
    const ly = top + i * 18;
    let lx = (width - row.reduce((sum, s) => sum + entryWidth(s), 0)) / 2;
    for (const s of row) {
      const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
      out.push(
        `<line x1="${n(lx)}" y1="${n(ly)}" x2="${n(lx + sample)}" y2="${n(ly)}" stroke="${s.color}" stroke-width="2"${dash}/>`,
        `<text x="${n(lx + sample + 6)}" y="${n(ly + 4)}">${escapeXml(s.label)}</text>`,
      );
      lx += entryWidth(s);
    }
  });
  return out;
}

interface Scale {
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly number[];
  readonly format: (v: number) => string;
}

/** Round tick values (1, 2 or 5 times a power of ten) covering the values, about five of them. */
function niceScale(values: readonly number[]): Scale {
  let min = values.length > 0 ? Math.min(...values) : 0;
  let max = values.length > 0 ? Math.max(...values) : 1;
  if (min === max) {
    // A constant series has no span to divide by: give it one around the value, not crossing zero if the data does not.
    const pad = Math.abs(min) * 0.1 || 1;
    const nonNegative = min >= 0;
    min -= pad;
    max += pad;
    if (nonNegative && min < 0) min = 0;
  }
  const step = niceStep((max - min) / 4);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const count = Math.round((hi - lo) / step);
  const ticks = Array.from({ length: count + 1 }, (_, i) => lo + i * step);
  const decimals = Math.min(12, Math.max(0, -Math.floor(Math.log10(step))));
  const large = Math.max(Math.abs(lo), Math.abs(hi)) >= 1e6;
  // lo + i*step can land a hair below zero, which would print as '-0.00'.
  const format = (v: number) => (large ? v.toExponential(2) : (Math.abs(v) < step / 2 ? 0 : v).toFixed(decimals));
  return { lo, hi, ticks, format };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Whole rounds, at most about ten of them. */
function roundTicks(min: number, max: number): number[] {
  if (min === max) return [min];
  const step = Math.max(1, Math.ceil(niceStep((max - min) / 8)));
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
  return ticks;
}

/** Coordinates with two decimals: the file stays small and diffs stay quiet. */
function n(v: number): string {
  const rounded = Math.round(v * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
