import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Workers and the CLI run from dist/ (vitest does not transform worker-thread files), so build once,
 * and bundle the dashboard (src/dashboard/build.mjs), which every server serves at /. Type errors
 * are reported by `npm test`'s own tsc step; here we only need the emitted JavaScript.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const result = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  const dashboard = spawnSync(process.execPath, [`${root}src/dashboard/build.mjs`], { cwd: root, stdio: 'inherit' });
  if (dashboard.error) throw dashboard.error;
  if (dashboard.status !== 0) throw new Error(`the dashboard build failed (exit ${dashboard.status})`);
}
