/**
 * Progress of a long run, one unit per round or epoch. On a terminal it is a
 * cli-progress bar redrawn in place; anywhere else (CI logs, pipes, files) a
 * redrawn bar turns into pages of escape codes, so it prints plain lines
 * instead, few enough that the log stays readable.
 */
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from '../core/errors.js';

export interface ProgressOptions {
  /** Print nothing at all. */
  readonly quiet?: boolean;
  /** Where to write; default process.stderr, so results on stdout stay clean. */
  readonly stream?: NodeJS.WritableStream;
  /** Units (rounds, epochs) the run will complete. */
  readonly total: number;
  /** Names the unit in the output, e.g. 'round'. */
  readonly label: string;
}

export type ProgressInfo = Record<string, string | number>;

export interface Progress {
  /** `done` units are complete (default: one more than before); `info` is shown beside the bar, e.g. { loss }. */
  tick(done?: number, info?: ProgressInfo): void;
  /** Ends the output. Call it also when the run ends early (until then a terminal bar's redraw timer keeps the process alive); calling it twice is harmless. */
  stop(): void;
}

/** True when the command line has --quiet or the environment has SYFT_QUIET=1. */
export function isQuiet(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  const flag = env['SYFT_QUIET']?.trim().toLowerCase();
  return argv.includes('--quiet') || flag === '1' || flag === 'true';
}

export function createProgress(options: ProgressOptions): Progress {
  const { total, label } = options;
  if (!(Number.isInteger(total) && total >= 0)) {
    throw new InvalidArgumentError(`createProgress: total must be a whole number of units, 0 or more; got ${total}.`);
  }
  if (options.quiet) return { tick: () => {}, stop: () => {} };
  const stream = options.stream ?? process.stderr;
  // cli-progress looks at the same flag to decide whether it may move the cursor.
  const isTTY = (stream as { isTTY?: boolean }).isTTY === true;
  return isTTY ? barProgress(stream, total, label) : lineProgress(stream, total, label);
}

/** The value tick() moves to, checked so that a bug in the loop shows here and not as a strange bar. */
function nextValue(done: number | undefined, current: number, total: number): number {
  const value = done ?? current + 1;
  if (!(Number.isInteger(value) && value >= 0 && value <= total)) {
    throw new InvalidArgumentError(`progress.tick: done must be a whole number in 0..${total}; got ${value}.`);
  }
  return value;
}

function barProgress(stream: NodeJS.WritableStream, total: number, label: string): Progress {
  let value = 0;
  let info: ProgressInfo = {};
  const bar = new cliProgress.SingleBar({
    stream,
    // A function, not a format string: a label or info holding {braces} would be read as placeholders.
    format: (options, params) => {
      const percent = Math.floor(params.progress * 100);
      const eta = value === 0 || typeof params.eta !== 'number' ? '--' : formatDuration(params.eta);
      const elapsed = formatDuration(((params.stopTime ?? Date.now()) - params.startTime) / 1000);
      const tail = formatInfo(info);
      return (
        `${label} ${cliProgress.Format.BarFormat(params.progress, options)} ${percent}% | ${params.value}/${params.total}` +
        ` | ${elapsed} elapsed | ETA ${eta}` +
        (tail ? ` | ${tail}` : '')
      );
    },
    // Neither hide the cursor nor turn off line wrapping: a run stopped with Ctrl-C never gets to
    // restore them and would leave the terminal broken. linewrap: true makes cli-progress trim the line instead.
    hideCursor: false,
    linewrap: true,
    // Leaves room on an 80-column terminal for the counts, times and a loss or two.
    barsize: 30,
    // Rounds finish seconds apart, so the ETA should follow the recent pace, not the first slow round.
    etaBuffer: 5,
    // Stops (and releases cli-progress's redraw timer) on its own when the last unit is done.
    stopOnComplete: true,
  });
  bar.start(total, 0);
  return {
    tick(done, newInfo) {
      if (!bar.isActive) return;
      value = nextValue(done, value, total);
      if (newInfo) info = { ...info, ...newInfo };
      bar.update(value);
    },
    stop() {
      bar.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WritableStream, total: number, label: string): Progress {
  const started = Date.now();
  // Up to 10 units every unit gets a line; beyond that one line per tenth.
  const milestone = (n: number) => (total <= 10 ? n : Math.floor((n * 10) / total));
  let value = 0;
  let printed = 0;
  let info: ProgressInfo = {};
  let stopped = false;

  const print = () => {
    const elapsed = (Date.now() - started) / 1000;
    const percent = total === 0 ? 100 : Math.floor((value * 100) / total);
    const eta = value === 0 ? '--' : formatDuration((elapsed / value) * (total - value));
    const tail = formatInfo(info);
    stream.write(
      `${label} ${value}/${total} (${percent}%) | ${formatDuration(elapsed)} elapsed | ETA ${eta}` + (tail ? ` | ${tail}` : '') + '\n',
    );
    printed = value;
  };

  return {
    tick(done, newInfo) {
      if (stopped) return;
      const next = nextValue(done, value, total);
      if (newInfo) info = { ...info, ...newInfo };
      const advanced = next > value;
      value = next;
      if (advanced && (milestone(value) > milestone(printed) || value === total)) print();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // The log should end with where the run got to, also between milestones or when it ended early.
      if (value !== printed || value === 0) print();
    },
  };
}

function formatInfo(info: ProgressInfo): string {
  return Object.entries(info)
    .map(([key, v]) => `${key}=${typeof v === 'number' ? formatNumber(v) : v}`)
    .join(' ');
}

/** Losses come as 0.6931471805599453; four decimals are what a person compares. */
function formatNumber(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 ? v.toFixed(4) : v.toExponential(2);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
