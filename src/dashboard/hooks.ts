/** Preact hooks over the store and the clock. */
import { useEffect, useReducer, useState } from 'preact/hooks';
import { store } from './store.js';

/** Renders again after every store change (at most once a frame). */
export function useStore(): typeof store {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => store.subscribe(() => bump(undefined)), []);
  return store;
}

/** The time, ticking every `everyMs`: relative times ("in 3m") and growing bars move with it. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
