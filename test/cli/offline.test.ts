/** The CLI without a server: usage errors, an unreachable server, `validate`, help and colours. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, createTempHome, liveChildren, runCli, type TempHome } from '../_cli.js';

const GOOD_TOML = `[lifetime]
lifetime = 60

[os]
cmd = "echo hello"

[schedule]
trigger = "cron"
hour = 10
minute = 30
`;

const TYPO_TOML = `[lifetime]
lifetime = 60

[os]
cmd = "echo hello"

[schedule]
trigger = "cron"
hour = 10
minuet = 30
`;

let home: TempHome;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await createTempHome();
  // Nothing listens on port 1: any command that needs the server must fail with exit 3.
  env = { ...home.env, MXX_SERVER_URL: 'http://127.0.0.1:1' };
});

afterAll(async () => {
  expect(liveChildren()).toBe(0);
  await home.cleanup();
});

describe('unreachable server', () => {
  it('exits 3 naming the URL and how to start the server', async () => {
    const r = await runCli(['health', '--server', 'http://127.0.0.1:1'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the mxx server at http://127.0.0.1:1');
    expect(r.stderr).toContain('mxx server');
    expect(r.stdout).toBe('');
  });

  it('takes the URL from MXX_SERVER_URL', async () => {
    const r = await runCli(['list'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('http://127.0.0.1:1');
  });

  it('accepts --server before the command, as the original client did', async () => {
    for (const args of [
      ['--server', 'http://127.0.0.1:1', 'health'],
      ['--server=http://127.0.0.1:1', 'health'],
      ['--json', '--server', 'http://127.0.0.1:1', 'status', 'x'],
    ]) {
      const r = await runCli(args, { bin: 'mxx-client', env: home.env });
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr).toContain('cannot reach the mxx server at http://127.0.0.1:1');
    }
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['list', '--type', 'bogus'], '--type'],
    [['registry', '--type', 'active'], '--type'],
    [['status'], 'positional'],
    [['runs', 'job', '--limit', 'abc'], '--limit'],
    [['no-such-command'], 'no-such-command'],
    [['health', '--server', 'ftp://example.com'], 'http'],
    [['server', '--port', 'abc'], '--port'],
  ])('mxx %j', async (args, mention) => {
    const r = await runCli(args, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(mention);
  });
});

describe('validate (no server)', () => {
  it('names the misspelt key and exits 1', async () => {
    const file = await home.write('typo.toml', TYPO_TOML);
    const r = await runCli(['validate', file], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('minuet');
    expect(r.stderr).toContain(file);
  });

  it('reports a syntax error with line and column', async () => {
    const file = await home.write('broken.toml', '[os]\ncmd = "echo\n');
    const r = await runCli(['validate', file], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
  });

  it('prints the schedule and the next 5 fires of a good file', async () => {
    const file = await home.write('daily.toml', GOOD_TOML);
    const r = await runCli(['validate', file], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('daily at 10:30');
    const fires = r.stdout.split('\n').filter((l) => /^\s+in .*\(\d{4}-\d\d-\d\d 10:30:00\)$/.test(l));
    expect(fires).toHaveLength(5);
  });

  it('prints {valid, errors, next} with --json', async () => {
    const good = JSON.parse((await runCli(['validate', '--json', await home.write('g.toml', GOOD_TOML)], { env })).stdout);
    expect(good.valid).toBe(true);
    expect(good.next).toHaveLength(5);
    const bad = await runCli(['validate', '--json', await home.write('b.toml', TYPO_TOML)], { env });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).errors.some((e: { path: string }) => e.path.includes('minuet'))).toBe(true);
  });

  it('says an on-demand job is valid', async () => {
    const file = await home.write('manual.yaml', 'lifetime:\n  lifetime: 30\nos:\n  cmd: echo manual\n');
    const r = await runCli(['validate', file], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('on demand');
  });
});

describe('help and output', () => {
  it('lists every command with a description', async () => {
    const r = await runCli(['--help'], { env });
    expect(r.code).toBe(0);
    for (const cmd of ['server', 'health', 'list', 'status', 'trigger', 'register', 'cancel', 'remove', 'registry', 'info', 'unregister', 'runs', 'logs', 'resume', 'stop', 'validate', 'next']) {
      expect(r.stdout).toMatch(new RegExp(`mxx ${cmd}\\b`));
    }
  });

  it('shows the server options for mxx-server --help', async () => {
    const r = await runCli(['--help'], { bin: 'mxx-server', env });
    expect(r.code).toBe(0);
    for (const opt of ['--host', '--port', '--jobs-dir', '--debug']) expect(r.stdout).toContain(opt);
  });

  it('has no colour when stdout is not a TTY, even with a colour TERM', async () => {
    for (const args of [['--help'], ['list', '--help'], ['health'], ['list', '--type', 'nope'], ['validate', await home.write('c.toml', GOOD_TOML)]]) {
      const r = await runCli(args, { env: { ...env, TERM: 'xterm-256color' } });
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(ANSI);
    }
  });

  it('has no colour with NO_COLOR even when colour is forced', async () => {
    const r = await runCli(['validate', await home.write('d.toml', GOOD_TOML)], { env: { ...env, NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(r.stdout).not.toMatch(ANSI);
    const forced = await runCli(['validate', await home.write('e.toml', GOOD_TOML)], { env: { ...env, FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
  });
});
