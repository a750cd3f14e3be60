/**
 * What exact values cost when rows leave DuckDB (`tx show`, exports from a DuckDB session that
 * streams): the DuckDB target's `stream()` (DATE/TIMESTAMP/TIMESTAMPTZ as targets/values classes,
 * DECIMAL as exact text) against DuckDB's own JS conversion of the same query (zoned JS Dates and
 * doubles), on a table of --rows rows (id BIGINT, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ,
 * n DECIMAL(12,2), s VARCHAR). Each side is a fresh process; only the streaming is timed (the
 * table is built first); median of --runs, the two sides interleaved; load average at start and end.
 *
 *   node dist/bench/value-stream-benchmark.js [--rows 1000000] [--runs 3]
 */
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckdbPool } from '../targets/duckdb/duckdb-connection.js';
import { argValue, loadLine, median, runProcess } from './bench-support.js';

const args = process.argv.slice(2);
const rows = Number(argValue(args, '--rows', '1000000'));
const SQL = 'select * from t';

async function child(kind: 'tx' | 'duckdb-js'): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await instance.connect();
  await c.run(`create table t as select i::bigint as id, date '2000-01-01' + (i % 9000)::int as d,
    timestamp '2000-01-01' + to_microseconds(i * 1234567) as ts, timestamptz '2000-01-01 00:00:00+00' + to_microseconds(i * 7654321) as tz,
    (i % 100000)::decimal(12,2) / 7 as n, 'row ' || i as s from range(${rows}) r(i)`);
  let n = 0;
  const t0 = performance.now();
  if (kind === 'tx') {
    const pool = new DuckdbPool(instance, 1, { statement() {}, info() {}, warn() {} });
    for await (const b of pool.stream(SQL, { batchSize: 2048 })) n += b.length;
  } else {
    const result = await c.stream(SQL);
    for await (const b of result.yieldRowObjectJs()) n += b.length;
  }
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ kind, rows: n, s })}\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  const runs = Number(argValue(args, '--runs', '3'));
  const self = fileURLToPath(import.meta.url);
  console.log(loadLine('start'));
  const times: Record<string, number[]> = { tx: [], 'duckdb-js': [] };
  for (let i = 0; i < runs; i++) {
    for (const kind of ['tx', 'duckdb-js'] as const) {
      const r = await runProcess(process.execPath, [self, '--child', kind, '--rows', String(rows)]);
      if (r.status !== 0) throw new Error(`${kind} failed: ${r.output}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number; s: number };
      if (out.rows !== rows) throw new Error(`${kind} streamed ${out.rows} rows, not ${rows}`);
      times[kind]!.push(out.s);
    }
  }
  for (const [kind, xs] of Object.entries(times)) {
    const m = median(xs);
    console.log(`${kind.padEnd(10)} ${rows} rows streamed: median ${m.toFixed(2)} s (${Math.round(rows / m).toLocaleString('en-US')} rows/s; runs ${xs.map((x) => x.toFixed(2)).join(', ')})`);
  }
  console.log(loadLine('end'));
}

const childKind = args.includes('--child') ? (argValue(args, '--child', 'tx') as 'tx' | 'duckdb-js') : null;
await (childKind ? child(childKind) : main());
