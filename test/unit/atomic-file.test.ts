import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFileAtomic } from '../../src/atomic-file.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-atomic-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes a new file and leaves no temp file', async () => {
    const file = join(dir, 'a.json');
    await writeFileAtomic(file, '{"a":1}');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('replaces existing content entirely', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, 'x'.repeat(10_000));
    await writeFileAtomic(file, 'short');
    expect(await readFile(file, 'utf8')).toBe('short');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('writes bytes and creates missing folders', async () => {
    const file = join(dir, 'deep', 'er', 'b.bin');
    await writeFileAtomic(file, new Uint8Array([0, 1, 2, 255]));
    expect([...(await readFile(file))]).toEqual([0, 1, 2, 255]);
  });

  it('creates the file private to its owner by default', async () => {
    const file = join(dir, 'secret.json');
    await writeFileAtomic(file, '{}');
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('removes the temp file when the rename fails', async () => {
    const target = join(dir, 'taken');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
    expect(await readdir(target)).toEqual(['child']);
  });

  it('keeps each concurrent write whole: the result is exactly one of them', async () => {
    const file = join(dir, 'c.txt');
    const contents = Array.from({ length: 20 }, (_, i) => String(i).repeat(50_000));
    await Promise.all(contents.map((content) => writeFileAtomic(file, content)));
    expect(contents).toContain(await readFile(file, 'utf8'));
    expect(await readdir(dir)).toEqual(['c.txt']);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes temp files of killed writers, keeps our own and every other file', async () => {
    const dead = `.registry.json.999999999.0123456789ab.tmp`;
    const deadHistory = `.job-1.jsonl.424242424.abcdefabcdef.tmp`;
    const ours = `.registry.json.${process.pid}.fedcba987654.tmp`;
    const others = ['registry.json', 'a.jsonl', '.hidden', 'x.tmp', '.a.b.tmp'];
    for (const name of [dead, deadHistory, ours, ...others]) await writeFile(join(dir, name), 'x');
    const removed = await removeStaleTempFiles(dir);
    expect(removed.sort()).toEqual([deadHistory, dead].map((name) => join(dir, name)).sort());
    expect((await readdir(dir)).sort()).toEqual([ours, ...others].sort());
  });

  it('treats a missing folder as clean', async () => {
    expect(await removeStaleTempFiles(join(dir, 'missing'))).toEqual([]);
  });
});
