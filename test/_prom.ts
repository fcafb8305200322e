/**
 * A small parser of the Prometheus text format (0.0.4) for the metrics tests: it throws on a line
 * it cannot read, on a sample whose family has no TYPE, and on a series given twice, so a malformed
 * scrape fails the test that reads it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** Family name → its TYPE (counter, gauge, histogram, …). */
  types: Map<string, string>;
  samples: Sample[];
  /** The samples of `name` whose labels include `where`. */
  series(name: string, where?: Record<string, string>): Sample[];
  /** The value of the one sample of `name` with exactly these labels; undefined if there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', ''];

function parseValue(text: string, line: string): number {
  if (/^\+?Inf$/.test(text)) return Infinity;
  if (text === '-Inf') return -Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`not a sample value in: ${line}`);
  return value;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`malformed labels in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

export function parseProm(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus text line: ${line}`);
    const [, name, labelText = '', value] = match as unknown as [string, string, string | undefined, string];
    if (!SUFFIXES.some((s) => name.endsWith(s) && types.has(name.slice(0, name.length - s.length)))) {
      throw new Error(`sample of a family without TYPE: ${line}`);
    }
    const sample = { name, labels: parseLabels(labelText, line), value: parseValue(value, line) };
    const key = `${name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`series given twice: ${line}`);
    seen.add(key);
    samples.push(sample);
  }
  const matches = (labels: Record<string, string>, where: Record<string, string>): boolean =>
    Object.entries(where).every(([k, v]) => labels[k] === v);
  return {
    types,
    samples,
    series: (name, where = {}) => samples.filter((s) => s.name === name && matches(s.labels, where)),
    value(name, labels = {}) {
      const size = Object.keys(labels).length;
      return samples.find((s) => s.name === name && Object.keys(s.labels).length === size && matches(s.labels, labels))?.value;
    },
  };
}

/** GET /metrics of a server (at its root), parsed; throws unless it answers 200 in the text format. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape & { text: string }> {
  const response = await fetch(`${url}/metrics`, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${text}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain; version=0.0.4')) throw new Error(`GET /metrics content-type: ${type}`);
  return { ...parseProm(text), text };
}
