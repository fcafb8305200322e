/**
 * Event stream clients for tests: a raw node:http reader that keeps every byte and splits frames
 * itself (independent of src/api/sse.ts), and an `eventsource` (the npm package) wrapper.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { EventSource } from 'eventsource';
import { waitFor } from './_server.js';

export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

export interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  res: IncomingMessage;
  /** Everything received so far. */
  text(): string;
  /** The complete frames received so far (comments and retry: included). */
  frames(): Frame[];
  /** The frames that are events, with their data parsed. */
  events(): { id: number | undefined; event: string; data: any }[];
  /** Resolves once `check` holds for what was received. */
  until<T>(check: (stream: RawStream) => T, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
  /** Resolves when the server ends the stream (rejects on a reset connection). */
  ended: Promise<void>;
  close(): void;
}

function parseFrames(text: string): Frame[] {
  const blocks = text.split('\n\n');
  blocks.pop(); // incomplete (or empty) tail
  return blocks.map((block) => {
    const frame: Frame = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1).trim();
      else {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon) as keyof Frame;
        const value = line.slice(colon + 2);
        frame[field] = field === 'data' && frame.data !== undefined ? `${frame.data}\n${value}` : value;
      }
    }
    return frame;
  });
}

/** GET `url` with node:http (no agent: one connection each); resolves once the headers are in. */
export function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<void>((done, fail) => {
        res.once('end', done);
        res.once('error', fail);
        res.once('aborted', () => fail(new Error('aborted')));
      });
      ended.catch(() => undefined);
      const stream: RawStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        res,
        text: () => text,
        frames: () => parseFrames(text),
        events: () =>
          parseFrames(text)
            .filter((frame) => frame.data !== undefined)
            .map((frame) => ({
              id: frame.id === undefined ? undefined : Number(frame.id),
              event: frame.event ?? 'message',
              data: JSON.parse(frame.data!),
            })),
        until: (check, timeoutMs = 10_000, what = 'the stream') => waitFor(() => check(stream), timeoutMs, what, 10),
        ended,
        close: () => {
          res.destroy();
          req.destroy();
        },
      };
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface EsClient {
  source: EventSource;
  /** Every message (by its `event:` type) received so far, data parsed, with its lastEventId. */
  received: { id: string; type: string; data: any }[];
  opened: Promise<void>;
  close(): void;
}

const TYPES = [
  'run.queued', 'run.started', 'run.ended', 'run.skipped', 'run.missed',
  'job.registered', 'job.updated', 'job.removed', 'job.paused', 'job.resumed',
  'file.error', 'file.fixed', 'server.stopping', 'reset',
];

/** An `eventsource` client; `headers` are added to every (re)connection's request. */
export function openEventSource(url: string, headers: Record<string, string> = {}): EsClient {
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
  });
  const received: EsClient['received'] = [];
  for (const type of TYPES) {
    source.addEventListener(type, (message: MessageEvent) => {
      received.push({ id: message.lastEventId, type, data: JSON.parse(message.data as string) });
    });
  }
  const opened = new Promise<void>((resolve, reject) => {
    source.addEventListener('open', () => resolve());
    source.addEventListener('error', (error) => reject(error));
  });
  opened.catch(() => undefined);
  return { source, received, opened, close: () => source.close() };
}
