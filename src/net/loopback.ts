/**
 * The one loopback rule (issue #10): the token rule of config.ts, the bind check of main.ts and
 * the Host/Origin checks of api/guard.ts must agree, or one of them can be walked around.
 */
import { isIP } from 'node:net';

// Names and IPv4 spellings; anything else (`@`, `/`, `%`, spaces, non-ASCII digits) is refused
// before the URL parser can read a different host out of it.
const NAME = /^[a-z0-9._-]+$/;
const IPV6 = /^[0-9a-f:.]+$/;
// WHATWG serialises ::ffff:127.x.y.z as ::ffff:7fxx:xxxx.
const MAPPED_LOOPBACK = /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/;

/**
 * Whether `name` (a host name or IP literal, IPv6 with or without brackets, no port) is this
 * machine's loopback: `localhost` (any case, one trailing dot), any 127.0.0.0/8 address in any
 * spelling the resolver accepts (`127.1`, `0x7f.1`), every spelling of `::1` and IPv4-mapped
 * `::ffff:127.x.y.z`. `*.localhost` is not: a page served at evil.localhost is not ours.
 */
export function isLoopbackHost(name: string): boolean {
  let host = name.toLowerCase();
  const bracketed = host.startsWith('[') && host.endsWith(']');
  if (bracketed) host = host.slice(1, -1);
  if (bracketed || host.includes(':')) {
    if (!IPV6.test(host) || isIP(host) !== 6) return false;
    const canonical = canonicalHostname(`[${host}]`);
    return canonical === '[::1]' || (canonical !== null && MAPPED_LOOPBACK.test(canonical.slice(1, -1)));
  }
  if (!NAME.test(host)) return false;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === 'localhost') return true;
  const canonical = canonicalHostname(host);
  return canonical !== null && isIP(canonical) === 4 && canonical.startsWith('127.');
}

/** The WHATWG URL reading of a host: `127.1` → `127.0.0.1`, `[0:0:0:0:0:0:0:1]` → `[::1]`. */
function canonicalHostname(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}
