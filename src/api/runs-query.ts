/**
 * The query of GET /runs: `job`, `status` (each repeatable and/or a comma list), `since` (an ISO 8601
 * instant), `limit`, `before` (a run id). Anything else, or a value that cannot be read, is a 400
 * that names the parameter and what it accepts.
 */
import type { H3Event } from 'h3';
import { getQuery } from 'h3';
import { MxxError } from '../errors.js';
import { isJobId, JOB_ID_HINT } from '../job/id.js';
import { didYouMean } from '../job/suggest.js';
import type { RunStatus } from '../records.js';
import type { RunQuery } from '../supervisor/index.js';
import { intQuery } from './params.js';

/** @default 50 */
export const DEFAULT_RUNS_LIMIT = 50;
export const MAX_RUNS_LIMIT = 1000;

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'timed_out', 'cancelled', 'interrupted', 'skipped', 'missed'] as const satisfies readonly RunStatus[];
// A status added to RunStatus must be added above, or this line stops compiling.
const everyStatusListed: Exclude<RunStatus, (typeof RUN_STATUSES)[number]> extends never ? true : never = true;
void everyStatusListed;

const PARAMETERS = ['job', 'status', 'since', 'limit', 'before'];

/** `2026-11-26`, `2026-11-26T20:15`, `…:05`, `…:05.123`, with `Z` or `±hh:mm` (or none: local time). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Every value of a repeatable parameter, comma lists split, blanks dropped. */
function listQuery(raw: string | string[] | undefined): string[] {
  if (raw === undefined) return [];
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => value.split(','));
  return [...new Set(values.map((value) => value.trim()).filter((value) => value !== ''))];
}

function singleQuery(name: string, raw: string | string[] | undefined): string | undefined {
  if (Array.isArray(raw)) throw new MxxError('INVALID_REQUEST', `query parameter ${name} is given ${raw.length} times; give it once`);
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function parseJobs(raw: string | string[] | undefined): string[] | undefined {
  const jobs = listQuery(raw);
  for (const job of jobs) {
    if (!isJobId(job)) throw new MxxError('INVALID_REQUEST', `query parameter job: ${JSON.stringify(job)} is not a valid job id`, { hint: JOB_ID_HINT });
  }
  return jobs.length > 0 ? jobs : undefined;
}

function parseStatuses(raw: string | string[] | undefined): RunStatus[] | undefined {
  const statuses = listQuery(raw);
  for (const status of statuses) {
    if (!(RUN_STATUSES as readonly string[]).includes(status)) {
      throw new MxxError('INVALID_REQUEST', `query parameter status: ${JSON.stringify(status)} is not a run status${didYouMean(status, RUN_STATUSES)}`, {
        hint: `use one or more of ${RUN_STATUSES.join(', ')} (a comma list, or the parameter repeated)`,
      });
    }
  }
  return statuses.length > 0 ? (statuses as RunStatus[]) : undefined;
}

function parseSince(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  // An unencoded "+01:00" arrives as " 01:00" (a "+" in a query is a space): read it as meant.
  const text = raw.replace(/ (\d{2}:?\d{2})$/, '+$1');
  const ms = ISO_INSTANT.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new MxxError('INVALID_REQUEST', `query parameter since: ${JSON.stringify(raw)} is not an ISO 8601 instant`, {
      hint: 'e.g. 2026-11-26T20:15:00Z or 2026-11-26T21:15:00%2B01:00 (encode "+" as %2B)',
    });
  }
  return ms;
}

function parseBefore(raw: string | undefined): string | undefined {
  if (raw !== undefined && !isJobId(raw)) {
    throw new MxxError('INVALID_REQUEST', `query parameter before: ${JSON.stringify(raw)} is not a run id`, {
      hint: 'pass the next_before of the previous page (or any run_id)',
    });
  }
  return raw;
}

export function parseRunQuery(event: H3Event): RunQuery {
  const query = getQuery(event) as Record<string, string | string[] | undefined>;
  for (const name of Object.keys(query)) {
    if (PARAMETERS.includes(name)) continue;
    throw new MxxError('INVALID_REQUEST', `query parameter ${name} is not known${didYouMean(name, PARAMETERS)}`, {
      hint: `GET /runs takes ${PARAMETERS.join(', ')}`,
    });
  }
  const jobs = parseJobs(query.job);
  const statuses = parseStatuses(query.status);
  const since = parseSince(singleQuery('since', query.since));
  const before = parseBefore(singleQuery('before', query.before));
  return {
    limit: intQuery(event, 'limit', DEFAULT_RUNS_LIMIT, 1, MAX_RUNS_LIMIT),
    ...(jobs && { jobs }),
    ...(statuses && { statuses }),
    ...(since !== undefined && { since }),
    ...(before !== undefined && { before }),
  };
}
