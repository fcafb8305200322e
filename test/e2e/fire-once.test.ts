/**
 * One fire, one run, even across a crash of the server (found by the soak): a run's record is
 * written before its process starts, so a restart finds it (and marks it interrupted) instead of
 * running the same fire again. The arming and catch-up rules are in test/unit/fire-bookkeeping.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitForRun, type TestServer } from '../_server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ watch: false });
});
afterAll(async () => {
  await server?.dispose();
});

describe('one fire, one run', () => {
  it('writes a run’s record before its process starts', async () => {
    // The process looks for its own run id in the job's history file as its first act.
    const history = join(server.home, 'server', 'runs', 'selfcheck.jsonl');
    const cmd = `if grep -q "$MXX_RUN_ID" '${history}' 2>/dev/null; then echo recorded; else echo missing; fi`;
    expect((await server.call('/jobs', { method: 'POST', json: { job_id: 'selfcheck', config: { os: { cmd }, policy: { overlap: 'allow', max_instances: 50, history: 200 } } } })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await server.call('/jobs/selfcheck/trigger', { method: 'POST' })).body.run_id);
    const outputs: string[] = [];
    for (const id of ids) outputs.push((await waitForRun(server, id)).output_tail.trim());
    expect(outputs).toEqual(Array(30).fill('recorded'));
  });
});
