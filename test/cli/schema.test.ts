/**
 * `mxx schema [--output FILE]`: the job-file JSON Schema, from the built CLI, with no server and
 * no HOME — an editor set-up step must work before anything else is.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildren, ROOT, runCli, type CliResult } from '../_cli.js';

let dir: string;
let committed: string;

/** The environment without HOME, MXX_* or a server: nothing for the command to lean on. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'HOME' && k !== 'USERPROFILE' && !k.startsWith('MXX_')) env[k] = v;
  // A server URL nobody listens on: the command must not try it.
  env.MXX_SERVER_URL = 'http://127.0.0.1:1';
  return env;
}

const mxx = (args: string[], bin: 'mxx' | 'mxx-client' = 'mxx'): Promise<CliResult> => runCli(args, { bin, env: bareEnv(), cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mxx-schema-cli-'));
  committed = await readFile(join(ROOT, 'schema', 'mxx-job.schema.json'), 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  expect(liveChildren()).toBe(0);
});

describe('mxx schema', () => {
  it('prints the committed schema file to stdout, with no HOME and no server', async () => {
    const result = await mxx(['schema']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(committed);
    expect(JSON.parse(result.stdout)).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false });
  });

  it('mxx-client schema is the same command', async () => {
    const result = await mxx(['schema'], 'mxx-client');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(committed);
  });

  it('--output FILE writes it, creating missing folders, and prints nothing on stdout', async () => {
    const target = join(dir, 'no', 'such', 'folder', 'mxx-job.schema.json');
    const result = await mxx(['schema', '--output', target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`wrote ${target}\n`);
    expect(await readFile(target, 'utf8')).toBe(committed);
  });

  it('--output a path it cannot write is an error answer (exit 1) naming the path', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const target = join(file, 'schema.json');
    const result = await mxx(['schema', '--output', target]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`cannot write ${target}`);
  });

  it('takes no positional argument (usage error, exit 2)', async () => {
    const result = await mxx(['schema', 'extra']);
    expect(result.code).toBe(2);
  });

  it('is listed in mxx --help', async () => {
    const result = await mxx(['--help']);
    expect(result.stdout).toMatch(/mxx schema.*\n.*JSON Schema/);
  });
});
