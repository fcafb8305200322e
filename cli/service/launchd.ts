/**
 * launchd (macOS): an agent in ~/Library/LaunchAgents, loaded into the user's GUI domain with
 * `launchctl bootstrap gui/<uid>`; the server's output goes to ~/Library/Logs/mxx.log.
 * Written for macOS and checked there by hand: this project's tests run on Linux, where only the
 * rendering (launchd-plist.ts) is tested.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { renderLaunchdPlist } from './launchd-plist.js';
import type { LogOptions, Outcome, Printer, ServiceManager } from './manager.js';
import { LAUNCHD_LABEL, type ServiceSpec } from './spec.js';
import { findOnPath, runStep, runTool } from './tools.js';

/** launchctl's words for a service that is not loaded (bootout, print). */
const NOT_LOADED = /No such process|Could not find service|not find specified service|Boot-out failed: 3:|Boot-out failed: 113:/i;

/** The user's GUI domain does not exist (ssh or sudo without a desktop login). */
const NO_DOMAIN = /Domain does not support specified action|Could not find domain/i;

export function createLaunchd(launchctl: string, env: NodeJS.ProcessEnv): ServiceManager {
  const home = env.HOME || homedir();
  const file = join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  // Directly in ~/Library/Logs, which exists for every user: launchd does not create folders.
  const logFile = join(home, 'Library', 'Logs', 'mxx.log');
  const domain = `gui/${process.getuid?.() ?? 501}`;
  const service = `${domain}/${LAUNCHD_LABEL}`;

  const step = (outcome: Outcome, args: string[], options: { passes?: RegExp; optional?: boolean } = {}): Promise<boolean> =>
    runStep(outcome, launchctl, args, { ...options, env, unreachable: NO_DOMAIN });

  return {
    kind: 'launchd',
    file,
    render: (spec: ServiceSpec) => renderLaunchdPlist(spec, { logFile }),
    handCommands: () => [`launchctl bootstrap ${domain} ${file}`],
    restartCommand: () => `launchctl bootout ${service}; launchctl bootstrap ${domain} ${file}`,
    enabledText: () => [`${LAUNCHD_LABEL} is loaded and started; it starts again at every login`],
    unreachableHint: (then = '') =>
      `launchctl ${domain} is the domain of a logged-in desktop user; over ssh or sudo it may not exist. Log in to the desktop as this user${then ? `, then ${then}` : ''}`,
    async enable() {
      const outcome: Outcome = { ran: [] };
      // A reinstall: the old definition leaves first (nothing loaded passes), then the new one loads and starts (RunAtLoad).
      if (await step(outcome, ['bootout', service], { passes: NOT_LOADED })) await step(outcome, ['bootstrap', domain, file]);
      return outcome;
    },
    async disable() {
      const outcome: Outcome = { ran: [] };
      await step(outcome, ['bootout', service], { passes: NOT_LOADED, optional: true });
      return outcome;
    },
    forget: async () => ({ ran: [] }),
    async status(print) {
      print.out(`agent ${file}`);
      const result = await runTool(launchctl, ['print', service], { env, onStdout: (chunk) => print.write(chunk) });
      if (result.stderr.trim()) print.err(result.stderr.trim());
      return result.ok && /^\s*state = running$/m.test(result.stdout) ? 0 : 1;
    },
    async logs(options: LogOptions, print: Printer) {
      const tail = findOnPath('tail', env);
      if (!tail) {
        print.err(`Error: tail is not on PATH; the server's log is ${logFile}`);
        return 1;
      }
      const args = ['-n', String(options.lines), ...(options.follow ? ['-F'] : []), logFile];
      const result = await runTool(tail, args, { env, onStdout: (chunk) => print.write(chunk) });
      if (result.stderr.trim()) print.err(result.stderr.trim());
      return result.ok ? 0 : 1;
    },
  };
}
