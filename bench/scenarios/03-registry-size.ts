/**
 * 3. Spawn cost vs registry size: dispatch latency (trigger → child started, from the run record)
 * with 10 and with 10 000 registered jobs. A fork copies the forking process's page tables, so it
 * costs more as that process grows; the pool-level rows show the fork from a worker thread against
 * the spawner process at the server's two sizes. The registry's own cost (issue #10, item 16): bytes
 * written for 10 000 registrations arriving as API requests would (8 in flight), and the time a
 * restarted registry takes to load them (registry.json plus the journal not yet compacted).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DispatchMode, PoolDispatchInput, PoolDispatchResult } from '../agents/pool-dispatch.js';
import { createRegistry } from '../../src/registry/index.js';
import type { RegistryEntry } from '../../src/records.js';
import { makeTempDir } from '../lib/home.js';
import { forkOrigin, jobDocument, jobId, lateness, runsOf, startMxxServer, trigger, waitForRunEnd, writeRegistry, dailyCron, type JobOptions } from '../lib/mxx.js';
import { rssMb, treeRssMb } from '../lib/linux-proc.js';
import { runAgent } from '../lib/procs.js';
import { atMost, row, type BenchContext, type Row, type Scenario } from '../lib/scenario.js';
import { summarize, type Summary } from '../lib/stats.js';
import { sleep } from '../lib/time.js';

export interface RegistrySizeRun {
  jobs: number;
  /** Who forked the commands in this server. */
  forkOrigin: string;
  startMs: number;
  rssMb: number | null;
  /** The server and its helpers (spawner processes), read with rssMb. */
  treeRssMb: number | null;
  dispatch: Summary;
}

export const REGISTRY_KEY = 'registry-size';

export interface RegistryWritesRun {
  registrations: number;
  bytesWritten: number;
  writes: number;
  /** registry.json after a compaction: what one whole-file rewrite per change cost each time. */
  registryBytes: number;
  /** A new registry object loading the files as left (journal not compacted), median of 3. */
  loadMs: number | null;
}

/** The registry alone, in-process: what N registrations cost on disk and what loading them costs. */
export async function measureRegistryWrites(registrations: number): Promise<RegistryWritesRun> {
  const file = join(makeTempDir('registry-writes'), 'registry.json');
  const registry = createRegistry({ file });
  await registry.load();
  const registeredAt = new Date().toISOString();
  const entryOf = (i: number): RegistryEntry => {
    const { config, schedule } = jobDocument({ cron: dailyCron(i), cmd: `echo job ${i}` });
    return { job_id: jobId('daily', i), config, schedule, source: 'api', registered_at: registeredAt, last_triggered: null, execution_count: 0, paused: false } as RegistryEntry;
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < registrations) await registry.set(entryOf(next++));
    }),
  );
  const { bytesWritten, writes } = registry;
  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await createRegistry({ file }).load();
    loads.push(performance.now() - started);
  }
  await registry.compact();
  return { registrations, bytesWritten, writes, registryBytes: statSync(file).size, loadMs: summarize(loads).p50 };
}

/** Whether the pool can fork from a spawner process (PoolOptions.spawner, workers/spawner.ts). */
export function spawnerAvailable(): boolean {
  return existsSync(fileURLToPath(new URL('../../workers/spawner.js', import.meta.url)));
}

async function measure(ctx: BenchContext, jobs: number, triggers: number): Promise<RegistrySizeRun> {
  const home = makeTempDir(`registry-${jobs}`);
  const list: Array<{ id: string; options: JobOptions }> = [{ id: 'probe', options: { cmd: 'true', lifetime: 30, history: triggers + 50 } }];
  for (let i = 1; i < jobs; i++) list.push({ id: jobId('daily', i), options: { cron: dailyCron(i), cmd: 'true' } });
  writeRegistry(home, list);
  ctx.log(`mxx: ${jobs} registered jobs, ${triggers} sequential triggers`);
  const server = await startMxxServer({ label: `registry-${jobs}`, home, verbose: ctx.options.verbose });
  try {
    await sleep(500);
    const rss = rssMb(server.pid);
    const treeRss = treeRssMb(server.pid);
    const origin = await forkOrigin(server);
    for (let i = 0; i < 10; i++) await waitForRunEnd(server, await trigger(server, 'probe'));
    const measured = new Set<string>();
    for (let i = 0; i < triggers; i++) {
      const runId = await trigger(server, 'probe');
      measured.add(runId);
      await waitForRunEnd(server, runId);
    }
    const late = (await runsOf(server, 'probe', triggers + 50))
      .filter((r) => measured.has(r.run_id))
      .map(lateness)
      .filter((l): l is number => l !== null);
    return { jobs, forkOrigin: origin, startMs: server.startMs, rssMb: rss, treeRssMb: treeRss, dispatch: summarize(late) };
  } finally {
    await server.dispose();
  }
}

export const registrySize: Scenario = {
  n: 3,
  id: 'registry',
  title: 'Spawn cost vs registry size',
  async run(ctx) {
    const triggers = ctx.pick(300, 40);
    // Quick: 1000 jobs (10 000 take seconds to load; see the memory scenario).
    const size = ctx.pick(10_000, 1000);
    const small = await measure(ctx, 10, triggers);
    const large = await measure(ctx, size, triggers);
    const big = size.toLocaleString('en').replace(',', ' ');
    ctx.log(`registry alone: ${big} registrations, 8 in flight`);
    const writes = await measureRegistryWrites(size);
    ctx.shared.set(REGISTRY_KEY, { small, large, writes });
    const rows: Row[] = [
      row(`dispatch p50, ${big} jobs (trigger → started; fork from ${large.forkOrigin})`, large.dispatch.p50, 'ms', {
        baseline: '10 jobs',
        baselineValue: small.dispatch.p50,
        target: atMost(large.dispatch.p50 !== null && small.dispatch.p50 ? large.dispatch.p50 / small.dispatch.p50 : null, 1.5, '≤ 1.5× 10 jobs'),
      }),
      row(`dispatch p99, ${big} jobs`, large.dispatch.p99, 'ms', { baseline: '10 jobs', baselineValue: small.dispatch.p99 }),
      row(`server RSS, ${big} jobs`, large.rssMb, 'MB', { baseline: '10 jobs', baselineValue: small.rssMb }),
      row(`server start, ${big} jobs in the registry`, large.startMs, 'ms', { baseline: '10 jobs', baselineValue: small.startMs }),
      row(`registry bytes written for ${big} registrations`, writes.bytesWritten / 1e6, 'MB', {
        baseline: 'registry.json size',
        baselineValue: writes.registryBytes / 1e6,
        target: atMost(writes.bytesWritten / writes.registryBytes, 10, '≤ 10× the registry'),
        note: `${writes.writes} fsynced writes (group commit); a whole-file rewrite per change wrote 3.8 GB`,
      }),
      row(`registry load, ${big} registrations (registry.json + journal)`, writes.loadMs, 'ms'),
    ];
    if (ctx.options.quick) return { rows, details: { small, large, writes } };
    // The same question at the pool level, where the fork's origin can be chosen: a fresh process
    // grown by the difference the jobs made, forking from the worker thread or from the spawner.
    const ballastMb = Math.max(0, Math.round((large.rssMb ?? 0) - (small.rssMb ?? 0)));
    const modes: DispatchMode[] = spawnerAvailable() ? ['piscina-thread', 'piscina-spawner'] : ['piscina-thread'];
    const pool: Record<string, PoolDispatchResult> = {};
    for (const ballast of [0, ballastMb]) {
      ctx.log(`pool, fork from ${modes.join(' / ')}, +${ballast} MB heap`);
      pool[`+${ballast}MB`] = await runAgent<PoolDispatchResult>('pool-dispatch', { modes, count: 300, ballastMb: ballast } satisfies PoolDispatchInput, { timeoutMs: 180_000 });
    }
    for (const mode of modes) {
      rows.push(
        row(`pool ${mode.replace('piscina-', 'fork from ')}: call → started p50, +${ballastMb} MB`, pool[`+${ballastMb}MB`]!.modes[mode]!.started.p50, 'ms', {
          baseline: 'same, +0 MB',
          baselineValue: pool['+0MB']!.modes[mode]!.started.p50,
        }),
      );
    }
    return {
      rows,
      details: { small, large, writes, ballastMb, pool },
      notes: spawnerAvailable() ? [] : ['the pool has no spawner process (workers/spawner.js missing): only forks from the worker thread were measured.'],
    };
  },
};
