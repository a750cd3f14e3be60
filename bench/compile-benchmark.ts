import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate-project.js';

/**
 * Times `tx compile` on synthetic projects, as a user runs it: a fresh process each time.
 * "cold" is the first compile after generating (no target/ yet); "warm" repeats it.
 *   npm run bench:compile -- [1000 10000]
 */
const cli = fileURLToPath(new URL('../compiler/cli.js', import.meta.url));
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const runs = 3;

function time(dir: string): { s: number; rssMb: number } {
  const t0 = performance.now();
  const out = execFileSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, 'compile', '--project-dir', dir, '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  void out;
  const s = (performance.now() - t0) / 1000;
  return { s, rssMb: 0 };
}

function timeWithRss(dir: string): { s: number; rssMb: number } {
  const t0 = performance.now();
  let rssKb = 0;
  try {
    const r = execFileSync('/usr/bin/time', ['-f', 'RSS_KB=%M', process.execPath, cli, 'compile', '--project-dir', dir, '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void r;
  } catch (e) {
    throw new Error(`compile failed: ${(e as { stderr?: string }).stderr}`);
  }
  const s = (performance.now() - t0) / 1000;
  return { s, rssMb: rssKb / 1024 };
}

console.log(`tx compile benchmark (node ${process.version}), ${runs} runs each, fresh process per run`);
console.log('| models | cold (s) | warm median (s) | warm min (s) |');
console.log('|---|---|---|---|');
for (const n of sizes.length ? sizes : [1000, 10000]) {
  const dir = join(tmpdir(), `tx-bench-compile-${n}`);
  generateProject(dir, n);
  const cold = timeWithRss(dir);
  const warm = Array.from({ length: runs }, () => time(dir).s).sort((a, b) => a - b);
  console.log(`| ${n} | ${cold.s.toFixed(2)} | ${warm[Math.floor(runs / 2)]!.toFixed(2)} | ${warm[0]!.toFixed(2)} |`);
  rmSync(dir, { recursive: true, force: true });
}
