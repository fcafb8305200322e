/**
 * `mxx edit ID`: $VISUAL / $EDITOR on a file job's own file, or on a TOML copy of an API job that
 * is validated and re-registered on save. The editor is a small sh script driven by files in its
 * folder (what to write on its n-th opening, what to run meanwhile, how to exit).
 */
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createTempHome, liveChildren, runCli, type CliResult, type TempHome } from '../_cli.js';
import { startTestServer, waitFor, type TestServer } from '../_server.js';

let home: TempHome;
let server: TestServer;
/** TMPDIR of the CLI: a path with a space, so the copy's path must be quoted for the shell. */
let tmp: string;

interface Entry {
  job_id: string;
  config: Record<string, unknown>;
  schedule: Record<string, unknown> | null;
  source: string;
  file?: string;
  registered_at: string;
  load_error?: string;
}

const entry = async (id: string): Promise<Entry> => {
  const { status, body } = await server.call<Entry>(`/registry/${id}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
};

async function register(id: string, config: Record<string, unknown>, schedule?: Record<string, unknown>): Promise<Entry> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: id, config, ...(schedule ? { schedule } : {}) } });
  expect(status, JSON.stringify(body)).toBe(201);
  return entry(id);
}

/**
 * The editor: on its n-th opening it records the file's path, mode and content (path-n, mode-n,
 * seen-n), runs hook-n (sh), replaces the file with version-n or appends append-n, and exits with
 * exit-n (default 0). The file is its last argument, as with `code --wait FILE`.
 */
const EDITOR_SCRIPT = `#!/bin/sh
for f; do :; done
dir=$(dirname "$0")
n=$(cat "$dir/count" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$dir/count"
printf '%s' "$f" > "$dir/path-$n"
"$NODE" -e 'process.stdout.write((require("fs").statSync(process.argv[1]).mode & 0o777).toString(8))' "$f" > "$dir/mode-$n"
cp "$f" "$dir/seen-$n"
if [ -f "$dir/hook-$n" ]; then . "$dir/hook-$n"; fi
if [ -f "$dir/version-$n" ]; then cat "$dir/version-$n" > "$f"; fi
if [ -f "$dir/append-$n" ]; then cat "$dir/append-$n" >> "$f"; fi
exit "$(cat "$dir/exit-$n" 2>/dev/null || echo 0)"
`;

interface Editor {
  dir: string;
  /** The value for $EDITOR / $VISUAL: the script with a flag before the file, like `code --wait`. */
  command: string;
  /** Files of the editor's folder: version-1, hook-2, exit-1, ... */
  script(files: Record<string, string>): Promise<void>;
  count(): Promise<number>;
  read(name: string): Promise<string>;
}

async function createEditor(): Promise<Editor> {
  const dir = await mkdtemp(join(home.dir, 'editor-'));
  await writeFile(join(dir, 'editor.sh'), EDITOR_SCRIPT);
  return {
    dir,
    command: `/bin/sh ${join(dir, 'editor.sh')} --wait`,
    async script(files) {
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    },
    count: async () => Number((await readFile(join(dir, 'count'), 'utf8').catch(() => '0')).trim()),
    read: (name) => readFile(join(dir, name), 'utf8'),
  };
}

/** A hook line that saves GET /registry/ID (as the editor sees it, mid-edit) into the editor's folder. */
const snapshotHook = (id: string, name: string): string =>
  `"$NODE" -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => require("fs").writeFileSync(process.argv[2], t))' "${server.url}/api/scheduler/registry/${id}" "$dir/${name}"\n`;

/** The CLI's environment: no editor unless given, TMPDIR with a space, NODE for the editor script. */
function cliEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...home.env, TMPDIR: tmp, NODE: process.execPath, ...vars };
  if (!('EDITOR' in vars)) delete env.EDITOR;
  if (!('VISUAL' in vars)) delete env.VISUAL;
  return env;
}

const mxx = (args: string[], vars: Record<string, string> = {}): Promise<CliResult> =>
  runCli([...args, '--server', server.url], { env: cliEnv(vars), cwd: home.dir });

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

beforeAll(async () => {
  home = await createTempHome();
  tmp = join(home.dir, 'tmp with space');
  await mkdir(tmp);
  server = await startTestServer({
    files: {
      'file_ok.toml': '[os]\ncmd = "echo before"\n',
      'file_broken.toml': '[os]\ncmd = "echo before"\n',
      'file_fixed.toml': '[os]\ncmd = "echo before"\n',
      'file_abort.yaml': 'os:\n  cmd: echo before\n',
    },
  });
  for (const id of ['file_ok', 'file_broken', 'file_fixed', 'file_abort']) {
    await waitFor(async () => (await server.call(`/registry/${id}`)).status === 200, 10_000, `${id} loaded`);
  }
});

afterAll(async () => {
  await server?.dispose();
  expect(liveChildren()).toBe(0);
  await home?.cleanup();
});

describe('mxx edit without an editor', () => {
  it('exits 2 saying which variable to set, and changes nothing', async () => {
    const before = await register('no_editor', { os: { cmd: 'echo a' } });
    const r = await mxx(['edit', 'no_editor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('set $EDITOR (or $VISUAL) to the editor to use, e.g. EDITOR=nano');
    expect(r.stdout).toBe('');
    expect(await entry('no_editor')).toEqual(before);
  });

  it('an empty $VISUAL counts as unset', async () => {
    const r = await mxx(['edit', 'no_editor'], { VISUAL: '' });
    expect(r.code).toBe(2);
  });
});

describe('mxx edit of an API job', () => {
  it('opens a 0600 TOML copy in $VISUAL (before $EDITOR) and re-registers the saved change', async () => {
    const before = await register('api_ok', { os: { cmd: 'echo before' }, lifetime: { lifetime: 30 } });
    const editor = await createEditor();
    await editor.script({ 'version-1': '[lifetime]\nlifetime = 45\n\n[os]\ncmd = "echo after"\n' });
    // $EDITOR would fail: $VISUAL wins.
    const r = await mxx(['edit', 'api_ok'], { VISUAL: editor.command, EDITOR: 'false' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^replaced api_ok: on demand$/m);
    expect(await editor.count()).toBe(1);
    // The copy: named for the job, in TMPDIR, readable by its owner only, the job as TOML.
    const path = await editor.read('path-1');
    expect(path.startsWith(tmp)).toBe(true);
    expect(path.endsWith('/api_ok.toml')).toBe(true);
    expect(await editor.read('mode-1')).toBe('600');
    expect(parseToml(await editor.read('seen-1'))).toEqual(before.config);
    expect(await exists(path)).toBe(false);
    const after = await entry('api_ok');
    expect(after.config).toEqual({ lifetime: { lifetime: 45 }, os: { cmd: 'echo after' } });
    expect(after.source).toBe('api');
  });

  it('a save that changes nothing sends nothing: "no change" (a comment alone is no change)', async () => {
    const before = await register('api_same', { os: { cmd: 'echo same' } }, { trigger: 'interval', minutes: 5 });
    const editor = await createEditor();
    await editor.script({ 'append-1': '\n# only a comment\n' });
    const r = await mxx(['edit', 'api_same'], { EDITOR: editor.command });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('no change');
    expect(await entry('api_same')).toEqual(before);
    expect(await exists(await editor.read('path-1'))).toBe(false);
  });

  it('invalid, not on a terminal, without --reopen: shows the errors, registers nothing, keeps the edit', async () => {
    const before = await register('api_bad', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = "echo after"\n\n[schedul]\nminute = 5\n' });
    const r = await mxx(['edit', 'api_bad'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/api_bad\.toml: schedul is not a known section \(did you mean "schedule"\?\)/);
    expect(r.stderr).toContain('not registered');
    const path = await editor.read('path-1');
    expect(r.stderr).toContain(path);
    expect(await readFile(path, 'utf8')).toContain('[schedul]');
    expect(await editor.count()).toBe(1);
    expect(await entry('api_bad')).toEqual(before);
  });

  it('invalid, then fixed (--reopen): the editor re-opens on the broken copy; only the fixed one is registered', async () => {
    const before = await register('api_loop', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({
      'version-1': '[os]\ncmd = ""\n',
      'hook-2': snapshotHook('api_loop', 'registry-during-2'),
      'version-2': '[os]\ncmd = "echo fixed"\n',
    });
    const r = await mxx(['edit', 'api_loop', '--reopen', '3'], { EDITOR: editor.command });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/api_loop\.toml: os\.cmd must not be empty/);
    expect(r.stderr).toMatch(/re-opening the editor \(1 of 3\)/);
    expect(await editor.count()).toBe(2);
    // Re-opened on what the user saved, not on a fresh copy.
    expect(await editor.read('seen-2')).toBe('[os]\ncmd = ""\n');
    // While the editor was open the second time, the broken version was not registered.
    const during = JSON.parse(await editor.read('registry-during-2')) as Entry;
    expect(during.config).toEqual(before.config);
    expect(during.registered_at).toBe(before.registered_at);
    expect((await entry('api_loop')).config).toEqual({ os: { cmd: 'echo fixed' } });
    expect(r.stdout).toMatch(/^replaced api_loop: on demand$/m);
  });

  it('--reopen N gives up after N re-openings that are still invalid', async () => {
    const before = await register('api_stubborn', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = ""\n' });
    const r = await mxx(['edit', 'api_stubborn', '--reopen', '1'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(await editor.count()).toBe(2);
    expect(r.stderr).toContain('not registered');
    expect(await entry('api_stubborn')).toEqual(before);
  });

  it('a definition the server refuses (a run_date gone by) is shown and re-opened like a local error', async () => {
    const before = await register('api_date', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({
      'version-1': '[os]\ncmd = "echo x"\n\n[schedule]\nrun_date = "2001-01-01T00:00:00Z"\n',
      'hook-2': snapshotHook('api_date', 'registry-during-2'),
      'version-2': '[os]\ncmd = "echo x"\n\n[schedule]\nrun_date = "2040-01-01T00:00:00Z"\n',
    });
    const r = await mxx(['edit', 'api_date', '--reopen', '1'], { EDITOR: editor.command });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/schedule\.run_date/);
    expect(JSON.parse(await editor.read('registry-during-2')).config).toEqual(before.config);
    expect((await entry('api_date')).schedule).toEqual({ run_date: '2040-01-01T00:00:00Z' });
    expect(r.stdout).toMatch(/^replaced api_date: next run /m);
  });

  it('an editor exiting non-zero aborts: nothing registered, the copy removed', async () => {
    const before = await register('api_abort', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = "echo after"\n', 'exit-1': '3' });
    const r = await mxx(['edit', 'api_abort'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the editor exited with code 3; nothing registered/);
    expect(await entry('api_abort')).toEqual(before);
    expect(await exists(await editor.read('path-1'))).toBe(false);
  });

  it('refuses to overwrite a change someone else registered while the editor was open', async () => {
    await register('api_race', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    const post = JSON.stringify({ job_id: 'api_race', config: { os: { cmd: 'echo theirs' } }, replace_existing: true });
    await editor.script({
      'hook-1': `"$NODE" -e 'fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/json"}, body: process.argv[2]})' "${server.url}/api/scheduler/jobs" '${post}'\n`,
      'version-1': '[os]\ncmd = "echo mine"\n',
    });
    const r = await mxx(['edit', 'api_race'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/changed on the server while you edited/);
    expect(r.stderr).toContain(await editor.read('path-1'));
    expect((await entry('api_race')).config).toEqual({ os: { cmd: 'echo theirs' } });
  });

  it('an unknown id exits 1 before any editor opens', async () => {
    const editor = await createEditor();
    const r = await mxx(['edit', 'nope'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/job nope is not in the registry/);
    expect(await editor.count()).toBe(0);
  });
});

describe('mxx edit of a file job', () => {
  it('opens the job file itself; a valid save is left to the server to reload', async () => {
    const before = await entry('file_ok');
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = "echo after"\n' });
    const r = await mxx(['edit', 'file_ok'], { EDITOR: editor.command });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^saved; the server reloads it$/m);
    expect(await editor.read('path-1')).toBe(before.file);
    await waitFor(async () => ((await entry('file_ok')).config as { os: { cmd: string } }).os.cmd === 'echo after', 10_000, 'the reload');
  });

  it('an invalid save, not on a terminal: the errors are shown and it exits 1; the server keeps the last good definition', async () => {
    const before = await entry('file_broken');
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = "echo after"\nkil = "x"\n' });
    const r = await mxx(['edit', 'file_broken'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/file_broken\.toml: os\.kil is not a known key \(did you mean "kill"\?\)/);
    expect(r.stderr).toMatch(/the server keeps the last good definition/);
    expect(await editor.count()).toBe(1);
    const after = await waitFor(async () => {
      const e = await entry('file_broken');
      return e.load_error ? e : undefined;
    }, 10_000, 'the load error');
    expect(after.config).toEqual(before.config);
  });

  it('--reopen: broken, then fixed, is saved', async () => {
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = ""\n', 'version-2': '[os]\ncmd = "echo fixed"\n' });
    const r = await mxx(['edit', 'file_fixed', '--reopen', '2'], { EDITOR: editor.command });
    expect(r.code, r.stderr).toBe(0);
    expect(await editor.count()).toBe(2);
    expect(r.stderr).toMatch(/file_fixed\.toml: os\.cmd must not be empty/);
    expect(r.stdout).toMatch(/^saved; the server reloads it$/m);
    await waitFor(async () => ((await entry('file_fixed')).config as { os: { cmd: string } }).os.cmd === 'echo fixed', 10_000, 'the reload');
  });

  it('an editor exiting non-zero: exit 1, says so (a YAML file job)', async () => {
    const editor = await createEditor();
    await editor.script({ 'exit-1': '2' });
    const r = await mxx(['edit', 'file_abort'], { EDITOR: editor.command });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the editor exited with code 2/);
    expect(await editor.read('path-1')).toMatch(/file_abort\.yaml$/);
  });
});

describe('mxx edit on a terminal', () => {
  /** Runs the CLI under `script`, which gives it a pseudo-terminal; `answers` are typed into it. */
  function onTerminal(args: string[], vars: Record<string, string>, answers: string): Promise<CliResult> {
    const command = [process.execPath, binPath('mxx'), ...args, '--server', server.url].map((a) => `'${a}'`).join(' ');
    return new Promise((resolve, reject) => {
      // util-linux script: -q quiet, -e the child's exit code, -c the command; the typescript goes nowhere.
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: cliEnv(vars), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (/re-open the editor\? \[Y\/n\]/.test(stdout) && answers) {
          child.stdin.write(answers.slice(0, answers.indexOf('\n') + 1));
          answers = answers.slice(answers.indexOf('\n') + 1);
          stdout = stdout.replace(/re-open the editor\? \[Y\/n\]/, 'ANSWERED');
        }
      });
      child.on('error', (error) => reject(new Error(`this test needs util-linux \`script\` for a pseudo-terminal: ${error.message}`)));
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
  }

  it('asks before re-opening: "y" re-opens, and the fixed save is registered', async () => {
    await register('tty_yes', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = ""\n', 'version-2': '[os]\ncmd = "echo fixed"\n' });
    const r = await onTerminal(['edit', 'tty_yes'], { EDITOR: editor.command }, 'y\n');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('ANSWERED');
    expect(await editor.count()).toBe(2);
    expect((await entry('tty_yes')).config).toEqual({ os: { cmd: 'echo fixed' } });
  });

  it('"n" gives up: nothing registered, exit 1', async () => {
    const before = await register('tty_no', { os: { cmd: 'echo before' } });
    const editor = await createEditor();
    await editor.script({ 'version-1': '[os]\ncmd = ""\n' });
    const r = await onTerminal(['edit', 'tty_no'], { EDITOR: editor.command }, 'n\n');
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain('ANSWERED');
    expect(await editor.count()).toBe(1);
    expect(await entry('tty_no')).toEqual(before);
  });
});
