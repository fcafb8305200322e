/**
 * `node dist/bench/tools/cpuprofile-top.js <file.cpuprofile> [n]`: the functions with the most self
 * time and the most total time (self + callees) in a V8 CPU profile, as `node --cpu-prof` writes
 * them (set MXX_BENCH_PROFILE=<dir> to profile the servers the bench starts). With `--under NAME`,
 * only samples under a frame of that function count (where does `onTimer` spend its time?).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const underAt = args.indexOf('--under');
const under = underAt >= 0 ? args.splice(underAt, 2)[1] : undefined;
const [file, count = '25'] = args;
if (!file) {
  process.stderr.write('usage: cpuprofile-top <file.cpuprofile> [n]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const name = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const total = new Map<string, number>();
const isUnder = (id: number): boolean => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)!.callFrame.functionName === under) return true;
  return false;
};
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  if (under !== undefined && !isUnder(id)) continue;
  self.set(name(node), (self.get(name(node)) ?? 0) + us);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = name(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    total.set(key, (total.get(key) ?? 0) + us);
  }
}
const wall = (profile.endTime - profile.startTime) / 1000;
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0) / 1000;
const show = (title: string, map: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms  ${key}\n`);
  }
};
process.stdout.write(`${file}: ${wall.toFixed(0)} ms profiled, ${(wall - idle).toFixed(0)} ms busy\n`);
show('self time', self);
show('total time', total);
