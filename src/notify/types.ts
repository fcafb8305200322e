/** What the rest of the server sees of the notifier: its delivery counts (for /metrics). */

/** `delivered`: a webhook answered 2xx or a cmd exited 0; `failed`: gave up (after retries); `retried`: one more attempt. */
export const NOTIFICATION_RESULTS = ['delivered', 'failed', 'retried'] as const;
export type NotificationResult = (typeof NOTIFICATION_RESULTS)[number];

export interface NotificationCounts {
  /** Counts since start, by result. */
  counts(): Record<NotificationResult, number>;
}
