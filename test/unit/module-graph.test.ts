/**
 * The shape of src/: no import cycles, no `_`-prefixed files (parts of a module live in its
 * folder), and the supervisor never imports the API layer (one-way flow: api → supervisor).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Relative imports of a file (value and type imports alike), resolved to .ts paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g)) {
    const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
    if (target.startsWith(SRC)) out.push(target);
  }
  return out;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file: string): string => relative(SRC, file);

describe('src/ module graph', () => {
  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map(name).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('has no _-prefixed file', () => {
    expect(files.map(name).filter((file) => file.split('/').some((part) => part.startsWith('_')))).toEqual([]);
  });

  it('the supervisor does not import the API layer', () => {
    const backEdges = files
      .filter((file) => name(file).startsWith('supervisor/'))
      .flatMap((file) => (graph.get(file) ?? []).filter((target) => name(target).startsWith('api/')).map((target) => `${name(file)} → ${name(target)}`));
    expect(backEdges).toEqual([]);
  });
});
