/** systemd (Linux): a user unit under $XDG_CONFIG_HOME/systemd/user, driven by `systemctl --user`. */
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { LogOptions, Outcome, Printer, ServiceManager } from './manager.js';
import { SYSTEMD_UNIT } from './spec.js';
import { renderSystemdUnit } from './systemd-unit.js';
import { findOnPath, runStep, runTool } from './tools.js';

/** `~/.config/systemd/user`, or `$XDG_CONFIG_HOME/systemd/user` (systemd reads both the same way). */
export function systemdUserDir(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(config, 'systemd', 'user');
}

/** systemctl's words when no user manager answers (no session bus: ssh without lingering, su, sudo, containers). */
const NO_BUS = /Failed to connect to (?:the )?bus|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR/i;

export function createSystemd(systemctl: string, env: NodeJS.ProcessEnv): ServiceManager {
  const file = join(systemdUserDir(env), SYSTEMD_UNIT);
  const user = env.USER || env.LOGNAME || userInfo().username;

  /** `systemctl --user ARGS` as one step. */
  const step = (outcome: Outcome, args: string[], options: { passes?: RegExp; optional?: boolean } = {}): Promise<boolean> =>
    runStep(outcome, systemctl, ['--user', ...args], { ...options, env, unreachable: NO_BUS });

  const unreachableHint = (then = ''): string =>
    `systemctl --user needs your user's service manager, which does not run for this session (ssh or su without a login, sudo, a container). Log in as ${user} (\`loginctl enable-linger ${user}\` keeps it running without a session)${then ? `, then ${then}` : ''}`;

  return {
    kind: 'systemd',
    file,
    render: renderSystemdUnit,
    handCommands: () => ['systemctl --user daemon-reload', 'systemctl --user enable --now mxx'],
    unreachableHint,
    restartCommand: () => 'systemctl --user daemon-reload && systemctl --user restart mxx',
    enabledText: (now) =>
      now
        ? ['mxx.service is enabled and started; it starts again at every login']
        : ['mxx.service is enabled: it starts at your next login. Start it now:', '  systemctl --user start mxx'],
    async enable(now) {
      const outcome: Outcome = { ran: [] };
      if (await step(outcome, ['daemon-reload'])) await step(outcome, ['enable', ...(now ? ['--now'] : []), SYSTEMD_UNIT]);
      return outcome;
    },
    async disable() {
      const outcome: Outcome = { ran: [] };
      // A unit that is not loaded has nothing to stop; without a manager, disable works on the files alone.
      if (await step(outcome, ['stop', SYSTEMD_UNIT], { passes: /not loaded/i, optional: true })) await step(outcome, ['disable', SYSTEMD_UNIT]);
      return outcome;
    },
    async forget() {
      const outcome: Outcome = { ran: [] };
      await step(outcome, ['daemon-reload'], { optional: true });
      return outcome;
    },
    async status(print) {
      const enabled = await runTool(systemctl, ['--user', 'is-enabled', SYSTEMD_UNIT], { env });
      print.out(`unit file ${file}: ${enabled.stdout.trim() || 'unknown'}`);
      const result = await runTool(systemctl, ['--user', 'status', '--no-pager', SYSTEMD_UNIT], { env, onStdout: (chunk) => print.write(chunk) });
      const message = result.stderr.trim();
      if (message) print.err(message);
      if (NO_BUS.test(message)) print.err(`hint: ${unreachableHint('try again')}`);
      // systemctl status: 0 active, 3 not running, 4 no such unit.
      return result.ok ? 0 : 1;
    },
    async logs(options: LogOptions, print: Printer) {
      const journalctl = findOnPath('journalctl', env);
      if (!journalctl) {
        print.err('Error: journalctl is not on PATH, so the service log cannot be read');
        print.err('hint: systemd keeps the log in its journal; install systemd (journalctl) or run: systemctl --user status mxx');
        return 1;
      }
      const args = ['--user', '--unit', SYSTEMD_UNIT, '--no-pager', '--lines', String(options.lines), ...(options.follow ? ['--follow'] : [])];
      const result = await runTool(journalctl, args, { env, onStdout: (chunk) => print.write(chunk) });
      if (result.stderr.trim()) print.err(result.stderr.trim());
      return result.ok ? 0 : 1;
    },
  };
}
