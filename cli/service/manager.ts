/** What `mxx service` needs of a service manager; systemd.ts and launchd.ts provide it. */
import type { ServiceSpec } from './spec.js';

export interface Outcome {
  /** The commands that ran and succeeded, as a user would type them. */
  ran: string[];
  /** The command that failed (and stopped the steps), what it said, and whether the cause is that the manager cannot be reached. */
  failed?: { command: string; message: string; unreachable: boolean };
  /** Steps that may be skipped found the manager unreachable (uninstall goes on with the files): what it said. */
  unreachable?: string;
}

export interface Printer {
  /** A line to stdout (a newline is added when missing). */
  out(text: string): void;
  /** A line to stderr. */
  err(text: string): void;
  /** Bytes to stdout as they come (a tool's output). */
  write(chunk: string): void;
}

export interface LogOptions {
  follow: boolean;
  /** The last lines to show. */
  lines: number;
}

export interface ServiceManager {
  readonly kind: 'systemd' | 'launchd';
  /** The file install writes and uninstall removes. */
  readonly file: string;
  render(spec: ServiceSpec): string;
  /** To run by hand to load and start what install wrote (after --no-enable, or a failure). */
  handCommands(): string[];
  /** To run by hand so that a running service uses a replaced file. */
  restartCommand(): string;
  /** What install says once enable succeeded. */
  enabledText(now: boolean): string[];
  /** Why the manager may be unreachable and what to do, for the hint (`then`: what to run after). */
  unreachableHint(then?: string): string;
  /** Makes the manager load the written file and start it at login (and now, with `now`). */
  enable(now: boolean): Promise<Outcome>;
  /** Stops it and takes it out of the login start (before the file is removed); steps that find nothing to do pass. */
  disable(): Promise<Outcome>;
  /** After the file is removed: the manager forgets it. */
  forget(): Promise<Outcome>;
  /** Prints the manager's view of the service; 0 when it runs. */
  status(print: Printer): Promise<number>;
  /** Prints the server's log (follows it with `follow`); the tool's exit code. */
  logs(options: LogOptions, print: Printer): Promise<number>;
}

/** A Printer over a command's streams. */
export function createPrinter(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Printer {
  const line = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);
  return {
    out: (text) => void stdout.write(line(text)),
    err: (text) => void stderr.write(line(text)),
    write: (chunk) => void stdout.write(chunk),
  };
}
