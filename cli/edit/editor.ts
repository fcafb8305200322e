/** Which editor `mxx edit` runs, and running it on a file with the terminal handed over. */
import { spawn } from 'node:child_process';

export const NO_EDITOR_MESSAGE = 'set $EDITOR (or $VISUAL) to the editor to use, e.g. EDITOR=nano';

/** `$VISUAL`, else `$EDITOR`, as git and crontab pick them; an empty value counts as unset. */
export function resolveEditor(env: NodeJS.ProcessEnv): string | undefined {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || undefined;
}

/**
 * Runs the editor on `file` and waits for it. The editor value goes through the shell, so
 * `code --wait` and `vim -u NONE` work; the file goes in as "$@", so no path needs quoting.
 * Returns undefined when it exited 0, else what happened ("exited with code 3").
 */
export async function runEditor(editor: string, file: string): Promise<string | undefined> {
  // Ctrl-C in the editor reaches this process too (same process group): the editor decides what
  // it means, and this process must live on to clean up (as git does).
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child =
        process.platform === 'win32'
          ? spawn(`${editor} "${file}"`, { stdio: 'inherit', shell: true })
          : spawn('/bin/sh', ['-c', `${editor} "$@"`, editor, file], { stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
    });
    if (signal) return `was ended by ${signal}`;
    return code === 0 ? undefined : `exited with code ${code}`;
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  }
}
