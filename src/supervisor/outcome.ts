/** Turns a worker's RunResult into the run record's final fields. */
import type { RunResult } from '../../workers/protocol.js';
import { toIsoLocal, type RunRecord } from '../records.js';

export function applyResult(record: RunRecord, result: RunResult, replacedBy?: string): RunRecord {
  const status =
    result.status === 'cancelled' && result.stopReason === 'shutdown' ? 'interrupted' : result.status;
  let error = result.error;
  if (result.status === 'cancelled') {
    if (result.stopReason === 'shutdown') error = 'stopped because the server shut down';
    else if (result.stopReason === 'replaced') error = replacedBy ? `replaced by run ${replacedBy}` : 'replaced by a newer run';
    else error ??= 'stopped by a user';
  }
  const startedAt = result.startedAt;
  return {
    ...record,
    status,
    started_at: startedAt === null ? record.started_at : toIsoLocal(startedAt),
    ended_at: toIsoLocal(result.endedAt),
    exit_code: result.exitCode,
    signal: result.signal,
    pid: result.pid ?? record.pid,
    duration_ms: startedAt === null ? 0 : Math.max(0, result.endedAt - startedAt),
    error,
    output_tail: result.tail,
    log_truncated: result.truncated,
  };
}

/** A record for a run that ended without ever reaching the pool (stopped while it waited). */
export function endUnlaunched(record: RunRecord, status: RunRecord['status'], error: string, now: number): RunRecord {
  return { ...record, status, ended_at: toIsoLocal(now), duration_ms: 0, error };
}
