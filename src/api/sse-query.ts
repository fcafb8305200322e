/**
 * What a client asks of GET /events: where to resume (`Last-Event-ID` or `?since=`) and which
 * events it wants (`?job=`, `?type=`, each repeatable). Validated before the stream opens, so a
 * mistake is a 400 that names the parameter, never a stream that silently sends nothing.
 */
import type { H3Event } from 'h3';
import { MxxError } from '../errors.js';
import { EVENT_TYPES, type ServerEvent } from '../events/types.js';
import { assertJobId } from '../job/id.js';
import { didYouMean } from '../job/suggest.js';

/** `run.`, `job.`, `file.`, `server.`: what `?type=` accepts besides a whole type. */
export const EVENT_TYPE_PREFIXES: readonly string[] = [...new Set(EVENT_TYPES.map((type) => `${type.split('.', 1)[0]}.`))];

const PARAMETERS = ['since', 'job', 'type'];

export interface EventQuery {
  /** Replay the events after this id; null: live events only. */
  since: number | null;
  filter: (event: ServerEvent) => boolean;
}

export function parseEventQuery(event: H3Event): EventQuery {
  const params = event.url.searchParams;
  for (const name of new Set(params.keys())) {
    if (PARAMETERS.includes(name)) continue;
    if (name === 'token' || name === 'access_token') {
      throw new MxxError('INVALID_REQUEST', `query parameter ${name} is not accepted: the token is never read from the URL`, {
        hint: 'send it as the header Authorization: Bearer <token>',
      });
    }
    throw new MxxError('INVALID_REQUEST', `query parameter ${name} is not known${didYouMean(name, PARAMETERS)}; accepted: ${PARAMETERS.join(', ')}`);
  }
  const jobs = nonEmpty(params.getAll('job'));
  for (const id of jobs) assertJobId(id, 'query parameter job');
  const types = nonEmpty(params.getAll('type'));
  for (const type of types) assertEventType(type);
  return { since: resumeId(event), filter: createFilter(jobs, types) };
}

function nonEmpty(values: string[]): string[] {
  return values.filter((value) => value !== '');
}

/**
 * The header wins over `?since=`: a browser's EventSource reconnects to the same URL (with the
 * `since` it was opened with) and adds the id it saw last as the header.
 */
function resumeId(event: H3Event): number | null {
  const header = event.req.headers.get('last-event-id');
  if (header !== null && header.trim() !== '') return eventId(header.trim(), 'the Last-Event-ID header');
  const since = event.url.searchParams.get('since');
  if (since !== null && since !== '') return eventId(since, 'query parameter since');
  return null;
}

function eventId(raw: string, what: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new MxxError('INVALID_REQUEST', `${what} must be an event id, a whole number of 0 or more; got ${JSON.stringify(raw)}`, {
      hint: 'use the id: of the last event received (0 replays every event the server still holds)',
    });
  }
  return value;
}

function assertEventType(type: string): void {
  if ((EVENT_TYPES as readonly string[]).includes(type) || EVENT_TYPE_PREFIXES.includes(type)) return;
  const accepted = [...EVENT_TYPES, ...EVENT_TYPE_PREFIXES];
  throw new MxxError(
    'INVALID_REQUEST',
    `query parameter type ${JSON.stringify(type)} is not an event type${didYouMean(type, accepted)}; accepted: ${EVENT_TYPES.join(', ')}, or a prefix: ${EVENT_TYPE_PREFIXES.join(', ')}`,
  );
}

/**
 * server.stopping names no job but concerns every one: a job filter lets it through, so a client
 * watching one job still learns why its stream ends. A type filter is taken as written.
 */
function createFilter(jobs: string[], types: string[]): (event: ServerEvent) => boolean {
  const jobSet = jobs.length === 0 ? null : new Set(jobs);
  const exact = new Set(types.filter((type) => !type.endsWith('.')));
  const prefixes = types.filter((type) => type.endsWith('.'));
  const typeOk =
    types.length === 0 ? () => true : (type: string) => exact.has(type) || prefixes.some((prefix) => type.startsWith(prefix));
  return (event) => {
    if (!typeOk(event.type)) return false;
    if (jobSet === null || event.type === 'server.stopping') return true;
    return 'job_id' in event && event.job_id !== undefined && jobSet.has(event.job_id);
  };
}
