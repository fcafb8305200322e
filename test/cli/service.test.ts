/**
 * `mxx service install|uninstall|status|logs` on this Linux machine, with the real systemctl and a
 * temporary HOME. No user service manager is reachable here (and none may be: the runtime folder is
 * an empty one of the test's own), so these tests cover writing, file-level enabling and every
 * answer to an unreachable manager; they never touch the developer's own services.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binPath, createTempHome, runCli, type TempHome } from '../_cli.js';

let home: TempHome;

beforeEach(async () => {
  home = await createTempHome();
  delete home.env.XDG_CONFIG_HOME;
  delete home.env.DBUS_SESSION_BUS_ADDRESS;
  home.env.XDG_RUNTIME_DIR = join(home.dir, 'run');
  await mkdir(home.env.XDG_RUNTIME_DIR, { recursive: true });
});

afterEach(async () => {
  await home.cleanup();
});

const mxx = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['service', ...args], { env: { ...home.env, ...env }, cwd: home.dir });
const unitPath = (): string => join(home.dir, '.config', 'systemd', 'user', 'mxx.service');
const wantsLink = (): string => join(home.dir, '.config', 'systemd', 'user', 'default.target.wants', 'mxx.service');

describe('mxx service install', () => {
  it('--no-enable writes the unit (absolute paths, the flags given) and prints it with the commands that start it', async () => {
    const r = await mxx(['install', '--no-enable', '--port', '5077', '--jobs-dir', 'my jobs']);
    expect(r.code, r.stderr).toBe(0);
    const unit = await readFile(unitPath(), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${binPath('mxx')} server --port 5077 --jobs-dir "${join(home.dir, 'my jobs')}"\n`);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    expect(unit).not.toMatch(/Environment=/);
    expect((await stat(unitPath())).mode & 0o777).toBe(0o644);
    expect(r.stdout).toContain(`wrote ${unitPath()}:\n`);
    expect(r.stdout).toContain(unit.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n'));
    expect(r.stdout).toMatch(/not enabled \(--no-enable\); to start it now and at every login:\n  systemctl --user daemon-reload\n  systemctl --user enable --now mxx\n/);
    // What systemd itself says of the written file.
    const verify = spawnSync('systemd-analyze', ['--user', 'verify', unitPath()], { encoding: 'utf8', env: home.env });
    expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
    expect(verify.status).toBe(0);
  });

  it('writes under XDG_CONFIG_HOME when it is set, and keeps MXX_HOME for the server', async () => {
    const config = join(home.dir, 'cfg');
    const r = await mxx(['install', '--no-enable'], { XDG_CONFIG_HOME: config, MXX_HOME: join(home.dir, 'state') });
    expect(r.code, r.stderr).toBe(0);
    const unit = await readFile(join(config, 'systemd', 'user', 'mxx.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${binPath('mxx')} server\n`);
    expect(unit).toContain(`Environment="MXX_HOME=${join(home.dir, 'state')}"\n`);
    expect(existsSync(unitPath())).toBe(false);
  });

  it('a second install replaces the unit and says so', async () => {
    expect((await mxx(['install', '--no-enable', '--port', '5001'])).code).toBe(0);
    const r = await mxx(['install', '--no-enable', '--port', '5002']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replaced ${unitPath()}:\n`);
    expect(r.stdout).toMatch(/systemctl --user restart mxx/);
    expect(await readFile(unitPath(), 'utf8')).toMatch(/--port 5002\n/);
  });

  it('without a reachable user service manager: says so, keeps the file, prints the commands, exit 1', async () => {
    const r = await mxx(['install', '--port', '5077']);
    expect(r.code).toBe(1);
    expect(existsSync(unitPath())).toBe(true);
    expect(r.stdout).toContain(`wrote ${unitPath()}:\n`);
    expect(r.stderr).toMatch(/^Error: systemctl --user daemon-reload failed: Failed to connect to bus/m);
    expect(r.stderr).toContain(`${unitPath()} is kept; to start it now and at every login:\n  systemctl --user daemon-reload\n  systemctl --user enable --now mxx\n`);
    expect(r.stderr).toMatch(/hint: systemctl --user needs your user's service manager.*loginctl enable-linger/);
    expect(existsSync(wantsLink())).toBe(false);
  });

  it('refuses bad flags and a token before writing anything', async () => {
    const port = await mxx(['install', '--no-enable', '--port', '70000']);
    expect(port.code).toBe(2);
    const token = await mxx(['install', '--no-enable', '--token', 'a-long-enough-test-token']);
    expect(token.code).toBe(2);
    expect(token.stderr).toMatch(/--token is not written into the unit file.*token_file/);
    // Resolved as `mxx server` would resolve them: all interfaces need a token.
    const open = await mxx(['install', '--no-enable', '--host', '0.0.0.0']);
    expect(open.code).not.toBe(0);
    expect(open.stderr).toMatch(/token/);
    const badConfig = await mxx(['install', '--no-enable', '--config', await home.write('bad.toml', 'prot = 5000\n')]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/prot/);
    expect(existsSync(join(home.dir, '.config'))).toBe(false);
  });

  it('on a machine without systemd (no systemctl on PATH): a clear message, exit 1, nothing written', async () => {
    const empty = join(home.dir, 'empty-bin');
    await mkdir(empty);
    for (const sub of ['install', 'uninstall', 'status', 'logs']) {
      const r = await mxx(sub === 'install' ? [sub, '--no-enable'] : [sub], { PATH: empty });
      expect(r.code, `${sub}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/^Error: no systemd here: systemctl is not on PATH/m);
    }
    expect(existsSync(join(home.dir, '.config'))).toBe(false);
  });
});

describe('mxx service uninstall', () => {
  it('disables and removes the unit, says what it removed, and is idempotent', async () => {
    expect((await mxx(['install', '--no-enable'])).code).toBe(0);
    // Enabled the way systemctl does it without a manager: the link in default.target.wants.
    const enable = spawnSync('systemctl', ['--user', 'enable', 'mxx.service'], { encoding: 'utf8', env: home.env });
    expect(enable.status, enable.stderr).toBe(0);
    expect(lstatSync(wantsLink()).isSymbolicLink()).toBe(true);

    const r = await mxx(['uninstall']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`removed ${unitPath()}`);
    expect(r.stdout).toMatch(/ran: systemctl --user disable mxx\.service/);
    expect(r.stderr).toMatch(/could not reach the user service manager.*Failed to connect to bus/);
    expect(existsSync(unitPath())).toBe(false);
    expect(existsSync(wantsLink())).toBe(false);

    const again = await mxx(['uninstall']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`no mxx service installed (${unitPath()} does not exist)`);
  });
});

describe('mxx service status and logs', () => {
  it('status names the unit file, says what systemctl said, exit 1 when it cannot tell it runs', async () => {
    const missing = await mxx(['status']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`no mxx service installed (${unitPath()} does not exist)`);

    expect((await mxx(['install', '--no-enable'])).code).toBe(0);
    const r = await mxx(['status']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`unit file ${unitPath()}: disabled`);
    expect(r.stderr).toMatch(/Failed to connect to bus/);
    expect(r.stderr).toMatch(/hint: systemctl --user needs your user's service manager/);
  });

  it('logs reads the journal of the unit (journalctl --user)', async () => {
    const r = await mxx(['logs', '--lines', '5']);
    expect(r.code, r.stderr).toBe(0);
    // This machine's journal has nothing for the unit; journalctl says so its own way.
    expect(`${r.stdout}${r.stderr}`).toMatch(/No entries|No journal files were found/);
  });
});
