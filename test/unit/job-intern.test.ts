/** Definitions share their common parts (policy, lifetime, an empty environment), read-only. */
import { describe, expect, it } from 'vitest';
import { parseJobDocument } from '../../src/job/parse.js';

const parse = (id: string, doc: Record<string, unknown>) => parseJobDocument(doc, { id, source: id });

describe('shared definition parts', () => {
  it('jobs with the same policy and lifetime share one frozen copy of each', () => {
    const a = parse('a', { os: { cmd: 'true' }, lifetime: { lifetime: 60, grace: 1 } });
    const b = parse('b', { os: { cmd: 'false' }, lifetime: { lifetime: 60, grace: 1 } });
    expect(a.policy).toBe(b.policy);
    expect(a.lifetime).toBe(b.lifetime);
    expect(a.os.env).toBe(b.os.env);
    expect(Object.isFrozen(a.policy) && Object.isFrozen(a.lifetime) && Object.isFrozen(a.os.env)).toBe(true);
    expect(a.lifetime).toEqual({ lifetime: 60, grace: 1 });
    expect(a.policy).toEqual({ overlap: 'skip', max_instances: 1, retries: 0, retry_delay: 5, misfire_grace_time: 60, history: 100 });
    expect(a.os).toEqual({ cmd: 'true', env: {} });
  });

  it('different values are different parts, each as written', () => {
    const a = parse('a', { os: { cmd: 'true', env: { X: '1' } }, policy: { overlap: 'queue', group: 'g' } });
    const b = parse('b', { os: { cmd: 'true' }, policy: { overlap: 'allow', max_instances: 3 } });
    expect(a.policy).not.toBe(b.policy);
    expect(a.policy.overlap).toBe('queue');
    expect(a.policy.group).toBe('g');
    expect(b.policy.max_instances).toBe(3);
    expect(a.os.env).toEqual({ X: '1' });
    expect(b.lifetime).toEqual({ grace: 5 });
  });
});
