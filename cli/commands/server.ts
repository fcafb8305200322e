import { Option } from 'clipanion';
import * as t from 'typanion';
import type { ServerOptions } from '../../src/main.js';
import { BaseCommand } from '../base.js';

/**
 * The flags that choose server settings, shared by `mxx server` (which runs with them) and
 * `mxx config` (which shows what they resolve to). Each one wins over its environment variable,
 * which wins over config.toml, which wins over the default.
 */
export abstract class ServerSettingsCommand extends BaseCommand {
  config = Option.String('--config', { description: 'Settings file (default: MXX_CONFIG or ~/.mxx/config.toml)' });
  host = Option.String('--host', { description: 'Host to bind to (default: MXX_SERVER_HOST, config.toml host or 127.0.0.1)' });
  port = Option.String('--port', {
    description: 'Port to bind to, 0 for any free port (default: MXX_SERVER_PORT, config.toml port or 5000)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 65535)]),
  });
  jobsDir = Option.String('--jobs-dir', { description: 'Directory of job files (default: MXX_JOBS_DIR, config.toml jobs_dir or ~/.mxx/jobs)' });
  maxConcurrency = Option.String('--max-concurrency', {
    description: 'Most runs at the same time; others wait in a queue (default: MXX_MAX_CONCURRENCY, config.toml max_concurrency or 64)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  threads = Option.String('--threads', {
    description:
      'Most worker threads, each with its spawn helper; one is kept, the others start as runs need them and end after a minute idle (default: MXX_THREADS, config.toml threads or the CPU count, at most 4)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  token = Option.String('--token', {
    description: 'API token clients must send; at least 16 characters on a non-loopback address (default: MXX_API_TOKEN or config.toml token_file)',
  });
  allowOrigin = Option.Array('--allow-origin', {
    description:
      "A web page origin (http://host:port) allowed to call the API besides the server's own; repeatable (default: MXX_ALLOW_ORIGINS, comma-separated)",
  });
  ui = Option.Boolean('--ui', {
    description: 'Serve the web dashboard at / (default: config.toml ui or on); --no-ui turns it off (404 at /)',
  });
  store = Option.String('--store', {
    description: 'Keep jobs and runs in PostgreSQL (postgres://user:password@host/db; default: MXX_STORE, config.toml store or the files under ~/.mxx)',
  });
  label = Option.Array('--label', {
    description: "A label of this server for jobs' [placement] labels; repeatable (default: MXX_LABELS, comma-separated, or config.toml labels)",
  });
  logFormat = Option.String('--log-format', {
    description: 'Server log lines as text or one JSON object a line (default: MXX_LOG_FORMAT, config.toml log_format or text)',
    validator: t.isEnum(['text', 'json'] as const),
  });

  /** The flags given, as ServerOptions (a flag not given stays absent, so the next source decides). */
  protected serverOptions(): ServerOptions {
    const options: ServerOptions = {};
    if (this.config !== undefined) options.configFile = this.config;
    if (this.host !== undefined) options.host = this.host;
    if (this.port !== undefined) options.port = this.port;
    if (this.jobsDir !== undefined) options.jobsDir = this.jobsDir;
    if (this.maxConcurrency !== undefined) options.maxConcurrency = this.maxConcurrency;
    if (this.threads !== undefined) options.threads = this.threads;
    if (this.token !== undefined) options.token = this.token;
    if (this.allowOrigin !== undefined) options.allowOrigins = this.allowOrigin;
    if (this.logFormat !== undefined) options.logFormat = this.logFormat;
    if (this.ui !== undefined) options.ui = this.ui;
    if (this.store !== undefined) options.store = this.store;
    if (this.label !== undefined) options.labels = this.label;
    return options;
  }
}

export default class ServerCommand extends ServerSettingsCommand {
  static override paths = [['server']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Start the scheduler server',
    details:
      'Runs the scheduler in the foreground: loads and watches the jobs folder (~/.mxx/jobs), fires schedules and serves the API on http://127.0.0.1:5000 until SIGINT or SIGTERM. Settings come from flags, then the environment, then ~/.mxx/config.toml (`mxx config` shows the result). Binding to a non-loopback address needs an API token of at least 16 characters (`--token`, MXX_API_TOKEN or token_file in config.toml). Browsers may call the API only from its own origin and those given with `--allow-origin`. `mxx-server [options]` is the same command.',
    examples: [
      ['Start on the default address', '$0 server'],
      ['Start on a custom port', '$0 server --port 8080'],
      ['Use another jobs folder', '$0 server --jobs-dir /path/to/jobs'],
      ['Listen on all interfaces', 'MXX_API_TOKEN=$(openssl rand -hex 16) $0 server --host 0.0.0.0'],
      ['Let a page on another port call the API', '$0 server --allow-origin http://localhost:3000'],
      ['Log JSON lines, and every request', '$0 server --log-format json --debug'],
      ['Without the web dashboard', '$0 server --no-ui'],
      ['At most two worker threads', '$0 server --threads 2'],
    ],
  });

  debug = Option.Boolean('--debug', false, { description: 'Debug logging (runs queued and started, every request), stacks in error answers' });

  async run(): Promise<number> {
    const options = this.serverOptions();
    if (this.debug) options.debug = true;
    // Loaded here so client commands do not pay for the server's modules at start-up.
    const { runServer } = await import('../../src/main.js');
    await runServer(options);
    return 0;
  }
}
