import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MxxError } from '../../src/errors.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { RegistryEntry } from '../../src/records.js';
import { createRegistry } from '../../src/registry.js';

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
    registry.set(entry('b'));
    registry.set(entry('a', { source: 'file', file: '/jobs/a.toml', schedule: null }));
    registry.set(entry('c', { load_error: 'a.toml:3:1 bad' }));
    registry.set(entry('b', { execution_count: 7 }));
    await registry.flush();

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
    registry.set(entry('a', { load_error: 'broken' }));
    const updated = registry.update('a', { execution_count: 2, last_triggered: '2026-01-02T03:04:06.000+01:00', load_error: undefined });
    expect(updated.execution_count).toBe(2);
    expect('load_error' in updated).toBe(false);
    expect(registry.get('a')).toBe(updated);
    expect(() => registry.update('zz', { paused: true })).toThrowError(expect.objectContaining({ code: 'JOB_NOT_FOUND' }));
    expect(registry.delete('a')).toBe(true);
    expect(registry.delete('a')).toBe(false);
    await registry.flush();
    expect((await reloaded()).size).toBe(0);
  });

  it('refuses invalid ids and stores a copy of what it is given', async () => {
    const registry = await reloaded();
    expect(() => registry.set(entry('../evil'))).toThrowError(MxxError);
    const mine = entry('a');
    registry.set(mine);
    mine.execution_count = 5;
    expect(registry.get('a')?.execution_count).toBe(0);
  });

  it('coalesces a burst of 1000 set+flush calls over 10 000 entries into a few writes', async () => {
    const registry = await reloaded();
    for (let i = 0; i < 10_000; i++) registry.set(entry(`job-${i}`));
    await registry.flush();
    const before = registry.writes;
    expect(before).toBe(1);

    const started = performance.now();
    await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        // Spread the registrations over several ticks, as HTTP requests would arrive.
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        registry.set(entry(`burst-${i}`));
        await registry.flush();
      }),
    );
    const elapsed = performance.now() - started;

    expect(elapsed).toBeLessThan(2000);
    expect(registry.writes - before).toBeLessThanOrEqual(10);
    const again = await reloaded();
    expect(again.size).toBe(11_000);
    expect(again.get('burst-999')).toEqual(entry('burst-999'));
  });

  it('never writes twice at once: changes made during a write share the next one', async () => {
    const registry = await reloaded();
    registry.set(entry('a'));
    const first = registry.flush();
    // The first write is now in flight.
    await new Promise((resolve) => setImmediate(resolve));
    registry.set(entry('b'));
    registry.set(entry('c'));
    registry.set(entry('d'));
    await Promise.all([first, registry.flush()]);
    expect(registry.writes).toBe(2);
    expect((await reloaded()).list().map((e) => e.job_id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('moves a truncated file aside, keeps its bytes, logs one line and starts empty', async () => {
    const writer = await reloaded();
    writer.set(entry('a'));
    writer.set(entry('b'));
    await writer.flush();
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
    registry.set(entry('c'));
    await registry.flush();
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
    expect(() => registry.set(entry('a'))).toThrowError(/version 2/);
    await registry.flush();
    expect(await readFile(file, 'utf8')).toBe(content);
    expect(await readdir(dir)).toEqual(['registry.json']);
  });

  it('rejects flush when the write fails, and retries on the next flush', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const registry = createRegistry({ file: join(blocker, 'registry.json') });
    registry.set(entry('a'));
    await expect(registry.flush()).rejects.toMatchObject({ code: 'INTERNAL' });
    await rm(blocker);
    await registry.flush();
    expect(JSON.parse(await readFile(join(blocker, 'registry.json'), 'utf8')).entries).toHaveLength(1);
  });

  it('refuses to write over a file it could not read', async () => {
    await rm(file, { force: true });
    await mkdir(file);
    const registry = createRegistry({ file });
    await expect(registry.load()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('could not read') });
    expect(() => registry.set(entry('a'))).toThrowError(/refusing to overwrite/);
  });
});
