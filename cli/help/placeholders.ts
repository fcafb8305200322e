/**
 * What help shows after an option that takes a value (`--server URL`), and what completion offers there.
 * clipanion 3 has no placeholders (it prints `#0`), so this table is the one place they live:
 * a per-command override, else the option name's entry, else the name in upper case.
 */
import { EVENT_TYPES } from '../../src/events/types.js';
import { mainName, type OptionModel } from './model.js';

/** What a shell should complete for a value: the server's job ids, file names or folder names. */
export type ValueKind = 'jobs' | 'files' | 'dirs';

export interface Placeholder {
  /** `URL`, `all|active|scheduled`. */
  text: string;
  /** The accepted values, when they are a fixed list (completion offers them). */
  values?: readonly string[];
  complete?: ValueKind;
}

type Entry = Omit<Placeholder, 'text'> & { text?: string };

/** A fixed list of values: shown as `a|b|c`. */
const oneOf = (...values: string[]): Entry => ({ values });

/** By option name (the long one); the same name means the same kind of value in every command. */
const BY_NAME: Record<string, Entry> = {
  '--server': { text: 'URL' },
  '--host': { text: 'HOST' },
  '--port': { text: 'PORT' },
  '--jobs-dir': { text: 'DIR', complete: 'dirs' },
  '--config': { text: 'FILE', complete: 'files' },
  '--output': { text: 'FILE', complete: 'files' },
  '--token': { text: 'TOKEN' },
  '--allow-origin': { text: 'ORIGIN' },
  '--max-concurrency': { text: 'N' },
  '--log-format': oneOf('text', 'json'),
  // A new job's id: nothing to complete.
  '--job-id': { text: 'ID' },
  '--job': { text: 'ID', complete: 'jobs' },
  '--run': { text: 'RUN' },
  '--before': { text: 'RUN' },
  '--count': { text: 'N' },
  '--limit': { text: 'N' },
  '--reopen': { text: 'N' },
  '--status': { text: 'STATUS' },
  '--since': { text: 'TIME' },
  '--store': { text: 'URL' },
  '--label': { text: 'LABEL' },
  '--timeout': { text: 'SECONDS' },
  '--lines': { text: 'N' },
  '--name': { text: 'NAME' },
};

/** By `command path` + option, where a command gives a name its own meaning. */
const BY_COMMAND: Record<string, Entry> = {
  'list --type': oneOf('all', 'active', 'scheduled'),
  'registry --type': oneOf('all', 'scheduled', 'on_demand'),
  // A type, or a prefix ending in a dot.
  'events --type': { text: 'TYPE', values: [...EVENT_TYPES, 'run.', 'job.', 'file.'] },
  'events --since': { text: 'ID' },
};

/** Positionals, by name: shown in upper case, completed by kind (`mxx help COMMAND...` completes command names). */
const POSITIONAL_KINDS: Record<string, ValueKind | 'commands'> = { id: 'jobs', file: 'files', command: 'commands' };

export function placeholderFor(path: readonly string[], option: OptionModel): Placeholder {
  const name = mainName(option);
  const entry = BY_COMMAND[`${path.join(' ')} ${name}`] ?? BY_NAME[name] ?? {};
  const text = entry.text ?? entry.values?.join('|') ?? name.replace(/^-+/, '').toUpperCase();
  return { ...entry, text };
}

export function positionalKind(name: string): ValueKind | 'commands' | undefined {
  return POSITIONAL_KINDS[name];
}
