/**
 * Reads the Server-Sent Events wire format (WHATWG HTML §9.2): the parser of `mxx events` and the
 * dashboard's stream. Pure and browser-safe (no Node types), so both the CLI and the bundle import it.
 */

/** One message as a client sees it: `event` defaults to "message", `id` is absent when the frame had none. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Splits a byte stream into messages, across chunk boundaries, CRLF or LF. Comments and `retry:`
 * are dropped; a block without data is no message (as in a browser).
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  /** The messages completed by this chunk. */
  push(chunk: Uint8Array): SseMessage[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(this.buffer.startsWith('\r\n', end) ? end + 2 : end + 1);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      const message = this.data.length === 0 ? undefined : { ...(this.id === undefined ? {} : { id: this.id }), event: this.event || 'message', data: this.data.join('\n') };
      this.id = undefined;
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'id') this.id = value;
    else if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }
}
