import type { CommandClass } from 'clipanion';
import { BaseCommand } from '../base.js';

/** Stub: built by the #14 work. */
class ServiceInstallCommand extends BaseCommand {
  static override paths = [['service', 'install']];
  static override usage = BaseCommand.Usage({ category: 'Server', description: 'Install mxx as a user service' });

  async run(): Promise<number> {
    this.err('not built yet');
    return 1;
  }
}

/** `mxx service install|uninstall|status|logs`. */
export const SERVICE_COMMANDS: CommandClass[] = [ServiceInstallCommand];
