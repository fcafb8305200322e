import { Option, UsageError } from 'clipanion';
import type { JobListBody } from '../../src/api/types.js';
import { BaseCommand } from '../base.js';
import { createClient, DEFAULT_SERVER_URL } from '../client.js';
import type { BinaryName } from '../index.js';

const SHELL_NAMES = 'bash, zsh, fish';
/** A Tab must not hang on a server that does not answer. */
const JOB_IDS_TIMEOUT_MS = 1000;

export default class CompletionCommand extends BaseCommand {
  static override paths = [['completion']];
  static override usage = BaseCommand.Usage({
    category: 'General',
    description: 'Print a shell completion script (bash, zsh, fish)',
    details:
      "Completes commands, subcommands, the options of the command being typed, their values, and job ids, which it asks of the server (MXX_SERVER_URL, or `--server` on the line) and leaves out when the server does not answer within a second. The script asks `mxx` itself on every Tab, so it stays right as commands change. The script of `mxx` completes `mxx-client` and `mxx-server` too.\n\nbash: add `source <(mxx completion bash)` to ~/.bashrc. zsh: `mxx completion zsh > \"${fpath[1]}/_mxx\"`, or `source <(mxx completion zsh)` in ~/.zshrc after compinit. fish: add `mxx completion fish | source` to ~/.config/fish/config.fish.",
    examples: [
      ['Complete in this bash', 'source <($0 completion bash)'],
      ['Install for zsh', '$0 completion zsh > "${fpath[1]}/_mxx"'],
      ['Install for fish', '$0 completion fish > ~/.config/fish/conf.d/mxx.fish'],
    ],
  });

  shell = Option.String({ name: 'shell', required: false });

  async run(): Promise<number> {
    const { completionScript, isShell } = await import('../help/scripts.js');
    if (this.shell === undefined) throw new UsageError(`Name a shell: ${SHELL_NAMES}`);
    if (!isShell(this.shell)) throw new UsageError(`Unknown shell '${this.shell}': choose one of ${SHELL_NAMES}`);
    this.out(completionScript(this.shell, this.cli.binaryName as BinaryName));
    return 0;
  }
}

/** What the scripts call on every Tab: `mxx completion --words BINARY WORD...` prints the candidates, one a line. No description: help does not list it. */
export class CompletionWordsCommand extends BaseCommand {
  static override paths = [['completion', '--words']];

  words = Option.Proxy();

  async run(): Promise<number> {
    const [{ catalogFor }, { completeWords }] = await Promise.all([import('../index.js'), import('../help/complete.js')]);
    const [first = this.cli.binaryName, ...rest] = this.words;
    // The binary being completed: `mxx`'s script also completes mxx-client and mxx-server.
    const name = first.split('/').at(-1) as string;
    const binary = (['mxx', 'mxx-client', 'mxx-server'].includes(name) ? name : this.cli.binaryName) as BinaryName;
    const env = this.context.env;
    const candidates = await completeWords(catalogFor(binary), rest.length ? rest : [''], {
      async jobIds(server) {
        try {
          const client = createClient({ server: server ?? env.MXX_SERVER_URL ?? DEFAULT_SERVER_URL, token: env.MXX_API_TOKEN || undefined, timeoutMs: JOB_IDS_TIMEOUT_MS });
          const { body } = await client.get<JobListBody>('/jobs');
          return body.jobs.map((job) => job.job_id);
        } catch {
          return [];
        }
      },
    });
    if (candidates.length) this.out(candidates.join('\n'));
    return 0;
  }
}
