/**
 * Request guards (SPEC §8): token, DNS-rebinding and cross-site checks, and JSON-only bodies.
 * Runs before routing, so a refused request never reaches a handler.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { H3Event } from 'h3';
import { MxxError } from '../errors.js';
import { isJsonContentType } from './http.js';

export interface GuardOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Bound to a loopback address: refuse a Host that is not a loopback name. */
  loopbackOnly: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::ffff:127.0.0.1';
}

function hostnameOf(hostHeader: string): string {
  // "[::1]:5000" → "::1"; "localhost:5000" → "localhost"
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.lastIndexOf(':');
  return colon > 0 && hostHeader.indexOf(':') === colon ? hostHeader.slice(0, colon) : hostHeader;
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function createGuard(options: GuardOptions): (event: H3Event) => void {
  return (event) => {
    const headers = event.req.headers;
    if (options.token !== undefined) {
      const auth = headers.get('authorization') ?? '';
      const match = /^Bearer\s+(.+)$/i.exec(auth);
      if (!match || !sameToken(match[1]!.trim(), options.token)) {
        throw new MxxError('UNAUTHORIZED', auth ? 'the API token is wrong' : 'this server requires an API token', {
          hint: 'set MXX_API_TOKEN (the client sends it as Authorization: Bearer <token>)',
        });
      }
    }
    const host = hostnameOf(headers.get('host') ?? '');
    if (options.loopbackOnly && !isLoopbackHost(host)) {
      throw new MxxError('FORBIDDEN_ORIGIN', `requests for host "${host}" are refused by a server bound to loopback`, {
        hint: 'use http://127.0.0.1:<port> or http://localhost:<port>',
      });
    }
    const origin = headers.get('origin');
    if (origin !== null) {
      let originHost = '';
      try {
        originHost = new URL(origin).hostname;
      } catch {
        // "null" and other opaque origins fall through as foreign
      }
      const trusted = originHost !== '' && (isLoopbackHost(originHost) || originHost.replace(/^\[|\]$/g, '') === host);
      if (!trusted) {
        throw new MxxError('FORBIDDEN_ORIGIN', `requests from the web page origin ${origin} are refused`);
      }
    }
    const method = event.req.method;
    if (method !== 'GET' && method !== 'HEAD' && hasBody(headers) && !isJsonContentType(headers.get('content-type'))) {
      throw new MxxError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be JSON', {
        hint: 'send the header Content-Type: application/json',
      });
    }
  };
}

function hasBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  if (length !== null) return Number(length) > 0;
  return headers.has('transfer-encoding');
}
