/** Cron in expression form (`cron = "*\/5 * * * *"`): standard (Vixie) meaning, validated by croner. */
import { sharedCron } from './cron-walk.js';
import type { CronPlan } from './cron-fields.js';

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * One plan per distinct pattern (plans are never changed), as sharedCron keeps one croner instance
 * per pattern: 100 000 jobs on a few thousand daily times hold a few thousand plans.
 */
const plans = new Map<string, CronPlan>();

/**
 * Plans an expression of 5 fields (minute hour day month weekday) or 6 (seconds first), or a
 * nickname like `@daily`. 0 and 7 are Sunday; day-of-month and day-of-week are ORed when both are
 * restricted (croner's default, as Vixie cron). Throws an Error whose message is a predicate
 * that reads after the key: `schedule.cron must have 5 fields …`.
 */
export function planExpressionCron(expression: string): CronPlan {
  const text = expression.trim();
  const expanded = NICKNAMES[text.toLowerCase()] ?? text;
  if (expanded.startsWith('@')) throw new Error(`must be 5 or 6 fields or one of ${Object.keys(NICKNAMES).join(', ')}, got ${JSON.stringify(text)}`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new Error(`must have 5 fields (minute hour day month weekday) or 6 (seconds first), got ${parts.length} in ${JSON.stringify(text)}`);
  }
  const full = parts.length === 5 ? ['0', ...parts] : parts;
  const pattern = full.join(' ');
  const known = plans.get(pattern);
  if (known) return known;
  const plan: CronPlan = { pattern, domAndDow: false };
  try {
    // Validates it, and keeps the (shared) croner instance the walker will use.
    sharedCron(plan);
  } catch (error) {
    throw new Error(`is not a valid cron expression, got ${JSON.stringify(text)} (${String((error as Error).message).replace(/^CronPattern: /, '')})`);
  }
  plans.set(pattern, plan);
  return plan;
}
