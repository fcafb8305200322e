import { existsSync } from 'node:fs';
import { Option, UsageError, type CommandClass } from 'clipanion';
import * as t from 'typanion';
import { isMxxError, MxxError } from '../../src/errors.js';
import { BaseCommand } from '../base.js';
import { installService, uninstallService } from '../service/install.js';
import { createPrinter, type Printer } from '../service/manager.js';
import { detectServiceManager } from '../service/platform.js';
import { createServiceSpec, serverFlags } from '../service/spec.js';
import { ServerSettingsCommand } from './server.js';

const printer = (command: BaseCommand): Printer => createPrinter(command.context.stdout, command.context.stderr);

/** A settings error, said of the service (whose only token source is token_file). */
function forTheService(error: unknown): unknown {
  if (!isMxxError(error)) return error;
  const hint = error.hint?.includes('MXX_API_TOKEN') ? `${error.hint}. The service gets neither MXX_API_TOKEN nor --token: name a token_file in config.toml` : error.hint;
  return new MxxError(error.code, `the service would not start: ${error.message}`, { hint, details: error.details, cause: error });
}

class ServiceInstallCommand extends ServerSettingsCommand {
  static override paths = [['service', 'install']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Install mxx as a user service (systemd, launchd)',
    details:
      'Writes a service that runs this mxx (`<node> <mxx.js> server` with the flags given, paths made absolute) and asks the service manager to start it at login: on Linux a systemd user unit, ~/.config/systemd/user/mxx.service (or under XDG_CONFIG_HOME), then `systemctl --user daemon-reload` and `enable`; on macOS a launchd agent, ~/Library/LaunchAgents/dev.mxx.server.plist, loaded with `launchctl bootstrap`. It restarts after a crash, not after `mxx shutdown`; a stop goes through the server\'s own clean shutdown. The flags are checked as `mxx server` checks them, with config.toml; settings given by MXX_* variables in this shell are not passed on (give them as flags or in config.toml), except MXX_HOME. A token is never written into the unit: use token_file in config.toml. Prints the file and the command that starts it. Without systemd or launchd: an error, nothing written.',
    examples: [
      ['Install with the default settings', '$0 service install'],
      ['Install, enable and start it now', '$0 service install --now'],
      ['Another port and jobs folder', '$0 service install --port 8080 --jobs-dir ~/jobs'],
      ['Only write the file', '$0 service install --no-enable'],
    ],
  });

  // Kept only to refuse it with a reason (a bare "unknown option" would not say where the token goes).
  override token = Option.String('--token', {
    description: 'Refused: a token is not written into the unit file; set token_file in config.toml instead',
    hidden: true,
  });
  enable = Option.Boolean('--enable', true, {
    description: 'Ask the service manager to load the file and start it at login (default); --no-enable only writes the file',
  });
  now = Option.Boolean('--now', false, { description: 'Start it now as well (systemctl --user enable --now; launchd starts it at once anyway)' });
  debug = Option.Boolean('--debug', false, { description: 'The service runs `mxx server --debug`' });

  async run(): Promise<number> {
    if (this.token !== undefined) {
      throw new UsageError('--token is not written into the unit file (every user may read it there): put the token in a file only you can read and set token_file = "<path>" in config.toml');
    }
    const env = this.context.env;
    const manager = detectServiceManager(env);
    const options = this.serverOptions();
    if (this.debug) options.debug = true;
    // The service's environment: the manager's own (HOME …) and MXX_HOME; none of this shell's other MXX_* settings.
    const serviceEnv: NodeJS.ProcessEnv = { ...(env.HOME ? { HOME: env.HOME } : {}), ...(env.MXX_HOME ? { MXX_HOME: env.MXX_HOME } : {}) };
    const { resolveServerOptions } = await import('../../src/config.js');
    // As `mxx server` will check them when the service starts it: flags, config.toml, token_file.
    try {
      resolveServerOptions(options, serviceEnv);
    } catch (error) {
      throw forTheService(error);
    }
    this.noteShellSettings(() => resolveServerOptions(options, env).sources);
    const spec = createServiceSpec(serverFlags(options, process.cwd()), env, process.cwd());
    return installService(manager, manager.render(spec), { enable: this.enable, now: this.now }, printer(this));
  }

  /** Settings that come from this shell's MXX_* variables, which the service will not have. */
  private noteShellSettings(sourcesHere: () => Record<string, string>): void {
    let sources: Record<string, string>;
    try {
      sources = sourcesHere();
    } catch {
      return; // a bad variable in this shell concerns `mxx server` here, not the service
    }
    const names = [...new Set(Object.values(sources).filter((s) => s.startsWith('env ') && s !== 'env MXX_HOME').map((s) => s.slice(4)))];
    if (names.length > 0) {
      this.err(`note: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} set in this shell but not passed to the service; give the setting as a flag or in config.toml`);
    }
  }
}

class ServiceUninstallCommand extends BaseCommand {
  static override paths = [['service', 'uninstall']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Stop and remove the mxx user service',
    details:
      'Stops the service and takes it out of the login start (systemctl --user stop and disable, or launchctl bootout), removes the file `mxx service install` wrote and lets the manager forget it. Says what it removed; with nothing installed it says so and exits 0.',
    examples: [['Remove the service', '$0 service uninstall']],
  });

  async run(): Promise<number> {
    return uninstallService(detectServiceManager(this.context.env), printer(this));
  }
}

class ServiceStatusCommand extends BaseCommand {
  static override paths = [['service', 'status']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: 'Show whether the mxx user service runs',
    details: 'Names the unit file and prints `systemctl --user status mxx` (or `launchctl print` on macOS). Exits 0 when the service runs, 1 otherwise (not installed, stopped, or the manager cannot be reached).',
    examples: [['Is the service running?', '$0 service status']],
  });

  async run(): Promise<number> {
    const manager = detectServiceManager(this.context.env);
    const print = printer(this);
    if (!existsSync(manager.file)) {
      print.out(`no mxx service installed (${manager.file} does not exist)`);
      return 1;
    }
    return manager.status(print);
  }
}

class ServiceLogsCommand extends BaseCommand {
  static override paths = [['service', 'logs']];
  static override usage = BaseCommand.Usage({
    category: 'Server',
    description: "Print the mxx user service's server log",
    details: "The server's log as the service manager keeps it: `journalctl --user -u mxx.service` on Linux, ~/Library/Logs/mxx.log on macOS. --follow keeps printing new lines until Ctrl-C.",
    examples: [
      ['The last 100 lines', '$0 service logs'],
      ['Follow it', '$0 service logs --follow'],
    ],
  });

  follow = Option.Boolean('--follow,-f', false, { description: 'Keep printing new lines as the server writes them' });
  lines = Option.String('--lines,-n', {
    description: 'How many of the last lines to print first (default: 100)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(0)]),
  });

  async run(): Promise<number> {
    return detectServiceManager(this.context.env).logs({ follow: this.follow, lines: this.lines ?? 100 }, printer(this));
  }
}

/** `mxx service install|uninstall|status|logs`. */
export const SERVICE_COMMANDS: CommandClass[] = [ServiceInstallCommand, ServiceUninstallCommand, ServiceStatusCommand, ServiceLogsCommand];
