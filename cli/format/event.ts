/** One server event as a line for people (`mxx events`): time, type, job, run, and what happened. */
import type { ServerEvent } from '../../src/events/types.js';
import { colorStatus, type Colors } from './color.js';
import { formatAbsolute, formatDuration, formatWhen } from './time.js';

/** The longest type, `server.stopping`: the columns after it line up. */
const TYPE_WIDTH = 15;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function source(event: { source: 'api' | 'file'; file?: string }): string {
  return event.source === 'file' ? `from ${event.file ?? 'a job file'}` : 'via the API';
}

function nextRun(next: string | null, onDemand = false): string {
  if (onDemand) return 'on demand';
  return next ? `next run ${formatWhen(next, Date.now(), true)}` : 'no next run';
}

/** What happened, after the job and run columns. */
function details(event: ServerEvent, c: Colors): string {
  switch (event.type) {
    case 'run.queued':
      return event.reason === 'overlap' ? 'waiting for its running run (overlap: queue)' : 'waiting for a free slot (max_concurrency)';
    case 'run.started':
      return event.pid === null ? '' : `pid ${event.pid}`;
    case 'run.ended': {
      const how = event.exit_code !== null ? `exit ${event.exit_code}` : event.signal ? `signal ${event.signal}` : '';
      const error = event.error ? c.red(event.error) : '';
      return [colorStatus(c, event.status), how, formatDuration(event.duration_ms), error].filter(Boolean).join('  ');
    }
    case 'run.skipped':
    case 'run.missed':
      return c.yellow(event.reason ?? event.type.slice(4));
    case 'job.registered':
    case 'job.updated':
      return `${source(event)}, ${nextRun(event.next_run, event.on_demand)}`;
    case 'job.removed':
      return [source(event), event.running > 0 ? `${plural(event.running, 'run')} stopped` : ''].filter(Boolean).join(', ');
    case 'job.paused':
      return event.stopped > 0 ? `${plural(event.stopped, 'run')} stopped` : '';
    case 'job.resumed':
      return nextRun(event.next_run);
    case 'file.error':
      return `${event.file}: ${c.red(event.error)}${event.transient ? c.dim(' (will retry)') : ''}`;
    case 'file.fixed':
      return `${event.file} loads again`;
    case 'server.stopping':
      return event.running.length > 0 ? `stopping ${plural(event.running.length, 'run')}: ${event.running.join(', ')}` : '';
    default: {
      // A type this client does not know yet: its fields as they came.
      const { id: _id, type: _type, time: _time, ...rest } = event as Record<string, unknown>;
      return JSON.stringify(rest);
    }
  }
}

function colorType(c: Colors, type: string, padded: string): string {
  if (type === 'file.error') return c.red(padded);
  if (type === 'server.stopping') return c.yellow(padded);
  if (type.startsWith('run.')) return c.cyan(padded);
  return c.bold(padded);
}

export function formatEventLine(event: ServerEvent, c: Colors): string {
  const job = 'job_id' in event && event.job_id ? event.job_id : '-';
  const run = 'run_id' in event ? `run ${event.run_id}` : '';
  return [
    c.dim(formatAbsolute(event.time, true)),
    colorType(c, event.type, event.type.padEnd(TYPE_WIDTH)),
    job,
    run,
    details(event, c),
  ]
    .filter(Boolean)
    .join('  ');
}
