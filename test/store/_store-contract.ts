/**
 * One contract for every Store implementation: the registry and the history behave as the files
 * store does. `open()` opens the store on the same backing (folder or database) each time, so a
 * second open is a server restart.
 */
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_HISTORY_KEEP } from '../../src/job/defaults.js';
import { toIsoLocal, type RegistryEntry, type RunRecord, type RunStatus } from '../../src/records.js';
import type { Store } from '../../src/store/index.js';
import { expectMxxError } from '../_server.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

export function entry(id: string, extra: Partial<RegistryEntry> = {}): RegistryEntry {
  return {
    job_id: id,
    config: { command: { run: `echo ${id}` } },
    schedule: { cron: '* * * * *' },
    source: 'api',
    registered_at: '2026-01-02T03:04:05.000+01:00',
    last_triggered: null,
    execution_count: 0,
    paused: false,
    ...extra,
  };
}

/** Six hex digits from the job id, so runs of different jobs get different mxx-style ids. */
const tagOf = (jobId: string): string => ([...jobId].reduce((sum, ch) => (sum * 31 + ch.charCodeAt(0)) % 0xffffff, 7) >>> 0).toString(16).padStart(6, '0');

/** Run `n` of a job, started n seconds after T0. */
export function run(jobId: string, n: number, status: RunStatus = 'completed', extra: Partial<RunRecord> = {}): RunRecord {
  const started = T0 + n * 1000;
  const finished = status !== 'running' && status !== 'queued';
  return {
    run_id: `${(T0 + n * 1000).toString(36).padStart(8, '0')}-${n.toString(36).padStart(4, '0')}${tagOf(jobId)}`,
    job_id: jobId,
    trigger: 'schedule',
    scheduled_at: toIsoLocal(started),
    started_at: status === 'queued' ? null : toIsoLocal(started),
    ended_at: finished ? toIsoLocal(started + 500) : null,
    status,
    exit_code: status === 'completed' ? 0 : null,
    signal: null,
    pid: status === 'queued' ? null : 1000 + n,
    duration_ms: finished ? 500 : null,
    error: null,
    attempt: 0,
    ...extra,
  };
}

const ids = (records: RunRecord[]): string[] => records.map((r) => r.run_id);

export function storeContract(open: () => Promise<Store>): void {
  const opened: Store[] = [];
  /** A fresh open with registry and history loaded: what a (re)started server sees. */
  async function started(keep?: number): Promise<Store> {
    const store = await open();
    opened.push(store);
    await store.registry.load();
    await store.history.load(keep === undefined ? {} : { keep: () => keep });
    return store;
  }

  afterEach(async () => {
    for (const store of opened.splice(0)) {
      await store.history.flush().catch(() => undefined);
      await store.close();
    }
  });

  it('registry: set, get, list in insertion order (a replaced entry keeps its place), and after a restart', async () => {
    const { registry } = await started();
    await registry.set(entry('b'));
    await registry.set(entry('a', { source: 'file', file: '/jobs/a.toml', schedule: null }));
    await registry.set(entry('c', { load_error: 'a.toml:3:1 bad' }));
    await registry.set(entry('b', { execution_count: 7 }));
    expect(registry.list().map((e) => e.job_id)).toEqual(['b', 'a', 'c']);
    expect(registry.get('b')?.execution_count).toBe(7);
    await registry.flush();
    await registry.compact();

    const again = (await started()).registry;
    expect(again.list()).toEqual(registry.list());
    expect(again.list().map((e) => e.job_id)).toEqual(['b', 'a', 'c']);
    expect(again.get('a')?.schedule).toBeNull();
    expect(again.get('c')?.load_error).toBe('a.toml:3:1 bad');
    expect(again.has('c')).toBe(true);
    expect(again.size).toBe(3);
  });

  it('registry: update removes fields patched to undefined, unknown ids are JOB_NOT_FOUND, delete says whether it removed', async () => {
    const { registry } = await started();
    await registry.set(entry('a', { load_error: 'broken' }));
    const updated = await registry.update('a', { execution_count: 2, last_triggered: '2026-01-02T03:04:06.000+01:00', load_error: undefined });
    expect(updated.execution_count).toBe(2);
    expect('load_error' in updated).toBe(false);
    expect(registry.get('a')).toBe(updated);
    await expectMxxError(registry.update('zz', { paused: true }), 'JOB_NOT_FOUND');
    expect((await started()).registry.get('a')).toEqual(updated);
    expect(await registry.delete('a')).toBe(true);
    expect(await registry.delete('a')).toBe(false);
    expect(registry.has('a')).toBe(false);
    expect((await started()).registry.size).toBe(0);
  });

  it('registry: a job deleted and registered again goes last; invalid ids are refused; the stored entry is a copy', async () => {
    const { registry } = await started();
    for (const id of ['a', 'b', 'c']) await registry.set(entry(id));
    await registry.delete('a');
    const mine = entry('a');
    await registry.set(mine);
    mine.execution_count = 5;
    expect(registry.get('a')?.execution_count).toBe(0);
    expect((await started()).registry.list().map((e) => e.job_id)).toEqual(['b', 'c', 'a']);
    await expectMxxError(registry.set(entry('../evil')), 'INVALID_REQUEST');
  });

  it('registry: changes made without awaiting apply in call order', async () => {
    const { registry } = await started();
    const changes = [registry.set(entry('a')), registry.update('a', { paused: true }), registry.set(entry('b')), registry.delete('b'), registry.update('a', { execution_count: 3 })];
    await registry.flush();
    await Promise.all(changes);
    expect(registry.list().map((e) => [e.job_id, e.paused, e.execution_count])).toEqual([['a', true, 3]]);
    expect((await started()).registry.list()).toEqual(registry.list());
  });

  it('history: record, get, list newest first with a limit, latest, count; start and end of a run are one record', async () => {
    const { history } = await started();
    history.record(run('a', 1));
    history.record(run('a', 3, 'failed'));
    history.record(run('a', 2));
    history.record(run('b', 1, 'running'));
    history.record({ ...run('b', 1), status: 'completed' });
    expect(ids(history.list('a'))).toEqual([run('a', 3).run_id, run('a', 2).run_id, run('a', 1).run_id]);
    expect(ids(history.list('a', 2))).toEqual([run('a', 3).run_id, run('a', 2).run_id]);
    expect(history.latest('a')?.status).toBe('failed');
    expect(history.get(run('b', 1).run_id)?.status).toBe('completed');
    expect(history.count('a')).toBe(3);
    expect(history.count('b')).toBe(1);
    expect(history.list('none')).toEqual([]);
    await history.flush();

    const again = (await started()).history;
    expect(again.list('a')).toEqual(history.list('a'));
    expect(again.get(run('b', 1).run_id)).toEqual({ ...run('b', 1), status: 'completed' });
    expect(again.latest('a')).toEqual(run('a', 3, 'failed'));
  });

  it('history: equal times keep recording order, also after a restart', async () => {
    const { history } = await started();
    const first = run('a', 5, 'completed', { run_id: 'zz-first' });
    const second = run('a', 5, 'completed', { run_id: 'aa-second' });
    history.record(first);
    history.record(second);
    expect(ids(history.list('a'))).toEqual(['aa-second', 'zz-first']);
    await history.flush();
    expect(ids((await started()).history.list('a'))).toEqual(['aa-second', 'zz-first']);
  });

  it('history: unfinished lists running and queued runs across jobs, also after a restart', async () => {
    const { history } = await started();
    history.record(run('a', 1, 'running'));
    history.record(run('b', 2, 'queued'));
    history.record(run('c', 3));
    const expected = [run('a', 1).run_id, run('b', 2).run_id].sort();
    expect(ids(history.unfinished()).sort()).toEqual(expected);
    await history.flush();
    expect(ids((await started()).history.unfinished()).sort()).toEqual(expected);
  });

  it('history: keeps the newest `keep` finished runs, never drops one in progress, also after a restart', async () => {
    const { history } = await started();
    history.record(run('a', 0, 'running'), 3);
    for (let n = 1; n <= 6; n++) history.record(run('a', n), 3);
    expect(ids(history.list('a'))).toEqual([6, 5, 0].map((n) => run('a', n).run_id));
    expect(history.get(run('a', 1).run_id)).toBeUndefined();
    await history.flush();
    const again = (await started(3)).history;
    expect(ids(again.list('a'))).toEqual([6, 5, 0].map((n) => run('a', n).run_id));
  });

  it('history: load trims to the keep it is given, and without one keeps what is stored', async () => {
    const { history } = await started();
    for (let n = 1; n <= 5; n++) history.record(run('a', n), 10);
    await history.flush();
    expect((await started()).history.count('a')).toBe(5);
    const trimmed = (await started(2)).history;
    expect(ids(trimmed.list('a'))).toEqual([5, 4].map((n) => run('a', n).run_id));
    expect(DEFAULT_HISTORY_KEEP).toBeGreaterThan(5);
  });

  it('history: clear forgets a job in memory and in storage, other jobs stay', async () => {
    const { history } = await started();
    for (let n = 1; n <= 3; n++) history.record(run('a', n));
    history.record(run('b', 1));
    // Not awaited before the clear: records not yet written must not come back.
    await history.clear('a');
    expect(history.count('a')).toBe(0);
    expect(history.get(run('a', 1).run_id)).toBeUndefined();
    expect(history.latest('a')).toBeUndefined();
    history.record(run('a', 9));
    await history.flush();
    const again = (await started()).history;
    expect(ids(again.list('a'))).toEqual([run('a', 9).run_id]);
    expect(again.count('b')).toBe(1);
  });

  it('history: recent pages across jobs newest first by run id, filtered by job and status', async () => {
    const { history } = await started();
    for (let n = 1; n <= 4; n++) history.record(run('a', n * 2));
    for (let n = 1; n <= 4; n++) history.record(run('b', n * 2 + 1, n === 4 ? 'failed' : 'completed'));
    const first = history.recent({ limit: 3 });
    expect(ids(first.runs)).toEqual([run('b', 9).run_id, run('a', 8).run_id, run('b', 7).run_id]);
    expect(first.more).toBe(true);
    const next = history.recent({ limit: 10, before: first.runs.at(-1)!.run_id });
    expect(next.runs).toHaveLength(5);
    expect(next.more).toBe(false);
    expect(ids(history.recent({ limit: 10, statuses: ['failed'] }).runs)).toEqual([run('b', 9).run_id]);
    expect(history.recent({ limit: 10, jobs: ['a'] }).runs.every((r) => r.job_id === 'a')).toBe(true);
    await history.flush();
    expect((await started()).history.recent({ limit: 3 })).toEqual(first);
  });

  it('history: refuses an invalid job id before storing anything', async () => {
    const { history } = await started();
    expect(() => history.record(run('../evil', 1))).toThrow();
    expect(history.unfinished()).toEqual([]);
  });

  it('status names the kind and says it is connected', async () => {
    const store = await started();
    expect(store.status()).toMatchObject({ kind: store.kind, connected: true });
  });
}
