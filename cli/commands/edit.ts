import { Option } from 'clipanion';
import * as t from 'typanion';
import type { RegistryEntryBody } from '../../src/api/types.js';
import { EXIT_USAGE, ClientCommand } from '../base.js';
import { seg } from '../client.js';
import { NO_EDITOR_MESSAGE, resolveEditor } from '../edit/editor.js';
import { createReopener } from '../edit/reopen.js';

export default class EditCommand extends ClientCommand {
  static override paths = [['edit']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Edit a job in $EDITOR',
    details: [
      'Opens the job in `$VISUAL`, else `$EDITOR` (run through the shell, so `EDITOR="code --wait"` works).',
      "\n\nA job from the jobs folder: the editor opens its file, which must be on this machine. After the editor exits the file is checked with the server's rules; the server reloads it by itself, and keeps the last good definition while the file is invalid.",
      '\n\nA job registered through the API: the editor opens a TOML copy (a private temporary file). A valid save that changes the job is registered in its place, as `mxx register --replace` does; a save that changes nothing sends nothing; an invalid one is never sent.',
      '\n\nAfter an invalid save the problems are shown and, on a terminal, you are asked whether to re-open the editor. Off a terminal the editor is re-opened only with `--reopen N` (N times, without asking); an API job\'s rejected edit is kept in its temporary file. An editor that exits non-zero aborts: nothing is registered.',
    ].join(''),
    examples: [
      ['Edit a job', '$0 edit daily_backup'],
      ['Edit with VS Code', 'EDITOR="code --wait" $0 edit daily_backup'],
    ],
  });

  override json = Option.Boolean('--json', false, { description: "Print the server's answer to the re-registration as JSON" });
  reopen = Option.String('--reopen', {
    description: 'After an invalid save, re-open the editor up to N times without asking (default: ask on a terminal)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(0, 100)]),
  });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const editor = resolveEditor(this.context.env);
    if (!editor) {
      this.err(`${this.colors.red('Error')}: ${NO_EDITOR_MESSAGE}`);
      return EXIT_USAGE;
    }
    const { body: entry } = await this.client.get<RegistryEntryBody>(`/registry/${seg(this.id)}`);
    const reopener = createReopener({ limit: this.reopen, stdin: this.context.stdin, stderr: this.context.stderr });
    const io = { out: (text: string) => this.out(text), err: (text: string) => this.err(text) };
    // The validator and the TOML writer are loaded only by the commands that need them.
    if (entry.source === 'api') {
      const { editApiJob } = await import('../edit/api-job.js');
      return editApiJob(entry, { client: this.client, editor, reopener, io, json: this.json });
    }
    const { editFileJob } = await import('../edit/file-job.js');
    return editFileJob(entry, editor, reopener, io);
  }
}
