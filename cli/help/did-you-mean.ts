/**
 * What a command line names — a command, a group of subcommands, or nothing — and the did-you-mean
 * sentences for unknown commands and options, by edit distance over what this binary registers.
 */
import { closest } from '../../src/job/suggest.js';
import { GLOBAL_OPTIONS } from '../argv.js';
import { commandLine, commandNames, findCommand, nextPathWords, type Catalog, type Match } from './catalog.js';
import { acceptedNames, type CommandModel } from './model.js';

export type Lookup =
  | ({ kind: 'command' } & Match)
  | { kind: 'group'; prefix: string[]; commands: CommandModel[] }
  | { kind: 'unknown'; message: string };

/** The close candidates: the nearest by edit distance, else those that start with the word (`reg` → register, registry). */
export function suggestions(word: string, candidates: readonly string[]): string[] {
  const near = closest(word, candidates);
  if (near !== undefined) return [near];
  if (word.replace(/^-+/, '').length < 2) return [];
  return [...new Set(candidates.filter((c) => c.startsWith(word)))].slice(0, 4);
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const found = suggestions(word, candidates).map((c) => `'${c}'`);
  if (found.length === 0) return '';
  return ` Did you mean ${found.length === 1 ? found[0] : `${found.slice(0, -1).join(', ')} or ${found.at(-1)}`}?`;
}

/** Resolves the leading words of a command line (or of `mxx help …`) to what they name. */
export function lookUp(catalog: Catalog, words: readonly string[]): Lookup {
  const match = findCommand(catalog.commands, words);
  if (match) return { kind: 'command', ...match };
  const { binary } = catalog;
  // The longest prefix of a command path: `service` alone, or `service instal`.
  let depth = 0;
  while (depth < words.length && nextPathWords(catalog, words.slice(0, depth + 1)).length > 0) depth += 1;
  if (depth > 0 && depth === words.length) {
    const prefix = words.slice(0, depth);
    const commands = catalog.commands.filter((m) => prefix.every((w, i) => m.paths[0]?.[i] === w));
    return { kind: 'group', prefix, commands };
  }
  const typed = words.slice(0, depth + 1).join(' ');
  const sameDepth = commandNames(catalog)
    .filter((p) => p.length >= depth + 1)
    .map((p) => p.slice(0, depth + 1).join(' '));
  const elsewhere = findCommand(catalog.everyCommand, words);
  if (elsewhere && binary !== 'mxx') {
    return { kind: 'unknown', message: `${binary} has no command '${elsewhere.path.join(' ')}': it is a command of mxx (mxx ${elsewhere.path.join(' ')}).` };
  }
  return { kind: 'unknown', message: `Unknown command '${typed}'.${didYouMean(typed, [...new Set(sameDepth)])}\nRun '${binary} help' for the list of commands.` };
}

/** The usage sentence for a group: `'mxx service' needs a subcommand: 'mxx service install', 'mxx service status'.` */
export function groupMessage(catalog: Catalog, prefix: readonly string[]): string {
  const lines = nextPathWords(catalog, prefix).map((word) => `'${[catalog.binary, ...prefix, word].join(' ')}'`);
  return `'${[catalog.binary, ...prefix].join(' ')}' needs a subcommand: ${lines.join(', ')}.\nRun '${[catalog.binary, 'help', ...prefix].join(' ')}' for what they do.`;
}

/** The first option word of `args` that the command does not take, as a did-you-mean sentence; else undefined. */
export function unknownOption(catalog: Catalog, model: CommandModel | undefined, args: readonly string[]): string | undefined {
  const options = model?.options ?? [];
  const known = new Set(['-h', '--help', ...options.flatMap(acceptedNames), ...(model ? [] : [...GLOBAL_OPTIONS, '-v', '--version'])]);
  const takesValue = new Set(options.filter((o) => o.arity > 0).flatMap((o) => o.names));
  const where = model ? ` for '${commandLine(catalog, model)}'` : '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const name = arg.startsWith('--') ? (arg.split('=', 1)[0] as string) : arg;
    // `-wf` is `-w -f`; `-n5` is `-n 5`.
    const unknown = arg.startsWith('--') ? (known.has(name) ? undefined : name) : shortUnknown(arg, known, takesValue);
    if (unknown !== undefined) {
      const longNames = [...known].filter((n) => n.startsWith('--') && !n.startsWith('--no-'));
      return `Unknown option '${unknown}'${where}.${unknown.startsWith('--') ? didYouMean(unknown, longNames) : ''}`;
    }
    if (takesValue.has(name) && !arg.includes('=') && (arg.startsWith('--') || arg.length === 2)) i += 1;
  }
  return undefined;
}

function shortUnknown(arg: string, known: Set<string>, takesValue: Set<string>): string | undefined {
  if (known.has(arg)) return undefined;
  for (const letter of arg.slice(1)) {
    const name = `-${letter}`;
    if (!known.has(name)) return arg.length === 2 ? arg : name;
    if (takesValue.has(name)) return undefined;
  }
  return undefined;
}
