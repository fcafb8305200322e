/**
 * Definitions after the final clean restart: every acknowledged registration or job-file write is
 * there with its content (its command's version), every acknowledged removal is absent, file jobs
 * load without error, and nothing is registered that the soak never asked for. The registry file
 * left by the final stop must parse and hold the same ids.
 */
import { describeDefinition, type Definition, type Ledger } from '../ledger.js';
import type { RegistryRead } from '../records.js';
import { verdict, type Invariant } from './invariant.js';

export interface ServedEntry {
  job_id: string;
  config?: { os?: { cmd?: unknown } };
  source?: string;
  load_error?: string;
}

const definitionOf = (entry: ServedEntry | undefined): Definition =>
  entry ? { present: true, cmd: typeof entry.config?.os?.cmd === 'string' ? entry.config.os.cmd : null } : { present: false, cmd: null };

export function checkDefinitions(ledger: Ledger, served: ServedEntry[]): Invariant {
  const byId = new Map(served.map((entry) => [entry.job_id, entry]));
  const lost: string[] = [];
  const resurrected: string[] = [];
  const stale: string[] = [];
  const loadErrors: string[] = [];
  let present = 0;
  let absent = 0;
  for (const entry of ledger.entries.values()) {
    const got = byId.get(entry.id);
    const actual = definitionOf(got);
    if (entry.acked.present) present++;
    else absent++;
    if (got?.load_error) loadErrors.push(`${entry.id}: load_error ${got.load_error.slice(0, 200)}`);
    if (ledger.allowed(entry, actual)) continue;
    const line = `${entry.id} (${entry.via}): acknowledged ${describeDefinition(entry.acked)}${entry.ackedAt ? ` at ${new Date(entry.ackedAt).toISOString()}` : ''}${entry.uncertain.length ? `, unanswered ${entry.uncertain.map(describeDefinition).join('/')}` : ''}; found ${describeDefinition(actual)}`;
    if (!actual.present) lost.push(line);
    else if (!entry.acked.present) resurrected.push(line);
    else stale.push(line);
  }
  const unknown = served.filter((entry) => !ledger.entries.has(entry.job_id)).map((entry) => `${entry.job_id}: registered, but the soak never defined it`);
  const vanished = ledger.vanished.map(
    (v) => `${v.id}: ${v.how} at ${new Date(v.at).toISOString()} while ${describeDefinition(v.expected)} was acknowledged`,
  );
  return verdict(
    'definitions',
    {
      'acknowledged definitions missing': lost,
      'acknowledged definitions lost mid-soak (404 for an acknowledged id)': vanished,
      'acknowledged removals present again': resurrected,
      'definitions older than the acknowledged one': stale,
      'job files with a load error': loadErrors,
      'jobs the soak never defined': unknown,
    },
    `${present} acknowledged definitions present with their latest content, ${absent} acknowledged removals absent (${ledger.counts.acked} API changes acknowledged, ${ledger.counts.refused} refused and retried, ${ledger.counts.unknown} unanswered; ${ledger.counts.fileWrites} job-file writes, ${ledger.counts.fileWriteErrors} failed)`,
  );
}

export function checkRegistryFile(read: RegistryRead, served: ServedEntry[]): Invariant {
  const onDisk = new Set(read.entries.map((entry) => String(entry.job_id)));
  const missing = served.filter((entry) => !onDisk.has(entry.job_id)).map((entry) => `${entry.job_id}: served by the final server, absent from registry.json after its stop`);
  const extra = [...onDisk].filter((id) => !served.some((entry) => entry.job_id === id)).map((id) => `${id}: in registry.json, not served by the final server`);
  return verdict(
    'registry-file',
    {
      'parse problems': read.problem ? [read.problem] : [],
      'corrupt registries moved aside': read.movedAside,
      'ids served but not on disk': missing,
      'ids on disk but not served': extra,
    },
    `registry.json parses: version and ${read.entries.length} entries, the same ids the final server served; nothing moved aside`,
  );
}
