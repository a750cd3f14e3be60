/**
 * The healthcare pipeline on generated vendor files (bench/generate-fact-data.ts), three ways,
 * each a whole fresh process, median of --runs (default 3), interleaved so load drifts hit all:
 *
 *   tx build      the example project, everything: seed, file sources (typed CSV load with
 *                 rejects), models, unit and data tests, validate:, local exports
 *   PySpark       bench/pyspark-baseline.py: the seed job's transformations in Spark local[2],
 *                 writing the same two report files (pyspark from the cached venv ~/.cache/tx/spark)
 *   DuckDB        DuckDB's own read_csv of the same file with the declared columns and
 *                 store_rejects, into a table of a fresh database file: the floor of the load
 *
 * Also the typed load alone: tx's load node time (run_results.json) against the DuckDB
 * statement's time, and the peak RSS of every run. `--curve 1M,10M,30M` adds one tx build per
 * size to show peak memory as rows grow; `--memory-limit 1GB` sets DuckDB's memory_limit in the
 * copied example's target settings in place of the example's own (512MB; DuckDB spills to disk past
 * it) for every tx build of the run, `--memory-limit default` leaves DuckDB's default (80% of RAM).
 * The load average is printed at start and end.
 *
 *   npm run bench:pipeline -- [--rows 5M,10M] [--runs 3] [--curve 1M,10M,30M] [--memory-limit 1GB] [--no-spark] [--data DIR]
 *
 * Generated files are kept in --data (default $TMPDIR/tx-bench-data) and reused.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFactCsv, FACT_FILE_NAME } from './generate-fact-data.js';
import { argValue, loadLine, median, rowList, runProcess, sampleLoad, type ProcessRun } from './bench-support.js';
import { copyProject } from '../testing/fixture-project.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const cli = join(root, 'dist', 'compiler', 'cli.js');
const cities = join(root, 'data', 'us_cities_dimension.parquet');
const args = process.argv.slice(2);

/** The fact file's declared columns (models/staging/sources.yml), as DuckDB types. */
async function factColumns(): Promise<[string, string][]> {
  const { parse } = await import('yaml');
  const doc = parse(readFileSync(join(root, 'models', 'staging', 'sources.yml'), 'utf8')) as {
    sources: { tables: { name: string; columns: { name: string; data_type: string }[] }[] }[];
  };
  const table = doc.sources.flatMap((s) => s.tables).find((t) => t.name === 'prescribers')!;
  const duck = (t: string) => ({ string: 'VARCHAR', bigint: 'BIGINT', integer: 'INTEGER', double: 'DOUBLE' })[t] ?? t.toUpperCase();
  return table.columns.map((c) => [c.name, duck(c.data_type)]);
}

/** Child mode: DuckDB's own read_csv with store_rejects into a table of a fresh file; prints the statement's seconds. */
async function duckdbRival(fact: string, db: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const cols = (await factColumns()).map(([n, t]) => `${lit(n)}: ${lit(t)}`).join(', ');
  const inst = await DuckDBInstance.create(db, { threads: '2' });
  const c = await inst.connect();
  const t0 = performance.now();
  await c.run(`create table prescribers as select * from read_csv(${lit(fact)}, header = true, columns = {${cols}}, auto_detect = false, store_rejects = true)`);
  const s = (performance.now() - t0) / 1000;
  const n = (await c.runAndReadAll('select count(*)::bigint as n from prescribers')).getRowObjectsJS()[0]!.n;
  const rej = (await c.runAndReadAll('select count(*)::bigint as n from reject_errors')).getRowObjectsJS()[0]!.n;
  c.closeSync();
  inst.closeSync();
  console.log(JSON.stringify({ statementSeconds: s, rows: Number(n), rejectErrors: Number(rej) }));
}

interface TxRun extends ProcessRun {
  loadS: number;
  rows: Record<string, number>;
  failed: string[];
}

async function txBuild(project: string, fact: string): Promise<TxRun> {
  for (const d of ['target', 'logs', 'output', 'healthcare.duckdb', 'healthcare.duckdb.wal']) rmSync(join(project, d), { recursive: true, force: true });
  const r = await runProcess(process.execPath, [cli, 'build', '--project-dir', project, '-q', '--vars', JSON.stringify({ presc_fact_path: fact })], { cwd: project });
  let loadS = NaN;
  const rows: Record<string, number> = {};
  const failed: string[] = [];
  try {
    const rr = JSON.parse(readFileSync(join(project, 'target', 'run_results.json'), 'utf8')) as {
      results: { unique_id: string; status: string; execution_time: number; adapter_response?: { rows_affected?: number } }[];
    };
    for (const x of rr.results) {
      if (x.unique_id === 'source.healthcare.vendor.prescribers') loadS = x.execution_time;
      if (x.unique_id === 'model.healthcare.city_report' || x.unique_id === 'model.healthcare.top_prescribers') rows[x.unique_id.split('.').pop()!] = Number(x.adapter_response?.rows_affected);
      if (x.status === 'fail' || x.status === 'error') failed.push(x.unique_id);
    }
  } catch {
    failed.push('(no run_results.json)');
  }
  return { ...r, loadS, rows, failed };
}

interface SparkRun extends ProcessRun {
  rows: Record<string, number>;
}

async function sparkRun(python: string, fact: string, out: string): Promise<SparkRun> {
  rmSync(out, { recursive: true, force: true });
  const r = await runProcess(python, [join(root, 'bench', 'pyspark-baseline.py'), fact, cities, out]);
  const last = r.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"city_report"'));
  const rows = last ? (JSON.parse(last) as Record<string, number>) : {};
  return { ...r, rows: { city_report: rows.city_report!, top_prescribers: rows.top_prescribers! } };
}

interface DuckRun extends ProcessRun {
  statementS: number;
}

async function duckRun(fact: string, db: string): Promise<DuckRun> {
  const r = await runProcess(process.execPath, [self, '--rival-duckdb', fact, db]);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"statementSeconds"'));
  return { ...r, statementS: line ? (JSON.parse(line) as { statementSeconds: number }).statementSeconds : NaN };
}

async function factFile(dataDir: string, rows: number): Promise<string> {
  const dir = join(dataDir, `rows-${rows}-seed-1`);
  const path = join(dir, FACT_FILE_NAME);
  if (existsSync(join(dir, 'done')) && existsSync(path)) return path;
  rmSync(dir, { recursive: true, force: true });
  const g = await generateFactCsv({ rows, out: dir, seed: 1, citiesPath: cities });
  (await import('node:fs')).writeFileSync(join(dir, 'done'), '');
  return g.path;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

async function main(): Promise<void> {
  const sizes = rowList(argValue(args, '--rows', '5000000,10000000'));
  const runs = Number(argValue(args, '--runs', '3'));
  const curve = args.includes('--curve') ? rowList(argValue(args, '--curve', '1000000,10000000,30000000')) : [];
  const dataDir = argValue(args, '--data', join(tmpdir(), 'tx-bench-data'));
  const withSpark = !args.includes('--no-spark');
  let python = '';
  if (withSpark) {
    const { provisionSpark } = await import('../testing/services/provision.js');
    python = (await provisionSpark()).venv.python;
  }
  console.log(`healthcare pipeline benchmark (node ${process.version}): whole fresh processes, median of ${runs}, interleaved`);
  console.log(loadLine('start'));
  const work = join(tmpdir(), `tx-bench-pipeline-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const project = join(work, 'project');
  copyProject(project, root);
  const memoryLimit = argValue(args, '--memory-limit', '');
  if (memoryLimit) {
    if (memoryLimit !== 'default' && !/^\d+(\.\d+)?\s*[KMGT]i?B$/i.test(memoryLimit)) throw new Error(`--memory-limit ${memoryLimit}: expected a size such as 1GB or 512MB, or default (DuckDB's own, 80% of RAM)`);
    const yml = join(project, 'project.yml');
    const text = readFileSync(yml, 'utf8');
    const settings = /settings: \{disabled_compression_methods: fsst, memory_limit: [^}]*\}/;
    if (!settings.test(text)) throw new Error(`--memory-limit: the example's project.yml no longer has \`${String(settings)}\``);
    const limit = memoryLimit === 'default' ? '' : `, memory_limit: '${memoryLimit}'`;
    writeFileSync(yml, text.replace(settings, `settings: {disabled_compression_methods: fsst${limit}}`));
    console.log(`tx builds with DuckDB's memory_limit at ${memoryLimit}`);
  }
  const table: string[] = [];
  const notes: string[] = [];
  try {
    for (const rows of sizes) {
      const fact = await factFile(dataDir, rows);
      const mb = statSync(fact).size / 2 ** 20;
      const tx: TxRun[] = [];
      const spark: SparkRun[] = [];
      const duck: DuckRun[] = [];
      for (let i = 0; i < runs; i++) {
        duck.push(await duckRun(fact, join(work, 'rival.duckdb')));
        tx.push(await txBuild(project, fact));
        if (withSpark) spark.push(await sparkRun(python, fact, join(work, 'spark-out')));
        process.stderr.write(`  ${rows} rows, run ${i + 1}/${runs}: tx ${fmt(tx.at(-1)!.s)} s, spark ${withSpark ? fmt(spark.at(-1)!.s) : '-'} s, duckdb ${fmt(duck.at(-1)!.s)} s (${loadLine('now')})\n`);
      }
      const t = median(tx.map((x) => x.s));
      const load = median(tx.map((x) => x.loadS));
      const sp = withSpark ? median(spark.map((x) => x.s)) : NaN;
      const dk = median(duck.map((x) => x.s));
      const dkStmt = median(duck.map((x) => x.statementS));
      const rss = (xs: ProcessRun[]) => (xs.length ? xs.map((x) => x.rssMb.toFixed(0)).join('/') : '-');
      table.push(
        `| ${rows.toLocaleString('en')} (${mb.toFixed(0)} MB) | ${fmt(t)} | ${fmt(sp)} | ${ratio(sp, t)} | ${fmt(dk)} | ${ratio(t, dk)} | ${fmt(load)} | ${fmt(dkStmt)} | ${ratio(load, dkStmt)} | ${rss(tx)} | ${rss(spark)} | ${rss(duck)} |`,
      );
      const bad = tx.find((x) => x.status !== 0);
      if (bad) notes.push(`${rows} rows: tx build exited ${bad.status}; failed: ${bad.failed.join(', ') || '(see output)'}${bad.failed.some((f) => f.startsWith('(')) || !bad.failed.length ? `\n${bad.output.slice(-2000)}` : ''}`);
      const sbad = spark.find((x) => x.status !== 0);
      if (sbad) notes.push(`${rows} rows: PySpark exited ${sbad.status}:\n${sbad.output.slice(-3000)}`);
      if (withSpark && tx[0] && spark[0]) {
        const same = ['city_report', 'top_prescribers'].every((m) => Number.isFinite(tx[0]!.rows[m]) && tx[0]!.rows[m] === spark[0]!.rows[m]);
        notes.push(
          `${rows} rows: report rows tx ${JSON.stringify(tx[0].rows)}, PySpark ${JSON.stringify(spark[0].rows)}${same ? ' (same)' : ' (DIFFERENT)'}`,
        );
      }
    }
    console.log('\n| fact rows (CSV size) | tx build (s) | PySpark local[2] (s) | PySpark / tx (aim ≥ 5x) | DuckDB read_csv process (s) | tx / DuckDB (aim ≤ 1.5x) | tx typed load (s) | DuckDB read_csv statement (s) | load / DuckDB (aim ≤ 1.2x) | tx peak RSS MB per run | PySpark peak RSS MB | DuckDB peak RSS MB |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const l of table) console.log(l);
    if (curve.length) {
      console.log('\nPeak memory as rows grow (one tx build per size):\n\n| fact rows | tx build (s) | peak RSS (MB) |\n|---|---|---|');
      for (const rows of curve) {
        const r = await txBuild(project, await factFile(dataDir, rows));
        console.log(`| ${rows.toLocaleString('en')} | ${fmt(r.s)} | ${r.rssMb.toFixed(0)} |`);
      }
    }
    if (notes.length) console.log(`\nnotes:\n- ${notes.join('\n- ')}`);
    console.log(`\nhighest 1-minute load average seen: ${sampleLoad().toFixed(2)}`);
    console.log(loadLine('end'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (args[0] === '--rival-duckdb') await duckdbRival(args[1]!, args[2]!);
else await main();
