/**
 * Notices when the wall clock jumps (a clock change, NTP stepping it, or a suspend of the machine,
 * during which the monotonic clock stands still): every second it compares how far Date.now() and
 * performance.now() moved. Timers are armed on the wall clock, so after a jump every job's next
 * fire is planned again from the new time (SPEC §3) instead of waiting out the old plan.
 */

/** Moves of the wall clock against the monotonic one smaller than this are timer noise. */
export const CLOCK_JUMP_MS = 2_000;
const CHECK_EVERY_MS = 1_000;

export interface ClockWatch {
  stop(): void;
}

/** Calls `onJump(deltaMs)` (positive = forward) whenever the wall clock jumped. */
export function watchClock(
  onJump: (deltaMs: number) => void,
  clocks: { wall: () => number; mono: () => number } = { wall: Date.now, mono: () => performance.now() },
): ClockWatch {
  let wall = clocks.wall();
  let mono = clocks.mono();
  const timer = setInterval(() => {
    const nextWall = clocks.wall();
    const nextMono = clocks.mono();
    const delta = nextWall - wall - (nextMono - mono);
    wall = nextWall;
    mono = nextMono;
    if (Math.abs(delta) >= CLOCK_JUMP_MS) onJump(delta);
  }, CHECK_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
