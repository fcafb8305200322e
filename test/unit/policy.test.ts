/** The overlap decision (SPEC §5) on its own: every policy, max_instances, the queue of one, groups. */
import { describe, expect, it } from 'vitest';
import { decideOverlap } from '../../src/supervisor/policy.js';
import { activeRun, busy, jobDef, jobTable, soloJob } from '../_fakes.js';

const policy = (overlap: string, extra: Record<string, unknown> = {}) => ({ policy: { overlap, ...extra } });

describe('decideOverlap: a job alone', () => {
  it.each(['skip', 'queue', 'replace', 'allow'])('%s: an idle job starts', (overlap) => {
    expect(decideOverlap(soloJob('j', policy(overlap)), [])).toEqual({ action: 'start' });
  });

  it('skip is the default, and names the runs in progress', () => {
    const job = soloJob('j');
    expect(job.def.policy.overlap).toBe('skip');
    busy(job, 2);
    expect(decideOverlap(job, [])).toEqual({ action: 'skip', reason: 'job j is already running (j-run1, j-run2)' });
  });

  it('queue: the first fire while busy waits, a second one is skipped (one pending at most)', () => {
    const job = soloJob('q', policy('queue'));
    busy(job);
    expect(decideOverlap(job, [])).toEqual({ action: 'queue' });
    job.pending = activeRun('q', 'q-pending');
    expect(decideOverlap(job, [])).toEqual({ action: 'skip', reason: 'job q is already running (q-run1) and a run is already queued' });
  });

  it('replace: the runs in progress are the victims', () => {
    const job = soloJob('r', policy('replace'));
    const runs = busy(job, 2);
    expect(decideOverlap(job, [])).toEqual({ action: 'replace', victims: runs });
  });

  it('allow: starts beside its own runs up to max_instances, then skips', () => {
    const job = soloJob('a', policy('allow', { max_instances: 3 }));
    busy(job, 2);
    expect(decideOverlap(job, [])).toEqual({ action: 'start' });
    busy(job);
    expect(decideOverlap(job, [])).toEqual({ action: 'skip', reason: 'max_instances (3) reached' });
  });

  it('allow with the default max_instances (1) behaves as skip once busy', () => {
    const job = soloJob('a', policy('allow'));
    busy(job);
    expect(decideOverlap(job, [])).toEqual({ action: 'skip', reason: 'max_instances (1) reached' });
  });
});

describe('decideOverlap: groups', () => {
  /** Three members of group "g" with the given overlaps; the first one is busy. */
  function group(...overlaps: string[]) {
    const defs = overlaps.map((overlap, i) => jobDef(`m${i}`, policy(overlap, { group: 'g', max_instances: 5 })));
    const table = jobTable(...defs);
    const jobs = defs.map((def) => table.get(def.id)!);
    return { table, jobs };
  }

  it('an idle member starts when no other member runs', () => {
    const { table, jobs } = group('skip', 'skip');
    expect(table.groupRuns(jobs[1]!)).toEqual([]);
    expect(decideOverlap(jobs[1]!, table.groupRuns(jobs[1]!))).toEqual({ action: 'start' });
  });

  it('each member applies its own policy "as if it were itself running"', () => {
    const { table, jobs } = group('skip', 'skip', 'queue', 'replace');
    const running = busy(jobs[0]!);
    const [, skip, queue, replace] = jobs;
    expect(decideOverlap(skip!, table.groupRuns(skip!))).toEqual({ action: 'skip', reason: 'group "g" is busy (m0/m0-run1)' });
    expect(decideOverlap(queue!, table.groupRuns(queue!))).toEqual({ action: 'queue' });
    queue!.pending = activeRun(queue!.id, 'm2-pending');
    expect(decideOverlap(queue!, table.groupRuns(queue!))).toMatchObject({ action: 'skip', reason: 'group "g" is busy (m0/m0-run1) and a run is already queued' });
    // replace stops the other member's run as well as its own.
    expect(decideOverlap(replace!, table.groupRuns(replace!))).toEqual({ action: 'replace', victims: running });
  });

  it('replace takes its own runs and the group\'s as victims', () => {
    const { table, jobs } = group('skip', 'replace');
    const theirs = busy(jobs[0]!);
    const mine = busy(jobs[1]!);
    expect(decideOverlap(jobs[1]!, table.groupRuns(jobs[1]!))).toEqual({ action: 'replace', victims: [...mine, ...theirs] });
  });

  it('allow never runs a member beside another member, whatever max_instances says', () => {
    const { table, jobs } = group('skip', 'allow');
    busy(jobs[0]!);
    expect(decideOverlap(jobs[1]!, table.groupRuns(jobs[1]!))).toEqual({ action: 'skip', reason: 'group "g" is busy (m0/m0-run1)' });
  });

  it('a job\'s own runs are named before the group\'s', () => {
    const { table, jobs } = group('skip', 'skip');
    busy(jobs[0]!);
    busy(jobs[1]!);
    expect(decideOverlap(jobs[1]!, table.groupRuns(jobs[1]!))).toEqual({ action: 'skip', reason: 'job m1 is already running (m1-run1)' });
  });

  it('the group is only the jobs that name it: another group or none does not count', () => {
    const table = jobTable(jobDef('a', policy('skip', { group: 'g' })), jobDef('b', policy('skip', { group: 'h' })), jobDef('c'));
    busy(table.get('b')!);
    busy(table.get('c')!);
    expect(table.groupRuns(table.get('a')!)).toEqual([]);
    expect(decideOverlap(table.get('a')!, [])).toEqual({ action: 'start' });
  });
});
