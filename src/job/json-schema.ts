/**
 * The JSON Schema of job files, for editors: taplo (`#:schema` in TOML) and the YAML language
 * server (`# yaml-language-server: $schema=`). Sections and keys come from the validator's own
 * tables, so an editor flags the typos the loader refuses. It checks shape only: what needs the
 * validator's engine (a time zone name, a cron pattern that never fires) stays the validator's;
 * test/unit/job-schema.test.ts names each such case. `mxx schema` prints this, and
 * schema/mxx-job.schema.json is this, written out.
 *
 * Draft-07, and no `$ref`: both editors read draft-07 fully, and the YAML language server has
 * known trouble resolving references, so shared parts are repeated instead.
 */
import { CRON_FIELDS, CRON_RANGES } from './cron-fields.js';
import { ONE_YEAR, TEN_YEARS } from './issues.js';
import { DEFAULT_NOTIFY_LIFETIME, DEFAULT_NOTIFY_ON, HEADER_NAME, NOTIFY_EVENTS, NOTIFY_KEYS } from './notify.js';
import { LABEL_PATTERN, PLACEMENT_KEYS } from './placement.js';
import { LIFETIME_KEYS, OS_KEYS, OVERLAP_POLICIES, parseJobDocument, POLICY_KEYS, SECTIONS } from './parse.js';
import { COMMON_KEYS, INTERVAL_UNITS, SCHEDULE_KEYS, TRIGGER_KEYS, TRIGGERS } from './parse-schedule.js';
import type { JobPolicy } from './types.js';
import { ISO_RE } from './zone.js';

type Schema = Record<string, unknown>;

/** Names the schema, not a place to fetch it from (it ships in the package and `mxx schema` prints it). */
export const JOB_SCHEMA_ID = 'urn:mxx:job-file:1';

// Patterns hold a real NUL character (JSON writes it as \u0000), which every regex engine reads.
const NO_NUL = '^[^\0]*$';
/** What readString accepts: something besides white space, and no NUL. */
const NON_BLANK = '^[^\0]*[^\\s\0][^\0]*$';

const text = (description: string): Schema => ({ type: 'string', pattern: NON_BLANK, description });

interface Range {
  min: number;
  exclusive?: boolean;
  max?: number;
  integer?: boolean;
}
const number = (description: string, r: Range, extra: Schema = {}): Schema => ({
  type: r.integer ? 'integer' : 'number',
  ...(r.exclusive ? { exclusiveMinimum: r.min } : { minimum: r.min }),
  ...(r.max === undefined ? {} : { maximum: r.max }),
  ...extra,
  description,
});

const command = (description: string): Schema => ({
  type: ['string', 'array'],
  pattern: NON_BLANK,
  minItems: 1,
  items: [{ type: 'string', pattern: NON_BLANK }],
  additionalItems: { type: 'string', pattern: NO_NUL },
  description,
});

/** The validator trims a date before reading it. */
const isoDate = (description: string): Schema => ({
  type: 'string',
  pattern: `^\\s*(?:${ISO_RE.source.slice(1, -1)})\\s*$`,
  description: `${description}. ISO 8601, e.g. "2026-03-01T10:00:00" (read in timezone) or "2026-03-01T10:00:00+01:00".`,
});

const section = (description: string, properties: Record<string, Schema>, known: readonly string[], extra: Schema = {}): Schema => {
  // The validator's key table decides which keys there are; a key described here but unknown
  // there (or the reverse) is a bug in this file.
  const missing = known.filter((k) => !(k in properties));
  const extraKeys = Object.keys(properties).filter((k) => !known.includes(k));
  if (missing.length || extraKeys.length) throw new Error(`job schema out of step with the validator: ${[...missing, ...extraKeys].join(', ')}`);
  return { type: 'object', description, properties: Object.fromEntries(known.map((k) => [k, properties[k]!])), additionalProperties: false, ...extra };
};

const required = (keys: readonly string[]): Schema[] => keys.map((k) => ({ required: [k] }));
const forbidden = (keys: readonly string[]): Schema => ({ properties: Object.fromEntries(keys.map((k) => [k, false])) });

function scheduleSection(): Schema {
  const cronFields = Object.fromEntries(
    CRON_FIELDS.map((f) => [f, { type: ['integer', 'string'], minimum: CRON_RANGES[f].min, maximum: CRON_RANGES[f].max, pattern: NON_BLANK, description: `Cron field (APScheduler semantics): ${CRON_RANGES[f].expected}, or a cron field string ("*/5", "1-5", "mon-fri"). Fields more significant than the most significant one given are *; less significant ones default to their minimum.` }]),
  );
  const units = Object.fromEntries(
    Object.entries(INTERVAL_UNITS).map(([unit, seconds]) => [
      unit,
      number(unit === 'interval_seconds' ? 'Interval in seconds (the original mxx key), summed with the other units.' : `Interval in ${unit}, summed with the other units; fractions allowed. The interval is at most ten years.`, { min: 0, max: TEN_YEARS.value / seconds }),
    ]),
  );
  const properties: Record<string, Schema> = {
    trigger: { type: 'string', enum: [...TRIGGERS], description: 'cron | interval | date. May be left out when the keys say which (cron or a cron field → cron, an interval unit → interval, run_date → date).' },
    timezone: text('IANA time zone for cron, e.g. "Europe/Berlin"; default the machine\'s zone.'),
    start_date: isoDate('No fire before it; an interval\'s first fire is one interval after registration unless start_date is given'),
    end_date: isoDate('No fire after it'),
    jitter: number('Seconds of random delay added to each fire, at most one year.', { min: 0, max: ONE_YEAR.value }),
    cron: { type: 'string', pattern: '^\\s*(?:@[A-Za-z]+|\\S+(?:\\s+\\S+){4,5})\\s*$', description: 'Cron expression: 5 fields (minute hour day month weekday) or 6 (seconds first), standard cron meaning, 0 = Sunday; or @hourly, @daily, @weekly, @monthly, @yearly. Not together with the cron field keys.' },
    ...cronFields,
    ...units,
    run_date: isoDate('trigger = "date": runs once, at this time'),
  };
  const kinds = TRIGGERS.map((t) => ({ anyOf: required(TRIGGER_KEYS[t]) }));
  const expressionAlone: Schema = { if: { required: ['cron'] }, then: forbidden(CRON_FIELDS) };
  // With a trigger: only its own keys (beside the common ones), and what it needs.
  const branches: Record<(typeof TRIGGERS)[number], Schema> = {
    cron: { ...forbidden([...TRIGGER_KEYS.interval, ...TRIGGER_KEYS.date]), anyOf: required(TRIGGER_KEYS.cron), ...expressionAlone },
    interval: { ...forbidden([...TRIGGER_KEYS.cron, ...TRIGGER_KEYS.date]), anyOf: required(TRIGGER_KEYS.interval) },
    date: { ...forbidden([...TRIGGER_KEYS.cron, ...TRIGGER_KEYS.interval]), required: ['run_date'] },
  };
  // Without one, the keys say which: keys of one trigger, at least one of them.
  const inferred: Schema = { anyOf: kinds, not: { anyOf: kinds.flatMap((a, i) => kinds.slice(i + 1).map((b) => ({ allOf: [a, b] }))) }, ...expressionAlone };
  // One if/then/else chain rather than allOf: taplo leaves a schema with allOf out of its
  // completions, and would then offer no schedule keys.
  const rule = TRIGGERS.reduceRight<Schema>(
    (otherwise, t) => ({ if: { properties: { trigger: { const: t } }, required: ['trigger'] }, then: branches[t], else: otherwise }),
    { if: { not: { required: ['trigger'] } }, then: inferred },
  );
  return section(`When the job fires. Absent: an on-demand job (mxx trigger ID). Keys of every trigger: ${COMMON_KEYS.join(', ')}.`, properties, SCHEDULE_KEYS, rule);
}

function notifySection(): Schema {
  const event = { type: 'string', enum: [...NOTIFY_EVENTS] };
  return section(
    'Notifications when a run ends (or starts). [notify] in config.toml sets defaults for every job.',
    {
      enabled: { type: 'boolean', description: 'false: no notifications for this job, whatever config.toml says.' },
      on: { anyOf: [event, { type: 'array', items: event }], default: [...DEFAULT_NOTIFY_ON], description: 'Events to notify: started, completed, failed, timed_out, cancelled, interrupted, skipped, missed, recovered (the first completed run after failed or timed_out ones).' },
      webhook: {
        type: 'string',
        pattern: '^\\s*[hH][tT][tT][pP][sS]?://',
        not: { type: 'string', pattern: '^[^/]*//[^/?#]*@' },
        description: 'http:// or https:// URL that gets a JSON POST {event, job_id, run, host, server_url}; no user name or password in it (send them as headers).',
      },
      headers: {
        type: 'object',
        propertyNames: { type: 'string', pattern: HEADER_NAME.source },
        additionalProperties: { type: 'string', pattern: '^[^\\r\\n\0]*$' },
        description: 'HTTP headers sent with the webhook, e.g. { Authorization = "Bearer ..." }.',
      },
      cmd: command('Run when a notification is due, with the run record JSON on stdin and MXX_JOB_ID, MXX_RUN_ID, MXX_STATUS, MXX_EXIT_CODE, MXX_LOG_PATH set. A string runs with /bin/sh -c; an array runs without a shell.'),
      lifetime: number('Seconds the notify cmd may run, at most one year.', { min: 0, exclusive: true, max: ONE_YEAR.value }, { default: DEFAULT_NOTIFY_LIFETIME }),
    },
    NOTIFY_KEYS,
  );
}

/** The job-file schema (a fresh object each call). */
export function jobJsonSchema(): Schema {
  // The defaults are what the validator fills in for a minimal job: asked, not copied.
  const minimal = parseJobDocument({ os: { cmd: 'true' } }, { id: 'schema', source: 'schema' });
  const policyDefault = (key: keyof JobPolicy): Schema => ({ default: minimal.policy[key] });
  const year = ONE_YEAR.value;
  const sections: Record<(typeof SECTIONS)[number], Schema> = {
    lifetime: section(
      'The time limit of a run. Absent: no time limit.',
      {
        lifetime: number('Seconds, > 0, at most one year; the run is stopped when it passes (SIGTERM to its process group, SIGKILL after grace). Absent: no time limit.', { min: 0, exclusive: true, max: year }),
        grace: number('Seconds between SIGTERM and SIGKILL, at most one year.', { min: 0, max: year }, { default: minimal.lifetime.grace }),
      },
      LIFETIME_KEYS,
    ),
    os: section(
      'The command each run starts.',
      {
        cmd: command('The command: a string runs with /bin/sh -c; an array runs without a shell.'),
        cwd: text('Working directory of the run.'),
        env: {
          type: 'object',
          propertyNames: { type: 'string', pattern: '^[^=\0]+$' },
          additionalProperties: { type: ['string', 'number', 'boolean'], pattern: NO_NUL },
          description: 'Added to the environment of the run, e.g. { NAME = "x" }. Every run also gets MXX_JOB_ID, MXX_RUN_ID and MXX_SCHEDULED_AT.',
        },
        kill: { type: ['string', 'array'], pattern: NON_BLANK, minItems: 1, items: { type: 'string', pattern: NON_BLANK }, description: 'Process name(s) to end when the run ends; with kill set, the run lasts its full lifetime.' },
      },
      OS_KEYS,
      { required: ['cmd'] },
    ),
    schedule: scheduleSection(),
    policy: section(
      'Overlap, retries, history and groups.',
      {
        overlap: { type: 'string', enum: [...OVERLAP_POLICIES], ...policyDefault('overlap'), description: 'A fire or trigger while the job runs: skip records a skipped run; queue runs it right after (one pending at most); replace stops the current run; allow runs both, up to max_instances.' },
        max_instances: number('Concurrent runs with overlap = "allow".', { min: 1, integer: true }, policyDefault('max_instances')),
        retries: number('Re-runs after failure or timeout.', { min: 0, integer: true }, policyDefault('retries')),
        retry_delay: number('Seconds before the first retry, doubled per attempt; at most one year.', { min: 0, max: year }, policyDefault('retry_delay')),
        misfire_grace_time: number('Seconds; a fire later than this is recorded as missed.', { min: 0 }, policyDefault('misfire_grace_time')),
        history: number('Runs kept for this job.', { min: 1, integer: true }, policyDefault('history')),
        group: text('Jobs of one group never run at the same time.'),
      },
      POLICY_KEYS,
    ),
    notify: notifySection(),
    placement: section(
      'Several servers (PostgreSQL store): the job runs only on servers started with every one of these labels (--label); with no such server live, a fire is recorded missed.',
      {
        labels: {
          type: 'array',
          minItems: 1,
          maxItems: 32,
          items: { type: 'string', pattern: LABEL_PATTERN.source },
          description: 'Labels a server must have, e.g. ["gpu"]; a label is a letter or digit, then up to 62 letters, digits, ".", "_" or "-".',
        },
      },
      PLACEMENT_KEYS,
      { required: ['labels'] },
    ),
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: JOB_SCHEMA_ID,
    title: 'mxx job file',
    description: 'A job for the mxx scheduler: a file in the jobs folder (TOML, YAML or JSON); the job id is the file name without extension.',
    type: 'object',
    properties: sections,
    required: ['os'],
    additionalProperties: false,
  };
}

/** The schema as the committed file holds it: 2-space JSON and a final newline. */
export function jobJsonSchemaText(): string {
  return `${JSON.stringify(jobJsonSchema(), null, 2)}\n`;
}
