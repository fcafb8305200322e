import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHistory, type History } from '../../src/history/index.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { toIsoLocal, type RunRecord, type RunStatus } from '../../src/records.js';
import { expectMxxError, waitFor } from '../_server.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-history-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-01T12:00:00Z');

/** Run `n` of a job, started n seconds after T0. */
function run(jobId: string, n: number, status: RunStatus = 'completed', extra: Partial<RunRecord> = {}): RunRecord {
  const started = T0 + n * 1000;
  const finished = status !== 'running' && status !== 'queued';
  return {
    run_id: `${jobId}-r${n}`,
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

function capture(): { logger: Logger; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return { logger: createLogger({ stream, level: 'debug' }), lines: () => text.split('\n').filter(Boolean) };
}

async function fresh(logger?: Logger, keep?: number): Promise<History> {
  const history = createHistory({ dir, ...(logger ? { logger } : {}) });
  await history.load(keep === undefined ? {} : { keep: () => keep });
  return history;
}

async function fileLines(jobId: string): Promise<string[]> {
  return (await readFile(join(dir, `${jobId}.jsonl`), 'utf8')).split('\n').filter(Boolean);
}

const ids = (records: RunRecord[]): string[] => records.map((r) => r.run_id);

describe('history', () => {
  it('starts empty without a folder', async () => {
    const history = createHistory({ dir: join(dir, 'missing') });
    await history.load();
    expect(history.list('a')).toEqual([]);
    expect(history.latest('a')).toBeUndefined();
    expect(history.count('a')).toBe(0);
    await history.flush();
  });

  it('reads back newest first, with a limit, by run id and latest', async () => {
    const history = await fresh();
    for (const n of [2, 0, 3, 1]) history.record(run('a', n));
    history.record(run('b', 9));
    // Visible before anything is written.
    expect(ids(history.list('a'))).toEqual(['a-r3', 'a-r2', 'a-r1', 'a-r0']);
    expect(ids(history.list('a', 2))).toEqual(['a-r3', 'a-r2']);
    expect(history.list('a', 0)).toEqual([]);
    expect(history.latest('a')?.run_id).toBe('a-r3');
    expect(history.get('b-r9')?.job_id).toBe('b');
    expect(history.count('a')).toBe(4);

    await history.flush();
    const again = await fresh();
    expect(ids(again.list('a'))).toEqual(['a-r3', 'a-r2', 'a-r1', 'a-r0']);
    expect(again.list('a')).toEqual(history.list('a'));
    expect(again.get('b-r9')).toEqual(run('b', 9));
  });

  it('breaks time ties by recording order', async () => {
    const history = await fresh();
    history.record(run('a', 1, 'skipped', { run_id: 'first' }));
    history.record(run('a', 1, 'skipped', { run_id: 'second' }));
    expect(ids(history.list('a'))).toEqual(['second', 'first']);
  });

  it('keeps the last line of a run: start and end are one record', async () => {
    const history = await fresh();
    history.record(run('a', 1, 'running'));
    expect(history.unfinished().map((r) => r.run_id)).toEqual(['a-r1']);
    history.record(run('a', 1, 'failed', { exit_code: 3 }));
    expect(history.count('a')).toBe(1);
    expect(history.get('a-r1')?.status).toBe('failed');
    await history.flush();
    expect(await fileLines('a')).toHaveLength(2);

    const again = await fresh();
    expect(again.count('a')).toBe(1);
    expect(again.get('a-r1')).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(again.unfinished()).toEqual([]);
  });

  it('lists unfinished runs (running and queued) across jobs, also after a restart', async () => {
    const history = await fresh();
    history.record(run('a', 1, 'running'));
    history.record(run('a', 2, 'completed'));
    history.record(run('b', 3, 'queued'));
    history.record(run('c', 4, 'interrupted'));
    const expected = ['a-r1', 'b-r3'];
    expect(ids(history.unfinished()).sort()).toEqual(expected);
    await history.flush();
    expect(ids((await fresh()).unfinished()).sort()).toEqual(expected);
  });

  it('keeps only the newest `keep` runs (default 100); evicted runs are gone from get', async () => {
    const history = await fresh();
    for (let n = 0; n < 150; n++) history.record(run('a', n));
    expect(history.count('a')).toBe(100);
    expect(history.get('a-r49')).toBeUndefined();
    expect(history.get('a-r50')).toBeDefined();
    history.record(run('a', 150), 10);
    expect(ids(history.list('a'))).toEqual(Array.from({ length: 10 }, (_, i) => `a-r${150 - i}`));
    expect(history.get('a-r140')).toBeUndefined();
  });

  it('never evicts a run that is still in progress', async () => {
    const history = await fresh();
    history.record(run('a', 0, 'running'), 2);
    for (let n = 1; n <= 5; n++) history.record(run('a', n), 2);
    expect(ids(history.list('a'))).toEqual(['a-r5', 'a-r0']);
    history.record(run('a', 0, 'completed'), 2);
    history.record(run('a', 6), 2);
    expect(ids(history.list('a'))).toEqual(['a-r6', 'a-r5']);
  });

  it('compacts the file: it shrinks and keeps the newest runs', async () => {
    const keep = 10;
    const history = await fresh();
    const sizes: number[] = [];
    for (let n = 0; n < 100; n++) {
      history.record(run('a', n, 'running'), keep);
      history.record(run('a', n), keep);
      await history.flush();
      sizes.push((await fileLines('a')).length);
    }
    // Never more than max(2×keep, keep+50) lines; the size drops when a compaction happens.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(60);
    expect(sizes.some((size, i) => i > 0 && size < sizes[i - 1]!)).toBe(true);
    expect(Math.min(...sizes.slice(40))).toBeGreaterThanOrEqual(keep);
    const newest = Array.from({ length: keep }, (_, i) => `a-r${99 - i}`);
    expect(ids(history.list('a'))).toEqual(newest);

    const again = await fresh(undefined, keep);
    expect(ids(again.list('a'))).toEqual(newest);
    expect(again.get('a-r0')).toBeUndefined();
    expect(await readdir(dir)).toEqual(['a.jsonl']);
  });

  it('tolerates a torn last line after a crash mid-append and keeps appending cleanly', async () => {
    const history = await fresh();
    for (let n = 1; n <= 3; n++) history.record(run('a', n));
    await history.flush();
    const sizeBefore = (await stat(join(dir, 'a.jsonl'))).size;
    await appendFile(join(dir, 'a.jsonl'), JSON.stringify(run('a', 4)).slice(0, 40));

    const log = capture();
    const again = await fresh(log.logger);
    expect(ids(again.list('a'))).toEqual(['a-r3', 'a-r2', 'a-r1']);
    expect(log.lines()).toHaveLength(1);
    expect(log.lines()[0]).toMatch(/WARN.*a\.jsonl.*line 4 \(torn last line\)/);
    expect((await stat(join(dir, 'a.jsonl'))).size).toBeGreaterThan(sizeBefore);

    // The next write rewrites the file from memory: the torn fragment is not left in the middle.
    again.record(run('a', 5));
    await again.flush();
    const log3 = capture();
    const third = await fresh(log3.logger);
    expect(ids(third.list('a'))).toEqual(['a-r5', 'a-r3', 'a-r2', 'a-r1']);
    expect(log3.lines()).toEqual([]);
    const lines = (await readFile(join(dir, 'a.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).run_id)).toEqual(['a-r1', 'a-r2', 'a-r3', 'a-r5']);
  });

  it('skips garbled lines and lines of another job with one warning per file', async () => {
    const history = await fresh();
    history.record(run('a', 1));
    await history.flush();
    await appendFile(join(dir, 'a.jsonl'), `garbage\n${JSON.stringify(run('b', 2))}\n${JSON.stringify(run('a', 3))}\n`);
    const log = capture();
    const again = await fresh(log.logger);
    expect(ids(again.list('a'))).toEqual(['a-r3', 'a-r1']);
    expect(again.get('b-r2')).toBeUndefined();
    expect(log.lines()).toHaveLength(1);
    expect(log.lines()[0]).toMatch(/skipped 2 unreadable line\(s\): line 2 \(not JSON.*line 3 \(not a run record of job a\)/);
  });

  it('clears a job in memory and on disk, dropping lines not yet written', async () => {
    const history = await fresh();
    for (let n = 0; n < 5; n++) history.record(run('a', n));
    history.record(run('b', 0));
    await history.flush();
    for (let n = 5; n < 8; n++) history.record(run('a', n));
    const cleared = history.clear('a');
    history.record(run('a', 100));
    expect(ids(history.list('a'))).toEqual(['a-r100']);
    expect(history.get('a-r1')).toBeUndefined();
    await cleared;
    await history.flush();
    expect((await fileLines('a')).map((line) => JSON.parse(line).run_id)).toEqual(['a-r100']);

    await history.clear('a');
    expect(history.count('a')).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['b.jsonl']);
    const again = await fresh();
    expect(again.count('a')).toBe(0);
    expect(again.count('b')).toBe(1);
  });

  it('validates job ids before building a path', async () => {
    const history = await fresh();
    expect(() => history.record(run('../etc', 1))).toThrowError(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    await expectMxxError(history.clear('a/b'), 'INVALID_REQUEST');
  });

  it('keeps the order of 200 concurrent runs of one job', async () => {
    const history = await fresh();
    const expected: string[] = [];
    const record = (rec: RunRecord): void => {
      expected.push(`${JSON.stringify(rec)}\n`);
      history.record(rec, 1000);
    };
    await Promise.all(
      Array.from({ length: 200 }, async (_, n) => {
        record(run('a', n, 'running'));
        for (let i = n % 7; i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
        record(run('a', n));
      }),
    );
    await history.flush();
    expect(await readFile(join(dir, 'a.jsonl'), 'utf8')).toBe(expected.join(''));

    const again = await fresh();
    expect(again.count('a')).toBe(200);
    expect(again.unfinished()).toEqual([]);
    expect(ids(again.list('a', 3))).toEqual(['a-r199', 'a-r198', 'a-r197']);
  });

  it('writes 1000 records across 50 jobs without losing or reordering lines', async () => {
    const history = await fresh();
    const expected = new Map<string, string[]>();
    await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const jobId = `job-${i % 50}`;
        const lines = expected.get(jobId) ?? [];
        expected.set(jobId, lines);
        const start = run(jobId, i, 'running');
        lines.push(`${JSON.stringify(start)}\n`);
        history.record(start);
        if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        const end = run(jobId, i, i % 2 ? 'failed' : 'completed');
        lines.push(`${JSON.stringify(end)}\n`);
        history.record(end);
      }),
    );
    await history.flush();
    for (const [jobId, lines] of expected) {
      expect(await readFile(join(dir, `${jobId}.jsonl`), 'utf8')).toBe(lines.join(''));
    }
    const again = await fresh();
    for (let j = 0; j < 50; j++) expect(again.count(`job-${j}`)).toBe(10);
    expect(again.unfinished()).toEqual([]);
    expect(again.get('job-7-r457')?.status).toBe('failed');
  });

  it('rejects flush when the folder cannot be written, and recovers on a later flush', async () => {
    const blocked = join(dir, 'blocked');
    await appendFile(blocked, 'a file where the folder should be');
    const history = createHistory({ dir: blocked });
    history.record(run('a', 1));
    history.record(run('a', 2));
    await expectMxxError(history.flush(), 'INTERNAL');
    expect(history.count('a')).toBe(2);
    await rm(blocked);
    await history.flush();
    const again = createHistory({ dir: blocked });
    await again.load();
    expect(ids(again.list('a'))).toEqual(['a-r2', 'a-r1']);
  });
});

describe('history start-up', () => {
  it('a compaction killed mid-way leaves the file readable; its temp file is removed at load', async () => {
    const history = await fresh();
    for (let n = 1; n <= 3; n++) history.record(run('a', n));
    await history.flush();
    const content = await readFile(join(dir, 'a.jsonl'), 'utf8');
    // What writeFileAtomic leaves when killed before its rename: a half-written temp file.
    const stale = join(dir, '.a.jsonl.999999999.0123456789ab.tmp');
    await writeFile(stale, content.slice(0, 50));
    const log = capture();
    const again = await fresh(log.logger);
    expect(ids(again.list('a'))).toEqual(['a-r3', 'a-r2', 'a-r1']);
    expect(await readdir(dir)).toEqual(['a.jsonl']);
    expect(await readFile(join(dir, 'a.jsonl'), 'utf8')).toBe(content);
    expect(log.lines().join('\n')).toContain(stale);
  });
});

describe('history on a full or read-only disk', () => {
  let mnt: string;
  let mounted = false;
  const why = 'skipped: mounting a tmpfs needs root (mount -t tmpfs was refused)';
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeAll(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'mxx-history-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    if (mounted) execFileSync('umount', [mnt], { stdio: 'ignore' });
    await rm(mnt, { recursive: true, force: true });
  });

  afterEach(async () => {
    expect(unhandled).toEqual([]);
    if (!mounted) return;
    execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'ignore' });
    for (const name of await readdir(mnt)) await rm(join(mnt, name), { recursive: true, force: true });
  });

  const big = (jobId: string, n: number): RunRecord => run(jobId, n, 'completed', { error: 'x'.repeat(800) });
  const onDisk = (jobId: string): string[] => {
    try {
      return readFileSync(join(mnt, `${jobId}.jsonl`), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  it('full disk (ENOSPC): runs stay in memory, one WARN per episode, and the files catch up by themselves', async (ctx) => {
    if (!mounted) ctx.skip(why);
    const log = capture();
    const history = createHistory({ dir: mnt, logger: log.logger, retryMs: 20 });
    await history.load();
    history.record(run('a', 0));
    await history.flush();
    const filler = join(mnt, 'filler');
    await writeFile(filler, Buffer.alloc(128 * 1024)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });

    for (let n = 1; n <= 10; n++) {
      history.record(big('a', n));
      history.record(big('b', n));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(history.flush()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('.jsonl') });
    expect(history.count('a')).toBe(11);
    expect(history.count('b')).toBe(10);
    expect(history.writeErrors).toBeGreaterThanOrEqual(1);
    // Let the retries fail a few more times: still one line.
    const errorsBefore = history.writeErrors;
    expect(await waitFor(() => history.writeErrors > errorsBefore + 2, 10_000), `writeErrors ${history.writeErrors}, a ${onDisk("a").length}, b ${onDisk("b").length}`).toBe(true);
    const warnings = log.lines().filter((line) => / (WARN|ERROR) /.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/WARN .*ENOSPC/);

    await rm(filler);
    // No new record, no flush: the retry timer rewrites both files.
    expect(await waitFor(() => onDisk('a').length === 11 && onDisk('b').length === 10, 10_000)).toBe(true);
    expect(log.lines().some((line) => / INFO .*history.*again/.test(line))).toBe(true);
    await history.flush();
    const again = createHistory({ dir: mnt });
    await again.load();
    expect(again.count('a')).toBe(11);
    expect(again.get('b-r10')?.status).toBe('completed');
  });

  it('read-only disk (EROFS): records and compactions fail quietly, and the history recovers after remount rw', async (ctx) => {
    if (!mounted) ctx.skip(why);
    const log = capture();
    const history = createHistory({ dir: mnt, logger: log.logger, retryMs: 20 });
    await history.load();
    for (let n = 0; n < 5; n++) history.record(run('a', n), 3);
    await history.flush();
    execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'ignore' });
    // Enough records to need a compaction as well.
    for (let n = 5; n < 60; n++) history.record(run('a', n), 3);
    await expectMxxError(history.flush(), 'INTERNAL');
    expect(ids(history.list('a'))).toEqual(['a-r59', 'a-r58', 'a-r57']);
    expect(log.lines().filter((line) => / (WARN|ERROR) /.test(line))).toHaveLength(1);

    execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'ignore' });
    expect(await waitFor(() => onDisk('a').some((line) => line.includes('a-r59')), 10_000)).toBe(true);
    await history.flush();
    const again = createHistory({ dir: mnt });
    await again.load({ keep: () => 3 });
    expect(ids(again.list('a'))).toEqual(['a-r59', 'a-r58', 'a-r57']);
  });
});
