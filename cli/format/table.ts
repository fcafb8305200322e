/** Aligned plain-text tables; widths ignore ANSI colour codes. */
import { stripAnsi, type Colors } from './color.js';

export interface Column {
  header: string;
  /** Right-align (numbers). @default false */
  right?: boolean;
}

export function renderTable(columns: Array<Column | string>, rows: string[][], colors: Colors): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  const line = (cells: string[], header = false): string =>
    cols
      .map((col, i) => {
        const cell = cells[i] ?? '';
        const pad = ' '.repeat((widths[i] ?? 0) - stripAnsi(cell).length);
        const text = header ? colors.bold(cell) : cell;
        // No trailing spaces on the last column.
        if (i === cols.length - 1 && !col.right) return text;
        return col.right ? pad + text : text + pad;
      })
      .join('  ');
  return [line(cols.map((c) => c.header), true), ...rows.map((r) => line(r))].join('\n') + '\n';
}

/** `key: value` lines with the keys aligned; rows with an undefined value are left out. */
export function renderFields(fields: Array<[string, string | undefined]>, colors: Colors): string {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${colors.bold(`${k}:`.padEnd(width + 1))} ${v}`).join('\n') + '\n';
}
