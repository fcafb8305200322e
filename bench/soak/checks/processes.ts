/** No process of any run outlives the final stop: none with the soak's SOAK_ID in its environment. */
import { setTimeout as delay } from 'node:timers/promises';
import { processesWithEnv, type MarkedProcess } from '../procfs.js';
import { skipped, verdict, type Invariant } from './invariant.js';

const describe = (p: MarkedProcess): string =>
  `pid ${p.pid} \`${p.cmd.slice(0, 120)}\` job ${p.env.get('MXX_JOB_ID') ?? '?'} run ${p.env.get('MXX_RUN_ID') ?? '?'}`;

/** Killed processes take a moment to be reaped by PID 1: look again for a few seconds before blaming one. */
export async function checkLeftovers(soakId: string, settleMs = 3_000): Promise<Invariant> {
  if (process.platform !== 'linux') return skipped('no-leftover-processes', `needs /proc (this is ${process.platform})`);
  let left = processesWithEnv('SOAK_ID', soakId);
  for (const giveUpAt = Date.now() + settleMs; left.length > 0 && Date.now() < giveUpAt; ) {
    await delay(200);
    left = processesWithEnv('SOAK_ID', soakId);
  }
  const daemons = left.filter((p) => /sleep 100/.test(p.cmd)).map(describe);
  const others = left.filter((p) => !/sleep 100/.test(p.cmd)).map(describe);
  return verdict(
    'no-leftover-processes',
    { 'daemonized processes of runs still alive': daemons, 'other processes of runs still alive': others },
    'no process with the soak\'s SOAK_ID (a run, its children or a daemon it left) is alive after the final stop',
    'after the final clean stop',
  );
}
