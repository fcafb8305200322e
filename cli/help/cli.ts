/**
 * clipanion's Cli with our help: every path to help (`--help`, `-h`, `CMD --help`, bare `mxx`, a usage
 * error's usage line) goes through `Cli.usage`, so overriding it is the one hook that replaces them all.
 */
import { Cli, type BaseContext, type CliOptions, type CommandClass, type Command } from 'clipanion';
import { createColors } from '../format/color.js';
import type { Catalog } from './catalog.js';
import { renderCommandHelp, renderOverview, usageLine } from './render.js';

type UsageOptions = { colored?: boolean; detailed?: boolean; prefix?: string };

export class HelpfulCli extends Cli<BaseContext> {
  private catalogCache: Catalog | undefined;

  constructor(
    options: Partial<CliOptions>,
    private readonly loadCatalog: () => Catalog,
  ) {
    super(options);
  }

  /** Built on first use: most runs never print help. */
  get catalog(): Catalog {
    this.catalogCache ??= this.loadCatalog();
    return this.catalogCache;
  }

  override usage(command: CommandClass<BaseContext> | Command<BaseContext> | null = null, options: UsageOptions = {}): string {
    const c = createColors(options.colored ?? this.enableColors ?? false);
    if (command === null) return renderOverview(this.catalog, c);
    const commandClass = typeof command === 'function' ? command : (command.constructor as CommandClass<BaseContext>);
    const model = this.catalog.commands.find((m) => m.commandClass === commandClass);
    // clipanion's own commands (--version) keep clipanion's text.
    if (!model) return super.usage(command, options);
    if (options.detailed) return renderCommandHelp(this.catalog, model, c);
    return `${options.prefix ?? '$ '}${usageLine(this.catalog, model)}\n`;
  }
}
