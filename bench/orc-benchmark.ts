/**
 * ORC benchmark: writing and reading report-shaped rows (top_prescribers' columns) with tx's ORC
 * writer and reader, beside DuckDB's Parquet writer and reader on the same data. Each phase runs in
 * a fresh process, so its peak RSS is its own. Not run by CI; do not run it while others test.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/orc-benchmark.js [--rows 10000000] [--dir /tmp/orcbench] [--compression snappy] [--runs 3]
 *
 * Phases: prepare (the rows, in a DuckDB file), parquet-write (DuckDB COPY … (FORMAT parquet,
 * COMPRESSION snappy)), orc-write (tx: DuckDB result chunks → OrcWriter, the export path),
 * parquet-read (DuckDB, every column aggregated), orc-read (tx's reader, column vectors from
 * readOrcColumnBatches, every value touched), orc-read-rows (the same through row objects).
 * MB/s is file bytes over wall time; DuckDB uses 2 threads. Each phase runs `--runs` times (default
 * 3) in fresh processes, the rounds interleaved (every phase once, then again), and the table shows
 * the median run (by wall time) with the range; the load average is printed at start and end, with
 * a warning when the machine is busy.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBInstance } from '@duckdb/node-api';
import { readOrcBatches, readOrcColumnBatches } from '../targets/files/orc/reader.js';
import type { OrcCompression } from '../targets/files/orc/compression.js';
import { loadLine, median } from './bench-support.js';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};

async function withDb<T>(file: string, fn: (c: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>): Promise<T> {
  // Loaded here, so the ORC read phases do not load DuckDB.
  const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
  const inst = await Instance.create(file, { threads: '2', memory_limit: '1GB' });
  const c = await inst.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

async function phase(name: string, dir: string, rows: number, compression: OrcCompression): Promise<Record<string, unknown>> {
  const db = path.join(dir, 'bench.duckdb');
  const pq = path.join(dir, 'report.parquet');
  const orc = path.join(dir, 'report.orc');
  // Modules load before the clock starts (DuckDB only for the phases that use it).
  if (!name.startsWith('orc-read')) {
    await import('@duckdb/node-api');
    await import('../targets/files/orc/duckdb-orc.js');
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let extra: Record<string, unknown> = {};
  switch (name) {
    case 'prepare':
      fs.mkdirSync(dir, { recursive: true });
      fs.rmSync(db, { force: true });
      await withDb(db, async (c) => {
        // top_prescribers' shape: ids, names, a few states, experience, counts, costs.
        await c.run(`create table report as
          select (1000000000 + range)::bigint as presc_id,
                 'FIRST' || (range % 50000)::varchar || ' LAST' || (range % 70001)::varchar as presc_fullname,
                 ['CA','NY','TX','FL','IL','PA','OH','GA','NC','MI'][1 + range % 10] as presc_state,
                 'USA' as country_name,
                 (20 + range % 31)::integer as years_of_exp,
                 (hash(range) % 5000)::bigint as trx_cnt,
                 (hash(range * 7) % 100000)::bigint as total_day_supply,
                 round((hash(range * 13) % 10000000) / 100.0, 2)::double as total_drug_cost
          from range(0, ${rows})`);
      });
      break;
    case 'parquet-write':
      fs.rmSync(pq, { force: true });
      await withDb(db, (c) => c.run(`copy report to '${pq}' (format parquet, compression ${compression === 'none' ? 'uncompressed' : compression === 'zlib' ? 'gzip' : 'snappy'})`));
      extra = { bytes: fs.statSync(pq).size };
      break;
    case 'orc-write': {
      fs.rmSync(orc, { force: true });
      const { writeOrcFromDuckdb } = await import('../targets/files/orc/duckdb-orc.js');
      const r = await withDb(db, (c) => writeOrcFromDuckdb(c, 'select * from report', orc, { compression }));
      extra = { bytes: r.bytes, stripes: r.stripes };
      break;
    }
    case 'parquet-read': {
      const r = await withDb(':memory:', async (c) =>
        (
          await c.runAndReadAll(
            `select count(*) as n, sum(presc_id) as a, sum(length(presc_fullname)) as b, count(distinct presc_state) as c, sum(length(country_name)) as d,
                    sum(years_of_exp) as e, sum(trx_cnt) as f, sum(total_day_supply) as g, sum(total_drug_cost) as h from read_parquet('${pq}')`,
          )
        ).getRowObjectsJS(),
      );
      extra = { bytes: fs.statSync(pq).size, rowsRead: Number(r[0]!.n) };
      break;
    }
    case 'orc-read': {
      // Column vectors (readOrcColumnBatches), every value touched.
      let n = 0;
      let chars = 0;
      let sum = 0;
      for await (const batch of readOrcColumnBatches(orc, { batchSize: 10_000 })) {
        n += batch.rows;
        for (const c of batch.columns) {
          if (c.nums) {
            const v = c.nums;
            for (let i = 0; i < batch.rows; i++) sum += v[i]!;
          } else for (const v of c.vals!) if (typeof v === 'string') chars += v.length;
        }
      }
      extra = { bytes: fs.statSync(orc).size, rowsRead: n, check: chars + sum > 0 };
      break;
    }
    case 'orc-read-rows': {
      // Row objects (readOrcBatches), every value touched.
      let n = 0;
      let chars = 0;
      let sum = 0;
      for await (const batch of readOrcBatches(orc, { batchSize: 10_000 })) {
        for (const r of batch) {
          n++;
          chars += (r.presc_fullname as string).length + (r.presc_state as string).length + (r.country_name as string).length;
          sum += (r.years_of_exp as number) + (r.total_drug_cost as number) + Number(r.trx_cnt) + Number(r.total_day_supply) + Number(r.presc_id);
        }
      }
      extra = { bytes: fs.statSync(orc).size, rowsRead: n, check: chars + sum > 0 };
      break;
    }
    default:
      throw new Error(`unknown phase ${name}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const bytes = typeof extra.bytes === 'number' ? extra.bytes : 0;
  return { phase: name, rows, seconds: Number(seconds.toFixed(3)), mbPerS: bytes ? Number((bytes / 1e6 / seconds).toFixed(1)) : undefined, rowsPerS: Math.round(rows / seconds), cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)), maxRssMb, ...extra };
}

async function main(): Promise<void> {
  const rows = Number(arg('--rows', '10000000'));
  const dir = path.resolve(arg('--dir', '/tmp/tx-orc-bench'));
  const compression = arg('--compression', 'snappy') as OrcCompression;
  const only = arg('--phase', '');
  if (only) {
    console.log(JSON.stringify(await phase(only, dir, rows, compression)));
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  const runs = Math.max(1, Number(arg('--runs', '3')));
  console.log(loadLine('start'));
  const once = (p: string): Record<string, unknown> => {
    const out = execFileSync(process.execPath, [self, '--phase', p, '--rows', String(rows), '--dir', dir, '--compression', compression], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    console.error(JSON.stringify(r));
    return r;
  };
  once('prepare');
  const phases = ['parquet-write', 'orc-write', 'parquet-read', 'orc-read', 'orc-read-rows'];
  const all = new Map<string, Record<string, unknown>[]>(phases.map((p) => [p, []]));
  // Rounds interleaved, so a change in the machine's load falls on every phase alike.
  for (let i = 0; i < runs; i++) for (const p of phases) all.get(p)!.push(once(p));
  const results = phases.map((p): Record<string, unknown> => {
    const rs = all.get(p)!;
    const m = median(rs.map((r) => r.seconds as number));
    const pick = rs.find((r) => r.seconds === m) ?? [...rs].sort((a, b) => (a.seconds as number) - (b.seconds as number))[rs.length >> 1]!;
    const secs = rs.map((r) => r.seconds as number);
    return { ...pick, range: `${Math.min(...secs)} to ${Math.max(...secs)}`, rowsPerS: Math.round(rows / m), seconds: m };
  });
  console.log(`\nmedian of ${runs} fresh processes per phase (rounds interleaved); ${rows.toLocaleString('en')} rows, ${compression}`);
  console.log('| phase | rows | seconds (median) | range | CPU seconds | MB/s | rows/s | file MB | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const mb = typeof r.bytes === 'number' ? (r.bytes / 1e6).toFixed(1) : '';
    console.log(`| ${String(r.phase)} | ${Number(r.rows).toLocaleString('en')} | ${String(r.seconds)} | ${String(r.range)} | ${String(r.cpuSeconds)} | ${String(r.mbPerS ?? '')} | ${Number(r.rowsPerS).toLocaleString('en')} | ${mb} | ${String(r.maxRssMb)} |`);
  }
  const get = (p: string) => results.find((r) => r.phase === p)!;
  const ratio = (a: string, b: string) => ((get(a).rowsPerS as number) / (get(b).rowsPerS as number)).toFixed(2);
  console.log(
    `\nORC write rate / Parquet write rate: ${ratio('orc-write', 'parquet-write')}; ORC read / Parquet read: ${ratio('orc-read', 'parquet-read')} (column vectors), ${ratio('orc-read-rows', 'parquet-read')} (row objects) (rows/s, medians)`,
  );
  console.log(loadLine('end'));
}

await main();
