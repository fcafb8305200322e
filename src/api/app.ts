/** createApp(supervisor) → the h3 app under /api/scheduler, with one guard and one error path. */
import { H3, type H3Event } from 'h3';
import { MxxError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Supervisor } from '../supervisor/index.js';
import { createGuard, type GuardOptions } from './guard.js';
import { registerHealthRoutes } from './health.js';
import type { Metrics } from '../metrics/index.js';
import { registerEventRoutes, type EventRoutesOptions, type EventStreams } from './events.js';
import { createErrorHandler } from './http.js';
import { registerJobRoutes } from './jobs.js';
import { createLogFollowers, DEFAULT_MAX_LOG_FOLLOWERS } from './log-followers.js';
import { assertDecodablePath } from './params.js';
import { registerRegistryRoutes } from './registry.js';
import { createRoutes, onGet } from './routes.js';
import { registerRunRoutes } from './runs.js';
import { registerShutdownRoute } from './shutdown.js';
import { startingResponse } from './starting.js';
import type { HealthBody } from './types.js';
import { createDashboard } from './ui.js';

export const API_BASE = '/api/scheduler';

export interface AppOptions extends GuardOptions {
  logger: Logger;
  /** Stacks in 500 answers. @default false */
  debug?: boolean;
  /** False while the server is still loading: every request then gets 503 SERVER_STARTING. @default always ready */
  isReady?: () => boolean;
  /** The watched jobs folder's state, for /health. @default not shown */
  jobsFolder?: () => HealthBody['jobs_folder'];
  /** Clients following run logs at once (`?follow=true`), over the whole server; beyond: 503 TOO_MANY_SUBSCRIBERS. @default 64 */
  maxLogFollowers?: number;
  /** The event stream's bounds and heartbeat (see EventRoutesOptions). @default its defaults */
  eventStream?: Omit<EventRoutesOptions, 'logger'>;
  /** Served at GET /metrics (at the root). @default no /metrics */
  metrics?: Metrics;
  /** A debug line per request: method, path, status, ms (`--debug`). Off, it costs nothing. @default false */
  logRequests?: boolean;
  /** Serve the web dashboard at / (SPEC §14); false: 404 at / (`--no-ui`, `ui = false`). @default true */
  ui?: boolean;
  /** What POST /shutdown starts once it has answered 202 (the server's clean shutdown). @default no /shutdown route */
  requestStop?: (client: string | undefined) => void;
}

/** When each request began, for its log line (only kept with logRequests). */
const started = new WeakMap<object, number>();

export interface MxxApp {
  app: H3;
  /** Ends the event streams (before the listener closes). */
  close(): void;
}

export function createApp(supervisor: Supervisor, options: AppOptions): H3 {
  return createMxxApp(supervisor, options).app;
}

export function createMxxApp(supervisor: Supervisor, options: AppOptions): MxxApp {
  const { logger } = options;
  const app = new H3({
    silent: true,
    // h3 would refuse a bad escape before routing with a bare 400; idParam names the parameter.
    allowMalformedURL: true,
    // The one error path: the guard, the routes and the fallback below only throw.
    onError: createErrorHandler(logger, options.debug ?? false),
    // Hooks only when asked for: without them h3 does no extra work per request.
    ...(options.logRequests
      ? {
          onRequest: (event: H3Event) => void started.set(event, performance.now()),
          onResponse: (response: Response, event: H3Event) => {
            const from = started.get(event);
            const ms = from === undefined ? undefined : Math.round((performance.now() - from) * 10) / 10;
            logger.debug('request', { method: event.req.method, path: event.url.pathname, status: response.status, ms });
          },
        }
      : {}),
  });
  const dashboard = options.ui === false ? null : createDashboard();
  const guard = createGuard(dashboard ? { ...options, publicPath: dashboard.isPublic } : options);
  app.use((event) => {
    guard(event);
    // The page loads while the server starts; its API calls wait for SERVER_STARTING to pass.
    const page = dashboard?.isPublic(event.req.method, event.url.pathname) ?? false;
    if (options.isReady && !options.isReady() && !page) return startingResponse(event.url.pathname, `${API_BASE}/health`);
    return undefined;
  });
  const routes = createRoutes(app, API_BASE);
  registerHealthRoutes(routes, supervisor, options.jobsFolder);
  registerJobRoutes(routes, supervisor);
  const followers = createLogFollowers(supervisor, options.maxLogFollowers ?? DEFAULT_MAX_LOG_FOLLOWERS, logger);
  registerRunRoutes(routes, supervisor, followers, logger);
  registerRegistryRoutes(routes, supervisor);
  if (options.requestStop) registerShutdownRoute(routes, supervisor, { requestStop: options.requestStop, tokenRequired: options.token !== undefined });
  const streams: EventStreams = registerEventRoutes(routes, supervisor.events, { ...options.eventStream, logger });
  const { metrics } = options;
  if (metrics) {
    onGet(app, '/metrics', async () => {
      const { contentType, body } = await metrics.scrape();
      return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
    });
  }
  dashboard?.register(app);
  app.all('/**', (event) => {
    assertDecodablePath(event.url.pathname);
    throw new MxxError('NOT_FOUND', `no such endpoint: ${event.req.method} ${event.url.pathname}`, {
      hint: `the API lives under ${API_BASE}/ (e.g. ${API_BASE}/health)`,
    });
  });
  return { app, close: () => streams.close() };
}
