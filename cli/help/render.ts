/**
 * Help text from the command models: the command list grouped by category, and a command's own help
 * (usage with placeholders, options, details, examples written for the binary that prints them).
 */
import { GLOBAL_OPTIONS } from '../argv.js';
import type { Colors } from '../format/color.js';
import { commandLine, defaultCommand, expandExample, type Catalog } from './catalog.js';
import type { CommandModel, OptionModel } from './model.js';
import { placeholderFor } from './placeholders.js';

const WIDTH = 80;
/** Categories in the order a user meets them; any other category follows, alphabetically. */
const CATEGORY_ORDER = ['Server', 'Jobs', 'Runs', 'Registry', 'General'];
/** An option column wider than this puts the description on the next line. */
const MAX_OPTION_COLUMN = 32;

const isGlobal = (option: OptionModel): boolean => option.names.some((n) => GLOBAL_OPTIONS.includes(n));

/** `--type all|active|scheduled`, `-n,--count N`, `--json`. */
export function optionDefinition(path: readonly string[], option: OptionModel): string {
  return option.arity > 0 ? `${option.names.join(',')} ${placeholderFor(path, option).text}` : option.names.join(',');
}

/** The words after the command: options in brackets, positionals in upper case (`[ID]` when optional). */
export function usageTokens(model: CommandModel, { globals }: { globals: boolean }): string[] {
  const path = model.paths[0] ?? [];
  // Only a client command's global options are said once for all (`validate --json` is its own).
  const hideGlobals = !globals && GLOBAL_OPTIONS.every((name) => model.options.some((o) => o.names.includes(name)));
  const shown = model.options.filter((o) => !o.hidden && !(hideGlobals && isGlobal(o)));
  // The command's own options first, then those every client command takes.
  const ordered = [...shown.filter((o) => !isGlobal(o)), ...shown.filter(isGlobal)];
  const options = ordered.map((o) => (o.required ? optionDefinition(path, o) : `[${optionDefinition(path, o)}]`));
  const positionals = model.positionals.map((p) => {
    const name = `${p.name.toUpperCase()}${p.rest ? '...' : ''}`;
    return p.required ? name : `[${name}]`;
  });
  return [...options, ...positionals];
}

/** `mxx list [--type all|active|scheduled] … [--server URL] [--json]` on one line (error messages). */
export function usageLine(catalog: Catalog, model: CommandModel): string {
  return [commandLine(catalog, model), ...usageTokens(model, { globals: true })].join(' ');
}

/** Words laid out in lines of at most WIDTH, the first after `first`, the others after `indent`. */
function wrapWords(words: readonly string[], first: string, indent: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** Paragraphs (blank-line separated, lines inside joined) wrapped at WIDTH under `indent`. */
function paragraphs(text: string, indent: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => wrapWords(p.split(/\s+/), indent, indent).join('\n'));
}

function usageBlock(catalog: Catalog, model: CommandModel, prefix: string, globals: boolean): string {
  const head = `${prefix}${commandLine(catalog, model)}`;
  return wrapWords(usageTokens(model, { globals }), `${head} `, ' '.repeat(prefix.length + 4)).join('\n').trimEnd();
}

function optionsTable(model: CommandModel): string {
  const path = model.paths[0] ?? [];
  const visible = model.options.filter((o) => !o.hidden);
  const rows: [string, string][] = [...visible.filter((o) => !isGlobal(o)), ...visible.filter(isGlobal)].map((o) => [optionDefinition(path, o), o.description]);
  rows.push(['-h,--help', 'Show this help']);
  const column = Math.min(MAX_OPTION_COLUMN, Math.max(...rows.map(([d]) => d.length)));
  const pad = ' '.repeat(2 + column + 2);
  return rows
    .map(([definition, description]) => {
      const words = description.split(/\s+/).filter((w) => w !== '');
      if (definition.length > column) return [`  ${definition}`, ...wrapWords(words, pad, pad)].join('\n').trimEnd();
      return wrapWords(words, `  ${definition.padEnd(column)}  `, pad).join('\n').trimEnd();
    })
    .join('\n');
}

/** A command's own help: what `mxx help list` and `mxx list --help` print. */
export function renderCommandHelp(catalog: Catalog, model: CommandModel, c: Colors): string {
  const sections: string[] = [];
  if (model.description) sections.push(paragraphs(model.description, '').join('\n'));
  sections.push(`${c.bold('Usage')}\n${usageBlock(catalog, model, '  $ ', true)}`);
  const aliases = model.paths.slice(1).filter((p) => p.length > 0);
  if (aliases.length) sections.push(`${c.bold('Aliases')}\n${aliases.map((p) => `  $ ${commandLine(catalog, model, p)}`).join('\n')}`);
  sections.push(`${c.bold('Options')}\n${optionsTable(model)}`);
  if (model.details) sections.push(`${c.bold('Details')}\n${paragraphs(model.details, '  ').join('\n\n')}`);
  if (model.examples.length) {
    const examples = model.examples.map(([label, line]) => `  ${c.dim(label.trim())}\n  $ ${expandExample(catalog, line)}`);
    sections.push(`${c.bold('Examples')}\n${examples.join('\n\n')}`);
  }
  return `${sections.join('\n\n')}\n`;
}

function categoryRank(category: string): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i === -1 ? CATEGORY_ORDER.length : i;
}

/** Commands grouped by category, each with its usage line (client commands without the global options) and description. */
function commandList(catalog: Catalog, commands: readonly CommandModel[], c: Colors): string {
  const categories = [...new Set(commands.map((m) => m.category))].sort((a, b) => categoryRank(a) - categoryRank(b) || a.localeCompare(b));
  return categories
    .map((category) => {
      const entries = commands
        .filter((m) => m.category === category)
        .sort((a, b) => (a.paths[0] ?? []).join(' ').localeCompare((b.paths[0] ?? []).join(' ')))
        .map((m) => `${usageBlock(catalog, m, '  ', false)}\n${wrapWords(m.description.split(/\s+/), '    ', '    ').join('\n')}`);
      return `${c.bold(category)}\n${entries.join('\n\n')}`;
    })
    .join('\n\n');
}

/** `mxx --help`, `mxx help`, bare `mxx`; for `mxx-server`, whose only command is the default, that command's help. */
export function renderOverview(catalog: Catalog, c: Colors): string {
  const only = defaultCommand(catalog);
  if (only && catalog.commands.length === 1) return renderCommandHelp(catalog, only, c);
  const { binary } = catalog;
  const globals = globalOptions(catalog);
  const sections = [
    `${c.bold(`${catalog.label} ${catalog.version}`)}\n\n  $ ${binary} <command> [options]`,
    commandList(catalog, catalog.commands, c),
  ];
  if (globals.length) {
    const column = Math.max(...globals.map((o) => optionDefinition([], o).length));
    const rows = globals.map((o) => `  ${optionDefinition([], o).padEnd(column)}  ${o.description}`);
    sections.push(`${c.bold('Options of every command that talks to a server')}\n${rows.join('\n')}`);
  }
  sections.push(`Run '${binary} help COMMAND' (or '${binary} COMMAND --help') for a command's options,\ndetails and examples.`);
  return `${sections.join('\n\n')}\n`;
}

/** `mxx help service`: the commands under a path prefix. */
export function renderGroup(catalog: Catalog, commands: readonly CommandModel[], c: Colors): string {
  return `${commandList(catalog, commands, c)}\n\nRun '${catalog.binary} help COMMAND' for its options, details and examples.\n`;
}

/** `--server` and `--json` as the client commands declare them (the first command that has both). */
function globalOptions(catalog: Catalog): OptionModel[] {
  const client = catalog.commands.find((m) => GLOBAL_OPTIONS.every((name) => m.options.some((o) => o.names.includes(name))));
  return client ? GLOBAL_OPTIONS.map((name) => client.options.find((o) => o.names.includes(name)) as OptionModel) : [];
}
