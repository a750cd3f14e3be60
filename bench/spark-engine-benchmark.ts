/**
 * tx on a Spark Thrift Server with engine-side reads and writes, against the seed's PySpark job,
 * on the same machine and the same generated vendor file (bench/generate-fact-data.ts):
 *
 *   tx (Spark)   `tx build --target hive` of the example project, the vendor files given as file://
 *                URLs under engine_paths: Spark reads the CSV and Parquet, builds the models, runs
 *                the tests and validate:, and writes the two local exports; tx only sends SQL.
 *   PySpark      bench/pyspark-baseline.py (owned by the issue-17 benchmark): the same
 *                transformations in Spark local[2], writing the same two report files.
 *
 * Both engines are Spark 3.5 local[2] from the same cached pyspark (the Thrift Server is started
 * once, before the runs, as testing/services/spark.ts does; its start is not timed: on a cluster
 * it is already running). Fresh tx/PySpark processes, median of --runs (default 3), interleaved.
 * Reported per run and as medians:
 *   - tx's wall time, and the engine's busy time inside it: the union of the intervals of the SQL
 *     executions the Thrift Server ran during tx's run, from Spark's own metrics (its REST API,
 *     /api/v1/applications/<app>/sql: submission time and duration of each execution);
 *   - tx's overhead = tx's wall time - the engine's busy time, as a share of the engine's busy time
 *     (the issue's measure). It splits into time with no statement of tx's outstanding (process start,
 *     compile, artifacts, gaps between statements: from tx's own statement log) and time inside
 *     statements the engine was not executing (round trips, polling, the server parsing and planning
 *     a statement before its execution starts: Spark counts only the execution);
 *   - PySpark's wall time and tx's wall time against it ((tx - PySpark) / PySpark): a comparison of
 *     jobs, not an overhead: tx's build does more engine work (a typed load into a table with rejects,
 *     tables for every model, the data tests before each publish, validate:), and PySpark's wall time
 *     includes starting its JVM while the Thrift Server is already up;
 *   - the tx process's own CPU seconds and peak RSS (it moves no rows), the load average at start and end.
 *
 *   npm run build && node dist/bench/spark-engine-benchmark.js [--rows 5M] [--runs 3] [--data DIR] [--no-pyspark]
 *   TX_BENCH_HIVE_URL=hive://host:port uses a running Thrift Server instead of starting one
 *   (TX_BENCH_SPARK_UI=http://host:port, its UI, for the engine's time; without it that is n/a).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { argValue, loadLine, median, rowList, runProcess, sampleLoad, type ProcessRun } from './bench-support.js';
import { FACT_FILE_NAME, generateFactCsv } from './generate-fact-data.js';
import { copyProject } from '../testing/fixture-project.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'compiler', 'cli.js');
const cities = join(root, 'data', 'us_cities_dimension.parquet');
const args = process.argv.slice(2);

async function factFile(dataDir: string, rows: number): Promise<string> {
  // The same folder layout as bench/pipeline-benchmark.ts, so both reuse one generated file.
  const dir = join(dataDir, `rows-${rows}-seed-1`);
  const path = join(dir, FACT_FILE_NAME);
  if (existsSync(join(dir, 'done')) && existsSync(path)) return path;
  rmSync(dir, { recursive: true, force: true });
  const g = await generateFactCsv({ rows, out: dir, seed: 1, citiesPath: cities });
  writeFileSync(join(dir, 'done'), '');
  return g.path;
}

interface TxRun extends ProcessRun {
  cpuS: number;
  maxRssMb: number;
  failed: boolean;
  /** Seconds the engine was executing at least one SQL execution during the run (Spark's metrics); NaN when unknown. */
  engineS: number;
  /** Seconds at least one of tx's statements was outstanding (tx's statement log); NaN when unknown. */
  inStatementsS: number;
  statements: number;
}

/** Total length of the union of [start, end] intervals (any unit). */
function unionLength(intervals: [number, number][]): number {
  const xs = [...intervals].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cur: [number, number] | null = null;
  for (const [a, b] of xs) {
    if (!cur || a > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    } else cur[1] = Math.max(cur[1], b);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

/** The SQL executions Spark's UI knows of, as [start ms, end ms] (epoch); null when the UI cannot be read. */
async function sparkExecutions(ui: string | null): Promise<[number, number][] | null> {
  if (!ui) return null;
  try {
    const apps = (await (await fetch(`${ui}/api/v1/applications`)).json()) as { id: string }[];
    const out: [number, number][] = [];
    for (const app of apps) {
      const sql = (await (await fetch(`${ui}/api/v1/applications/${app.id}/sql?details=false&offset=0&length=1000000`)).json()) as { submissionTime: string; duration: number; status: string }[];
      for (const e of sql) {
        const start = Date.parse(e.submissionTime.replace(/GMT$/, 'Z'));
        if (Number.isFinite(start) && Number.isFinite(e.duration)) out.push([start, start + e.duration]);
      }
    }
    return out;
  } catch {
    return null;
  }
}

/** Intervals [start, end] (epoch ms) of tx's statements, from its JSON log (`ts` is when a statement ended, `ms` how long it took). */
function statementIntervals(logFile: string): [number, number][] {
  if (!existsSync(logFile)) return [];
  const out: [number, number][] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"msg":"statement"')) continue;
    try {
      const r = JSON.parse(line) as { ts: string; ms: number };
      const end = Date.parse(r.ts);
      out.push([end - r.ms, end]);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

async function txOnSpark(project: string, fact: string, hive: { host: string; port: number }, hook: string, usageFile: string, ui: string | null): Promise<TxRun> {
  for (const d of ['target', 'logs', 'output']) rmSync(join(project, d), { recursive: true, force: true });
  rmSync(usageFile, { force: true });
  const env = {
    ...process.env,
    TX_HIVE_HOST: hive.host,
    TX_HIVE_PORT: String(hive.port),
    TX_HIVE_AUTH: 'NONE',
    TX_HIVE_ENGINE_PATHS: 'file://',
    TX_BENCH_USAGE_FILE: usageFile,
    NODE_OPTIONS: `--import ${pathToFileURL(hook).href}`,
  };
  const vars = JSON.stringify({ presc_fact_path: pathToFileURL(fact).href, city_dim_path: pathToFileURL(cities).href });
  const t0 = Date.now();
  const r = await runProcess(process.execPath, [cli, 'build', '--project-dir', project, '--target', 'hive', '-q', '--vars', vars], { cwd: project, env });
  const t1 = Date.now();
  // The engine's busy time: Spark's executions that ran inside tx's run (the server runs nothing else meanwhile).
  const execs = await sparkExecutions(ui);
  const engineS = execs ? unionLength(execs.map(([a, b]) => [Math.max(a, t0), Math.min(b, t1)])) / 1000 : NaN;
  const stmts = statementIntervals(join(project, 'logs', 'tx.log'));
  const inStatementsS = stmts.length ? unionLength(stmts.map(([a, b]) => [Math.max(a, t0), Math.min(b, t1)])) / 1000 : NaN;
  let cpuS = NaN;
  let maxRssMb = NaN;
  try {
    const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { user: number; system: number; maxRSS: number };
    cpuS = (u.user + u.system) / 1e6;
    maxRssMb = u.maxRSS / 1024;
  } catch {
    /* no usage: the run failed early */
  }
  return { ...r, cpuS, maxRssMb, failed: r.status !== 0, engineS, inStatementsS, statements: stmts.length };
}

async function pyspark(python: string, fact: string, out: string): Promise<ProcessRun> {
  rmSync(out, { recursive: true, force: true });
  return runProcess(python, [join(root, 'bench', 'pyspark-baseline.py'), fact, cities, out]);
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (part: number, whole: number) => (Number.isFinite(part / whole) ? `${((part / whole) * 100).toFixed(1)} %` : 'n/a');

async function main(): Promise<void> {
  const rows = rowList(argValue(args, '--rows', '5000000'))[0]!;
  const runs = Number(argValue(args, '--runs', '3'));
  // --no-pyspark: tx's runs alone (its overhead against the engine's time needs no PySpark run).
  const noPyspark = args.includes('--no-pyspark');
  const dataDir = argValue(args, '--data', join(tmpdir(), 'tx-bench-data'));
  console.log(`tx on the Spark Thrift Server (engine-side reads and writes) vs PySpark local[2], ${rows.toLocaleString('en-US')} rows, median of ${runs}`);
  console.log(loadLine('start'));
  const { provisionSpark } = await import('../testing/services/provision.js');
  const python = (await provisionSpark()).venv.python;
  const fact = await factFile(dataDir, rows);
  const work = mkdtempSync(join(tmpdir(), 'tx-spark-bench-'));
  const hook = join(work, 'usage-hook.mjs');
  writeFileSync(
    hook,
    "import fs from 'node:fs';\nprocess.on('exit', () => { const u = process.resourceUsage(); if (process.env.TX_BENCH_USAGE_FILE) fs.writeFileSync(process.env.TX_BENCH_USAGE_FILE, JSON.stringify({ user: u.userCPUTime, system: u.systemCPUTime, maxRSS: u.maxRSS })); });\n",
  );
  const project = copyProject(join(work, 'project'), root);
  // The same shuffle width as the PySpark job (spark.sql.shuffle.partitions 8), as a user would set it.
  const yml = join(project, 'project.yml');
  const text = readFileSync(yml, 'utf8');
  const anchor = "    engine_paths: \"{{ env_var('TX_HIVE_ENGINE_PATHS', '') }}\"\n";
  if (!text.includes(anchor)) throw new Error('project.yml: the hive target has no engine_paths line to add session_settings after');
  writeFileSync(yml, text.replace(anchor, `${anchor}    session_settings: {spark.sql.shuffle.partitions: 8}\n`));
  console.log('tx session_settings: spark.sql.shuffle.partitions=8 (as the PySpark job); AQE on (Spark 3.5 default) for both');
  let stop = async (): Promise<void> => {};
  let hive: { host: string; port: number };
  let ui: string | null = process.env.TX_BENCH_SPARK_UI ?? null;
  const external = process.env.TX_BENCH_HIVE_URL;
  if (external) {
    const u = new URL(external.replace(/^hive:/, 'http:'));
    hive = { host: u.hostname, port: Number(u.port) };
  } else {
    const { startSparkThriftServer } = await import('../testing/services/spark.js');
    const { freePort } = await import('../testing/services/free-port.js');
    // Its UI on, for the engine's own metrics (the SQL listener runs either way; the UI adds the REST endpoint).
    const uiPort = await freePort('127.0.0.1');
    const s = await startSparkThriftServer({ driverMemory: '4g', conf: { 'spark.ui.enabled': 'true', 'spark.ui.port': String(uiPort) } });
    if (!s) throw new Error('no Spark Thrift Server (Java or Python missing)');
    hive = { host: s.host, port: s.port };
    ui = `http://127.0.0.1:${uiPort}`;
    stop = () => s.stop();
  }
  if (!(await sparkExecutions(ui))) console.log(`the engine's busy time is n/a: no Spark UI to read${ui ? ` at ${ui}` : ' (set TX_BENCH_SPARK_UI)'}`);
  const tx: TxRun[] = [];
  const ps: ProcessRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t = await txOnSpark(project, fact, hive, hook, join(work, `usage-${i}.json`), ui);
      sampleLoad();
      if (t.failed) console.log(`tx run ${i + 1} FAILED (exit ${t.status}):\n${t.output.slice(-3000)}`);
      tx.push(t);
      const p = noPyspark ? { s: NaN, rssMb: NaN, status: 0, output: '', stdout: '' } : await pyspark(python, fact, join(work, 'pyspark-out'));
      sampleLoad();
      if (p.status !== 0) console.log(`PySpark run ${i + 1} FAILED (exit ${p.status}):\n${p.output.slice(-3000)}`);
      ps.push(p);
      console.log(
        `  run ${i + 1} (load ${os.loadavg()[0]!.toFixed(1)}): tx ${f2(t.s)} s, engine busy ${f2(t.engineS)} s, tx overhead ${f2(t.s - t.engineS)} s = ${pct(t.s - t.engineS, t.engineS)} ` +
          `(between statements ${f2(t.s - t.inStatementsS)} s, inside statements ${f2(t.inStatementsS - t.engineS)} s; ${t.statements} statements; tx CPU ${f2(t.cpuS)} s, peak RSS ${f2(t.maxRssMb)} MB), ` +
          `PySpark ${f2(p.s)} s (tree RSS ${f2(p.rssMb)} MB)`,
      );
    }
  } finally {
    await stop();
    rmSync(work, { recursive: true, force: true });
  }
  const txS = median(tx.map((r) => r.s));
  const psS = median(ps.map((r) => r.s));
  const engS = median(tx.map((r) => r.engineS));
  const overS = median(tx.map((r) => r.s - r.engineS));
  console.log('');
  console.log(`| | median wall s | notes |`);
  console.log(`|---|---|---|`);
  console.log(`| tx build --target hive (engine-side) | ${f2(txS)} | tx process: CPU ${f2(median(tx.map((r) => r.cpuS)))} s, peak RSS ${f2(median(tx.map((r) => r.maxRssMb)))} MB |`);
  console.log(`| of which the engine executing (Spark's SQL metrics) | ${f2(engS)} | union of the executions' intervals |`);
  console.log(`| PySpark local[2] (bench/pyspark-baseline.py) | ${f2(psS)} | process tree peak RSS ${f2(median(ps.map((r) => r.rssMb)))} MB |`);
  console.log(
    `tx overhead (tx wall - engine busy) vs the engine's time: ${f2(overS)} s = ${pct(overS, engS)} (target: 10 % or less); ` +
      `between statements ${f2(median(tx.map((r) => r.s - r.inStatementsS)))} s, inside statements ${f2(median(tx.map((r) => r.inStatementsS - r.engineS)))} s`,
  );
  console.log(`tx's wall time vs PySpark's (a comparison of jobs, not an overhead: see the file comment): ${pct(txS - psS, psS)}`);
  // PySpark's wall time includes starting its JVM, the Thrift Server's does not (it is already up, as on a
  // cluster); tx's own work is better seen as its process's CPU time against its wall time.
  const cpu = median(tx.map((r) => r.cpuS));
  console.log(`tx process CPU: ${f2(cpu)} s = ${Number.isFinite(cpu / txS) ? ((cpu / txS) * 100).toFixed(1) : 'n/a'} % of tx's wall time (the rest is the server working)`);
  console.log(`highest load average seen: ${sampleLoad().toFixed(2)}`);
  console.log(loadLine('end'));
}

await main();
