/**
 * What a service runs: the installed mxx (`<node> <…/dist/cli/bin/mxx.js> server <flags>`), all paths
 * absolute, as the service manager starts it from another folder with a bare environment.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerOptions } from '../../src/config.js';

export interface ServiceSpec {
  /** The program and its arguments, absolute paths. */
  command: readonly string[];
  /** Set for the server beyond the service manager's own (HOME, USER, PATH …): only MXX_HOME, when set to another than ~/.mxx. */
  environment: Readonly<Record<string, string>>;
}

/** systemd's unit name (`mxx.service`) and launchd's label. */
export const SYSTEMD_UNIT = 'mxx.service';
export const LAUNCHD_LABEL = 'dev.mxx.server';

/**
 * How long the service manager waits after SIGTERM before it kills what is left: longer than mxx's
 * own shutdown with the default grace (5 s a run, stopped together) plus 2 s to close connections, so
 * runs end as interrupted through mxx, not by the manager's SIGKILL. A job with a longer
 * lifetime.grace than this is cut short at a service stop.
 */
export const STOP_TIMEOUT_S = 60;

/** The flags of `mxx server` a service passes on (ServerOptions as ServerSettingsCommand fills them). */
export type ServerFlagOptions = Pick<ServerOptions, 'configFile' | 'host' | 'port' | 'jobsDir' | 'maxConcurrency' | 'threads' | 'allowOrigins' | 'ui' | 'logFormat' | 'debug'>;

/**
 * The flags back in `mxx server` spelling, in its help's order; a relative --config or --jobs-dir is
 * made absolute against `cwd` (the service does not start there). A token is never among them:
 * it would sit in a world-readable unit file (config.toml's token_file is the way).
 */
export function serverFlags(options: ServerFlagOptions, cwd: string): string[] {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(cwd, path));
  const flags: string[] = [];
  if (options.configFile !== undefined) flags.push('--config', absolute(options.configFile));
  if (options.host !== undefined) flags.push('--host', options.host);
  if (options.port !== undefined) flags.push('--port', String(options.port));
  if (options.jobsDir !== undefined) flags.push('--jobs-dir', absolute(options.jobsDir));
  if (options.maxConcurrency !== undefined) flags.push('--max-concurrency', String(options.maxConcurrency));
  if (options.threads !== undefined) flags.push('--threads', String(options.threads));
  for (const origin of options.allowOrigins ?? []) flags.push('--allow-origin', origin);
  if (options.ui !== undefined) flags.push(options.ui ? '--ui' : '--no-ui');
  if (options.logFormat !== undefined) flags.push('--log-format', options.logFormat);
  if (options.debug) flags.push('--debug');
  return flags;
}

/** This installation's `mxx` entry point (dist/cli/bin/mxx.js beside this compiled file). */
export function mxxEntry(): string {
  return fileURLToPath(new URL('../bin/mxx.js', import.meta.url));
}

/** The service of this installation: this Node, this mxx, `server` and the flags. */
export function createServiceSpec(flags: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ServiceSpec {
  const environment: Record<string, string> = {};
  // The home the CLI uses from this shell (unless it is the default one): else the service would keep its jobs elsewhere.
  const home = env.MXX_HOME ? resolve(cwd, env.MXX_HOME) : undefined;
  if (home !== undefined && home !== join(env.HOME || homedir(), '.mxx')) environment.MXX_HOME = home;
  return { command: [process.execPath, mxxEntry(), 'server', ...flags], environment };
}
