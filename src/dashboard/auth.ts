/**
 * The API token, when the server needs one (SPEC §14): asked for once, kept in sessionStorage (gone
 * when the tab closes), sent as a Bearer header, never put in a URL. One owner: the API client and
 * the event stream read it here; the token prompt sets it.
 */

const KEY = 'mxx.token';

export interface TokenState {
  /** The server answered 401: the page shows the prompt. */
  needed: boolean;
  /** Why, when a token was given and refused. */
  problem: string | null;
}

let token: string | null = read();
let state: TokenState = { needed: false, problem: null };
const listeners = new Set<() => void>();
const waiting: Array<() => void> = [];

function read(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the token lives as long as the page
  }
}

export function currentToken(): string | null {
  return token;
}

export function tokenState(): TokenState {
  return state;
}

export function onTokenState(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setState(next: TokenState): void {
  state = next;
  for (const listener of listeners) listener();
}

/**
 * The server refused the request: ask for a token (again, with a message when one was sent) and
 * resolve once the user gave one, so the caller can retry.
 */
export function tokenRefused(sentToken: string | null): Promise<void> {
  // Another request already got a newer token: retry with it at once.
  if (sentToken !== token && token !== null) return Promise.resolve();
  const problem = sentToken === null ? null : 'The server refused this token. Check it and enter it again.';
  if (!state.needed || state.problem !== problem) setState({ needed: true, problem });
  return new Promise((resolve) => waiting.push(resolve));
}

export function provideToken(value: string): void {
  token = value.trim();
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // kept in memory only
  }
  setState({ needed: false, problem: null });
  for (const resolve of waiting.splice(0)) resolve();
}

export function authHeaders(): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}
