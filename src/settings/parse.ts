/**
 * config.toml's document → typed server settings (SPEC §9), checked as strictly as a job file:
 * every problem is collected (unknown keys with a did-you-mean, wrong types with what was
 * expected) and reported at once, each line naming the file.
 */
import { MxxError } from '../errors.js';
import { formatIssue, Issues, isTable, readChoice, readNumber, readString, shown, type Table } from '../job/issues.js';
import { parseNotifySection, type NotifySpec } from '../job/notify.js';
import { didYouMean } from '../job/suggest.js';
import { LOG_FORMATS, type LogFormat } from '../logger.js';
import { isLabel } from '../job/placement.js';

export const SETTINGS_KEYS = ['host', 'port', 'jobs_dir', 'token_file', 'max_concurrency', 'threads', 'log_format', 'ui', 'store', 'labels', 'notify'] as const;

/** What config.toml says, as written (paths not yet resolved); an absent key is undefined. */
export interface SettingsDocument {
  host?: string;
  port?: number;
  jobs_dir?: string;
  token_file?: string;
  max_concurrency?: number;
  /** The most worker threads (and spawners) of the execution pool. */
  threads?: number;
  log_format?: LogFormat;
  ui?: boolean;
  store?: string;
  /** This server's labels, for jobs' `[placement]` (SPEC §15). */
  labels?: string[];
  /** Defaults of every job's `[notify]` section (SPEC §12). */
  notify?: NotifySpec;
}

export const TOKEN_FILE_HINT =
  'keep the token in a file only you can read and name it in config.toml: `openssl rand -hex 16 > ~/.mxx/token && chmod 600 ~/.mxx/token`, then token_file = "~/.mxx/token"';

const MAX_PORT = { value: 65535, text: '65535' };

/** Throws CONFIG_INVALID listing every problem, each line starting with `source` (the file's path). */
export function parseSettingsDocument(doc: Table, source: string): SettingsDocument {
  const issues = new Issues(source);
  const out: SettingsDocument = {};
  let tokenInFile = false;
  for (const key of Object.keys(doc)) {
    if ((SETTINGS_KEYS as readonly string[]).includes(key)) continue;
    if (key === 'token') {
      // A settings file gets copied, shared and left readable: the secret lives elsewhere.
      tokenInFile = true;
      issues.add('token', 'must not be in config.toml: put the token in a file of its own and name that file with token_file');
      continue;
    }
    issues.add(key, `is not a known key${didYouMean(key, SETTINGS_KEYS) || ` (known keys: ${SETTINGS_KEYS.join(', ')})`}`);
  }
  const host = readString(issues, 'host', doc.host, 'a host name or IP address');
  if (host !== undefined) out.host = host;
  const port = readNumber(issues, 'port', doc.port, { integer: true, min: 0, max: MAX_PORT });
  if (port !== undefined) out.port = port;
  const jobsDir = readString(issues, 'jobs_dir', doc.jobs_dir, 'a folder path');
  if (jobsDir !== undefined) out.jobs_dir = jobsDir;
  const tokenFile = readString(issues, 'token_file', doc.token_file, 'a file path');
  if (tokenFile !== undefined) out.token_file = tokenFile;
  const maxConcurrency = readNumber(issues, 'max_concurrency', doc.max_concurrency, { integer: true, min: 1 });
  if (maxConcurrency !== undefined) out.max_concurrency = maxConcurrency;
  const threads = readNumber(issues, 'threads', doc.threads, { integer: true, min: 1 });
  if (threads !== undefined) out.threads = threads;
  const logFormat = readChoice(issues, 'log_format', doc.log_format, LOG_FORMATS);
  if (logFormat !== undefined) out.log_format = logFormat;
  if (doc.ui !== undefined) {
    if (typeof doc.ui === 'boolean') out.ui = doc.ui;
    else issues.add('ui', `must be true or false, got ${shown(doc.ui)}`);
  }
  const store = readString(issues, 'store', doc.store, 'a store URL (e.g. postgres://host/db)');
  if (store !== undefined) out.store = store;
  if (doc.labels !== undefined) {
    if (!Array.isArray(doc.labels)) issues.add('labels', `must be an array of labels, e.g. ["gpu"], got ${shown(doc.labels)}`);
    else {
      const labels: string[] = [];
      doc.labels.forEach((label, i) => {
        if (isLabel(label)) labels.push(label);
        else issues.add(`labels[${i}]`, `must be a label (a letter or digit, then up to 62 letters, digits, ".", "_" or "-"), got ${shown(label)}`);
      });
      out.labels = [...new Set(labels)];
    }
  }
  if (doc.notify !== undefined) {
    if (isTable(doc.notify)) out.notify = parseNotifySection(issues, doc.notify, 'notify');
    else issues.add('notify', `must be a table ([notify] with on, webhook, headers, cmd, …), got ${shown(doc.notify)}`);
  }
  if (issues.list.length > 0) {
    throw new MxxError('CONFIG_INVALID', issues.list.map((issue) => formatIssue(source, issue)).join('\n'), {
      details: issues.list,
      hint: tokenInFile ? TOKEN_FILE_HINT : `fix the listed settings in ${source} (\`mxx config\` shows what the server would use)`,
    });
  }
  return out;
}
