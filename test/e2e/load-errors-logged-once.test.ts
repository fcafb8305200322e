/** A job file that fails to load at start is logged once (job-files.ts is the one place that logs it). */
import { afterEach, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../_server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

it('logs each job file that fails to load at start once', async () => {
  server = await startTestServer({
    files: { 'broken.toml': '[os]\ncmd = "broken\n', 'twin.toml': '[os]\ncmd = "echo a"\n', 'twin.yaml': 'os:\n  cmd: echo b\n' },
  });
  const errors = server.logs().split('\n').filter((line) => / ERROR /.test(line));
  expect(errors.filter((line) => line.includes('broken.toml'))).toHaveLength(1);
  expect(errors.filter((line) => line.includes('twin.yaml'))).toHaveLength(1);
  expect(server.logs()).toMatch(/1 job file\(s\) loaded, 2 failed/);
});
