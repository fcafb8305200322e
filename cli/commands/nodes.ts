import type { NodesBody } from '../../src/api/types.js';
import type { NodeView } from '../../src/cluster/nodes.js';
import { ClientCommand } from '../base.js';
import type { Colors } from '../format/color.js';
import { renderTable } from '../format/table.js';
import { formatDuration, formatSpan } from '../format/time.js';

/** Marks the server that answered, after its id (as `!` marks a job in `mxx list`). */
export const SELF_MARK = '*';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Database clock minus this server's: `+12ms`, `-1.5s`, `-` when it could not be measured, blank when not given. */
function formatSkew(ms: number | null | undefined): string {
  if (ms === undefined) return '';
  if (ms === null) return '-';
  return `${ms < 0 ? '-' : '+'}${formatDuration(Math.abs(ms))}`;
}

export default class NodesCommand extends ClientCommand {
  static override paths = [['nodes']];
  static override usage = ClientCommand.Usage({
    category: 'Server',
    description: 'List the servers sharing the store',
    details: [
      "One line per server of the cluster: its id (the one that answered marked `*`), host, URL, labels, how long ago it renewed its lease (by the database's clock), the runs it has queued or running, its version, and whether its lease is alive or lapsed. SKEW is the database's clock minus the answering server's. The first line says the store: with the files store there is one server, the one answering; with PostgreSQL, how many servers there are and how many are alive.",
      '',
      '`--json` prints the API answer. Exits 3 when the server cannot be reached.',
    ].join('\n'),
    examples: [
      ['The servers of the default server’s store', '$0 nodes'],
      ['Ask another server', '$0 nodes --server http://10.0.0.5:5000'],
      ['As JSON', '$0 nodes --json'],
    ],
  });

  async run(): Promise<number> {
    const { body } = await this.client.get<NodesBody>('/nodes');
    if (this.printJson(body)) return 0;
    const c = this.colors;
    const alive = body.nodes.filter((n) => n.alive).length;
    this.out(
      body.store === 'files'
        ? `files store: this server only`
        : `postgres: ${plural(body.nodes.length, 'server')}, ${alive} alive`,
    );
    if (body.nodes.length === 0) return 0;
    this.out(table(body, c));
    if (body.nodes.some((n) => n.self)) this.out(c.dim(`${SELF_MARK} the server that answered (${this.client.server})`));
    return 0;
  }
}

function table(body: NodesBody, c: Colors): string {
  const withSkew = body.nodes.some((n) => n.skew_ms !== undefined);
  const rows = body.nodes.map((n: NodeView) => [
    c.bold(n.self ? `${n.id}${SELF_MARK}` : n.id),
    n.host,
    n.url ?? '-',
    n.labels.length > 0 ? n.labels.join(',') : '-',
    // The files store has no lease.
    body.store === 'files' ? '-' : formatSpan(n.lease_age_ms),
    String(n.running),
    n.version,
    n.alive ? c.green('alive') : c.red('lapsed'),
    ...(withSkew ? [formatSkew(n.skew_ms)] : []),
  ]);
  const columns = [
    'ID',
    'HOST',
    'URL',
    'LABELS',
    { header: 'LEASE AGE', right: true },
    { header: 'RUNNING', right: true },
    'VERSION',
    'STATE',
    ...(withSkew ? ['SKEW'] : []),
  ];
  // Rows with no skew end in padding.
  return renderTable(columns, rows, c).replace(/ +$/gm, '');
}
