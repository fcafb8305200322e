/**
 * GET /api/scheduler/events (SPEC §10) on a real server: real runs, real HTTP, a real SSE client
 * (the `eventsource` package) and raw node:http readers that see every byte.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, startTestServer, waitFor, waitForRun, type TestServer } from '../_server.js';
import { openEventSource, openRaw, type RawStream } from '../_sse.js';

async function register(server: TestServer, id: string, cmd = 'true'): Promise<void> {
  const { status, body } = await server.call('/jobs', { method: 'POST', json: { job_id: id, config: { os: { cmd } } } });
  expect(status, JSON.stringify(body)).toBe(201);
}

async function trigger(server: TestServer, id: string): Promise<string> {
  const { status, body } = await server.call(`/jobs/${id}/trigger`, { method: 'POST' });
  expect(status, JSON.stringify(body)).toBe(200);
  return body.run_id as string;
}

async function runOnce(server: TestServer, id: string): Promise<string> {
  const runId = await trigger(server, id);
  await waitForRun(server, runId);
  return runId;
}

/** Polls what a client received. */
const until = <T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> => waitFor(check, timeoutMs, 'the events', 10);

const hasEnded = (runId: string) => (stream: RawStream) =>
  stream.events().some((e) => e.event === 'run.ended' && e.data.run_id === runId);

describe('the event stream', () => {
  let server: TestServer;
  let url: string;
  const open: RawStream[] = [];
  const raw = async (query = '', headers: Record<string, string> = {}): Promise<RawStream> => {
    const stream = await openRaw(`${url}${query}`, headers);
    open.push(stream);
    return stream;
  };

  /** The hub's listeners besides the streams' (server log, metrics, notifier). */
  let baseListeners = 0;

  beforeAll(async () => {
    server = await startTestServer({ eventStream: { heartbeatMs: 100 } });
    url = `${server.url}/api/scheduler/events`;
    baseListeners = server.supervisor.events.listenerCount;
    await register(server, 'alpha');
    await register(server, 'beta');
    await register(server, 'gamma');
  });
  // Every stream a test opened is closed, and the server lets go of it (no listener left behind).
  afterEach(async () => {
    for (const stream of open.splice(0)) stream.close();
    await waitFor(() => server.supervisor.events.listenerCount <= baseListeners, 5000, 'the streams to be released');
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('sends run.started then run.ended of a triggered job, each as id/event/data with the whole event', async () => {
    const client = openEventSource(url);
    try {
      await client.opened;
      const runId = await runOnce(server, 'alpha');
      await until(() => client.received.some((m) => m.type === 'run.ended' && m.data.run_id === runId));
      const mine = client.received.filter((m) => m.data.run_id === runId);
      expect(mine.map((m) => m.type)).toEqual(['run.started', 'run.ended']);
      const ended = mine[1]!;
      expect(ended.data).toMatchObject({ type: 'run.ended', job_id: 'alpha', run_id: runId, status: 'completed', exit_code: 0, trigger: 'manual' });
      expect(typeof ended.data.time).toBe('string');
      expect(Number(ended.id)).toBe(ended.data.id);
      expect(Number(mine[0]!.id)).toBeLessThan(Number(ended.id));
    } finally {
      client.close();
    }
  });

  it('answers text/event-stream, no-store, and opens with retry: and a comment before any event', async () => {
    const stream = await raw();
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(stream.headers.connection).toBe('close');
    const first = await stream.until((s) => s.frames()[0]);
    expect(first.retry).toMatch(/^\d+$/);
    expect(stream.events()).toEqual([]);
    stream.close();
  });

  it('sends a keep-alive comment at the heartbeat interval', async () => {
    const stream = await raw();
    await stream.until((s) => s.frames().some((f) => f.comment === 'keep-alive'), 5000, 'a keep-alive comment');
    stream.close();
  });

  it('after a disconnect, Last-Event-ID replays exactly the events missed, once each and in order, then goes live', async () => {
    const first = openEventSource(url);
    await first.opened;
    const before = await runOnce(server, 'beta');
    await until(() => first.received.some((m) => m.type === 'run.ended' && m.data.run_id === before));
    const lastId = first.received.at(-1)!.id;
    first.close();

    const missed = [await runOnce(server, 'beta'), await runOnce(server, 'beta'), await runOnce(server, 'beta')];
    const again = openEventSource(url, { 'last-event-id': lastId });
    try {
      await again.opened;
      await until(() => again.received.some((m) => m.type === 'run.ended' && m.data.run_id === missed[2]));
      const live = await runOnce(server, 'beta');
      await until(() => again.received.some((m) => m.type === 'run.ended' && m.data.run_id === live));
      const ids = again.received.map((m) => Number(m.id));
      // Nothing else happened meanwhile: the ids follow on from lastId without a gap or a repeat.
      expect(ids).toEqual(ids.map((_, i) => Number(lastId) + 1 + i));
      expect(again.received.map((m) => `${m.type} ${m.data.run_id}`)).toEqual(
        [...missed, live].flatMap((run) => [`run.started ${run}`, `run.ended ${run}`]),
      );
    } finally {
      again.close();
    }
  });

  it('?since=ID replays from the hub as well; Last-Event-ID wins over ?since=', async () => {
    const runId = await runOnce(server, 'gamma');
    const stream = await raw(`?since=0&job=gamma`);
    await stream.until(hasEnded(runId));
    expect(stream.events().map((e) => `${e.event} ${e.data.job_id}`)).toEqual(['job.registered gamma', 'run.started gamma', 'run.ended gamma']);
    const endedId = stream.events()[2]!.id!;
    stream.close();
    const header = await raw(`?since=0&job=gamma`, { 'last-event-id': String(endedId - 1) });
    await header.until(hasEnded(runId));
    expect(header.events().map((e) => e.id)).toEqual([endedId]);
    header.close();
  });

  it('filters by job (repeatable) and type prefix, keeping the hub ids', async () => {
    const all = await raw();
    const some = await raw('?job=alpha&job=gamma&type=run.');
    const ended = await raw('?type=run.ended&type=job.');
    await runOnce(server, 'alpha');
    await runOnce(server, 'beta');
    const last = await runOnce(server, 'gamma');
    await server.call('/jobs/beta', { method: 'DELETE' }); // pauses
    await server.call('/jobs/beta/resume', { method: 'POST' });
    await all.until((s) => s.events().some((e) => e.event === 'job.resumed'));
    await some.until(hasEnded(last));
    await ended.until((s) => s.events().some((e) => e.event === 'job.resumed'));
    const byId = new Map(all.events().map((e) => [e.id, e]));
    for (const e of [...some.events(), ...ended.events()]) expect(byId.get(e.id)?.data).toEqual(e.data);
    expect(some.events().map((e) => `${e.event} ${e.data.job_id}`)).toEqual([
      'run.started alpha', 'run.ended alpha', 'run.started gamma', 'run.ended gamma',
    ]);
    expect(ended.events().map((e) => `${e.event} ${e.data.job_id}`), JSON.stringify(ended.events())).toEqual([
      'run.ended alpha', 'run.ended beta', 'run.ended gamma', 'job.paused beta', 'job.resumed beta',
    ]);
    for (const stream of [all, some, ended]) stream.close();
  });

  it('a stream opened while events are being emitted gets every event after the id its head names, once each', async () => {
    const hub = server.supervisor.events;
    let emitting = true;
    const burst = (async () => {
      while (emitting) {
        for (let i = 0; i < 5; i++) hub.emit('file.fixed', { file: 'burst.toml' });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    // Opened one after another while the burst runs: each lands at another point of a flush window.
    const streams: RawStream[] = [];
    for (const query of ['', '?type=file.', '', '?type=file.fixed', '?type=file.']) {
      streams.push(await raw(query));
      await new Promise((resolve) => setTimeout(resolve, 7));
    }
    emitting = false;
    await burst;
    const last = hub.lastId;
    for (const stream of streams) {
      await stream.until((s) => s.events().at(-1)?.id === last);
      const opened = Number(/mxx events, last id (\d+)/.exec(stream.text())![1]);
      const ids = stream.events().map((e) => e.id!);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(ids.map((_, i) => opened + 1 + i));
    }
  });

  it('refuses a bad since, Last-Event-ID, type, job or unknown parameter with 400 naming it and what is accepted', async () => {
    for (const since of ['abc', '-1', '1.5', '1e3', '0x10']) {
      const body = await expectApiError(await fetch(`${url}?since=${since}`), 400, 'INVALID_REQUEST');
      expect(body.error).toContain('query parameter since');
      expect(body.error).toContain('whole number of 0 or more');
    }
    const header = await expectApiError(await fetch(url, { headers: { 'last-event-id': 'x7' } }), 400, 'INVALID_REQUEST');
    expect(header.error).toContain('Last-Event-ID');
    const type = await expectApiError(await fetch(`${url}?type=run.end`), 400, 'INVALID_REQUEST');
    expect(type.error).toContain('"run.end" is not an event type (did you mean "run.ended"?)');
    for (const accepted of ['run.queued', 'run.ended', 'job.registered', 'file.error', 'server.stopping', 'run., job., file., server.']) {
      expect(type.error).toContain(accepted);
    }
    await expectApiError(await fetch(`${url}?type=runs.`), 400, 'INVALID_REQUEST');
    const job = await expectApiError(await fetch(`${url}?job=..%2Fetc`), 400, 'INVALID_REQUEST');
    expect(job.error).toContain('query parameter job');
    const unknown = await expectApiError(await fetch(`${url}?jobs=alpha`), 400, 'INVALID_REQUEST');
    expect(unknown.error).toContain('query parameter jobs is not known (did you mean "job"?)');
  });

  it('replays while new events are emitted: every id once, none skipped', async () => {
    // A replay larger than the socket buffers can hold (~8.5 MB; send buffers grow to 4 MB here),
    // read by a client that pauses: the live runs below happen while it is still being sent, and
    // must come after it, each once.
    const from = server.supervisor.events.lastId;
    const filler = 'x'.repeat(1000);
    for (let i = 0; i < 8000; i++) server.supervisor.events.emit('file.fixed', { file: `${filler}-${i}.toml` });
    const stream = await raw(`?since=${from}`);
    stream.res.pause();
    const runs = [await runOnce(server, 'alpha'), await runOnce(server, 'beta')];
    stream.res.resume();
    // Looks at the tail only: parsing 36 MB on every poll would be slow.
    await stream.until((s) => {
      const tail = s.text().slice(-4096);
      return tail.includes('event: run.ended') && tail.includes(runs[1]!) && tail.endsWith('\n\n');
    }, 20_000);
    const events = stream.events();
    const ids = events.map((e) => e.id!);
    expect(ids.length).toBe(8004);
    expect(ids).toEqual(ids.map((_, i) => from + 1 + i));
    expect(events.slice(-4).map((e) => `${e.event} ${e.data.run_id}`)).toEqual(
      runs.flatMap((run) => [`run.started ${run}`, `run.ended ${run}`]),
    );
    stream.close();
  });

  it('allows 100 subscribers by default: the 101st gets 503 TOO_MANY_SUBSCRIBERS with Retry-After', async () => {
    const streams = await Promise.all(Array.from({ length: 100 }, () => raw()));
    expect(streams.map((s) => s.status)).toEqual(streams.map(() => 200));
    const refused = await fetch(url);
    await expectApiError(refused, 503, 'TOO_MANY_SUBSCRIBERS');
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    streams[0]!.close();
    // The slot is freed once the server sees the client gone.
    const next = await until(async () => {
      const stream = await raw();
      if (stream.status === 200) return stream;
      stream.close();
      return null;
    });
    next.close();
    for (const stream of streams) stream.close();
  });

  it('on shutdown, sends server.stopping and ends every stream cleanly', async () => {
    const streams = [await raw(), await raw('?job=alpha'), await raw('?since=0&type=server.stopping')];
    await server.close();
    for (const stream of streams) {
      await stream.ended;
      expect(stream.events().at(-1)?.event).toBe('server.stopping');
    }
  });
});

describe('the event stream on a server with a token', () => {
  const token = 'a-long-enough-test-token-1234';
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    server = await startTestServer({ token });
    url = `${server.url}/api/scheduler/events`;
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('needs the Bearer header; a token in the URL is never accepted', async () => {
    await expectApiError(await fetch(url), 401, 'UNAUTHORIZED');
    await expectApiError(await fetch(`${url}?token=${token}`), 401, 'UNAUTHORIZED');
    await expectApiError(await fetch(`${url}?access_token=${token}`), 401, 'UNAUTHORIZED');
    // Even with the header, the token in the URL is refused (it would end up in logs and history).
    const both = await expectApiError(await fetch(`${url}?token=${token}`, { headers: { authorization: `Bearer ${token}` } }), 400, 'INVALID_REQUEST');
    expect(both.error).toContain('never read from the URL');
    const client = openEventSource(url, { authorization: `Bearer ${token}` });
    try {
      await client.opened;
      const { status } = await server.call('/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        json: { job_id: 'secure', config: { os: { cmd: 'true' } } },
      });
      expect(status).toBe(201);
      await until(() => client.received.some((m) => m.type === 'job.registered' && m.data.job_id === 'secure'));
    } finally {
      client.close();
    }
  });
});

describe('the event stream with small bounds', () => {
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    server = await startTestServer({ eventBuffer: 10, eventStream: { maxSubscribers: 2, maxBacklogBytes: 64 * 1024 } });
    url = `${server.url}/api/scheduler/events`;
    await register(server, 'job');
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('sends a reset first for an id older than the buffer, then every event still held', async () => {
    for (let i = 0; i < 6; i++) await runOnce(server, 'job');
    const hub = server.supervisor.events;
    // The first event of this life is long out of the ring of 10.
    const stream = await openRaw(`${url}?since=${hub.firstId}`);
    await stream.until((s) => s.events().length >= 11);
    const [reset, ...events] = stream.events();
    expect(reset!.id).toBeUndefined();
    expect(reset!.event).toBe('reset');
    expect(reset!.data).toMatchObject({ type: 'reset', reason: 'evicted', requested_id: hub.firstId, oldest_id: hub.oldestId, last_id: hub.lastId });
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => hub.oldestId + i));
    stream.close();

    // An id this server never handed out (an earlier life): a reset, then everything held.
    const later = await openRaw(`${url}?since=${hub.lastId + 100}`);
    await later.until((s) => s.events().length >= 11);
    expect(later.events()[0]!.data).toMatchObject({ type: 'reset', reason: 'unknown', requested_id: hub.lastId + 100 });
    expect(later.events()[1]!.id).toBe(hub.oldestId);
    later.close();

    // Within the buffer: no reset.
    const within = await openRaw(`${url}?since=${hub.lastId - 2}`);
    await within.until((s) => s.events().length >= 2);
    expect(within.events().map((e) => e.event)).toEqual(['run.started', 'run.ended']);
    within.close();
  });

  it('drops a subscriber that stops reading once its backlog passes the bound, and keeps firing', async () => {
    const { connect } = await import('node:net');
    const stalled = connect(server.port, '127.0.0.1');
    let received = 0;
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write(`GET /api/scheduler/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    const reader = await openRaw(url);
    expect(reader.status).toBe(200);
    await expectApiError(await fetch(url), 503, 'TOO_MANY_SUBSCRIBERS');

    // The stalled socket never reads: the kernel's buffers fill, then its queue on the server. Each
    // burst stays below the bound, and the reader gets its turn between bursts: only the stalled
    // client may pass the bound.
    const big = 'x'.repeat(16 * 1024);
    let emitted = 0;
    while (!server.logs().includes('dropped a client that stopped reading') && emitted < 64 * 1024 * 1024) {
      for (let i = 0; i < 2; i++) server.supervisor.events.emit('file.error', { file: 'flood.toml', error: big });
      emitted += 2 * big.length;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const warning = /WARN +event stream: dropped a client that stopped reading \((\d+) bytes unsent, the bound is 65536\)/.exec(server.logs());
    expect(warning).not.toBeNull();
    expect(Number(warning![1])).toBeGreaterThan(64 * 1024);

    // Its slot is free again, the reader that reads still gets everything, and runs still fire.
    const next = await openRaw(url);
    expect(next.status).toBe(200);
    const runId = await runOnce(server, 'job');
    await reader.until(hasEnded(runId));
    expect(reader.events().filter((e) => e.event === 'file.error').length).toBe(emitted / big.length);
    await next.until(hasEnded(runId));

    // The server cut the stalled connection: reading now, it ends short of what the reader got,
    // by the bytes it still held (its own HTTP framing counted against it: raw bytes vs the body).
    stalled.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise((resolve) => stalled.once('close', resolve));
    const text = reader.text();
    const flood = text.slice(0, text.indexOf('\n\n', text.lastIndexOf('event: file.error')) + 2);
    expect(received).toBeLessThan(Buffer.byteLength(flood));
    reader.close();
    next.close();
  });
});

describe('the event stream: a client that stops reading during its replay', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ eventBuffer: 1000, eventStream: { maxBacklogBytes: 64 * 1024 } });
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('is dropped once the live events queued behind its replay pass the bound', async () => {
    const hub = server.supervisor.events;
    const baseListeners = hub.listenerCount;
    const big = 'x'.repeat(16 * 1024);
    // A replay of ~8 MB: more than the socket buffers take, so it is still being written below.
    for (let i = 0; i < 500; i++) hub.emit('file.error', { file: 'old.toml', error: big });
    const { connect } = await import('node:net');
    const stalled = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write(`GET /api/scheduler/events?since=0 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    await waitFor(() => hub.listenerCount > baseListeners, 5000, 'the stream to open');
    let emitted = 0;
    while (!server.logs().includes('dropped a client that stopped reading') && emitted < 1000) {
      hub.emit('file.error', { file: 'live.toml', error: big });
      emitted++;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(server.logs()).toMatch(/WARN +event stream: dropped a client that stopped reading \(\d+ bytes unsent, the bound is 65536\)/);
    // Cut: reading now, it gets part of the replay and none of the live events.
    let text = '';
    stalled.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    await new Promise((resolve) => stalled.once('close', resolve));
    expect(text).toContain('old.toml');
    expect(text).not.toContain('live.toml');
    expect(text.length).toBeLessThan(500 * big.length);
    await waitFor(() => hub.listenerCount === baseListeners, 5000, 'the stream to be released');
    // The server still serves streams.
    const next = await openRaw(`${server.url}/api/scheduler/events`);
    expect(next.status).toBe(200);
    next.close();
  });
});
