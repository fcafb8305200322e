/**
 * What `mxx service install` writes: the systemd user unit (checked by systemd's own
 * `systemd-analyze verify`), the launchd agent (parsed by Python's plistlib, as this is Linux), and
 * the server flags the service passes on.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLaunchdPlist } from '../../cli/service/launchd-plist.js';
import { serverFlags, STOP_TIMEOUT_S, type ServiceSpec } from '../../cli/service/spec.js';
import { quoteExecArg, renderSystemdUnit } from '../../cli/service/systemd-unit.js';
import { ROOT } from '../_cli.js';

const MXX_JS = join(ROOT, 'dist', 'cli', 'bin', 'mxx.js');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = (command: string[], environment: Record<string, string> = {}): ServiceSpec => ({ command, environment });

/** The unit's value lines (`Key=value`), in order. */
const lines = (unit: string): string[] => unit.split('\n').filter((line) => /^[A-Za-z]+=/.test(line));

/**
 * `systemd-analyze --user verify` on a unit named mxx.service. It exits 0 even for keys it ignores
 * (a misspelt key, a bad Restart=), so anything it says about the file counts as a failure too. A
 * runtime folder of its own: without a user session it refuses to start ("No medium found").
 */
function verify(unit: string, name = 'mxx.service'): { ok: boolean; output: string } {
  const unitDir = join(dir, `verify-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(unitDir, 'run'), { recursive: true });
  const path = join(unitDir, name);
  writeFileSync(path, unit);
  const result = spawnSync('systemd-analyze', ['--user', 'verify', path], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: unitDir, XDG_RUNTIME_DIR: join(unitDir, 'run'), SYSTEMD_LOG_COLOR: '0' },
  });
  if (result.error) throw new Error(`systemd-analyze could not run (it is part of systemd; apt-get install systemd): ${result.error.message}`);
  const output = `${result.stdout}${result.stderr}`.trim();
  return { ok: result.status === 0 && output === '', output };
}

describe('the systemd user unit', () => {
  const command = [process.execPath, MXX_JS, 'server', '--port', '5077', '--jobs-dir', '/srv/mxx jobs'];

  it('runs the installed mxx with absolute paths and restarts it only on failure', () => {
    const unit = renderSystemdUnit(spec(command, { MXX_HOME: '/home/me/.mxx' }));
    expect(lines(unit)).toEqual([
      'Description=mxx job scheduler',
      'Type=exec',
      `ExecStart=${process.execPath} ${MXX_JS} server --port 5077 --jobs-dir "/srv/mxx jobs"`,
      'Environment="MXX_HOME=/home/me/.mxx"',
      'Restart=on-failure',
      'RestartSec=5',
      'KillMode=mixed',
      `TimeoutStopSec=${STOP_TIMEOUT_S}`,
      'WantedBy=default.target',
    ]);
    expect(unit).toMatch(/^\[Unit\]$/m);
    expect(unit).toMatch(/^\[Service\]$/m);
    expect(unit).toMatch(/^\[Install\]$/m);
    // Longer than a shutdown with the default grace (5 s a run) and the listener's 2 s.
    expect(STOP_TIMEOUT_S).toBeGreaterThan(7);
  });

  it('passes systemd-analyze verify', () => {
    const result = verify(renderSystemdUnit(spec(command, { MXX_HOME: '/home/me/.mxx' })));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('the verify check fails a broken unit (a bad value, a missing executable)', () => {
    const unit = renderSystemdUnit(spec(command));
    const badValue = verify(unit.replace('Restart=on-failure', 'Restart=sometimes'));
    expect(badValue.ok).toBe(false);
    expect(badValue.output).toMatch(/restart/i);
    const missing = verify(renderSystemdUnit(spec(['/nonexistent/node', MXX_JS, 'server'])));
    expect(missing.ok).toBe(false);
    expect(missing.output).toMatch(/nonexistent/);
  });

  it('quotes what systemd would split or expand: spaces, quotes, backslashes, % and $', async () => {
    expect(quoteExecArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteExecArg('a b')).toBe('"a b"');
    expect(quoteExecArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteExecArg('back\\slash')).toBe('"back\\\\slash"');
    expect(quoteExecArg('100%')).toBe('100%%');
    expect(quoteExecArg('$HOME')).toBe('$$HOME');
    expect(quoteExecArg('')).toBe('""');
    expect(quoteExecArg("it's")).toBe('"it\'s"');
    // An executable in a folder with a space and a %: verify finds it only if the quoting is right.
    const odd = join(dir, 'node 100% here');
    await mkdir(odd, { recursive: true });
    await symlink(process.execPath, join(odd, 'node'));
    const result = verify(renderSystemdUnit(spec([join(odd, 'node'), MXX_JS, 'server', '--jobs-dir', '/a "b" $c'])));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('refuses a line break in any value (it would end the line and start another key)', () => {
    expect(() => renderSystemdUnit(spec([process.execPath, MXX_JS, 'server', '--jobs-dir', '/a\nExecStartPre=/bin/evil']))).toThrow(/line break/);
    expect(() => renderSystemdUnit(spec(command, { MXX_HOME: '/a\nb' }))).toThrow(/line break/);
  });
});

describe('the launchd agent (macOS)', () => {
  /** Python's plistlib reads the file as launchd would (an XML property list); JSON out. */
  function parsePlist(text: string): unknown {
    const result = spawnSync('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], {
      input: text,
      encoding: 'utf8',
    });
    if (result.error) throw new Error(`python3 is needed to read the property list: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`not a property list: ${result.stderr}`);
    return JSON.parse(result.stdout);
  }

  it('is a property list with the program, RunAtLoad, KeepAlive unless it exited cleanly, and its log file', () => {
    const args = ['/usr/local/bin/node', '/opt/mxx/dist/cli/bin/mxx.js', 'server', '--jobs-dir', '/Users/me/jobs & <more>', '--allow-origin', 'http://a"b'];
    const text = renderLaunchdPlist(spec(args, { MXX_HOME: '/Users/me/.mxx' }), { logFile: '/Users/me/Library/Logs/mxx/server.log' });
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')).toBe(true);
    expect(parsePlist(text)).toEqual({
      Label: 'dev.mxx.server',
      ProgramArguments: args,
      EnvironmentVariables: { MXX_HOME: '/Users/me/.mxx' },
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ExitTimeOut: STOP_TIMEOUT_S,
      ProcessType: 'Background',
      StandardOutPath: '/Users/me/Library/Logs/mxx/server.log',
      StandardErrorPath: '/Users/me/Library/Logs/mxx/server.log',
    });
    // Without environment variables there is no empty dictionary.
    const bare = parsePlist(renderLaunchdPlist(spec(['/n', '/m', 'server']), { logFile: '/l' })) as Record<string, unknown>;
    expect(bare).not.toHaveProperty('EnvironmentVariables');
  });

  it('the parse check fails a broken property list', () => {
    const text = renderLaunchdPlist(spec(['/n', '/m', 'server']), { logFile: '/l' });
    expect(() => parsePlist(text.replace('</dict>', ''))).toThrow(/not a property list/);
  });
});

describe('the server flags the service passes on', () => {
  it('are the flags given, in mxx server spelling, with folders and files made absolute', () => {
    const flags = serverFlags(
      {
        configFile: 'server.toml',
        host: '::1',
        port: 5077,
        jobsDir: 'jobs',
        maxConcurrency: 8,
        threads: 2,
        allowOrigins: ['http://localhost:3000', 'http://127.0.0.1:8080'],
        ui: false,
        logFormat: 'json',
        debug: true,
      },
      '/home/me/work',
    );
    expect(flags).toEqual([
      '--config', '/home/me/work/server.toml',
      '--host', '::1',
      '--port', '5077',
      '--jobs-dir', '/home/me/work/jobs',
      '--max-concurrency', '8',
      '--threads', '2',
      '--allow-origin', 'http://localhost:3000',
      '--allow-origin', 'http://127.0.0.1:8080',
      '--no-ui',
      '--log-format', 'json',
      '--debug',
    ]);
    expect(serverFlags({}, '/x')).toEqual([]);
    expect(serverFlags({ ui: true, jobsDir: '/abs/jobs' }, '/x')).toEqual(['--jobs-dir', '/abs/jobs', '--ui']);
  });
});
