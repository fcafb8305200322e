/**
 * A job's stored definition (the registry's `config` and `schedule`) back as a job document and as
 * TOML for the jobs folder (`mxx export`, the copy `mxx edit` opens). Sections come in SPEC §3's
 * order and keys in the order users write them; nothing is added: a key the definition lacks
 * stays out, defaults included. Values are what the registry stored (JSON), so dates are ISO text,
 * which the parser reads as it reads a TOML date.
 */
import { stringify } from 'smol-toml';
import { CRON_FIELDS } from '../src/job/cron-fields.js';
import { NOTIFY_KEYS } from '../src/job/notify.js';
import { SECTIONS } from '../src/job/parse.js';

type Table = Record<string, unknown>;

export interface StoredDefinition {
  config: Table;
  schedule: Table | null;
}

const INTERVAL_KEYS = ['weeks', 'days', 'hours', 'minutes', 'seconds', 'interval_seconds'];

/** Key order inside each section; keys not listed keep their order after the listed ones. */
const KEY_ORDER: Readonly<Record<string, readonly string[]>> = {
  lifetime: ['lifetime', 'grace'],
  os: ['cmd', 'cwd', 'env', 'kill'],
  schedule: ['trigger', 'cron', ...CRON_FIELDS, ...INTERVAL_KEYS, 'run_date', 'timezone', 'start_date', 'end_date', 'jitter'],
  policy: ['overlap', 'max_instances', 'retries', 'retry_delay', 'misfire_grace_time', 'history', 'group'],
  notify: NOTIFY_KEYS,
};

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

function ordered(table: Table, order: readonly string[]): Table {
  const keys = [...order.filter((k) => Object.hasOwn(table, k)), ...Object.keys(table).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, table[k]]));
}

/** The definition as one job document (schedule among the sections), in the order users write it. */
export function jobDocument(definition: StoredDefinition): Table {
  const doc = ordered({ ...definition.config, ...(definition.schedule ? { schedule: definition.schedule } : {}) }, SECTIONS);
  return Object.fromEntries(Object.entries(doc).map(([name, s]) => [name, isTable(s) ? ordered(s, KEY_ORDER[name] ?? []) : s]));
}

/** `key = value` as smol-toml writes it (quoting the key and the value as TOML needs). */
const line = (key: string, value: unknown): string => stringify({ [key]: value }).trimEnd();

const isFlat = (v: unknown): boolean => !isTable(v) && !(Array.isArray(v) && v.some((x) => isTable(x) || Array.isArray(x)));

/**
 * One `[section]`. A table of plain values (`env`, `headers`) is written inline, as users write
 * `env = { NAME = "x" }`; anything nested deeper is left to smol-toml's sub-tables.
 */
function sectionToml(name: string, section: Table): string {
  const entries = Object.entries(section).filter(([, v]) => v !== null && v !== undefined);
  const inlineable = entries.every(([, v]) => isFlat(v) || (isTable(v) && Object.values(v).every(isFlat)));
  if (!inlineable) return stringify({ [name]: section }).trimEnd();
  const lines = entries.map(([key, v]) => {
    if (!isTable(v)) return line(key, v);
    const inner = Object.entries(v).filter(([, x]) => x !== null && x !== undefined);
    const body = inner.length === 0 ? '{}' : `{ ${inner.map(([k, x]) => line(k, x)).join(', ')} }`;
    return `${line(key, 0).slice(0, -' = 0'.length)} = ${body}`;
  });
  return [`[${line(name, 0).slice(0, -' = 0'.length)}]`, ...lines].join('\n');
}

/** The job document as TOML; `header` lines become `# ` comments at the top. */
export function jobToml(definition: StoredDefinition, header: readonly string[] = []): string {
  const doc = jobDocument(definition);
  const top = Object.entries(doc).filter(([, v]) => !isTable(v) && v !== null && v !== undefined);
  const parts = [
    ...(header.length ? [header.map((h) => `# ${h}`).join('\n')] : []),
    ...(top.length ? [top.map(([k, v]) => line(k, v)).join('\n')] : []),
    ...Object.entries(doc)
      .filter((e): e is [string, Table] => isTable(e[1]))
      .map(([name, s]) => sectionToml(name, s)),
  ];
  return `${parts.join('\n\n')}\n`;
}

/** JSON with keys sorted at every level: equal for two definitions that mean the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isTable(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Whether two definitions are the same job (key order and comments aside). */
export function sameDefinition(a: StoredDefinition, b: StoredDefinition): boolean {
  return canonical(a.config) === canonical(b.config) && canonical(a.schedule ?? null) === canonical(b.schedule ?? null);
}
