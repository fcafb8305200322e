/** Job files that failed to load, at the top of the jobs view: where (file:line:column) and why. */
import type { BrokenFile } from '../store.js';
import { html } from '../html.js';
import { splitLocation } from '../location.js';

export function BrokenFiles({ files }: { files: BrokenFile[] }) {
  if (files.length === 0) return null;
  return html`<section class="broken" role="alert" aria-labelledby="broken-title" data-broken>
    <h2 id="broken-title">${files.length === 1 ? 'A job file failed to load' : `${files.length} job files failed to load`}</h2>
    <p class="muted">The last good definition of each stays active until the file is fixed.</p>
    <ul>
      ${files.map(({ file, error }) =>
        // One problem a line (a file can have several: bree-style, every problem is reported).
        error.split('\n').map((line, i) => {
          const { where, message } = splitLocation(file, line);
          return html`<li key=${`${file}\n${i}`} data-broken-file=${file}><code class="where">${where}</code> <span class="message">${message}</span></li>`;
        }),
      )}
    </ul>
  </section>`;
}
