import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogSink } from '../../workers/log-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'mxx-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const logPath = (): string => join(dir, `${++counter}.log`);

describe('log sink', () => {
  it('appends to an existing log', async () => {
    const path = logPath();
    const first = createLogSink(path, 100, 10);
    first.write(Buffer.from('one\n'));
    await first.close();
    const second = createLogSink(path, 100, 10);
    second.write(Buffer.from('two\n'));
    expect(await second.close()).toEqual({ tail: 'two\n', outputBytes: 4, truncated: false, error: null });
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
  });

  it('cuts a chunk at the cap and notes the truncation on a line of its own', async () => {
    const path = logPath();
    const sink = createLogSink(path, 5, 100);
    sink.write(Buffer.from('abc'));
    sink.write(Buffer.from('defgh'));
    sink.write(Buffer.from('ij'));
    const summary = await sink.close();
    expect(summary).toEqual({ tail: 'abcdefghij', outputBytes: 10, truncated: true, error: null });
    expect(readFileSync(path, 'utf8')).toBe('abcde\n[mxx] output truncated after 5 bytes\n');
  });

  it('a cap of 0 keeps only the note', async () => {
    const path = logPath();
    const sink = createLogSink(path, 0, 100);
    sink.write(Buffer.from('x\n'));
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe('[mxx] output truncated after 0 bytes\n');
  });

  it('keeps the tail across many small chunks and never splits a character', async () => {
    const sink = createLogSink(logPath(), 1_000_000, 5);
    for (let i = 0; i < 500; i++) sink.write(Buffer.from('ab'));
    sink.write(Buffer.from('xé€z')); // the last 5 bytes start inside é (2 bytes), then € (3) and z
    const summary = await sink.close();
    expect(summary.tail).toBe('€z');
    const whole = createLogSink(logPath(), 100, 7);
    whole.write(Buffer.from('abxé€z'));
    expect((await whole.close()).tail).toBe('xé€z');
  });

  it('a log that cannot be written is reported, not thrown', async () => {
    const sink = createLogSink(join(dir, 'missing', 'x.log'), 100, 10);
    sink.write(Buffer.from('still counted\n'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    sink.write(Buffer.from('and this\n'));
    const summary = await sink.close();
    expect(summary.error).toMatch(/ENOENT/);
    expect(summary.outputBytes).toBe(23);
    expect(summary.tail).toBe('\nand this\n');
  });
});
