/**
 * Typed CSV load benchmark: one file of `id bigint, amount <type>, name string` loaded through the
 * DuckDB target's file-source loader (the typed read with its rejects, into a table), for each
 * declared type of `amount`, in fresh processes, the rounds interleaved; with `--baseline DIR`
 * (another build of tx, e.g. a worktree of the previous release) the same loads by that build in
 * the same rounds. Not run by CI; do not run it while others test.
 *
 *   node dist/bench/typed-load-benchmark.js [--rows 1M] [--types decimal,decimal(18,2),double] [--runs 3] [--baseline DIR] [--dir /dev/shm/tx-typed-load]
 *
 * Prints the load average at start and end, each load's seconds (median of the runs, with the
 * range), and the rows loaded. `decimal` without a precision is DECIMAL(38,9): the case the
 * wide-decimal read (targets/files/duckdb-file-readers.ts, typedCsvRead) is for.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, loadLine, median, rowList, runProcess } from './bench-support.js';

const args = process.argv.slice(2);
const self = fileURLToPath(import.meta.url);
const thisRoot = path.resolve(path.dirname(self), '..', '..');

if (args[0] === '--child') {
  // --child ROOT FILE TYPE DIR: one load by the tx built in ROOT; prints {"seconds", "rows"}
  const [, root, file, type, dir] = args as [string, string, string, string, string];
  const { createDuckdbTarget } = (await import(path.join(root, 'dist', 'targets', 'duckdb', 'index.js'))) as typeof import('../targets/duckdb/index.js');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const quiet = { statement: () => undefined, info: () => undefined, warn: () => undefined };
  const s = await createDuckdbTarget('bench', { type: 'duckdb', path: path.join(dir, 'bench.duckdb') }, dir).open({ log: quiet, threads: 2 });
  await s.ensureSchema('main');
  const rel = (identifier: string) => ({ schema: 'main', identifier });
  const t0 = performance.now();
  const r = await s.loadFileSource({
    uniqueId: 'source.bench.vendor.payments',
    relation: rel('payments'),
    files: [file],
    format: 'csv',
    columns: [
      { name: 'id', type: 'bigint' },
      { name: 'amount', type },
      { name: 'name', type: 'string' },
    ],
    options: {},
    rejectsRelation: rel('payments__rejects'),
  });
  const seconds = (performance.now() - t0) / 1000;
  await s.close();
  console.log(JSON.stringify({ seconds, rows: r.rowsLoaded }));
  process.exit(0);
}

const rows = rowList(argValue(args, '--rows', '1M'))[0]!;
const types = argValue(args, '--types', 'decimal,decimal(18,2),double').match(/[a-z]+(\([^)]*\))?/gi) ?? [];
const runs = Number(argValue(args, '--runs', '3'));
const baseline = args.includes('--baseline') ? path.resolve(argValue(args, '--baseline', '')) : undefined;
const dir = argValue(args, '--dir', '/dev/shm/tx-typed-load');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `payments-${rows}.csv`);
if (!existsSync(file)) {
  // amounts with 2 to 9 decimals, as vendor files carry them; deterministic
  const lines = ['id,amount,name'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${i % 3 ? '-' : ''}${(i * 7919) % 1_000_000}.${String((i * 104729) % 1_000_000_000).padStart(9, '0').slice(0, 2 + (i % 8))},name ${i % 977}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

console.log(loadLine('start'));
console.log(`typed CSV load of ${rows.toLocaleString('en')} rows (${file}) through the DuckDB target; ${runs} fresh processes per figure, rounds interleaved${baseline ? `; baseline ${baseline}` : ''}`);
const builds: [string, string][] = [['tx', thisRoot], ...(baseline ? [['baseline', baseline] as [string, string]] : [])];
const times = new Map<string, number[]>();
const loaded = new Map<string, number>();
for (let run = 0; run < runs; run++) {
  for (const type of types) {
    for (const [label, root] of builds) {
      const p = await runProcess(process.execPath, [self, '--child', root, file, type, path.join(dir, 'db')]);
      if (p.status !== 0) throw new Error(`${label} ${type}: exit ${p.status}\n${p.output}`);
      const r = JSON.parse(p.stdout.trim().split('\n').pop()!) as { seconds: number; rows: number };
      const key = `${label}\u0000${type}`;
      times.set(key, [...(times.get(key) ?? []), r.seconds]);
      loaded.set(key, r.rows);
    }
  }
}
console.log('\n| amount declared as | build | load seconds (median) | range | rows loaded |\n|---|---|---|---|---|');
for (const type of types) {
  for (const [label] of builds) {
    const xs = times.get(`${label}\u0000${type}`)!;
    console.log(`| ${type} | ${label} | ${median(xs).toFixed(2)} | ${Math.min(...xs).toFixed(2)} to ${Math.max(...xs).toFixed(2)} | ${loaded.get(`${label}\u0000${type}`)!.toLocaleString('en')} |`);
  }
}
console.log(loadLine('end'));
