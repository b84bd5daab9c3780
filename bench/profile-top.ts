import { readFileSync } from 'node:fs';

/**
 * `tsx bench/profile-top.ts file.cpuprofile [n]`: the functions with the most self time in a CPU
 * profile written by BENCH_PROFILE, and the same totalled by file — a first look without DevTools.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const [file, n = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile-top.ts file.cpuprofile [n]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const total = profile.samples.length;
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  const f = node.callFrame;
  const where = f.url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/') || '(native)';
  const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  const file_key = where.replace(/^node_modules\/((@[^/]+\/)?[^/]+).*/, 'node_modules/$1');
  byFile.set(file_key, (byFile.get(file_key) ?? 0) + hits);
}
const show = (title: string, map: Map<string, number>) => {
  console.log(`${title} (${total} samples)`);
  for (const [key, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
};
show('self time by function', byFunction);
show('self time by file or package', byFile);
