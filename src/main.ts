/** resolveServerOptions → createSupervisor → listen. (Being built: the server issue.) */
import type { Logger, LogLevel } from './logger.js';

export interface ServerOptions {
  /** @default MXX_SERVER_HOST or '127.0.0.1' */
  host?: string;
  /** 0 = an ephemeral port. @default MXX_SERVER_PORT or 5000 */
  port?: number;
  /** @default MXX_JOBS_DIR or <home>/jobs */
  jobsDir?: string;
  /** @default MXX_HOME or ~/.mxx */
  home?: string;
  /** Raises the log level to debug and puts stacks in 500 answers. @default false */
  debug?: boolean;
  /** Global limit on concurrent runs. @default 64 */
  maxConcurrency?: number;
  /** API token; required when binding to a non-loopback address. @default MXX_API_TOKEN */
  token?: string;
  logLevel?: LogLevel;
  logger?: Logger;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:5000 (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/** Starts the supervisor and the HTTP server; logs `listening on <url>`. */
export async function startServer(_options: ServerOptions = {}): Promise<RunningServer> {
  throw new Error('not implemented yet');
}

/** startServer plus SIGINT/SIGTERM handling, for the `server` command. Resolves when the server has shut down. */
export async function runServer(options: ServerOptions = {}): Promise<void> {
  await startServer(options);
}
