/** `mxx config` and config.toml through the built CLI: precedence, errors and exit codes, token_file against a real server. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, runCli, startServerProcess, type TempHome } from '../_cli.js';

const TOKEN = 'cfg-test-token-0123456789';
let home: TempHome;
let mxxHome: string;
let configPath: string;

beforeAll(async () => {
  home = await createTempHome();
  mxxHome = join(home.dir, '.mxx');
  await mkdir(mxxHome, { recursive: true });
  configPath = join(mxxHome, 'config.toml');
});
afterAll(async () => {
  await home.cleanup();
  expect(liveChildren()).toBe(0);
});

const writeConfig = (text: string, path = configPath): Promise<void> => writeFile(path, text);

describe('mxx config', () => {
  it('shows each setting with its source: flag > environment > file > default', async () => {
    await writeConfig(['port = 7300', 'host = "localhost"', 'jobs_dir = "~/file-jobs"', 'log_format = "json"', 'max_concurrency = 9'].join('\n'));
    const env = { ...home.env, MXX_SERVER_PORT: '7200', MXX_SERVER_HOST: '::1', MXX_LOG_FORMAT: 'text' };
    const r = await runCli(['config', '--json', '--port', '7100'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.port).toEqual({ value: 7100, source: 'flag' });
    expect(shown.host).toEqual({ value: '::1', source: 'env MXX_SERVER_HOST' });
    expect(shown.log_format).toEqual({ value: 'text', source: 'env MXX_LOG_FORMAT' });
    expect(shown.jobs_dir).toEqual({ value: join(home.dir, 'file-jobs'), source: `file ${configPath}` });
    expect(shown.max_concurrency).toEqual({ value: 9, source: `file ${configPath}` });
    expect(shown.ui).toEqual({ value: true, source: 'default' });
    expect(shown.token).toEqual({ value: { set: false }, source: 'default' });
    expect(shown.config).toEqual({ value: configPath, source: 'default' });

    // Without the flag the variable decides; without the variable the file.
    const table = await runCli(['config'], { env: { ...home.env, MXX_SERVER_PORT: '7200' } });
    expect(table.code).toBe(0);
    const row = (name: string): string => table.stdout.split('\n').find((line) => line.startsWith(`${name} `)) ?? '';
    expect(row('port')).toMatch(/^port +7200 +env MXX_SERVER_PORT$/);
    expect(row('host')).toMatch(new RegExp(`^host +localhost +file ${configPath}$`));
    expect(row('token')).toMatch(/^token +\(none\) +default$/);
    expect(row('store')).toMatch(/^store +\(none\) +default$/);
  });

  it('threads: --threads > MXX_THREADS > config.toml threads > the CPU count capped at 4; a bad one is refused', async () => {
    await writeConfig('threads = 3\n');
    const shown = async (args: string[], env: NodeJS.ProcessEnv): Promise<unknown> => {
      const r = await runCli(['config', '--json', ...args], { env: { ...home.env, ...env } });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).threads;
    };
    expect(await shown(['--threads', '1'], { MXX_THREADS: '2' })).toEqual({ value: 1, source: 'flag' });
    expect(await shown([], { MXX_THREADS: '2' })).toEqual({ value: 2, source: 'env MXX_THREADS' });
    expect(await shown([], {})).toEqual({ value: 3, source: `file ${configPath}` });
    await writeConfig('');
    expect(await shown([], {})).toEqual({ value: Math.min(availableParallelism(), 4), source: 'default' });
    const table = await runCli(['config', '--threads', '2'], { env: home.env });
    expect(table.stdout.split('\n').find((line) => line.startsWith('threads '))).toMatch(/^threads +2 +flag$/);

    const flag = await runCli(['config', '--threads', '0'], { env: home.env });
    expect(flag.code).toBe(2);
    expect(flag.stderr + flag.stdout).toContain('--threads');
    const env = await runCli(['config'], { env: { ...home.env, MXX_THREADS: '0' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('MXX_THREADS must be a whole number ≥ 1, got 0');
    await writeConfig('threads = 0\n');
    const file = await runCli(['server', '--port', '0'], { env: home.env });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`${configPath}: threads must be a whole number of 1 or more, got 0`);
    await writeConfig('');
  });

  it('a typo in config.toml: the did-you-mean error and exit 2, for mxx config and mxx server alike', async () => {
    await writeConfig('prot = 8080\n');
    for (const args of [['config'], ['server', '--port', '0']]) {
      const r = await runCli(args, { env: home.env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${configPath}: prot is not a known key (did you mean "port"?)`);
      expect(r.stdout).toBe('');
    }
  });

  it('a config file named with --config or MXX_CONFIG must exist', async () => {
    const missing = join(home.dir, 'missing.toml');
    const r = await runCli(['config', '--config', missing], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config file ${missing} (given with --config) does not exist`);
    const byEnv = await runCli(['config'], { env: { ...home.env, MXX_CONFIG: missing } });
    expect(byEnv.code).toBe(2);
    expect(byEnv.stderr).toContain('(named by MXX_CONFIG)');
  });
});

describe('token_file', () => {
  it('mode 0644 is refused, naming the file and chmod 600', async () => {
    const tokenPath = await home.write('open-token', `${TOKEN}\n`);
    await chmod(tokenPath, 0o644);
    await writeConfig(`token_file = "${tokenPath}"\n`);
    for (const args of [['config'], ['server', '--port', '0']]) {
      const r = await runCli(args, { env: home.env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`token_file ${tokenPath} is readable or writable by group or others (mode 0644)`);
      expect(r.stderr).toContain(`chmod 600 ${tokenPath}`);
      expect(r.stderr + r.stdout).not.toContain(TOKEN);
    }
  });

  it('mode 0600 is accepted, never printed, and the server requires that token', async () => {
    const tokenPath = await home.write('token', `${TOKEN}\n`);
    await chmod(tokenPath, 0o600);
    await writeConfig(`token_file = "${tokenPath}"\n`);
    const shown = await runCli(['config'], { env: home.env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^token +\\(set, from token_file ${tokenPath}\\) +file ${configPath}$`, 'm'));
    expect(shown.stdout).not.toContain(TOKEN);
    const asJson = await runCli(['config', '--json'], { env: home.env });
    expect(JSON.parse(asJson.stdout).token.value).toEqual({ set: true, token_file: tokenPath });
    expect(asJson.stdout).not.toContain(TOKEN);

    const server = await startServerProcess(home);
    try {
      expect((await fetch(`${server.url}/api/scheduler/jobs`)).status).toBe(401);
      const ok = await fetch(`${server.url}/api/scheduler/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      // The client reads MXX_API_TOKEN; the same secret works from the CLI.
      const list = await runCli(['list', '--server', server.url], { env: { ...home.env, MXX_API_TOKEN: TOKEN } });
      expect(list.code, list.stderr).toBe(0);
      expect(server.output()).toContain('token=required');
      expect(server.output()).not.toContain(TOKEN);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
