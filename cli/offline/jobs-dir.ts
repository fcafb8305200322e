/** Which jobs folder the server would watch: resolved by the server's own settings code (src/config.ts). */
import { resolveServerOptions } from '../../src/config.js';

export interface JobsDirOptions {
  /** `--jobs-dir`: wins over MXX_JOBS_DIR, config.toml `jobs_dir` and <home>/jobs. */
  jobsDir?: string | undefined;
  /** `--config`: the settings file to read instead of MXX_CONFIG or <home>/config.toml. */
  configFile?: string | undefined;
}

export function resolveJobsDir({ jobsDir, configFile }: JobsDirOptions, env: NodeJS.ProcessEnv): string {
  return resolveServerOptions({ ...(jobsDir === undefined ? {} : { jobsDir }), ...(configFile === undefined ? {} : { configFile }) }, env).paths.jobs;
}
