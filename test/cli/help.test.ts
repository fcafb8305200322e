/** `mxx --help`, `mxx help [command]`, `<command> --help` and the aliases' help: real placeholders, usage lines with options, examples that work. */
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createTempHome, liveChildren, runCli, type Binary, type TempHome } from '../_cli.js';

/** The command paths `mxx help` lists (`  mxx list [...]` lines under a category). */
function listedPaths(overview: string, bin: Binary): string[] {
  const paths: string[] = [];
  for (const line of overview.split('\n')) {
    const m = new RegExp(`^  ${bin}((?: [a-z][a-z-]*)*)(?: |$)`).exec(line);
    if (m) paths.push((m[1] as string).trim());
  }
  return paths;
}

describe('mxx --help, mxx help, bare mxx', () => {
  let overview: string;
  beforeAll(async () => {
    const r = await runCli(['--help']);
    expect(r.code, r.stderr).toBe(0);
    overview = r.stdout;
  });

  it('print the same command list', async () => {
    for (const args of [['help'], [], ['-h']]) {
      const r = await runCli(args);
      expect(r.code, `mxx ${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(overview);
    }
  });

  it('groups commands by category, with usage lines that show options with placeholders', () => {
    expect(overview).not.toContain('#0');
    for (const category of ['Server', 'Jobs', 'Runs', 'Registry', 'General']) expect(overview).toMatch(new RegExp(`^${category}$`, 'm'));
    const flat = overview.replace(/\n +(?=[[<A-Z])/g, ' ');
    expect(flat).toContain('mxx list [--type all|active|scheduled] [--offline] [--jobs-dir DIR] [--config FILE]');
    expect(flat).toContain('mxx registry [--type all|scheduled|on_demand]');
    expect(flat).toMatch(/mxx server \[--config FILE\] \[--host HOST\] \[--port PORT\] \[--jobs-dir DIR\]/);
    expect(flat).toMatch(/mxx register \[--job-id ID\] \[--replace\] FILE/);
    expect(flat).toMatch(/mxx next \[-n,--count N\] ID/);
    expect(flat).toMatch(/mxx logs \[--run RUN\] \[--follow,-f\] ID/);
    expect(flat).toContain('mxx help [COMMAND...]');
    // The options every client command takes are said once, not on every line.
    expect(overview).toMatch(/--server URL/);
    expect(overview).toMatch(/mxx help COMMAND/);
  });

  it('lists every command, subcommands by their full path', () => {
    const paths = listedPaths(overview, 'mxx');
    for (const path of ['server', 'config', 'service install', 'list', 'status', 'logs', 'help', 'completion', 'schema']) expect(paths).toContain(path);
    expect(paths).not.toContain('');
  });
});

describe('detailed help', () => {
  it('every command: `mxx help CMD` is `mxx CMD --help`: usage with placeholders, options, no #0', async () => {
    const overview = (await runCli(['help'])).stdout;
    const paths = listedPaths(overview, 'mxx');
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const words = path.split(' ');
      const viaHelp = await runCli(['help', ...words]);
      const viaFlag = await runCli([...words, '--help']);
      expect(viaHelp.code, `mxx help ${path}: ${viaHelp.stderr}`).toBe(0);
      expect(viaFlag.code, `mxx ${path} --help: ${viaFlag.stderr}`).toBe(0);
      expect(viaFlag.stdout, path).toBe(viaHelp.stdout);
      expect(viaHelp.stdout, path).not.toContain('#0');
      expect(viaHelp.stdout, path).toContain(`$ mxx ${path}`);
      expect(viaHelp.stdout, path).toMatch(/^Options$/m);
    }
  });

  it('mxx help list: description, usage, options with placeholders and descriptions, details, examples with the binary name', async () => {
    const r = await runCli(['help', 'list']);
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text).toContain('List jobs with their schedule, next run and last status');
    expect(text).toMatch(/\$ mxx list \[--type all\|active\|scheduled\]/);
    expect(text).toMatch(/^ {2}--type all\|active\|scheduled +all, active or scheduled$/m);
    expect(text).toMatch(/^ {2}--server URL +Server URL/m);
    expect(text).toMatch(/^ {2}--jobs-dir DIR +The folder/m);
    expect(text).toMatch(/^Details$/m);
    expect(text).toMatch(/^ {2}\$ mxx list --type active$/m);
    expect(text).toMatch(/\$ mxx ls\b/); // the alias
    expect(text).not.toContain('$0');
  });

  it('mxx help ls is the help of list; mxx help service install; mxx help service lists its subcommands', async () => {
    expect((await runCli(['help', 'ls'])).stdout).toBe((await runCli(['help', 'list'])).stdout);
    const install = await runCli(['help', 'service', 'install']);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('$ mxx service install');
    const service = await runCli(['help', 'service']);
    expect(service.code, service.stderr).toBe(0);
    expect(service.stdout).toMatch(/^ {2}mxx service install/m);
  });

  it('placeholders come from one table: the name, a per-command override, else the name in upper case', async () => {
    const help = async (...words: string[]): Promise<string> => (await runCli(['help', ...words])).stdout;
    const server = await help('server');
    for (const shown of ['--port PORT', '--host HOST', '--jobs-dir DIR', '--config FILE', '--token TOKEN', '--log-format text|json', '--max-concurrency N', '--allow-origin ORIGIN']) {
      expect(server).toContain(shown);
    }
    expect(await help('registry')).toContain('--type all|scheduled|on_demand');
    expect(await help('next')).toContain('-n,--count N');
    expect(await help('logs')).toContain('--run RUN');
    expect(await help('register')).toContain('--job-id ID');
    expect(await help('runs')).toMatch(/--since TIME/);
    expect(await help('events')).toMatch(/--since ID/);
  });
});

describe('mxx-server --help', () => {
  let home: TempHome;
  let binDir: string;
  beforeAll(async () => {
    home = await createTempHome();
    binDir = join(home.dir, 'bin');
    await mkdir(binDir);
    const wrapper = join(binDir, 'mxx-server');
    await writeFile(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${binPath('mxx-server')}" "$@"\n`);
    await chmod(wrapper, 0o755);
  });
  afterAll(async () => {
    await home.cleanup();
    expect(liveChildren()).toBe(0);
  });

  it("is the server's own help, with examples as mxx-server, never `mxx-server server`", async () => {
    const r = await runCli(['--help'], { bin: 'mxx-server' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('mxx-server server');
    expect(r.stdout).not.toContain('#0');
    expect(r.stdout).toMatch(/\$ mxx-server \[--config FILE\] \[--host HOST\] \[--port PORT\]/);
    expect(r.stdout).toMatch(/^ {2}\$ mxx-server --port 8080$/m);
    expect((await runCli(['-h'], { bin: 'mxx-server' })).stdout).toBe(r.stdout);
  });

  it('each example command line starts a server (on a free port)', async () => {
    const r = await runCli(['--help'], { bin: 'mxx-server' });
    const examples = [...r.stdout.slice(r.stdout.search(/^Examples$/m)).matchAll(/^ {2}\$ (.*mxx-server.*)$/gm)].map((m) => m[1] as string);
    expect(examples.length).toBeGreaterThan(3);
    for (const [i, example] of examples.entries()) {
      // The same line, on a free port so that it cannot collide.
      let line = / --port \d+/.test(example) ? example.replace(/ --port \d+/, ' --port 0') : `${example} --port 0`;
      // Not a folder to create on this machine: the temporary home's.
      line = line.replace('/path/to/jobs', join(home.dir, 'jobs'));
      // A home of its own: the previous example's server may still be letting go of its folder.
      const own = join(home.dir, `example-${i}`);
      const output = await startAndStop(line, { ...home.env, HOME: own, MXX_HOME: join(own, '.mxx'), PATH: `${binDir}:${home.env.PATH ?? ''}` });
      expect(output, example).toMatch(/listening on http:/);
    }
  }, 90_000);
});

/** Runs a shell line in its own process group until it says "listening on", then SIGTERMs the group. */
function startAndStop(line: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${line}: no "listening on" in time:\n${output}`));
    }, 20_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (/listening on/.test(output)) process.kill(-child.pid!, 'SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
    child.on('error', reject);
  });
}

describe('mxx-client --help', () => {
  it('lists only client commands, examples as mxx-client', async () => {
    const r = await runCli(['--help'], { bin: 'mxx-client' });
    expect(r.code, r.stderr).toBe(0);
    const paths = listedPaths(r.stdout, 'mxx-client');
    expect(paths).toContain('list');
    expect(paths).toContain('trigger');
    expect(paths).not.toContain('server');
    expect(paths).not.toContain('config');
    expect(paths).not.toContain('service install');
    const list = await runCli(['list', '--help'], { bin: 'mxx-client' });
    expect(list.stdout).toMatch(/^ {2}\$ mxx-client list --type active$/m);
    expect(list.stdout).not.toMatch(/\$ mxx list/);
    expect((await runCli(['help', 'list'], { bin: 'mxx-client' })).stdout).toBe(list.stdout);
  });
});
