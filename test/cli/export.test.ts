/**
 * `mxx export ID`: the job as TOML that, dropped into a jobs folder as `<id>.toml`, defines the
 * same job. Proved by round trips through a real server's jobs folder.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, runCli, type CliResult, type TempHome } from '../_cli.js';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

let home: TempHome;
let server: TestServer;

const mxx = (args: string[]): Promise<CliResult> => runCli([...args, '--server', server.url], { env: home.env, cwd: home.dir });

interface Entry {
  job_id: string;
  config: Record<string, unknown>;
  schedule: Record<string, unknown> | null;
  source: string;
  load_error?: string;
}

const entry = async (id: string): Promise<Entry> => (await server.call<Entry>(`/registry/${id}`)).body;

/** Waits until the job's registry entry comes from `<file>` and returns it. */
const entryFrom = (id: string, file: string): Promise<Entry> =>
  waitFor(async () => {
    const { status, body } = await server.call<Entry>(`/registry/${id}`);
    return status === 200 && body.source === `config:${file}` ? body : undefined;
  }, 10_000, `${id} loaded from ${file}`);

/** Every key the API accepts, written in an order users never use, so the export has to re-order them. */
const FULL_CONFIG = {
  notify: { headers: { Authorization: 'Bearer abc', 'X-Dotted.Name': 'v' }, on: ['failed', 'recovered'], webhook: 'http://127.0.0.1:9/hook' },
  policy: { group: 'backups', history: 20, misfire_grace_time: 30, retry_delay: 2.5, retries: 1, max_instances: 2, overlap: 'allow' },
  os: { kill: ['app'], env: { NAME: 'x', 'WITH SPACE': 'quote " and \\ backslash', PORT: 8080 }, cwd: '/tmp', cmd: 'echo "hello $NAME"' },
  lifetime: { grace: 3, lifetime: 60 },
};
const FULL_SCHEDULE = { minute: 30, hour: '*/2', timezone: 'Europe/Berlin', start_date: '2030-01-01T00:00:00+01:00', jitter: 1, trigger: 'cron' };

beforeAll(async () => {
  home = await createTempHome();
  server = await startTestServer({
    files: {
      'from_yaml.yaml': 'os:\n  cmd: [printf, "%s\\n", from yaml]\nschedule:\n  trigger: interval\n  minutes: 1.5\n  end_date: "2040-01-01T00:00:00Z"\n',
      'from_toml.toml': '# a comment the export does not keep\n[os]\ncmd = "true"\n\n[schedule]\nrun_date = 2040-05-01T10:00:00Z\n',
    },
  });
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: 'full', config: FULL_CONFIG, schedule: FULL_SCHEDULE } });
  expect(status, JSON.stringify(body)).toBe(201);
  await waitFor(async () => (await server.call('/registry/from_yaml')).status === 200 && (await server.call('/registry/from_toml')).status === 200);
});

afterAll(async () => {
  await server?.dispose();
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('mxx export', () => {
  it('prints an API job as TOML with a header naming the server, the job and the date', async () => {
    const r = await mxx(['export', 'full']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^# exported from mxx server ${server.url.replace(/[.]/g, '\\.')}, job full, \\d{4}-\\d\\d-\\d\\dT`));
    // Sections in the order of SPEC §3, keys in the order users write them.
    const headers = lines.filter((l) => l.startsWith('['));
    expect(headers).toEqual(['[lifetime]', '[os]', '[schedule]', '[policy]', '[notify]']);
    const keys = (section: string): string[] => {
      const start = lines.indexOf(`[${section}]`);
      const end = lines.findIndex((l, i) => i > start && (l === '' || l.startsWith('[')));
      return lines.slice(start + 1, end === -1 ? undefined : end).map((l) => l.split(' = ')[0]!);
    };
    expect(keys('lifetime')).toEqual(['lifetime', 'grace']);
    expect(keys('os')).toEqual(['cmd', 'cwd', 'env', 'kill']);
    expect(keys('schedule')).toEqual(['trigger', 'hour', 'minute', 'timezone', 'start_date', 'jitter']);
    expect(keys('policy')).toEqual(['overlap', 'max_instances', 'retries', 'retry_delay', 'misfire_grace_time', 'history', 'group']);
    expect(keys('notify')).toEqual(['on', 'webhook', 'headers']);
    // Small tables stay inline, as users write `env = { NAME = "x" }`.
    expect(r.stdout).toMatch(/^env = \{ NAME = "x", "WITH SPACE" = .*, PORT = 8080 \}$/m);
    const doc = parseToml(r.stdout) as Record<string, unknown>;
    const { schedule, ...config } = doc;
    expect(config).toEqual(FULL_CONFIG);
    expect(schedule).toEqual(FULL_SCHEDULE);
  });

  it('leaves out what the definition does not hold (no defaults added)', async () => {
    const r = await mxx(['export', 'from_toml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['[os]', 'cmd = "true"', '[schedule]', 'run_date = "2040-05-01T10:00:00.000Z"']);
  });

  it('round trip: the export of an API job, dropped into the jobs folder, registers the same definition', async () => {
    const before = await entry('full');
    const r = await mxx(['export', 'full']);
    expect(r.code, r.stderr).toBe(0);
    // The id belongs to the API job until it is unregistered; then the file defines it.
    expect((await server.call('/registry/full', { method: 'DELETE' })).status).toBe(200);
    await writeFile(join(server.jobsDir, 'full.toml'), r.stdout);
    const after = await entryFrom('full', 'full.toml');
    expect(after.load_error).toBeUndefined();
    expect(after.config).toEqual(before.config);
    expect(after.schedule).toEqual(before.schedule);
  });

  it('round trip: a YAML file job is converted, and its TOML defines the same job', async () => {
    const before = await entry('from_yaml');
    expect(before.source).toBe('config:from_yaml.yaml');
    const r = await mxx(['export', 'from_yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# its definition comes from the job file from_yaml\.yaml$/m);
    await rm(join(server.jobsDir, 'from_yaml.yaml'));
    await writeFile(join(server.jobsDir, 'from_yaml.toml'), r.stdout);
    const after = await entryFrom('from_yaml', 'from_yaml.toml');
    expect(after.load_error).toBeUndefined();
    expect(after.config).toEqual(before.config);
    expect(after.schedule).toEqual(before.schedule);
  });

  it('--output FILE writes the file instead of printing it', async () => {
    const out = join(home.dir, 'exported.toml');
    const r = await mxx(['export', 'from_toml', '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${out}`);
    const doc = parseToml(await readFile(out, 'utf8'));
    expect(doc).toEqual({ os: { cmd: 'true' }, schedule: { run_date: '2040-05-01T10:00:00.000Z' } });
    // The file is what `mxx validate` accepts.
    const v = await runCli(['validate', out], { env: home.env });
    expect(v.code, v.stderr).toBe(0);
  });

  it('--json prints the job as a JSON job document', async () => {
    const r = await mxx(['export', 'from_toml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ os: { cmd: 'true' }, schedule: { run_date: '2040-05-01T10:00:00.000Z' } });
  });

  it('an unknown id exits 1 and prints nothing on stdout', async () => {
    const r = await mxx(['export', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: job nope is not in the registry$/m);
  });
});
