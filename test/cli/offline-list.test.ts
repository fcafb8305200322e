/**
 * The offline view: `mxx list --offline` reads the jobs folder without a server (the folder the
 * server would watch), with each job's schedule, next fires and validity; plain `mxx list` shows
 * the same after saying the server cannot be reached, and still exits 3.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, runCli, type CliResult, type TempHome } from '../_cli.js';
import { freeLocalPort } from '../../bench/lib/free-port.js';

interface OfflineJob {
  job_id: string | null;
  file: string;
  valid: boolean;
  on_demand: boolean;
  next: string[];
  next_run_time: string | null;
  counted_from_now?: boolean;
  load_error?: { file: string; error: string; line?: number; column?: number };
}

const CRON = '[os]\ncmd = "echo nightly"\n\n[schedule]\ntrigger = "cron"\nhour = 3\nminute = 15\n';
const INTERVAL_YAML = 'os:\n  cmd: echo pulse\nschedule:\n  trigger: interval\n  minutes: 10\n';
const MANUAL_JSON = JSON.stringify({ os: { cmd: 'echo manual' } });
const BROKEN = '[os]\ncmd = "echo broken\n';

let home: TempHome;
let jobsDir: string;
/** No server listens here. */
let unreachable: string;

const mxx = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runCli(args, { env: { ...home.env, MXX_SERVER_URL: unreachable, ...env } });
const rowOf = (out: string, id: string): string | undefined => out.split('\n').find((line) => line.startsWith(`${id} `));
const jsonOf = (r: CliResult): { offline: boolean; jobs_dir: string; jobs: OfflineJob[]; count: number } => JSON.parse(r.stdout);

async function folder(dir: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

beforeAll(async () => {
  home = await createTempHome();
  unreachable = `http://127.0.0.1:${await freeLocalPort()}`;
  jobsDir = await folder(join(home.dir, '.mxx', 'jobs'), {
    'nightly.toml': CRON,
    'pulse.yaml': INTERVAL_YAML,
    'manual.json': MANUAL_JSON,
    'broken.toml': BROKEN,
    'notes.txt': 'not a job',
    'draft.template.toml': 'not even valid',
  });
});

afterAll(async () => {
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('mxx list --offline', () => {
  it('shows each job file with its schedule, next fires and validity, and exits 0', async () => {
    const r = await mxx(['list', '--offline']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`offline view of ${jobsDir}`);
    expect(rowOf(r.stdout, 'nightly')).toMatch(/^nightly\s+nightly\.toml\s+daily at 03:15\s+in .*\(\d{4}-\d\d-\d\d 03:15\), \d{4}-\d\d-\d\d 03:15, \d{4}-\d\d-\d\d 03:15\s+valid$/);
    expect(rowOf(r.stdout, 'pulse')).toMatch(/^pulse\s+pulse\.yaml\s+every 10 minutes\s+in 10m 00s \(.*\), (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d, (?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d ~\s+valid$/);
    // A later fire on another day carries its date (as in the landing check at 23:42: '2026-12-08 00:02:23').
    expect(rowOf(r.stdout, 'manual')).toMatch(/^manual\s+manual\.json\s+on demand\s+-\s+valid$/);
    expect(rowOf(r.stdout, 'broken')).toMatch(/^broken\s+broken\.toml\s+-\s+-\s+invalid$/);
    expect(r.stdout).toMatch(new RegExp(`^  ${escape(join(jobsDir, 'broken.toml'))}:2:\\d+: \\S`, 'm'));
    expect(r.stdout).toMatch(/^~ counted from now/m);
    // Not job files: skipped, as the server skips them.
    expect(r.stdout).not.toContain('notes');
    expect(r.stdout).not.toContain('draft');
  });

  it('gives the same facts as JSON, with offline: true', async () => {
    const r = await mxx(['list', '--offline', '--json']);
    expect(r.code).toBe(0);
    const body = jsonOf(r);
    expect(body).toMatchObject({ offline: true, jobs_dir: jobsDir, count: 4 });
    const byId = Object.fromEntries(body.jobs.map((j) => [j.job_id, j]));
    expect(Object.keys(byId).sort()).toEqual(['broken', 'manual', 'nightly', 'pulse']);
    const now = Date.now();
    const nightly = byId.nightly!;
    expect(nightly.valid).toBe(true);
    expect(nightly.next).toHaveLength(3);
    for (const iso of nightly.next) {
      expect(Date.parse(iso)).toBeGreaterThan(now);
      expect(new Date(iso).getHours()).toBe(3);
      expect(new Date(iso).getMinutes()).toBe(15);
    }
    expect(nightly.next_run_time).toBe(nightly.next[0]);
    const fires = byId.pulse!.next.map(Date.parse);
    expect(fires).toHaveLength(3);
    expect(fires[1]! - fires[0]!).toBe(600_000);
    expect(fires[2]! - fires[1]!).toBe(600_000);
    expect(byId.pulse!.counted_from_now).toBe(true);
    expect(byId.manual).toMatchObject({ valid: true, on_demand: true, next: [] });
    expect(byId.broken).toMatchObject({ valid: false, load_error: { file: join(jobsDir, 'broken.toml'), line: 2 } });
    expect(byId.broken!.load_error!.error).toMatch(/^broken\.toml:2:\d+: /);
  });

  it('asks no server: it works with the server URL unreachable and exits 0', async () => {
    const r = await mxx(['list', '--offline', '--server', unreachable]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('reads MXX_JOBS_DIR, and --jobs-dir over it', async () => {
    const fromEnv = await folder(join(home.dir, 'env-jobs'), { 'from_env.toml': CRON });
    const fromFlag = await folder(join(home.dir, 'flag-jobs'), { 'from_flag.yml': INTERVAL_YAML });
    const env = await mxx(['list', '--offline'], { MXX_JOBS_DIR: fromEnv });
    expect(env.stdout.split('\n')[0]).toBe(`offline view of ${fromEnv}`);
    expect(rowOf(env.stdout, 'from_env')).toMatch(/valid$/);
    expect(env.stdout).not.toContain('nightly');
    const flag = await mxx(['list', '--offline', '--jobs-dir', fromFlag], { MXX_JOBS_DIR: fromEnv });
    expect(flag.stdout.split('\n')[0]).toBe(`offline view of ${fromFlag}`);
    expect(rowOf(flag.stdout, 'from_flag')).toMatch(/every 10 minutes/);
    expect(flag.stdout).not.toContain('from_env');
  });

  it("reads config.toml's jobs_dir, as the server does", async () => {
    const configured = await folder(join(home.dir, 'configured-jobs'), { 'from_config.json': MANUAL_JSON });
    const config = await home.write('server.toml', `jobs_dir = ${JSON.stringify(configured)}\n`);
    const r = await mxx(['list', '--offline'], { MXX_CONFIG: config });
    expect(r.stdout.split('\n')[0]).toBe(`offline view of ${configured}`);
    expect(rowOf(r.stdout, 'from_config')).toMatch(/on demand/);
  });

  it('says when the folder does not exist yet', async () => {
    const missing = join(home.dir, 'nowhere');
    const r = await mxx(['list', '--offline', '--jobs-dir', missing]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`offline view of ${missing}`);
    expect(r.stdout).toContain('does not exist');
  });

  it('marks the second file claiming one id as invalid, as the server refuses it', async () => {
    const twins = await folder(join(home.dir, 'twins'), { 'twin.toml': CRON, 'twin.yaml': INTERVAL_YAML });
    const body = jsonOf(await mxx(['list', '--offline', '--json', '--jobs-dir', twins]));
    expect(body.jobs.map((j) => [j.file, j.valid])).toEqual([
      [join(twins, 'twin.toml'), true],
      [join(twins, 'twin.yaml'), false],
    ]);
    expect(body.jobs[1]!.load_error!.error).toContain('already defined by');
  });
});

describe('mxx list with no server reachable', () => {
  it('says the server cannot be reached, shows the offline view, and exits 3', async () => {
    const r = await mxx(['list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach the mxx server at ${unreachable}`);
    expect(r.stdout.split('\n')[0]).toBe(`offline view of ${jobsDir}`);
    expect(rowOf(r.stdout, 'nightly')).toMatch(/valid$/);
    expect(rowOf(r.stdout, 'broken')).toMatch(/invalid$/);
  });

  it('prints the offline JSON with --json, still exit 3', async () => {
    const r = await mxx(['list', '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the mxx server');
    expect(jsonOf(r)).toMatchObject({ offline: true, jobs_dir: jobsDir, count: 4 });
  });

  it('shows no local folder for a server on another machine', async () => {
    // .invalid is a reserved name: it never resolves, so the client fails at once.
    const r = await mxx(['list', '--server', 'http://mxx-test.invalid:5000']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the mxx server at http://mxx-test.invalid:5000');
    expect(r.stdout).toBe('');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
