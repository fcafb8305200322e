/**
 * `mxx completion bash|zsh|fish`: the bash script is sourced in a real bash and its function called as bash
 * calls it; the words come from the registered commands and the job ids from a real server.
 * zsh and fish are not installed on this machine kind (checked with `which`), so their scripts are
 * checked as text, and by the same `--words` answers the bash test exercises.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createTempHome, liveChildren, runCli, startServerProcess, type Binary, type ServerProcess, type TempHome } from '../_cli.js';

let home: TempHome;
let binDir: string;
let script: string;
let server: ServerProcess;

beforeAll(async () => {
  home = await createTempHome();
  // `mxx`, `mxx-client` and `mxx-server` on PATH, as after `npm install -g`.
  binDir = join(home.dir, 'bin');
  await mkdir(binDir);
  for (const bin of ['mxx', 'mxx-client', 'mxx-server'] as Binary[]) {
    await writeFile(join(binDir, bin), `#!/bin/sh\nexec "${process.execPath}" "${binPath(bin)}" "$@"\n`);
    await chmod(join(binDir, bin), 0o755);
  }
  const r = await runCli(['completion', 'bash']);
  expect(r.code, r.stderr).toBe(0);
  script = await home.write('mxx.bash', r.stdout);
  await mkdir(join(home.dir, '.mxx', 'jobs'), { recursive: true });
  await writeFile(join(home.dir, '.mxx', 'jobs', 'nightly_backup.toml'), '[os]\ncmd = "true"\n[schedule]\ntrigger = "cron"\nhour = 3\n');
  await writeFile(join(home.dir, '.mxx', 'jobs', 'report.toml'), '[os]\ncmd = "true"\n');
  server = await startServerProcess(home);
});

afterAll(async () => {
  await server?.stop();
  await home?.cleanup();
  expect(liveChildren()).toBe(0);
});

interface Completion {
  /** COMP_LINE as bash sets it (the cursor at its end); COMP_WORDS/COMP_CWORD are derived with bash's word breaks. */
  line?: string;
  words?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Sources the script in bash, calls the function `complete -p` names for the first word, prints COMPREPLY. */
function complete({ line, words, env, cwd }: Completion): string[] {
  const compWords = line !== undefined ? bashWords(line) : words!;
  const setup = [
    line !== undefined ? `COMP_LINE=${shellQuote(line)}; COMP_POINT=${line.length}` : '',
    `COMP_WORDS=(${compWords.map(shellQuote).join(' ')}); COMP_CWORD=${compWords.length - 1}`,
  ].join('\n');
  const program = [
    `source ${shellQuote(script)}`,
    setup,
    // The function bash would call: `complete -F <function> mxx`.
    `fn=$(complete -p "\${COMP_WORDS[0]}" | sed -E 's/.*-F ([^ ]+) .*/\\1/')`,
    `"$fn" "\${COMP_WORDS[0]}" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
    cwd: cwd ?? home.dir,
    env: { ...home.env, PATH: `${binDir}:${home.env.PATH ?? ''}`, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((w) => w !== '');
}

/** The words bash makes of a line: split at blanks, and at `:` and `=` (COMP_WORDBREAKS), which become words of their own. */
function bashWords(line: string): string[] {
  const words = line.split(' ').flatMap((token) => token.split(/([:=])/).filter((w) => w !== ''));
  return line.endsWith(' ') ? [...words, ''] : words;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

describe('mxx completion bash, in bash', () => {
  it('completes command names from the registered commands', () => {
    const all = complete({ words: ['mxx', ''] });
    for (const name of ['server', 'list', 'status', 'service', 'help', 'completion', 'logs']) expect(all).toContain(name);
    expect(all).not.toContain('ls'); // aliases work but are not offered
    expect(complete({ words: ['mxx', 'li'] })).toEqual(['list']);
    expect(complete({ words: ['mxx', 'reg'] }).sort()).toEqual(['register', 'registry']);
  });

  it('completes subcommands and the commands help knows', () => {
    expect(complete({ words: ['mxx', 'service', ''] })).toContain('install');
    expect(complete({ words: ['mxx', 'help', 'st'] }).sort()).toEqual(['status', 'stop', 'store']);
  });

  it("completes the current command's options, and enum values", () => {
    const options = complete({ words: ['mxx', 'list', '--'] });
    for (const name of ['--type', '--offline', '--jobs-dir', '--server', '--json', '--help']) expect(options).toContain(name);
    expect(complete({ words: ['mxx', 'list', '--t'] })).toEqual(['--type']);
    expect(complete({ words: ['mxx', 'list', '--type', ''] })).toEqual(['all', 'active', 'scheduled']);
    expect(complete({ words: ['mxx', 'server', '--log-format', 'j'] })).toEqual(['json']);
    expect(complete({ words: ['mxx-server', '--p'] })).toEqual(['--port']);
    expect(complete({ words: ['mxx-server', '--log-format', ''] })).toEqual(['text', 'json']);
    expect(complete({ words: ['mxx-client', ''] })).not.toContain('server');
  });

  it('completes job ids from the server at MXX_SERVER_URL', () => {
    const env = { MXX_SERVER_URL: server.url };
    expect(complete({ words: ['mxx', 'status', ''], env }).sort()).toEqual(['nightly_backup', 'report']);
    expect(complete({ words: ['mxx', 'trigger', 'ni'], env })).toEqual(['nightly_backup']);
    expect(complete({ words: ['mxx', 'runs', '--job', 'r'], env })).toEqual(['report']);
    // After the id the command takes nothing more.
    expect(complete({ words: ['mxx', 'status', 'report', ''], env })).toEqual([]);
  });

  it('completes job ids from the server named by --server on the line (a URL bash splits at the colon)', () => {
    expect(complete({ line: `mxx --server ${server.url} info rep` })).toEqual(['report']);
    expect(complete({ line: `mxx logs --server ${server.url} ` }).sort()).toEqual(['nightly_backup', 'report']);
  });

  it('no server, or one that never answers: no ids, within the short timeout', async () => {
    expect(complete({ words: ['mxx', 'status', ''], env: { MXX_SERVER_URL: 'http://127.0.0.1:9' } })).toEqual([]);
    // Accepts the connection and says nothing: only the timeout ends the wait (the client's default is 30 s).
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      expect(complete({ words: ['mxx', 'status', ''], env: { MXX_SERVER_URL: `http://127.0.0.1:${port}` } })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('completes file names where a command takes a file', async () => {
    const dir = join(home.dir, 'files');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'backup.toml'), '');
    await writeFile(join(dir, 'other.yaml'), '');
    expect(complete({ words: ['mxx', 'register', 'ba'], cwd: dir })).toEqual(['backup.toml']);
    expect(complete({ words: ['mxx', 'validate', ''], cwd: dir }).sort()).toEqual(['backup.toml', 'other.yaml']);
  });
});

describe('mxx completion: the hidden --words mode', () => {
  it('prints one candidate a line for the last word', async () => {
    const r = await runCli(['completion', '--words', 'mxx', 'ne']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('next\n');
  });
});

describe('mxx completion zsh, fish (neither shell installed here: the script text)', () => {
  it('zsh: a compdef function that asks mxx completion --words', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#compdef mxx mxx-client mxx-server$/m);
    expect(r.stdout).toContain('mxx completion --words');
    expect(r.stdout).toMatch(/compdef \S+ mxx mxx-client mxx-server/);
  });

  it('fish: complete -c for each binary, calling mxx completion --words', async () => {
    const r = await runCli(['completion', 'fish']);
    expect(r.code).toBe(0);
    for (const bin of ['mxx', 'mxx-client', 'mxx-server']) expect(r.stdout).toMatch(new RegExp(`^complete -c ${bin} -f -a `, 'm'));
    expect(r.stdout).toContain('mxx completion --words');
  });

  it("mxx-client's script completes mxx-client and calls it back", async () => {
    const r = await runCli(['completion', 'bash'], { bin: 'mxx-client' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mxx-client completion --words');
    expect(r.stdout).toMatch(/complete -F \S+ mxx-client$/m);
  });
});

describe('bad input', () => {
  it('an unknown shell: usage error naming bash, zsh, fish, exit 2', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/tcsh/);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });

  it('no shell: the same', async () => {
    const r = await runCli(['completion']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });
});
