/**
 * A notify cmd still running when its server is SIGKILLed (no close() ran) is ended by the next
 * server on the same home, like the processes of runs that were in progress. Real processes,
 * checked with the OS.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPidAlive, waitPidGone } from '../_proc.js';
import { waitFor } from '../_server.js';
import { freeLocalPort } from '../../bench/lib/free-port.js';
import { request, startServerProcess, type ServerProcess } from '../_server-process.js';

const started: ServerProcess[] = [];
let home: string;
afterAll(async () => {
  for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) await server.stop();
  await rm(home, { recursive: true, force: true });
});

describe('a notify cmd and a crashed server', () => {
  it('is ended by the next server on the same home', async () => {
    home = await mkdtemp(join(tmpdir(), 'mxx-notify-crash-'));
    const pidFile = join(home, 'notice.pid');
    await mkdir(join(home, 'jobs'), { recursive: true });
    // On `started`, a notice that would outlive everything (its lifetime is an hour).
    await writeFile(
      join(home, 'jobs', 'watched.toml'),
      `[os]\ncmd = "sleep 30"\n[notify]\non = ["started"]\nlifetime = 3600\ncmd = "echo $$ > '${pidFile}'; exec sleep 1000"\n`,
    );
    const port = await freeLocalPort();
    const first = startServerProcess(home, port);
    started.push(first);
    await waitFor(async () => (await request(port, 'GET', '/health'))?.status === 200, 15_000, 'the first server').catch((e) => {
      throw new Error(`${e}: ${first.output()}`);
    });
    expect((await request(port, 'POST', '/jobs/watched/trigger'))?.status).toBeLessThan(300);
    const pid = Number(await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() || null, 10_000, 'the notice to start'));
    expect(isPidAlive(pid)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    const second = startServerProcess(home, port);
    started.push(second);
    await waitFor(async () => (await request(port, 'GET', '/health'))?.status === 200, 15_000, 'the second server');
    expect(await waitPidGone(pid, 10_000)).toBe(true);
    await second.stop();
  });
});
