/**
 * POST /shutdown: asks the server to stop cleanly, as SIGTERM does. The answer goes out first; the
 * stop itself (stop firing, stop runs with grace, persist, close) is the caller's `requestStop`, run
 * once the response is on its way, so the handler never exits the process itself.
 */
import { getRequestIP } from 'h3';
import { MxxError } from '../errors.js';
import { isLoopbackHost } from '../net/loopback.js';
import type { Supervisor } from '../supervisor/index.js';
import { json } from './http.js';
import type { Routes } from './routes.js';

/** The 202 answer: `running` counts the runs (started or waiting) the shutdown stops. */
export interface ShutdownBody {
  message: 'server stopping';
  running: number;
}

export interface ShutdownRouteOptions {
  /** Starts the clean shutdown; `client` is the peer address, for the log. Called once per request. */
  requestStop: (client: string | undefined) => void;
  /** A token guards the API (checked before routing), so any client that sent it may stop the server. */
  tokenRequired: boolean;
}

export function registerShutdownRoute(app: Routes, supervisor: Supervisor, options: ShutdownRouteOptions): void {
  app.post('/shutdown', (event) => {
    const client = getRequestIP(event);
    // Without a token the only proof of being the machine's user is the connection itself.
    if (!options.tokenRequired && (client === undefined || !isLoopbackHost(client))) {
      throw new MxxError('FORBIDDEN_ORIGIN', `shutdown is accepted only from this machine (loopback) when no API token is set; the request came from ${client ?? 'an unknown address'}`, {
        hint: 'run mxx shutdown on the server machine, or give the server a token (token_file in config.toml)',
      });
    }
    const body: ShutdownBody = { message: 'server stopping', running: supervisor.runningCount };
    setImmediate(() => options.requestStop(client));
    return json(body, 202);
  });
}
