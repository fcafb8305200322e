/** The `[placement]` section (SPEC §3, §15): parsed as strictly as every other section. */
import { describe, expect, it } from 'vitest';
import { parseJobDocument } from '../../src/job/parse.js';
import { parseServerLabels, placementMismatch } from '../../src/job/placement.js';
import type { ValidationIssue } from '../../src/job/types.js';
import { expectMxxError } from '../_server.js';

const ctx = { id: 'gpu-job', source: 'gpu-job.toml' };
const base = { os: { cmd: 'nvidia-smi' } };
const issues = (doc: unknown): ValidationIssue[] => expectMxxError(() => parseJobDocument(doc, ctx), 'INVALID_JOB').details as ValidationIssue[];

describe('[placement]', () => {
  it('keeps labels, without duplicates, and no section means no placement', () => {
    expect(parseJobDocument({ ...base, placement: { labels: ['gpu', 'eu-west', 'gpu'] } }, ctx).placement).toEqual({ labels: ['gpu', 'eu-west'] });
    expect(parseJobDocument(base, ctx).placement).toBeUndefined();
    // Kept in the stored config as written.
    expect(parseJobDocument({ ...base, placement: { labels: ['gpu'] } }, ctx).config.placement).toEqual({ labels: ['gpu'] });
  });

  it.each([
    [{ labels: 'gpu' }, 'placement.labels', 'must be an array of labels'],
    [{ labels: [] }, 'placement.labels', 'must name at least one label'],
    [{ labels: ['gpu', 3] }, 'placement.labels[1]', 'must be a label'],
    [{ labels: ['has space'] }, 'placement.labels[0]', 'must be a label'],
    [{ labels: ['-dash'] }, 'placement.labels[0]', 'must be a label'],
    [{}, 'placement.labels', 'is required'],
    [{ label: ['gpu'] }, 'placement.label', 'did you mean "labels"'],
  ])('refuses %j naming %s', (placement, path, message) => {
    const found = issues({ ...base, placement });
    expect(found.map((i) => i.path)).toContain(path);
    expect(found.find((i) => i.path === path)!.message).toContain(message);
  });

  it('refuses placement that is not a section, and suggests it for a typo', () => {
    expect(issues({ ...base, placement: ['gpu'] })[0]).toMatchObject({ path: 'placement', message: expect.stringContaining('must be a section') });
    expect(issues({ ...base, placment: { labels: ['gpu'] } })[0]).toMatchObject({ path: 'placment', message: expect.stringContaining('did you mean "placement"') });
  });
});

describe('server labels', () => {
  it('takes a list or a comma-separated string, trims, drops duplicates', () => {
    expect(parseServerLabels(['gpu', 'eu-west'], '--label')).toEqual(['gpu', 'eu-west']);
    expect(parseServerLabels(' gpu, eu-west ,gpu', 'MXX_LABELS')).toEqual(['gpu', 'eu-west']);
    expect(parseServerLabels('', 'MXX_LABELS')).toEqual([]);
  });

  it('refuses a label that a job could not name, naming where it came from', () => {
    expect(() => parseServerLabels(['ok', 'not ok'], '--label')).toThrow(/--label: "not ok" is not a label/);
  });
});

describe('placementMismatch', () => {
  it('names the labels the server lacks, or null when it has them all', () => {
    expect(placementMismatch({ labels: ['gpu'] }, ['gpu', 'ssd'])).toBeNull();
    expect(placementMismatch(undefined, [])).toBeNull();
    expect(placementMismatch({ labels: ['gpu', 'ssd'] }, ['ssd'])).toBe('needs the label gpu; this server has ssd');
    expect(placementMismatch({ labels: ['gpu', 'eu'] }, [])).toBe('needs the labels gpu, eu; this server has none (start it with --label)');
  });
});
