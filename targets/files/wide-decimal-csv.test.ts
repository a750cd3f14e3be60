/**
 * Typed CSV with a decimal wider than 18 digits (`decimal`, `numeric`: DECIMAL(38,9)): the fast
 * read (those columns as text, cast through DECIMAL(18, s)) runs only when its check finds every
 * value plain, and then gives the very rows and rejects of DuckDB's own typed read. Real DuckDB.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { duckdbDialect } from '../duckdb/duckdb-dialect.js';
import { createDuckdbTarget } from '../duckdb/index.js';
import type { LoadColumn, TargetSession } from '../target.js';
import { chooseCsvRead, typedCsvRead, wideDecimal, type TypedRead } from './duckdb-file-readers.js';

let dir: string;
let db: DuckDBInstance;
let c: DuckDBConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tx-wide-dec-'));
  db = await DuckDBInstance.create(':memory:');
  c = await db.connect();
});
afterAll(() => {
  c.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const text = (v: unknown): unknown => (v === null || v === undefined ? null : String(v));
const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, text(v)])));
const count = async (sql: string) => Number((await c.runAndReadAll(sql)).getRowObjectsJS()[0]!.n);

/** What a typed read lands: its rows as text (in file order) and its rejects, its reject tables dropped after. */
async function run(read: TypedRead) {
  await c.run(`create or replace table landed as ${read.typed}`);
  const landed = await rows('select * from landed order by all');
  const types = (await rows('describe landed')).map((r) => r.column_type);
  const rejects = await rows(`select * from (${read.rejects}) order by file, line, reason`);
  for (const sql of read.cleanup) await c.run(sql);
  return { landed, types, rejects };
}

let n = 0;
function csvFile(body: string): string {
  const f = join(dir, `f${n++}.csv`);
  writeFileSync(f, body);
  return f;
}
const load = (f: string) => ({ files: [f], uniqueId: 'source.t.f', options: {} });
const typeName = (t: string) => duckdbDialect.typeName(t);

describe('wideDecimal', () => {
  it('takes DECIMAL and NUMERIC wider than 18 digits whose scale leaves a digit before the point', () => {
    expect(wideDecimal('DECIMAL(38,9)')).toEqual({ precision: 38, scale: 9 });
    expect(wideDecimal('numeric(20, 4)')).toEqual({ precision: 20, scale: 4 });
    expect(wideDecimal('DECIMAL(19,0)')).toEqual({ precision: 19, scale: 0 });
    for (const t of ['DECIMAL(18,2)', 'DECIMAL(38,18)', 'DECIMAL(38,30)', 'DECIMAL(40,2)', 'DOUBLE', 'VARCHAR', 'DECIMAL']) expect(wideDecimal(t)).toBeUndefined();
    expect(typeName('decimal')).toBe('DECIMAL(38,9)');
  });
});

describe('typed CSV with a wide decimal: the fast read where it is safe, the exact read elsewhere', () => {
  const cols: LoadColumn[] = [
    { name: 'id', type: 'bigint' },
    { name: 'amount', type: 'decimal' },
  ];
  const edge = [
    '0', '-0', '1', '-1', '12.5', '0012.50', '7.000000000', '123456789.123456789', '-123456789.123456789', '999999999', '1234567890.5',
    '1.0000000001', '1.00000000049', '1e3', '1E-2', ' 12.5', '12.5 ', '+12.5', '.5', '5.', '-.5', '', '""', '"12.5"', 'abc', '1,5', '--1', '1-',
    '99999999999999999999999999999.123456789', '-99999999999999999999999999999.999999999', '100000000000000000000000000000', '1' + '0'.repeat(40),
    '\uff11\uff12', '\u0663', 'NaN', 'inf', '0x10', '1_000',
  ];
  // random plain and not-so-plain numbers: 1 to 12 digits before the point, 0 to 11 after
  let seed = 17;
  const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), (seed >>> 8) % k);
  const digits = (k: number) => Array.from({ length: k }, () => String(rnd(10))).join('');
  const random = Array.from({ length: 120 }, () => {
    const frac = rnd(12);
    return `${rnd(4) === 0 ? '-' : ''}${digits(1 + rnd(12))}${frac ? `.${digits(frac)}` : ''}`;
  });

  it('each value either fails the check or lands exactly as the exact read lands it, with the same rejects', async () => {
    let fast = 0;
    const refused: string[] = [];
    for (const v of [...edge, ...random]) {
      const f = csvFile(`id,amount\n1,${v}\n2,7.25\nx,3\n`);
      const read = typedCsvRead(load(f), cols, typeName);
      expect(read.fast, 'a wide decimal column gives a fast read').toBeDefined();
      const exact = await run(read);
      const chosen = await chooseCsvRead(read, count);
      if (chosen === read.fast!.read) {
        fast++;
        expect(await run(chosen), `value ${JSON.stringify(v)}`).toEqual(exact);
      } else {
        refused.push(v);
        expect(chosen.typed).toBe(read.typed);
      }
    }
    // the plain ones take the fast read; the rest (an exponent, spaces, a sign, too many digits, not a number) the exact one
    expect(refused).toEqual(expect.arrayContaining(['1234567890.5', '1.0000000001', '1e3', ' 12.5', '+12.5', '.5', '5.', 'abc', '1' + '0'.repeat(40), '99999999999999999999999999999.123456789']));
    for (const v of ['0', '-0', '12.5', '0012.50', '123456789.123456789', '-123456789.123456789', '', '""', '"12.5"']) expect(refused).not.toContain(v);
    expect(fast).toBeGreaterThan(40);
  });

  it('with other columns rejecting rows and a varchar(n) limit, the fast read lands the same rows, types and rejects', async () => {
    const more: LoadColumn[] = [
      { name: 'id', type: 'bigint' },
      { name: 'code', type: 'varchar(3)' },
      { name: 'Amount', type: 'numeric(20,4)' },
      { name: 'cost', type: 'decimal' },
    ];
    const f = csvFile('id,code,Amount,cost\n1,abc,12.5,3\n2,abcd,1.25,4.5\nx,ab,3,1\n4,a,,\n5,b,7\n6,c,0001.0001,-12.000000001\n');
    const read = typedCsvRead(load(f), more, typeName);
    const exact = await run(read);
    const chosen = await chooseCsvRead(read, count);
    expect(chosen).toBe(read.fast!.read);
    const got = await run(chosen);
    expect(got).toEqual(exact);
    expect(got.types).toEqual(['BIGINT', 'VARCHAR', 'DECIMAL(20,4)', 'DECIMAL(38,9)']);
    expect(got.landed.map((r) => r.id)).toEqual(['1', '4', '6']);
    expect(got.rejects.map((r) => [r.line, r.error_type])).toEqual([
      ['4', 'CAST'],
      ['6', 'MISSING COLUMNS'],
      [null, 'LENGTH'],
    ]);
  });

  it('bytes beyond ASCII in a wide column send the load through the exact read; elsewhere they do not, and both reads agree', async () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const more: LoadColumn[] = [
      { name: 'id', type: 'bigint' },
      { name: 'amount', type: 'decimal' },
      { name: 'name', type: 'varchar' },
    ];
    const files = {
      // not UTF-8 in the decimal column: DuckDB's typed read calls it a failed cast; read as text it would be an encoding error
      notUtf8: bytes('id,amount,name\n1,12.5,a\n2,', [0xff, 0xfe], ',b\n3,7,c\n'),
      // UTF-8 text in the decimal column
      accented: bytes('id,amount,name\n1,12.5,a\n2,12\u00e9,b\n'),
      // not UTF-8 in a text column, the decimals plain: the fast read, the same rows and rejects
      textColumn: bytes('id,amount,name\n1,12.5,a\n2,3,', [0xc3, 0x28], '\n3,4.25,\u00e9t\u00e9\n'),
    };
    const chosen: Record<string, boolean> = {};
    for (const [name, content] of Object.entries(files)) {
      const f = join(dir, `${name}.csv`);
      writeFileSync(f, content);
      const read = typedCsvRead(load(f), more, typeName);
      const exact = await run(read);
      const pick = await chooseCsvRead(read, count);
      chosen[name] = pick === read.fast!.read;
      if (chosen[name]) expect(await run(pick)).toEqual(exact);
    }
    expect(chosen).toEqual({ notUtf8: false, accented: false, textColumn: true });
    // a delimiter beyond ASCII: no fast read (the scan reads the bytes as Latin-1)
    const semi = csvFile('id\u00a7amount\n1\u00a712.5\n');
    expect(typedCsvRead({ files: [semi], uniqueId: 's', options: { delimiter: '\u00a7' } }, cols, typeName).fast).toBeUndefined();
  });

  it('a file without a wide decimal has no fast read', () => {
    const read = typedCsvRead(load(csvFile('id,v\n1,2\n')), [{ name: 'id', type: 'bigint' }, { name: 'v', type: 'decimal(18,2)' }], typeName);
    expect(read.fast).toBeUndefined();
  });
});

describe('DuckDB target: a typed CSV source with a decimal column', () => {
  let session: TargetSession;
  const statements: string[] = [];
  beforeEach(async () => {
    statements.length = 0;
    session = await createDuckdbTarget('t', { type: 'duckdb', path: join(dir, `db${n++}.duckdb`) }, dir).open({ log: { statement: (sql: string) => void statements.push(sql), info: () => undefined, warn: () => undefined }, threads: 2 });
    await session.ensureSchema('main');
  });
  afterEach(async () => session.close());
  const rel = (identifier: string) => ({ schema: 'main', identifier });
  const source = (f: string) => ({
    uniqueId: 'source.t.f',
    relation: rel('f'),
    files: [f],
    format: 'csv' as const,
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'amount', type: 'decimal' },
    ],
    options: {},
    rejectsRelation: rel('f__rejects'),
    maxRejectedRows: 5,
  });

  it('loads plain values through the fast read, exact to the last digit', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${i},${i % 2 ? '-' : ''}${i}.${String(i % 1000).padStart(3, '0')}000123`);
    const r = await session.loadFileSource(source(csvFile(`id,amount\n${lines.join('\n')}\n`)));
    expect(r.rowsLoaded).toBe(5000);
    expect(r.rowsRejected).toBe(0);
    const [row] = await session.connection.query("select any_value(typeof(amount)) as t, cast(sum(amount) as varchar) as s, cast(max(amount) as varchar) as m from main.f");
    // the sum computed here in integer nanos, independently of DuckDB
    let nanos = 0n;
    for (let i = 0; i < 5000; i++) nanos += (i % 2 ? -1n : 1n) * (BigInt(i) * 1_000_000_000n + BigInt(i % 1000) * 1_000_000n + 123n);
    const abs = nanos < 0n ? -nanos : nanos;
    const sum = `${nanos < 0n ? '-' : ''}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
    expect(row).toEqual({ t: 'DECIMAL(38,9)', s: sum, m: '4998.998000123' });
    expect(statements.some((s) => s.includes('regexp_full_match'))).toBe(true);
    expect(statements.some((s) => /cast\(cast\("amount" as DECIMAL\(18,9\)\) as DECIMAL\(38,9\)\)/.test(s))).toBe(true);
  });

  it('a value the fast read cannot take sends the load through the exact read: its row rejected with its line', async () => {
    const r = await session.loadFileSource(source(csvFile('id,amount\n1,1.5\n2,1e40\n3,2.25\n')));
    expect(r.rowsLoaded).toBe(2);
    expect(r.rowsRejected).toBe(1);
    const rejects = await session.connection.query('select line, column_name, error_type from main.f__rejects');
    expect(rejects.map((x) => [Number(x.line), x.column_name, x.error_type])).toEqual([[3, 'amount', 'CAST']]);
    expect(statements.some((s) => /cast\(cast\("amount"/.test(s))).toBe(false);
    const rowsNow = await session.connection.query('select cast(amount as varchar) as a from main.f order by id');
    expect(rowsNow.map((x) => x.a)).toEqual(['1.500000000', '2.250000000']);
  });
});
