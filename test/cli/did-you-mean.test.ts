/** Unknown commands and options: a did-you-mean on stderr and exit 2; clipanion's other parse errors on stderr with real placeholders. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempHome, liveChildren, runCli, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';

describe('unknown commands', () => {
  it('mxx lst: did you mean list, exit 2, nothing on stdout', async () => {
    const r = await runCli(['lst']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("Unknown command 'lst'. Did you mean 'list'?");
    expect(r.stderr).toContain('mxx help');
  });

  it('a subcommand: mxx service instal → service install', async () => {
    const r = await runCli(['service', 'instal']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Did you mean 'service install'?");
  });

  it('a path that needs a subcommand names them', async () => {
    const r = await runCli(['service']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/service install/);
  });

  it('nothing close: says so and points at mxx help', async () => {
    const r = await runCli(['zzqqxx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown command 'zzqqxx'.");
    expect(r.stderr).not.toContain('Did you mean');
    expect(r.stderr).toContain("Run 'mxx help' for the list of commands.");
  });

  it('mxx help lst: the same did-you-mean', async () => {
    const r = await runCli(['help', 'lst']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown command 'lst'. Did you mean 'list'?");
  });

  it("mxx-client server: a command of mxx, not of mxx-client", async () => {
    const r = await runCli(['server'], { bin: 'mxx-client' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mxx-client has no command 'server'.*mxx server/s);
  });

  it('mxx-server server --port 5001: exit 2, and says the line that works', async () => {
    const r = await runCli(['server', '--port', '5001'], { bin: 'mxx-server' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mxx-server --port 5001');
  });
});

describe('unknown options', () => {
  it('mxx list --typ all: did you mean --type', async () => {
    const r = await runCli(['list', '--typ', 'all']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("Unknown option '--typ' for 'mxx list'. Did you mean '--type'?");
    expect(r.stderr).toContain('mxx help list');
  });

  it('--opt=value and a short option', async () => {
    expect((await runCli(['list', '--typ=all'])).stderr).toContain("Did you mean '--type'?");
    const r = await runCli(['logs', 'job', '-x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '-x' for 'mxx logs'.");
  });

  it('mxx-server --prot 0: did you mean --port', async () => {
    const r = await runCli(['--prot', '0'], { bin: 'mxx-server' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--prot' for 'mxx-server'. Did you mean '--port'?");
    expect(r.stderr).toContain("Run 'mxx-server --help'");
  });

  it('a misspelt global option before the command', async () => {
    const r = await runCli(['--jsn', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Did you mean '--json'?");
  });
});

describe("clipanion's other parse errors", () => {
  it('a missing id: stderr, exit 2, our usage line', async () => {
    const r = await runCli(['status']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('#0');
    expect(r.stderr).toContain('$ mxx status [--server URL] [--json] ID');
  });

  it('an extra positional argument', async () => {
    const r = await runCli(['status', 'a', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Extraneous positional argument \("b"\)/);
    expect(r.stderr).not.toContain('#0');
  });

  it('a bad value: usage line with placeholders', async () => {
    const r = await runCli(['next', 'job', '-n', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-n/);
    expect(r.stderr).not.toContain('#0');
  });
});

describe('global options before the command keep working', () => {
  let home: TempHome;
  let server: ServerProcess;
  beforeAll(async () => {
    home = await createTempHome();
    server = await startServerProcess(home);
  });
  afterAll(async () => {
    await server?.stop();
    await home?.cleanup();
    expect(liveChildren()).toBe(0);
  });

  it('mxx --server URL --json health', async () => {
    const r = await runCli(['--server', server.url, '--json', 'health'], { env: home.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('healthy');
  });

  it('mxx-client --server URL list', async () => {
    const r = await runCli(['--server', server.url, 'list'], { bin: 'mxx-client', env: home.env });
    expect(r.code, r.stderr).toBe(0);
  });
});
