/** `mxx list --offline`: the jobs folder the server would watch, read here. */
import { resolveJobsDir, type JobsDirOptions } from './jobs-dir.js';
import { readJobsFolder, type OfflineListBody } from './jobs-folder.js';

export type { OfflineJob, OfflineListBody } from './jobs-folder.js';
export { renderOfflineView } from './render.js';

export function readOfflineListing(options: JobsDirOptions, env: NodeJS.ProcessEnv, now = Date.now()): Promise<OfflineListBody> {
  return readJobsFolder(resolveJobsDir(options, env), { now });
}
