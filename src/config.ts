/** Server options: defaults, environment, validation (SPEC §2, §8). */
import { MxxError } from './errors.js';
import { isLoopbackHost } from './api/guard.js';
import type { LogLevel } from './logger.js';
import { resolvePaths, type MxxPaths } from './paths.js';

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
  /** @default 'info' ('debug' with debug) */
  logLevel?: LogLevel;
  /** Worker threads of the execution pool. @default the CPU count */
  threads?: number;
}

export interface ResolvedServerOptions {
  host: string;
  port: number;
  paths: MxxPaths;
  debug: boolean;
  maxConcurrency: number;
  token: string | undefined;
  logLevel: LogLevel;
  threads: number | undefined;
}

function parsePort(value: string | number, from: string): number {
  const port = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MxxError('INVALID_REQUEST', `${from} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

export function resolveServerOptions(options: ServerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedServerOptions {
  const host = options.host ?? env.MXX_SERVER_HOST ?? '127.0.0.1';
  const port =
    options.port !== undefined
      ? parsePort(options.port, '--port')
      : env.MXX_SERVER_PORT
        ? parsePort(env.MXX_SERVER_PORT, 'MXX_SERVER_PORT')
        : 5000;
  const token = options.token ?? (env.MXX_API_TOKEN || undefined);
  if (!isLoopbackHost(host) && !token) {
    throw new MxxError('INVALID_REQUEST', `refusing to listen on ${host} without an API token`, {
      hint: 'a non-loopback address exposes the API to the network: set MXX_API_TOKEN=<secret> or pass --token <secret> (clients send the same MXX_API_TOKEN)',
    });
  }
  const maxConcurrency = options.maxConcurrency ?? 64;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new MxxError('INVALID_REQUEST', `--max-concurrency must be a whole number ≥ 1, got ${maxConcurrency}`);
  }
  const debug = options.debug ?? false;
  return {
    host,
    port,
    paths: resolvePaths({ ...(options.home ? { home: options.home } : {}), ...(options.jobsDir ? { jobsDir: options.jobsDir } : {}) }, env),
    debug,
    maxConcurrency,
    token,
    logLevel: options.logLevel ?? (debug ? 'debug' : 'info'),
    threads: options.threads,
  };
}
