import { Option } from 'clipanion';
import * as t from 'typanion';
import type { ShutdownBody } from '../../src/api/shutdown.js';
import { setTimeout as delay } from 'node:timers/promises';
import { isMxxError } from '../../src/errors.js';
import { ClientCommand } from '../base.js';
import type { Client } from '../client.js';

/** @default 60 s: longer than a shutdown with the default grace (5 s a run), short enough for a script. */
const DEFAULT_TIMEOUT_S = 60;
const POLL_MS = 200;

/**
 * True once nothing listens at the server's address any more (connection refused: the server closes
 * its port last, after the runs are stopped and its state saved); false if it still answers after
 * `timeoutMs`. Any answer, an error answer included, or a dropped connection means not gone yet.
 */
async function waitUntilGone(client: Client, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.get('/health');
    } catch (error) {
      const cause = isMxxError(error) && error.code === 'SERVER_UNREACHABLE' ? (error.cause as { code?: string } | undefined) : undefined;
      if (cause?.code === 'ECONNREFUSED') return true;
    }
    if (Date.now() >= deadline) return false;
    await delay(POLL_MS);
  }
}

export default class ShutdownCommand extends ClientCommand {
  static override paths = [['shutdown']];
  static override usage = ClientCommand.Usage({
    category: 'Server',
    description: 'Ask a running server to stop cleanly',
    details:
      'Does what SIGTERM does, through the API (POST /api/scheduler/shutdown): the server stops firing, stops the runs in progress (SIGTERM, then SIGKILL after their grace; they are recorded as interrupted), saves its state and exits 0. Then waits until the server no longer answers (at most --timeout seconds; --no-wait returns at once). A server with an API token needs it (MXX_API_TOKEN); one without a token accepts this only from its own machine.',
    examples: [
      ['Stop the local server', '$0 shutdown'],
      ['Stop another server, waiting at most 2 minutes', 'MXX_API_TOKEN=... $0 shutdown --server http://10.0.0.5:5000 --timeout 120'],
      ['Ask, and return at once', '$0 shutdown --no-wait'],
    ],
  });

  wait = Option.Boolean('--wait', true, { description: 'Wait until the server has stopped (default); --no-wait returns once it has agreed to stop' });
  timeout = Option.String('--timeout', {
    description: `Seconds to wait for the server to stop before giving up with exit 1 (default: ${DEFAULT_TIMEOUT_S})`,
    validator: t.cascade(t.isNumber(), [t.isAtLeast(0)]),
  });

  async run(): Promise<number> {
    const asked = Date.now();
    const { body } = await this.client.post<ShutdownBody>('/shutdown');
    if (!this.printJson(body)) {
      const runs = body.running === 0 ? 'no runs' : body.running === 1 ? '1 run' : `${body.running} runs`;
      this.out(`server ${this.client.server} stopping: ${runs} to stop`);
    }
    if (!this.wait) return 0;
    const timeoutS = this.timeout ?? DEFAULT_TIMEOUT_S;
    if (!(await waitUntilGone(this.client, timeoutS * 1000))) {
      this.err(`Error: the server at ${this.client.server} still answers ${timeoutS} s after agreeing to stop`);
      this.err('hint: runs with a long lifetime.grace may still be stopping; check with mxx health, or wait longer with --timeout');
      return 1;
    }
    if (!this.json) this.out(`server stopped after ${((Date.now() - asked) / 1000).toFixed(1)} s`);
    return 0;
  }
}
