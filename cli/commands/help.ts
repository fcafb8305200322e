import { Option } from 'clipanion';
import { EXIT_USAGE, BaseCommand } from '../base.js';
import type { BinaryName } from '../index.js';

export default class HelpCommand extends BaseCommand {
  static override paths = [['help']];
  static override usage = BaseCommand.Usage({
    category: 'General',
    description: 'Show help for a command',
    details:
      "Without a command: every command, by category, with its options. With one: its usage, options, details and examples, as `COMMAND --help` prints them. A command with subcommands (`service`) lists them.",
    examples: [
      ['Every command', '$0 help'],
      ['One command', '$0 help list'],
      ['A subcommand', '$0 help service install'],
    ],
  });

  command = Option.Rest({ name: 'command' });

  async run(): Promise<number> {
    // Loaded when help is asked for: index.ts registers this command and knows every other one.
    const [{ catalogFor }, { lookUp, groupMessage }, render] = await Promise.all([
      import('../index.js'),
      import('../help/did-you-mean.js'),
      import('../help/render.js'),
    ]);
    const catalog = catalogFor(this.cli.binaryName as BinaryName);
    if (this.command.length === 0) {
      this.out(render.renderOverview(catalog, this.colors));
      return 0;
    }
    const found = lookUp(catalog, this.command);
    if (found.kind === 'command' && found.path.length === this.command.length) {
      this.out(render.renderCommandHelp(catalog, found.model, this.colors));
      return 0;
    }
    if (found.kind === 'group') {
      this.out(render.renderGroup(catalog, found.commands, this.colors));
      return 0;
    }
    const message = found.kind === 'unknown' ? found.message : groupMessage(catalog, this.command);
    this.err(`${this.colors.red('Usage Error')}: ${found.kind === 'command' ? `Unknown command '${this.command.join(' ')}'.` : message}`);
    return EXIT_USAGE;
  }
}
