/**
 * The edit cycle both kinds of job share: editor → validate the saved file with the validator the
 * server uses → hand a valid job to the caller, or show the problems and maybe re-open.
 */
import { MxxError } from '../../src/errors.js';
import { loadJobFile } from '../../src/job/load-file.js';
import type { JobDefinition } from '../../src/job/types.js';
import { runEditor } from './editor.js';
import type { Reopener } from './reopen.js';

/** What the caller made of a valid save: finished with an exit code, or problems (the server refused it). */
export type SaveOutcome = { exit: number } | { problems: string[] };

export type EditResult = { kind: 'done'; exit: number } | { kind: 'editor-failed'; reason: string } | { kind: 'gave-up' };

export interface EditLoopOptions {
  editor: string;
  file: string;
  reopener: Reopener;
  /** Prints one problem line (stderr). */
  report(line: string): void;
  onValid(definition: JobDefinition): Promise<SaveOutcome>;
}

/** The problem lines of a job file (`name.toml: os.cmd must not be empty`), or its definition. */
export async function checkJobFile(file: string): Promise<{ definition: JobDefinition } | { problems: string[] }> {
  try {
    return { definition: await loadJobFile(file) };
  } catch (error) {
    return { problems: problemLines(error) };
  }
}

/** An INVALID_JOB error's message has one line per problem; anything else is thrown on. */
export function problemLines(error: unknown): string[] {
  if (error instanceof MxxError && error.code === 'INVALID_JOB') return error.message.split('\n');
  throw error;
}

export async function editLoop(options: EditLoopOptions): Promise<EditResult> {
  for (let reopened = 0; ; reopened++) {
    const failed = await runEditor(options.editor, options.file);
    if (failed) return { kind: 'editor-failed', reason: failed };
    const checked = await checkJobFile(options.file);
    const outcome = 'definition' in checked ? await options.onValid(checked.definition) : checked;
    if ('exit' in outcome) return { kind: 'done', exit: outcome.exit };
    for (const line of outcome.problems) options.report(line);
    if (!(await options.reopener.next(reopened))) return { kind: 'gave-up' };
  }
}

/** What the edit functions print through (the command's stdout and stderr). */
export interface EditIo {
  out(text: string): void;
  err(text: string): void;
}
