/**
 * The server log's lines for events (SPEC §13): one per run end, registration, update, removal,
 * pause and resume, and the shutdown naming the runs it stops. The message is a fixed phrase and
 * the facts are fields, so `grep 'run ended' | grep status=failed` (or a JSON query on `msg`)
 * keeps working whatever the values are:
 *
 *   WARN  run ended job=… run=… status=failed exit_code=3 duration_ms=41 trigger=schedule
 *   WARN  run missed job=… run=… scheduled_at=… reason=…
 *   INFO  run skipped job=… run=… reason=…
 *   INFO  job registered job=… source=file file=/…/x.toml next_run=…
 *   INFO  job updated | job removed | job paused | job resumed  job=… …
 *   INFO  server stopping running=1 runs=job/run-id
 *   DEBUG run queued | run started  job=… run=…
 *
 * Job-file load failures and recoveries (file.error, file.fixed) are not written here: job-files.ts
 * logs them once, where the failure is known with its context ("the last good definition stays
 * active"), and a second line for the same failure would only be noise.
 */
import type { EventHub } from './events/hub.js';
import type { EventOf, ServerEvent } from './events/types.js';
import type { Logger } from './logger.js';
import type { RunStatus } from './records.js';

/** Run ends that need someone's attention: WARN; the others (completed, cancelled) are INFO. */
const WARN_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>(['failed', 'timed_out', 'interrupted']);

type Fields = Record<string, unknown>;

/** Absent facts are left out of the line rather than written as `signal=null`. */
const given = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

function runEnded(e: EventOf<'run.ended'>): Fields {
  return {
    job: e.job_id,
    run: e.run_id,
    status: e.status,
    exit_code: e.exit_code,
    signal: given(e.signal),
    duration_ms: e.duration_ms,
    trigger: e.trigger,
    attempt: e.attempt > 0 ? e.attempt : undefined,
    error: given(e.error),
  };
}

function jobChanged(e: EventOf<'job.registered'> | EventOf<'job.updated'>): Fields {
  return { job: e.job_id, source: e.source, file: e.file, next_run: e.on_demand ? 'on demand' : given(e.next_run) };
}

/** Writes a log line for each event that has one; returns the unsubscribe. */
export function attachServerLog(hub: EventHub, logger: Logger): () => void {
  const write = (event: ServerEvent): void => {
    switch (event.type) {
      case 'run.ended':
        if (WARN_STATUSES.has(event.status)) logger.warn('run ended', runEnded(event));
        else logger.info('run ended', runEnded(event));
        return;
      case 'run.missed':
        logger.warn('run missed', { job: event.job_id, run: event.run_id, scheduled_at: given(event.scheduled_at), reason: given(event.reason) });
        return;
      case 'run.skipped':
        logger.info('run skipped', { job: event.job_id, run: event.run_id, scheduled_at: given(event.scheduled_at), reason: given(event.reason) });
        return;
      // Two a run under load: their fields are not even built unless they are written.
      case 'run.queued':
        if (logger.level !== 'debug') return;
        logger.debug('run queued', { job: event.job_id, run: event.run_id, reason: event.reason, trigger: event.trigger });
        return;
      case 'run.started':
        if (logger.level !== 'debug') return;
        logger.debug('run started', { job: event.job_id, run: event.run_id, pid: given(event.pid), trigger: event.trigger });
        return;
      case 'job.registered':
        logger.info('job registered', jobChanged(event));
        return;
      case 'job.updated':
        logger.info('job updated', jobChanged(event));
        return;
      case 'job.removed':
        logger.info('job removed', { job: event.job_id, source: event.source, file: event.file, running: event.running || undefined });
        return;
      case 'job.paused':
        logger.info('job paused', { job: event.job_id, stopped: event.stopped || undefined });
        return;
      case 'job.resumed':
        logger.info('job resumed', { job: event.job_id, next_run: given(event.next_run) });
        return;
      case 'server.stopping': {
        // The run.ended lines (status interrupted) of these runs follow once they are stopped.
        const runs = event.runs.map((run) => `${run.job_id}/${run.run_id}`);
        logger.info('server stopping', { running: runs.length, runs: runs.length > 0 ? runs.join(',') : undefined });
        return;
      }
      case 'file.error':
      case 'file.fixed':
        return;
    }
  };
  return hub.subscribe(write);
}
