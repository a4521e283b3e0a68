/**
 * The end-of-run summary a person reads in a terminal or a CI log: one aligned
 * row per round, then which workers were left out and why, then the best test
 * accuracy. Plain ASCII, so it survives any log viewer.
 */
import type { RoundResult } from './round-result.js';

interface Column {
  readonly header: string;
  readonly cell: (r: RoundResult) => string;
}

const MISSING = '-';

const formatLoss = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(4) : MISSING);
/** An accuracy in [0, 1] as a percentage with two decimals: 0.91234 -> '91.23'. */
const formatPercent = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? (v * 100).toFixed(2) : MISSING);
const formatSeconds = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : MISSING);

export function formatSummaryTable(results: readonly RoundResult[]): string {
  const all: Column[] = [
    { header: 'Round', cell: (r) => String(r.round) },
    { header: 'Train loss', cell: (r) => formatLoss(r.trainLoss) },
    { header: 'Train acc %', cell: (r) => formatPercent(r.trainAccuracy) },
    { header: 'Test loss', cell: (r) => formatLoss(r.testLoss) },
    { header: 'Test acc %', cell: (r) => formatPercent(r.testAccuracy) },
    { header: 'Participants', cell: (r) => String(r.participants.length) },
    { header: 'Excluded', cell: (r) => String(r.excluded.length) },
    { header: 'Seconds', cell: (r) => formatSeconds(r.seconds) },
  ];
  // A column of dashes (a run that measured no test loss, say) is only noise: left out.
  const columns = results.length === 0 ? all : all.filter((c) => results.some((r) => c.cell(r) !== MISSING));
  const cells = results.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  // Every column holds numbers: right-aligned, their decimal points line up.
  const line = (row: readonly string[]) => row.map((text, i) => text.padStart(widths[i]!)).join('  ');

  const out = [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  ')];
  if (results.length === 0) out.push('(no rounds)');
  for (const row of cells) out.push(line(row));

  const exclusions = results.flatMap((r) => r.excluded.map((e) => `  round ${r.round}: ${e.worker} (${e.reason})`));
  if (exclusions.length > 0) out.push('', 'Excluded workers:', ...exclusions);

  const best = bestTestAccuracy(results);
  if (best) out.push('', `Best test accuracy: ${formatPercent(best.testAccuracy)}% (round ${best.round})`);
  return out.join('\n');
}

/** The earliest round with the highest finite test accuracy, if any round has one. */
function bestTestAccuracy(results: readonly RoundResult[]): { round: number; testAccuracy: number } | undefined {
  let best: { round: number; testAccuracy: number } | undefined;
  for (const r of results) {
    const acc = r.testAccuracy;
    if (acc !== undefined && Number.isFinite(acc) && (best === undefined || acc > best.testAccuracy)) {
      best = { round: r.round, testAccuracy: acc };
    }
  }
  return best;
}
