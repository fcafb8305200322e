/**
 * The event stream (SPEC §10) read with fetch(), not EventSource: EventSource cannot send the token
 * as a header, and a token in the URL is refused. Parsed with the server's own SSE parser. When the
 * stream ends (the server restarts, the network drops) it reconnects by itself with Last-Event-ID,
 * so the server replays what was missed; a `reset` says the gap was too long (or the server is a new
 * one) and the page reloads its data.
 */
import { SseParser } from '../api/sse-parser.js';
import type { ServerEvent } from '../events/types.js';
import { ApiError, apiFetch } from './api.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

export interface StreamHandlers {
  event(event: ServerEvent): void;
  /** The server could not replay every missed event (or is a new process): reload everything. */
  reset(): void;
  /** The stream (re)opened: `resumed` is false for the first connection. */
  open(resumed: boolean): void;
  state(state: StreamState, detail?: string): void;
}

const RETRY_MS = [250, 500, 1000, 2000];

export interface EventStream {
  close(): void;
}

export function openEventStream(handlers: StreamHandlers): EventStream {
  let lastId: string | null = null;
  let closed = false;
  let controller: AbortController | null = null;
  let failures = 0;

  const once = async (): Promise<void> => {
    controller = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastId !== null) headers['last-event-id'] = lastId;
    const response = await apiFetch('/events', { headers, signal: controller.signal });
    const reader = response.body!.getReader();
    const parser = new SseParser();
    const resumed = lastId !== null;
    let opened = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!opened) {
        // The first bytes (the server's retry: line) prove the stream is up.
        opened = true;
        failures = 0;
        handlers.state('live');
        handlers.open(resumed);
      }
      for (const message of parser.push(value)) {
        if (message.id !== undefined) lastId = message.id;
        if (message.event === 'reset') {
          handlers.reset();
          continue;
        }
        let data: ServerEvent;
        try {
          data = JSON.parse(message.data) as ServerEvent;
        } catch {
          continue;
        }
        handlers.event(data);
      }
    }
  };

  void (async () => {
    handlers.state('connecting');
    while (!closed) {
      let detail: string | undefined;
      try {
        await once();
      } catch (error) {
        if (closed) return;
        detail = error instanceof ApiError ? error.message : 'the connection was lost';
      }
      if (closed) return;
      handlers.state('reconnecting', detail);
      const wait = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();

  return {
    close() {
      closed = true;
      controller?.abort();
    },
  };
}
