/**
 * The server settings file (SPEC §9): which config.toml, reading and parsing it, and its paths
 * made absolute. The precedence over flags and environment is config.ts's.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { MxxError } from '../errors.js';
import type { Table } from '../job/issues.js';
import { parseSettingsDocument, type SettingsDocument } from './parse.js';

export { SETTINGS_KEYS, TOKEN_FILE_HINT, type SettingsDocument } from './parse.js';
export { readTokenFile } from './token-file.js';
export { redactUrl, webhookOrigin } from './redact.js';

/** Where the path of config.toml came from. */
export type ConfigFileOrigin = 'flag' | 'env' | 'default';

export interface ConfigFileLocation {
  path: string;
  from: ConfigFileOrigin;
}

/** A config.toml that was read: its settings, with jobs_dir and token_file made absolute. */
export interface SettingsFile extends SettingsDocument {
  path: string;
}

/** `--config`, else MXX_CONFIG (empty = unset), else `<home>/config.toml`. Relative paths are from the working directory. */
export function locateConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, home: string): ConfigFileLocation {
  if (flag !== undefined && flag !== '') return { path: resolve(flag), from: 'flag' };
  if (env.MXX_CONFIG) return { path: resolve(env.MXX_CONFIG), from: 'env' };
  return { path: join(home, 'config.toml'), from: 'default' };
}

/**
 * Reads and validates config.toml. Null when the default file does not exist (no settings file is
 * fine); a file named by --config or MXX_CONFIG must exist. Throws CONFIG_INVALID naming the file.
 */
export function readSettingsFile(location: ConfigFileLocation, env: NodeJS.ProcessEnv): SettingsFile | null {
  const { path } = location;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && location.from === 'default') return null;
    const named = location.from === 'flag' ? ' (given with --config)' : location.from === 'env' ? ' (named by MXX_CONFIG)' : '';
    throw new MxxError(
      'CONFIG_INVALID',
      code === 'ENOENT' ? `config file ${path}${named} does not exist` : `cannot read config file ${path}${named}: ${(error as Error).message}`,
      {
        hint: location.from === 'default' ? `make ${path} a readable file, or remove it` : `create it, or point ${location.from === 'flag' ? '--config' : 'MXX_CONFIG'} at an existing file`,
        cause: error,
      },
    );
  }
  const doc = parseTomlText(text, path);
  const settings = parseSettingsDocument(doc, path);
  const here = dirname(path);
  return {
    ...settings,
    path,
    ...(settings.jobs_dir === undefined ? {} : { jobs_dir: settingsPath(settings.jobs_dir, here, env) }),
    ...(settings.token_file === undefined ? {} : { token_file: settingsPath(settings.token_file, here, env) }),
  };
}

function parseTomlText(text: string, path: string): Table {
  try {
    return parseToml(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Table;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // The message repeats the lines around the error after a blank line; the first line says what.
    const what = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new MxxError('CONFIG_INVALID', `${path}:${error.line}:${error.column}: ${what}`, {
      details: [{ path: '', message: what, line: error.line, column: error.column }],
      hint: 'fix the TOML syntax at that line and column',
      cause: error,
    });
  }
}

/**
 * A path written in config.toml: `~` and `~/…` are the user's home (no shell expands them in a
 * file), a relative path is relative to the folder of config.toml, not to wherever the server starts.
 */
function settingsPath(value: string, here: string, env: NodeJS.ProcessEnv): string {
  if (value === '~' || value.startsWith('~/')) return join(env.HOME ?? homedir(), value.slice(1));
  return resolve(here, value);
}
