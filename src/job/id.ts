import { MxxError } from '../errors.js';

export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a valid id looks like, for every message that refuses one. */
export const JOB_ID_HINT = 'ids are 1-128 characters of letters, digits, ".", "_" and "-", starting with a letter or digit';

export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && JOB_ID_PATTERN.test(value) && value !== '.' && !value.includes('..');
}

export function assertJobId(value: unknown, what = 'job id'): asserts value is string {
  if (!isJobId(value)) {
    throw new MxxError('INVALID_REQUEST', `${what} ${JSON.stringify(value)} is not valid`, {
      hint: JOB_ID_HINT,
    });
  }
}
