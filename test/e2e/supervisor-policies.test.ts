/**
 * Overlap policies, groups, the concurrency queue, retries and misfires, end to end with the real
 * pool and real processes. Every wait is on a condition, never a fixed sleep; the rules themselves
 * (delays, order, limits) are tested fast in test/unit/policy, run-engine and dispatch.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJobDocument } from '../../src/job/parse.js';
import { silentLogger } from '../../src/logger.js';
import { resolvePaths } from '../../src/paths.js';
import { toIsoLocal, type RunRecord } from '../../src/records.js';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/supervisor/index.js';
import { waitFor } from '../_server.js';

let supervisor: Supervisor | null = null;
let home: string | null = null;

async function start(options: Partial<SupervisorOptions> = {}, before?: (home: string) => Promise<void>): Promise<Supervisor> {
  home = await mkdtemp(join(tmpdir(), 'mxx-sup-'));
  await before?.(home);
  supervisor = createSupervisor({ paths: resolvePaths({ home }), logger: silentLogger, pool: { threads: 1 }, ...options });
  await supervisor.start();
  return supervisor;
}

afterEach(async () => {
  await supervisor?.close();
  supervisor = null;
  if (home) await rm(home, { recursive: true, force: true });
  home = null;
});

async function register(sup: Supervisor, id: string, doc: Record<string, unknown>): Promise<void> {
  await sup.register(parseJobDocument(doc, { id, source: 'test' }), { source: 'api', replace: true });
}

const fireSchedule = (sup: Supervisor, id: string) => sup.fire(id, { trigger: 'schedule', scheduledAt: Date.now(), attempt: 0 });

/** The job's runs, newest first. */
const runsOf = (sup: Supervisor, id: string): RunRecord[] => sup.runs(id, { limit: 1000 });

async function settled(sup: Supervisor, id: string, count: number, timeoutMs = 15_000): Promise<RunRecord[]> {
  return waitFor(
    () => {
      const runs = runsOf(sup, id);
      return runs.length >= count && runs.every((r) => r.status !== 'running' && r.status !== 'queued') ? runs : null;
    },
    timeoutMs,
    `${count} finished runs of ${id}`,
  );
}

const t = (iso: string | null): number => Date.parse(iso ?? 'x');

/** The largest number of runs whose [started, ended] intervals overlap at one instant. */
function maxConcurrent(runs: RunRecord[]): number {
  const points = runs
    .filter((r) => r.started_at && r.ended_at)
    .flatMap((r) => [
      [t(r.started_at), 1],
      [t(r.ended_at), -1],
    ])
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (now += d!));
  return max;
}

describe('overlap policies', () => {
  it('skip (default) records a skipped run while the job runs', async () => {
    const sup = await start();
    await register(sup, 's', { os: { cmd: 'sleep 0.5' } });
    expect(fireSchedule(sup, 's').kind).toBe('started');
    const second = fireSchedule(sup, 's');
    expect(second.kind).toBe('skipped');
    const runs = await settled(sup, 's', 2);
    expect(runs.map((r) => r.status).sort()).toEqual(['completed', 'skipped']);
    expect(runs.find((r) => r.status === 'skipped')!.error).toMatch(/already running/);
  });

  it('queue runs one fire right after the current one, and skips beyond that', async () => {
    const sup = await start();
    await register(sup, 'q', { os: { cmd: 'sleep 0.4' }, policy: { overlap: 'queue' } });
    expect(fireSchedule(sup, 'q').kind).toBe('started');
    expect(fireSchedule(sup, 'q').kind).toBe('queued');
    expect(fireSchedule(sup, 'q').kind).toBe('skipped');
    const runs = await settled(sup, 'q', 3);
    const done = runs.filter((r) => r.status === 'completed').sort((a, b) => t(a.started_at) - t(b.started_at));
    expect(done).toHaveLength(2);
    expect(t(done[1]!.started_at)).toBeGreaterThanOrEqual(t(done[0]!.ended_at));
    expect(runs.filter((r) => r.status === 'skipped')).toHaveLength(1);
  });

  it('replace stops the current run and starts the new one after it ended', async () => {
    const sup = await start();
    await register(sup, 'r', { os: { cmd: 'sleep 5' }, lifetime: { grace: 1 }, policy: { overlap: 'replace' } });
    const first = fireSchedule(sup, 'r');
    if (first.kind !== 'started') throw new Error(`the first fire was ${first.kind}`);
    await waitFor(() => sup.run(first.runId).pid, 5000, 'first pid');
    const second = fireSchedule(sup, 'r');
    expect(second.kind).toBe('started');
    await waitFor(() => sup.run(first.runId).status === 'cancelled', 5000, 'first cancelled');
    const old = sup.run(first.runId);
    expect(old.error).toMatch(/replaced by run/);
    await sup.stop('r');
    const runs = await settled(sup, 'r', 2);
    expect(maxConcurrent(runs)).toBe(1);
  });

  it('allow runs concurrently up to max_instances', async () => {
    const sup = await start();
    await register(sup, 'a', { os: { cmd: 'sleep 0.5' }, policy: { overlap: 'allow', max_instances: 2 } });
    const kinds = [fireSchedule(sup, 'a'), fireSchedule(sup, 'a'), fireSchedule(sup, 'a')].map((o) => o.kind);
    expect(kinds).toEqual(['started', 'started', 'skipped']);
    const runs = await settled(sup, 'a', 3);
    expect(maxConcurrent(runs.filter((r) => r.status === 'completed'))).toBe(2);
    expect(runs.find((r) => r.status === 'skipped')!.error).toMatch(/max_instances \(2\)/);
  });

  it('a group never runs two members at once', async () => {
    const sup = await start();
    await register(sup, 'g1', { os: { cmd: 'sleep 0.4' }, policy: { group: 'backups' } });
    await register(sup, 'g2', { os: { cmd: 'sleep 0.2' }, policy: { group: 'backups' } });
    await register(sup, 'g3', { os: { cmd: 'sleep 0.2' }, policy: { group: 'backups', overlap: 'queue' } });
    expect(fireSchedule(sup, 'g1').kind).toBe('started');
    const skipped = fireSchedule(sup, 'g2');
    expect(skipped.kind).toBe('skipped');
    expect(skipped.kind === 'skipped' && skipped.reason).toMatch(/group "backups" is busy/);
    expect(fireSchedule(sup, 'g3').kind).toBe('queued');
    const g1 = (await settled(sup, 'g1', 1))[0]!;
    const g3 = (await settled(sup, 'g3', 1))[0]!;
    expect(g3.status).toBe('completed');
    expect(t(g3.started_at)).toBeGreaterThanOrEqual(t(g1.ended_at));
    expect(runsOf(sup, 'g2')[0]!.status).toBe('skipped');
  });
});

describe('concurrency limit', () => {
  it('never runs more than the limit and starts waiting runs in fire order', async () => {
    const sup = await start({ maxConcurrency: 3 });
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    for (const id of ids) await register(sup, id, { os: { cmd: 'sleep 0.2' } });
    for (const id of ids) sup.trigger(id);
    expect(sup.queuedCount).toBe(7);
    const runs: RunRecord[] = [];
    for (const id of ids) runs.push(...(await settled(sup, id, 1)));
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    expect(maxConcurrent(runs)).toBeLessThanOrEqual(3);
    // The first three start together; after that, waiting runs are handed out in fire order. Runs
    // handed out in the same turn go to different threads (each with its own spawner), so their
    // start instants may cross by a millisecond or two: a later fire never starts clearly earlier.
    const startOf = new Map(runs.map((r) => [r.job_id, t(r.started_at)]));
    for (let i = 3; i < ids.length - 1; i++) {
      expect(startOf.get(ids[i + 1]!)!, `${ids[i + 1]} started before ${ids[i]}`).toBeGreaterThanOrEqual(startOf.get(ids[i]!)! - 5);
    }
    for (const late of ids.slice(3)) expect(startOf.get(late)!).toBeGreaterThanOrEqual(Math.min(...ids.slice(0, 3).map((id) => startOf.get(id)!)));
  });

  it('200 concurrent runs on one thread all complete and are recorded', async () => {
    const sup = await start({ maxConcurrency: 500 });
    // Each run lasts until the test releases it (SIGUSR1 to its group), so all 200 are in flight
    // at once however slowly the machine spawns them.
    await register(sup, 'many', { os: { cmd: "trap 'exit 0' USR1; sleep 30" }, policy: { overlap: 'allow', max_instances: 200, history: 300 } });
    const started = Array.from({ length: 200 }, () => fireSchedule(sup, 'many'));
    expect(started.every((o) => o.kind === 'started')).toBe(true);
    const pids = await waitFor(
      () => {
        const known = started.map((o) => (o.kind === 'started' ? sup.run(o.runId).pid : null));
        return known.every((pid) => pid !== null) ? (known as number[]) : null;
      },
      60_000,
      'all 200 runs to start',
    );
    expect(sup.runningCount).toBe(200);
    for (const pid of pids) process.kill(-pid, 'SIGUSR1');
    const runs = await settled(sup, 'many', 200, 60_000);
    expect(runs).toHaveLength(200);
    expect(runs.every((r) => r.status === 'completed' && r.exit_code === 0)).toBe(true);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(200);
    expect(maxConcurrent(runs)).toBe(200);
  });
});

describe('retries and lifetime', () => {
  it('retries a failed run with a doubling delay', async () => {
    const sup = await start();
    await register(sup, 'flaky', { os: { cmd: 'exit 3' }, policy: { retries: 2, retry_delay: 0.2 } });
    sup.trigger('flaky');
    const runs = (await settled(sup, 'flaky', 3)).reverse();
    expect(runs.map((r) => [r.trigger, r.attempt, r.status, r.exit_code])).toEqual([
      ['manual', 0, 'failed', 3],
      ['retry', 1, 'failed', 3],
      ['retry', 2, 'failed', 3],
    ]);
    // A retry never starts before its delay has passed (lower bounds only: a slow machine cannot
    // break them; the doubling itself is tested on a fake clock in test/unit/run-engine.test.ts).
    expect(t(runs[1]!.started_at) - t(runs[0]!.ended_at)).toBeGreaterThanOrEqual(190);
    expect(t(runs[2]!.started_at) - t(runs[1]!.ended_at)).toBeGreaterThanOrEqual(390);
    // That the last attempt arms no further retry is tested on a fake clock (run-engine.test.ts).
  });

  it('a run past its lifetime is timed out and retried when asked', async () => {
    const sup = await start();
    await register(sup, 'slow', { os: { cmd: 'sleep 10' }, lifetime: { lifetime: 0.3, grace: 0.2 }, policy: { retries: 1, retry_delay: 0 } });
    sup.trigger('slow');
    const runs = await settled(sup, 'slow', 2);
    expect(runs.map((r) => r.status)).toEqual(['timed_out', 'timed_out']);
    for (const run of runs) {
      expect(run.error).toMatch(/lifetime/);
      // Ended by its lifetime, long before `sleep 10` would have.
      expect(run.duration_ms).toBeGreaterThanOrEqual(290);
      expect(run.duration_ms).toBeLessThan(10_000);
    }
  });
});

describe('misfires after downtime', () => {
  it('runs the newest missed fire once within misfire_grace_time and records older ones as missed', async () => {
    const hour = 3600_000;
    const registeredAt = Date.now() - 3.5 * hour;
    const sup = await start({}, async (dir) => {
      await mkdir(join(dir, 'server'), { recursive: true });
      const entry = (job_id: string, grace: number) => ({
        job_id,
        config: { os: { cmd: 'true' }, policy: { misfire_grace_time: grace } },
        schedule: { trigger: 'interval', hours: 1 },
        source: 'api',
        registered_at: toIsoLocal(registeredAt),
        last_triggered: null,
        execution_count: 0,
        paused: false,
      });
      await writeFile(
        join(dir, 'server', 'registry.json'),
        JSON.stringify({ version: 1, entries: [entry('coalesce', 3600), entry('strict', 60)] }),
      );
    });
    const runs = await settled(sup, 'coalesce', 2);
    const ran = runs.find((r) => r.status === 'completed')!;
    expect(t(ran.scheduled_at)).toBe(registeredAt + 3 * hour);
    const missed = runs.find((r) => r.status === 'missed')!;
    expect(missed.error).toMatch(/^2 fire\(s\) missed/);
    expect(t(missed.scheduled_at)).toBe(registeredAt + 2 * hour);
    const strict = runsOf(sup, 'strict');
    expect(strict.map((r) => r.status)).toEqual(['missed']);
    expect(strict[0]!.error).toMatch(/^3 fire\(s\) missed/);
    expect(t(strict[0]!.scheduled_at)).toBe(registeredAt + 3 * hour);
    expect(sup.job('strict').nextFire).toBe(registeredAt + 4 * hour);
  });

  it('does not count the same missed fires again at the next start', async () => {
    const hour = 3600_000;
    const registeredAt = Date.now() - 2.5 * hour;
    const write = async (dir: string): Promise<void> => {
      await mkdir(join(dir, 'server'), { recursive: true });
      await writeFile(
        join(dir, 'server', 'registry.json'),
        JSON.stringify({
          version: 1,
          entries: [
            {
              job_id: 'twice',
              config: { os: { cmd: 'true' } },
              schedule: { trigger: 'interval', hours: 1 },
              source: 'api',
              registered_at: toIsoLocal(registeredAt),
              last_triggered: null,
              execution_count: 0,
              paused: false,
            },
          ],
        }),
      );
    };
    const first = await start({}, write);
    expect(runsOf(first, 'twice').map((r) => r.error)).toEqual([expect.stringMatching(/^2 fire\(s\) missed/)]);
    await first.close();
    const again = createSupervisor({ paths: resolvePaths({ home: home! }), logger: silentLogger, pool: { threads: 1 } });
    supervisor = again;
    await again.start();
    expect(runsOf(again, 'twice')).toHaveLength(1);
  });
});
