/**
 * Path parameters. The app lets malformed percent-encoding through to the routes (h3 would
 * refuse it before routing with a bare 400), so that the answer can name the parameter.
 */
import type { H3Event } from 'h3';
import { getRouterParam } from 'h3';
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
