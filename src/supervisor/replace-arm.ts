/** Arming a job whose definition was just replaced, without losing or repeating a fire. */
import type { Job } from './types.js';

/**
 * Where a (re)registered job's next fire is searched from: the registration instant, so a fire
 * that fell due while the entry was being saved runs late rather than not at all — but never an
 * instant the replaced definition already fired (that would run one fire twice), and no later than
 * a fire the replaced definition had due and not yet fired (that fire would be lost).
 */
export function armAfterReplacing(replaced: Pick<Job, 'nextFire' | 'lastFired'> | undefined, registeredAt: number): number {
  if (!replaced) return registeredAt;
  let after = registeredAt;
  if (replaced.nextFire !== null && replaced.nextFire <= registeredAt) after = replaced.nextFire - 1;
  if (replaced.lastFired !== null) after = Math.max(after, replaced.lastFired);
  return after;
}
