/** The one job-file extension table (src/job/file-format.ts), as the loader and `mxx register` read it. */
import { describe, expect, it } from 'vitest';
import { formatOfExtension, JOB_FILE_EXTENSIONS } from '../../src/job/file-format.js';
import { jobFileFormat } from '../../src/job/load-file.js';

describe('job-file formats', () => {
  it('maps each extension, in any case, and nothing else', () => {
    expect(['a.toml', 'a.YAML', 'dir.json/a.yml', 'a.Json'].map(formatOfExtension)).toEqual(['toml', 'yaml', 'yaml', 'json']);
    expect(['a.toml~', 'a.swp', 'a', 'a.', 'dir.toml/a', '.toml'].map(formatOfExtension)).toEqual([null, null, null, null, null, null]);
  });

  it('names every extension in messages', () => {
    expect(JOB_FILE_EXTENSIONS).toBe('.toml, .yaml, .yml or .json');
  });

  it('is the table of the jobs folder too, which also leaves out dotfiles and templates', () => {
    expect(jobFileFormat('backup.TOML')).toBe('toml');
    expect(jobFileFormat('.#backup.toml')).toBeNull();
    expect(jobFileFormat('backup.template.yaml')).toBeNull();
    expect(formatOfExtension('backup.template.yaml')).toBe('yaml');
  });
});
