/**
 * A job's definition back as TOML, the form a job file would have: one table per section, nested
 * tables (env, headers) inline. Values are what the API stored (JSON), so strings, numbers,
 * booleans, arrays and objects are all there is.
 */

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

const key = (name: string): string => (BARE_KEY.test(name) ? name : JSON.stringify(name));

function value(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : Number.isNaN(v) ? 'nan' : '-inf';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${key(k)} = ${value(x)}`).join(', ')} }`;
  }
  return '""';
}

/** Sections (objects) become [tables]; anything else at the top comes first as plain keys. */
export function toToml(doc: Record<string, unknown>): string {
  const top: string[] = [];
  const tables: string[] = [];
  for (const [name, v] of Object.entries(doc)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && !Array.isArray(v)) {
      const lines = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== null && x !== undefined)
        .map(([k, x]) => `${key(k)} = ${value(x)}`);
      tables.push([`[${key(name)}]`, ...lines].join('\n'));
    } else {
      top.push(`${key(name)} = ${value(v)}`);
    }
  }
  return [...(top.length ? [top.join('\n')] : []), ...tables].join('\n\n') + '\n';
}
