/** The systemd user unit of the mxx server (`~/.config/systemd/user/mxx.service`), as text. */
import { STOP_TIMEOUT_S, type ServiceSpec } from './spec.js';

// Needs no quotes in ExecStart= once % and $ are doubled (no whitespace, quotes or backslashes).
const PLAIN = /^[A-Za-z0-9_@%$+=:,./-]+$/;

function assertOneLine(value: string, what: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`${what} ${JSON.stringify(value)} has a line break, which a unit file cannot hold`);
}

/**
 * One ExecStart= argument as systemd reads it back: `%` is a specifier (`%%`), `$` a variable
 * (`$$`), and whitespace, quotes or backslashes need double quotes with C escapes (systemd.service(5),
 * "Command lines").
 */
export function quoteExecArg(arg: string): string {
  assertOneLine(arg, 'the argument');
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (PLAIN.test(arg)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `Environment="NAME=value"`: quoted as one word, with the same escapes (no `$` expansion there). */
function environmentLine(name: string, value: string): string {
  assertOneLine(value, `${name}'s value`);
  const escaped = `${name}=${value}`.replace(/%/g, '%%').replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `Environment="${escaped}"`;
}

/**
 * Type=exec: started means the program was executed (a missing node fails `start`, not later).
 * KillMode=mixed: SIGTERM goes to mxx alone, which stops its runs itself (grace, then SIGKILL to
 * each run's group); only what is left after TimeoutStopSec is killed by systemd.
 * Restart=on-failure: a crash restarts, `mxx shutdown` (exit 0) does not.
 */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const env = Object.entries(spec.environment).map(([name, value]) => environmentLine(name, value));
  return [
    '# Written by `mxx service install`; `mxx service uninstall` removes it.',
    '[Unit]',
    'Description=mxx job scheduler',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${spec.command.map(quoteExecArg).join(' ')}`,
    ...env,
    'Restart=on-failure',
    'RestartSec=5',
    'KillMode=mixed',
    `TimeoutStopSec=${STOP_TIMEOUT_S}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
