/**
 * A webhook receiver for notification tests: a real node:http server on 127.0.0.1 that records
 * every request (headers and JSON body) and answers as the test says (a status, a redirect, or
 * never).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** How to answer one request: a status, or `hang` (never answer). */
export type Answer = number | 'hang' | ((request: Received, response: ServerResponse) => void);

export interface Receiver {
  url: string;
  received: Received[];
  /** Changes the answer for the requests to come. */
  answer(next: Answer): void;
  /** The requests whose body has `event`. */
  events(event?: string): Received[];
  close(): Promise<void>;
}

export async function startReceiver(initial: Answer = 200): Promise<Receiver> {
  let answer: Answer = initial;
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const request: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(request);
      if (answer === 'hang') return;
      if (typeof answer === 'function') return answer(request, res);
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answer: (next) => (answer = next),
    events: (event) => received.filter((r) => event === undefined || r.body?.event === event),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
