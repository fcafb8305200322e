/** The answer to a registration (`mxx register`, a saved `mxx edit`): what happened and when it runs. */
import type { RegisterBody } from '../../src/api/types.js';
import type { Colors } from './color.js';
import { formatWhen } from './time.js';

/** `registered ID: next run …` (or `replaced`, or `on demand`), then a warning line when it fires with others. */
export function registeredLines(body: RegisterBody, c: Pick<Colors, 'bold' | 'yellow'>): { out: string; warning: string | null } {
  const what = body.on_demand || body.status === 'registered' ? 'on demand' : `next run ${formatWhen(body.next_run ?? null)}`;
  return {
    out: `${body.replaced ? 'replaced' : 'registered'} ${c.bold(body.job_id)}: ${what}`,
    warning: body.overlaps.length ? c.yellow(`warning: fires at the same second as: ${body.overlaps.join(', ')}`) : null,
  };
}
