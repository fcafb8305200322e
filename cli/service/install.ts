/** `mxx service install` and `uninstall` once the flags are checked: write or remove, then tell the manager. */
import { existsSync, lstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../src/atomic-file.js';
import type { Outcome, Printer, ServiceManager } from './manager.js';

const indent = (lines: readonly string[]): string => lines.map((line) => (line ? `  ${line}` : line)).join('\n');

export interface InstallOptions {
  /** Tell the manager (daemon-reload + enable, or bootstrap); false: write only. */
  enable: boolean;
  /** Start it now too (systemd's enable --now). */
  now: boolean;
}

function printRan(outcome: Outcome, print: Printer): void {
  for (const command of outcome.ran) print.out(`ran: ${command}`);
}

/**
 * Writes the file atomically (readable by all, it holds no secret) and prints it; then asks the
 * manager to load it. A manager that fails keeps the file (it is complete and correct) and exits 1
 * with the commands to run by hand: the service is not running, which is what the user asked for.
 */
export async function installService(manager: ServiceManager, text: string, options: InstallOptions, print: Printer): Promise<number> {
  const replaced = existsSync(manager.file);
  await writeFileAtomic(manager.file, text, { mode: 0o644 });
  print.out(`${replaced ? 'replaced' : 'wrote'} ${manager.file}:`);
  print.out(`${indent(text.trimEnd().split('\n'))}\n\n`);
  const startBy = (): string => indent(manager.handCommands());
  if (!options.enable) {
    print.out(`not enabled (--no-enable); to start it now and at every login:\n${startBy()}`);
    if (replaced) print.out(`if it is running already, restart it to use the new file:\n  ${manager.restartCommand()}`);
    return 0;
  }
  const outcome = await manager.enable(options.now);
  printRan(outcome, print);
  if (outcome.failed) {
    const { command, message, unreachable } = outcome.failed;
    print.err(`Error: ${command} failed: ${message.replace(/\n/g, '\n  ')}`);
    print.err(`${manager.file} is kept; to start it now and at every login:\n${startBy()}`);
    if (unreachable) print.err(`hint: ${manager.unreachableHint('run them')}`);
    return 1;
  }
  for (const line of manager.enabledText(options.now)) print.out(line);
  if (replaced && !options.now) print.out(`if it is running already, restart it to use the new file:\n  ${manager.restartCommand()}`);
  return 0;
}

/** Whether `path` exists, a dangling link included. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Stops and disables, removes the file, lets the manager forget it. Nothing installed: says so, exit 0. */
export async function uninstallService(manager: ServiceManager, print: Printer): Promise<number> {
  if (!exists(manager.file)) {
    print.out(`no mxx service installed (${manager.file} does not exist)`);
    return 0;
  }
  const disabled = await manager.disable();
  printRan(disabled, print);
  if (disabled.failed) {
    print.err(`Error: ${disabled.failed.command} failed: ${disabled.failed.message}`);
    print.err(`the file is kept: ${manager.file}`);
    return 1;
  }
  await rm(manager.file, { force: true });
  print.out(`removed ${manager.file}`);
  const forgotten = await manager.forget();
  printRan(forgotten, print);
  const unreachable = disabled.unreachable ?? forgotten.unreachable ?? forgotten.failed?.message;
  if (unreachable) {
    print.err(`note: could not reach the user service manager (${unreachable}); if mxx runs under it, it keeps running until it is stopped or the session ends`);
  }
  return 0;
}
