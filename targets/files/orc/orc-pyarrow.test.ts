/**
 * tx's ORC writer and reader against pyarrow's (Apache ORC C++): files tx writes are read back
 * value for value by pyarrow.orc, and files pyarrow writes are read value for value by tx.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrcFile, readOrcColumnBatches, readOrcFile, writeOrcFile, type OrcCompression, type OrcField } from './index.js';
import { readAheadCounts } from './read-ahead.js';
import { parseTimestamp } from './types.js';
import { runPython } from './pyarrow-support.js';
import { PY_READ, PY_WRITE } from './pyarrow-scripts.js';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface PyRead {
  schema: [string, string][];
  rows: number;
  stripes: number;
  compression: string;
  columns: unknown[][];
}

async function pyRead(file: string): Promise<PyRead> {
  const out = await runPython(PY_READ, [file]);
  return JSON.parse(out.trim().split('\n').pop()!) as PyRead;
}

function f64hex(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v, 0);
  return `f:${b.toString('hex')}`;
}

function tsNanos(s: string): string {
  const t = parseTimestamp(s)!;
  return `i:${BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanos)}`;
}

/** A value as PY_READ prints it, from what tx wrote or read (kind = the ORC type kind). */
function canon(kind: string, v: unknown, scale = 0): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'boolean':
    case 'string':
    case 'date':
      return v;
    case 'byte':
    case 'short':
    case 'int':
    case 'long':
      return `i:${String(v)}`;
    case 'float':
      return f64hex(Math.fround(v as number));
    case 'double':
      return f64hex(v as number);
    case 'decimal': {
      const [int, frac = ''] = String(v).split('.');
      return `d:${int}${scale ? `.${frac.padEnd(scale, '0')}` : ''}`;
    }
    case 'binary':
      return `b:${Buffer.from(v as Uint8Array).toString('hex')}`;
    case 'timestamp':
      return tsNanos(v as string);
    default:
      throw new Error(kind);
  }
}

const FIELDS: OrcField[] = [
  { name: 'b', type: { kind: 'boolean' } },
  { name: 'i8', type: { kind: 'byte' } },
  { name: 'i16', type: { kind: 'short' } },
  { name: 'i32', type: { kind: 'int' } },
  { name: 'i64', type: { kind: 'long' } },
  { name: 'f32', type: { kind: 'float' } },
  { name: 'f64', type: { kind: 'double' } },
  { name: 's', type: { kind: 'string' } },
  { name: 'bin', type: { kind: 'binary' } },
  { name: 'dec', type: { kind: 'decimal', precision: 38, scale: 10 } },
  { name: 'dec2', type: { kind: 'decimal', precision: 10, scale: 2 } },
  { name: 'd', type: { kind: 'date' } },
  { name: 'ts', type: { kind: 'timestamp' } },
];

/** Rows covering nulls, empty strings, unicode and each type's extremes. */
const ROWS: unknown[][] = [
  [true, -128, -32768, -2147483648, -(2n ** 63n), -3.4028234663852886e38, -Number.MAX_VALUE, '', Buffer.alloc(0), '-9999999999999999999999999999.9999999999', '-99999999.99', '0001-01-01', '1677-09-22 00:00:00'],
  [false, 127, 32767, 2147483647, 2n ** 63n - 1n, 3.4028234663852886e38, Number.MAX_VALUE, 'ü日本語😀', Buffer.from([0, 255, 1]), '9999999999999999999999999999.9999999999', '99999999.99', '9999-12-31', '2262-04-11 23:47:16.854775'],
  [null, null, null, null, null, null, null, null, null, null, null, null, null],
  [true, 0, 0, 0, 0, 0, -0, 'plain', Buffer.from('x'), '0', '0.5', '1970-01-01', '1970-01-01 00:00:00'],
  [false, -1, -1, -1, -1, 1.5, Number.MIN_VALUE, 'a\u0000b\n"quoted"', Buffer.from('ff00', 'hex'), '-0.0000000001', '-0.01', '1969-12-31', '1969-12-31 23:59:58.999999999'],
  [true, 1, 1, 1, 9007199254740993n, Infinity, -Infinity, ' spaces ', null, '12.3', '1', '2024-02-29', '1969-12-31 23:59:58.001'],
  [null, 5, null, 7, null, NaN, NaN, 'x'.repeat(5000), Buffer.alloc(1000, 7), null, '3.14', null, '2015-01-01 00:00:00.000001'],
  [true, 100, 1000, 100000, 1234567890123, -1.25, 1e-300, 'ü', Buffer.from('abc'), '1', null, '2000-01-01', '1900-01-01 12:34:56.1'],
];

function expectedColumns(rows: unknown[][]): unknown[][] {
  return FIELDS.map((f, c) => rows.map((r) => canon(f.type.kind, r[c], f.type.scale)));
}

describe('tx writes, pyarrow reads', () => {
  for (const compression of ['none', 'zlib', 'snappy'] as OrcCompression[]) {
    it(`every type, nulls, empty strings, unicode and extremes (${compression})`, async () => {
      const file = path.join(dir, `types-${compression}.orc`);
      await writeOrcFile(file, FIELDS, ROWS, { compression });
      const got = await pyRead(file);
      expect(got.rows).toBe(ROWS.length);
      expect(got.compression.toUpperCase()).toBe(compression === 'none' ? 'UNCOMPRESSED' : compression.toUpperCase());
      expect(got.schema.map((s) => s[0])).toEqual(FIELDS.map((f) => f.name));
      expect(got.schema.map((s) => s[1])).toEqual(['bool', 'int8', 'int16', 'int32', 'int64', 'float', 'double', 'string', 'binary', 'decimal128(38, 10)', 'decimal128(10, 2)', 'date32[day]', 'timestamp[ns]']);
      expect(got.columns).toEqual(expectedColumns(ROWS));
      // And tx reads its own file back the same.
      const mine = await readOrcFile(file);
      expect(FIELDS.map((f) => mine.map((r) => canon(f.type.kind, r[f.name], f.type.scale)))).toEqual(expectedColumns(ROWS));
    });
  }

  it('odd column names (quotes, spaces, unicode, __proto__) survive both readers', async () => {
    const file = path.join(dir, 'names.orc');
    const fields: OrcField[] = ['__proto__', 'a b "c"', 'ü', 'constructor'].map((name) => ({ name, type: { kind: 'int' } }));
    await writeOrcFile(file, fields, [[1, 2, 3, 4], [null, 6, null, 8]]);
    const got = await pyRead(file);
    expect(got.schema.map((x) => x[0])).toEqual(['__proto__', 'a b "c"', 'ü', 'constructor']);
    expect(got.columns).toEqual([['i:1', null], ['i:2', 'i:6'], ['i:3', null], ['i:4', 'i:8']]);
    const mine = await readOrcFile(file);
    expect(mine.map((r) => [r['__proto__'], r['a b "c"'], r['ü'], r['constructor']])).toEqual([[1, 2, 3, 4], [null, 6, null, 8]]);
  });

  it('0 rows and 1 row', async () => {
    const empty = path.join(dir, 'empty.orc');
    await writeOrcFile(empty, FIELDS, [], { compression: 'snappy' });
    const e = await pyRead(empty);
    expect(e.rows).toBe(0);
    expect(e.columns).toEqual(FIELDS.map(() => []));
    expect(await readOrcFile(empty)).toEqual([]);
    const one = path.join(dir, 'one.orc');
    await writeOrcFile(one, FIELDS, [ROWS[1]!], { compression: 'zlib' });
    const o = await pyRead(one);
    expect(o.columns).toEqual(expectedColumns([ROWS[1]!]));
  });

  it('several stripes of report-shaped rows, repeated values (dictionary), sequences (delta)', async () => {
    const fields: OrcField[] = [
      { name: 'presc_id', type: { kind: 'long' } },
      { name: 'presc_fullname', type: { kind: 'string' } },
      { name: 'presc_state', type: { kind: 'string' } },
      { name: 'years_of_exp', type: { kind: 'int' } },
      { name: 'trx_cnt', type: { kind: 'long' } },
      { name: 'total_drug_cost', type: { kind: 'double' } },
      { name: 'amount', type: { kind: 'decimal', precision: 12, scale: 2 } },
      { name: 'day', type: { kind: 'date' } },
      { name: 'at', type: { kind: 'timestamp' } },
    ];
    const states = ['CA', 'NY', 'TX', 'FL', 'WA', 'OR'];
    const rows: unknown[][] = [];
    for (let i = 0; i < 60_000; i++) {
      rows.push([
        1_000_000_000 + i,
        i % 7 === 0 ? null : `name ${(i * 7919) % 100_003}`,
        states[i % states.length],
        20 + (i % 31),
        i % 11 === 0 ? null : (i * 37) % 1000,
        (i * 1.37) % 5000,
        `${(i * 13) % 100000}.${String(i % 100).padStart(2, '0')}`,
        `20${String(10 + (i % 15))}-0${1 + (i % 9)}-1${i % 10}`,
        `2024-01-01 00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}`,
      ]);
    }
    for (const compression of ['zlib', 'snappy'] as OrcCompression[]) {
      const file = path.join(dir, `stripes-${compression}.orc`);
      const res = await writeOrcFile(file, fields, rows, { compression, stripeSizeBytes: 256 * 1024 });
      expect(res.stripes).toBeGreaterThan(2);
      const got = await pyRead(file);
      expect(got.stripes).toBe(res.stripes);
      const exp = fields.map((f, c) => rows.map((r) => canon(f.type.kind, r[c], f.type.scale)));
      for (let c = 0; c < fields.length; c++) expect(got.columns[c], fields[c]!.name).toEqual(exp[c]);
      const info = await openOrcFile(file);
      expect(info.stripes.length).toBe(res.stripes);
      const mine = await readOrcFile(file);
      for (let c = 0; c < fields.length; c++) expect(mine.map((r) => canon(fields[c]!.type.kind, r[fields[c]!.name], fields[c]!.type.scale))).toEqual(exp[c]);
    }
  });
});

describe('pyarrow writes, tx reads', () => {
  const n = 30_000;
  const ints: (string | null)[] = [];
  const patched: string[] = [];
  const strs: (string | null)[] = [];
  const lowCard: string[] = [];
  const dbl: (number | null)[] = [];
  const decs: (string | null)[] = [];
  const dates: (string | null)[] = [];
  const tss: (string | null)[] = [];
  const lists: (number[] | null)[] = [];
  const maps: (Record<string, number> | null)[] = [];
  const structs: ({ a: number; b: string } | null)[] = [];
  const bins: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    ints.push(i % 13 === 0 ? null : String(BigInt(i) * (i % 2 ? 1n : -1n) * 1_000_003n));
    patched.push(String(i % 500 === 0 ? 1_000_000_000_000 + i : i % 100));
    strs.push(i % 17 === 0 ? null : i % 5 === 0 ? '' : `s${i}-ü`);
    lowCard.push(['alpha', 'beta', 'gamma', '日本'][i % 4]!);
    dbl.push(i % 19 === 0 ? null : i / 7);
    decs.push(i % 23 === 0 ? null : `${i % 2 ? '-' : ''}${i}.${String(i % 1000).padStart(3, '0')}`);
    dates.push(i % 29 === 0 ? null : new Date(Date.UTC(1960, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
    tss.push(i % 31 === 0 ? null : String(BigInt(-100_000 + i * 1000) * 1_000_000_000n + BigInt((i * 123_457) % 1_000_000_000)));
    lists.push(i % 37 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => i + k));
    maps.push(i % 41 === 0 ? null : Object.fromEntries(Array.from({ length: i % 3 }, (_, k) => [`k${k}`, i * k])));
    structs.push(i % 43 === 0 ? null : { a: i, b: `b${i % 10}` });
    bins.push(i % 47 === 0 ? null : Buffer.from(`bin${i}`).toString('hex'));
  }
  const columns = [
    { name: 'i64', type: 'int64', values: ints },
    { name: 'patched', type: 'int64', values: patched },
    { name: 's', type: 'string', values: strs },
    { name: 'low', type: 'string', values: lowCard },
    { name: 'f64', type: 'float64', values: dbl },
    { name: 'dec', type: 'decimal(20,3)', values: decs },
    { name: 'd', type: 'date', values: dates },
    { name: 'ts', type: 'timestamp_ns', values: tss },
    { name: 'l', type: 'list_int64', values: lists },
    { name: 'm', type: 'map_string_int64', values: maps },
    { name: 'st', type: 'struct', values: structs },
    { name: 'bin', type: 'binary', values: bins },
  ];

  for (const compression of ['zlib', 'snappy']) {
    it(`${compression}, several stripes, dictionary strings, patched base, nested types`, async () => {
      const file = path.join(dir, `py-${compression}.orc`);
      const spec = path.join(dir, `py-${compression}.json`);
      fs.writeFileSync(spec, JSON.stringify({ path: file, compression, stripe_size: 64 * 1024, batch_size: 1000, dict: 0.5, columns }));
      await runPython(PY_WRITE, [spec]);
      const info = await openOrcFile(file);
      expect(info.compression).toBe(compression);
      expect(info.stripes.length).toBeGreaterThan(1);
      const rows = await readOrcFile(file);
      expect(rows.length).toBe(n);
      expect(rows.map((r) => (r.i64 === null ? null : String(r.i64)))).toEqual(ints);
      expect(rows.map((r) => String(r.patched))).toEqual(patched);
      expect(rows.map((r) => r.s)).toEqual(strs);
      expect(rows.map((r) => r.low)).toEqual(lowCard);
      expect(rows.map((r) => r.f64)).toEqual(dbl);
      expect(rows.map((r) => r.dec)).toEqual(decs);
      expect(rows.map((r) => r.d)).toEqual(dates);
      expect(rows.map((r) => (r.ts === null ? null : tsNanos(r.ts as string).slice(2)))).toEqual(tss);
      expect(rows.map((r) => (r.l === null ? null : (r.l as bigint[]).map(Number)))).toEqual(lists);
      expect(rows.map((r) => (r.m === null ? null : Object.fromEntries(Object.entries(r.m as object).map(([k, v]) => [k, Number(v)]))))).toEqual(maps);
      expect(rows.map((r) => (r.st === null ? null : { a: Number((r.st as { a: bigint }).a), b: (r.st as { b: string }).b }))).toEqual(structs);
      expect(rows.map((r) => (r.bin === null ? null : (r.bin as Buffer).toString('hex')))).toEqual(bins);
      // The read-ahead worker (numeric columns on a worker thread) gives pyarrow's file the same
      // vectors as one thread.
      const vectors = async (threads: number): Promise<unknown[]> => {
        const out: unknown[] = [];
        for await (const b of readOrcColumnBatches(file, { batchSize: 3000, threads })) out.push(b);
        return out;
      };
      const started = readAheadCounts.started;
      const two = await vectors(1);
      expect(readAheadCounts.started).toBe(started + 1);
      expect(readAheadCounts.open).toBe(0);
      expect(two).toEqual(await vectors(0));
    });
  }
});
