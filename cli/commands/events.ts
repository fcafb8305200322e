import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'clipanion';
import * as t from 'typanion';
import { SseParser, type SseMessage } from '../../src/api/sse-parser.js';
import { isMxxError, MxxError } from '../../src/errors.js';
import type { ServerEvent } from '../../src/events/types.js';
import { ClientCommand } from '../base.js';
import { formatEventLine } from '../format/event.js';

/** Reconnect delays: 0.5 s, doubling, at most 5 s, for as long as it takes (a restart, a network blip). */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5000;

interface ResetData {
  reason: 'evicted' | 'unknown';
  requested_id: number;
  oldest_id: number;
}

/** The server names query parameters; this command's users know its flags. */
function inFlagWords(error: unknown): unknown {
  if (!isMxxError(error)) return error;
  const words = (text: string): string => text.replace(/\bquery parameter (job|type|since)\b/g, '--$1');
  return new MxxError(error.code, words(error.message), { hint: error.hint && words(error.hint), details: error.details, cause: error.cause });
}

/** Worth another try: nobody answered, a 503 (starting, subscriber limit), or the connection broke mid-stream. */
function isTransient(error: unknown): boolean {
  return !isMxxError(error) || error.code === 'SERVER_UNREACHABLE' || error.status === 503;
}

export default class EventsCommand extends ClientCommand {
  static override paths = [['events']];
  static override usage = ClientCommand.Usage({
    category: 'Server',
    description: "Print the server's events as they happen",
    details:
      'One line per event: time, type, job, run and what happened (a finished run with its status, exit code and duration). Types: run.queued, run.started, run.ended, run.skipped, run.missed, job.registered, job.updated, job.removed, job.paused, job.resumed, file.error, file.fixed, server.stopping. `--job` and `--type` (a type, or a prefix ending in a dot such as `run.`) may be given more than once. `--since ID` first prints the events after that id that the server still holds (0: all of them). `--json` prints each event as one JSON object per line. If the connection drops, it reconnects and carries on after the last event printed, saying so on stderr. Stop it with Ctrl-C.',
    examples: [
      ['Everything, as it happens', '$0 events'],
      ['Finished runs of one job', '$0 events --job daily_backup --type run.ended'],
      ['Every run event, as JSON lines', '$0 events --type run. --json'],
      ['All events the server still holds, then live', '$0 events --since 0'],
    ],
  });

  job = Option.Array('--job', { description: 'Only events of this job (repeatable)' });
  type = Option.Array('--type', { description: 'Only this event type, or a prefix ending in a dot like run. (repeatable)' });
  since = Option.String('--since', {
    description: 'First print the events after this id the server still holds (0: all)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isAtLeast(0)]),
  });

  /** The id of the last event received: where a reconnection carries on. */
  private lastId: number | undefined;

  async run(): Promise<number> {
    const stop = new AbortController();
    const onSigint = (): void => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      await this.tail(stop.signal);
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }

  private async tail(signal: AbortSignal): Promise<void> {
    this.lastId = this.since;
    let everConnected = false;
    let failures = 0;
    while (!signal.aborted) {
      const parser = new SseParser();
      let connected = false;
      let reason: string;
      try {
        await this.client.stream(
          '/events',
          { job: this.job, type: this.type },
          (chunk) => {
            if (!connected) {
              connected = true;
              if (everConnected) this.err(`reconnected to ${this.client.server}`);
              everConnected = true;
            }
            for (const message of parser.push(chunk)) {
              // Only an event proves the stream works: a server that lets us in and ends the
              // stream at once (shutting down) must not be retried at the shortest delay forever.
              failures = 0;
              this.print(message);
            }
          },
          { signal, headers: this.lastId === undefined ? {} : { 'last-event-id': String(this.lastId) } },
        );
        reason = 'the server ended the stream';
      } catch (error) {
        if (signal.aborted) break;
        // At the start, a server that cannot be reached is an answer (exit 3), not something to wait for.
        if (!everConnected || !isTransient(error)) throw inFlagWords(error);
        reason = error instanceof Error ? error.message : String(error);
      }
      if (signal.aborted) break;
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** failures++);
      const from = this.lastId === undefined ? '' : ` after event ${this.lastId}`;
      this.err(`connection lost (${reason}); reconnecting in ${delay / 1000}s to carry on${from}`);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  private print(message: SseMessage): void {
    if (message.id !== undefined && /^\d+$/.test(message.id)) this.lastId = Number(message.id);
    if (message.event === 'reset') return this.reset(message.data);
    if (this.json) return this.out(message.data);
    let event: ServerEvent;
    try {
      event = JSON.parse(message.data) as ServerEvent;
    } catch {
      return this.out(`${message.event} ${message.data}`);
    }
    this.out(formatEventLine(event, this.colors));
  }

  /** Events were lost between the id asked for and the oldest one the server still holds. */
  private reset(data: string): void {
    if (this.json) return this.out(data);
    let reset: ResetData | undefined;
    try {
      reset = JSON.parse(data) as ResetData;
    } catch {
      reset = undefined;
    }
    if (reset?.reason === 'unknown') {
      this.err(`note: the server does not know event ${reset.requested_id} (it restarted: ids start again); printing every event it still holds`);
    } else if (reset) {
      this.err(`note: events ${reset.requested_id + 1} to ${reset.oldest_id - 1} are lost (older than the server's event buffer)`);
    } else {
      this.err('note: some events are lost (the server no longer holds them)');
    }
  }
}
