import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate-project.js';

/**
 * Times `tx compile` on synthetic projects (bench/generate-project.ts: chains and fan-ins of
 * refs, macro calls, vars, config(), an is_incremental() block, ~30 lines of SQL each), as a
 * user runs it: a fresh process per run, wall time and peak RSS from /usr/bin/time.
 *   cold: no target/ folder (nothing cached, every model parsed and rendered)
 *   warm: target/ from the previous compile (the content-hash cache serves unchanged models)
 *   npm run bench:compile -- [1000 10000]
 */
const cli = fileURLToPath(new URL('../compiler/cli.js', import.meta.url));
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const runs = 3;

function compile(dir: string): { s: number; rssMb: number } {
  const t0 = performance.now();
  const out = execFileSync('bash', ['-c', `set -o pipefail; /usr/bin/time -f 'TX_RSS_KB=%M' "$@" 2>&1 >/dev/null | tail -n 5`, 'bash', process.execPath, cli, 'compile', '--project-dir', dir, '-q'], {
    encoding: 'utf8',
  });
  const s = (performance.now() - t0) / 1000;
  return { s, rssMb: Number(/TX_RSS_KB=(\d+)/.exec(out)?.[1] ?? 0) / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`tx compile (node ${process.version}), ${runs} runs each, fresh process per run, median`);
console.log('| models | cold (s) | warm (s) | peak RSS cold / warm (MB) |');
console.log('|---|---|---|---|');
for (const n of sizes.length ? sizes : [1000, 10000]) {
  const dir = join(tmpdir(), `tx-bench-compile-${n}`);
  generateProject(dir, n);
  const cold: { s: number; rssMb: number }[] = [];
  const warm: { s: number; rssMb: number }[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(join(dir, 'target'), { recursive: true, force: true });
    cold.push(compile(dir));
    warm.push(compile(dir));
  }
  console.log(
    `| ${n.toLocaleString('en')} | ${median(cold.map((x) => x.s)).toFixed(2)} | ${median(warm.map((x) => x.s)).toFixed(2)} | ${median(cold.map((x) => x.rssMb)).toFixed(0)} / ${median(warm.map((x) => x.rssMb)).toFixed(0)} |`,
  );
  rmSync(dir, { recursive: true, force: true });
}
