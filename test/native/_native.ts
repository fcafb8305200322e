/**
 * Imported first by the files that re-run engine suites on the compiled spawn helper: builds it
 * (native/build.mjs, a no-op when up to date) and makes every pool made in this process, and
 * every server or pool process it starts, fork from it (MXX_SPAWNER=native).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultNativePath } from '../../workers/spawner-select.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
execFileSync(process.execPath, [`${root}native/build.mjs`], { cwd: root, stdio: 'ignore' });
process.env.MXX_SPAWNER = 'native';

/** The helper the suites run on. */
export const nativeHelper = defaultNativePath();
