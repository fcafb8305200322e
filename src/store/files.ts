/** The files store: registry.json + journal and one JSON-lines history file per job, under the mxx home. */
import { createHistory } from '../history/index.js';
import { silentLogger, type Logger } from '../logger.js';
import type { MxxPaths } from '../paths.js';
import { createRegistry } from '../registry/index.js';
import type { Store } from './types.js';

export interface FilesStoreOptions {
  paths: MxxPaths;
  /** @default silentLogger */
  logger?: Logger;
}

export function createFilesStore(options: FilesStoreOptions): Store {
  const logger = options.logger ?? silentLogger;
  const registry = createRegistry({ file: options.paths.registry, logger });
  const history = createHistory({ dir: options.paths.runs, logger });
  return {
    kind: 'files',
    registry,
    history,
    close: () => Promise.resolve(),
    status: () => ({ kind: 'files', connected: true }),
  };
}
