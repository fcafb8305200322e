/**
 * Baseline for the API scenario: a bare node:http server answering fixed bodies (the bytes the real
 * API answered), so the figure shows what our routing, guard and serialization add to HTTP itself.
 * Prints {"url": ...} once listening; stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { agentInput } from '../lib/procs.js';

const input = agentInput<{ bodies: Record<string, string> }>();
const bodies = new Map(Object.entries(input.bodies).map(([path, file]) => [path, readFileSync(file)]));
const server = createServer((req, res) => {
  const body = bodies.get(req.url ?? '');
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
