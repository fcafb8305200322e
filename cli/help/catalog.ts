/**
 * The commands one binary offers, as help, did-you-mean and completion see them, and how a command
 * line is written for that binary: `mxx-server` is `mxx server` on the default path, `mxx-client` has
 * the client commands only.
 */
import type { CommandClass } from 'clipanion';
import type { BinaryName } from '../index.js';
import { isSameCommand, readCommand, type CommandModel } from './model.js';

export interface Catalog {
  binary: BinaryName;
  /** `mxx scheduler`. */
  label: string;
  version: string;
  /** This binary's commands that help shows (those with a description), in registration order. */
  commands: CommandModel[];
  /** `mxx`'s commands: where an example or a command of another binary points. */
  everyCommand: CommandModel[];
}

export function createCatalog(binary: BinaryName, label: string, version: string, own: CommandClass[], mxx: CommandClass[]): Catalog {
  const visible = (classes: CommandClass[]): CommandModel[] => classes.filter((c) => c.usage?.description).map(readCommand);
  const commands = visible(own);
  return { binary, label, version, commands, everyCommand: binary === 'mxx' ? commands : visible(mxx) };
}

/** The command line that runs a command of this binary: `mxx list`, `mxx-client list`, `mxx-server`. */
export function commandLine(catalog: Catalog, model: CommandModel, path: readonly string[] = model.paths[0] ?? []): string {
  return [catalog.binary, ...path].join(' ');
}

export interface Match {
  model: CommandModel;
  /** The path the words named (an alias such as `ls` included). */
  path: string[];
}

/** The command whose path is the longest prefix of `words`. */
export function findCommand(commands: readonly CommandModel[], words: readonly string[]): Match | undefined {
  let best: Match | undefined;
  for (const model of commands) {
    for (const path of model.paths) {
      if (path.length === 0 || path.length > words.length || (best && best.path.length >= path.length)) continue;
      if (path.every((word, i) => words[i] === word)) best = { model, path };
    }
  }
  return best;
}

/** The default command (`mxx-server`'s), if the binary has one with a description. */
export function defaultCommand(catalog: Catalog): CommandModel | undefined {
  return catalog.commands.find((m) => m.paths.some((p) => p.length === 0));
}

/** Each command's name (its first path), the default command left out. */
export function commandNames(catalog: Catalog): string[][] {
  return catalog.commands.map((m) => m.paths[0] ?? []).filter((p) => p.length > 0);
}

/** The words that may follow `prefix` on a command path (`service` → `install`, … ; `[]` → every first word). */
export function nextPathWords(catalog: Catalog, prefix: readonly string[]): string[] {
  const words = new Set<string>();
  for (const path of commandNames(catalog)) {
    if (path.length > prefix.length && prefix.every((w, i) => path[i] === w)) words.add(path[prefix.length] as string);
  }
  return [...words];
}

/**
 * Writes `$0 …` of a usage example for this binary: `$0 server --port 8080` is `mxx-server --port 8080`,
 * `$0 list` is `mxx-client list`; a command this binary lacks keeps its `mxx` form.
 */
export function expandExample(catalog: Catalog, line: string): string {
  return line.replace(/\$0((?: [a-z][\w-]*)*)/g, (_all, after: string) => {
    const words = after.trim() === '' ? [] : after.trim().split(' ');
    const match = findCommand(catalog.everyCommand, words);
    if (!match) return [catalog.binary, ...words].join(' ');
    const rest = words.slice(match.path.length);
    const own = catalog.commands.find((m) => isSameCommand(m.commandClass, match.model.commandClass));
    if (!own) return ['mxx', ...match.path, ...rest].join(' ');
    const path = own.paths.find((p) => p.join(' ') === match.path.join(' ')) ?? own.paths[0] ?? [];
    return [commandLine(catalog, own, path), ...rest].join(' ');
  });
}
