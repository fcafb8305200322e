/**
 * What `mxx` prints on stderr when clipanion cannot parse a command line (exit 2): a did-you-mean for an
 * unknown command or option, else clipanion's reason; then the usage line with real placeholders
 * (clipanion's own shows `#0`) and where to read more.
 */
import type { Colors } from '../format/color.js';
import { commandLine, defaultCommand, type Catalog } from './catalog.js';
import { groupMessage, lookUp, unknownOption } from './did-you-mean.js';
import type { CommandModel } from './model.js';
import { usageLine } from './render.js';

/** `args` as clipanion got them (global options already after the command). */
export function describeParseError(catalog: Catalog, args: readonly string[], error: unknown, c: Colors): string {
  const heading = `${c.red('Usage Error')}: `;
  const { model, rest, problem } = resolve(catalog, args);
  if (problem !== undefined) return `${heading}${problem}\n`;
  const reason = unknownOption(catalog, model, rest) ?? serverWord(catalog, model, rest) ?? clipanionReason(error);
  if (!model) return `${heading}${reason}\n`;
  const path = model.paths[0] ?? [];
  // `mxx-server` has no help command, only --help.
  const helpLine = path.length ? [catalog.binary, 'help', ...path] : [catalog.binary, '--help'];
  const more = `Run '${helpLine.join(' ')}' for its options, details and examples.`;
  return `${heading}${reason}\n\n$ ${usageLine(catalog, model)}\n${more}\n`;
}

interface Resolved {
  model?: CommandModel;
  /** The words after the command's path. */
  rest: readonly string[];
  /** An unknown command or an incomplete path: the whole message. */
  problem?: string;
}

function resolve(catalog: Catalog, args: readonly string[]): Resolved {
  const fallback = defaultCommand(catalog);
  // `mxx-server`: every word belongs to the default command.
  if (fallback && catalog.commands.length === 1) return { model: fallback, rest: args };
  const firstOption = args.findIndex((a) => a.startsWith('-'));
  if (args.length === 0 || firstOption === 0) return { rest: args };
  const words = firstOption === -1 ? args : args.slice(0, firstOption);
  const found = lookUp(catalog, words);
  if (found.kind === 'command') return { model: found.model, rest: args.slice(found.path.length) };
  if (found.kind === 'group') return { rest: [], problem: groupMessage(catalog, found.prefix) };
  return { rest: [], problem: found.message };
}

/** `mxx-server server --port 5001`: mxx-server is already `mxx server`. */
function serverWord(catalog: Catalog, model: CommandModel | undefined, rest: readonly string[]): string | undefined {
  if (!model || rest[0] !== 'server' || model.positionals.length > 0 || (model.paths[0] ?? []).length > 0) return undefined;
  return `${catalog.binary} is 'mxx server' already: leave out the word 'server'.\n  $ ${[commandLine(catalog, model), ...rest.slice(1)].join(' ')}`;
}

/** clipanion's sentence without its candidate list (whose usage lines show `#0`). */
function clipanionReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n\n', 1)[0] as string;
  return first.startsWith('Command not found') ? 'Unknown command.' : first;
}
