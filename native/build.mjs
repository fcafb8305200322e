/**
 * Compiles the spawn helper (native/mxx-spawn.c) into dist/native/mxx-spawn, run by `npm run build`.
 * Skips when the binary is newer than its source. Never fails the build: without a C compiler (or
 * when it refuses the source) it says so in one line and the Node spawner is used.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}native/mxx-spawn.c`;
const output = `${root}dist/native/mxx-spawn`;
const compiler = process.env.CC || 'cc';

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

if (mtime(output) > mtime(source)) {
  console.log(`native spawn helper: ${output} is up to date`);
} else {
  mkdirSync(`${root}dist/native`, { recursive: true });
  const partial = `${output}.${process.pid}.tmp`;
  const result = spawnSync(compiler, ['-O2', '-std=gnu99', '-Wall', '-Wextra', '-Werror', '-o', partial, source], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    rmSync(partial, { force: true });
    // A helper built from an older source may not speak this version's protocol: not used.
    rmSync(output, { force: true });
    const why = result.error ? `${compiler} cannot be run (${result.error.code ?? result.error.message})` : `${compiler} failed:\n${result.stderr.trim()}`;
    console.log(`native spawn helper: not built, the Node spawner will be used: ${why}`);
  } else {
    renameSync(partial, output);
    console.log(`native spawn helper: built ${output} with ${compiler}`);
  }
}
