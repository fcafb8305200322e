/** The soak's output: the invariant table and figures on stdout, optional JSON, optional bench/SOAK.md section. */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Invariant } from './checks/invariant.js';

export const SOAK_MD = fileURLToPath(new URL('../../../bench/SOAK.md', import.meta.url));

export interface SoakReport {
  date: string;
  machine: string;
  command: string;
  seed: number;
  wallS: number;
  /** Sizes used and measured figures, in the order shown. */
  figures: Array<[string, string]>;
  invariants: Invariant[];
  notes: string[];
}

const mark = (inv: Invariant): string => (inv.pass === null ? 'SKIP' : inv.pass ? 'pass' : 'FAIL');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const escape = (text: string): string => text.replace(/\|/g, '\\|');

export function renderReport(report: SoakReport): string {
  const failing = report.invariants.filter((inv) => inv.pass === false);
  const parts = [
    `mxx soak — ${report.date} — ${report.machine} — \`${report.command}\` (seed ${report.seed}) — ${report.wallS.toFixed(0)} s`,
    '',
    table(['figure', 'value'], report.figures.map(([k, v]) => [k, escape(v)])),
    '',
    table(['invariant', 'result', 'summary'], report.invariants.map((inv) => [inv.name, mark(inv), escape(inv.summary)])),
  ];
  for (const inv of failing) {
    parts.push('', `${inv.name} — first offenders:`, ...inv.evidence.map((line) => `  - ${line}`));
  }
  if (report.notes.length) parts.push('', 'notes:', ...report.notes.map((note) => `  - ${note}`));
  parts.push(
    '',
    failing.length === 0
      ? `soak: all ${report.invariants.filter((inv) => inv.pass).length} checked invariants hold`
      : `soak: ${failing.length} invariant(s) FAILED: ${failing.map((inv) => inv.name).join(', ')}`,
  );
  return parts.join('\n');
}

export function writeJson(file: string, report: SoakReport, details: unknown): void {
  writeFileSync(file, `${JSON.stringify({ ...report, details }, null, 2)}\n`);
}

/** Appends one section per run to bench/SOAK.md (created with a short preface the first time). */
export function appendMarkdown(report: SoakReport): string {
  if (!existsSync(SOAK_MD)) {
    writeFileSync(
      SOAK_MD,
      '# Soak runs\n\nWritten by `npm run soak -- --write` (bench/soak/run.ts). Each section is one run: the sizes used, the figures, and each invariant with the first offenders when it failed.\n',
    );
  }
  appendFileSync(SOAK_MD, `\n## ${report.date} — \`${report.command}\`\n\n\`\`\`\n${renderReport(report)}\n\`\`\`\n`);
  return SOAK_MD;
}
