/**
 * The frames the event stream sends, in the Server-Sent Events wire format (WHATWG HTML §9.2).
 * Server side (Buffers); the parser the CLI and the dashboard share is ./sse-parser.ts.
 */

/**
 * A frame: `id:` (optional), `event:`, one `data:` line per line of `data`. An event's JSON is one
 * `data:` line (JSON.stringify never writes a raw newline), so the common case is one template
 * string and one encode, with no line splitting.
 */
export function sseFrame(event: string, data: string, id?: number): Buffer {
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  const lines = data.includes('\n') || data.includes('\r') ? data.replace(/\r\n|\r|\n/g, '\ndata: ') : data;
  return Buffer.from(`${idLine}event: ${event}\ndata: ${lines}\n\n`);
}

/** A comment: ignored by clients, it keeps proxies from closing an idle stream. */
export function sseComment(text: string): Buffer {
  return Buffer.from(`: ${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`);
}

/** The `retry:` field: how long a client waits before it reconnects. */
export function sseRetry(ms: number): Buffer {
  return Buffer.from(`retry: ${ms}\n\n`);
}
