/**
 * A server's id in a cluster: the same across its restarts (so a restarted server takes back what
 * its previous life left, by its epoch) and different for every server: the host name plus a short
 * hash of the mxx home (two servers on one machine have two homes; one home has one server).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export function defaultNodeId(home: string, host = hostname()): string {
  const hash = createHash('sha256').update(resolve(home)).digest('hex').slice(0, 6);
  return `${host}-${hash}`;
}
