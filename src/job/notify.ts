/**
 * The `[notify]` section (SPEC §12), in a job document and as the defaults of config.toml: parsed
 * as strictly as every other section, then merged key by key (the job's keys win).
 */
import { checkKeys, checkNoNul, Issues, isTable, ONE_YEAR, readNumber, readString, shown, type Table } from './issues.js';
import { didYouMean } from './suggest.js';
import { NOTIFY_EVENTS, type NotifyEvent, type NotifySpec } from './types.js';

export { NOTIFY_EVENTS, type NotifyEvent, type NotifySpec } from './types.js';

export const DEFAULT_NOTIFY_ON: readonly NotifyEvent[] = ['failed', 'timed_out'];
/** Seconds a notify `cmd` may run before it is stopped like a run past its lifetime. */
export const DEFAULT_NOTIFY_LIFETIME = 60;

export const NOTIFY_KEYS = ['enabled', 'on', 'webhook', 'headers', 'cmd', 'lifetime'] as const;

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A job's notification settings after merging in the defaults; null = nothing to send. */
export interface ResolvedNotify {
  on: ReadonlySet<NotifyEvent>;
  webhook?: string;
  headers: Record<string, string>;
  cmd?: string | string[];
  lifetime: number;
}

/** Parses a `[notify]` table; problems go to `issues` under `prefix` (e.g. `notify`). */
export function parseNotifySection(issues: Issues, s: Table, prefix = 'notify'): NotifySpec {
  checkKeys(issues, s, NOTIFY_KEYS, prefix);
  const out: NotifySpec = {};
  if (s.enabled !== undefined) {
    if (typeof s.enabled === 'boolean') out.enabled = s.enabled;
    else issues.add(`${prefix}.enabled`, `must be true or false, got ${shown(s.enabled)}`);
  }
  if (s.on !== undefined) {
    const list = typeof s.on === 'string' ? [s.on] : s.on;
    if (!Array.isArray(list)) issues.add(`${prefix}.on`, `must be an array of ${NOTIFY_EVENTS.join(', ')}, got ${shown(s.on)}`);
    else {
      const on: NotifyEvent[] = [];
      list.forEach((value, i) => {
        if (typeof value === 'string' && (NOTIFY_EVENTS as readonly string[]).includes(value)) on.push(value as NotifyEvent);
        else {
          const hint = typeof value === 'string' ? didYouMean(value, NOTIFY_EVENTS) : '';
          issues.add(`${prefix}.on[${i}]`, `must be one of ${NOTIFY_EVENTS.join(', ')}, got ${shown(value)}${hint}`);
        }
      });
      out.on = [...new Set(on)];
    }
  }
  const webhook = readString(issues, `${prefix}.webhook`, s.webhook, 'an http:// or https:// URL');
  if (webhook !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(webhook);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      issues.add(`${prefix}.webhook`, `must be an http:// or https:// URL, got ${shown(webhook)}`);
    } else if (url.username !== '' || url.password !== '') {
      // fetch refuses such a URL, so every delivery would fail; the header is where it belongs.
      issues.add(`${prefix}.webhook`, 'must not carry a user name or password; send them as headers = { Authorization = "..." }');
    } else out.webhook = webhook;
  }
  if (s.headers !== undefined) {
    if (!isTable(s.headers)) issues.add(`${prefix}.headers`, `must be a table of Name = "value", got ${shown(s.headers)}`);
    else {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(s.headers)) {
        if (!HEADER_NAME.test(name)) issues.add(`${prefix}.headers`, `has a header name that HTTP cannot carry: ${JSON.stringify(name)}`);
        else if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
          issues.add(`${prefix}.headers.${name}`, `must be a string on one line, got ${typeof value === 'string' ? 'a value with a line break or NUL' : shown(value)}`);
        } else headers[name] = value;
      }
      out.headers = headers;
    }
  }
  if (s.cmd !== undefined) {
    const what = 'a command string, or a non-empty array of strings (run without a shell)';
    if (typeof s.cmd === 'string' && s.cmd.trim() !== '') {
      if (checkNoNul(issues, `${prefix}.cmd`, s.cmd)) out.cmd = s.cmd;
    } else if (Array.isArray(s.cmd) && s.cmd.length > 0 && s.cmd.every((c) => typeof c === 'string') && String(s.cmd[0]).trim() !== '') {
      if ((s.cmd as string[]).map((c, i) => checkNoNul(issues, `${prefix}.cmd[${i}]`, c)).every(Boolean)) out.cmd = [...(s.cmd as string[])];
    } else issues.add(`${prefix}.cmd`, `must be ${what}, got ${shown(s.cmd)}`);
  }
  const lifetime = readNumber(issues, `${prefix}.lifetime`, s.lifetime, { min: 0, exclusive: true, max: ONE_YEAR });
  if (lifetime !== undefined) out.lifetime = lifetime;
  return out;
}

/**
 * The job's section over the defaults, key by key. Null when notifications are off for the job
 * (`enabled = false` in either, the job's winning) or there is nowhere to send them.
 */
export function resolveNotify(job: NotifySpec | undefined, defaults: NotifySpec | undefined): ResolvedNotify | null {
  const merged: NotifySpec = { ...defaults, ...job };
  if (merged.enabled === false) return null;
  if (merged.webhook === undefined && merged.cmd === undefined) return null;
  return {
    on: new Set(merged.on ?? DEFAULT_NOTIFY_ON),
    ...(merged.webhook === undefined ? {} : { webhook: merged.webhook }),
    // The defaults' headers (a shared Authorization) go with the defaults' webhook only: a job
    // that names its own receiver must not hand that receiver someone else's token.
    headers: job?.webhook === undefined ? { ...defaults?.headers, ...job?.headers } : { ...job.headers },
    ...(merged.cmd === undefined ? {} : { cmd: merged.cmd }),
    lifetime: merged.lifetime ?? DEFAULT_NOTIFY_LIFETIME,
  };
}
