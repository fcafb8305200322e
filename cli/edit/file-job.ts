/**
 * `mxx edit` of a job from the jobs folder: the editor opens the file itself and the server's
 * watcher reloads it on save. This side only checks the saved file, so a mistake is seen at once
 * rather than in the server's log (the server keeps the last good definition meanwhile).
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import type { RegistryEntryBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import { editLoop, type EditIo } from './loop.js';
import type { Reopener } from './reopen.js';

export async function editFileJob(entry: RegistryEntryBody, editor: string, reopener: Reopener, io: EditIo): Promise<number> {
  const file = entry.file;
  if (!file) throw new MxxError('INTERNAL', `job ${entry.job_id} comes from a job file, but the server did not say which`);
  try {
    await access(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new MxxError('INVALID_REQUEST', `job ${entry.job_id} comes from ${file}, which cannot be edited here (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'edit the file on the machine the server runs on',
    });
  }
  const before = await readFile(file, 'utf8');
  const result = await editLoop({
    editor,
    file,
    reopener,
    report: io.err,
    async onValid() {
      io.out((await readFile(file, 'utf8')) === before ? 'no change' : 'saved; the server reloads it');
      return { exit: 0 };
    },
  });
  if (result.kind === 'done') return result.exit;
  if (result.kind === 'editor-failed') {
    io.err(`the editor ${result.reason}; ${file} is as the editor left it`);
    return 1;
  }
  io.err(`${file} is invalid: the server keeps the last good definition until the file loads`);
  if (reopener.hint) io.err(`hint: ${reopener.hint}`);
  return 1;
}
