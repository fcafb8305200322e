/**
 * The server words its messages and hints for API callers (body fields, query parameters). Where
 * the CLI has a flag for the same thing, a user of the CLI must read the flag: they never see the API.
 */
import { MxxError } from '../src/errors.js';

const API_TO_CLI: Array<[RegExp, string]> = [
  [/send "replace_existing": true/g, 'pass --replace'],
  [/"?replace_existing"?(: ?| ?= ?)true/g, '--replace'],
  [/\??\bfollow=true\b/g, '--follow'],
  [/\??\bterminate=true\b/g, '--terminate'],
  [/\bquery parameter limit\b/g, '--limit'],
  [/\bquery parameter (job|status|since|before)\b/g, '--$1'],
  [/\bquery parameter n\b/g, '-n'],
];

export function inCliWords(text: string): string {
  return API_TO_CLI.reduce((out, [api, cli]) => out.replace(api, cli), text);
}

/** The same error, its message and hint in CLI words. */
export function withCliWords(error: MxxError): MxxError {
  const message = inCliWords(error.message);
  const hint = error.hint === undefined ? undefined : inCliWords(error.hint);
  if (message === error.message && hint === error.hint) return error;
  return new MxxError(error.code, message, { hint, details: error.details, cause: error.cause });
}
