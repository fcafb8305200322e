/** Argument and terminal handling that runs before clipanion (kept free of clipanion so it is testable in-process). */

/** Options that belong to every client command and that the original client took before the command. */
const GLOBAL_WITH_VALUE = new Set(['--server']);
const GLOBAL_FLAGS = new Set(['--json']);
/** Every global option: help says them once, not on every command's line. */
export const GLOBAL_OPTIONS: readonly string[] = [...GLOBAL_WITH_VALUE, ...GLOBAL_FLAGS];

/**
 * clipanion wants the command path first; `mxx-client --server URL health` puts a global option before
 * it. Move leading global options to just after the command name.
 */
export function hoistGlobalOptions(argv: string[]): string[] {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    const name = arg.split('=', 1)[0] as string;
    if (GLOBAL_FLAGS.has(arg) || (GLOBAL_WITH_VALUE.has(name) && arg.includes('='))) {
      globals.push(arg);
      i += 1;
    } else if (GLOBAL_WITH_VALUE.has(arg) && i + 1 < argv.length) {
      globals.push(arg, argv[i + 1] as string);
      i += 2;
    } else {
      break;
    }
  }
  if (globals.length === 0 || i >= argv.length || (argv[i] as string).startsWith('-')) return argv;
  return [argv[i] as string, ...globals, ...argv.slice(i + 1)];
}

/** Colours only on a TTY and without NO_COLOR (clipanion alone follows TERM even when piped). */
export function useColors(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && typeof stream.getColorDepth === 'function' && stream.getColorDepth() > 1;
}
