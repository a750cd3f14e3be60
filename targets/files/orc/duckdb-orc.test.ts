/**
 * DuckDB → ORC through the chunks' vectors (duckdb-orc.ts): every DuckDB type the bridge maps,
 * with nulls, extremes, empty and long and non-ASCII strings, read back by tx's reader and
 * compared value for value with what DuckDB itself returns for the same query.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOrcFromDuckdb } from './duckdb-orc.js';
import { openOrcFile, readOrcFile } from './index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-duckdb-orc-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A value as text, the same for DuckDB's JS values and tx's ORC reader's. */
function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return v;
}

describe('DuckDB chunks → ORC vectors', () => {
  it('every mapped type: nulls, extremes, strings of every length, value for value', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      await conn.run(`create type mood as enum ('sad', 'ok', 'happy')`);
      const n = 5000;
      const sql = `select i::integer as id,
          case when i = 0 then -128 when i = 1 then 127 when i % 5 = 0 then null else (i % 256 - 128) end::tinyint as t8,
          case when i = 0 then -32768 when i = 1 then 32767 when i % 6 = 0 then null else (i * 7 % 65536 - 32768) end::smallint as s16,
          case when i = 0 then -2147483648 when i = 1 then 2147483647 when i % 7 = 0 then null else (i * 2654435761 % 4294967296 - 2147483648) end::integer as i32,
          case when i = 0 then -9223372036854775808 when i = 1 then 9223372036854775807 when i = 2 then 9007199254740993 when i % 8 = 0 then null
               else (i * 1000000007 - 5000000000) end::bigint as i64,
          case when i = 1 then 255 when i % 9 = 0 then null else i % 256 end::utinyint as u8,
          case when i = 1 then 65535 when i % 10 = 0 then null else i * 13 % 65536 end::usmallint as u16,
          case when i = 1 then 4294967295 when i % 11 = 0 then null else i * 2654435761 % 4294967296 end::uinteger as u32,
          case when i = 1 then 18446744073709551615 when i % 12 = 0 then null else i * 3 end::ubigint as u64,
          case when i = 1 then 99999999999999999999999999999999999999 when i = 0 then -99999999999999999999999999999999999999 when i % 13 = 0 then null
               else i::hugeint * 10000000000000000000 end::hugeint as h128,
          case when i % 14 = 0 then null when i = 1 then 'inf'::float when i = 3 then 'nan'::float else i / 3 end::float as f32,
          case when i % 15 = 0 then null when i = 1 then '-inf'::double else i / 7 end::double as f64,
          case when i % 16 = 0 then null else i % 3 = 0 end as b,
          case when i % 17 = 0 then null when i = 2 then '' when i = 4 then 'exactly12byt'
               else 'row ' || i || repeat('é', (i % 7)::integer) || repeat('x', (i % 40)::integer) || (case when i % 3 = 0 then ' 日本語😀' else '' end) end as s,
          case when i % 18 = 0 then null else ['CA', 'NY', 'TX'][1 + i % 3] end as st,
          case when i % 19 = 0 then null else (['sad', 'ok', 'happy'][1 + i % 3])::mood end as m,
          case when i % 20 = 0 then null else ('b' || i)::blob end as bl,
          case when i % 21 = 0 then null when i = 1 then date '9999-12-31' when i = 0 then date '0001-01-01' else date '1960-01-01' + (i * 37 % 40000)::integer end as d,
          case when i % 22 = 0 then null else (i * 12345.678)::decimal(18,3) end as dec
        from range(0, ${n}) t(i) order by i`;
      const file = path.join(dir, 'types.orc');
      const res = await writeOrcFromDuckdb(conn, sql, file, { compression: 'snappy', stripeSizeBytes: 64 * 1024 });
      expect(res.rows).toBe(n);
      const info = await openOrcFile(file);
      expect(info.stripes.length).toBeGreaterThan(1);
      expect(info.fields.map((f) => `${f.name}:${f.type.kind}`)).toEqual([
        'id:int',
        't8:byte',
        's16:short',
        'i32:int',
        'i64:long',
        'u8:short',
        'u16:int',
        'u32:long',
        'u64:decimal',
        'h128:decimal',
        'f32:float',
        'f64:double',
        'b:boolean',
        's:string',
        'st:string',
        'm:string',
        'bl:binary',
        'd:date',
        'dec:decimal',
      ]);
      const got = await readOrcFile(file);
      const want = (await conn.runAndReadAll(sql)).getRowObjectsJS();
      expect(got.length).toBe(want.length);
      for (let r = 0; r < n; r++) {
        for (const k of Object.keys(want[r]!)) {
          let w = norm(want[r]![k]);
          if (k === 'dec' && w !== null) w = String(want[r]![k]).includes('.') ? Number(want[r]![k]).toFixed(3) : `${String(want[r]![k])}.000`;
          const g = norm(got[r]![k]);
          if (g !== w) expect({ row: r, column: k, value: g }).toEqual({ row: r, column: k, value: w });
        }
      }
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });
});
