/** History.recent: the cross-job page (k-way merge by run id), with the filters that prune jobs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHistory, type History } from '../../src/history/index.js';
import { runIdTime } from '../../src/history/recent.js';
import { toIsoLocal, type RunRecord, type RunStatus } from '../../src/records.js';
import { createRunId } from '../../src/supervisor/run-id.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
let dir: string;
let history: History;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-recent-'));
  history = createHistory({ dir });
});

afterEach(async () => {
  await history.flush();
  await rm(dir, { recursive: true, force: true });
});

function rec(jobId: string, at: number, status: RunStatus = 'completed', runId = createRunId(at)): RunRecord {
  return {
    run_id: runId,
    job_id: jobId,
    trigger: 'schedule',
    scheduled_at: toIsoLocal(at),
    started_at: status === 'queued' ? null : toIsoLocal(at),
    ended_at: status === 'running' || status === 'queued' ? null : toIsoLocal(at + 10),
    status,
    exit_code: null,
    signal: null,
    pid: null,
    duration_ms: null,
    error: null,
    attempt: 0,
  };
}

const ids = (runs: RunRecord[]): string[] => runs.map((r) => r.run_id);

describe('History.recent', () => {
  it('merges jobs newest first by run id, and pages by key from an id that is gone', () => {
    const all: RunRecord[] = [];
    for (let i = 0; i < 30; i++) all.push(rec(`job${i % 4}`, T0 + i * 1000));
    // Recorded out of order: the order comes from the ids, not from when they were recorded.
    for (const r of [...all].reverse()) history.record(r);
    const expected = ids(all).reverse();
    expect(ids(history.recent({ limit: 100 }).runs)).toEqual(expected);
    const page = history.recent({ limit: 7 });
    expect(page).toMatchObject({ more: true });
    expect(ids(page.runs)).toEqual(expected.slice(0, 7));
    // A cursor is a key: the run it names may have been trimmed since.
    const gone = createRunId(T0 + 10_500);
    expect(ids(history.recent({ limit: 100, before: gone }).runs)).toEqual(expected.filter((id) => id < gone));
    expect(history.recent({ limit: 3, before: expected[26]! })).toEqual({ runs: all.slice(0, 3).reverse(), more: false });
  });

  it('filters by status on the current record, and leaves out jobs with no such run', () => {
    const queued = rec('a', T0, 'queued');
    history.record(queued);
    history.record(rec('b', T0 + 1000, 'failed'));
    history.record(rec('c', T0 + 2000, 'completed'));
    // The live record of the queued run says it runs now.
    const live = (r: RunRecord): RunRecord => (r.run_id === queued.run_id ? { ...r, status: 'running' } : r);
    expect(ids(history.recent({ limit: 10, statuses: ['running'] }, live).runs)).toEqual([queued.run_id]);
    expect(history.recent({ limit: 10, statuses: ['queued'] }, live).runs).toEqual([]);
    expect(history.recent({ limit: 10, statuses: ['timed_out'] }).runs).toEqual([]);
    // A status change moves the run between the counts.
    history.record({ ...queued, status: 'timed_out', ended_at: toIsoLocal(T0 + 5) });
    expect(ids(history.recent({ limit: 10, statuses: ['timed_out', 'failed'] }).runs)).toHaveLength(2);
    expect(history.recent({ limit: 10, statuses: ['queued', 'running'] }).runs).toEqual([]);
  });

  it('trimmed and cleared runs leave the counts and the page', async () => {
    for (let i = 0; i < 5; i++) history.record(rec('t', T0 + i, i === 0 ? 'failed' : 'completed'), 3);
    expect(history.recent({ limit: 10 }).runs).toHaveLength(3);
    expect(history.recent({ limit: 10, statuses: ['failed'] }).runs).toEqual([]);
    await history.clear('t');
    expect(history.recent({ limit: 10 }).runs).toEqual([]);
    expect(history.recent({ limit: 10, statuses: ['completed'] }).runs).toEqual([]);
  });

  it('since: runs created at or after it; ids mxx did not mint go by their record time', () => {
    const old = rec('a', T0);
    const recent = rec('a', T0 + 60_000);
    const foreignNew = rec('b', T0 + 60_000, 'completed', 'imported-new');
    const foreignOld = rec('b', T0, 'completed', 'imported-old');
    for (const r of [old, recent, foreignNew, foreignOld]) history.record(r);
    expect(runIdTime(recent.run_id)).toBe(T0 + 60_000);
    expect(runIdTime('imported-new')).toBeNaN();
    const found = ids(history.recent({ limit: 10, since: T0 + 30_000 }).runs);
    expect(found.sort()).toEqual([recent.run_id, 'imported-new'].sort());
    expect(ids(history.recent({ limit: 10, since: T0 + 60_000, jobs: ['a'] }).runs)).toEqual([recent.run_id]);
  });
});
