/** The ~/.mxx layout (SPEC §2). Ids are validated before any path is built from them. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertJobId } from './job/id.js';

export interface MxxPaths {
  /** `MXX_HOME` or `~/.mxx`. */
  home: string;
  /** `--jobs-dir`, `MXX_JOBS_DIR` or `<home>/jobs`. */
  jobs: string;
  /** `<home>/server`. */
  server: string;
  /** `<home>/server/registry.json`: the compacted registry. */
  registry: string;
  /** `<home>/server/registry.journal`: changes not yet compacted into registry.json. */
  registryJournal: string;
  /** `<home>/server/runs`: one history file per job. */
  runs: string;
  /** `<home>/server/logs`: one folder per job, one file per run. */
  logs: string;
}

export interface PathOptions {
  home?: string;
  jobsDir?: string;
}

export function resolvePaths(options: PathOptions = {}, env: NodeJS.ProcessEnv = process.env): MxxPaths {
  const home = resolve(options.home ?? env.MXX_HOME ?? join(env.HOME ?? homedir(), '.mxx'));
  const jobs = resolve(options.jobsDir ?? env.MXX_JOBS_DIR ?? join(home, 'jobs'));
  const server = join(home, 'server');
  return {
    home,
    jobs,
    server,
    registry: join(server, 'registry.json'),
    registryJournal: join(server, 'registry.journal'),
    runs: join(server, 'runs'),
    logs: join(server, 'logs'),
  };
}

export function runLogFile(paths: MxxPaths, jobId: string, runId: string): string {
  assertJobId(jobId);
  assertJobId(runId);
  return join(paths.logs, jobId, `${runId}.log`);
}
