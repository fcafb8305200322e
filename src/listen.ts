/**
 * The HTTP listener: h3's Node adapter on node:http, so a busy port is an error (never another
 * port) and shutdown can close idle keep-alive connections itself.
 */
import { createServer, type Server } from 'node:http';
import type { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';
import { MxxError } from './errors.js';

export interface Listener {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listen(app: H3, host: string, port: number): Promise<Listener> {
  const server: Server = createServer(toNodeHandler(app));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new MxxError('INVALID_REQUEST', `port ${port} on ${host} is already in use`, {
            hint: `stop what is listening there, or choose another port: mxx server --port ${port === 5000 ? 8080 : port + 1}`,
            cause: error,
          }),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES') {
        reject(new MxxError('INVALID_REQUEST', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
      } else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams that follow a log hold their connection open; they end when runs end.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
