/** Finding and running the service manager's own tools (systemctl, journalctl, launchctl, tail). */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Outcome } from './manager.js';

/** The executable `name` on the PATH of `env`, or null (as a shell would find it). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ToolResult {
  /** Exit code 0. */
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  env: NodeJS.ProcessEnv;
  /** Each chunk of the tool's stdout as it comes (`status`, `logs --follow`); it is still collected. */
  onStdout?: (chunk: string) => void;
}

/** Runs a tool to its end; never throws for a failing tool (its exit code and words are the result). */
export function runTool(path: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(path, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => resolve({ ok: false, code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.once('close', (code) => resolve({ ok: code === 0, code, stdout, stderr }));
  });
}

/** `systemctl --user enable mxx.service`, as shown to users. */
export function commandLine(path: string, args: readonly string[]): string {
  return [path.split('/').pop() ?? path, ...args].join(' ');
}

export interface StepOptions {
  env: NodeJS.ProcessEnv;
  /** The tool's words when the service manager cannot be reached (no session bus, no GUI domain). */
  unreachable: RegExp;
  /** Its words when there was nothing to do (stopping what is not loaded): the step passes. */
  passes?: RegExp;
  /** An unreachable manager is noted in `outcome.unreachable` and the steps go on (uninstall's). */
  optional?: boolean;
}

/** Runs one step of install or uninstall into `outcome`; false once a step failed (the caller stops). */
export async function runStep(outcome: Outcome, tool: string, args: readonly string[], options: StepOptions): Promise<boolean> {
  const result = await runTool(tool, args, { env: options.env });
  const command = commandLine(tool, args);
  const message = (result.stderr || result.stdout).trim();
  if (result.ok || options.passes?.test(message)) {
    outcome.ran.push(command);
    return true;
  }
  const unreachable = options.unreachable.test(message);
  if (unreachable && options.optional) {
    outcome.unreachable ??= message;
    return true;
  }
  outcome.failed = { command, message: message || `exit code ${result.code}`, unreachable };
  return false;
}
