import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogSink, type LogSink } from '../../workers/log-sink.js';
import { smallDisk, type Tmpfs } from '../_tmpfs.js';

const dir = mkdtempSync(join(tmpdir(), 'mxx-sink-'));
const mounts: Tmpfs[] = [];
afterAll(async () => {
  for (const mount of mounts) await mount.unmount();
  rmSync(dir, { recursive: true, force: true });
});
let counter = 0;
const logPath = (): string => join(dir, `${++counter}.log`);

// One filesystem per test, so a test that fails halfway cannot leave the next one a full disk.
const full = await smallDisk(mounts);
const fullToo = await smallDisk(mounts);
const readOnly = await smallDisk(mounts, { readOnly: true });
const noMount = 'skipped: mount -t tmpfs is not permitted here (needs root / CAP_SYS_ADMIN)';

/** Writes `total` bytes of zeros as a well-behaved producer: pauses whenever the sink says so. */
async function produce(sink: LogSink, total: number, chunk = 16 * 1024): Promise<void> {
  for (let written = 0; written < total; written += chunk) {
    if (!sink.write(Buffer.alloc(Math.min(chunk, total - written)))) await new Promise<void>((resolve) => sink.onDrain(resolve));
  }
}

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

  it('creates the log file readable by its owner only (0600: logs may hold secrets)', async () => {
    const path = logPath();
    const sink = createLogSink(path, 100, 10);
    sink.write(Buffer.from('secret\n'));
    await sink.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('log sink on a failing disk', () => {
  it.skipIf(full === null)(`a full disk (ENOSPC) never leaves the producer paused: the tail goes on, the error is reported${full === null ? ` — ${noMount}` : ''}`, async () => {
    const path = join(full!, 'enospc.log');
    const sink = createLogSink(path, 10 * 1024 * 1024, 5);
    await produce(sink, 300_000);
    sink.write(Buffer.from('done\n'));
    const summary = await sink.close();
    expect(summary).toMatchObject({ tail: 'done\n', outputBytes: 300_005, truncated: true });
    expect(summary.error).toMatch(/^ENOSPC/);
    expect(statSync(path).size).toBeLessThanOrEqual(64 * 1024);
    rmSync(path);
  }, 15_000);

  it.skipIf(fullToo === null)(`the failure note reaches the log once space is freed, after what was written${full === null ? ` — ${noMount}` : ''}`, async () => {
    const filler = join(fullToo!, 'filler');
    writeFileSync(filler, Buffer.alloc(8 * 1024));
    const path = join(fullToo!, 'noted.log');
    const sink = createLogSink(path, 10 * 1024 * 1024, 100);
    sink.write(Buffer.from('first line\n'));
    await produce(sink, 300_000);
    rmSync(filler); // space comes back before the run ends
    sink.write(Buffer.from('late output\n'));
    const summary = await sink.close();
    const log = readFileSync(path, 'latin1');
    expect(log.startsWith('first line\n')).toBe(true);
    expect(log.slice(-200)).toMatch(/\[mxx: log write failed: ENOSPC[^\]]*; output after this point is only in the run record's tail\]\n$/);
    expect(log.includes('late output')).toBe(false);
    expect(summary.tail.endsWith('late output\n')).toBe(true);
    expect(sink.logBytes).toBe(statSync(path).size);
    rmSync(path);
  }, 15_000);

  it.skipIf(readOnly === null)(`a log that cannot be opened (EROFS) is reported and never blocks the producer${readOnly === null ? ` — ${noMount}` : ''}`, async () => {
    const sink = createLogSink(join(readOnly!, 'x.log'), 10 * 1024 * 1024, 5);
    await produce(sink, 300_000);
    sink.write(Buffer.from('done\n'));
    const summary = await sink.close();
    expect(summary.error).toMatch(/^EROFS/);
    expect(summary).toMatchObject({ tail: 'done\n', outputBytes: 300_005 });
  }, 15_000);
});
