/**
 * Jumps of the wall clock (issue: +1 h left the next run "running" with no pid and every later fire
 * skipped; −1 h left next_run_time an hour ahead and nothing fired). libfaketime moves only the
 * real-time clock of the server's process tree; the monotonic clock runs on, as in a clock change.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLocalPort } from '../../bench/lib/free-port.js';
import { killServerProcesses, request, startServerProcess } from '../_server-process.js';
import { createHome, waitFor } from '../_server.js';

const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'].find(existsSync);
const skipReason = LIBFAKETIME ? null : 'libfaketime is not installed (Debian package faketime; .ci/run installs it)';

afterAll(killServerProcesses);

async function completedRuns(port: number): Promise<any[]> {
  const answer = await request(port, 'GET', '/jobs/tick/runs?limit=1000');
  return (answer?.body.runs ?? []).filter((r: any) => r.status === 'completed');
}

describe.skipIf(skipReason !== null)(`clock jumps${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('re-plans after the wall clock jumps forward and back; runs keep starting', async () => {
    const home = await createHome({
      'tick.toml': '[os]\ncmd = "true"\n[schedule]\ntrigger = "interval"\nseconds = 1\n[policy]\nhistory = 1000\nmisfire_grace_time = 5\n',
    });
    const offsetFile = join(home, 'faketime');
    await writeFile(offsetFile, '+0\n');
    const port = await freeLocalPort();
    const server = startServerProcess(home, port, {
      LD_PRELOAD: LIBFAKETIME!,
      FAKETIME_TIMESTAMP_FILE: offsetFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    });
    try {
      await waitFor(async () => (await completedRuns(port)).length >= 2, 20_000, 'runs before the jump');

      await writeFile(offsetFile, '+1h\n');
      const beforeForward = (await completedRuns(port)).length;
      await waitFor(async () => (await completedRuns(port)).length >= beforeForward + 3, 15_000, 'runs after jumping forward');
      const afterForward = await request(port, 'GET', '/jobs/tick/runs?limit=1000');
      // Nothing hangs: no run is left running without a process.
      expect(afterForward!.body.runs.filter((r: any) => r.status === 'running' && r.pid === null && r.started_at === null).length).toBeLessThanOrEqual(1);
      expect(afterForward!.body.runs.some((r: any) => r.status === 'skipped')).toBe(false);

      await writeFile(offsetFile, '+0\n');
      const beforeBack = (await completedRuns(port)).length;
      await waitFor(async () => (await completedRuns(port)).length >= beforeBack + 3, 15_000, 'runs after jumping back');
      const status = await request(port, 'GET', '/jobs/tick');
      // The next fire is planned from the new time, not an hour ahead.
      const nextRun = Date.parse(status!.body.next_run_time);
      expect(Math.abs(nextRun - Date.now())).toBeLessThan(60_000);
      expect(server.output()).toMatch(/wall clock jumped forward/);
      expect(server.output()).toMatch(/wall clock jumped back/);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
