/**
 * Notifications on run events (SPEC §12): a webhook POST and/or a command, for each run event
 * whose outcome is in the job's resolved `on` set. The hub listener only queues; deliveries run
 * later, at most `maxInFlight` at once, so a slow receiver never delays firing nor (beyond that
 * bound) another notification. A webhook is retried with backoff on network errors, timeouts and
 * 5xx; the wait between attempts holds no slot. Every delivery, retry and failure is logged and
 * counted.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EventOf } from '../events/types.js';
import { resolveNotify, type NotifyEvent, type ResolvedNotify } from '../job/notify.js';
import type { RunRecord } from '../records.js';
import type { Supervisor } from '../supervisor/index.js';
import type { Logger } from '../logger.js';
import { prepareScratch, runNotifyCmd } from './cmd.js';
import { endLeftoverNotifyCmds, NOTIFIER_VARIABLE } from './leftovers.js';
import { resolveNotifierOptions, type NotifierOptions } from './options.js';
import { isRunEvent, RecoveryTracker, SEED_RECORDS, type RunServerEvent } from './outcomes.js';
import type { NotificationCounts, NotificationResult } from './types.js';
import { postWebhook, targetOf, type AttemptOutcome } from './webhook.js';
import { WorkQueue } from './work-queue.js';

export { resolveNotifierOptions, type NotifierOptions, type ResolvedNotifierOptions } from './options.js';

export interface Notifier extends NotificationCounts {
  /** Stops listening; resolves when deliveries under way have ended (cmds stopped). */
  close(): Promise<void>;
}

type RemovedEvent = EventOf<'job.removed'>;

/** One notification to one target, possibly over several attempts. */
interface Delivery {
  job: string;
  run: string;
  event: NotifyEvent;
  target: string;
  attempts: number;
  /** Resolves once the delivery is over: delivered, or given up. */
  done: Promise<void>;
  /** One attempt; never rejects. `output`: what a cmd wrote, for the log when it failed. */
  attempt(signal: AbortSignal): Promise<AttemptOutcome & { output?: string }>;
}

export function startNotifier(supervisor: Supervisor, partial: NotifierOptions): Notifier {
  const options = resolveNotifierOptions(partial);
  const { logger } = options;
  const counts: Record<NotificationResult, number> = { delivered: 0, failed: 0, retried: 0 };
  const tracker = new RecoveryTracker((jobId) => (supervisor.hasJob(jobId) ? supervisor.runs(jobId, { limit: SEED_RECORDS }) : []));
  const queue = new WorkQueue(options.maxInFlight, options.maxQueued, (error) =>
    logger.error('a notification failed in an unexpected way', { error: error instanceof Error ? error : String(error) }),
  );
  const scratchDir = join(supervisor.paths.server, 'notify');
  // Left over by a server that died while a cmd ran; cmds wait for the folder to be ready.
  const scratchReady = endLeftovers(scratchDir, logger)
    .then(() => prepareScratch(scratchDir))
    .catch((error: unknown) => {
      logger.warn(`could not prepare ${scratchDir} for notify commands`, { error: String(error) });
    });
  const host = hostname();
  /** Aborted when close() has waited long enough: attempts under way end at once. */
  const abort = new AbortController();
  /** Deliveries not yet over (waiting, under way, or between attempts), and how each is ended. */
  const alive = new Map<Delivery, () => void>();
  const backoffs = new Map<NodeJS.Timeout, Delivery>();
  const inbox: (RunServerEvent | RemovedEvent)[] = [];
  let drainPlanned = false;
  let closing: Promise<void> | null = null;

  const unsubscribe = supervisor.events.subscribe((event) => {
    if (!isRunEvent(event) && event.type !== 'job.removed') return;
    inbox.push(event as RunServerEvent | RemovedEvent);
    if (drainPlanned) return;
    drainPlanned = true;
    // Looked at on a later turn: the listener costs an array push, and at start the jobs whose
    // runs are marked interrupted are installed by then.
    setImmediate(drainInbox);
  });

  function drainInbox(): void {
    drainPlanned = false;
    for (const event of inbox.splice(0)) {
      try {
        if (event.type === 'job.removed') tracker.forget(event.job_id);
        else onRunEvent(event);
      } catch (error) {
        logger.error('could not prepare a notification', { job: event.job_id, error: error instanceof Error ? error : String(error) });
      }
    }
  }

  function onRunEvent(event: RunServerEvent): void {
    const kinds = tracker.eventsFor(event);
    const def = supervisor.definition(event.job_id);
    const notify = def ? resolveNotify(def.notify, options.defaults) : null;
    if (notify === null) return;
    const wanted = kinds.filter((kind) => notify.on.has(kind));
    if (wanted.length === 0) return;
    const record = recordOf(event);
    for (const kind of wanted) {
      if (notify.webhook !== undefined) submit(webhookDelivery(notify.webhook, notify.headers, kind, record));
      if (notify.cmd !== undefined) submit(cmdDelivery(notify, kind, record));
    }
  }

  /** The run's full record (output_tail included); from the event if the history let it go. */
  function recordOf(event: RunServerEvent): RunRecord {
    try {
      return supervisor.run(event.run_id);
    } catch {
      return {
        run_id: event.run_id,
        job_id: event.job_id,
        trigger: event.trigger,
        scheduled_at: event.scheduled_at,
        started_at: 'started_at' in event ? event.started_at : null,
        ended_at: event.type === 'run.started' ? null : event.time,
        status: event.type === 'run.started' ? 'running' : event.type === 'run.ended' ? event.status : event.type === 'run.skipped' ? 'skipped' : 'missed',
        exit_code: event.type === 'run.ended' ? event.exit_code : null,
        signal: event.type === 'run.ended' ? event.signal : null,
        pid: event.type === 'run.started' ? event.pid : null,
        duration_ms: event.type === 'run.ended' ? event.duration_ms : null,
        error: event.type === 'run.ended' ? event.error : event.type === 'run.started' ? null : event.reason,
        attempt: event.type === 'run.ended' ? event.attempt : 0,
      };
    }
  }

  function webhookDelivery(url: string, headers: Record<string, string>, event: NotifyEvent, record: RunRecord): Omit<Delivery, 'done'> {
    const body = JSON.stringify({ event, job_id: record.job_id, run: record, host, server_url: options.serverUrl() });
    return {
      ...about(event, record),
      target: targetOf(url),
      attempts: 0,
      attempt: (signal) => postWebhook({ url, headers, body, timeoutMs: options.timeoutMs, signal }),
    };
  }

  function cmdDelivery(notify: ResolvedNotify, event: NotifyEvent, record: RunRecord): Omit<Delivery, 'done'> {
    const neverRan = record.status === 'skipped' || record.status === 'missed';
    const env = {
      MXX_JOB_ID: record.job_id,
      MXX_RUN_ID: record.run_id,
      MXX_STATUS: record.status,
      MXX_EXIT_CODE: record.exit_code === null ? '' : String(record.exit_code),
      MXX_LOG_PATH: neverRan ? '' : supervisor.runLogPath(record),
      MXX_EVENT: event,
      // Found by the next server on this home if this one dies without ending it.
      [NOTIFIER_VARIABLE]: scratchDir,
    };
    return {
      ...about(event, record),
      target: 'cmd',
      attempts: 0,
      async attempt(signal) {
        await scratchReady;
        const outcome = await runNotifyCmd({
          name: `${record.run_id}.${event}`,
          jobId: record.job_id,
          cmd: notify.cmd!,
          env,
          input: `${JSON.stringify(record)}\n`,
          lifetimeMs: notify.lifetime * 1000,
          graceMs: options.cmdGraceMs,
          outputBytes: options.outputBytes,
          dir: scratchDir,
          signal,
        });
        // A command is not retried: it may have done half its work, and it has its own lifetime.
        return { ...outcome, retry: false };
      },
    };
  }

  function about(event: NotifyEvent, record: RunRecord): Pick<Delivery, 'job' | 'run' | 'event'> {
    return { job: record.job_id, run: record.run_id, event };
  }

  function fields(d: Delivery): Record<string, unknown> {
    return { job: d.job, run: d.run, event: d.event, target: d.target };
  }

  function submit(draft: Omit<Delivery, 'done'>): void {
    let end!: () => void;
    const delivery: Delivery = { ...draft, done: new Promise<void>((resolve) => (end = resolve)) };
    alive.set(delivery, end);
    enqueue(delivery);
  }

  function enqueue(delivery: Delivery): void {
    if (abort.signal.aborted) return fail(delivery, 'the server shut down first');
    if (!queue.push(() => attempt(delivery))) {
      logger.warn(`notification dropped: ${options.maxInFlight} under way and ${queue.queued} waiting already`, fields(delivery));
      fail(delivery, null);
    }
  }

  async function attempt(delivery: Delivery): Promise<void> {
    if (abort.signal.aborted) return fail(delivery, 'the server shut down first');
    delivery.attempts++;
    let outcome: AttemptOutcome & { output?: string };
    try {
      outcome = await delivery.attempt(abort.signal);
    } catch (error) {
      // A bug of ours, or a value fetch refuses: this delivery fails, the others go on.
      logger.error('a notification attempt failed in an unexpected way', { ...fields(delivery), error: error instanceof Error ? error : String(error) });
      outcome = { ok: false, retry: false, detail: `internal error: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (outcome.ok) {
      counts.delivered++;
      logger.info('notification delivered', { ...fields(delivery), attempt: delivery.attempts, result: outcome.detail });
      return finish(delivery);
    }
    const output = outcome.output ? { output: outcome.output } : {};
    if (outcome.retry && delivery.attempts <= options.retries && !abort.signal.aborted) {
      counts.retried++;
      const waitMs = options.backoffMs * 2 ** (delivery.attempts - 1);
      logger.warn(`notification attempt ${delivery.attempts} failed; retrying in ${waitMs} ms`, { ...fields(delivery), reason: outcome.detail });
      const timer = setTimeout(() => {
        backoffs.delete(timer);
        enqueue(delivery);
      }, waitMs);
      backoffs.set(timer, delivery);
      return;
    }
    logger.warn(`notification failed${delivery.attempts > 1 ? ` after ${delivery.attempts} attempts` : ''}; giving up`, {
      ...fields(delivery),
      reason: outcome.detail,
      ...output,
    });
    counts.failed++;
    finish(delivery);
  }

  /** Counts a delivery that never got (another) attempt; `why` null: already logged. */
  function fail(delivery: Delivery, why: string | null): void {
    if (why !== null) logger.warn(`notification not sent: ${why}`, fields(delivery));
    counts.failed++;
    finish(delivery);
  }

  function finish(delivery: Delivery): void {
    alive.get(delivery)?.();
    alive.delete(delivery);
  }

  async function close(): Promise<void> {
    unsubscribe();
    // Events emitted before close (the runs the supervisor's shutdown ended) are still sent.
    drainInbox();
    const settled = Promise.all([...alive.keys()].map((d) => d.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), options.closeTimeoutMs)));
    const late = (await Promise.race([settled, deadline])) === 'late';
    clearTimeout(timer);
    if (late) {
      logger.warn(`stopping ${alive.size} notification(s) still under way at shutdown`);
      abort.abort();
      for (const [timer, delivery] of backoffs) {
        clearTimeout(timer);
        fail(delivery, 'the server shut down before its next attempt');
      }
      backoffs.clear();
      for (const task of queue.drain()) void task();
      // Attempts under way end promptly once aborted (a cmd's group is SIGKILLed).
      await settled;
    }
    await scratchReady;
  }

  return {
    counts: () => ({ ...counts }),
    close: () => (closing ??= close()),
  };
}

/** Ends the notify cmds a server that died on this home left running, and says so. */
async function endLeftovers(scratchDir: string, logger: Logger): Promise<void> {
  const ended = await endLeftoverNotifyCmds(scratchDir);
  if (ended > 0) logger.warn(`ended ${ended} notify command(s) left running by the server that last used this home`);
}
