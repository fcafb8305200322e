import { Option } from 'clipanion';
import * as t from 'typanion';
import type { ServerOptions } from '../../src/main.js';
import { BaseCommand } from '../base.js';

export default class ServerCommand extends BaseCommand {
  static override paths = [['server']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Start the scheduler server',
    details:
      'Runs the scheduler in the foreground: loads and watches the jobs folder (~/.mxx/jobs), fires schedules and serves the API on http://127.0.0.1:5000 until SIGINT or SIGTERM. Binding to a non-loopback address needs an API token of at least 16 characters (`--token` or MXX_API_TOKEN). Browsers may call the API only from its own origin and those given with `--allow-origin`. `mxx-server [options]` is the same command.',
    examples: [
      ['Start on the default address', '$0 server'],
      ['Start on a custom port', '$0 server --port 8080'],
      ['Use another jobs folder', '$0 server --jobs-dir /path/to/jobs'],
      ['Listen on all interfaces', 'MXX_API_TOKEN=$(openssl rand -hex 16) $0 server --host 0.0.0.0'],
      ['Let a page on another port call the API', '$0 server --allow-origin http://localhost:3000'],
    ],
  });

  host = Option.String('--host', { description: 'Host to bind to (default: MXX_SERVER_HOST or 127.0.0.1)' });
  port = Option.String('--port', {
    description: 'Port to bind to, 0 for any free port (default: MXX_SERVER_PORT or 5000)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 65535)]),
  });
  jobsDir = Option.String('--jobs-dir', { description: 'Directory of job files (default: MXX_JOBS_DIR or ~/.mxx/jobs)' });
  debug = Option.Boolean('--debug', false, { description: 'Debug logging, stacks in error answers' });
  maxConcurrency = Option.String('--max-concurrency', {
    description: 'Most runs at the same time; others wait in a queue (default: 64)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(1)]),
  });
  token = Option.String('--token', {
    description: 'API token clients must send; at least 16 characters on a non-loopback address (default: MXX_API_TOKEN)',
  });
  allowOrigin = Option.Array('--allow-origin', {
    description:
      "A web page origin (http://host:port) allowed to call the API besides the server's own; repeatable (default: MXX_ALLOW_ORIGINS, comma-separated)",
  });

  async run(): Promise<number> {
    const options: ServerOptions = {};
    if (this.host !== undefined) options.host = this.host;
    if (this.port !== undefined) options.port = this.port;
    if (this.jobsDir !== undefined) options.jobsDir = this.jobsDir;
    if (this.debug) options.debug = true;
    if (this.maxConcurrency !== undefined) options.maxConcurrency = this.maxConcurrency;
    if (this.token !== undefined) options.token = this.token;
    if (this.allowOrigin !== undefined) options.allowOrigins = this.allowOrigin;
    // Loaded here so client commands do not pay for the server's modules at start-up.
    const { runServer } = await import('../../src/main.js');
    await runServer(options);
    return 0;
  }
}
