/**
 * The server itself: it never exits unless the soak ends it, every start comes up (a start refused
 * while the disk is full is noted, not failed), and every answer that is not 2xx is one a client can
 * act on: 503 with Retry-After for a refusal, 404 for a removal of an id the server does not hold.
 */
import type { Answer } from '../client.js';
import type { ServerLife } from '../server.js';
import { verdict, type Invariant } from './invariant.js';

export interface StartFailure {
  life: number;
  at: number;
  diskFull: boolean;
  error: string;
}

export function checkServer(lives: ServerLife[], startFailures: StartFailure[], slowStops: string[]): Invariant {
  const died = lives
    .filter((life) => life.cause === 'self')
    .map((life) => `life ${life.n} (pid ${life.pid}) exited on its own with ${life.exit?.code ?? life.exit?.signal} after ${((life.endedAt! - life.spawnedAt) / 1000).toFixed(1)} s; log tail: ${lastLines(life.logTail(), 6)}`);
  const failedStarts = startFailures.filter((f) => !f.diskFull).map((f) => `life ${f.life}: ${f.error.slice(0, 400)}`);
  const kills = lives.filter((life) => life.cause === 'kill9').length;
  const noted = startFailures.filter((f) => f.diskFull).length;
  return verdict(
    'server-survived',
    { 'server exits the soak did not cause': died, 'starts that did not come up': failedStarts, 'clean stops that needed SIGKILL or did not exit 0': slowStops },
    `${lives.length} lives, ${kills} ended by kill -9, every start came up${noted ? ` (${noted} refused while the disk was full, then retried)` : ''}, never exited on its own`,
  );
}

export function checkAnswers(odd: Answer[]): Invariant {
  const noRetryAfter = odd.filter((a) => a.status === 503 && !a.retryAfter);
  const unexpected = odd.filter((a) => a.status !== 503 && !(a.status === 404 && a.method === 'DELETE'));
  const show = (a: Answer): string => `${new Date(a.at).toISOString()} ${a.method} ${a.path} → ${a.status} ${a.code ?? ''}${a.retryAfter ? ` Retry-After ${a.retryAfter}` : ''}: ${a.error ?? ''}`;
  const refusals = odd.filter((a) => a.status === 503);
  const codes = [...new Set(refusals.map((a) => a.code ?? '?'))].join(', ');
  return verdict(
    'api-answers',
    { '503 answers without Retry-After': noRetryAfter.map(show), 'answers that are neither 2xx, 503 nor a 404 for a removal': unexpected.map(show) },
    `${refusals.length} refusals, all 503 with Retry-After${codes ? ` (${codes})` : ''}; no other error answer`,
  );
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 1200);
}
