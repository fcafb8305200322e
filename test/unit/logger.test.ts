/** The logger's two formats: text for people, one JSON object a line for collectors (`--log-format json`). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MxxError } from '../../src/errors.js';
import { createLogger, type LoggerOptions } from '../../src/logger.js';

function capture(options: LoggerOptions) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = createLogger({ ...options, stream });
  return { logger, lines: () => text.split('\n').filter((line) => line !== '') };
}

describe('json format', () => {
  it('writes one object a line with time, level, msg and the fields', () => {
    const { logger, lines } = capture({ format: 'json', level: 'debug' });
    logger.warn('run ended', { job: 'backup', run: 'r1', status: 'failed', exit_code: 3, signal: undefined });
    logger.debug('multi\nline', { text: 'a\nb' });
    const [first, second] = lines().map((line) => JSON.parse(line));
    expect(lines()).toHaveLength(2);
    expect(first).toEqual({ time: expect.any(String), level: 'warn', msg: 'run ended', job: 'backup', run: 'r1', status: 'failed', exit_code: 3 });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(second).toMatchObject({ level: 'debug', msg: 'multi\nline', text: 'a\nb' });
  });

  it('writes an Error as {message, stack} (and its code and cause), also an MxxError', () => {
    const { logger, lines } = capture({ format: 'json' });
    const cause = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    logger.error('boom', { error: new Error('outer', { cause }), mxx: new MxxError('INTERNAL', 'inner') });
    const line = JSON.parse(lines()[0]!);
    expect(line.error).toEqual({ message: 'outer', stack: expect.stringContaining('Error: outer'), cause: { message: 'disk full', code: 'ENOSPC', stack: expect.any(String) } });
    expect(line.mxx).toMatchObject({ message: 'inner', code: 'INTERNAL' });
  });

  it('keeps a field named like a reserved key, circular values and BigInts on one valid line', () => {
    const { logger, lines } = capture({ format: 'json' });
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    logger.info('odd', { msg: 'mine', time: 1, loop, big: 10n });
    const line = JSON.parse(lines()[0]!);
    expect(line).toMatchObject({ msg: 'odd', _msg: 'mine', _time: 1, big: '10' });
    expect(line.loop).toContain('[Circular');
  });

  it('honours the level', () => {
    const { logger, lines } = capture({ format: 'json', level: 'warn' });
    logger.info('hidden');
    logger.error('shown');
    expect(lines().map((line) => JSON.parse(line).msg)).toEqual(['shown']);
  });
});

describe('text format (the default)', () => {
  it('stays `<time> LEVEL message key=value`', () => {
    const { logger, lines } = capture({});
    logger.warn('run ended', { job: 'backup', status: 'failed', note: 'two words' });
    expect(lines()[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z WARN  run ended job=backup status=failed note="two words"$/);
  });
});
