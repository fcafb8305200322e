import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What the tests start from dist/; if one is gone while the build info stays, `tsc -b` would not notice. */
const ENTRY_POINTS = ['dist/src/index.js', 'dist/workers/run.js', 'dist/workers/run-entry.cjs', 'dist/cli/bin/mxx.js', 'dist/cli/bin/mxx-server.js', 'dist/cli/bin/mxx-client.js'];

/**
 * Workers and the CLI run from dist/ (vitest does not transform worker-thread files), so build once,
 * and bundle the dashboard (src/dashboard/build.mjs), which every server serves at /. The same
 * incremental path as `npm run build`: `tsc -b` with its build info in dist/ (nothing changed: a
 * fraction of a second), and build.mjs keeps a bundle whose inputs did not change. Type errors are
 * reported by `npm test`'s own tsc step; here we only need the emitted JavaScript.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (ENTRY_POINTS.some((file) => !existsSync(`${root}${file}`))) rmSync(`${root}dist/tsconfig.tsbuildinfo`, { force: true });
  const result = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b', `${root}tsconfig.json`], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  const dashboard = spawnSync(process.execPath, [`${root}src/dashboard/build.mjs`], { cwd: root, stdio: 'inherit' });
  if (dashboard.error) throw dashboard.error;
  if (dashboard.status !== 0) throw new Error(`the dashboard build failed (exit ${dashboard.status})`);
  // The compiled spawn helper, as `npm run build` makes it: pools fork from it by default when it is
  // there, so every test file sees the same default (the *.node.test.ts files force the Node one).
  const native = spawnSync(process.execPath, [`${root}native/build.mjs`], { cwd: root, stdio: 'inherit' });
  if (native.error) throw native.error;
}
