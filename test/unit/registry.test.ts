import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MxxError } from '../../src/errors.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { RegistryEntry } from '../../src/records.js';
import { createRegistry } from '../../src/registry/index.js';
import { expectMxxError } from '../_server.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-registry-'));
  file = join(dir, 'registry.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(id: string, extra: Partial<RegistryEntry> = {}): RegistryEntry {
  return {
    job_id: id,
    config: { os: { cmd: `echo ${id}` }, lifetime: { lifetime: 60 } },
    schedule: { trigger: 'interval', seconds: 30 },
    source: 'api',
    registered_at: '2026-01-02T03:04:05.000+01:00',
    last_triggered: null,
    execution_count: 0,
    paused: false,
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

async function reloaded(logger?: Logger) {
  const registry = createRegistry({ file, ...(logger ? { logger } : {}) });
  await registry.load();
  return registry;
}

describe('registry', () => {
  it('starts empty when the file is missing', async () => {
    const registry = await reloaded();
    expect(registry.size).toBe(0);
    expect(registry.list()).toEqual([]);
    await registry.flush();
    expect(await readdir(dir)).toEqual([]);
  });

  it('round-trips entries in insertion order', async () => {
    const registry = await reloaded();
    await registry.set(entry('b'));
    await registry.set(entry('a', { source: 'file', file: '/jobs/a.toml', schedule: null }));
    await registry.set(entry('c', { load_error: 'a.toml:3:1 bad' }));
    await registry.set(entry('b', { execution_count: 7 }));
    await registry.compact();

    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document.version).toBe(1);
    expect(document.entries.map((e: RegistryEntry) => e.job_id)).toEqual(['b', 'a', 'c']);

    const again = await reloaded();
    expect(again.list()).toEqual(registry.list());
    expect(again.get('b')?.execution_count).toBe(7);
    expect(again.get('a')?.schedule).toBeNull();
    expect(again.has('c')).toBe(true);
    expect(again.size).toBe(3);
  });

  it('updates, deletes and reports unknown ids with JOB_NOT_FOUND', async () => {
    const registry = await reloaded();
    await registry.set(entry('a', { load_error: 'broken' }));
    const updated = await registry.update('a', { execution_count: 2, last_triggered: '2026-01-02T03:04:06.000+01:00', load_error: undefined });
    expect(updated.execution_count).toBe(2);
    expect('load_error' in updated).toBe(false);
    expect(registry.get('a')).toBe(updated);
    await expectMxxError(registry.update('zz', { paused: true }), 'JOB_NOT_FOUND');
    expect(await registry.delete('a')).toBe(true);
    expect(await registry.delete('a')).toBe(false);
    expect((await reloaded()).size).toBe(0);
  });

  it('refuses invalid ids and stores a copy of what it is given', async () => {
    const registry = await reloaded();
    await expect(registry.set(entry('../evil'))).rejects.toBeInstanceOf(MxxError);
    const mine = entry('a');
    await registry.set(mine);
    mine.execution_count = 5;
    expect(registry.get('a')?.execution_count).toBe(0);
  });

  it('group-commits: 10 000 registrations in one tick share one write, 1000 over several ticks a few', async () => {
    const registry = await reloaded();
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => registry.set(entry(`job-${i}`))));
    expect(registry.writes).toBe(1);
    const before = registry.writes;

    await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        // Spread the registrations over several ticks, as HTTP requests would arrive.
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        await registry.set(entry(`burst-${i}`));
      }),
    );
    expect(registry.writes - before).toBeLessThanOrEqual(20);
    const again = await reloaded();
    expect(again.size).toBe(11_000);
    expect(again.get('burst-999')).toEqual(entry('burst-999'));
  });

  it('never writes twice at once: changes made during a write share the next one', async () => {
    const registry = await reloaded();
    const first = registry.set(entry('a'));
    // The first write is now in flight.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, registry.set(entry('b')), registry.set(entry('c')), registry.set(entry('d'))]);
    expect(registry.writes).toBe(2);
    expect((await reloaded()).list().map((e) => e.job_id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('moves a truncated file aside, keeps its bytes, logs one line and starts empty', async () => {
    const writer = await reloaded();
    await writer.set(entry('a'));
    await writer.set(entry('b'));
    await writer.compact();
    const full = await readFile(file);
    const truncated = full.subarray(0, Math.floor(full.length / 2));
    await writeFile(file, truncated);

    const log = capture();
    const registry = await reloaded(log.logger);
    expect(registry.size).toBe(0);

    const names = await readdir(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^registry\.json\.corrupt-/);
    const aside = join(dir, names[0]!);
    expect(Buffer.compare(await readFile(aside), truncated)).toBe(0);

    expect(log.lines()).toHaveLength(1);
    expect(log.lines()[0]).toContain('ERROR');
    expect(log.lines()[0]).toContain(aside);

    // The next write creates a fresh file and leaves the corrupt copy alone.
    await registry.set(entry('c'));
    expect((await reloaded()).list().map((e) => e.job_id)).toEqual(['c']);
    expect(Buffer.compare(await readFile(aside), truncated)).toBe(0);
  });

  it.each([
    ['an empty file', ''],
    ['an array', '[]'],
    ['entries that is not an array', '{"version":1,"entries":{}}'],
    ['a missing version', '{"entries":[]}'],
  ])('treats %s as corrupt', async (_name, content) => {
    await writeFile(file, content);
    const log = capture();
    const registry = await reloaded(log.logger);
    expect(registry.size).toBe(0);
    const names = await readdir(dir);
    expect(names).toEqual([expect.stringMatching(/^registry\.json\.corrupt-/)]);
    expect(await readFile(join(dir, names[0]!), 'utf8')).toBe(content);
    expect(log.lines()).toHaveLength(1);
  });

  it('skips an invalid entry with a warning naming it and keeps the rest', async () => {
    const bad = { ...entry('bad'), source: 'elsewhere' };
    await writeFile(
      file,
      JSON.stringify({ version: 1, entries: [entry('a'), bad, { job_id: '../x' }, entry('a'), entry('b')] }),
    );
    const log = capture();
    const registry = await reloaded(log.logger);
    expect(registry.list().map((e) => e.job_id)).toEqual(['a', 'b']);
    const warnings = log.lines();
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/WARN.*entry #2 \(job_id "bad"\).*source/);
    expect(warnings[1]).toMatch(/entry #3 \(job_id "\.\.\/x"\)/);
    expect(warnings[2]).toMatch(/entry #4 \(job_id "a"\).*already taken/);
    expect(await readdir(dir)).toEqual(['registry.json']);
  });

  it('fills neutral defaults and keeps unknown fields of an entry', async () => {
    const { last_triggered: _l, execution_count: _e, paused: _p, ...minimal } = entry('a');
    await writeFile(file, JSON.stringify({ version: 1, entries: [{ ...minimal, future_field: 1 }] }));
    const registry = await reloaded();
    expect(registry.get('a')).toMatchObject({ last_triggered: null, execution_count: 0, paused: false, future_field: 1 });
  });

  it('refuses a newer format version and never overwrites it', async () => {
    const content = JSON.stringify({ version: 2, entries: [] });
    await writeFile(file, content);
    const registry = createRegistry({ file });
    const error = await registry.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MxxError);
    expect(error).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('version 2') });
    await expect(registry.set(entry('a'))).rejects.toThrowError(/version 2/);
    await registry.flush();
    expect(await readFile(file, 'utf8')).toBe(content);
    expect(await readdir(dir)).toEqual(['registry.json']);
  });

  it('refuses a change it cannot save with STORAGE_UNAVAILABLE, changes nothing, and takes the retry', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const log = capture();
    const registry = createRegistry({ file: join(blocker, 'registry.json'), logger: log.logger });
    const refused = registry.set(entry('a'));
    const flushed = registry.flush();
    await expect(refused).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringMatching(/^could not save the registry: E[A-Z]+ \(.*\) writing .*registry\.journal$/),
      hint: expect.stringContaining(blocker),
    });
    await expectMxxError(flushed, 'STORAGE_UNAVAILABLE');
    expect(registry.has('a')).toBe(false);
    expect(registry.writeErrors).toBe(1);
    await rm(blocker);
    await registry.set(entry('a'));
    await registry.compact();
    expect(JSON.parse(await readFile(join(blocker, 'registry.json'), 'utf8')).entries).toHaveLength(1);
    expect(log.lines().filter((line) => line.includes('WARN'))).toHaveLength(1);
  });

  it('refuses to write over a file it could not read', async () => {
    await rm(file, { force: true });
    await mkdir(file);
    const registry = createRegistry({ file });
    await expect(registry.load()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('could not read') });
    await expect(registry.set(entry('a'))).rejects.toThrowError(/refusing to overwrite/);
  });
});

describe('registry journal', () => {
  const journal = (): string => join(dir, 'registry.journal');

  it('refuses changes while a load is in progress and never drops stored entries', async () => {
    const writer = await reloaded();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => writer.set(entry(`job-${i}`))));
    await writer.compact();

    const registry = createRegistry({ file });
    const loading = registry.load();
    await expectMxxError(registry.set(entry('late')), 'SERVER_STARTING');
    await expectMxxError(registry.delete('job-1'), 'SERVER_STARTING');
    await loading;
    expect(registry.size).toBe(2000);
    await registry.set(entry('late'));
    const again = await reloaded();
    expect(again.size).toBe(2001);
    expect(again.has('job-1999')).toBe(true);
  });

  it('restores every acknowledged change after a kill (journal appended, never compacted)', async () => {
    const registry = await reloaded();
    for (let i = 0; i < 20; i++) await registry.set(entry(`job-${i}`));
    await registry.update('job-3', { execution_count: 9, paused: true });
    await registry.delete('job-5');
    await registry.set(entry('job-5', { source: 'file', file: '/jobs/job-5.toml' }));
    await registry.delete('job-7');
    // No compact(), no close: a new object on the same files, as after SIGKILL.
    expect(await readdir(dir)).toEqual(['registry.journal']);
    const again = await reloaded();
    expect(again.list()).toEqual(registry.list());
    expect(again.get('job-3')).toMatchObject({ execution_count: 9, paused: true });
    expect(again.has('job-7')).toBe(false);
  });

  it('costs bytes proportional to the change, not to the registry', async () => {
    const registry = await reloaded();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => registry.set(entry(`job-${i}`))));
    await registry.compact();
    const registryBytes = (await stat(file)).size;
    const before = registry.bytesWritten;
    const n = 200;
    for (let i = 0; i < n; i++) await registry.update('job-1000', { execution_count: i + 1 });
    const perChange = (registry.bytesWritten - before) / n;
    const entryBytes = JSON.stringify(registry.get('job-1000')).length;
    expect(perChange).toBeGreaterThanOrEqual(entryBytes);
    expect(perChange).toBeLessThan(entryBytes + 64);
    // The old whole-file rewrite cost registryBytes per change.
    expect(perChange * 100).toBeLessThan(registryBytes);
    expect((await reloaded()).get('job-1000')?.execution_count).toBe(n);
  });

  it('compacts the journal in the background: 10 000 registrations write a small multiple of the registry', async () => {
    const registry = createRegistry({ file, compactMinBytes: 64 * 1024 });
    await registry.load();
    for (let i = 0; i < 10_000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => registry.set(entry(`job-${i + j}`))));
    }
    await registry.compact();
    const registryBytes = (await stat(file)).size;
    expect(registry.bytesWritten).toBeLessThan(6 * registryBytes);
    expect((await stat(journal()).catch(() => ({ size: 0 }))).size).toBe(0);
    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document.entries).toHaveLength(10_000);
    expect((await reloaded()).size).toBe(10_000);
  });

  it('keeps registry.json readable as the compacted truth; changes since then are in the journal', async () => {
    const registry = await reloaded();
    await registry.set(entry('a'));
    await registry.compact();
    await registry.set(entry('b'));
    expect(JSON.parse(await readFile(file, 'utf8')).entries.map((e: RegistryEntry) => e.job_id)).toEqual(['a']);
    expect((await reloaded()).list().map((e) => e.job_id)).toEqual(['a', 'b']);
    // A crash between the compaction's rename and the journal's truncation replays nothing twice.
    const oldJournal = await readFile(journal());
    await registry.delete('a');
    await registry.compact();
    await writeFile(journal(), oldJournal);
    expect((await reloaded()).list().map((e) => e.job_id)).toEqual(['b']);
  });

  it('ignores a torn last journal line with one warning and keeps appending cleanly', async () => {
    const registry = await reloaded();
    await registry.set(entry('a'));
    await registry.set(entry('b'));
    await appendFile(journal(), '{"seq":3,"op":"put","entry":{"job_id":"c","con');
    const log = capture();
    const again = await reloaded(log.logger);
    expect(again.list().map((e) => e.job_id)).toEqual(['a', 'b']);
    expect(log.lines()).toHaveLength(1);
    expect(log.lines()[0]).toMatch(/WARN.*registry\.journal.*torn/);
    await again.set(entry('d'));
    const third = await reloaded();
    expect(third.list().map((e) => e.job_id)).toEqual(['a', 'b', 'd']);
  });

  it('moves a journal with a corrupt middle line aside, naming it, and keeps the changes before it', async () => {
    const registry = await reloaded();
    await registry.set(entry('a'));
    await registry.set(entry('b'));
    const text = await readFile(journal(), 'utf8');
    const [first, second] = text.split('\n');
    await writeFile(journal(), `${first}\ngarbage\n${second}\n`);
    const log = capture();
    const again = await reloaded(log.logger);
    expect(again.list().map((e) => e.job_id)).toEqual(['a']);
    const aside = (await readdir(dir)).find((name) => name.startsWith('registry.journal.corrupt-'));
    expect(aside).toBeDefined();
    expect(await readFile(join(dir, aside!), 'utf8')).toBe(`${first}\ngarbage\n${second}\n`);
    const errors = log.lines().filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(join(dir, aside!));
    expect(errors[0]).toContain('line 2');
    // The kept change is compacted at once: it no longer depends on the moved journal.
    expect((await reloaded()).list().map((e) => e.job_id)).toEqual(['a']);
  });

  it('removes temp files of killed writes at load', async () => {
    await writeFile(file, JSON.stringify({ version: 1, entries: [entry('a')] }));
    const stale = join(dir, '.registry.json.999999999.0123456789ab.tmp');
    await writeFile(stale, 'x'.repeat(1000));
    const log = capture();
    const registry = await reloaded(log.logger);
    expect(registry.size).toBe(1);
    expect(await readdir(dir)).toEqual(['registry.json']);
    expect(log.lines().join('\n')).toContain(stale);
  });

  it('never leaks an unhandled rejection from a change nobody awaits', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'not a folder');
    const registry = createRegistry({ file: join(blocker, 'registry.json') });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      void registry.set(entry('a'));
      void registry.update('zz', { paused: true });
      void registry.set(entry('../bad'));
      await registry.flush().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(registry.size).toBe(0);
  });
});

describe('registry on a full or read-only disk', () => {
  let mnt: string;
  let mounted = false;
  const why = 'skipped: mounting a tmpfs needs root (mount -t tmpfs was refused)';

  beforeAll(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'mxx-registry-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });

  afterAll(async () => {
    if (mounted) execFileSync('umount', [mnt], { stdio: 'ignore' });
    await rm(mnt, { recursive: true, force: true });
  });

  afterEach(async () => {
    if (!mounted) return;
    execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'ignore' });
    for (const name of await readdir(mnt)) await rm(join(mnt, name), { recursive: true, force: true });
  });

  async function fill(): Promise<string> {
    const filler = join(mnt, 'filler');
    await writeFile(filler, Buffer.alloc(128 * 1024)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });
    return filler;
  }

  it('full disk (ENOSPC): a refused set leaves get/list unchanged; the retry after space returns succeeds', async (ctx) => {
    if (!mounted) ctx.skip(why);
    const log = capture();
    const registry = createRegistry({ file: join(mnt, 'registry.json'), logger: log.logger });
    await registry.load();
    await registry.set(entry('a'));
    const before = registry.list();
    const filler = await fill();

    const big = entry('b', { config: { os: { cmd: 'x'.repeat(8000) } } as RegistryEntry['config'] });
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(registry.set(big)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('ENOSPC') });
    }
    // Big enough to need a new page: tmpfs still takes a line that fits the journal's last page.
    await expectMxxError(registry.update('a', { paused: true, config: big.config }), 'STORAGE_UNAVAILABLE');
    expect(registry.list()).toEqual(before);
    expect(registry.has('b')).toBe(false);
    expect(registry.get('a')?.paused).toBe(false);
    expect(registry.writeErrors).toBeGreaterThanOrEqual(3);
    // One line per failure episode, not per refused change.
    expect(log.lines().filter((line) => line.includes('WARN'))).toHaveLength(1);
    // Nothing of a refused change may come back at the next start.
    const restarted = createRegistry({ file: join(mnt, 'registry.json') });
    await restarted.load();
    expect(restarted.list()).toEqual(before);

    await rm(filler);
    await registry.set(big);
    expect(registry.has('b')).toBe(true);
    expect(log.lines().some((line) => line.includes('INFO') && line.includes('again'))).toBe(true);
    const again = createRegistry({ file: join(mnt, 'registry.json') });
    await again.load();
    expect(again.list().map((e) => e.job_id)).toEqual(['a', 'b']);
  });

  it('read-only disk (EROFS): set and delete are refused and change nothing; both work after remount rw', async (ctx) => {
    if (!mounted) ctx.skip(why);
    const registry = createRegistry({ file: join(mnt, 'registry.json') });
    await registry.load();
    await registry.set(entry('a'));
    execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'ignore' });

    await expect(registry.set(entry('b'))).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringContaining('EROFS'),
      hint: expect.stringContaining('nothing was changed'),
    });
    await expectMxxError(registry.delete('a'), 'STORAGE_UNAVAILABLE');
    expect(registry.list().map((e) => e.job_id)).toEqual(['a']);

    execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'ignore' });
    await registry.set(entry('b'));
    expect(await registry.delete('a')).toBe(true);
    const again = createRegistry({ file: join(mnt, 'registry.json') });
    await again.load();
    expect(again.list().map((e) => e.job_id)).toEqual(['b']);
  });
});
