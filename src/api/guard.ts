/**
 * Request guards (SPEC §8): Host (DNS rebinding), Origin (cross-site pages), token, JSON-only
 * bodies. Runs before routing, so a refused request never reaches a handler. The Host comes
 * first: a malformed one is a bad request whoever sends it (RFC 9112 §3.2).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { H3Event } from 'h3';
import { MxxError } from '../errors.js';
import { isLoopbackHost } from '../net/loopback.js';
import { isJsonContentType } from './http.js';

export interface GuardOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Bound to a loopback address: refuse a Host that is not a loopback name. */
  loopbackOnly: boolean;
  /** The port the server listens on; a getter, because port 0 is known only after listen(). */
  ownPort: () => number;
  /** Serialised web origins allowed besides the server's own (`--allow-origin`). @default [] */
  allowOrigins?: readonly string[];
  /**
   * Requests that need no token: the dashboard's page and assets, which hold no data (a page load
   * cannot send a token; the page sends it on every API call). Host and Origin rules still apply.
   * @default none
   */
  publicPath?: (method: string, pathname: string) => boolean;
}

// host[:port]: a bracketed IPv6 literal, or a name / IPv4 address; nothing else (RFC 9110 §7.2).
const HOST_HEADER = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/;

/** The hostname of a Host header (IPv6 without brackets), or null when it is not host[:port]. */
function parseHostHeader(value: string): string | null {
  const match = HOST_HEADER.exec(value);
  if (!match || (match[3] !== undefined && Number(match[3]) > 65535)) return null;
  if (match[1] !== undefined) return isIP(match[1]) === 6 ? match[1] : null;
  return match[2]!;
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function createGuard(options: GuardOptions): (event: H3Event) => void {
  const allowOrigins = new Set(options.allowOrigins ?? []);
  const isTrustedOrigin = (origin: string, hostHeader: string): boolean => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file: pages) and anything that is not a URL
    }
    if (allowOrigins.has(url.origin)) return true;
    if (url.protocol !== 'http:') return false;
    // The page was served by the very server it calls (the dashboard opened at a LAN address or
    // through a port forward): the Host passed its checks above, and off loopback the token guards.
    if (url.origin === sameHostOrigin(hostHeader)) return true;
    const port = url.port === '' ? 80 : Number(url.port);
    return isLoopbackHost(url.hostname) && port === options.ownPort();
  };
  return (event) => {
    const headers = event.req.headers;
    const hostHeader = headers.get('host') ?? '';
    const host = parseHostHeader(hostHeader);
    if (host === null) {
      throw new MxxError('INVALID_REQUEST', `the Host header ${JSON.stringify(hostHeader)} is not a host[:port]`, {
        hint: 'send the address of the server, e.g. Host: 127.0.0.1:5000',
      });
    }
    if (options.loopbackOnly && !isLoopbackHost(host)) {
      throw new MxxError('FORBIDDEN_ORIGIN', `requests for host "${host}" are refused by a server bound to loopback`, {
        hint: 'use http://127.0.0.1:<port> or http://localhost:<port>',
      });
    }
    const origin = headers.get('origin');
    if (origin !== null && !isTrustedOrigin(origin, hostHeader)) {
      throw new MxxError('FORBIDDEN_ORIGIN', `requests from the web page origin ${origin} are refused`, {
        hint: `web pages may call the API only from its own origin (http://localhost:${options.ownPort()}) or one given with --allow-origin`,
      });
    }
    if (options.token !== undefined && !options.publicPath?.(event.req.method, event.url.pathname)) {
      const auth = headers.get('authorization') ?? '';
      const match = /^Bearer\s+(.+)$/i.exec(auth);
      if (!match || !sameToken(match[1]!.trim(), options.token)) {
        throw new MxxError('UNAUTHORIZED', auth ? 'the API token is wrong' : 'this server requires an API token', {
          hint: 'set MXX_API_TOKEN (the client sends it as Authorization: Bearer <token>)',
        });
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

/** `http://` + the Host header, serialised as a browser serialises an Origin (null if it is not a URL). */
function sameHostOrigin(hostHeader: string): string | null {
  try {
    return new URL(`http://${hostHeader}`).origin;
  } catch {
    return null;
  }
}

function hasBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  if (length !== null) return Number(length) > 0;
  return headers.has('transfer-encoding');
}
