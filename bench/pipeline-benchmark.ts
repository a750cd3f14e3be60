/**
 * The healthcare pipeline on generated data: `tx run` against the same statements run
 * directly on DuckDB without tx (the floor). Both run as fresh processes; wall time and
 * peak RSS come from /usr/bin/time.
 *   npm run bench:pipeline -- 1000000 10000000
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFactCsv } from './generate-fact-data.js';
import { copyProject } from '../testing/fixture-project.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'compiler', 'cli.js');

function measureRss(args: string[], cwd: string): { s: number; rssMb: number } {
  const t0 = performance.now();
  const res = execFileSync('bash', ['-c', `set -o pipefail; /usr/bin/time -f 'TX_RSS_KB=%M' "$@" 2>&1 >/dev/null | tail -n 20`, 'bash', ...args], { cwd, encoding: 'utf8' });
  const kb = Number(/TX_RSS_KB=(\d+)/.exec(res)?.[1] ?? 0);
  return { s: (performance.now() - t0) / 1000, rssMb: kb / 1024 };
}

/** The floor: the statements tx ran (from target/run), executed by a bare DuckDB script. */
function writeFloorScript(project: string, fact: string, out: string): void {
  const runDir = join(project, 'target', 'run', 'healthcare', 'models');
  const read = (p: string) => readFileSync(join(runDir, p), 'utf8');
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const cols = JSON.parse(readFileSync(join(project, 'target', 'bench-fact-columns.json'), 'utf8')) as [string, string][];
  const statements = [
    'create schema if not exists vendor',
    `create table vendor.prescribers as select * from read_csv(${lit(fact)}, header = true, columns = {${cols.map(([n, t]) => `${lit(n)}: ${lit(t)}`).join(', ')}}, auto_detect = false)`,
    `create table vendor.us_cities as select * from read_parquet(${lit(join(project, 'data', 'us_cities_dimension.parquet'))})`,
    `create table main.stg_prescribers as ${read('staging/stg_prescribers.sql')}`,
    `create table main.stg_cities as ${read('staging/stg_cities.sql')}`,
    `create table main.city_report as ${read('marts/city_report.sql')}`,
    `create table main.top_prescribers as ${read('marts/top_prescribers.sql')}`,
  ];
  writeFileSync(
    out,
    `import { DuckDBInstance } from ${JSON.stringify(join(root, 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js'))};\n` +
      `const db = await DuckDBInstance.create(${JSON.stringify(join(project, 'target', 'floor.duckdb'))});\nconst c = await db.connect();\n` +
      `for (const s of ${JSON.stringify(statements)}) await c.run(s);\nc.closeSync(); db.closeSync();\n`,
  );
}

const sizes = process.argv.slice(2).map(Number).filter(Boolean);
console.log(`healthcare pipeline benchmark (node ${process.version}); wall time and peak RSS of a fresh process`);
console.log('| fact rows | tx run (s) | tx peak RSS (MB) | DuckDB alone (s) | DuckDB peak RSS (MB) | tx overhead |');
console.log('|---|---|---|---|---|---|');
for (const rows of sizes.length ? sizes : [1_000_000, 10_000_000]) {
  const work = join(tmpdir(), `tx-bench-pipeline-${rows}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  copyProject(work, root);
  const { path: fact } = await generateFactCsv({ rows, out: join(work, 'gen'), seed: 1, citiesPath: join(root, 'data', 'us_cities_dimension.parquet') });
  const tx = measureRss([process.execPath, cli, 'run', '--project-dir', work, '-q', '--vars', JSON.stringify({ presc_fact_path: fact })], work);
  // The declared fact columns, as tx typed them.
  const manifest = JSON.parse(readFileSync(join(work, 'target', 'manifest.json'), 'utf8')) as { sources: Record<string, { name: string; columns: Record<string, { data_type: string }> }> };
  const src = Object.values(manifest.sources).find((s) => s.name === 'prescribers')!;
  const typeName = (t: string) => ({ string: 'VARCHAR', bigint: 'BIGINT', integer: 'INTEGER', double: 'DOUBLE' })[t] ?? t.toUpperCase();
  writeFileSync(join(work, 'target', 'bench-fact-columns.json'), JSON.stringify(Object.entries(src.columns).map(([n, c]) => [n, typeName(c.data_type)])));
  const script = join(work, 'floor.mjs');
  writeFloorScript(work, fact, script);
  if (existsSync(join(work, 'target', 'floor.duckdb'))) rmSync(join(work, 'target', 'floor.duckdb'));
  const floor = measureRss([process.execPath, script], work);
  const overhead = ((tx.s / floor.s - 1) * 100).toFixed(0);
  console.log(`| ${rows.toLocaleString('en')} | ${tx.s.toFixed(2)} | ${tx.rssMb.toFixed(0)} | ${floor.s.toFixed(2)} | ${floor.rssMb.toFixed(0)} | ${overhead}% |`);
  rmSync(work, { recursive: true, force: true });
}
