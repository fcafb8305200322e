/** The results table on stdout (plain text, also valid Markdown). */
import type { Row } from './scenario.js';
import { round } from './stats.js';

export interface TableRow extends Row {
  scenario: string;
}

export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '—';
  const shown = round(value);
  return unit ? `${shown} ${unit}` : String(shown);
}

function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return `${round(value, value < 0.1 ? 3 : 2)}×`;
}

function formatMet(met: boolean | null | undefined): string {
  if (met === undefined) return '';
  return met === null ? 'n/a' : met ? 'yes' : 'NO';
}

export function renderTable(rows: TableRow[]): string {
  const header = ['#', 'figure', 'mxx', 'baseline (same run)', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [
    r.scenario,
    r.figure + (r.note ? ` (${r.note})` : ''),
    formatValue(r.value, r.unit),
    r.baseline === undefined ? '' : `${formatValue(r.baselineValue, r.unit)} ${r.baseline}`,
    formatRatio(r.ratio),
    r.target?.text ?? '',
    formatMet(r.target?.met),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
