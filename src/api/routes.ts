/**
 * A thin route table over h3: every path gets the API prefix and every handler one error path, so
 * a thrown MxxError becomes `{error, code, hint}` with its status no matter where it was thrown.
 */
import type { H3, H3Event } from 'h3';
import type { Logger } from '../logger.js';
import { errorResponse } from './http.js';

export type Handler = (event: H3Event) => Response | Promise<Response>;

export interface Routes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  delete(path: string, handler: Handler): void;
}

export function createRoutes(app: H3, base: string, logger: Logger, debug: boolean): Routes {
  const add = (method: 'GET' | 'POST' | 'DELETE') => (path: string, handler: Handler) => {
    app.on(method, `${base}${path}`, async (event) => {
      try {
        return await handler(event);
      } catch (error) {
        return errorResponse(error, logger, debug);
      }
    });
  };
  return { get: add('GET'), post: add('POST'), delete: add('DELETE') };
}
