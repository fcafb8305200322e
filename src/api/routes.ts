/**
 * A thin route table over h3: every path gets the API prefix. A handler only throws on failure: h3
 * hands what it threw to the app's one error hook (createErrorHandler), whatever the route.
 */
import type { H3, H3Event } from 'h3';

export type Handler = (event: H3Event) => Response | Promise<Response>;

export interface Routes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  delete(path: string, handler: Handler): void;
}

export function createRoutes(app: H3, base: string): Routes {
  const add = (method: 'GET' | 'POST' | 'DELETE') => (path: string, handler: Handler) => {
    app.on(method, `${base}${path}`, handler);
  };
  return { get: add('GET'), post: add('POST'), delete: add('DELETE') };
}
