/** Hot reload of the jobs folder with real files, a real watcher and a real server. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRefusedClaims } from '../../src/job-files.js';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer({ files: { 'keep.toml': '[os]\ncmd = "echo keep"\n' } });
});
afterEach(async () => {
  await server.dispose();
});

const job = (cmd: string, schedule = ''): string => `[os]\ncmd = "${cmd}"\n${schedule}`;
const entry = async (id: string): Promise<any> => {
  const { status, body } = await server.call(`/registry/${id}`);
  return status === 200 ? body : null;
};
const file = (name: string): string => join(server.jobsDir, name);

describe('hot reload', () => {
  it('loads the folder at start', async () => {
    expect((await entry('keep'))?.source).toBe('config:keep.toml');
    expect(server.logs()).toMatch(/1 job file\(s\) loaded, 0 failed/);
  });

  it('registers a new file, replaces on edit (history kept), unregisters on delete', async () => {
    await writeFile(file('hello.toml'), job('echo one', '[schedule]\ntrigger = "interval"\nhours = 1\n'));
    const first = await waitFor(() => entry('hello'), 5000, 'hello registered');
    expect(first.config.os.cmd).toBe('echo one');
    expect(first.file).toBe(file('hello.toml'));
    const { body: trig } = await server.call('/jobs/hello/trigger', { method: 'POST' });
    await waitForRun(server, trig.run_id);

    await writeFile(file('hello.toml'), job('echo two', '[schedule]\ntrigger = "interval"\nminutes = 10\n'));
    await waitFor(async () => (await entry('hello'))?.config.os.cmd === 'echo two', 5000, 'hello edited');
    const status = (await server.call('/jobs/hello')).body;
    expect(status.schedule).toEqual({ trigger: 'interval', minutes: 10 });
    const next = Date.parse(status.next_run_time) - Date.now();
    expect(next).toBeGreaterThan(9 * 60_000);
    expect(next).toBeLessThanOrEqual(10 * 60_000);
    expect((await server.call('/jobs/hello/runs')).body.runs.map((r: any) => r.run_id)).toEqual([trig.run_id]);

    await rm(file('hello.toml'));
    await waitFor(async () => (await entry('hello')) === null, 5000, 'hello unregistered');
    expect((await server.call('/jobs/hello')).status).toBe(404);
  });

  it('an edit does not disturb a running run; a delete lets it finish', async () => {
    await writeFile(file('busy.toml'), job('sleep 0.8; echo old'));
    await waitFor(() => entry('busy'), 5000, 'busy registered');
    const { body: trig } = await server.call('/jobs/busy/trigger', { method: 'POST' });
    await writeFile(file('busy.toml'), job('echo new'));
    await waitFor(async () => (await entry('busy'))?.config.os.cmd === 'echo new', 5000, 'busy edited');
    await rm(file('busy.toml'));
    await waitFor(async () => (await entry('busy')) === null, 5000, 'busy unregistered');
    const run = await waitForRun(server, trig.run_id);
    expect(run.status).toBe('completed');
    expect(await (await server.api(`/runs/${trig.run_id}/log`)).text()).toBe('old\n');
  });

  it('follows a rename, and an editor saving by renaming a temp file over the job', async () => {
    await writeFile(file('before.toml'), job('echo a'));
    await waitFor(() => entry('before'), 5000, 'before registered');
    await rename(file('before.toml'), file('after.toml'));
    await waitFor(async () => (await entry('before')) === null && (await entry('after')), 5000, 'renamed');

    await writeFile(file('.after.toml.swp'), job('echo saved'));
    await rename(file('.after.toml.swp'), file('after.toml'));
    await waitFor(async () => (await entry('after'))?.config.os.cmd === 'echo saved', 5000, 'rename-save');
    expect((await server.call('/registry')).body.jobs.map((e: any) => e.job_id).sort()).toEqual(['after', 'keep']);
  });

  it('ignores templates, other extensions, dotfiles and sub-folders', async () => {
    await mkdir(file('sub'));
    await writeFile(file('sub/nested.toml'), job('echo nested'));
    await writeFile(file('x.template.toml'), job('echo template'));
    await writeFile(file('notes.txt'), 'not a job');
    await writeFile(file('.hidden.toml'), job('echo hidden'));
    await writeFile(file('marker.toml'), job('echo marker'));
    await waitFor(() => entry('marker'), 5000, 'marker registered');
    await new Promise((r) => setTimeout(r, 300));
    const ids = (await server.call('/registry')).body.jobs.map((e: any) => e.job_id).sort();
    expect(ids).toEqual(['keep', 'marker']);
    expect((await server.call('/health')).body.load_errors).toBe(0);
  });

  it('a bad edit keeps the last good definition, records the error once, and a fix clears it', async () => {
    await writeFile(file('fragile.toml'), job('echo good', '[schedule]\ntrigger = "interval"\nminutes = 5\n'));
    await waitFor(() => entry('fragile'), 5000, 'fragile registered');
    await writeFile(file('fragile.toml'), '[os]\ncmd = "echo broken\n');
    const broken = await waitFor(async () => {
      const e = await entry('fragile');
      return e?.load_error ? e : null;
    }, 5000, 'load_error');
    expect(broken.load_error).toMatch(/fragile\.toml:2:\d+/);
    expect(broken.config.os.cmd).toBe('echo good');
    const health = (await server.call('/health')).body;
    expect(health.load_errors).toBe(1);
    expect(health.load_error_files[0].file).toBe(file('fragile.toml'));
    expect((await server.call('/jobs/fragile')).body.scheduled).toBe(true);
    // Saving the same mistake again is not logged again.
    await writeFile(file('fragile.toml'), '[os]\ncmd = "echo broken\n\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(server.logs().match(/fragile\.toml failed to load/g)).toHaveLength(1);
    const { body: trig } = await server.call('/jobs/fragile/trigger', { method: 'POST' });
    await waitForRun(server, trig.run_id);
    expect(await (await server.api(`/runs/${trig.run_id}/log`)).text()).toBe('good\n');

    await writeFile(file('fragile.toml'), job('echo fixed'));
    await waitFor(async () => (await entry('fragile'))?.config.os.cmd === 'echo fixed', 5000, 'fixed');
    expect((await entry('fragile')).load_error).toBeUndefined();
    expect((await server.call('/health')).body.load_errors).toBe(0);
    expect(server.logs()).toMatch(/fragile\.toml loads again/);
  });

  it('a file that never loaded shows in /health with its error', async () => {
    await writeFile(file('typo.toml'), job('true', '[schedule]\ntrigger = "cron"\nminuet = 30\n'));
    const health = await waitFor(async () => {
      const body = (await server.call('/health')).body;
      return body.load_errors === 1 ? body : null;
    }, 5000, 'load error in health');
    expect(health.load_error_files[0].error).toMatch(/minuet.*minute/s);
    expect(await entry('typo')).toBeNull();
    expect(server.logs().match(/typo\.toml failed to load/g)).toHaveLength(1);
  });

  it('refuses a second file giving the same id, naming both', async () => {
    await writeFile(file('twin.toml'), job('echo toml'));
    await waitFor(() => entry('twin'), 5000, 'twin registered');
    await writeFile(file('twin.yaml'), 'os:\n  cmd: echo yaml\n');
    const health = await waitFor(async () => {
      const body = (await server.call('/health')).body;
      return body.load_errors === 1 ? body : null;
    }, 5000, 'duplicate refused');
    expect(health.load_error_files[0].file).toBe(file('twin.yaml'));
    expect(health.load_error_files[0].error).toMatch(/twin\.yaml.*already defined by .*twin\.toml/);
    expect((await entry('twin')).config.os.cmd).toBe('echo toml');
  });

  it('a file job cannot be replaced or unregistered over the API', async () => {
    const replace = await server.call('/jobs', {
      method: 'POST',
      json: { job_id: 'keep', config: { os: { cmd: 'echo api' } }, replace_existing: true },
    });
    expect(replace.status).toBe(409);
    expect(replace.body.code).toBe('JOB_FROM_FILE');
    const unregister = await server.call('/registry/keep', { method: 'DELETE' });
    expect(unregister.status).toBe(409);
    expect(unregister.body.code).toBe('JOB_FROM_FILE');
    expect(unregister.body.hint).toContain(file('keep.toml'));
  });

  it('50 rapid edits of one file end in the final definition', async () => {
    for (let i = 1; i <= 50; i++) await writeFile(file('rapid.toml'), job(`echo v${i}`));
    await waitFor(async () => (await entry('rapid'))?.config.os.cmd === 'echo v50', 10_000, 'final edit');
    await new Promise((r) => setTimeout(r, 300));
    expect((await entry('rapid')).config.os.cmd).toBe('echo v50');
  });

  it('200 files added at once are all registered', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => writeFile(file(`bulk-${i}.toml`), job(`echo ${i}`))));
    await waitFor(async () => (await server.call('/registry')).body.count === 201, 20_000, '200 files registered');
    expect((await server.call('/health')).body.load_errors).toBe(0);
  });
});

describe('two files for one id', () => {
  it('deleting the file that won loads the refused one at once', async () => {
    await writeFile(file('agent.toml'), job('echo toml'));
    await waitFor(() => entry('agent'), 5000, 'agent registered');
    await writeFile(file('agent.json'), JSON.stringify({ os: { cmd: 'echo json' } }));
    await waitFor(async () => (await server.call('/health')).body.load_errors === 1, 5000, 'agent.json refused');
    expect((await entry('agent')).file).toBe(file('agent.toml'));

    await rm(file('agent.toml'));
    const taken = await waitFor(async () => {
      const e = await entry('agent');
      return e?.file === file('agent.json') ? e : null;
    }, 5000, 'agent.json registered');
    expect(taken.config.os.cmd).toBe('echo json');
    expect(taken.load_error).toBeUndefined();
    expect((await server.call('/health')).body.load_errors).toBe(0);
    expect((await server.call('/jobs/agent')).status).toBe(200);
  });

  it('renaming the winner away loads the refused one; of several, the first by name wins and the rest name it', async () => {
    await writeFile(file('multi.toml'), job('echo toml'));
    await waitFor(() => entry('multi'), 5000, 'multi registered');
    await writeFile(file('multi.yaml'), 'os:\n  cmd: echo yaml\n');
    await writeFile(file('multi.json'), JSON.stringify({ os: { cmd: 'echo json' } }));
    await waitFor(async () => (await server.call('/health')).body.load_errors === 2, 5000, 'two refused');

    await rename(file('multi.toml'), file('other.toml'));
    const taken = await waitFor(async () => {
      const e = await entry('multi');
      return e && e.file !== file('multi.toml') ? e : null;
    }, 5000, 'multi taken over');
    expect(taken.file).toBe(file('multi.json'));
    await waitFor(() => entry('other'), 5000, 'other registered');
    const health = await waitFor(async () => {
      const body = (await server.call('/health')).body;
      return body.load_errors === 1 && body.load_error_files[0].error.includes('multi.json') ? body : null;
    }, 5000, 'multi.yaml refused by multi.json');
    expect(health.load_error_files[0].file).toBe(file('multi.yaml'));
    expect(health.load_error_files[0].error).toMatch(/multi\.yaml: job id multi is already defined by .*multi\.json; rename one of the files/);
  });

  it('a bad edit of the winner keeps it (last good definition): the duplicate stays refused', async () => {
    await writeFile(file('pair.toml'), job('echo toml'));
    await waitFor(() => entry('pair'), 5000, 'pair registered');
    await writeFile(file('pair.yaml'), 'os:\n  cmd: echo yaml\n');
    await waitFor(async () => (await server.call('/health')).body.load_errors === 1, 5000, 'pair.yaml refused');
    await writeFile(file('pair.toml'), '[os]\ncmd = "broken\n');
    await waitFor(async () => (await entry('pair'))?.load_error, 5000, 'pair.toml load error');
    const e = await entry('pair');
    expect(e.file).toBe(file('pair.toml'));
    expect(e.config.os.cmd).toBe('echo toml');
    const files = (await server.call('/health')).body.load_error_files.map((f: any) => f.file).sort();
    expect(files).toEqual([file('pair.toml'), file('pair.yaml')]);
  });

  it('a file refused because the id is registered over the API loads once that job is unregistered', async () => {
    const reg = await server.call('/jobs', { method: 'POST', json: { job_id: 'shared', config: { os: { cmd: 'echo api' } } } });
    expect(reg.status).toBe(201);
    await writeFile(file('shared.toml'), job('echo file'));
    await waitFor(async () => (await server.call('/health')).body.load_errors === 1, 5000, 'shared.toml refused');
    expect((await server.call('/health')).body.load_error_files[0].error).toMatch(/already registered over the API; unregister it first \(mxx unregister shared\)/);
    expect((await server.call('/registry/shared', { method: 'DELETE' })).status).toBe(200);
    // What the DELETE /registry/{id} route is asked to call after an unregister (src/api/registry.ts).
    await loadRefusedClaims(server.supervisor, 'shared');
    const e = await entry('shared');
    expect(e.file).toBe(file('shared.toml'));
    expect(e.config.os.cmd).toBe('echo file');
  });
});
