/**
 * Reporting for long federated-training runs: live progress, a summary table,
 * and the results as JSON and as an SVG chart.
 */
export type { RoundResult } from './round-result.js';
export { createProgress, isQuiet, type Progress, type ProgressInfo, type ProgressOptions } from './progress.js';
export { formatSummaryTable } from './summary-table.js';
export { renderChartSvg, type ChartOptions } from './chart-svg.js';
export { writeChartSvg, writeResultsJson } from './write-results.js';
