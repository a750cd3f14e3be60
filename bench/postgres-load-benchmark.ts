/**
 * Loading the generated fact file into PostgreSQL: tx's loader (DuckDB types the rows, COPY ... FROM STDIN
 * takes them, streamed through a named pipe) against `psql \copy` of the same file into a table of the same
 * types. Reports wall time and its ratio; CPU time of the client process plus the server backends serving it (read
 * from /proc, so on a shared machine the cost is still measurable); and the peak RSS of each client process.
 *
 *   npm run build && node dist/bench/postgres-load-benchmark.js --rows 10M [--seed 42] [--runs 1] [--out bench/out]
 *        [--load-threads T]   (the loader's DuckDB threads; default as the target's: cores - 1, at most 4)
 *        [--export true|false] (default true: then exports the loaded table to Parquet through COPY … TO STDOUT and
 *                              through the row cursor, the path before it, and reports each one's MB/s of Parquet)
 *
 * PostgreSQL: TX_TEST_POSTGRES_URL, else the server on 127.0.0.1:5432, else an embedded one
 * (testing/services/postgres.ts). A fresh database per run, dropped at the end. The CSV is generated once per
 * (rows, seed) under --out and reused. Results go to <out>/postgres-load-<rows>.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { createTestDatabase, startPostgres } from '../testing/services/postgres.js';
import { createPostgresTarget } from '../targets/postgres/index.js';
import { connectionConfig } from '../targets/postgres/postgres-test-support.js';
import type { LoadColumn, TargetLog, TargetSession } from '../targets/target.js';
import { produceFiles, type FileSpec } from '../targets/exports/file-writer.js';
import { streamOnly } from '../targets/exports/export-test-support.js';
import { FACT_FILE_NAME, generateFactCsv } from './generate-fact-data.js';

interface Args {
  rows: number;
  seed: number;
  runs: number;
  out: string;
  loadThreads: number;
  /** Also export the loaded table to Parquet, through COPY and through the row cursor. */
  export: boolean;
}

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.replace(/_/g, ''));
  if (!m) throw new Error(`not a row count: ${s}`);
  return Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1));
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rows: 10_000_000, seed: 42, runs: 1, out: 'bench/out', loadThreads: Math.min(4, Math.max(1, os.cpus().length - 1)), export: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`missing value for ${k}`);
    if (k === '--rows') a.rows = parseCount(v);
    else if (k === '--seed') a.seed = Number(v);
    else if (k === '--runs') a.runs = Number(v);
    else if (k === '--out') a.out = v;
    else if (k === '--load-threads') a.loadThreads = Number(v);
    else if (k === '--export') a.export = v !== 'false';
    else throw new Error(`unknown option ${k} (use --rows N --seed S --runs R --out DIR --load-threads T --export true|false)`);
  }
  return a;
}

/** The declared columns of the `vendor.prescribers` source, from the example project. */
function factColumns(): LoadColumn[] {
  const y = parseYaml(readFileSync(resolve('models/staging/sources.yml'), 'utf8')) as {
    sources: { tables: { name: string; columns: { name: string; data_type: string }[] }[] }[];
  };
  const table = y.sources.flatMap((s) => s.tables).find((t) => t.name === 'prescribers');
  if (!table) throw new Error('models/staging/sources.yml has no prescribers table');
  return table.columns.map((c) => ({ name: c.name, type: c.data_type }));
}

const PG_TYPE: Record<string, string> = { string: 'text', bigint: 'bigint', integer: 'integer', double: 'double precision' };


/** Child mode: one tx load, then a JSON line with its numbers (maxRSS covers DuckDB's threads too). */
async function childLoad(url: string, file: string, loadThreads: string): Promise<void> {
  const log: TargetLog = { statement: () => undefined, info: () => undefined, warn: (m) => console.error(m) };
  const session = await createPostgresTarget('bench', { ...connectionConfig(url, 'bench'), load_threads: loadThreads }, process.cwd()).open({ log, threads: 1 });
  try {
    await session.ensureSchema('bench');
    const t0 = performance.now();
    const r = await session.loadFileSource({
      uniqueId: 'source.bench.vendor.prescribers',
      relation: { schema: 'bench', identifier: 'fact_tx' },
      files: [file],
      format: 'csv',
      columns: factColumns(),
      options: { header: true },
      rejectsRelation: { schema: 'bench', identifier: 'fact_tx_rejects' },
      maxRejectedRows: Number.MAX_SAFE_INTEGER,
    });
    const ms = performance.now() - t0;
    const ru = process.resourceUsage();
    const cpuMs = (ru.userCPUTime + ru.systemCPUTime) / 1000;
    process.stdout.write(`${JSON.stringify({ ms, rowsLoaded: r.rowsLoaded, rowsRejected: r.rowsRejected, maxRssKB: ru.maxRSS, cpuMs })}\n`);
  } finally {
    await session.close();
  }
}

/**
 * Child mode: one export of the loaded table to a local Parquet file (snappy), either through `COPY … TO STDOUT`
 * (the exporters' path for PostgreSQL) or through the row cursor (the path before it), then a JSON line.
 */
async function childExport(url: string, mode: string, outDir: string): Promise<void> {
  const log: TargetLog = { statement: () => undefined, info: () => undefined, warn: (m) => console.error(m) };
  const session = await createPostgresTarget('bench', connectionConfig(url, 'bench'), process.cwd()).open({ log, threads: 1 });
  const c = session.connection;
  const s: TargetSession = mode === 'cursor' ? { ...streamOnly(session), connection: { execute: c.execute.bind(c), query: c.query.bind(c), stream: c.stream.bind(c), close: c.close.bind(c) } } : session;
  const relation = { schema: 'bench', identifier: 'fact_tx' };
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'out'), { recursive: true });
  try {
    const t0 = performance.now();
    const r = await produceFiles({
      session: s,
      relation,
      relationName: '"bench"."fact_tx"',
      spec: { format: 'parquet', compression: 'snappy', header: true, delimiter: ',', partitionBy: [], fileSizeBytes: undefined, fileName: 'fact', extraColumns: [] } as FileSpec,
      outDir: join(outDir, 'out'),
      scratchDir: join(outDir, 'scratch'),
      log,
    });
    const ms = performance.now() - t0;
    const ru = process.resourceUsage();
    const bytes = r.files.reduce((a, f) => a + f.bytes, 0);
    process.stdout.write(`${JSON.stringify({ ms, rows: r.rows, bytes, maxRssKB: ru.maxRSS, cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000 })}\n`);
  } finally {
    await session.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function txExport(url: string, mode: 'copy' | 'cursor', outDir: string, adminUrl: string, database: string): Promise<Measured & { bytes: number }> {
  const sampler = backendCpuSampler(adminUrl, database);
  const r = await run(process.execPath, [fileURLToPath(import.meta.url), '--child-export', url, mode, outDir]);
  const serverCpuMs = await sampler.stop();
  if (r.code !== 0) throw new Error(`tx export (${mode}) failed:\n${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; rows: number; bytes: number; maxRssKB: number; cpuMs: number };
  return { ms: j.ms, rows: j.rows, bytes: j.bytes, maxRssMB: j.maxRssKB / 1024, clientCpuMs: j.cpuMs, serverCpuMs };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

interface Measured {
  ms: number;
  rows: number;
  maxRssMB: number;
  /** CPU time of the client process (all its threads). */
  clientCpuMs: number;
  /** CPU time of the server backends serving it (local server only; NaN otherwise). */
  serverCpuMs: number;
}

/**
 * CPU time of the server processes connected to `database`, read from /proc while they live (the server must run
 * on this machine). Wall time on a shared machine is noisy; CPU time is what a load costs.
 */
function backendCpuSampler(adminUrl: string, database: string): { stop(): Promise<number> } {
  const ticks: Map<number, number> = new Map();
  const hz = 100; // USER_HZ on Linux
  let stopped = false;
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  const sample = async () => {
    const r = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
    for (const { pid } of r.rows) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(pid, Math.max(ticks.get(pid) ?? 0, Number(f[11]) + Number(f[12])));
      } catch {
        /* gone, or not on this machine */
      }
    }
  };
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      await sample().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.catch(() => undefined);
      await client.end().catch(() => undefined);
      return ticks.size ? ([...ticks.values()].reduce((x, y) => x + y, 0) * 1000) / hz : NaN;
    },
  };
}

async function txLoad(url: string, file: string, loadThreads: number, adminUrl: string, database: string): Promise<Measured & { rejected: number }> {
  const sampler = backendCpuSampler(adminUrl, database);
  const r = await run(process.execPath, [fileURLToPath(import.meta.url), '--child-load', url, file, String(loadThreads)]);
  const serverCpuMs = await sampler.stop();
  if (r.code !== 0) throw new Error(`tx load failed:\n${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; rowsLoaded: number; rowsRejected: number; maxRssKB: number; cpuMs: number };
  return { ms: j.ms, rows: j.rowsLoaded, rejected: j.rowsRejected, maxRssMB: j.maxRssKB / 1024, clientCpuMs: j.cpuMs, serverCpuMs };
}

async function psqlCopy(url: string, file: string, columns: LoadColumn[], adminUrl: string, database: string): Promise<Measured> {
  const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
  const setup = `DROP TABLE IF EXISTS bench.fact_psql; CREATE SCHEMA IF NOT EXISTS bench; CREATE TABLE bench.fact_psql (${columns.map((c) => `${q(c.name)} ${PG_TYPE[c.type] ?? c.type}`).join(', ')})`;
  const s = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c', setup]);
  if (s.code !== 0) throw new Error(`psql setup failed: ${s.stderr}`);
  // FORCE_NULL: a quoted "" is NULL, as DuckDB's reader (and so tx) reads it.
  const copy = `\\copy bench.fact_psql FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true, FORCE_NULL (${columns.map((c) => q(c.name)).join(', ')}))`;
  const sampler = backendCpuSampler(adminUrl, database);
  const r = await run('/usr/bin/time', ['-f', 'TXBENCH %M %U %S', 'psql', '-X', '-v', 'ON_ERROR_STOP=1', url, '-c', copy]);
  const serverCpuMs = await sampler.stop();
  if (r.code !== 0) throw new Error(`psql \\copy failed: ${r.stderr}`);
  const m = /TXBENCH (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const rows = Number(/COPY (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  return { ms: r.ms, rows, maxRssMB: Number(m?.[1] ?? NaN) / 1024, clientCpuMs: (Number(m?.[2]) + Number(m?.[3])) * 1000, serverCpuMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (process.argv[2] === '--child-load') return childLoad(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  if (process.argv[2] === '--child-export') return childExport(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  const a = parseArgs(process.argv.slice(2));
  const dataDir = resolve(a.out, `fact-${a.rows}-${a.seed}`);
  const file = join(dataDir, FACT_FILE_NAME);
  if (!existsSync(file)) {
    console.log(`generating ${a.rows} rows into ${file} ...`);
    await generateFactCsv({ rows: a.rows, out: dataDir, seed: a.seed });
  }
  const bytes = statSync(file).size;
  const svc = await startPostgres();
  const db = await createTestDatabase(svc, 'tx_bench_load');
  const columns = factColumns();
  try {
    const tx: (Measured & { rejected: number })[] = [];
    const ps: Measured[] = [];
    const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const line = (what: string, i: number, m: Measured) =>
      console.log(`${what} run ${i + 1}: ${secs(m.ms)} wall, CPU client ${secs(m.clientCpuMs)} + server ${secs(m.serverCpuMs)}, ${m.rows} rows, peak RSS ${m.maxRssMB.toFixed(0)} MB`);
    for (let i = 0; i < a.runs; i++) {
      ps.push(await psqlCopy(db.url, file, columns, svc.url, db.name));
      line('psql \\copy', i, ps.at(-1)!);
      tx.push(await txLoad(db.url, file, a.loadThreads, svc.url, db.name));
      line('tx loader  ', i, tx.at(-1)!);
    }
    // Exports of the loaded table to Parquet: through COPY … TO STDOUT, and through the row cursor (before).
    const ex: Record<'copy' | 'cursor', (Measured & { bytes: number })[]> = { copy: [], cursor: [] };
    if (a.export) {
      for (let i = 0; i < a.runs; i++) {
        for (const mode of ['copy', 'cursor'] as const) {
          const m = await txExport(db.url, mode, join(resolve(a.out), `export-${mode}`), svc.url, db.name);
          ex[mode].push(m);
          line(`export ${mode.padEnd(6)}`, i, m);
          console.log(`  ${(m.bytes / 1e6 / (m.ms / 1000)).toFixed(1)} MB/s of Parquet (${(m.bytes / 1e6).toFixed(0)} MB)`);
        }
      }
    }
    const summary = (xs: Measured[]) => ({
      ms: median(xs.map((x) => x.ms)),
      clientCpuMs: median(xs.map((x) => x.clientCpuMs)),
      serverCpuMs: median(xs.map((x) => x.serverCpuMs)),
      rows: xs[0]!.rows,
      peakRssMB: Math.max(...xs.map((x) => x.maxRssMB)),
    });
    const t = summary(tx);
    const p = summary(ps);
    const result = {
      rows: a.rows,
      bytes,
      server: `${svc.kind} ${svc.host}:${svc.port}`,
      runs: a.runs,
      loadThreads: a.loadThreads,
      tx: { ...t, rowsRejected: tx[0]!.rejected },
      psql: p,
      ratio: t.ms / p.ms,
      cpuRatio: (t.clientCpuMs + t.serverCpuMs) / (p.clientCpuMs + p.serverCpuMs),
      loadAverage: os.loadavg(),
      ...(a.export
        ? {
            export: Object.fromEntries(
              (['copy', 'cursor'] as const).map((m) => {
                const x = summary(ex[m]);
                return [m, { ...x, bytes: ex[m][0]!.bytes, mbPerS: ex[m][0]!.bytes / 1e6 / (x.ms / 1000) }];
              }),
            ),
          }
        : {}),
    };
    mkdirSync(a.out, { recursive: true });
    writeFileSync(join(a.out, `postgres-load-${a.rows}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `\n${a.rows} rows, ${(bytes / 2 ** 20).toFixed(0)} MiB CSV: tx ${(result.tx.ms / 1000).toFixed(1)} s vs psql \\copy ${(result.psql.ms / 1000).toFixed(1)} s ` +
        `= ${result.ratio.toFixed(2)}x wall, ${result.cpuRatio.toFixed(2)}x CPU (client + server); peak RSS tx ${result.tx.peakRssMB.toFixed(0)} MB, psql ${result.psql.peakRssMB.toFixed(0)} MB` +
        ` (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`,
    );
    if (a.export) {
      const c = summary(ex.copy);
      const k = summary(ex.cursor);
      const rate = (xs: { bytes: number }[], m: { ms: number }) => xs[0]!.bytes / 1e6 / (m.ms / 1000);
      console.log(
        `export to Parquet: COPY ${rate(ex.copy, c).toFixed(1)} MB/s (CPU client ${(c.clientCpuMs / 1000).toFixed(1)} s + server ${(c.serverCpuMs / 1000).toFixed(1)} s, peak RSS ${c.peakRssMB.toFixed(0)} MB)` +
          ` vs row cursor ${rate(ex.cursor, k).toFixed(1)} MB/s (CPU client ${(k.clientCpuMs / 1000).toFixed(1)} s + server ${(k.serverCpuMs / 1000).toFixed(1)} s, peak RSS ${k.peakRssMB.toFixed(0)} MB): ${(k.ms / c.ms).toFixed(2)}x`,
      );
    }
  } finally {
    await db.drop().catch(() => undefined);
    await svc.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
