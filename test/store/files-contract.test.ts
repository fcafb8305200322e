/** The files store (registry.json + journal, one JSON-lines file per job) against the store contract. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { createFilesStore } from '../../src/store/index.js';
import { storeContract } from './_store-contract.js';

let home = '';
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mxx-store-files-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('files store contract', () => {
  storeContract(async () => createFilesStore({ paths: resolvePaths({ home }, {}) }));
});
