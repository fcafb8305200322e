/**
 * Server options (SPEC §2, §8, §9): flags (or StartOptions), environment, config.toml and defaults,
 * in that order for every setting, each resolved value remembering where it came from.
 */
import { join, resolve } from 'node:path';
import { MxxError } from './errors.js';
import type { NotifySpec } from './job/notify.js';
import { didYouMean } from './job/suggest.js';
import { LOG_FORMATS, type LogFormat, type LogLevel } from './logger.js';
import { isLoopbackHost } from './net/loopback.js';
import { resolvePaths, type MxxPaths } from './paths.js';
import { locateConfigFile, readSettingsFile, readTokenFile, type SettingsFile } from './settings/index.js';
import { assertWholeNumber, DEFAULT_MAX_CONCURRENCY } from './supervisor/options.js';
import { parseServerLabels } from './job/placement.js';
import { defaultThreads } from './pool.js';

export interface ServerOptions {
  /** The settings file. @default MXX_CONFIG or <home>/config.toml (a missing default file is no error) */
  configFile?: string;
  /** @default MXX_SERVER_HOST, config.toml `host` or '127.0.0.1' */
  host?: string;
  /** 0 = an ephemeral port. @default MXX_SERVER_PORT, config.toml `port` or 5000 */
  port?: number;
  /** @default MXX_JOBS_DIR, config.toml `jobs_dir` or <home>/jobs */
  jobsDir?: string;
  /** @default MXX_HOME or ~/.mxx */
  home?: string;
  /** Raises the log level to debug, logs every request and puts stacks in 500 answers. @default false */
  debug?: boolean;
  /** Global limit on concurrent runs. @default MXX_MAX_CONCURRENCY, config.toml `max_concurrency` or 64 */
  maxConcurrency?: number;
  /**
   * API token; required (at least 16 characters) when binding to a non-loopback address. Never
   * blank. An empty MXX_API_TOKEN counts as unset. @default MXX_API_TOKEN or the content of config.toml's `token_file`
   */
  token?: string;
  /**
   * Web origins (`http://host:port`) whose pages may call the API, besides the server's own.
   * @default MXX_ALLOW_ORIGINS (comma-separated) or none
   */
  allowOrigins?: string[];
  /** @default 'info' ('debug' with debug) */
  logLevel?: LogLevel;
  /** @default MXX_LOG_FORMAT, config.toml `log_format` or 'text' */
  logFormat?: LogFormat;
  /** Serve the web dashboard at / (SPEC §14). @default config.toml `ui` or true */
  ui?: boolean;
  /** Where jobs and runs are kept (SPEC §15; resolved only, the files store is the only one yet). @default MXX_STORE, config.toml `store` or none */
  store?: string;
  /**
   * The most worker threads of the execution pool (each with its spawner process); one is kept,
   * the others start as runs need them and end after a minute idle.
   * @default MXX_THREADS, config.toml `threads` or the CPU count, at most 4
   */
  threads?: number;
  /** This server's labels, for jobs' `[placement]` (`--label`, repeatable). @default MXX_LABELS (comma-separated), config.toml `labels` or none */
  labels?: string[];
}

/** Where a setting's value came from: `flag`, `env MXX_…`, `file <path of config.toml>` or `default`. */
export type SettingSource = 'flag' | `env ${string}` | `file ${string}` | 'default';

/** The settings `mxx config` shows, in its order; config.toml's key names. */
export const SETTING_NAMES = [
  'home',
  'config',
  'host',
  'port',
  'jobs_dir',
  'token',
  'max_concurrency',
  'threads',
  'log_format',
  'ui',
  'store',
  'labels',
  'notify',
  'allow_origins',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

export interface ResolvedServerOptions {
  host: string;
  port: number;
  paths: MxxPaths;
  debug: boolean;
  maxConcurrency: number;
  token: string | undefined;
  /** The token_file the token was read from, when that is where it came from. */
  tokenFile: string | undefined;
  /** Serialised origins, e.g. `http://localhost:3000`. */
  allowOrigins: string[];
  logLevel: LogLevel;
  logFormat: LogFormat;
  ui: boolean;
  store: string | undefined;
  /** This server's labels (SPEC §15 placement); [] when none. */
  labels: string[];
  /** config.toml's `[notify]`: defaults for every job's notifications. */
  notifyDefaults: NotifySpec | undefined;
  /** The config.toml that was read; null when there is none (the default path does not exist). */
  configFile: string | null;
  /** The config.toml looked for (read when it exists). */
  configPath: string;
  sources: Record<SettingName, SettingSource>;
  /** The most worker threads (and spawners) of the execution pool. */
  threads: number;
  /** Several servers: the lease, ms (MXX_LEASE_MS; undefined = the supervisor's default, 15 s). */
  leaseMs: number | undefined;
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
  // A bad token_file is a bad settings file (exit 2), a bad --token or MXX_API_TOKEN a bad value (exit 1) as before.
  const code = from.startsWith('token_file') ? 'CONFIG_INVALID' : 'INVALID_REQUEST';
  if (token.trim() === '') {
    throw new MxxError(code, `${from} is blank: no client could authenticate`, {
      hint: 'pass a real secret, e.g. the output of `openssl rand -hex 16`, or leave it unset on a loopback address',
    });
  }
  if (token !== token.trim()) {
    // HTTP strips a header value's surrounding whitespace, so such a token could never match.
    throw new MxxError(code, `${from} starts or ends with whitespace, which an Authorization header cannot carry`, {
      hint: 'remove the surrounding spaces or newline',
    });
  }
  if (!isLoopbackHost(host) && token.length < MIN_NETWORK_TOKEN_LENGTH) {
    throw new MxxError(
      code,
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

/**
 * `[::1]` → `::1` (listen takes no brackets). A loopback spelling loses its trailing dot:
 * `localhost.` is not in /etc/hosts and `127.0.0.1.` is no IP literal to the resolver, so both
 * would go to DNS, which could answer with an address that is not loopback (and needs a token).
 */
function bindAddress(host: string): string {
  const unbracketed = /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  return unbracketed.endsWith('.') && isLoopbackHost(unbracketed) ? unbracketed.slice(0, -1) : unbracketed;
}

function parseLogFormat(value: string, from: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new MxxError('INVALID_REQUEST', `${from} must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}${didYouMean(value, LOG_FORMATS)}`);
}

function parseWholeNumber(value: string, from: string, min: number): number {
  // Number('') is 0 and Number(' 8 ') is 8: only digits are a count.
  if (!/^\s*\d+\s*$/.test(value)) throw new MxxError('INVALID_REQUEST', `${from} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return assertWholeNumber(Number(value), from, min);
}

/**
 * Fills every server option: a flag (an option given here) wins over the environment, which wins
 * over config.toml, which wins over the default. An empty environment variable counts as unset.
 * Throws MxxError naming the flag, variable or file line that is wrong (CONFIG_INVALID for the file).
 */
export function resolveServerOptions(options: ServerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedServerOptions {
  const sources = {} as Record<SettingName, SettingSource>;
  const home = resolvePaths(options.home ? { home: options.home } : {}, env).home;
  sources.home = options.home ? 'flag' : env.MXX_HOME !== undefined ? 'env MXX_HOME' : 'default';
  const location = locateConfigFile(options.configFile, env, home);
  sources.config = location.from === 'env' ? 'env MXX_CONFIG' : location.from;
  const file: SettingsFile | null = readSettingsFile(location, env);
  const fromFile: SettingSource = `file ${location.path}`;

  /** The first of flag, environment variable, file value; parsing the two that are not checked yet. */
  function pick<T>(name: SettingName, flag: T | undefined, envName: string | null, parseEnv: (raw: string, from: string) => T, inFile: T | undefined, fallback: T): T {
    if (flag !== undefined) {
      sources[name] = 'flag';
      return flag;
    }
    const raw = envName === null ? undefined : env[envName];
    if (envName !== null && raw !== undefined && raw !== '') {
      sources[name] = `env ${envName}`;
      return parseEnv(raw, envName);
    }
    if (inFile !== undefined) {
      sources[name] = fromFile;
      return inFile;
    }
    sources[name] = 'default';
    return fallback;
  }
  const asIs = (raw: string): string => raw;

  const host = bindAddress(pick('host', options.host, 'MXX_SERVER_HOST', asIs, file?.host, '127.0.0.1'));
  const port = pick('port', options.port === undefined ? undefined : parsePort(options.port, '--port'), 'MXX_SERVER_PORT', parsePort, file?.port, 5000);
  const jobsDir = pick('jobs_dir', options.jobsDir ? resolve(options.jobsDir) : undefined, 'MXX_JOBS_DIR', (raw) => resolve(raw), file?.jobs_dir, join(home, 'jobs'));

  const tokenFile = options.token === undefined && !env.MXX_API_TOKEN ? file?.token_file : undefined;
  const token = pick(
    'token',
    options.token === undefined ? undefined : parseToken(options.token, '--token', host),
    'MXX_API_TOKEN',
    (raw, from) => parseToken(raw, from, host),
    // Read only when it is the token used: a file a flag or variable overrides is not looked at.
    tokenFile === undefined ? undefined : parseToken(readTokenFile(tokenFile), `token_file ${tokenFile}`, host),
    undefined,
  );
  if (!isLoopbackHost(host) && token === undefined) {
    throw new MxxError('INVALID_REQUEST', `refusing to listen on ${host} without an API token`, {
      hint: 'a non-loopback address exposes the API to the network: set MXX_API_TOKEN, pass --token or name a token_file in config.toml, at least 16 characters (e.g. `openssl rand -hex 16`); clients send the same MXX_API_TOKEN',
    });
  }
  // Checked here, not only by the supervisor: the message names the flag, and no home is locked yet.
  /** A count of at least 1 (max_concurrency, threads): flag, variable, file, default. */
  const pickCount = (name: SettingName, flag: number | undefined, flagName: string, envName: string, inFile: number | undefined, fallback: number): number =>
    pick(name, flag === undefined ? undefined : assertWholeNumber(flag, flagName, 1), envName, (raw, from) => parseWholeNumber(raw, from, 1), inFile, fallback);
  const maxConcurrency = pickCount('max_concurrency', options.maxConcurrency, '--max-concurrency', 'MXX_MAX_CONCURRENCY', file?.max_concurrency, DEFAULT_MAX_CONCURRENCY);
  const threads = pickCount('threads', options.threads, '--threads', 'MXX_THREADS', file?.threads, defaultThreads());
  const logFormat = pick(
    'log_format',
    options.logFormat === undefined ? undefined : parseLogFormat(options.logFormat, '--log-format'),
    'MXX_LOG_FORMAT',
    parseLogFormat,
    file?.log_format,
    'text' as LogFormat,
  );
  const ui = pick('ui', options.ui, null, () => true, file?.ui, true);
  const store = pick<string | undefined>('store', options.store, 'MXX_STORE', asIs, file?.store, undefined);
  const labels = pick(
    'labels',
    options.labels === undefined ? undefined : parseServerLabels(options.labels, '--label'),
    'MXX_LABELS',
    parseServerLabels,
    file?.labels,
    [] as string[],
  );
  const notifyDefaults = pick<NotifySpec | undefined>('notify', undefined, null, () => undefined, file?.notify, undefined);
  const allowOrigins = pick(
    'allow_origins',
    options.allowOrigins?.map((value) => parseOrigin(value, '--allow-origin')),
    // Blank items (a trailing comma) are no origin.
    (env.MXX_ALLOW_ORIGINS ?? '').trim() === '' ? null : 'MXX_ALLOW_ORIGINS',
    (raw, from) => raw.split(',').map((value) => value.trim()).filter((value) => value !== '').map((value) => parseOrigin(value, from)),
    undefined,
    [],
  );
  const debug = options.debug ?? false;
  return {
    host,
    port,
    paths: resolvePaths({ home, jobsDir }, env),
    debug,
    maxConcurrency,
    token,
    tokenFile: sources.token === fromFile ? tokenFile : undefined,
    allowOrigins,
    logLevel: options.logLevel ?? (debug ? 'debug' : 'info'),
    logFormat,
    ui,
    store,
    labels,
    notifyDefaults,
    configFile: file?.path ?? null,
    configPath: location.path,
    sources,
    threads,
    leaseMs: env.MXX_LEASE_MS ? parseWholeNumber(env.MXX_LEASE_MS, 'MXX_LEASE_MS', 300) : undefined,
  };
}
