/**
 * A command class read into plain data (paths, usage texts, options, positionals) for help, did-you-mean
 * and completion. clipanion keeps this inside its state machine; we read it the way `Cli.register` does:
 * each option field's `definition(builder)` is called, here with a builder that only records.
 */
import { Command, type CommandClass, type Usage } from 'clipanion';

export interface OptionModel {
  /** As declared: `['--count', '-n']`, `['--type']`. */
  names: string[];
  /** 0 for a flag, 1 for an option that takes a value. */
  arity: number;
  description: string;
  hidden: boolean;
  required: boolean;
}

export interface PositionalModel {
  name: string;
  required: boolean;
  /** Takes every remaining word (Option.Rest / Option.Proxy). */
  rest: boolean;
}

export interface CommandModel {
  commandClass: CommandClass;
  /** Every path the command is registered under; the first is its name (`[[]]` for the default command). */
  paths: string[][];
  category: string;
  description: string;
  details: string;
  examples: [string, string][];
  options: OptionModel[];
  positionals: PositionalModel[];
}

interface RecordingBuilder {
  addOption(spec: { names: string[]; arity?: number; description?: string; hidden?: boolean; required?: boolean }): void;
  addPositional(spec: { name?: string; required?: boolean }): void;
  addRest(spec: { name?: string; required?: number }): void;
  addProxy(spec: { name?: string; required?: number }): void;
}

type OptionSpec = { definition(builder: RecordingBuilder, key: string): void };

export function readCommand(commandClass: CommandClass): CommandModel {
  const options: OptionModel[] = [];
  const positionals: PositionalModel[] = [];
  const builder: RecordingBuilder = {
    addOption: ({ names, arity = 0, description = '', hidden = false, required = false }) => options.push({ names, arity, description, hidden, required }),
    addPositional: ({ name = 'arg', required }) => positionals.push({ name, required: required !== false, rest: false }),
    addRest: ({ name = 'arg', required = 0 }) => positionals.push({ name, required: required > 0, rest: true }),
    addProxy: ({ name = 'arg', required = 0 }) => positionals.push({ name, required: required > 0, rest: true }),
  };
  const instance = new commandClass() as unknown as Record<string, unknown>;
  for (const key of Object.keys(instance)) {
    const value = instance[key];
    if (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[Command.isOption]) {
      (value as OptionSpec).definition(builder, key);
    }
  }
  const usage: Usage = commandClass.usage ?? {};
  return {
    commandClass,
    paths: (commandClass.paths ?? [[]]).map((path) => [...path]),
    category: usage.category ?? 'General',
    description: usage.description ?? '',
    details: usage.details ?? '',
    examples: (usage.examples ?? []).map(([label, line]) => [label, line]),
    options,
    positionals,
  };
}

/** The long name (`--count`) if there is one, else the first. */
export function mainName(option: OptionModel): string {
  return option.names.find((n) => n.startsWith('--')) ?? (option.names[0] as string);
}

/** Every spelling clipanion accepts for the option: its names, and `--no-x` for a flag. */
export function acceptedNames(option: OptionModel): string[] {
  const negations = option.arity === 0 ? option.names.filter((n) => n.startsWith('--')).map((n) => `--no-${n.slice(2)}`) : [];
  return [...option.names, ...negations];
}

/** Is `candidate` this class or a subclass of it (`mxx-server`'s default command is `mxx server`)? */
export function isSameCommand(candidate: CommandClass, commandClass: CommandClass): boolean {
  return candidate === commandClass || candidate.prototype instanceof commandClass;
}
