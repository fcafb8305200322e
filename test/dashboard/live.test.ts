/**
 * The dashboard end to end, in a real Chromium against a real server with real job files and real
 * processes: every view, each daily action, and live updates through the event stream (no reload,
 * no polling). One browser and one server for the file.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupMembers } from '../_proc.js';
import { startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';
import { launchBrowser, openPage, screenshot, skipReason, type OpenPage } from './_browser.js';

const FILES: Record<string, string> = {
  'hello.toml': '[os]\ncmd = "echo hello"\n',
  'sleeper.toml': '[lifetime]\nlifetime = 120\ngrace = 1\n[os]\ncmd = "sleep 60"\n',
  'ticker.toml': '[os]\ncmd = "true"\n[schedule]\ntrigger = "interval"\nhours = 1\n[policy]\ngroup = "nightly"\n',
  'edited.toml': '[os]\ncmd = "true"\n[schedule]\ntrigger = "interval"\nhours = 2\n',
  // Slow, coloured output: the run view must show it arriving, colours rendered, never raw.
  'talker.toml': `[os]\ncmd = 'for i in 1 2 3 4 5 6 7 8; do printf "\\033[32mline %s\\033[0m\\n" $i; sleep 0.4; done'\n`,
  // Mixed outcomes and durations, for the strip, the chart and the history (the README's pictures).
  'flaky.toml': `[os]\ncmd = 'n=$(( $(date +%N | sed "s/^0*//") + 0 )); sleep 0.$((n % 3)); exit $((n % 4 == 0))'\n[schedule]\ntrigger = "cron"\nminute = "*/10"\n[policy]\noverlap = "allow"\nmax_instances = 20\ngroup = "reports"\n`,
  'nightly-report.yaml': 'os:\n  cmd: "exit 3"\nschedule:\n  trigger: cron\n  hour: 2\n  minute: 30\npolicy:\n  group: nightly\n',
};

const rowOf = (page: Page, id: string) => page.locator(`[data-job="${id}"]`);

describe.skipIf(skipReason !== null)('the dashboard in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let open: OpenPage | null = null;
  const page = (): Page => open!.page;
  const goto = async (hash = '', options?: Parameters<typeof openPage>[2]): Promise<Page> => {
    await open?.close();
    open = await openPage(browser, `${server.url}/${hash}`, options);
    await page().locator('[data-connection="live"]').waitFor();
    return page();
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer({ files: FILES }), launchBrowser()]);
    for (const id of ['api-one', 'api-two', 'api-gone']) {
      await server.call('/jobs', { method: 'POST', json: { job_id: id, config: { os: { cmd: 'true' } }, schedule: { trigger: 'cron', cron: '*/15 * * * *' } } });
    }
    // Some history for the strips and the chart.
    for (let i = 0; i < 4; i++) await waitForRun(server, (await server.call('/jobs/hello/trigger', { method: 'POST' })).body.run_id);
    await waitForRun(server, (await server.call('/jobs/nightly-report/trigger', { method: 'POST' })).body.run_id);
    const flaky = await Promise.all(Array.from({ length: 12 }, () => server.call('/jobs/flaky/trigger', { method: 'POST' })));
    for (const { body } of flaky) await waitForRun(server, body.run_id);
  });
  afterAll(async () => {
    await open?.close();
    await browser?.close();
    await server?.dispose();
  });

  it('lists every job: source, schedule in words, next fire, last run, the strip of runs, group', async () => {
    const p = await goto();
    await expect.poll(() => p.locator('[data-job]').count()).toBe(10);
    const report = rowOf(p, 'nightly-report');
    await expect.poll(() => report.locator('.c-schedule').textContent()).toBe('daily at 02:30');
    expect(await report.locator('.c-source').textContent()).toBe('nightly-report.yaml');
    expect(await report.locator('.c-group').textContent()).toBe('nightly');
    expect(await report.getAttribute('data-status')).toBe('failed');
    expect(await report.locator('.c-next').textContent()).toMatch(/^in /);
    expect(await report.locator('.c-next').getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2} 02:30:00$/);
    expect(await rowOf(p, 'hello').locator('[data-strip]').getAttribute('data-strip')).toBe('completed,completed,completed,completed');
    expect(await p.locator('[data-stat="jobs"] .stat-value').textContent()).toBe('10');
    const failed = (await server.call('/runs?status=failed,timed_out')).body.count;
    expect(await p.locator('[data-stat="failures"] .stat-value').textContent()).toBe(String(failed));
    expect(await p.locator('[data-stat="version"]').textContent()).toMatch(/^v\d+\.\d+\.\d+/);
    await screenshot(p, 'jobs', 'dashboard-jobs.png');
  });

  it('shows a job: next fires, definition, the chart of durations and the paged history', async () => {
    const p = await goto('#/jobs/flaky');
    await p.locator('[data-chart="12"]').waitFor();
    expect(await p.locator('[data-chart] rect.bar').count()).toBe(12);
    expect(await p.locator('[data-history] tbody tr').count()).toBe(12);
    expect(await p.locator('[data-next-fires] li').count()).toBe(10);
    await expect.poll(() => p.locator('[data-definition]').textContent()).toContain('[policy]\noverlap = "allow"');
    await screenshot(p, 'job-flaky', 'dashboard-job.png');
  });

  it('filters by text, status and group, and sorts by any column (mouse and keyboard)', async () => {
    const p = await goto();
    await p.locator('[data-job]').first().waitFor();
    await p.keyboard.press('/');
    expect(await p.evaluate('document.activeElement?.id')).toBe('filter-text');
    await p.keyboard.type('api-');
    await expect.poll(() => p.locator('[data-job]').count()).toBe(3);
    await p.fill('#filter-text', '');
    await p.selectOption('#filter-group', 'nightly');
    await expect.poll(async () => (await p.locator('[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')))).join()).toBe('nightly-report,ticker');
    await p.selectOption('#filter-group', '');
    await p.selectOption('#filter-status', 'failed');
    const failedJobs = (await server.call('/jobs')).body.jobs.filter((j: any) => j.status === 'failed').length;
    await expect.poll(() => p.locator('[data-job]').count()).toBe(failedJobs);
    await p.selectOption('#filter-status', '');
    const ids = () => p.locator('[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
    await p.locator('button[data-sort="id"]').focus();
    await p.keyboard.press('Enter'); // id, descending
    await expect.poll(async () => (await ids())[0]).toBe('ticker');
    expect(await p.locator('[role="columnheader"].c-id').getAttribute('aria-sort')).toBe('descending');
    await p.click('button[data-sort="next"]');
    // Soonest first, jobs with no next fire last.
    const nextTitles = () => p.locator('[data-job] .c-next').evaluateAll((cells) => cells.map((c) => c.getAttribute('title') ?? ''));
    await expect.poll(async () => (await nextTitles())[0]).not.toBe('');
    const titles = await nextTitles();
    const timed = titles.filter((t) => t !== '');
    expect(titles.slice(0, timed.length)).toEqual([...timed].sort());
    expect(titles.slice(timed.length).every((t) => t === '')).toBe(true);
    // Rows are links: arrows move between them, Enter opens the job.
    await p.click('button[data-sort="id"]');
    await p.locator('[data-job="api-gone"]').focus();
    await p.keyboard.press('ArrowDown');
    expect(await p.evaluate('document.activeElement.dataset.job')).toBe('api-one');
    await p.keyboard.press('Enter');
    await p.locator('[data-job-view="api-one"]').waitFor();
  });

  it('Run now: a real process runs, and its row turns completed through the event stream', async () => {
    const p = await goto('#/jobs/hello');
    const runs = (await server.call('/jobs/hello')).body.execution_count;
    await p.click('[data-action="trigger"]');
    await expect.poll(() => p.locator('[data-message]').textContent()).toMatch(/^Started run /);
    const runId = /Started run (\S+)\./.exec((await p.locator('[data-message]').textContent())!)![1]!;
    expect((await waitForRun(server, runId)).status).toBe('completed');
    await p.locator(`[data-history] [data-run="${runId}"][data-status="completed"]`).waitFor();
    // Back to the list without a reload (hash navigation): the row shows it.
    await p.click('a[href="#/"]');
    await expect.poll(() => rowOf(p, 'hello').locator('[data-strip]').getAttribute('data-strip')).toMatch(/^(completed,){4}completed/);
    expect((await server.call('/jobs/hello')).body.execution_count).toBe(runs + 1);
    expect(await p.evaluate("performance.getEntriesByType('navigation').length")).toBe(1);
  });

  it('updates from events only: nothing is fetched while nothing happens', async () => {
    const p = await goto();
    await p.locator('[data-job]').first().waitFor();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = open!.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(open!.requests.slice(before)).toEqual([]);
    // An event does bring the change (and one refresh of that job).
    await server.call('/jobs/api-two', { method: 'DELETE' });
    await rowOf(p, 'api-two').locator('.badge.paused').waitFor();
    await server.call('/jobs/api-two/resume', { method: 'POST' });
  });

  it('pauses and resumes a job', async () => {
    const p = await goto('#/jobs/ticker');
    await p.click('[data-action="pause"]');
    await p.locator('[data-paused]').waitFor();
    await waitFor(async () => (await server.call('/jobs/ticker')).body.paused === true, 5000, 'ticker paused');
    await p.locator('[data-next-fires]').waitFor({ state: 'detached' });
    await p.click('[data-action="resume"]');
    await p.locator('[data-paused]').waitFor({ state: 'detached' });
    await waitFor(async () => (await server.call('/jobs/ticker')).body.paused === false, 5000, 'ticker resumed');
    await p.locator('[data-next-fires] li').first().waitFor();
    expect(await p.locator('[data-next-fires] li').count()).toBe(10);
  });

  it('stops a `sleep 60` run after asking: the process is gone (checked in /proc)', async () => {
    const p = await goto('#/jobs/sleeper');
    await p.click('[data-action="trigger"]');
    const runLink = p.locator('[data-running-run]');
    await runLink.waitFor();
    const runId = (await runLink.textContent())!;
    const pid = await waitFor(async () => (await server.call(`/runs/${runId}`)).body.pid as number | null, 5000, 'the run\'s pid');
    expect(groupMembers(pid).length).toBeGreaterThan(0);
    // Cancel leaves it running.
    await p.click('[data-action="stop"]');
    await p.click('dialog button:not([data-confirm])');
    expect((await server.call(`/runs/${runId}`)).body.status).toBe('running');
    await p.click('[data-action="stop"]');
    await expect.poll(() => p.locator('dialog h2').textContent()).toBe('Stop sleeper?');
    await p.click('dialog [data-confirm]');
    expect((await waitForRun(server, runId)).status).toBe('cancelled');
    await waitFor(() => groupMembers(pid).length === 0, 10_000, `process group ${pid} to be gone`);
    await expect.poll(() => p.locator('h1 [data-badge]').getAttribute('data-badge')).toBe('cancelled');
    await screenshot(p, 'job-stopped');
  });

  it('follows a live log: lines arrive while it runs, colours rendered, then the final status', async () => {
    const p = await goto('#/jobs/talker');
    await p.click('[data-action="trigger"]');
    await p.locator('[data-running-run]').click();
    const log = p.locator('[data-log]');
    await p.locator('[data-log-state="following"]').waitFor();
    // Count the states the log box goes through: more than one means lines arrived one by one.
    // (A string: the test files are compiled without the DOM library.)
    await p.evaluate(`{
      const box = document.querySelector('[data-log]');
      window.seen = new Set();
      new MutationObserver(() => window.seen.add(box.textContent)).observe(box, { childList: true, characterData: true, subtree: true });
    }`);
    await p.locator('[data-final="completed"]').waitFor({ timeout: 15_000 });
    const text = (await log.textContent())!;
    expect(text).toBe('line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n');
    expect(await p.evaluate('window.seen.size')).toBeGreaterThan(2);
    expect(await log.locator('span.fg-2').count()).toBeGreaterThan(0);
    await screenshot(p, 'run');
  });

  it('sees a job file edited on disk, and a broken file appear and go away', async () => {
    const p = await goto();
    await expect.poll(() => rowOf(p, 'edited').locator('.c-schedule').textContent()).toBe('every 2 hours');
    await writeFile(join(server.jobsDir, 'edited.toml'), '[os]\ncmd = "true"\n[schedule]\ntrigger = "interval"\nminutes = 5\n');
    await expect.poll(() => rowOf(p, 'edited').locator('.c-schedule').textContent(), { timeout: 10_000 }).toBe('every 5 minutes');
    const broken = join(server.jobsDir, 'typo.toml');
    await writeFile(broken, '[os]\ncmd = "true"\n[schedule]\ntrigger = "cron"\nminuet = 5\n');
    const item = p.locator(`[data-broken-file="${broken}"]`).first();
    await item.waitFor({ timeout: 10_000 });
    expect(await item.locator('.where').textContent()).toContain(broken);
    expect(await item.textContent()).toMatch(/minuet.*minute/);
    await screenshot(p, 'jobs-broken-file');
    await rm(broken);
    await p.locator('[data-broken]').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('draws the timeline: fires ahead, and a running run as a bar that grows', async () => {
    const p = await goto('#/timeline');
    await p.locator('[data-timeline-job="ticker"] .tick').first().waitFor();
    const runId = (await server.call('/jobs/sleeper/trigger', { method: 'POST' })).body.run_id;
    const bar = p.locator('[data-timeline-job="sleeper"] [data-runbar]');
    await bar.waitFor();
    // A 25 h axis: a second is a fraction of a pixel, so read the bar's own width.
    const width = async () => parseFloat(await bar.evaluate((el) => (el as unknown as { style: { width: string } }).style.width));
    const first = await width();
    await expect.poll(width, { timeout: 10_000 }).toBeGreaterThan(first);
    await screenshot(p, 'timeline');
    await server.call('/jobs/sleeper/stop', { method: 'POST' });
    await waitForRun(server, runId);
    await bar.waitFor({ state: 'detached' });
  });

  it('unregisters an API job after asking, and says to edit the file for a file job', async () => {
    const p = await goto('#/jobs/hello');
    await expect.poll(() => p.locator('[data-file-note]').textContent()).toContain(join(server.jobsDir, 'hello.toml'));
    expect(await p.locator('[data-action="unregister"]').count()).toBe(0);
    await expect.poll(() => p.locator('[data-definition]').textContent()).toBe('[os]\ncmd = "echo hello"\n');
    await p.evaluate("location.hash = '#/jobs/api-gone'");
    await p.locator('[data-job-view="api-gone"]').waitFor();
    await p.click('[data-action="unregister"]');
    await p.click('dialog [data-confirm]');
    await p.locator('[data-missing]').waitFor();
    expect((await server.call('/jobs/api-gone')).status).toBe(404);
    await p.click('[data-missing] a');
    await expect.poll(() => p.locator('[data-job]').count()).toBe(9);
  });

  it('is readable at 400 px and in dark mode', async () => {
    for (const [hash, name] of [['', 'jobs'], ['#/jobs/nightly-report', 'job'], ['#/timeline', 'timeline']] as const) {
      const p = await goto(hash, { width: 400, height: 800, colorScheme: 'dark' });
      await p.locator('main > section').waitFor();
      await p.waitForTimeout(300);
      expect(await p.evaluate('document.documentElement.scrollWidth'), `${name} fits 400 px`).toBeLessThanOrEqual(400);
      expect(await p.evaluate('getComputedStyle(document.body).backgroundColor')).not.toBe('rgb(247, 248, 250)');
      await screenshot(p, `${name}-400px-dark`);
    }
  });
});
