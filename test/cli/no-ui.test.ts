/**
 * The dashboard is on by default and off with `--no-ui` or `ui = false` in config.toml (404 at /),
 * with the API unchanged: the real `mxx server` process, real HTTP.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempHome, startServerProcess, type ServerProcess, type TempHome } from '../_cli.js';

let home: TempHome;
let server: ServerProcess | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
  await home.cleanup();
});

async function page(url: string): Promise<{ status: number; type: string | null }> {
  const res = await fetch(`${url}/`);
  await res.arrayBuffer();
  return { status: res.status, type: res.headers.get('content-type') };
}

describe('the dashboard switch', () => {
  it('serves the page at / by default', async () => {
    home = await createTempHome();
    server = await startServerProcess(home);
    expect(await page(server.url)).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) });
  });

  it('answers 404 at / with --no-ui, and the API still works', async () => {
    home = await createTempHome();
    server = await startServerProcess(home, { args: ['--no-ui'] });
    expect((await page(server.url)).status).toBe(404);
    expect((await fetch(`${server.url}/api/scheduler/health`)).status).toBe(200);
  });

  it('answers 404 at / with ui = false in config.toml, and --ui wins over it', async () => {
    home = await createTempHome();
    await mkdir(join(home.dir, '.mxx'), { recursive: true });
    await home.write('.mxx/config.toml', 'ui = false\n');
    server = await startServerProcess(home);
    expect((await page(server.url)).status).toBe(404);
    await server.stop();
    server = await startServerProcess(home, { args: ['--ui'] });
    expect((await page(server.url)).status).toBe(200);
  });
});
