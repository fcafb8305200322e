/**
 * The dashboard's one way to the REST API: paths relative to the page (so it works behind a proxy
 * that serves mxx under a sub-path), the token as a Bearer header, and error bodies turned into
 * ApiError with the server's message and hint. A 401 asks for the token and retries.
 */
import { authHeaders, currentToken, tokenRefused } from './auth.js';

export const API = 'api/scheduler';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** The server cannot be reached, or is starting or stopping: the page says "reconnecting". */
  get unreachable(): boolean {
    return this.status === 0 || this.code === 'SERVER_STARTING';
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: string; code?: string; hint?: string };
    return new ApiError(response.status, body.code ?? 'HTTP_' + response.status, body.error ?? response.statusText, body.hint);
  } catch {
    return new ApiError(response.status, 'HTTP_' + response.status, text.slice(0, 200) || response.statusText);
  }
}

/** fetch() against the API with the token; resolves with an ok Response or throws ApiError. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const sent = currentToken();
    let response: Response;
    try {
      response = await fetch(`${API}${path}`, {
        ...init,
        headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) },
        cache: 'no-store',
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'SERVER_UNREACHABLE', 'the server cannot be reached');
    }
    if (response.status === 401) {
      await response.body?.cancel().catch(() => undefined);
      await tokenRefused(sent);
      continue;
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

/** POST/DELETE an action; a body, when given, is JSON. */
export async function act<T = { message?: string }>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await apiFetch(path, init);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export const enc = encodeURIComponent;
