/**
 * The candidates for the last word of a partly typed command line, from the registered commands: command
 * and subcommand names, the command's options, an option's values, job ids (asked of the server).
 * A shell script passes the words and shows the answer; `:files` / `:dirs` ask it for file names.
 */
import { GLOBAL_OPTIONS } from '../argv.js';
import { defaultCommand, findCommand, nextPathWords, type Catalog } from './catalog.js';
import type { CommandModel, OptionModel } from './model.js';
import { placeholderFor, positionalKind, type ValueKind } from './placeholders.js';

/** What the shell completes itself. */
export const FILES = ':files';
export const DIRS = ':dirs';

export interface CompleteDeps {
  /** The server's job ids; [] when it cannot be reached. */
  jobIds(serverUrl: string | undefined): Promise<string[]>;
}

interface Parsed {
  model: CommandModel;
  path: string[];
  positionals: string[];
  /** The option whose value is the word being typed. */
  valueFor?: OptionModel;
  afterDashDash: boolean;
  server?: string;
}

/** `words`: what follows the binary name, the last one being the word under the cursor ('' for a new word). */
export async function completeWords(catalog: Catalog, words: readonly string[], deps: CompleteDeps): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const typed = words.slice(0, -1);
  const fallback = defaultCommand(catalog);
  // `mxx-server`: every word belongs to its one command.
  const only = fallback && catalog.commands.length === 1 ? fallback : undefined;
  const start: { index: number; server?: string } = only ? { index: 0 } : skipGlobals(typed);
  const match = only ? { model: only, path: [] as string[] } : findCommand(catalog.commands, typed.slice(start.index));
  if (!match) {
    if (current.startsWith('-')) return filter([...GLOBAL_OPTIONS, '--help', '--version'], current);
    const prefix = typed.slice(start.index);
    return prefix.some((w) => w.startsWith('-')) ? [] : filter(nextPathWords(catalog, prefix), current);
  }
  const parsed = parse(match.model, match.path, typed.slice(start.index + match.path.length));
  const server = parsed.server ?? start.server;
  if (parsed.valueFor) return valueCandidates(placeholderFor(match.path, parsed.valueFor), current, server, deps);
  if (current.startsWith('-') && !parsed.afterDashDash) {
    if (current.includes('=')) return [];
    const names = match.model.options.filter((o) => !o.hidden).flatMap((o) => o.names);
    return filter([...names, '--help'], current);
  }
  const positional = match.model.positionals[parsed.positionals.length] ?? match.model.positionals.filter((p) => p.rest).at(-1);
  if (!positional) return [];
  const kind = positionalKind(positional.name);
  if (kind === 'commands') return filter(nextPathWords(catalog, parsed.positionals), current);
  return valueCandidates(kind ? { complete: kind } : {}, current, server, deps);
}

/** Global options before the command (`mxx --server URL status …`). */
function skipGlobals(typed: readonly string[]): { index: number; server?: string } {
  let index = 0;
  let server: string | undefined;
  while (index < typed.length && (typed[index] as string).startsWith('-')) {
    const word = typed[index] as string;
    if (word === '--server') {
      server = typed[index + 1];
      index += 2;
    } else {
      if (word.startsWith('--server=')) server = word.slice('--server='.length);
      index += 1;
    }
  }
  return { index, ...(server !== undefined && { server }) };
}

function parse(model: CommandModel, path: string[], words: readonly string[]): Parsed {
  const parsed: Parsed = { model, path, positionals: [], afterDashDash: false };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (parsed.afterDashDash || !word.startsWith('-') || word === '-') {
      parsed.positionals.push(word);
      continue;
    }
    if (word === '--') {
      parsed.afterDashDash = true;
      continue;
    }
    const [name, value] = word.split(/=(.*)/s) as [string, string | undefined];
    const option = model.options.find((o) => o.names.includes(name));
    if (name === '--server' && value !== undefined) parsed.server = value;
    if (!option || option.arity === 0 || value !== undefined) continue;
    if (i + 1 === words.length) {
      parsed.valueFor = option;
    } else {
      if (name === '--server') parsed.server = words[i + 1];
      i += 1;
    }
  }
  return parsed;
}

async function valueCandidates(
  placeholder: { values?: readonly string[]; complete?: ValueKind },
  current: string,
  server: string | undefined,
  deps: CompleteDeps,
): Promise<string[]> {
  if (placeholder.values) return filter(placeholder.values, current);
  switch (placeholder.complete) {
    case 'jobs':
      return filter(await deps.jobIds(server), current);
    case 'files':
      return [FILES];
    case 'dirs':
      return [DIRS];
    default:
      return [];
  }
}

function filter(candidates: readonly string[], current: string): string[] {
  return [...new Set(candidates.filter((c) => c.startsWith(current)))];
}
