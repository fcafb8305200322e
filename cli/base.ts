/**
 * Command bases: BaseCommand for every command (errors → stderr and the exit code), ClientCommand
 * for the commands that talk to a server (adds --server, --json and the API client).
 */
import { Command, Option, UsageError } from 'clipanion';
import type { ActionBody } from '../src/api/types.js';
import { MxxError } from '../src/errors.js';
import { withCliWords } from './api-words.js';
import { createClient, DEFAULT_SERVER_URL, type Client } from './client.js';
import { createColors, type Colors } from './format/color.js';

/** Exit code for usage errors (bad flags, bad values). */
export const EXIT_USAGE = 2;

/**
 * clipanion exits 0 once `catch()` resolves, so `execute()` never throws: it runs `run()` and turns
 * errors into `Error: <message>` + hint on stderr and the exit code from the error table.
 */
export abstract class BaseCommand extends Command {
  abstract run(): Promise<number | void>;

  override async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (error) {
      return this.report(error);
    }
  }

  protected get colors(): Colors {
    return createColors(this.context.colorDepth > 1);
  }

  protected out(text: string): void {
    this.context.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  protected err(text: string): void {
    this.context.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected report(error: unknown): number {
    const c = this.colors;
    if (error instanceof UsageError) {
      this.err(`${c.red('Usage Error')}: ${error.message}`);
      this.err(`run: ${[this.cli.binaryName, ...this.path, '--help'].join(' ')}`);
      return EXIT_USAGE;
    }
    if (error instanceof MxxError) {
      const { message, hint, exitCode } = withCliWords(error);
      // A multi-line message (one line per validation problem) keeps its lines under the first.
      this.err(`${c.red('Error')}: ${message.replace(/\n/g, '\n  ')}`);
      if (hint) this.err(c.dim(`hint: ${hint}`));
      return exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.err(`${c.red('Error')}: ${message}`);
    if (this.context.env.MXX_DEBUG && error instanceof Error && error.stack) this.err(error.stack);
    return 1;
  }
}

/** A command that talks to a running server. */
export abstract class ClientCommand extends BaseCommand {
  server = Option.String('--server', {
    description: `Server URL (default: MXX_SERVER_URL or ${DEFAULT_SERVER_URL})`,
  });

  json = Option.Boolean('--json', false, { description: 'Print the API answer as JSON' });

  private clientInstance: Client | undefined;

  protected get client(): Client {
    this.clientInstance ??= createClient({
      server: this.server ?? this.context.env.MXX_SERVER_URL ?? DEFAULT_SERVER_URL,
      token: this.context.env.MXX_API_TOKEN || undefined,
    });
    return this.clientInstance;
  }

  /** In --json mode prints the body and returns true; the caller then skips its human output. */
  protected printJson(body: unknown): boolean {
    if (!this.json) return false;
    this.out(JSON.stringify(body, null, 2));
    return true;
  }

  /** The answer of an action on a job (`{job_id, message}`): the body in --json mode, else its message. */
  protected printAction(body: ActionBody): number {
    if (!this.printJson(body)) this.out(body.message);
    return 0;
  }
}
