/**
 * Load beside the fires, for the visibility scenario: event stream subscribers that read (and only
 * count what they get), one that never reads, a /metrics scrape each second, and the server's RSS
 * sampled all along.
 */
import { connect, type Socket } from 'node:net';
import { request, type ClientRequest } from 'node:http';
import { rssMb } from './linux-proc.js';
import type { MxxServer } from './mxx.js';
import { runAgent } from './procs.js';
import type { WindowObserver } from './precision.js';

/** Samples the server's RSS every 250 ms: the first sample and the highest. */
function rssSampler(pid: number): { stop(): { startMb: number | null; maxMb: number | null; endMb: number | null } } {
  const first = rssMb(pid);
  let max = first;
  let last = first;
  const timer = setInterval(() => {
    last = rssMb(pid);
    if (last !== null && (max === null || last > max)) max = last;
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return { startMb: first, maxMb: max, endMb: last };
    },
  };
}

/** A subscriber that reads everything and counts events (lines starting with `id:`), without parsing JSON. */
function readingSubscriber(server: MxxServer): { stop(): { events: number; bytes: number; errors: number } } {
  let events = 0;
  let bytes = 0;
  let errors = 0;
  let req: ClientRequest | null = request(`${server.api}/events`, { headers: { accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) errors++;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (let i = chunk.indexOf('\nid: '); i !== -1; i = chunk.indexOf('\nid: ', i + 1)) events++;
      if (chunk.subarray(0, 4).toString() === 'id: ') events++;
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => errors++);
  req.end();
  return {
    stop() {
      req?.destroy();
      req = null;
      return { events, bytes, errors };
    },
  };
}

/** A subscriber that sends its request and then never reads a byte. */
function stalledSubscriber(server: MxxServer): { stop(): { dropped: boolean } } {
  const url = new URL(`${server.api}/events`);
  let closedByServer = false;
  const socket: Socket = connect(Number(url.port), url.hostname, () => {
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    // Read the first chunk (the status line), then nothing more.
    socket.once('data', () => socket.pause());
  });
  socket.on('close', () => (closedByServer = true));
  socket.on('error', () => undefined);
  return {
    stop() {
      const dropped = closedByServer;
      socket.destroy();
      return { dropped };
    },
  };
}

/** GET /metrics once a second; round trips in ms. */
function scraper(server: MxxServer): { stop(): { scrapes: number; errors: number; ms: number[] } } {
  const times: number[] = [];
  let errors = 0;
  const scrape = (): void => {
    const started = performance.now();
    const req = request(`${server.url}/metrics`, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? times.push(performance.now() - started) : errors++));
    });
    req.on('error', () => errors++);
    req.end();
  };
  scrape();
  const timer = setInterval(scrape, 1000);
  return {
    stop() {
      clearInterval(timer);
      return { scrapes: times.length, errors, ms: times };
    },
  };
}

export interface ObserverPlan {
  readers?: number;
  stalled?: number;
  scrape?: boolean;
}

/** The observers of `plan` on `server`, with the RSS sampler always on. */
export function observers(plan: ObserverPlan): (server: MxxServer) => WindowObserver {
  return (server) => {
    const rss = rssSampler(server.pid);
    const readers = Array.from({ length: plan.readers ?? 0 }, () => readingSubscriber(server));
    const stalled = Array.from({ length: plan.stalled ?? 0 }, () => stalledSubscriber(server));
    const scrapes = plan.scrape ? scraper(server) : null;
    return {
      async stop() {
        const memory = rss.stop();
        return {
          rss: memory,
          readers: readers.map((r) => r.stop()),
          stalled: stalled.map((s) => s.stop()),
          ...(scrapes ? { scrapes: scrapes.stop() } : {}),
        };
      },
    };
  };
}

/**
 * observers(plan), run by the `observers` agent: a process of its own at the lowest CPU priority,
 * so the watchers' own work does not take the 2 cores from the server being measured.
 */
export function observersAside(plan: ObserverPlan): (server: MxxServer, windowEnd: number) => WindowObserver {
  return (server, windowEnd) => {
    const result = runAgent<Record<string, unknown>>(
      'observers',
      { url: server.url, api: server.api, pid: server.pid, plan, until: windowEnd },
      { timeoutMs: windowEnd - Date.now() + 30_000, ownSession: true },
    );
    return { stop: () => result };
  };
}
