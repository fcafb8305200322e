/** Shape checks for registry.json (and the registry journal's entries): the whole document, and each entry on its own. */
import { isJobId } from '../job/id.js';
import type { RegistryEntry } from '../records.js';

export const REGISTRY_VERSION = 1;

export interface RegistryDocument {
  version: number;
  /** The last journal change the file includes. @default 0 */
  seq?: number;
  entries: unknown[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why `value` is not a registry document, or undefined when it is one. */
export function registryDocumentProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'the top level is not an object';
  const { version, entries } = value;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return `"version" is ${JSON.stringify(version)}, expected a positive integer`;
  }
  if (!Array.isArray(entries)) return '"entries" is not an array';
  // The journal position the file includes; absent in files written before the journal.
  const { seq } = value;
  if (seq !== undefined && (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0)) {
    return `"seq" is ${JSON.stringify(seq)}, expected a non-negative integer`;
  }
  return undefined;
}

/**
 * Turns one stored entry into a RegistryEntry, or returns the list of problems. Fields with an obvious
 * neutral value (last_triggered, execution_count, paused) default to it so a hand-edited file still loads;
 * unknown fields are kept, so a newer minor field survives a load/save cycle.
 */
export function parseRegistryEntry(value: unknown): { entry: RegistryEntry } | { problems: string[] } {
  if (!isPlainObject(value)) return { problems: ['the entry is not an object'] };
  const problems: string[] = [];
  const {
    job_id,
    config,
    schedule,
    source,
    file,
    registered_at,
    last_triggered = null,
    execution_count = 0,
    paused = false,
    load_error,
    node,
  } = value;
  if (!isJobId(job_id)) problems.push(`job_id ${JSON.stringify(job_id)} is not a valid id`);
  if (!isPlainObject(config)) problems.push('config is missing or not an object');
  if (!('schedule' in value)) problems.push('schedule is missing (null for an on-demand job)');
  else if (schedule !== null && !isPlainObject(schedule)) problems.push('schedule is not an object or null');
  if (source !== 'api' && source !== 'file') problems.push(`source is ${JSON.stringify(source)}, expected "api" or "file"`);
  if (source === 'file' && typeof file !== 'string') problems.push('file is missing for a job from a file');
  if (file !== undefined && typeof file !== 'string') problems.push('file is not a string');
  if (typeof registered_at !== 'string') problems.push('registered_at is missing or not a string');
  if (last_triggered !== null && typeof last_triggered !== 'string') problems.push('last_triggered is not a string or null');
  if (typeof execution_count !== 'number' || !Number.isInteger(execution_count) || execution_count < 0) {
    problems.push('execution_count is not a non-negative integer');
  }
  if (typeof paused !== 'boolean') problems.push('paused is not a boolean');
  if (load_error !== undefined && typeof load_error !== 'string') problems.push('load_error is not a string');
  if (node !== undefined && typeof node !== 'string') problems.push('node is not a string');
  if (problems.length > 0) return { problems };
  return {
    entry: {
      ...value,
      job_id,
      config,
      schedule,
      source,
      registered_at,
      last_triggered,
      execution_count,
      paused,
    } as RegistryEntry,
  };
}
