/**
 * One-shot timers on the wall clock. setTimeout runs on the monotonic clock, which does not
 * see a suspend or a clock change; sleeping in chunks and re-reading Date.now() on every wake
 * makes a fire follow the wall clock instead of drifting.
 */
/** The longest single setTimeout of a wall-clock wait (also FireQueue's). */
export const MAX_CHUNK_MS = 15_000;

export interface WallTimer {
  readonly at: number;
  cancel(): void;
}

export function setWallTimer(at: number, fire: () => void, now: () => number = Date.now): WallTimer {
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const tick = (): void => {
    if (cancelled) return;
    const delay = at - now();
    // Below 1 ms another setTimeout would add a whole millisecond of lateness.
    if (delay < 1) {
      handle = undefined;
      fire();
      return;
    }
    handle = setTimeout(tick, Math.min(delay, MAX_CHUNK_MS));
  };
  handle = setTimeout(tick, Math.max(0, Math.min(at - now(), MAX_CHUNK_MS)));
  return {
    at,
    cancel() {
      cancelled = true;
      if (handle) clearTimeout(handle);
      handle = undefined;
    },
  };
}
