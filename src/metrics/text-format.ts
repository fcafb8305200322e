/**
 * The few pieces of the Prometheus text format 0.0.4 that the per-job families need, written as
 * prom-client 15 writes them (registry.js getMetricsAsString, util.js getValueAsString), so a line
 * we write is the line prom-client would have written for the same sample.
 */

/** HELP text: backslash and newline escaped (a double quote stays as is there). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value: backslash, newline and double quote escaped. */
export function escapeLabelValue(value: string): string {
  return escapeHelp(value).replace(/"/g, '\\"');
}

/** `name="value"`, escaped: one label of a series. */
export function formatLabel(name: string, value: string): string {
  return `${name}="${escapeLabelValue(value)}"`;
}

/** A sample value: JavaScript's own number text, `Nan`, `+Inf` or `-Inf` (prom-client's spelling). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

export type FamilyType = 'counter' | 'gauge' | 'histogram';

/** The two comment lines that open a family (no trailing newline, as prom-client joins them). */
export function familyHeader(name: string, help: string, type: FamilyType): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
}
