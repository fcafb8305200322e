/**
 * `mxx server --log-format json` as users run it: every line on stdout and stderr is one JSON
 * object with time, level and msg — run ends, requests under --debug, and the shutdown on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createTempHome, type TempHome } from '../_cli.js';
import { waitFor } from '../_server.js';

interface Line {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

interface Server {
  url: string;
  child: ChildProcess;
  /** Every line so far, each parsed (a line that is not JSON fails the parse, and the test). */
  lines(): Line[];
  raw(): string;
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();
let home: TempHome;

beforeAll(async () => {
  home = await createTempHome();
  await mkdir(join(home.dir, '.mxx', 'jobs'), { recursive: true });
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await home.cleanup();
});

async function startJsonServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [binPath('mxx'), 'server', '--port', '0', ...args], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  // Only whole lines: the last one may still be arriving.
  const lines = (): Line[] =>
    text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Line);
  let gone = false;
  void exited.then(() => (gone = true));
  const listening = await waitFor(
    () => {
      if (gone) throw new Error(`the server exited before listening:\n${text}`);
      return lines().find((line) => line.msg.startsWith('listening on '));
    },
    20_000,
    'the listening line',
  );
  return {
    url: listening.msg.slice('listening on '.length),
    child,
    lines,
    raw: () => text,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('--log-format json', () => {
  it('writes only JSON lines: run ends, requests, the shutdown naming the run it stops', async () => {
    const jobs = join(home.dir, '.mxx', 'jobs');
    await writeFile(join(jobs, 'flaky.toml'), '[os]\ncmd = "exit 3"\n[schedule]\ntrigger = "interval"\nseconds = 1\n');
    await writeFile(join(jobs, 'sleeper.toml'), '[lifetime]\nlifetime = 60\ngrace = 1\n[os]\ncmd = "sleep 30"\n');
    // The flag wins over config.toml's log_format.
    await writeFile(join(home.dir, '.mxx', 'config.toml'), 'log_format = "text"\n');
    const server = await startJsonServer(['--log-format', 'json', '--debug']);
    let code: number | null;
    let runId: string;
    try {
      const failed = await waitFor(() => server.lines().find((l) => l.msg === 'run ended' && l.job === 'flaky'), 10_000, 'a run ended line');
      expect(failed).toMatchObject({ level: 'warn', job: 'flaky', run: expect.any(String), status: 'failed', exit_code: 3, duration_ms: expect.any(Number) });
      expect(Number.isNaN(Date.parse(failed.time))).toBe(false);

      const trigger = await fetch(`${server.url}/api/scheduler/jobs/sleeper/trigger`, { method: 'POST' });
      runId = ((await trigger.json()) as { run_id: string }).run_id;
      await waitFor(() => server.lines().some((l) => l.msg === 'run started' && l.run === runId), 5000, 'the sleeper to start');
      const request = server.lines().find((l) => l.msg === 'request' && l.path === '/api/scheduler/jobs/sleeper/trigger');
      expect(request).toMatchObject({ level: 'debug', method: 'POST', status: 200, ms: expect.any(Number) });
    } finally {
      code = await server.stop();
    }
    expect(code).toBe(0);
    const lines = server.lines();
    const stopping = lines.findIndex((l) => l.msg === 'server stopping');
    expect(lines[stopping]).toMatchObject({ level: 'info', running: 1, runs: `sleeper/${runId}` });
    const interrupted = lines.findIndex((l) => l.msg === 'run ended' && l.run === runId);
    expect(lines[interrupted]).toMatchObject({ level: 'warn', job: 'sleeper', status: 'interrupted' });
    expect(interrupted).toBeGreaterThan(stopping);
    expect(lines.at(-1)?.msg).toBe('server stopped');
    for (const line of lines) expect(Object.keys(line).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  it('log_format = "json" in config.toml does the same', async () => {
    await writeFile(join(home.dir, '.mxx', 'config.toml'), 'log_format = "json"\n');
    const server = await startJsonServer([]);
    expect(await server.stop()).toBe(0);
    expect(server.lines().map((l) => l.msg)).toContain('server stopped');
  });
});
