/**
 * The dashboard's access rules in a real Chromium: the token prompt (asked once, kept in
 * sessionStorage, sent as a header and never in a URL, a wrong one told clearly), a page from
 * another origin that cannot make the server run anything, and the page finding the server again
 * after it restarts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHome, startTestServer, waitFor, type TestServer } from '../_server.js';
import { launchBrowser, openPage, screenshot, skipReason } from './_browser.js';

const TOKEN = 'browser-token-0123456789abcdef';

describe.skipIf(skipReason !== null)('dashboard access in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('asks for the token once, says when it is wrong, keeps it for the tab, never puts it in a URL', async () => {
    const server = await startTestServer({ token: TOKEN, files: { 'secret-job.toml': '[os]\ncmd = "true"\n' } });
    const open = await openPage(browser, `${server.url}/`);
    try {
      const { page } = open;
      await page.locator('#token-input').waitFor();
      await screenshot(page, 'token-prompt');
      await page.fill('#token-input', 'not-the-token');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('[data-token-problem]').textContent()).toMatch(/refused this token/);
      await page.fill('#token-input', TOKEN);
      await page.click('dialog button[type="submit"]');
      await page.locator('[data-job="secret-job"]').waitFor();
      await page.locator('[data-connection="live"]').waitFor();
      expect(await page.evaluate("sessionStorage.getItem('mxx.token')")).toBe(TOKEN);
      // A reload in the same tab does not ask again.
      await page.reload();
      await page.locator('[data-job="secret-job"]').waitFor();
      expect(await page.locator('#token-input').count()).toBe(0);
      for (const url of open.requests) {
        expect(url).not.toContain(TOKEN);
        expect(url).not.toContain('not-the-token');
      }
      expect(page.url()).not.toContain(TOKEN);
    } finally {
      await open.close();
      await server.dispose();
    }
  });

  describe('a page from another origin', () => {
    let server: TestServer;
    let evil: Server;
    let evilUrl: string;
    beforeAll(async () => {
      server = await startTestServer({ files: { 'target.toml': '[os]\ncmd = "true"\n' } });
      const mxx = server.url;
      // What a malicious page would try: a no-cors fetch (no preflight), a CORS fetch that wants
      // the answer, and a plain form post (a "simple" request that needs no CORS at all).
      const page = `<!doctype html><html><body>
        <form id="f" method="post" action="${mxx}/api/scheduler/jobs/target/trigger" target="sink"></form>
        <iframe name="sink"></iframe>
        <script>
          window.attack = async () => {
            const out = {};
            try { await fetch('${mxx}/api/scheduler/jobs/target/trigger', { method: 'POST', mode: 'no-cors' }); out.noCors = 'sent'; } catch (e) { out.noCors = String(e); }
            try { const r = await fetch('${mxx}/api/scheduler/jobs/target/trigger', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }); out.cors = r.status; } catch (e) { out.cors = 'blocked'; }
            try { const r = await fetch('${mxx}/api/scheduler/jobs'); out.read = await r.text(); } catch (e) { out.read = 'blocked'; }
            document.getElementById('f').submit();
            return out;
          };
        </script></body></html>`;
      evil = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(page);
      });
      await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
      evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => evil.close(() => resolve()));
      await server.dispose();
    });

    it('cannot make the server run anything, nor read from it (Origin checks, from the browser)', async () => {
      const refused: number[] = [];
      const open = await openPage(browser, evilUrl);
      try {
        open.page.on('response', (response) => {
          if (response.url().startsWith(server.url)) refused.push(response.status());
        });
        const out = await open.page.evaluate<Record<string, unknown>>('window.attack()');
        expect(out).toMatchObject({ noCors: 'sent', cors: 'blocked', read: 'blocked' });
        // The form post is answered 403; every request that reached the server was refused.
        await waitFor(() => refused.length >= 2, 5000, 'the form post and the no-cors fetch to be answered');
        expect(refused.every((status) => status === 403), `statuses ${refused.join(',')}`).toBe(true);
        expect(server.logs()).not.toMatch(/run \w+ job=target/);
        expect((await server.call('/jobs/target')).body.execution_count).toBe(0);
        expect((await server.call('/jobs/target/runs')).body.count).toBe(0);
      } finally {
        await open.close();
      }
    });
  });

  it('says it is reconnecting while the server is away, and catches up when it is back', async () => {
    const home = await createHome({ 'before.toml': '[os]\ncmd = "true"\n' });
    let server = await startTestServer({ home });
    const port = server.port;
    const open = await openPage(browser, `${server.url}/`);
    try {
      const { page } = open;
      await page.locator('[data-job="before"]').waitFor();
      await page.locator('[data-connection="live"]').waitFor();
      await server.close();
      await page.locator('[data-connection="reconnecting"]').waitFor({ timeout: 10_000 });
      expect(await page.locator('[data-banner]').textContent()).toMatch(/Reconnecting/);
      await screenshot(page, 'reconnecting');
      server = await startTestServer({ home, port });
      await server.call('/jobs', { method: 'POST', json: { job_id: 'after', config: { os: { cmd: 'true' } } } });
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      await page.locator('[data-job="after"]').waitFor({ timeout: 10_000 });
      expect(await page.locator('[data-banner]').count()).toBe(0);
      // Live again: an event after the restart reaches the page.
      await server.call('/jobs/before', { method: 'DELETE' });
      await page.locator('[data-job="before"] .badge.paused').waitFor();
    } finally {
      await open.close();
      await server.dispose();
    }
  });
});
