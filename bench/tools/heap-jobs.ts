/**
 * `node dist/bench/tools/heap-jobs.js N [--baseline M] [--snapshot] [--list] [--keep]`: where a
 * server's memory per registered job goes. Writes a registry of N jobs as scenario 16 does (daily
 * crons spread over the day, intervals of 1–12 h, none due soon), starts the built server on its own
 * home (`mxx server --port 0`), and prints the time to "listening", VmRSS after it settled, and with
 * --snapshot a heap snapshot summed by constructor: count, self and retained bytes (retained: the
 * dominator tree, as DevTools' Summary view). With --baseline M it does the same for M jobs and
 * prints the difference per job; --list does GET /jobs (all, then a page of 100) before reading the
 * RSS, as the scenario does; --keep leaves the snapshot files in the printed folder; --retainers NAME
 * prints what holds the members of one group (e.g. `(system system / Map)`); --register K registers
 * (then edits: 5 ids) K jobs over the API and prints how long each took.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dailyCron, jobBody, jobId, MXX_BIN, writeRegistry, type JobOptions } from '../lib/mxx.js';
import { rssMb } from '../lib/linux-proc.js';

/** The background of scenario 16 (bench/scenarios/16-scale.ts). */
function background(count: number): Array<{ id: string; options: JobOptions }> {
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? { id: jobId('cron', i), options: { cron: `${i % 60} ${dailyCron(Math.floor(i / 2)).slice(2)}`, cmd: 'true' } }
      : { id: jobId('interval', i), options: { every: 3600 * (1 + (i % 12)) + (i % 3600), cmd: 'true' } },
  );
}

interface Group {
  count: number;
  self: number;
  retained: number;
}

interface Measurement {
  jobs: number;
  startMs: number;
  rssMb: number | null;
  heapBytes: number | null;
  groups: Map<string, Group> | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(jobs: number, options: { snapshot: boolean; list: boolean; keep: boolean; register: number }): Promise<Measurement> {
  const home = mkdtempSync(join(tmpdir(), `mxx-heap-${jobs}-`));
  writeRegistry(home, background(jobs));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, MXX_HOME: home, NO_COLOR: '1' };
  delete env.MXX_API_TOKEN;
  delete env.MXX_JOBS_DIR;
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const child = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', MXX_BIN, 'server', '--host', '127.0.0.1', '--port', '0'], {
    cwd: home,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        log += chunk;
        const match = /listening on (http:\/\/[^\s]+)/.exec(log);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${log.slice(-2000)}`)));
    });
    const startMs = performance.now() - started;
    if (options.list) {
      for (const path of ['/jobs', '/jobs?limit=100']) {
        const answer = await fetch(`${url}/api/scheduler${path}`);
        await answer.arrayBuffer();
      }
    }
    if (options.register > 0) {
      // Registrations and edits on a full registry: each should cost what the one job costs.
      const times: number[] = [];
      for (let i = 0; i < options.register; i++) {
        const body = jobBody(`extra-${i % 5}`, { cron: `${i % 60} ${dailyCron(i).slice(2)}`, cmd: 'true' });
        const t = performance.now();
        const answer = await fetch(`${url}/api/scheduler/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await answer.arrayBuffer();
        if (!answer.ok) throw new Error(`POST /jobs answered ${answer.status}`);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      process.stdout.write(`${options.register} registrations/edits on ${jobs} jobs: median ${times[times.length >> 1]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms\n`);
    }
    await sleep(5000);
    const rss = rssMb(child.pid!);
    let groups: Map<string, Group> | null = null;
    let heapBytes: number | null = null;
    if (options.snapshot) {
      child.kill('SIGUSR2');
      const file = await waitForSnapshot(home);
      ({ groups, total: heapBytes } = summarizeSnapshot(readFileSync(file, 'utf8')));
      if (options.keep) process.stdout.write(`snapshot: ${file}\n`);
    }
    return { jobs, startMs, rssMb: rss, heapBytes, groups };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    if (!options.keep) rmSync(home, { recursive: true, force: true });
  }
}

/** The snapshot file once its writer is done (its size stops changing). */
async function waitForSnapshot(dir: string): Promise<string> {
  let last = -1;
  for (;;) {
    await sleep(1000);
    const name = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    if (!name) continue;
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    if (text.length === last && text.trimEnd().endsWith('}')) return file;
    last = text.length;
  }
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Sums a V8 heap snapshot by constructor (objects) or kind (strings, arrays, closures, code…). */
function summarizeSnapshot(text: string): { groups: Map<string, Group>; total: number } {
  const snap = JSON.parse(text) as Snapshot;
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [typeAt, nameAt, selfAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [edgeTypeAt, toAt] = ['type', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number];
  const nodeTypes = meta.node_types[0];
  const weak = meta.edge_types[0].indexOf('weak');
  const shortcut = meta.edge_types[0].indexOf('shortcut');
  const n = snap.nodes.length / nf;
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += snap.nodes[i * nf + edgeCountAt]! * ef;
    firstEdge[i + 1] = e;
  }
  const propertyEdge = meta.edge_types[0].indexOf('property');
  const edgeNameAt = meta.edge_fields.indexOf('name_or_index');
  const propertiesOf = (v: number): string[] => {
    const out: string[] = [];
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) {
      if (snap.edges[e + edgeTypeAt] === propertyEdge) out.push(snap.strings[snap.edges[e + edgeNameAt]!]!);
    }
    return out.filter((k) => k !== '__proto__');
  };
  const edgeName = (v: number, w: number): string => {
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) {
      if (snap.edges[e + toAt] !== w * nf) continue;
      const type = meta.edge_types[0][snap.edges[e + edgeTypeAt]!];
      const name = snap.edges[e + edgeNameAt]!;
      return type === 'element' || type === 'hidden' ? `[${type}]` : `${snap.strings[name]} (${type})`;
    }
    return '?';
  };
  const groupOf = (i: number): string => {
    const type = nodeTypes[snap.nodes[i * nf + typeAt]!]!;
    const name = snap.strings[snap.nodes[i * nf + nameAt]!]!;
    if (name === 'Object' && type === 'object') return `{${propertiesOf(i).slice(0, 6).join(',')}}`;
    if (type === 'object' || type === 'native') return name.startsWith('system / ') ? `(${name.slice(9)})` : name.split(' ')[0]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return '(string)';
    if (type === 'closure') return `(closure ${name || 'anonymous'})`;
    if (type === 'array') return `(array ${name})`;
    if (type === 'hidden' || type === 'object shape') return `(system ${name.replace(/\d+/g, '#').slice(0, 40)})`;
    return `(${type})`;
  };
  const succ = (v: number, visit: (w: number) => void): void => {
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) {
      const t = snap.edges[e + edgeTypeAt];
      if (t === weak || t === shortcut) continue;
      visit(snap.edges[e + toAt]! / nf);
    }
  };
  const idom = dominators(n, succ);
  // Retained size: self plus everything a node dominates (children after parents in DFS order).
  const retained = new Float64Array(n);
  for (let i = 0; i < n; i++) retained[i] = snap.nodes[i * nf + selfAt]!;
  const order = dfsOrder(n, succ);
  for (let k = order.length - 1; k > 0; k--) {
    const v = order[k]!;
    const d = idom[v]!;
    if (d !== v && d >= 0) retained[d]! += retained[v]!;
  }
  const names = new Array<string>(n);
  for (let i = 0; i < n; i++) names[i] = groupOf(i);
  const groups = new Map<string, Group>();
  let total = 0;
  for (const v of order) {
    const name = names[v]!;
    const group = groups.get(name) ?? { count: 0, self: 0, retained: 0 };
    groups.set(name, group);
    group.count++;
    const self = snap.nodes[v * nf + selfAt]!;
    group.self += self;
    total += self;
    // A group's retained size counts a node only when no member of the same group dominates it.
    let d = idom[v]!;
    let inside = false;
    while (d > 0 && d !== v) {
      if (names[d] === name) {
        inside = true;
        break;
      }
      const up = idom[d]!;
      if (up === d) break;
      d = up;
    }
    if (!inside) group.retained += retained[v]!;
  }
  if (retainersOf !== undefined) {
    // Who holds the members of one group: the retainers' groups and the edge names, counted.
    const held = new Map<string, number>();
    for (const v of order) {
      succ(v, (w) => {
        if (names[w] !== retainersOf) return;
        const e = `${names[v]} -> ${edgeName(v, w)}`;
        held.set(e, (held.get(e) ?? 0) + 1);
      });
    }
    const dominatedBy = new Map<string, number>();
    for (const v of order) {
      if (names[v] !== retainersOf) continue;
      const d = idom[v]!;
      const key = d >= 0 ? names[d]! : '?';
      dominatedBy.set(key, (dominatedBy.get(key) ?? 0) + 1);
    }
    process.stdout.write(`dominators of ${retainersOf}:\n`);
    for (const [e, c] of [...dominatedBy].sort((a, b) => b[1] - a[1]).slice(0, 10)) process.stdout.write(`  ${String(c).padStart(8)}  ${e}\n`);
    process.stdout.write(`retainers of ${retainersOf}:\n`);
    for (const [e, c] of [...held].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`  ${String(c).padStart(8)}  ${e}\n`);
  }
  return { groups, total };
}

/** Nodes reachable from the root (node 0), in depth-first preorder. */
function dfsOrder(n: number, succ: (v: number, visit: (w: number) => void) => void): Uint32Array {
  const seen = new Uint8Array(n);
  const out: number[] = [];
  const stack = [0];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen[v]) continue;
    seen[v] = 1;
    out.push(v);
    const children: number[] = [];
    succ(v, (w) => {
      if (!seen[w]) children.push(w);
    });
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return Uint32Array.from(out);
}

/** Immediate dominators (Cooper, Harvey, Kennedy), -1 for unreachable nodes; the root is its own. */
function dominators(n: number, succ: (v: number, visit: (w: number) => void) => void): Int32Array {
  // Reverse postorder from the root, iteratively.
  const post = new Int32Array(n).fill(-1);
  const order: number[] = [];
  const seen = new Uint8Array(n);
  const stack: Array<[number, number[], number]> = [];
  const childrenOf = (v: number): number[] => {
    const out: number[] = [];
    succ(v, (w) => out.push(w));
    return out;
  };
  seen[0] = 1;
  stack.push([0, childrenOf(0), 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top[2] < top[1].length) {
      const w = top[1][top[2]++]!;
      if (!seen[w]) {
        seen[w] = 1;
        stack.push([w, childrenOf(w), 0]);
      }
    } else {
      stack.pop();
      post[top[0]] = order.length;
      order.push(top[0]);
    }
  }
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const v of order) succ(v, (w) => preds[w]!.push(v));
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k]!;
      let best = -1;
      for (const p of preds[v]!) {
        if (idom[p] === -1) continue;
        best = best === -1 ? p : intersect(p, best);
      }
      if (best !== -1 && idom[v] !== best) {
        idom[v] = best;
        changed = true;
      }
    }
  }
  return idom;
}

function print(m: Measurement, base: Measurement | undefined, top: number): void {
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  process.stdout.write(`${m.jobs} jobs: start ${Math.round(m.startMs)} ms, RSS ${m.rssMb?.toFixed(0)} MB${m.heapBytes === null ? '' : `, heap (snapshot) ${mb(m.heapBytes)} MB`}\n`);
  if (base) {
    const per = m.jobs - base.jobs;
    const rssPer = m.rssMb !== null && base.rssMb !== null ? (((m.rssMb - base.rssMb) * 1024 * 1024) / per).toFixed(0) : '?';
    const heapPer = m.heapBytes !== null && base.heapBytes !== null ? ((m.heapBytes - base.heapBytes) / per).toFixed(0) : '?';
    process.stdout.write(`per job (vs ${base.jobs}): RSS ${rssPer} B, heap ${heapPer} B\n`);
  }
  if (!m.groups) return;
  const rows = [...m.groups].map(([name, g]) => {
    const b = base?.groups?.get(name) ?? { count: 0, self: 0, retained: 0 };
    return { name, ...g, dCount: g.count - b.count, dSelf: g.self - b.self, dRetained: g.retained - b.retained };
  });
  rows.sort((a, b) => b.dSelf - a.dSelf);
  const per = base ? m.jobs - base.jobs : m.jobs;
  process.stdout.write(`${'constructor / kind'.padEnd(60)} ${'count'.padStart(9)} ${'self MB'.padStart(8)} ${'retained MB'.padStart(11)}   per job: ${'n'.padStart(5)} ${'self B'.padStart(7)} ${'ret. B'.padStart(7)}\n`);
  for (const r of rows.slice(0, top)) {
    process.stdout.write(
      `${r.name.slice(0, 60).padEnd(60)} ${String(r.count).padStart(9)} ${mb(r.self).padStart(8)} ${mb(r.retained).padStart(11)}   ${'        '}${(r.dCount / per).toFixed(2).padStart(5)} ${(r.dSelf / per).toFixed(0).padStart(7)} ${(r.dRetained / per).toFixed(0).padStart(7)}\n`,
    );
  }
}

const args = process.argv.slice(2);
const flag = (name: string): boolean => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const value = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const options = { snapshot: flag('--snapshot'), list: flag('--list'), keep: flag('--keep'), register: Number(value('--register') ?? 0) };
const retainersOf = value('--retainers');
const baselineJobs = value('--baseline');
const top = Number(value('--top') ?? 30);
const jobs = Number(args[0] ?? 20_000);
if (!Number.isInteger(jobs) || jobs < 0) {
  process.stderr.write('usage: heap-jobs N [--baseline M] [--snapshot] [--list] [--keep] [--top K] [--retainers NAME] [--register K]\n');
  process.exit(2);
}
const base = baselineJobs === undefined ? undefined : await measure(Number(baselineJobs), options);
if (base) print(base, undefined, 0);
print(await measure(jobs, options), base, top);
