/**
 * 13. Dashboard (SPEC §14) in a real headless Chromium (playwright-core, the Chromium of
 * @sparticuz/chromium or MXX_CHROMIUM): time from navigation to the jobs view showing every job
 * (the count and the first rows drawn; rows are virtual), with 1000 and 10 000 jobs, against the
 * API answer the page needs alone; a filter keystroke over 10 000 jobs; and event → DOM latency while
 * 50 jobs fire every second: a MutationObserver in the page stamps the moment a row shows a run's
 * end, compared with the run's ended_at (one machine, one clock). The browser, the server and the
 * bench share the same 2 cores.
 */
import { get } from 'node:http';
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../lib/chromium.js';
import { callOk } from '../lib/http.js';
import { makeTempDir } from '../lib/home.js';
import { dailyCron, jobId, startMxxServer, writeRegistry, type JobOptions, type MxxServer } from '../lib/mxx.js';
import { atMost, holds, row, type BenchContext, type Row, type Scenario } from '../lib/scenario.js';
import { summarize } from '../lib/stats.js';
import { sleep } from '../lib/time.js';

async function launch(): Promise<Browser | string> {
  const found = await findChromium();
  if ('skip' in found) return found.skip;
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: found.executablePath, args: CHROMIUM_ARGS, headless: true });
}

/** Resolves (in the page) with performance.now() once the jobs view shows `count` jobs and its first row. */
const shownWhen = (count: number): string => `window.__shown = new Promise((resolve) => {
  const check = () => {
    const c = document.querySelector('[data-count]');
    if (c && c.textContent === '${count}' && document.querySelector('[data-job]')) { resolve(performance.now()); observer.disconnect(); }
  };
  const observer = new MutationObserver(check);
  document.addEventListener('DOMContentLoaded', () => { observer.observe(document.body, { subtree: true, childList: true, characterData: true }); check(); });
});`;

async function withServer<T>(ctx: BenchContext, label: string, jobs: Array<{ id: string; options: JobOptions }>, use: (server: MxxServer) => Promise<T>): Promise<T> {
  const home = makeTempDir(label);
  writeRegistry(home, jobs);
  const server = await startMxxServer({ label, home, verbose: ctx.options.verbose, startTimeoutMs: 120_000 });
  try {
    return await use(server);
  } finally {
    await server.dispose();
  }
}

interface Navigation {
  shownMs: number[];
  apiMs: number[];
  filterMs: number[];
}

async function navigation(ctx: BenchContext, browser: Browser, count: number): Promise<Navigation> {
  const jobs = Array.from({ length: count }, (_, i) => ({ id: jobId('job', i), options: { cron: dailyCron(i), cmd: 'true' } }));
  return withServer(ctx, `dashboard-${count}`, jobs, async (server) => {
    const out: Navigation = { shownMs: [], apiMs: [], filterMs: [] };
    const tries = ctx.pick(5, 1);
    // One load first: the server reads its dashboard files on the first request, the browser warms up.
    for (let i = -1; i < tries; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.addInitScript(shownWhen(count));
      await page.goto(`${server.url}/`);
      const shown = await page.evaluate<number>('window.__shown');
      if (i >= 0) out.shownMs.push(shown);
      if (i >= 0 && count >= 10_000) {
        // Typing in the filter: from the input event to the list showing the matches.
        out.filterMs.push(
          await page.evaluate<number>(`new Promise((resolve) => {
            const input = document.querySelector('#filter-text');
            const count = document.querySelector('[data-count]');
            const started = performance.now();
            new MutationObserver((_, o) => { o.disconnect(); resolve(performance.now() - started); }).observe(count, { subtree: true, childList: true, characterData: true });
            input.value = 'job-0999';
            input.dispatchEvent(new Event('input', { bubbles: true }));
          })`),
        );
      }
      await context.close();
      if (i >= 0) out.apiMs.push((await callOk('GET', `${server.api}/jobs?recent=20`)).ms);
    }
    return out;
  });
}

interface Latency {
  ms: number[];
  ended: number;
}

async function eventLatency(ctx: BenchContext, browser: Browser): Promise<Latency> {
  const jobs = Array.from({ length: 50 }, (_, i) => ({ id: jobId('tick', i), options: { every: 1, cmd: 'true' } }));
  return withServer(ctx, 'dashboard-events', jobs, async (server) => {
    // Tall enough for all 50 rows to be drawn.
    const context = await browser.newContext({ viewport: { width: 1280, height: 2600 } });
    const page = await context.newPage();
    await page.addInitScript(`window.__seen = new Map();
      new MutationObserver((records) => {
        const at = performance.timeOrigin + performance.now();
        for (const r of records) {
          const el = r.target;
          const run = el.dataset && el.dataset.lastRun;
          if (run && el.dataset.status !== 'running' && !window.__seen.has(run)) window.__seen.set(run, at);
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-status', 'data-last-run'] });`);
    await page.goto(`${server.url}/`);
    await page.waitForSelector('[data-connection="live"]');
    await page.waitForSelector('[data-job]');
    const from = Date.now() + 1000;
    const seconds = ctx.seconds(20, 3);
    ctx.log(`dashboard: 50 jobs every second, ${seconds} s, watching the page`);
    await sleep(1000 + seconds * 1000);
    const to = Date.now();
    await sleep(1000);
    const seen = new Map(await page.evaluate<Array<[string, number]>>('[...window.__seen]'));
    await context.close();
    const ms: number[] = [];
    let ended = 0;
    let before: string | undefined;
    for (;;) {
      const page = await callOk<{ runs: Array<{ run_id: string; ended_at: string | null }>; next_before?: string }>(
        'GET',
        `${server.api}/runs?limit=1000&status=completed${before ? `&before=${before}` : ''}`,
      );
      for (const run of page.body.runs) {
        const end = run.ended_at === null ? NaN : Date.parse(run.ended_at);
        if (!(end >= from && end <= to)) continue;
        ended++;
        const at = seen.get(run.run_id);
        if (at !== undefined) ms.push(at - end);
      }
      before = page.body.next_before;
      if (!before) break;
    }
    return { ms, ended };
  });
}

/** The page and its assets as sent gzipped. */
async function transferBytes(ctx: BenchContext): Promise<number> {
  return withServer(ctx, 'dashboard-size', [], async (server) => {
    const fetchGzip = (path: string): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        get(`${server.url}/${path}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        }).on('error', reject);
      });
    const html = (await fetch(`${server.url}/`).then((r) => r.text())) as string;
    const paths = ['', ...[...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]!)];
    let total = 0;
    for (const path of paths) total += (await fetchGzip(path)).length;
    return total;
  });
}

export const dashboard: Scenario = {
  n: 13,
  id: 'dashboard',
  title: 'Dashboard: jobs view load and live updates in a real browser',
  async run(ctx) {
    const browser = await launch();
    if (typeof browser === 'string') return { rows: [], notes: [`skipped: ${browser}`] };
    try {
      const bytes = await transferBytes(ctx);
      const small = await navigation(ctx, browser, 1000);
      const large = await navigation(ctx, browser, 10_000);
      const events = await eventLatency(ctx, browser);
      const s = summarize(small.shownMs);
      const l = summarize(large.shownMs);
      const f = summarize(large.filterMs);
      const e = summarize(events.ms);
      const rows: Row[] = [
        row('navigation → jobs view shows 1000 jobs, p50', s.p50, 'ms', {
          baseline: 'GET /jobs?recent=20 alone',
          baselineValue: summarize(small.apiMs).p50,
          target: atMost(s.p50, 300, '≤ 300 ms'),
          note: `max ${s.max === null ? '—' : Math.round(s.max)} ms of ${s.n}`,
        }),
        row('navigation → jobs view shows 10 000 jobs, p50', l.p50, 'ms', {
          baseline: 'GET /jobs?recent=20 alone',
          baselineValue: summarize(large.apiMs).p50,
          note: `max ${l.max === null ? '—' : Math.round(l.max)} ms of ${l.n}; virtual rows`,
        }),
        row('filter keystroke over 10 000 jobs → list updated', f.p50, 'ms', { target: atMost(f.p50, 100, '≤ 100 ms (responsive)') }),
        row('run end → row updated in the page, 50 jobs every second, p50', e.p50, 'ms'),
        row('run end → row updated in the page, 50 jobs every second, p99', e.p99, 'ms', {
          target: atMost(e.p99, 250, '≤ 250 ms'),
          note: `${events.ms.length} of ${events.ended} run ends seen in the page`,
        }),
        row('dashboard transfer, gzipped', Math.round(bytes / 102.4) / 10, 'KB', { target: atMost(bytes, 150 * 1024, '≤ 150 KB') }),
        row('run ends shown in the page', events.ended === 0 ? null : Math.round((events.ms.length / events.ended) * 1000) / 10, '%', {
          target: holds(events.ended > 0 ? events.ms.length >= events.ended * 0.99 : null, '≥ 99 % of run ends'),
        }),
      ];
      return {
        rows,
        details: { bytes, small, large: { ...large }, events: { summary: e, ended: events.ended } },
        notes: [
          'Chromium, the server and the bench share the machine\'s 2 cores; event → DOM includes SSE delivery, the page\'s store and the frame it renders in.',
          ...(ctx.options.quick ? ['quick: one navigation each and a 3 s window; a smoke test, not a measurement.'] : []),
        ],
      };
    } finally {
      await browser.close();
    }
  },
};
