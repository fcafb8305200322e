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

/**
 * A GET route answers HEAD too (RFC 9110 §9.3.2: same status and headers; Node's http server sends
 * no body for a HEAD request). Monitors and load balancers probe with HEAD.
 */
export function onGet(app: H3, path: string, handler: Handler): void {
  app.on('GET', path, handler);
  app.on('HEAD', path, handler);
}

export function createRoutes(app: H3, base: string): Routes {
  const add = (method: 'POST' | 'DELETE') => (path: string, handler: Handler) => {
    app.on(method, `${base}${path}`, handler);
  };
  return { get: (path, handler) => onGet(app, `${base}${path}`, handler), post: add('POST'), delete: add('DELETE') };
}
