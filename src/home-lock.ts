/**
 * One server per home: two supervisors on one registry would fire every job twice and each would
 * take the other's runs for leftovers of a crash. A pid file claims the home; a stale one (its
 * process is gone) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probePid } from '../workers/kill-group.js';
import { MxxError } from './errors.js';

export interface HomeLock {
  release(): void;
}

export function lockHome(serverDir: string): HomeLock {
  mkdirSync(serverDir, { recursive: true });
  const file = join(serverDir, 'server.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && probePid(holder) !== 'gone') {
        throw new MxxError('INVALID_REQUEST', `another mxx server (pid ${holder}) is already using ${serverDir}`, {
          hint: 'stop it first, or give this one its own home with MXX_HOME=<folder>',
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new MxxError('INTERNAL', `could not claim ${file}`);
}
