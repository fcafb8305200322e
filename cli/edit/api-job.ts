/**
 * `mxx edit` of a job registered through the API: the editor opens a TOML copy (a private
 * temporary file named `<id>.toml`); a valid, changed save is registered with replace, as
 * `mxx register --replace` would. Nothing that failed validation is ever sent.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterBody, RegistryEntryBody } from '../../src/api/types.js';
import { MxxError } from '../../src/errors.js';
import type { JobDefinition } from '../../src/job/types.js';
import { seg, type Client } from '../client.js';
import { registeredLines } from '../format/registered.js';
import { jobToml, sameDefinition, type StoredDefinition } from '../job-toml.js';
import { editLoop, problemLines, type EditIo, type SaveOutcome } from './loop.js';
import type { Reopener } from './reopen.js';

export interface ApiEditOptions {
  client: Client;
  editor: string;
  reopener: Reopener;
  io: EditIo;
  /** Print the server's answer as JSON. */
  json: boolean;
}

const stored = (d: JobDefinition): StoredDefinition => ({ config: d.config, schedule: d.scheduleDoc });

export async function editApiJob(entry: RegistryEntryBody, options: ApiEditOptions): Promise<number> {
  const { client, io } = options;
  const dir = await mkdtemp(join(tmpdir(), 'mxx-edit-'));
  const file = join(dir, `${entry.job_id}.toml`);
  const header = [`job ${entry.job_id} of mxx server ${client.server}: save to register the change, quit without saving to leave it`];
  await writeFile(file, jobToml(entry, header), { mode: 0o600, flag: 'wx' });
  /** Once the user saved something they meant, the copy is kept on every way out but success. */
  let keep = false;
  const kept = (): string => `your edit is kept in ${file} (register it with: mxx register --replace ${file})`;

  async function register(definition: JobDefinition): Promise<SaveOutcome> {
    if (sameDefinition(stored(definition), entry)) {
      io.out('no change');
      return { exit: 0 };
    }
    keep = true;
    // Someone may have changed the job while the editor was open: never overwrite that unseen.
    const { body: now } = await client.get<RegistryEntryBody>(`/registry/${seg(entry.job_id)}`);
    if (now.source !== entry.source || !sameDefinition(now, entry)) {
      throw new MxxError('JOB_BUSY', `job ${entry.job_id} was changed on the server while you edited it; nothing registered`, {
        hint: `${kept()}; compare with: mxx export ${entry.job_id}`,
      });
    }
    let answer: RegisterBody;
    try {
      ({ body: answer } = await client.post<RegisterBody>('/jobs', {
        job_id: entry.job_id,
        config: definition.config,
        ...(definition.scheduleDoc ? { schedule: definition.scheduleDoc } : {}),
        replace_existing: true,
      }));
    } catch (error) {
      // The server checks more than a file can say (a run_date gone by): shown like a local problem.
      return { problems: problemLines(error).map((l) => `${l} (refused by the server)`) };
    }
    keep = false;
    if (options.json) io.out(JSON.stringify(answer, null, 2));
    else {
      const plain = (text: string): string => text;
      const { out, warning } = registeredLines(answer, { bold: plain, yellow: plain });
      io.out(out);
      if (warning) io.err(warning);
    }
    return { exit: 0 };
  }

  try {
    const result = await editLoop({ editor: options.editor, file, reopener: options.reopener, report: io.err, onValid: register });
    if (result.kind === 'done') return result.exit;
    if (result.kind === 'editor-failed') {
      keep = false;
      io.err(`the editor ${result.reason}; nothing registered`);
      return 1;
    }
    keep = true;
    io.err(`not registered: ${kept()}`);
    if (options.reopener.hint) io.err(`hint: ${options.reopener.hint}`);
    return 1;
  } catch (error) {
    if (keep && error instanceof MxxError && !error.hint?.includes(file)) {
      throw new MxxError(error.code, error.message, { hint: [error.hint, kept()].filter(Boolean).join('; '), cause: error });
    }
    throw error;
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}
