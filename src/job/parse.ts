/**
 * unknown → JobDefinition: the one validator for job files, API bodies, the registry and
 * `mxx validate` (SPEC §3). Strict on purpose: an unknown section or key is an error with a
 * suggestion, because a typo must not silently turn a scheduled job into an on-demand one.
 */
import { MxxError } from '../errors.js';
import { checkKeys, checkNoNul, Issues, isTable, MAX_DEPTH, ONE_YEAR, readChoice, readNumber, readString, shown, type Table, toPlain, TooDeepError } from './issues.js';
import { checkScheduleFires } from './check-fires.js';
import { JOB_ID_HINT, JOB_ID_PATTERN, isJobId } from './id.js';
import { parseNotifySection } from './notify.js';
import { parsePlacementSection } from './placement.js';
import { parseScheduleSection } from './parse-schedule.js';
import { didYouMean } from './suggest.js';
import type { JobCommand, JobDefinition, JobLifetime, JobPolicy, OverlapPolicy } from './types.js';
import { DEFAULT_HISTORY_KEEP } from './defaults.js';
import { intern, NO_ENV } from './intern.js';

export { formatIssue } from './issues.js';

export const SECTIONS = ['lifetime', 'os', 'schedule', 'policy', 'notify', 'placement'] as const;
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'queue', 'replace', 'allow'];
/** Known keys per section (the JSON Schema of job files is built from these too: src/job/json-schema.ts). */
export const LIFETIME_KEYS = ['lifetime', 'grace'] as const;
export const OS_KEYS = ['cmd', 'cwd', 'env', 'kill'] as const;
export const POLICY_KEYS = ['overlap', 'max_instances', 'retries', 'retry_delay', 'misfire_grace_time', 'history', 'group'] as const;
const REQUEST_FIELDS = ['job_id', 'config', 'schedule', 'replace_existing'];

export interface ParseJobOptions {
  /** The job id (a file's name without extension, or the API's `job_id`). */
  id: string;
  /** What messages start with: a file name, or `request`. */
  source: string;
  /**
   * The current time (epoch ms), for callers registering a job right now (the API): a schedule
   * whose fires have all passed is then an error — a `run_date` older than
   * `policy.misfire_grace_time`, an `end_date` gone by. Job files and the registry pass none, so a
   * date job that already ran stays valid across restarts.
   */
  now?: number;
}

/**
 * Validates a parsed job document. Every problem is collected and thrown together as one
 * MxxError('INVALID_JOB'): its message has one line per problem, each starting with
 * `ctx.source` (a file name or `request`); its `details` are the ValidationIssue[].
 * `config`/`scheduleDoc` are plain JSON copies (TOML dates become ISO text).
 */
export function parseJobDocument(doc: unknown, ctx: ParseJobOptions): JobDefinition {
  const issues = new Issues(ctx.source);
  if (!isJobId(ctx.id)) issues.add('', `the job id ${JSON.stringify(ctx.id)} is not valid: ${JOB_ID_HINT} (${JOB_ID_PATTERN.source})`);
  if (!isTable(doc)) {
    issues.add('', `the document must be a table of sections (${SECTIONS.join(', ')}), got ${doc === undefined ? 'nothing' : shown(doc)}`);
    issues.throwIfAny();
  }
  const plain = plainCopy(issues, doc);
  for (const [key, value] of Object.entries(plain)) {
    if (!(SECTIONS as readonly string[]).includes(key)) {
      issues.add(key, `is not a known section${didYouMean(key, SECTIONS) || ` (sections are ${SECTIONS.join(', ')})`}`);
    } else if (!isTable(value)) {
      issues.add(key, `must be a section (a table, [${key}] in TOML), got ${shown(value)}`);
    }
  }
  const section = (name: string): Table | undefined => (isTable(plain[name]) ? (plain[name] as Table) : undefined);
  const lifetime = parseLifetime(issues, section('lifetime') ?? {});
  const os = plain.os === undefined || section('os') ? parseOs(issues, section('os') ?? {}) : undefined;
  const policy = parsePolicy(issues, section('policy') ?? {});
  const notify = section('notify') ? parseNotifySection(issues, section('notify')!) : undefined;
  const placement = section('placement') ? parsePlacementSection(issues, section('placement')!) : undefined;
  const scheduleDoc = section('schedule') ?? null;
  const schedule = scheduleDoc ? parseScheduleSection(issues, scheduleDoc) : undefined;
  if (schedule) checkScheduleFires(issues, schedule, { misfireGraceSeconds: policy.misfire_grace_time, ...(ctx.now === undefined ? {} : { now: ctx.now }) });
  issues.throwIfAny();
  const { schedule: _omit, ...config } = plain;
  return { id: ctx.id, lifetime, os: os!, ...(schedule ? { schedule } : {}), policy, ...(notify ? { notify } : {}), ...(placement ? { placement } : {}), config, scheduleDoc };
}

/** toPlain, with a document nested past MAX_DEPTH reported as its only problem. */
function plainCopy(issues: Issues, doc: unknown): Table {
  try {
    return toPlain(doc) as Table;
  } catch (error) {
    if (!(error instanceof TooDeepError)) throw error;
    issues.add(error.path, `is nested too deep: a job document may be at most ${MAX_DEPTH} levels deep`);
    issues.throwIfAny();
    throw error; // not reached: the issue just added is thrown
  }
}

function parseLifetime(issues: Issues, s: Table): JobLifetime {
  checkKeys(issues, s, LIFETIME_KEYS, 'lifetime');
  const lifetime = readNumber(issues, 'lifetime.lifetime', s.lifetime, { min: 0, exclusive: true, max: ONE_YEAR });
  const grace = readNumber(issues, 'lifetime.grace', s.grace, { min: 0, max: ONE_YEAR }) ?? 5;
  return intern('lifetime', lifetime === undefined ? { grace } : { lifetime, grace });
}

function parseOs(issues: Issues, s: Table): JobCommand | undefined {
  checkKeys(issues, s, OS_KEYS, 'os');
  const cmd = s.cmd;
  const what = 'a command string, or a non-empty array of strings (run without a shell)';
  let command: string | string[] | undefined;
  if (cmd === undefined) issues.add('os.cmd', `is required: ${what}`);
  else if (typeof cmd === 'string') {
    if (cmd.trim() === '') issues.add('os.cmd', `must not be empty: give ${what}`);
    else if (checkNoNul(issues, 'os.cmd', cmd)) command = cmd;
  } else if (Array.isArray(cmd) && cmd.length > 0 && cmd.every((c) => typeof c === 'string') && String(cmd[0]).trim() !== '') {
    if (cmd.map((c, i) => checkNoNul(issues, `os.cmd[${i}]`, c)).every(Boolean)) command = [...cmd];
  } else {
    issues.add('os.cmd', `must be ${what}, got ${Array.isArray(cmd) && cmd.length === 0 ? 'an empty array' : shown(cmd)}`);
  }
  const cwd = readString(issues, 'os.cwd', s.cwd, 'a directory path');
  const env: Record<string, string> = {};
  if (s.env !== undefined && !isTable(s.env)) issues.add('os.env', `must be a table of NAME = "value", got ${shown(s.env)}`);
  for (const [name, value] of Object.entries(isTable(s.env) ? s.env : {})) {
    // The name goes into the message quoted: a raw NUL would cut the log line short.
    if (name.includes('\0')) issues.add('os.env', `has a variable name with a NUL byte: ${JSON.stringify(name)}`);
    else if (name === '' || name.includes('=')) issues.add(`os.env.${name}`, 'is not a valid variable name (no "=", not empty)');
    // Numbers and booleans are what a YAML or TOML author means as text: PORT = 8080.
    else if (['string', 'number', 'boolean'].includes(typeof value)) {
      if (checkNoNul(issues, `os.env.${name}`, String(value))) env[name] = String(value);
    } else issues.add(`os.env.${name}`, `must be a string, number or boolean, got ${shown(value)}`);
  }
  let kill: string[] | undefined;
  if (s.kill !== undefined) {
    const names = typeof s.kill === 'string' ? [s.kill] : s.kill;
    if (Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string' && n.trim() !== '')) {
      const path = (i: number): string => (typeof s.kill === 'string' ? 'os.kill' : `os.kill[${i}]`);
      if ((names as string[]).map((n, i) => checkNoNul(issues, path(i), n)).every(Boolean)) kill = [...(names as string[])];
    } else issues.add('os.kill', `must be a process name or an array of process names, got ${shown(s.kill)}`);
  }
  if (command === undefined) return undefined;
  return { cmd: command, ...(cwd === undefined ? {} : { cwd }), env: Object.keys(env).length === 0 ? NO_ENV : env, ...(kill ? { kill } : {}) };
}

function parsePolicy(issues: Issues, s: Table): JobPolicy {
  checkKeys(issues, s, POLICY_KEYS, 'policy');
  const group = readString(issues, 'policy.group', s.group, 'a group name');
  return intern('policy', {
    overlap: readChoice(issues, 'policy.overlap', s.overlap, OVERLAP_POLICIES) ?? 'skip',
    max_instances: readNumber(issues, 'policy.max_instances', s.max_instances, { min: 1, integer: true }) ?? 1,
    retries: readNumber(issues, 'policy.retries', s.retries, { min: 0, integer: true }) ?? 0,
    retry_delay: readNumber(issues, 'policy.retry_delay', s.retry_delay, { min: 0, max: ONE_YEAR }) ?? 5,
    misfire_grace_time: readNumber(issues, 'policy.misfire_grace_time', s.misfire_grace_time, { min: 0 }) ?? 60,
    history: readNumber(issues, 'policy.history', s.history, { min: 1, integer: true }) ?? DEFAULT_HISTORY_KEEP,
    ...(group === undefined ? {} : { group }),
  });
}

/**
 * A `POST /jobs` body: `{job_id, config, schedule?, replace_existing?}`, with `schedule` beside
 * `config` (the original API) or inside it — not both. A malformed body is INVALID_REQUEST; a
 * well-formed body with a bad job is INVALID_JOB (messages start with `request:`).
 * A job registered now must have a fire to come, so `now` defaults to the current time.
 */
export function parseJobRequest(body: unknown, options: { now?: number } = {}): { definition: JobDefinition; replaceExisting: boolean } {
  const bad = (message: string, hint?: string): never => {
    throw new MxxError('INVALID_REQUEST', `request: ${message}`, hint === undefined ? {} : { hint });
  };
  if (!isTable(body)) return bad(`the body must be a JSON object {job_id, config, schedule?, replace_existing?}, got ${shown(body)}`);
  for (const key of Object.keys(body)) {
    if (!REQUEST_FIELDS.includes(key)) bad(`${key} is not a known field${didYouMean(key, REQUEST_FIELDS)}`, `fields are ${REQUEST_FIELDS.join(', ')}`);
  }
  if (body.job_id === undefined) bad('job_id is required', JOB_ID_HINT);
  if (!isJobId(body.job_id)) bad(`job_id ${shown(body.job_id)} is not valid`, JOB_ID_HINT);
  if (body.replace_existing !== undefined && typeof body.replace_existing !== 'boolean') {
    bad(`replace_existing must be true or false, got ${shown(body.replace_existing)}`);
  }
  if (body.config === undefined) bad('config is required: the job\'s sections, e.g. {"os": {"cmd": "echo hi"}}');
  if (!isTable(body.config)) return bad(`config must be an object of sections (${SECTIONS.join(', ')}), got ${shown(body.config)}`);
  const outside = body.schedule ?? undefined; // null = no schedule, as in the original client
  if (outside !== undefined && body.config.schedule !== undefined) {
    throw new MxxError('INVALID_JOB', 'request: schedule is given both beside config and inside it; give it once', {
      details: [{ path: 'schedule', message: 'is given both beside config and inside it; give it once' }],
    });
  }
  const doc = outside === undefined ? body.config : { ...body.config, schedule: outside };
  return {
    definition: parseJobDocument(doc, { id: body.job_id as string, source: 'request', now: options.now ?? Date.now() }),
    replaceExisting: body.replace_existing === true,
  };
}
