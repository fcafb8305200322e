/**
 * `source` as the API shows it, as the original did: "api", or "config:<file name>" for a job
 * file (e.g. `config:daily_backup.toml`); the entry's `file` keeps the full path. The stored
 * registry keeps "api" | "file".
 */
import { basename } from 'node:path';
import type { RegistryEntry } from '../records.js';

export type WireSource = 'api' | `config:${string}`;

export function wireSource(entry: Pick<RegistryEntry, 'source' | 'file'>): WireSource {
  return entry.source === 'file' ? `config:${basename(entry.file ?? '')}` : 'api';
}
