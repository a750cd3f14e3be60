/**
 * Export benchmark: a ~1 GB table exported with `runExport` to a local folder and to an
 * S3-compatible server (moto, started here, or AWS_ENDPOINT_URL_S3 if set), as Parquet (snappy).
 * Optional `local-stream`: the same export through the streaming path PostgreSQL/Hive use (rows
 * out of the session, through an appender into a private disk-backed DuckDB).
 *
 * Each export runs in a fresh process, so its peak RSS is the export's alone (the table is
 * built by another process first). Not run by CI.
 *
 *   npm run build && npm run bench:export -- [--rows N] [--dest local,s3,local-stream] [--runs 3] [--memory-limit 512MB] [--db PATH]
 *
 * Each local export is measured beside DuckDB's own `COPY (SELECT * FROM facts) TO … (FORMAT
 * parquet, COMPRESSION snappy)` in a fresh process on the same database (the rival), interleaved,
 * median of --runs.
 *
 * `--memory-limit` sets the source DuckDB's memory_limit (its buffer pool is most of the RSS:
 * scanning the table caches its blocks, up to 80% of RAM by default).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDuckdbTarget } from '../targets/duckdb/index.js';
import { runExport, type ExportResult } from '../targets/exports/index.js';
import { recordingLog, streamOnly } from '../targets/exports/export-test-support.js';
import { startS3 } from '../testing/services/s3.js';
import { loadLine } from './bench-support.js';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};

const RELATION = { schema: 'main', identifier: 'facts' };

/** Child: build the table (prescriber-like rows; random text so Parquet cannot shrink it much). */
async function prepare(db: string, rows: number): Promise<void> {
  const target = createDuckdbTarget('bench', { type: 'duckdb', path: db }, path.dirname(db));
  const s = await target.open({ log: recordingLog(), threads: 2 });
  await s.connection.execute(`create or replace table main.facts as
    select range::bigint as presc_id,
           md5(range::varchar) as presc_fullname,
           ['CA','NY','TX','FL','IL','PA','OH','GA'][1 + range % 8] as presc_state,
           md5((range * 31)::varchar) || md5((range * 17)::varchar) as drug_name,
           (random() * 1000)::integer as trx_cnt,
           random() * 100000 as total_drug_cost,
           date '2021-01-01' + (range % 365)::integer as fill_date
    from range(0, ${rows})`);
  await s.close();
}

interface Measured {
  dest: string;
  result: ExportResult;
  maxRssMb: number;
}

/** Child: one export, in this fresh process. */
async function runOne(db: string, dest: string, project: string, memoryLimit: string): Promise<void> {
  const log = recordingLog();
  const settings = memoryLimit ? { memory_limit: memoryLimit } : undefined;
  const target = createDuckdbTarget('bench', { type: 'duckdb', path: db, settings }, path.dirname(db));
  const session = await target.open({ log, threads: 2 });
  const spec =
    dest === 's3'
      ? { to: `s3://${process.env.TX_BENCH_BUCKET}/bench`, path: 'facts' }
      : { to: 'output/', path: dest };
  const result = await runExport({
    spec,
    node: { name: 'facts', uniqueId: 'model.bench.facts', relation: RELATION, relationName: '"main"."facts"' },
    session: dest === 'local-stream' ? streamOnly(session) : session,
    projectDir: project,
    exportRoots: [path.join(project, 'output')],
    renderTemplate: (t) => t,
    openTarget: async () => {
      throw new Error('not used');
    },
    log,
  });
  await session.close();
  const out: Measured = { dest, result: { ...result, files: result.files.slice(0, 3) }, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

/** Child: the rival, DuckDB's own `COPY … TO` of the same table to Parquet snappy, in this fresh process. */
async function runCopy(db: string, out: string, memoryLimit: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const options: Record<string, string> = { threads: '2' };
  if (memoryLimit) options.memory_limit = memoryLimit;
  const inst = await DuckDBInstance.create(db, options);
  const c = await inst.connect();
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'facts.parquet');
  const t0 = performance.now();
  const r = await c.run(`COPY (SELECT * FROM main.facts) TO '${file.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION snappy)`);
  const ms = performance.now() - t0;
  const rows = Number(r.rowsChanged);
  c.closeSync();
  inst.closeSync();
  const out1: Measured = { dest: 'duckdb COPY', result: { rows, bytes: fs.statSync(file).size, ms, files: [] } as unknown as ExportResult, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`RESULT ${JSON.stringify(out1)}\n`);
}

async function main(): Promise<void> {
  const rows = Number(arg('--rows', '9000000'));
  const dests = arg('--dest', 'local,s3').split(',');
  const memoryLimit = arg('--memory-limit', '');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-bench-export-'));
  // --db PATH keeps the table between runs (built there when missing).
  const keptDb = arg('--db', '');
  const db = keptDb ? path.resolve(keptDb) : path.join(work, 'bench.duckdb');
  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  let stopS3: (() => Promise<void>) | undefined;
  try {
    if (!fs.existsSync(db)) {
      const t0 = performance.now();
      execFileSync(process.execPath, [self, '--prepare', db, String(rows)], { stdio: 'inherit' });
      console.log(`table main.facts: ${rows} rows built in ${((performance.now() - t0) / 1000).toFixed(1)} s (database file ${(fs.statSync(db).size / 1e6).toFixed(0)} MB)`);
    } else console.log(`table main.facts: reusing ${db}`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (dests.includes('s3')) {
      if (!env.AWS_ENDPOINT_URL_S3) {
        const svc = await startS3();
        if (!svc) throw new Error('no S3-compatible server available (moto could not be provisioned)');
        stopS3 = () => svc.stop();
        Object.assign(env, { AWS_ENDPOINT_URL_S3: svc.endpoint, AWS_REGION: svc.region, AWS_ACCESS_KEY_ID: svc.accessKeyId, AWS_SECRET_ACCESS_KEY: svc.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });
        const c = new S3Client(svc.clientConfig);
        await c.send(new CreateBucketCommand({ Bucket: 'tx-bench' }));
        c.destroy();
      }
      env.TX_BENCH_BUCKET ??= 'tx-bench';
    }
    const runs = Number(arg('--runs', '3'));
    console.log(`\nexport benchmark (node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB), Parquet snappy, fresh process per export, median of ${runs}, interleaved with the rival; source DuckDB memory_limit ${memoryLimit || 'default'}`);
    console.log(loadLine('start'));
    const one = (mode: string[], label: string): Measured => {
      const out = execFileSync(process.execPath, [self, ...mode], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no result from ${label}:\n${out}`);
      fs.rmSync(path.join(project, 'output'), { recursive: true, force: true });
      fs.rmSync(path.join(work, 'copy'), { recursive: true, force: true });
      return JSON.parse(line.slice('RESULT '.length)) as Measured;
    };
    const table: string[] = [];
    const mbps = (m: Measured) => m.result.bytes / 1e6 / (m.result.ms / 1000);
    const byMedian = (ms: Measured[]) => [...ms].sort((a, b) => a.result.ms - b.result.ms)[Math.floor(ms.length / 2)]!;
    const line = (label: string, m: Measured, ratio: string) =>
      `| ${label} | ${m.result.rows} | ${(m.result.bytes / 1e6).toFixed(0)} | ${(m.result.ms / 1000).toFixed(2)} | ${mbps(m).toFixed(1)} | ${Math.round(m.result.rows / (m.result.ms / 1000))} | ${ratio} | ${m.maxRssMb.toFixed(0)} |`;
    for (const dest of dests) {
      const tx: Measured[] = [];
      const rival: Measured[] = [];
      for (let i = 0; i < runs; i++) {
        if (dest !== 's3') rival.push(one(['--copy', db, path.join(work, 'copy'), memoryLimit], 'duckdb COPY'));
        tx.push(one(['--run', db, dest, project, memoryLimit], dest));
      }
      const t = byMedian(tx);
      if (rival.length) {
        const r = byMedian(rival);
        table.push(line(`DuckDB's own COPY … TO (rival of ${dest})`, r, '1.00'));
        table.push(line(`tx ${dest}`, t, `${((r.result.ms / t.result.ms) * 100).toFixed(0)}% (aim ≥ 90%)`));
      } else table.push(line(`tx ${dest}`, t, 'n/a'));
    }
    console.log('| export | rows | output MB | seconds | MB/s | rows/s | rate vs DuckDB COPY | peak RSS MB |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of table) console.log(r);
    console.log(loadLine('end'));
  } finally {
    await stopS3?.();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (args[0] === '--prepare') await prepare(args[1]!, Number(args[2]));
else if (args[0] === '--copy') await runCopy(args[1]!, args[2]!, args[3] ?? '');
else if (args[0] === '--run') await runOne(args[1]!, args[2]!, args[3]!, args[4] ?? '');
else await main();
