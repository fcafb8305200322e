/**
 * 8. API: `GET /jobs` and `GET /health` with 1000 registered jobs, req/s and p50/p99 at 1, 16 and
 * 64 connections (autocannon, from the bench process), while 50 jobs run (50 runs of a long
 * `sleep` in progress; the other 950 jobs are scheduled daily). Baseline: a bare node:http server
 * answering the same bytes. autocannon runs in the bench process (it shares the 2 cores) and
 * reports latency in whole milliseconds.
 */
import autocannon from 'autocannon';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, callOk } from '../lib/http.js';
import { makeTempDir } from '../lib/home.js';
import { dailyCron, jobId, startMxxServer, trigger, writeRegistry, type JobOptions } from '../lib/mxx.js';
import { startAgentServer } from '../lib/procs.js';
import { atMost, row, type Row, type Scenario } from '../lib/scenario.js';
import { waitFor } from '../lib/time.js';

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, connections: number, quick: boolean): Promise<Load> {
  const result = await autocannon({
    url,
    connections,
    duration: quick ? 1 : 5,
    timeout: 10,
  });
  return { rps: result.requests.total / Math.max(result.duration, 0.001), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
}

export const api: Scenario = {
  n: 8,
  id: 'api',
  title: 'API under load (1000 jobs, 50 running)',
  async run(ctx) {
    const home = makeTempDir('api');
    const jobs: Array<{ id: string; options: JobOptions }> = [];
    for (let i = 0; i < 50; i++) jobs.push({ id: jobId('busy', i), options: { cmd: 'sleep 600', lifetime: 900 } });
    for (let i = 50; i < 1000; i++) jobs.push({ id: jobId('daily', i), options: { cron: dailyCron(i), cmd: 'true' } });
    writeRegistry(home, jobs);
    const server = await startMxxServer({ label: 'api', home, verbose: ctx.options.verbose });
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    try {
      for (let i = 0; i < 50; i++) await trigger(server, jobId('busy', i));
      await waitFor('50 runs in progress', async () => ((await call<{ running: number }>('GET', `${server.api}/health`)).body.running >= 50 ? true : undefined), 30_000, 20);
      const paths = ['/jobs', '/health'];
      const bodies: Record<string, string> = {};
      const scratch = makeTempDir('api-bodies');
      for (const path of paths) {
        const answer = await callOk<unknown>('GET', `${server.api}${path}`);
        const file = join(scratch, path.slice(1));
        writeFileSync(file, JSON.stringify(answer.body));
        bodies[`/api/scheduler${path}`] = file;
      }
      const bare = await startAgentServer('static-http', { bodies });
      try {
        // Quick: the target's case only.
        for (const path of ctx.options.quick ? ['/jobs'] : paths) {
          for (const connections of ctx.pick([1, 16, 64], [16])) {
            ctx.log(`autocannon GET ${path}, ${connections} connection(s)`);
            const ours = await load(`${server.api}${path}`, connections, ctx.options.quick);
            const theirs = await load(`${String(bare.ready.url)}/api/scheduler${path}`, connections, ctx.options.quick);
            details[`${path} c${connections}`] = { mxx: ours, bare: theirs };
            const target = path === '/jobs' && connections === 16 ? { target: atMost(ours.p99, 10, '≤ 10 ms') } : {};
            rows.push(
              row(`GET ${path}, ${connections} conn: req/s`, ours.rps, '/s', { baseline: 'bare node:http, same bytes', baselineValue: theirs.rps }),
              row(`GET ${path}, ${connections} conn: p99`, ours.p99, 'ms', {
                baseline: 'bare node:http',
                baselineValue: theirs.p99,
                note: `p50 ${ours.p50} ms, bare ${theirs.p50} ms${ours.errors ? `, ${ours.errors} errors` : ''}`,
                ...target,
              }),
            );
          }
        }
        details.bodyBytes = Object.fromEntries(paths.map((p) => [p, statSync(bodies[`/api/scheduler${p}`]!).size]));
      } finally {
        await bare.stop();
      }
    } finally {
      await server.dispose();
    }
    return { rows, details };
  },
};
