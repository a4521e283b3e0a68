/**
 * A line chart of a run as one self-contained SVG file: no scripts, fonts or
 * stylesheets to fetch, so it opens the same in a browser, an image viewer or
 * a CI artifact preview. Loss and accuracy have different units, so loss is
 * on the left axis and accuracy on the right, each fitted to its data.
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

const MARGIN = { top: 16, right: 76, bottom: 16, left: 76 } as const;
const MIN_WIDTH = 320;
const MIN_HEIGHT = 240;
/** Beyond this many points per line, markers only clutter. */
const MAX_MARKERS = 50;
/** The smallest title, on at most TITLE_MAX_LINES lines. */
const TITLE_MIN_SIZE = 12;
const TITLE_MAX_LINES = 3;
const LEGEND_ROW = 18;

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

  // Layout top-down: the title's lines, the plot, the round axis, the legend's rows; the plot gets what is left.
  const title = layoutTitle(options.title, width - 2 * MARGIN.top);
  const legendRows = layoutLegend(lines, width - 20);
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: title.bottom + 12,
    bottom: height - MARGIN.bottom - 44 - legendRows.length * LEGEND_ROW,
  };
  const roundMin = rounds[0]?.round ?? 1;
  const roundMax = rounds.at(-1)?.round ?? 1;
  // One round (or none) has no span to scale: put it in the middle.
  const x = (round: number) =>
    roundMax === roundMin ? (plot.left + plot.right) / 2 : plot.left + ((round - roundMin) / (roundMax - roundMin)) * (plot.right - plot.left);
  const valuesOn = (axis: Series['axis']) => lines.filter((s) => s.axis === axis).flatMap((s) => s.points.map((p) => p.value));
  const lossValues = valuesOn('loss');
  // Accuracies are documented to be in [0, 1]: the axis is fitted to them in percent, never beyond 0-100%.
  const accuracyValues = valuesOn('accuracy').map((v) => Math.min(1, Math.max(0, v)) * 100);
  const loss = lossAxis(lossValues);
  const accuracy = accuracyAxis(accuracyValues);
  const scaleY = (scale: Scale, v: number) => plot.bottom - ((v - scale.lo) / (scale.hi - scale.lo)) * (plot.bottom - plot.top);
  const y = (axis: Series['axis'], v: number) =>
    axis === 'loss' ? scaleY(loss, v) : scaleY(accuracy, Math.min(100, Math.max(0, v * 100)));
  // The left axis is drawn unless there is accuracy and no loss; the grid follows the left axis if drawn.
  const showLoss = lossValues.length > 0 || accuracyValues.length === 0;
  const showAccuracy = accuracyValues.length > 0;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${n(width)}" height="${n(height)}" fill="#fff"/>`,
    ...title.lines.map(
      (line, i) =>
        `<text x="${n(width / 2)}" y="${n(title.baseline + i * title.lineHeight)}" text-anchor="middle" font-size="${n(title.size)}" font-weight="bold">${escapeXml(line)}</text>`,
    ),
  );

  const grid = showLoss ? loss : accuracy;
  for (const tick of grid.ticks) {
    out.push(`<line x1="${n(plot.left)}" y1="${n(scaleY(grid, tick))}" x2="${n(plot.right)}" y2="${n(scaleY(grid, tick))}" stroke="#e5e5e5"/>`);
  }
  if (showLoss) {
    for (const tick of loss.ticks) {
      const ty = scaleY(loss, tick);
      out.push(
        `<line x1="${n(plot.left - 5)}" y1="${n(ty)}" x2="${n(plot.left)}" y2="${n(ty)}" stroke="#666"/>`,
        `<text x="${n(plot.left - 8)}" y="${n(ty + 4)}" text-anchor="end">${escapeXml(loss.format(tick))}</text>`,
      );
    }
    out.push(axisTitle('Loss', 20, (plot.top + plot.bottom) / 2, -90));
  }
  if (showAccuracy) {
    for (const tick of accuracy.ticks) {
      const ty = scaleY(accuracy, tick);
      out.push(
        `<line x1="${n(plot.right)}" y1="${n(ty)}" x2="${n(plot.right + 5)}" y2="${n(ty)}" stroke="#666"/>`,
        `<text x="${n(plot.right + 8)}" y="${n(ty + 4)}" text-anchor="start">${escapeXml(accuracy.format(tick))}%</text>`,
      );
    }
    out.push(axisTitle('Accuracy (%)', width - 20, (plot.top + plot.bottom) / 2, 90));
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
    `<text x="${n((plot.left + plot.right) / 2)}" y="${n(plot.bottom + 36)}" text-anchor="middle">Round</text>`,
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

  out.push(...legend(legendRows, width, plot.bottom + 58));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function axisTitle(text: string, cx: number, cy: number, angle: number): string {
  return `<text x="${n(cx)}" y="${n(cy)}" text-anchor="middle" transform="rotate(${angle} ${n(cx)} ${n(cy)})">${escapeXml(text)}</text>`;
}

/**
 * About how wide `text` renders in Helvetica/Arial at `size` pixels. A static
 * file cannot measure, so each character counts by its class (average advance
 * widths of Helvetica, in ems); it errs wide, so what fits by it fits on screen.
 */
export function textWidth(text: string, size: number, bold = false): number {
  let ems = 0;
  for (const c of text) {
    if (/[ijlI.,:;'|!]/.test(c)) ems += 0.28;
    else if (/[ frt()[\]\-]/.test(c)) ems += 0.36;
    else if (/[mwMW@%]/.test(c)) ems += 0.9;
    else if (/[A-Z&]/.test(c)) ems += 0.7;
    else ems += 0.58;
  }
  return ems * size * (bold ? 1.08 : 1);
}

interface TitleLayout {
  readonly lines: readonly string[];
  readonly size: number;
  readonly lineHeight: number;
  /** The first line's baseline. */
  readonly baseline: number;
  /** Below the last line. */
  readonly bottom: number;
}

/**
 * The title on one line at 16 px, or a little smaller; else on two lines (16
 * px down to 12), else three at 12 px; lines are balanced, not greedy. A title
 * too long even for that is cut with an ellipsis (the full title stays in
 * <title>, which viewers show on hover).
 */
function layoutTitle(title: string, maxWidth: number): TitleLayout {
  const candidates: Array<readonly [lines: number, size: number]> = [
    [1, 16], [1, 15], [1, 14],
    [2, 16], [2, 15], [2, 14], [2, 13], [2, 12],
    [3, 12],
  ];
  const layout = (lines: readonly string[], size: number): TitleLayout => {
    const lineHeight = Math.round(size * 1.25);
    const baseline = MARGIN.top + size;
    return { lines, size, lineHeight, baseline, bottom: baseline + (lines.length - 1) * lineHeight + size * 0.3 };
  };
  for (const [count, size] of candidates) {
    const fits = (text: string) => textWidth(text, size, true) <= maxWidth;
    const lines = wrap(title, fits);
    if (lines.length <= count && lines.every(fits)) return layout(balance(title, lines.length, size, maxWidth), size);
  }
  const fits = (text: string) => textWidth(text, TITLE_MIN_SIZE, true) <= maxWidth;
  const lines = wrap(title, fits);
  const kept = lines.slice(0, TITLE_MAX_LINES);
  if (lines.length > TITLE_MAX_LINES) kept[kept.length - 1] = `${kept.at(-1)} ${lines.slice(TITLE_MAX_LINES).join(' ')}`;
  return layout(kept.map((line) => (fits(line) ? line : ellipsize(line, fits))), TITLE_MIN_SIZE);
}

/** Greedy wrap at spaces: as many words on a line as fit. */
function wrap(text: string, fits: (text: string) => boolean): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (fits(candidate) || current === '') current = candidate;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** The narrowest greedy wrap into `count` lines: lines of about equal length, not one long and one short. */
function balance(text: string, count: number, size: number, maxWidth: number): string[] {
  let lo = 0;
  let hi = maxWidth;
  while (hi - lo > 1) {
    const mid = (lo + hi) / 2;
    if (wrap(text, (t) => textWidth(t, size, true) <= mid).every((l, _, all) => all.length <= count && textWidth(l, size, true) <= mid)) hi = mid;
    else lo = mid;
  }
  return wrap(text, (t) => textWidth(t, size, true) <= hi);
}

function ellipsize(text: string, fits: (text: string) => boolean): string {
  let cut = text.length;
  while (cut > 0 && !fits(`${text.slice(0, cut).trimEnd()}…`)) cut -= 1;
  return `${text.slice(0, cut).trimEnd()}…`;
}

const LEGEND_SAMPLE = 24;
const legendEntryWidth = (s: Series) => LEGEND_SAMPLE + 6 + textWidth(s.label, 12) + 18;

/** Entries in rows no wider than `maxWidth`; a narrow chart gets more rows, and the plot gives them room. */
function layoutLegend<S extends Series>(lines: readonly S[], maxWidth: number): S[][] {
  const rows: S[][] = [];
  let rowWidth = Infinity;
  for (const s of lines) {
    if (rowWidth + legendEntryWidth(s) > maxWidth) {
      rows.push([]);
      rowWidth = 0;
    }
    rows.at(-1)!.push(s);
    rowWidth += legendEntryWidth(s);
  }
  return rows;
}

/** The legend's rows, each centred, the first at `top`. */
function legend(rows: readonly (readonly Series[])[], width: number, top: number): string[] {
  const out: string[] = [];
  rows.forEach((row, i) => {
    const ly = top + i * LEGEND_ROW;
    let lx = (width - row.reduce((sum, s) => sum + legendEntryWidth(s), 0)) / 2;
    for (const s of row) {
      const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
      out.push(
        `<line x1="${n(lx)}" y1="${n(ly)}" x2="${n(lx + LEGEND_SAMPLE)}" y2="${n(ly)}" stroke="${s.color}" stroke-width="2"${dash}/>`,
        `<text x="${n(lx + LEGEND_SAMPLE + 6)}" y="${n(ly + 4)}">${escapeXml(s.label)}</text>`,
      );
      lx += legendEntryWidth(s);
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

/** The loss axis: fitted to the losses, never below zero when none is negative. */
function lossAxis(values: readonly number[]): Scale {
  const floor = values.every((v) => v >= 0) ? 0 : -Infinity;
  return niceScale(values, floor, Infinity, [0, 1]);
}

/** The accuracy axis, in percent: fitted to the accuracies (already clamped to 0-100), within 0-100. */
function accuracyAxis(percents: readonly number[]): Scale {
  return niceScale(percents, 0, 100, [0, 100]);
}

/**
 * Round tick values (1, 2 or 5 times a power of ten), about five of them,
 * covering the values with 5% of their span to spare on each side (so no
 * point sits on the frame), within [floor, ceiling]. A fixed range flattens
 * the curves: accuracies of 95-97% drawn on 0-100% are a straight line.
 */
function niceScale(values: readonly number[], floor: number, ceiling: number, empty: readonly [number, number]): Scale {
  let [min, max] = values.length > 0 ? [Math.min(...values), Math.max(...values)] : empty;
  // A constant series has no span: give it one around the value.
  const pad = min === max ? Math.abs(min) * 0.1 || 1 : (max - min) * 0.05;
  min = Math.max(floor, min - pad);
  max = Math.min(ceiling, max + pad);
  const step = niceStep((max - min) / 4);
  const lo = Math.max(floor, Math.floor(min / step) * step);
  const hi = Math.min(ceiling, Math.ceil(max / step) * step);
  const count = Math.round((hi - lo) / step);
  const ticks = Array.from({ length: count + 1 }, (_, i) => lo + i * step).filter((t) => t <= hi + step / 1e6);
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
