/** A start refused for a bad option leaves nothing behind: the home is not locked for the next start. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createHome, expectMxxError, startTestServer } from '../_server.js';

it('a refused pool option releases the home lock', async () => {
  const home = await createHome();
  try {
    await expectMxxError(startTestServer({ home, threads: 0 }), 'INVALID_REQUEST');
    expect(existsSync(join(home, 'server', 'server.pid'))).toBe(false);
    const server = await startTestServer({ home });
    await server.close();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
