/** config.toml (SPEC §9): real files in a temporary home, read by resolveServerOptions as the server does. */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServerOptions, type ServerOptions } from '../../src/config.js';
import { expectMxxError } from '../_server.js';

const TOKEN = '0123456789abcdef0123';
let dir: string;
let home: string;
let configPath: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-settings-'));
  home = join(dir, '.mxx');
  await mkdir(home);
  configPath = join(home, 'config.toml');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The environment of a user whose home is `dir`; no MXX_ variable from the machine running the tests. */
const envOf = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: dir, MXX_HOME: home, ...extra });

/** Writes a config file of its own (name) and returns its path. */
async function config(text: string, name = `c${n++}.toml`): Promise<string> {
  const path = join(home, name);
  await writeFile(path, text);
  return path;
}

const resolveWith = (path: string, options: ServerOptions = {}, env: NodeJS.ProcessEnv = {}) =>
  resolveServerOptions({ configFile: path, ...options }, envOf(env));

describe('config.toml: locating it', () => {
  it('without one at the default path there are no file settings, and that is fine', () => {
    const r = resolveServerOptions({}, envOf());
    expect(r.configFile).toBeNull();
    expect(r.configPath).toBe(configPath);
    expect(r.port).toBe(5000);
    expect(r.sources.port).toBe('default');
    expect(r.sources.config).toBe('default');
  });

  it('reads <home>/config.toml by default, where home follows MXX_HOME', async () => {
    await writeFile(configPath, 'port = 7001\n');
    try {
      const r = resolveServerOptions({}, envOf());
      expect(r.configFile).toBe(configPath);
      expect(r.port).toBe(7001);
      expect(r.sources.port).toBe(`file ${configPath}`);
    } finally {
      await rm(configPath);
    }
  });

  it('a file named by MXX_CONFIG or --config must exist', () => {
    const missing = join(dir, 'nope.toml');
    const fromEnv = expectMxxError(() => resolveServerOptions({}, envOf({ MXX_CONFIG: missing })), 'CONFIG_INVALID');
    expect(fromEnv.message).toBe(`config file ${missing} (named by MXX_CONFIG) does not exist`);
    const fromFlag = expectMxxError(() => resolveServerOptions({ configFile: missing }, envOf()), 'CONFIG_INVALID');
    expect(fromFlag.message).toMatch(/given with --config\) does not exist/);
    expect(fromFlag.exitCode).toBe(2);
  });

  it('--config wins over MXX_CONFIG', async () => {
    const a = await config('port = 7002\n');
    const b = await config('port = 7003\n');
    const r = resolveServerOptions({ configFile: b }, envOf({ MXX_CONFIG: a }));
    expect(r.port).toBe(7003);
    expect(r.sources.config).toBe('flag');
    expect(resolveServerOptions({}, envOf({ MXX_CONFIG: a })).sources.config).toBe('env MXX_CONFIG');
  });
});

describe('config.toml: strict validation', () => {
  it('names an unknown key with a did-you-mean', async () => {
    const path = await config('prot = 8080\n');
    const error = expectMxxError(() => resolveWith(path), 'CONFIG_INVALID');
    expect(error.message).toBe(`${path}: prot is not a known key (did you mean "port"?)`);
    expect(error.hint).toContain('mxx config');
  });

  it('reports every problem at once, each with what was expected', async () => {
    const path = await config(
      ['port = "80"', 'max_concurrency = 0', 'threads = 2.5', 'log_format = "jsn"', 'ui = "yes"', 'jobs_dir = 3', 'store = ""', 'whatever = 1'].join('\n'),
    );
    const lines = expectMxxError(() => resolveWith(path), 'CONFIG_INVALID').message.split('\n');
    expect(lines).toEqual([
      `${path}: whatever is not a known key (known keys: host, port, jobs_dir, token_file, max_concurrency, threads, log_format, ui, store, labels, notify)`,
      `${path}: port must be a whole number of 0 or more, got "80"`,
      `${path}: jobs_dir must be a folder path, got 3`,
      `${path}: max_concurrency must be a whole number of 1 or more, got 0`,
      `${path}: threads must be a whole number of 1 or more, got 2.5`,
      `${path}: log_format must be one of text, json, got "jsn" (did you mean "json"?)`,
      `${path}: ui must be true or false, got "yes"`,
      `${path}: store must be a store URL (e.g. postgres://host/db), got ""`,
    ]);
  });

  it('refuses a port above 65535', async () => {
    const path = await config('port = 70000\n');
    expect(expectMxxError(() => resolveWith(path), 'CONFIG_INVALID').message).toBe(`${path}: port must be at most 65535, got 70000`);
  });

  it('refuses the token itself, pointing to token_file', async () => {
    const path = await config(`token = "${TOKEN}"\n`);
    const error = expectMxxError(() => resolveWith(path), 'CONFIG_INVALID');
    expect(error.message).toMatch(/: token must not be in config\.toml: .*token_file/);
    expect(error.message).not.toContain(TOKEN);
    expect(error.hint).toMatch(/chmod 600 .*token_file = /);
  });

  it('reports a TOML syntax error with its line and column', async () => {
    const path = await config('port = 8080\nhost = "x\n');
    const error = expectMxxError(() => resolveWith(path), 'CONFIG_INVALID');
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: `));
  });

  it('checks [notify] with the job rules and keeps it as the defaults of every job', async () => {
    const bad = await config('[notify]\nwebhok = "https://hooks.example/x"\non = ["faild"]\n');
    const message = expectMxxError(() => resolveWith(bad), 'CONFIG_INVALID').message;
    expect(message).toContain('notify.webhok is not a known key (did you mean "webhook"?)');
    expect(message).toContain('notify.on[0] must be one of');
    expect(message).toContain('(did you mean "failed"?)');
    const good = await config('[notify]\non = ["failed", "missed"]\nwebhook = "https://hooks.example/x"\n');
    const r = resolveWith(good);
    expect(r.notifyDefaults).toEqual({ on: ['failed', 'missed'], webhook: 'https://hooks.example/x' });
    expect(r.sources.notify).toBe(`file ${good}`);
    const notTable = await config('notify = "yes"\n');
    expect(expectMxxError(() => resolveWith(notTable), 'CONFIG_INVALID').message).toMatch(/notify must be a table/);
  });

  it('resolves every key it knows', async () => {
    const path = await config(
      ['host = "localhost"', 'port = 0', 'jobs_dir = "jobs-here"', 'max_concurrency = 3', 'log_format = "json"', 'ui = false', 'store = "postgres://u:pw@db/mxx"'].join('\n'),
    );
    const r = resolveWith(path);
    expect({ host: r.host, port: r.port, jobs: r.paths.jobs, max: r.maxConcurrency, format: r.logFormat, ui: r.ui, store: r.store }).toEqual({
      host: 'localhost',
      port: 0,
      // Relative to the folder of config.toml, not to where the server was started.
      jobs: join(home, 'jobs-here'),
      max: 3,
      format: 'json',
      ui: false,
      store: 'postgres://u:pw@db/mxx',
    });
    for (const key of ['host', 'port', 'jobs_dir', 'max_concurrency', 'log_format', 'ui', 'store'] as const) expect(r.sources[key]).toBe(`file ${path}`);
  });

  it('expands ~ in jobs_dir', async () => {
    const path = await config('jobs_dir = "~/my-jobs"\n');
    expect(resolveWith(path).paths.jobs).toBe(join(dir, 'my-jobs'));
  });
});

describe('precedence: flag > environment > file > default', () => {
  it.each([
    ['port', { port: 7100 }, { MXX_SERVER_PORT: '7200' }, 'port = 7300', (r: any) => r.port, [7100, 7200, 7300, 5000], 'MXX_SERVER_PORT'],
    ['host', { host: '::1' }, { MXX_SERVER_HOST: 'localhost' }, 'host = "127.0.0.2"', (r: any) => r.host, ['::1', 'localhost', '127.0.0.2', '127.0.0.1'], 'MXX_SERVER_HOST'],
    ['max_concurrency', { maxConcurrency: 2 }, { MXX_MAX_CONCURRENCY: '3' }, 'max_concurrency = 4', (r: any) => r.maxConcurrency, [2, 3, 4, 64], 'MXX_MAX_CONCURRENCY'],
    // The default is the CPU count, but never more than 4 threads (and as many spawners).
    ['threads', { threads: 2 }, { MXX_THREADS: '3' }, 'threads = 5', (r: any) => r.threads, [2, 3, 5, Math.min(availableParallelism(), 4)], 'MXX_THREADS'],
    ['log_format', { logFormat: 'json' as const }, { MXX_LOG_FORMAT: 'text' }, 'log_format = "json"', (r: any) => r.logFormat, ['json', 'text', 'json', 'text'], 'MXX_LOG_FORMAT'],
    ['store', { store: 'postgres://flag' }, { MXX_STORE: 'postgres://env' }, 'store = "postgres://file"', (r: any) => r.store, ['postgres://flag', 'postgres://env', 'postgres://file', undefined], 'MXX_STORE'],
    ['jobs_dir', { jobsDir: '/flag/jobs' }, { MXX_JOBS_DIR: '/env/jobs' }, 'jobs_dir = "/file/jobs"', (r: any) => r.paths.jobs, ['/flag/jobs', '/env/jobs', '/file/jobs', '/HOME/jobs'], 'MXX_JOBS_DIR'],
  ])('%s', async (name, flag, env, line, read, [fromFlag, fromEnv, fromFile, fromDefault], envName) => {
    const path = await config(`${line}\n`);
    const layers = [
      resolveServerOptions({ configFile: path, ...flag }, envOf(env)),
      resolveServerOptions({ configFile: path }, envOf(env)),
      resolveServerOptions({ configFile: path }, envOf()),
      resolveServerOptions({}, envOf()),
    ];
    expect(layers.map(read)).toEqual([fromFlag, fromEnv, fromFile, fromDefault === '/HOME/jobs' ? join(home, 'jobs') : fromDefault]);
    const key = name as keyof (typeof layers)[0]['sources'];
    expect(layers.map((r) => r.sources[key])).toEqual(['flag', `env ${envName}`, `file ${path}`, 'default']);
  });

  it('an empty environment variable counts as unset', async () => {
    const path = await config('port = 7400\nlog_format = "json"\n');
    const r = resolveWith(path, {}, { MXX_SERVER_PORT: '', MXX_LOG_FORMAT: '' });
    expect([r.port, r.sources.port, r.logFormat]).toEqual([7400, `file ${path}`, 'json']);
  });

  it('names a bad variable, with a did-you-mean for the format', () => {
    expect(expectMxxError(() => resolveServerOptions({}, envOf({ MXX_LOG_FORMAT: 'jsno' })), 'INVALID_REQUEST').message).toBe(
      'MXX_LOG_FORMAT must be one of text, json, got "jsno" (did you mean "json"?)',
    );
    expect(expectMxxError(() => resolveServerOptions({}, envOf({ MXX_MAX_CONCURRENCY: '0' })), 'INVALID_REQUEST').message).toMatch(/^MXX_MAX_CONCURRENCY must be a whole number ≥ 1/);
    expect(expectMxxError(() => resolveServerOptions({}, envOf({ MXX_MAX_CONCURRENCY: 'lots' })), 'INVALID_REQUEST').message).toMatch(/^MXX_MAX_CONCURRENCY/);
    expect(expectMxxError(() => resolveServerOptions({}, envOf({ MXX_THREADS: '0' })), 'INVALID_REQUEST').message).toBe('MXX_THREADS must be a whole number ≥ 1, got 0');
    expect(expectMxxError(() => resolveServerOptions({}, envOf({ MXX_THREADS: 'two' })), 'INVALID_REQUEST').message).toBe('MXX_THREADS must be a whole number ≥ 1, got "two"');
    expect(expectMxxError(() => resolveServerOptions({ threads: 0 }, envOf()), 'INVALID_REQUEST').message).toBe('--threads must be a whole number ≥ 1, got 0');
  });

  it('threads in config.toml must be a whole number of 1 or more', async () => {
    for (const [line, got] of [['threads = 0', '0'], ['threads = "4"', '"4"'], ['threads = -2', '-2']] as const) {
      const path = await config(`${line}\n`);
      expect(expectMxxError(() => resolveWith(path), 'CONFIG_INVALID').message).toBe(`${path}: threads must be a whole number of 1 or more, got ${got}`);
    }
  });
});

describe('token_file', () => {
  async function tokenFile(content: string, mode: number): Promise<string> {
    const path = join(dir, `token-${n++}`);
    await writeFile(path, content);
    await chmod(path, mode);
    return path;
  }

  it('is refused when group or others may read it, naming the file and chmod 600', async () => {
    const token = await tokenFile(`${TOKEN}\n`, 0o644);
    const path = await config(`token_file = "${token}"\n`);
    const error = expectMxxError(() => resolveWith(path), 'CONFIG_INVALID');
    expect(error.message).toBe(`token_file ${token} is readable or writable by group or others (mode 0644); the token must be its owner's alone`);
    expect(error.hint).toBe(`chmod 600 ${token}`);
    expect(error.message).not.toContain(TOKEN);
  });

  it('with mode 0600 gives the token: its content without one trailing newline', async () => {
    const token = await tokenFile(`${TOKEN}\n`, 0o600);
    const path = await config(`token_file = "${token}"\nhost = "0.0.0.0"\n`);
    const r = resolveWith(path);
    expect(r.token).toBe(TOKEN);
    expect(r.tokenFile).toBe(token);
    expect(r.sources.token).toBe(`file ${path}`);
  });

  it('a relative token_file is next to config.toml; a missing or blank one is refused', async () => {
    await writeFile(join(home, 'rel-token'), TOKEN, { mode: 0o600 });
    expect(resolveWith(await config('token_file = "rel-token"\n')).token).toBe(TOKEN);
    const missing = await config('token_file = "no-such-token"\n');
    expect(expectMxxError(() => resolveWith(missing), 'CONFIG_INVALID').message).toBe(`token_file ${join(home, 'no-such-token')} does not exist`);
    const blank = await tokenFile('\n', 0o600);
    const blankConfig = await config(`token_file = "${blank}"\n`);
    expect(expectMxxError(() => resolveWith(blankConfig), 'CONFIG_INVALID').message).toMatch(/^token_file .* is blank/);
  });

  it('is not read when --token or MXX_API_TOKEN wins', async () => {
    const open = await tokenFile(`${TOKEN}\n`, 0o644);
    const path = await config(`token_file = "${open}"\n`);
    const byEnv = resolveWith(path, {}, { MXX_API_TOKEN: 'from-env-0123456789' });
    expect([byEnv.token, byEnv.tokenFile, byEnv.sources.token]).toEqual(['from-env-0123456789', undefined, 'env MXX_API_TOKEN']);
    expect(resolveWith(path, { token: 'from-flag' }).sources.token).toBe('flag');
  });
});

describe('server labels ([placement], SPEC §15)', () => {
  it('--label wins over MXX_LABELS, which wins over labels in config.toml; none by default', async () => {
    const path = await config('labels = ["from-file", "ssd"]\n');
    expect(resolveWith(path).labels).toEqual(['from-file', 'ssd']);
    expect(resolveWith(path).sources.labels).toBe(`file ${path}`);
    expect(resolveWith(path, {}, { MXX_LABELS: 'gpu, eu-west' }).labels).toEqual(['gpu', 'eu-west']);
    expect(resolveWith(path, {}, { MXX_LABELS: 'gpu' }).sources.labels).toBe('env MXX_LABELS');
    expect(resolveWith(path, { labels: ['cli'] }, { MXX_LABELS: 'gpu' }).labels).toEqual(['cli']);
    expect(resolveServerOptions({}, envOf()).labels).toEqual([]);
  });

  it('a bad label is refused naming where it came from', async () => {
    expect(expectMxxError(() => resolveServerOptions({ labels: ['ok', 'not ok'] }, envOf()), 'CONFIG_INVALID').message).toContain('--label: "not ok" is not a label');
    expect(expectMxxError(() => resolveServerOptions({}, envOf({ MXX_LABELS: 'a,b c' })), 'CONFIG_INVALID').message).toContain('MXX_LABELS: "b c"');
    const path = await config('labels = "gpu"\n');
    expect(expectMxxError(() => resolveWith(path), 'CONFIG_INVALID').message).toContain('labels must be an array of labels');
  });
});
