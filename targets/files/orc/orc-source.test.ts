/**
 * ORC file sources through `tx build` on DuckDB and PostgreSQL: a folder of Spark-style part files
 * (written by pyarrow, with _SUCCESS and .crc beside them) and a glob, typed with declared
 * columns, rejected rows with file, row and reason, undeclared columns typed from the ORC schema,
 * and a corrupt part file failing the load with the previous table kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, queryDuckdb, runCli, writeFiles } from '../../../testing/fixture-project.js';
import { postgresTargets, scratchDatabase, type ScratchDatabase } from '../../../testing/postgres-scratch.js';
import { runPython } from './pyarrow-support.js';
import { PY_WRITE } from './pyarrow-scripts.js';

let dir: string;
let pgdb: ScratchDatabase;

/** Spark-style part files: part-0000N-<uuid>-c000.snappy.orc, _SUCCESS and .crc files. */
export async function writeParts(folder: string, parts: { rows: number; start: number }[]): Promise<string[]> {
  fs.mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  for (const [i, p] of parts.entries()) {
    const file = path.join(folder, `part-0000${i}-4f1e2c7a-9b1d-4e3a-8f00-1234567890ab-c000.snappy.orc`);
    const ids = Array.from({ length: p.rows }, (_, k) => p.start + k);
    const spec = path.join(os.tmpdir(), `tx-orc-spec-${process.pid}-${i}.json`);
    fs.writeFileSync(
      spec,
      JSON.stringify({
        path: file,
        compression: 'snappy',
        columns: [
          { name: 'id', type: 'int64', values: ids.map(String) },
          { name: 'name', type: 'string', values: ids.map((x) => (x % 10 === 0 ? null : `name ${x} ü`)) },
          { name: 'amount', type: 'decimal(10,2)', values: ids.map((x) => `${x}.${String(x % 100).padStart(2, '0')}`) },
          { name: 'day', type: 'date', values: ids.map((x) => new Date(Date.UTC(2024, 0, 1) + x * 86_400_000).toISOString().slice(0, 10)) },
          { name: 'code', type: 'string', values: ids.map((x) => (x % 250 === 7 ? 'x' : String(x % 50))) },
          { name: 'at', type: 'timestamp_ns', values: ids.map((x) => String(BigInt(1_700_000_000 + x) * 1_000_000_000n + 123_456_000n)) },
        ],
      }),
    );
    await runPython(PY_WRITE, [spec]);
    fs.rmSync(spec);
    fs.writeFileSync(path.join(folder, `.${path.basename(file)}.crc`), 'crc');
    files.push(file);
  }
  fs.writeFileSync(path.join(folder, '_SUCCESS'), '');
  return files;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-src-'));
  pgdb = await scratchDatabase('tx_orc_src');
  await writeParts(path.join(dir, 'data', 'parts'), [
    { rows: 1200, start: 0 },
    { rows: 800, start: 1200 },
  ]);
  writeFiles(dir, {
    'project.yml': `name: orcsrc\ntarget: dev\ntargets:\n  dev: {type: duckdb, path: target/dev.duckdb}\n${postgresTargets([['pg', 'orcsrc']])}\n`,
    'models/sources.yml': dedent(`
      version: 2
      sources:
        - name: vendor
          tables:
            - name: parts
              path: data/parts
              format: orc
              max_rejected_rows: 100
              columns:
                - {name: id, data_type: bigint}
                - {name: name, data_type: string}
                - {name: amount, data_type: "decimal(10,2)"}
                - {name: day, data_type: date}
                - {name: code, data_type: integer}
                - {name: at, data_type: timestamp}
            - name: globbed
              path: "data/parts/part-*.orc"
    `),
    'models/summary.sql': `select count(*) as n, sum(amount) as total, count(name) as named, min(day) as first_day, max("at") as last_at, sum(code) as codes from {{ source('vendor', 'parts') }}`,
    'models/globbed_summary.sql': `select count(*) as n, sum(amount) as total from {{ source('vendor', 'globbed') }}`,
  });
}, 600_000);
afterAll(async () => {
  await pgdb?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// 2,000 rows; ids 7, 257, 507, ... (x % 250 == 7) have code 'x': 8 rejected rows.
const EXPECTED = { n: 1992, named: 1992 - 200 + 1, first_day: '2024-01-01', last_at: '2023-11-14 22:46:39.123456' };

describe('ORC sources', () => {
  it('on DuckDB: a Spark part-file folder, typed with rejects, and a glob typed from the ORC schema', async () => {
    const r = await runCli(['build', '--project-dir', dir], { timeoutMs: 300_000 });
    expect(r.code, r.output).toBe(0);
    const db = path.join(dir, 'target', 'dev.duckdb');
    const [s] = await queryDuckdb(db, `select n, total::varchar as total, named, first_day::varchar as first_day, last_at::varchar as last_at from main.summary`);
    // Rejected ids have x % 10 == 7, so none of them is a null name: 200 null names among the 1,992.
    expect(s).toEqual({ n: 1992, total: expect.any(String), named: 1792, first_day: '2024-01-01', last_at: EXPECTED.last_at });
    const rej = await queryDuckdb(db, `select file, line, reason from vendor.parts__rejects order by file, line`);
    expect(rej.length).toBe(8);
    expect(rej[0]).toEqual({ file: expect.stringMatching(/part-00000-.*\.snappy\.orc$/), line: 8, reason: 'code: value does not fit INTEGER: x' });
    const types = await queryDuckdb(db, `select column_name, data_type from information_schema.columns where table_schema = 'vendor' and table_name = 'globbed' order by ordinal_position`);
    expect(types.map((t) => `${String(t.column_name)} ${String(t.data_type)}`)).toEqual(['id BIGINT', 'name VARCHAR', 'amount DECIMAL(10,2)', 'day DATE', 'code VARCHAR', 'at TIMESTAMP']);
    const [g] = await queryDuckdb(db, `select n, total::varchar as total from main.globbed_summary`);
    const sum = Array.from({ length: 2000 }, (_, x) => BigInt(x) * 100n + BigInt(x % 100)).reduce((a, b) => a + b, 0n);
    expect(g).toEqual({ n: 2000, total: `${sum / 100n}.${String(sum % 100n).padStart(2, '0')}` });
  });

  it('on PostgreSQL: the same rows, rejects and types', async () => {
    const r = await runCli(['build', '--project-dir', dir, '--target', 'pg'], { env: pgdb.env, timeoutMs: 300_000 });
    expect(r.code, r.output).toBe(0);
    const s = await pgdb.rows(`select n::int as n, named::int as named, first_day::text as first_day, last_at::text as last_at from orcsrc.summary`);
    expect(s[0]).toEqual({ n: 1992, named: 1792, first_day: '2024-01-01', last_at: EXPECTED.last_at });
    const rej = await pgdb.rows(`select line::int as line, reason from vendor.parts__rejects order by file, line limit 1`);
    expect(rej[0]).toEqual({ line: 8, reason: 'code: value does not fit INTEGER: x' });
    const g = await pgdb.rows(`select n::int as n from orcsrc.globbed_summary`);
    expect(g[0]!.n).toBe(2000);
  });

  it('a corrupt part file fails the load with the file named; the previous table is kept', async () => {
    const part = fs.readdirSync(path.join(dir, 'data', 'parts')).find((f) => f.startsWith('part-00001'))!;
    const file = path.join(dir, 'data', 'parts', part);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, good.length - 20));
    try {
      const r = await runCli(['build', '--project-dir', dir], { timeoutMs: 300_000 });
      expect(r.code, r.output).toBe(1);
      expect(r.output).toContain(file);
      expect(r.output).toMatch(/ORC/);
      const [s] = await queryDuckdb(path.join(dir, 'target', 'dev.duckdb'), `select count(*)::int as n from vendor.parts`);
      expect(s).toEqual({ n: 1992 });
    } finally {
      fs.writeFileSync(file, good);
    }
  });
});
