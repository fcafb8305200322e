/** The SSE wire format of src/api/sse.ts: frames the server writes, read back by the CLI's parser. */
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/api/sse-parser.js';
import { sseComment, sseFrame, sseRetry } from '../../src/api/sse.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (frame: Uint8Array): string => new TextDecoder().decode(frame);

describe('SSE frames', () => {
  it('writes id, event and one data line per line', () => {
    expect(text(sseFrame('run.ended', '{"a":1}', 7))).toBe('id: 7\nevent: run.ended\ndata: {"a":1}\n\n');
    expect(text(sseFrame('reset', 'one\ntwo\r\nthree'))).toBe('event: reset\ndata: one\ndata: two\ndata: three\n\n');
    expect(text(sseComment('keep\nalive'))).toBe(': keep alive\n\n');
    expect(text(sseRetry(1000))).toBe('retry: 1000\n\n');
  });
});

describe('SseParser', () => {
  it('reads back what the frames wrote, whatever the chunking', () => {
    const stream = [sseRetry(1000), sseComment('hello'), sseFrame('run.ended', '{"id":1}', 1), sseFrame('reset', 'a\nb'), sseFrame('job.paused', '{"é":"ü"}', 2)]
      .map(text)
      .join('');
    const all = new TextEncoder().encode(stream);
    const expected = [
      { id: '1', event: 'run.ended', data: '{"id":1}' },
      { event: 'reset', data: 'a\nb' },
      { id: '2', event: 'job.paused', data: '{"é":"ü"}' },
    ];
    for (const size of [1, 2, 3, 7, all.length]) {
      const parser = new SseParser();
      const got = [];
      for (let i = 0; i < all.length; i += size) got.push(...parser.push(all.subarray(i, i + size)));
      expect(got, `chunks of ${size} bytes`).toEqual(expected);
    }
  });

  it('takes CRLF and CR line ends, a field without a space, and a message without event', () => {
    const parser = new SseParser();
    expect(parser.push(bytes('id:3\r\nevent:x\r\ndata:1\r\n\r\ndata: plain\r\rdata: lf\n\n'))).toEqual([
      { id: '3', event: 'x', data: '1' },
      { event: 'message', data: 'plain' },
      { event: 'message', data: 'lf' },
    ]);
    // A CR at the end of a chunk may be half of a CRLF: it ends the line once the next chunk shows.
    expect(parser.push(bytes('data: split\r'))).toEqual([]);
    expect(parser.push(bytes('\n\r\n'))).toEqual([{ event: 'message', data: 'split' }]);
  });

  it('ignores blocks without data (comments, retry:, a lone event:)', () => {
    const parser = new SseParser();
    expect(parser.push(bytes(': c\n\nretry: 5\n\nevent: x\n\n'))).toEqual([]);
  });
});
