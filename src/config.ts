/** Server options: defaults, environment, validation (SPEC §2, §8). */
import { MxxError } from './errors.js';
import type { LogLevel } from './logger.js';
import { isLoopbackHost } from './net/loopback.js';
import { resolvePaths, type MxxPaths } from './paths.js';
import { assertWholeNumber, DEFAULT_MAX_CONCURRENCY } from './supervisor/options.js';

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
  /**
   * API token; required (at least 16 characters) when binding to a non-loopback address. Never
   * blank. An empty MXX_API_TOKEN counts as unset. @default MXX_API_TOKEN
   */
  token?: string;
  /**
   * Web origins (`http://host:port`) whose pages may call the API, besides the server's own.
   * @default MXX_ALLOW_ORIGINS (comma-separated) or none
   */
  allowOrigins?: string[];
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
  /** Serialised origins, e.g. `http://localhost:3000`. */
  allowOrigins: string[];
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

const MIN_NETWORK_TOKEN_LENGTH = 16;

function parseToken(token: string, from: string, host: string): string {
  if (token.trim() === '') {
    throw new MxxError('INVALID_REQUEST', `${from} is blank: no client could authenticate`, {
      hint: 'pass a real secret, e.g. the output of `openssl rand -hex 16`, or leave it unset on a loopback address',
    });
  }
  if (token !== token.trim()) {
    // HTTP strips a header value's surrounding whitespace, so such a token could never match.
    throw new MxxError('INVALID_REQUEST', `${from} starts or ends with whitespace, which an Authorization header cannot carry`, {
      hint: 'remove the surrounding spaces or newline',
    });
  }
  if (!isLoopbackHost(host) && token.length < MIN_NETWORK_TOKEN_LENGTH) {
    throw new MxxError(
      'INVALID_REQUEST',
      `${from} is ${token.length} characters; a server on ${host} needs at least ${MIN_NETWORK_TOKEN_LENGTH}`,
      { hint: 'the API is reachable from the network: make one with `openssl rand -hex 16`' },
    );
  }
  return token;
}

/** `http://LOCALHOST:3000/` → `http://localhost:3000`; anything but a bare http(s) origin is refused. */
function parseOrigin(value: string, from: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below with the expected form
  }
  const web = url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
  if (!url || !web || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new MxxError(
      'INVALID_REQUEST',
      `${from} ${JSON.stringify(value)} is not a web origin: expected http://host:port (or https://), with no path, query or credentials`,
      { hint: 'give the address of the page as the browser shows it, e.g. --allow-origin http://localhost:3000' },
    );
  }
  return url.origin;
}

function resolveAllowOrigins(options: ServerOptions, env: NodeJS.ProcessEnv): string[] {
  if (options.allowOrigins !== undefined) return options.allowOrigins.map((value) => parseOrigin(value, '--allow-origin'));
  const list = (env.MXX_ALLOW_ORIGINS ?? '').split(',').map((value) => value.trim());
  return list.filter((value) => value !== '').map((value) => parseOrigin(value, 'MXX_ALLOW_ORIGINS'));
}

/**
 * `[::1]` → `::1` (listen takes no brackets). A loopback spelling loses its trailing dot:
 * `localhost.` is not in /etc/hosts and `127.0.0.1.` is no IP literal to the resolver, so both
 * would go to DNS, which could answer with an address that is not loopback (and needs a token).
 */
function bindAddress(host: string): string {
  const unbracketed = /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  return unbracketed.endsWith('.') && isLoopbackHost(unbracketed) ? unbracketed.slice(0, -1) : unbracketed;
}

export function resolveServerOptions(options: ServerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedServerOptions {
  const host = bindAddress(options.host ?? env.MXX_SERVER_HOST ?? '127.0.0.1');
  const port =
    options.port !== undefined
      ? parsePort(options.port, '--port')
      : env.MXX_SERVER_PORT
        ? parsePort(env.MXX_SERVER_PORT, 'MXX_SERVER_PORT')
        : 5000;
  const token =
    options.token !== undefined
      ? parseToken(options.token, '--token', host)
      : env.MXX_API_TOKEN
        ? parseToken(env.MXX_API_TOKEN, 'MXX_API_TOKEN', host)
        : undefined;
  if (!isLoopbackHost(host) && token === undefined) {
    throw new MxxError('INVALID_REQUEST', `refusing to listen on ${host} without an API token`, {
      hint: 'a non-loopback address exposes the API to the network: set MXX_API_TOKEN or pass --token, at least 16 characters (e.g. `openssl rand -hex 16`); clients send the same MXX_API_TOKEN',
    });
  }
  // Checked here, not only by the supervisor: the message names the flag, and no home is locked yet.
  const maxConcurrency = assertWholeNumber(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, '--max-concurrency', 1);
  const debug = options.debug ?? false;
  return {
    host,
    port,
    paths: resolvePaths({ ...(options.home ? { home: options.home } : {}), ...(options.jobsDir ? { jobsDir: options.jobsDir } : {}) }, env),
    debug,
    maxConcurrency,
    token,
    allowOrigins: resolveAllowOrigins(options, env),
    logLevel: options.logLevel ?? (debug ? 'debug' : 'info'),
    threads: options.threads,
  };
}
