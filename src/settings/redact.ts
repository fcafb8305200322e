/** Settings shown by `mxx config` and the server log without the secrets some of them carry. */

/** The store URL with its password masked: one rule, kept with the store that parses it. */
export { redactUrl } from '../store/postgres/redact.js';

/**
 * A webhook as its origin: many services (Slack, Discord, Teams) put the secret in the path, so
 * `https://hooks.slack.com/services/T0/B0/xyz` is shown as `https://hooks.slack.com/…`.
 */
export function webhookOrigin(value: string): string {
  try {
    const url = new URL(value);
    return url.pathname === '/' && url.search === '' ? url.origin : `${url.origin}/…`;
  } catch {
    return '(unreadable URL)';
  }
}
