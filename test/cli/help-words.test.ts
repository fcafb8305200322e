/** Help that tells the truth about what a command does on the server. */
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../_cli.js';

describe('mxx remove --help', () => {
  let help: string;
  beforeAll(async () => {
    const r = await runCli(['remove', '--help']);
    expect(r.code, r.stderr).toBe(0);
    help = r.stdout.replace(/\s+/g, ' ');
  });

  it('says the run history and logs are deleted (POST /jobs/{id}/remove deletes both)', () => {
    expect(help).toMatch(/Deletes the job's run history and run logs/);
    expect(help).not.toMatch(/history is kept/);
  });

  it('says the job stays registered, and when it is refused', () => {
    expect(help).toMatch(/stays registered/);
    expect(help).toMatch(/Refused while a run of the job is in progress or queued/);
  });
});
