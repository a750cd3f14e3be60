/**
 * Row indexes: every stripe tx writes has ROW_INDEX streams with, per 10,000 rows, the start of
 * the group in each stream (compressed chunk and offset inside it) and the group's statistics.
 * Proved by reading each group from its positions alone (readOrcRowGroup) and getting the same
 * rows as a read from the stripe's start, for every type, nulls, each compression, compression
 * chunks far smaller than a stream, several stripes, and the DuckDB export path. pyarrow reading
 * these files is in orc-pyarrow.test.ts; Spark seeking by them (filters pushed down) in
 * orc-spark.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOrcFromDuckdb } from './duckdb-orc.js';
import { openOrcFile, readOrcColumnBatches, readOrcFile, readOrcRowGroup, readOrcRowIndex, writeOrcFile, type OrcCompression, type OrcField } from './index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-ri-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FIELDS: OrcField[] = [
  { name: 'id', type: { kind: 'int' } },
  { name: 'b', type: { kind: 'boolean' } },
  { name: 'i8', type: { kind: 'byte' } },
  { name: 'i64', type: { kind: 'long' } },
  { name: 'f32', type: { kind: 'float' } },
  { name: 'f64', type: { kind: 'double' } },
  { name: 's_dict', type: { kind: 'string' } },
  { name: 's_direct', type: { kind: 'string' } },
  { name: 'bin', type: { kind: 'binary' } },
  { name: 'dec', type: { kind: 'decimal', precision: 20, scale: 3 } },
  { name: 'd', type: { kind: 'date' } },
  { name: 'ts', type: { kind: 'timestamp' } },
];

/** Row i: nulls in every column but id at different rates, so groups have different presence. */
function row(i: number): unknown[] {
  const nul = (k: number, v: unknown): unknown => (i % k === 0 ? null : v);
  return [
    i,
    nul(7, i % 3 === 0),
    nul(11, (i % 256) - 128),
    nul(13, BigInt(i) * 1_000_000_007n - 5n),
    nul(5, i / 4),
    nul(17, i * 1.5 - 7),
    nul(19, `k${i % 40}`),
    nul(23, `direct-${i}-${'x'.repeat(i % 9)}ü`),
    nul(29, Buffer.from(`b${i}`)),
    nul(31, `${i}.${String(i % 1000).padStart(3, '0')}`),
    nul(37, `20${String(10 + (i % 80)).slice(-2)}-0${1 + (i % 9)}-1${i % 10}`),
    nul(41, `2024-03-0${1 + (i % 9)} 0${i % 10}:1${i % 6}:2${i % 10}.${String(i % 1000000).padStart(6, '0')}`),
  ];
}

async function checkGroups(file: string, expectRows: (stripe: number) => Record<string, unknown>[]): Promise<number> {
  const info = await openOrcFile(file);
  expect(info.rowIndexStride).toBe(10_000);
  let groups = 0;
  for (let s = 0; s < info.stripes.length; s++) {
    const rows = expectRows(s);
    expect(rows.length).toBe(info.stripes[s]!.rows);
    const index = await readOrcRowIndex(file, s);
    const n = Math.ceil(rows.length / 10_000);
    // The root's entries count each group's rows.
    expect(index[0]!.map((e) => e.count)).toEqual(Array.from({ length: n }, (_, g) => Math.min(10_000, rows.length - g * 10_000)));
    for (let g = 0; g < n; g++) {
      const want = rows.slice(g * 10_000, (g + 1) * 10_000);
      // Statistics per group: values (non-null) and whether there were nulls.
      for (const [c, f] of info.fields.entries()) {
        const e = index[c + 1]![g]!;
        const present = want.filter((r) => r[f.name] !== null).length;
        expect({ c: f.name, count: e.count, hasNull: e.hasNull }).toEqual({ c: f.name, count: present, hasNull: present < want.length });
      }
      expect(await readOrcRowGroup(file, s, g)).toEqual(want);
      groups++;
    }
  }
  return groups;
}

describe('row index', () => {
  for (const compression of ['none', 'zlib', 'snappy'] as OrcCompression[]) {
    it(`${compression}: each 10,000-row group read from its positions alone equals the rows read from the stripe's start`, async () => {
      const file = path.join(dir, `groups-${compression}.orc`);
      const n = 35_123;
      // 1 KiB compression chunks: groups start deep inside streams, in chunks other than the first.
      await writeOrcFile(file, FIELDS, Array.from({ length: n }, (_, i) => row(i)), { compression, blockSize: 1024 });
      const all = await readOrcFile(file);
      expect(all.length).toBe(n);
      expect((await openOrcFile(file)).stripes.length).toBe(1);
      expect(await checkGroups(file, () => all)).toBe(4);
    });
  }

  it('several stripes: each has its own row index, groups counted from the stripe start', async () => {
    const file = path.join(dir, 'stripes.orc');
    const n = 60_000;
    await writeOrcFile(file, FIELDS, Array.from({ length: n }, (_, i) => row(i)), { compression: 'zlib', stripeSizeBytes: 900_000, blockSize: 4096 });
    const info = await openOrcFile(file);
    expect(info.stripes.length).toBeGreaterThan(1);
    expect(info.stripes.some((s) => s.rows > 10_000)).toBe(true);
    const all = await readOrcFile(file);
    const starts = info.stripes.map((_, i) => info.stripes.slice(0, i).reduce((a, s) => a + s.rows, 0));
    expect(await checkGroups(file, (s) => all.slice(starts[s], starts[s]! + info.stripes[s]!.rows))).toBeGreaterThan(info.stripes.length);
  });

  it('the DuckDB export path (column vectors): groups read by position equal the query, including nulls and long strings', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const sql = `select range::integer as id, case when range % 7 = 0 then null else range % 3 = 0 end as b,
          case when range % 5 = 0 then null else range * 1000003 end as i64, case when range % 4 = 0 then null else range / 8 end as f64,
          case when range % 9 = 0 then null else 'name ' || range || repeat('é', (range % 5)::integer) || ' and more text than twelve bytes' end as s,
          case when range % 6 = 0 then null else ['CA', 'NY', 'TX'][1 + range % 3] end as st,
          case when range % 10 = 0 then null else date '2020-01-01' + (range % 1000)::integer end as d
        from range(0, 25000) order by range`;
      const file = path.join(dir, 'duckdb.orc');
      await writeOrcFromDuckdb(conn, sql, file, { compression: 'snappy', blockSize: 2048 });
      const all = await readOrcFile(file);
      const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
      expect(all.length).toBe(rows.length);
      const norm = (r: Record<string, unknown>) => ({ ...r, i64: r.i64 === null ? null : BigInt(r.i64 as bigint), d: r.d === null || typeof r.d === 'string' ? r.d : (r.d as Date).toISOString().slice(0, 10) });
      expect(all.map(norm)).toEqual(rows.map(norm));
      expect(await checkGroups(file, () => all)).toBe(3);
      // The column-vector read gives the same values as the rows.
      let at = 0;
      for await (const batch of readOrcColumnBatches(file, { batchSize: 7000 })) {
        for (const c of batch.columns) {
          for (let i = 0; i < batch.rows; i++) {
            const want = all[at + i]![c.name];
            const got = c.nums ? (c.present && !c.present[i] ? null : c.kind === 'long' ? BigInt(c.nums[i]!) : c.nums[i]) : c.vals![i];
            if (got !== want) expect({ row: at + i, column: c.name, got }).toEqual({ row: at + i, column: c.name, got: want });
          }
        }
        at += batch.rows;
      }
      expect(at).toBe(rows.length);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });
});
