/** The jobs folder itself removed, renamed away or replaced while the server runs: real folder, real watcher. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWatcher, type JobsWatcher } from '../../src/watcher.js';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

let server: TestServer | undefined;
let watcher: JobsWatcher | undefined;

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  await server?.dispose();
  server = undefined;
});

const job = (cmd: string): string => `[os]\ncmd = "${cmd}"\n`;

async function start(): Promise<TestServer> {
  server = await startTestServer({ files: { 'alpha.toml': job('echo alpha'), 'beta.toml': job('echo beta'), 'broken.toml': '[os]\ncmd = "x\n' } });
  return server;
}

const ids = async (s: TestServer): Promise<string[]> =>
  (await s.call('/registry')).body.jobs.map((e: any) => e.job_id).sort();

describe('jobs folder removed and created again', () => {
  it('unregisters its jobs, says so once, and picks the folder up again when it is back', async () => {
    const s = await start();
    expect(await ids(s)).toEqual(['alpha', 'beta']);

    await rm(s.jobsDir, { recursive: true });
    await waitFor(async () => (await ids(s)).length === 0, 10_000, 'jobs unregistered');
    await waitFor(() => /WARN .*jobs folder .*jobs was removed/.test(s.logs()), 10_000, 'the WARN line');
    // A file that was refused is gone too: no stale load error.
    await waitFor(async () => (await s.call('/health')).body.load_errors === 0, 10_000, 'no load errors');

    await mkdir(s.jobsDir);
    await writeFile(join(s.jobsDir, 'alpha.toml'), job('echo alpha again'));
    await writeFile(join(s.jobsDir, 'gamma.toml'), job('echo gamma'));
    await waitFor(async () => (await ids(s)).join() === 'alpha,gamma', 10_000, 'alpha and gamma registered');
    expect((await s.call('/registry/alpha')).body.config.os.cmd).toBe('echo alpha again');
    await waitFor(() => /INFO .*jobs folder .*jobs is back and watched again: 2 job file\(s\) loaded, 0 failed/.test(s.logs()), 10_000, 'the INFO line');

    // Watched again: an edit after the return is seen.
    await writeFile(join(s.jobsDir, 'gamma.toml'), job('echo gamma edited'));
    await waitFor(async () => (await s.call('/registry/gamma')).body.config?.os.cmd === 'echo gamma edited', 10_000, 'gamma edited');
    expect(s.logs().match(/jobs folder .* was removed/g)).toHaveLength(1);
  });

  it('a folder renamed away and a new one made in its place is watched', async () => {
    const s = await start();
    await rename(s.jobsDir, `${s.jobsDir}.old`);
    await waitFor(async () => (await ids(s)).length === 0, 10_000, 'jobs unregistered');
    await mkdir(s.jobsDir);
    await writeFile(join(s.jobsDir, 'delta.toml'), job('echo delta'));
    await waitFor(async () => (await ids(s)).join() === 'delta', 10_000, 'delta registered');
    // The old folder is not watched any more.
    await writeFile(join(`${s.jobsDir}.old`, 'ghost.toml'), job('echo ghost'));
    await writeFile(join(s.jobsDir, 'marker.toml'), job('echo marker'));
    await waitFor(async () => (await ids(s)).includes('marker'), 10_000, 'marker registered');
    expect(await ids(s)).toEqual(['delta', 'marker']);
  });

  it('a folder replaced at once (removed and made again in one go) is watched', async () => {
    const s = await start();
    await rm(s.jobsDir, { recursive: true });
    await mkdir(s.jobsDir);
    await writeFile(join(s.jobsDir, 'epsilon.toml'), job('echo epsilon'));
    await waitFor(async () => (await ids(s)).join() === 'epsilon', 10_000, 'only epsilon registered');
    await writeFile(join(s.jobsDir, 'zeta.toml'), job('echo zeta'));
    await waitFor(async () => (await ids(s)).join() === 'epsilon,zeta', 10_000, 'zeta registered');
  });

  it("reports the folder's state for /health while it is missing", async () => {
    server = await startTestServer({ watch: false, files: { 'alpha.toml': job('echo alpha') } });
    const s = server;
    watcher = await startWatcher(s.supervisor, s.jobsDir, { checkMs: 200, missingCheckMs: 100 });
    expect(watcher.state()).toEqual({ dir: s.jobsDir, watching: true });

    await rm(s.jobsDir, { recursive: true });
    const missing = await waitFor(() => (watcher!.state().watching ? null : watcher!.state()), 10_000, 'state: not watching');
    expect(missing.problem).toBe(`jobs folder ${s.jobsDir} was removed`);
    expect(Number.isNaN(Date.parse(missing.since!))).toBe(false);

    await mkdir(s.jobsDir);
    await writeFile(join(s.jobsDir, 'alpha.toml'), job('echo alpha'));
    await waitFor(() => watcher!.state().watching, 10_000, 'state: watching');
    await waitFor(async () => (await ids(s)).join() === 'alpha', 10_000, 'alpha registered again');
    expect(watcher.state()).toEqual({ dir: s.jobsDir, watching: true });
  });

  it('a folder missing when the watcher starts is watched once it is created', async () => {
    server = await startTestServer({ watch: false });
    const s = server;
    await rm(s.jobsDir, { recursive: true });
    watcher = await startWatcher(s.supervisor, s.jobsDir, { missingCheckMs: 100 });
    expect(watcher.state()).toMatchObject({ watching: false, problem: `jobs folder ${s.jobsDir} does not exist` });
    await mkdir(s.jobsDir);
    await writeFile(join(s.jobsDir, 'late.toml'), job('echo late'));
    await waitFor(async () => (await ids(s)).join() === 'late', 10_000, 'late registered');
  });
});
