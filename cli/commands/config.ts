import { Option } from 'clipanion';
import type { ResolvedServerOptions, SettingName } from '../../src/config.js';
import type { NotifySpec } from '../../src/job/notify.js';
import { BaseCommand } from '../base.js';
import { renderTable } from '../format/table.js';
import { ServerSettingsCommand } from './server.js';

type Shown = Record<SettingName, { value: unknown; source: string }>;

export default class ConfigCommand extends ServerSettingsCommand {
  static override paths = [['config']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Show the server settings and where each comes from',
    details:
      "Resolves the settings `mxx server` would use with the same flags — flag, then environment (MXX_SERVER_HOST, MXX_SERVER_PORT, MXX_JOBS_DIR, MXX_API_TOKEN, MXX_MAX_CONCURRENCY, MXX_THREADS, MXX_LOG_FORMAT, MXX_STORE, MXX_ALLOW_ORIGINS), then config.toml (MXX_CONFIG or ~/.mxx/config.toml), then the default — and prints each value with its source. Needs no server. The token is never printed, only whether one is set and from where; a webhook shows only its origin, header values and store passwords are hidden. A config.toml with a problem is reported with its line (exit 2).",
    examples: [
      ['Show the settings', '$0 config'],
      ['What a command line would resolve to', '$0 config --port 8080 --config ./server.toml'],
      ['As JSON', '$0 config --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print {setting: {value, source}} as JSON' });

  async run(): Promise<number> {
    // Loaded here, like the server's modules: client commands do not pay for the settings parser.
    const [{ resolveServerOptions, SETTING_NAMES }, { redactUrl, webhookOrigin }, { selectSpawner }] = await Promise.all([
      import('../../src/config.js'),
      import('../../src/settings/index.js'),
      import('../../workers/spawner-select.js'),
    ]);
    const resolved = resolveServerOptions(this.serverOptions(), this.context.env);
    const shown = values(resolved, redactUrl, webhookOrigin);
    const spawner = spawnerShown(() => selectSpawner(this.context.env));
    if (this.json) {
      this.out(JSON.stringify({ ...shown, spawner }, null, 2));
      return 0;
    }
    const c = this.colors;
    const rows = SETTING_NAMES.map((name) => [name, text(name, shown[name].value, resolved), c.dim(shown[name].source)]);
    rows.push(['spawner', spawner.value, c.dim(spawner.source)]);
    this.out(renderTable(['setting', 'value', 'source'], rows, c));
    return 0;
  }
}

function values(r: ResolvedServerOptions, redactUrl: (v: string) => string, webhookOrigin: (v: string) => string): Shown {
  const value: Record<SettingName, unknown> = {
    home: r.paths.home,
    config: r.configFile,
    host: r.host,
    port: r.port,
    jobs_dir: r.paths.jobs,
    // Never the token itself: only that there is one, and which file holds it.
    token: { set: r.token !== undefined, ...(r.tokenFile === undefined ? {} : { token_file: r.tokenFile }) },
    max_concurrency: r.maxConcurrency,
    threads: r.threads,
    log_format: r.logFormat,
    ui: r.ui,
    store: r.store === undefined ? null : redactUrl(r.store),
    labels: r.labels,
    notify: r.notifyDefaults === undefined ? null : notifyShown(r.notifyDefaults, webhookOrigin),
    allow_origins: r.allowOrigins,
  };
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, { value: v, source: r.sources[name as SettingName] }])) as Shown;
}

/** Which spawner the server would fork from (workers/spawner-select.ts) and why; a forced helper that is missing says so. */
function spawnerShown(select: () => { kind: string; reason: string }): { value: string; source: string } {
  try {
    const { kind, reason } = select();
    return { value: kind, source: reason.startsWith('MXX_SPAWNER=') ? 'env MXX_SPAWNER' : `detected: ${reason}` };
  } catch (error) {
    return { value: '(unavailable)', source: (error as Error).message };
  }
}

/** Webhook paths and header values often are secrets (Slack puts its key in the path). */
function notifyShown(spec: NotifySpec, webhookOrigin: (v: string) => string): Record<string, unknown> {
  return {
    ...spec,
    ...(spec.webhook === undefined ? {} : { webhook: webhookOrigin(spec.webhook) }),
    ...(spec.headers === undefined ? {} : { headers: Object.fromEntries(Object.keys(spec.headers).map((k) => [k, '(hidden)'])) }),
  };
}

function text(name: SettingName, value: unknown, r: ResolvedServerOptions): string {
  if (name === 'config') return r.configFile ?? `(none: ${r.configPath} does not exist)`;
  if (name === 'token') return r.token === undefined ? '(none)' : r.tokenFile === undefined ? '(set)' : `(set, from token_file ${r.tokenFile})`;
  if (value === null) return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? Object.keys(v).join(',') : String(v)}`)
      .join(' ');
  }
  return String(value);
}
