/**
 * The answer to every request while the server is still loading its registry and job files: 503
 * SERVER_STARTING with Retry-After, so no client acts on a half-loaded registry (a registration
 * then could have replaced the stored ones; a job that exists could have answered 404).
 */
import { MxxError } from '../errors.js';
import { VERSION } from '../version.js';
import { RETRY_AFTER_SECONDS, errorAnswer } from './http.js';

export function startingResponse(pathname: string, healthPath: string): Response {
  const error = new MxxError('SERVER_STARTING', 'the server is starting: it is still loading its registry and job files', {
    hint: `retry in ${RETRY_AFTER_SECONDS} s`,
  });
  // Not thrown: the gate answers, it did not fail. /health also says what is starting.
  return errorAnswer(error, pathname === healthPath ? { status: 'starting', service: 'mxx-scheduler', version: VERSION } : undefined);
}
