/** Builds the clipanion Cli for `mxx`, `mxx-client` and `mxx-server`, and runs it with our exit codes. */
import { readFileSync } from 'node:fs';
import { Builtins, Cli, Command, type BaseContext, type CommandClass } from 'clipanion';
import { hoistGlobalOptions, useColors } from './argv.js';
import { EXIT_USAGE, BaseCommand } from './base.js';
import { createColors } from './format/color.js';
import { createCatalog, type Catalog } from './help/catalog.js';
import { HelpfulCli } from './help/cli.js';
import { describeParseError } from './help/parse-error.js';
import CancelCommand from './commands/cancel.js';
import EventsCommand from './commands/events.js';
import ConfigCommand from './commands/config.js';
import HealthCommand from './commands/health.js';
import InfoCommand from './commands/info.js';
import ListCommand from './commands/list.js';
import LogsCommand from './commands/logs.js';
import NextCommand from './commands/next.js';
import NodesCommand from './commands/nodes.js';
import RegisterCommand from './commands/register.js';
import RegistryCommand from './commands/registry.js';
import RemoveCommand from './commands/remove.js';
import ResumeCommand from './commands/resume.js';
import RunsCommand from './commands/runs.js';
import ServerCommand from './commands/server.js';
import StatusCommand from './commands/status.js';
import StopCommand from './commands/stop.js';
import TriggerCommand from './commands/trigger.js';
import UnregisterCommand from './commands/unregister.js';
import ValidateCommand from './commands/validate.js';
import CompletionCommand, { CompletionWordsCommand } from './commands/completion.js';
import EditCommand from './commands/edit.js';
import ExportCommand from './commands/export.js';
import HelpCommand from './commands/help.js';
import SchemaCommand from './commands/schema.js';
import { SERVICE_COMMANDS } from './commands/service.js';
import ShutdownCommand from './commands/shutdown.js';
import { STORE_COMMANDS } from './commands/store.js';

export type BinaryName = 'mxx' | 'mxx-client' | 'mxx-server';

export const CLIENT_COMMANDS: CommandClass[] = [
  HealthCommand,
  NodesCommand,
  ListCommand,
  StatusCommand,
  TriggerCommand,
  RegisterCommand,
  CancelCommand,
  RemoveCommand,
  RegistryCommand,
  InfoCommand,
  UnregisterCommand,
  RunsCommand,
  LogsCommand,
  ResumeCommand,
  StopCommand,
  NextCommand,
  ValidateCommand,
  EventsCommand,
  EditCommand,
  ExportCommand,
  ShutdownCommand,
];

/** Commands of `mxx` and `mxx-client` that need no server. */
export const LOCAL_COMMANDS: CommandClass[] = [HelpCommand, CompletionCommand, CompletionWordsCommand, SchemaCommand];

/** `mxx-server [options]` is `mxx server [options]`: the same command on the default path. */
class ServerDefaultCommand extends ServerCommand {
  static override paths = [Command.Default];
}

/** Bare `mxx` / `mxx-client`: print the command list (no description: help does not list it). */
class UsageCommand extends BaseCommand {
  static override paths = [Command.Default];
  async run(): Promise<number> {
    this.context.stdout.write(this.cli.usage(null));
    return 0;
  }
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface CreateCliOptions {
  /** @default true when stdout is a TTY and NO_COLOR is unset */
  colors?: boolean;
}

/** The commands each binary registers (clipanion's --help and --version aside). */
export function commandsFor(binary: BinaryName): CommandClass[] {
  if (binary === 'mxx-server') return [ServerDefaultCommand];
  if (binary === 'mxx-client') return [UsageCommand, ...CLIENT_COMMANDS, ...LOCAL_COMMANDS];
  return [UsageCommand, ServerCommand, ConfigCommand, ...SERVICE_COMMANDS, ...STORE_COMMANDS, ...CLIENT_COMMANDS, ...LOCAL_COMMANDS];
}

const binaryLabel = (binary: BinaryName): string => (binary === 'mxx-server' ? 'mxx scheduler server' : 'mxx scheduler');

/** What help, did-you-mean and completion know of a binary's commands. */
export function catalogFor(binary: BinaryName): Catalog {
  return createCatalog(binary, binaryLabel(binary), version(), commandsFor(binary), commandsFor('mxx'));
}

export function createCli(binary: BinaryName, options: CreateCliOptions = {}): HelpfulCli {
  const cli = new HelpfulCli(
    { binaryLabel: binaryLabel(binary), binaryName: binary, binaryVersion: version(), enableColors: options.colors ?? false },
    () => catalogFor(binary),
  );
  for (const command of [...commandsFor(binary), Builtins.HelpCommand, Builtins.VersionCommand]) cli.register(command);
  return cli;
}

/**
 * Runs the CLI and resolves its exit code: 0 ok, 1 error answer, 2 usage error, 3 server unreachable.
 * clipanion reports parse errors with exit 1 on stdout; we report them on stderr with exit 2.
 * Help of every kind goes through HelpfulCli.usage (cli/help/).
 */
export async function runCli(binary: BinaryName, argv: string[], context: Partial<BaseContext> = {}): Promise<number> {
  const stdout = (context.stdout ?? process.stdout) as NodeJS.WriteStream;
  const env = context.env ?? process.env;
  const colors = useColors(stdout, env);
  const cli = createCli(binary, { colors });
  const fullContext: BaseContext = {
    ...Cli.defaultContext,
    ...context,
    env,
    colorDepth: colors ? Math.max(stdout.getColorDepth?.() ?? 8, 8) : 1,
  };
  const args = binary === 'mxx-server' ? argv : hoistGlobalOptions(argv);
  let command: Command<BaseContext>;
  try {
    command = cli.process(args, fullContext);
  } catch (error) {
    // Did-you-mean, or clipanion's reason with our usage line (clipanion's shows `#0` placeholders).
    fullContext.stderr.write(describeParseError(cli.catalog, args, error, createColors(colors)));
    return EXIT_USAGE;
  }
  return cli.run(command, fullContext);
}

/** Entry point of the bin scripts. */
export async function main(binary: BinaryName): Promise<void> {
  // `mxx logs job | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await runCli(binary, process.argv.slice(2));
}
