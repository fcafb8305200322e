/**
 * Path and query parameters. The app lets malformed percent-encoding through to the routes (h3
 * would refuse it before routing with a bare 400), so that the answer can name the parameter.
 */
import type { H3Event } from 'h3';
import { getQuery, getRouterParam } from 'h3';
import { MxxError } from '../errors.js';
import { assertJobId } from '../job/id.js';

const ESCAPE_HINT = 'a "%" must start an escape of two hex digits that encode UTF-8 (e.g. %2E); ids need no escaping';

/** An id from the path (`what`: "job id", "run id"), decoded and validated. */
export function idParam(event: H3Event, name: string, what: string): string {
  let id: string | undefined;
  try {
    // decode keeps %2F and %5C encoded, so the id stays one segment and fails validation.
    id = getRouterParam(event, name, { decode: true });
  } catch {
    const raw = getRouterParam(event, name);
    throw new MxxError('INVALID_REQUEST', `${what} in the path is not valid percent-encoding: ${JSON.stringify(raw)}`, {
      hint: ESCAPE_HINT,
    });
  }
  assertJobId(id, what);
  return id;
}

export function jobIdParam(event: H3Event, name = 'id'): string {
  return idParam(event, name, 'job id');
}

/** For paths that match no route: a 400 beats a 404 when the path cannot even be read. */
export function assertDecodablePath(pathname: string): void {
  try {
    decodeURIComponent(pathname);
  } catch {
    throw new MxxError('INVALID_REQUEST', `the path ${JSON.stringify(pathname)} is not valid percent-encoding`, {
      hint: ESCAPE_HINT,
    });
  }
}

/** A whole-number query parameter from `min` to `max`; `fallback` when absent or empty. */
export function intQuery(event: H3Event, name: string, fallback: number, min: number, max: number): number {
  const raw = getQuery(event)[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MxxError('INVALID_REQUEST', `query parameter ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A flag query parameter: true for `true`, `1` or `yes`; anything else (or nothing) is false. */
export function boolQuery(event: H3Event, name: string): boolean {
  const raw = getQuery(event)[name];
  return raw === 'true' || raw === '1' || raw === 'yes';
}

/**
 * A repeatable job-id query parameter (`?job=a&job=b`, or a comma list): each id validated,
 * duplicates dropped; undefined when absent. At most `max` ids.
 */
export function jobIdsQuery(event: H3Event, name: string, max = 1000): string[] | undefined {
  const raw = getQuery(event)[name] as string | string[] | undefined;
  if (raw === undefined) return undefined;
  const ids = [...new Set((Array.isArray(raw) ? raw : [raw]).flatMap((value) => value.split(',')).map((id) => id.trim()).filter((id) => id !== ''))];
  if (ids.length > max) throw new MxxError('INVALID_REQUEST', `query parameter ${name} is given ${ids.length} times; at most ${max} ids`);
  for (const id of ids) assertJobId(id, `query parameter ${name}`);
  return ids;
}
