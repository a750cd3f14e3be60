import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avro from 'avsc';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckdbTarget } from '../duckdb/index.js';
import type { FileSourceLoad, Relation, Row, SeedLoad, TargetSession } from '../target.js';
import { pgFixture, recordingLog, rel, type PgFixture } from './postgres-test-support.js';

let f: PgFixture;
let duck: TargetSession;
let dir: string;
beforeAll(async () => {
  f = await pgFixture('tx_pg_load');
  dir = mkdtempSync(join(tmpdir(), 'tx-pg-loader-'));
  duck = await createDuckdbTarget('duck', { type: 'duckdb', path: ':memory:', schema: 'main' }, dir).open({ log: recordingLog(), threads: 2 });
});
afterAll(async () => {
  await duck?.close();
  await f?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Rows as comparable text, sorted: bigint and Date made plain, so a multiset compares across targets. The parts of
 * a rejected line's aggregated `reason`, `column_name` and `error_type` are sorted too: the DuckDB target
 * aggregates them without an order.
 */
function canon(rows: Row[]): string[] {
  const parts = (v: unknown, sep: string) => (typeof v === 'string' ? v.split(sep).sort().join(sep) : v);
  return rows
    .map((r) => ({ ...r, ...('reason' in r ? { reason: parts(r.reason, '; '), column_name: parts(r.column_name, ', '), error_type: parts(r.error_type, ', ') } : {}) }))
    .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Date ? `D${v.toISOString()}` : v)))
    .sort();
}
/** A load result with each sample reason's parts sorted (see canon). */
const canonResult = <T extends { sampleRejects?: { reason: string }[] }>(r: T): T => ({
  ...r,
  sampleRejects: r.sampleRejects?.map((x) => ({ ...x, reason: x.reason.split('; ').sort().join('; ') })),
});
async function pgRows(r: Relation, order = ''): Promise<Row[]> {
  return f.session.connection.query(`select * from ${f.session.dialect.relationName(r)} ${order}`);
}
async function duckRows(r: Relation, order = ''): Promise<Row[]> {
  return duck.connection.query(`select * from ${duck.dialect.relationName(r)} ${order}`);
}
const REJECT_COLS = 'source, file, line, column_name, error_type, reason, raw_line';
async function pgRejects(r: Relation): Promise<Row[]> {
  return f.session.connection.query(`select ${REJECT_COLS} from ${f.session.dialect.relationName(r)} order by file, line, column_name`);
}
async function duckRejects(r: Relation): Promise<Row[]> {
  return duck.connection.query(`select ${REJECT_COLS} from ${duck.dialect.relationName(r)} order by file, line, column_name`);
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function duckSql(sql: string): Promise<void> {
  const i = await DuckDBInstance.create(':memory:');
  const c = await i.connect();
  await c.run(sql);
  c.closeSync();
  i.closeSync();
}

const TRICKY = [
  'id,name,amount,day,flag,note',
  '1,plain,1.5,2021-01-02,true,',
  '2,"comma, inside",2.25,2021-02-03,false,""',
  '3,"quote ""inside""",3,2021-03-04,true,"multi',
  'line"',
  '4,ünïcødé ✓,-4.125,2021-04-05,,back\\slash',
  '5,  spaces  ,0,2021-05-06,false,tab\there',
].join('\n');

describe('seeds', () => {
  it('land with declared and inferred types and exactly the rows DuckDB gets', async () => {
    const path = write('tricky.csv', `${TRICKY}\n`);
    const seed = (relation: Relation): SeedLoad => ({
      uniqueId: 'seed.t.tricky',
      relation,
      path,
      delimiter: ',',
      quote: '"',
      header: true,
      columnTypes: { id: 'bigint', amount: 'decimal' },
    });
    await f.session.ensureSchema('seeds');
    const r = await f.session.loadSeed(seed(rel('tricky', 'seeds')));
    const d = await duck.loadSeed(seed(rel('tricky', 'main')));
    expect(r).toEqual(d);
    expect(r.rowsLoaded).toBe(5);
    expect(await f.session.columns(rel('tricky', 'seeds'))).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'TEXT' },
      { name: 'amount', type: 'NUMERIC' },
      { name: 'day', type: 'DATE' },
      { name: 'flag', type: 'BOOLEAN' },
      { name: 'note', type: 'TEXT' },
    ]);
    expect(canon(await pgRows(rel('tricky', 'seeds')))).toEqual(canon(await duckRows(rel('tricky', 'main'))));
    expect(await f.rows(`select name, note from seeds.tricky where id in (2, 3, 4, 5) order by id`)).toEqual([
      { name: 'comma, inside', note: null }, // DuckDB reads a quoted "" as NULL (allow_quoted_nulls)
      { name: 'quote "inside"', note: 'multi\nline' },
      { name: 'ünïcødé ✓', note: 'back\\slash' },
      { name: '  spaces  ', note: 'tab\there' },
    ]);
  });

  it('a reload keeps views on the seed working and is atomic when the file is bad', async () => {
    const path = write('small.csv', 'a,b\n1,x\n2,y\n');
    const s: SeedLoad = { uniqueId: 'seed.t.small', relation: rel('small', 'seeds'), path, delimiter: ',', quote: '"', header: true, columnTypes: { a: 'integer' } };
    await f.session.loadSeed(s);
    await f.admin.query(`create view seeds.small_view as select a from seeds.small`);
    write('small.csv', 'a,b\n1,x\n2,y\n3,z\n');
    await f.session.loadSeed(s);
    expect(await f.rows(`select count(*)::int as n from seeds.small_view`)).toEqual([{ n: 3 }]);
    // a value that does not fit the declared type fails the seed (as on DuckDB); the previous version stays
    write('small.csv', 'a,b\n1,x\nnope,y\n');
    await expect(f.session.loadSeed(s)).rejects.toThrow(/CSV Error on Line: 3\nOriginal Line: nope,y\nError when converting column "a"/);
    expect(await f.rows(`select count(*)::int as n from seeds.small_view`)).toEqual([{ n: 3 }]);
    expect(await f.rows(`select count(*)::int as n from pg_class where relname like 'small__tx_%'`)).toEqual([{ n: 0 }]);
  });
});

describe('file sources', () => {
  const COLUMNS = [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'day', type: 'date' },
  ];
  const csvLoad = (files: string[], relation: Relation, rejects: Relation, max?: number): FileSourceLoad => ({
    uniqueId: 'source.t.vendor.items',
    relation,
    files,
    format: 'csv',
    columns: COLUMNS,
    options: { header: true },
    rejectsRelation: rejects,
    maxRejectedRows: max,
  });

  it('CSV: COPY-loads the rows that fit; rejected rows with file, line and reason exactly as on DuckDB', async () => {
    const a = write('items_a.csv', ['id,name,amount,day', '1,one,1.5,2021-01-01', 'x,bad id,2,2021-01-02', '3,three,3.25,2021-01-03', '4,four,lots,2021-01-04', ''].join('\n'));
    const b = write('items_b.csv', ['id,name,amount,day', '5,five,5,2021-13-45', '6,"six, quoted",6,2021-01-06', '7,too,many,fields,here', ''].join('\n'));
    await f.session.ensureSchema('src');
    const pr = await f.session.loadFileSource(csvLoad([a, b], rel('items', 'src'), rel('items_rejects', 'src'), 10));
    const dr = await duck.loadFileSource(csvLoad([a, b], rel('items', 'main'), rel('items_rejects', 'main'), 10));
    expect(canonResult(pr)).toEqual(canonResult(dr));
    expect(pr.rowsLoaded).toBe(3);
    expect(pr.rowsRejected).toBe(4); // one per bad line, with all of its reasons
    expect(canon(await pgRows(rel('items', 'src')))).toEqual(canon(await duckRows(rel('items', 'main'))));
    const rejects = await pgRejects(rel('items_rejects', 'src'));
    expect(canon(rejects)).toEqual(canon(await duckRejects(rel('items_rejects', 'main'))));
    expect(rejects.map((x) => [String(x.file).split('/').pop(), x.line])).toEqual([
      ['items_a.csv', 3n],
      ['items_a.csv', 5n],
      ['items_b.csv', 2n],
      ['items_b.csv', 4n],
    ]);
    expect(String(rejects[3]!.reason)).toMatch(/too many columns \(expected 4\)/);
    expect(String(rejects[0]!.reason)).toMatch(/Could not convert string "x" to 'INTEGER'/);
    expect(await f.session.columns(rel('items', 'src'))).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'TEXT' },
      { name: 'amount', type: 'DOUBLE PRECISION' },
      { name: 'day', type: 'DATE' },
    ]);
  });

  it('CSV with a `decimal` column (DECIMAL(38,9)): plain values through the fast read, others through the exact one, as on DuckDB', async () => {
    const cols = [
      { name: 'id', type: 'integer' },
      { name: 'amount', type: 'decimal' },
    ];
    const load = (file: string, relation: Relation, rejects: Relation): FileSourceLoad => ({ ...csvLoad([file], relation, rejects, 5), columns: cols });
    await f.session.ensureSchema('src');
    const plain = write('dec_plain.csv', ['id,amount', '1,12.5', '2,-0.000000001', '3,123456789.123456789', '4,', ''].join('\n'));
    const other = write('dec_other.csv', ['id,amount', '1,12.5', '2,1e40', '3,99999999999999999999999999999.123456789', ''].join('\n'));
    for (const [file, name] of [
      [plain, 'dec_plain'],
      [other, 'dec_other'],
    ] as const) {
      const pr = await f.session.loadFileSource(load(file, rel(name, 'src'), rel(`${name}_rejects`, 'src')));
      const dr = await duck.loadFileSource(load(file, rel(name, 'main'), rel(`${name}_rejects`, 'main')));
      expect(canonResult(pr)).toEqual(canonResult(dr));
      expect(canon(await pgRejects(rel(`${name}_rejects`, 'src')))).toEqual(canon(await duckRejects(rel(`${name}_rejects`, 'main'))));
    }
    const text = async (r: Relation) => (await f.session.connection.query(`select id, amount::text as a from ${f.session.dialect.relationName(r)} order by id`)).map((x) => [Number(x.id), x.a]);
    expect(await text(rel('dec_plain', 'src'))).toEqual([
      [1, '12.500000000'],
      [2, '-0.000000001'],
      [3, '123456789.123456789'],
      [4, null],
    ]);
    expect(await text(rel('dec_other', 'src'))).toEqual([
      [1, '12.500000000'],
      [3, '99999999999999999999999999999.123456789'],
    ]);
    expect((await pgRejects(rel('dec_other_rejects', 'src'))).map((x) => [x.line, x.column_name])).toEqual([[3n, 'amount']]);
  });

  it('CSV: over max_rejected_rows the load fails, the rejects are kept and the previous table stays', async () => {
    const good = write('limit.csv', 'id,name,amount,day\n1,a,1,2021-01-01\n');
    await f.session.loadFileSource(csvLoad([good], rel('limited', 'src'), rel('limited_rejects', 'src')));
    const bad = write('limit.csv', 'id,name,amount,day\n1,a,1,2021-01-01\n2,b,x,2021-01-02\n');
    await expect(f.session.loadFileSource(csvLoad([bad], rel('limited', 'src'), rel('limited_rejects', 'src')))).rejects.toThrow(
      /1 of 2 rows of source\.t\.vendor\.items were rejected \(max_rejected_rows: 0\); they are in "src"\."limited_rejects"\n {4}limit\.csv:3: /,
    );
    expect(await f.rows(`select id from src.limited`)).toEqual([{ id: 1 }]);
    expect(await f.rows(`select line::int, column_name from src.limited_rejects`)).toEqual([{ line: 3, column_name: 'amount' }]);
  });

  it('CSV: a header that does not match the declared columns is refused', async () => {
    const p = write('header.csv', 'id,nom,amount,day\n1,a,1,2021-01-01\n');
    await expect(f.session.loadFileSource(csvLoad([p], rel('hdr', 'src'), rel('hdr_rejects', 'src')))).rejects.toThrow(
      /header\.csv:1: the header does not match the declared columns .*missing columns: name; unexpected columns: nom/,
    );
  });

  it('parquet: values that do not fit their declared type are rejected with file, row and reason, as on DuckDB', async () => {
    const p = join(dir, 'cities.parquet');
    await duckSql(
      `copy (select * from (values (1, 'a', '10', 1.5::double), (2, 'b', 'ten', 2.5), (3, null, '30', null), (4, 'd', '99999999999', 4.0)) v(id, city, population, lat))
       to '${p}' (format parquet)`,
    );
    const load = (relation: Relation, rejects: Relation): FileSourceLoad => ({
      uniqueId: 'source.t.vendor.cities',
      relation,
      files: [p],
      format: 'parquet',
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'city', type: 'string' },
        { name: 'population', type: 'integer' },
        { name: 'lat', type: 'double' },
      ],
      options: {},
      rejectsRelation: rejects,
      maxRejectedRows: 5,
    });
    const pr = await f.session.loadFileSource(load(rel('cities', 'src'), rel('cities_rejects', 'src')));
    const dr = await duck.loadFileSource(load(rel('cities', 'main'), rel('cities_rejects', 'main')));
    expect(pr).toEqual(dr);
    expect(pr).toMatchObject({ rowsLoaded: 2, rowsRejected: 2 });
    expect(canon(await pgRows(rel('cities', 'src')))).toEqual(canon(await duckRows(rel('cities', 'main'))));
    const rejects = await pgRejects(rel('cities_rejects', 'src'));
    expect(canon(rejects)).toEqual(canon(await duckRejects(rel('cities_rejects', 'main'))));
    expect(rejects.map((x) => [x.line, x.reason])).toEqual([
      [2n, 'population: value does not fit INTEGER: ten'],
      [4n, 'population: value does not fit INTEGER: 99999999999'],
    ]);
  });

  it('JSON with declared columns, and an undeclared parquet source with nested and binary columns', async () => {
    const j = write('events.json', ['{"id": 1, "kind": "a", "at": "2021-01-01 10:00:00"}', '{"id": "two", "kind": "b", "at": "2021-01-02 11:00:00"}', ''].join('\n'));
    const jl = (relation: Relation, rejects: Relation): FileSourceLoad => ({
      uniqueId: 'source.t.vendor.events',
      relation,
      files: [j],
      format: 'json',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'kind', type: 'string' },
        { name: 'at', type: 'timestamp' },
      ],
      options: {},
      rejectsRelation: rejects,
      maxRejectedRows: 1,
    });
    const pr = await f.session.loadFileSource(jl(rel('events', 'src'), rel('events_rejects', 'src')));
    expect(pr).toEqual(await duck.loadFileSource(jl(rel('events', 'main'), rel('events_rejects', 'main'))));
    expect(await pgRows(rel('events', 'src'))).toEqual([{ id: 1, kind: 'a', at: new Date('2021-01-01T10:00:00Z') }]);

    const p = join(dir, 'nested.parquet');
    await duckSql(`copy (select 1 as id, [1, 2] as list, {'k': 'v'} as rec, 'ab'::blob as bin, 12345678901234567890::decimal(38,0) as huge, '' as empty, null::varchar as nul, uuid '00000000-0000-0000-0000-000000000001' as u) to '${p}' (format parquet)`);
    const r = await f.session.loadFileSource({ uniqueId: 'source.t.vendor.nested', relation: rel('nested', 'src'), files: [p], format: 'parquet', options: {}, rejectsRelation: rel('nested_rejects', 'src') });
    expect(r).toEqual({ rowsLoaded: 1, rowsRejected: 0 });
    expect(await f.rows(`select id, list, rec, encode(bin, 'hex') as bin, huge::text, u::text, empty, nul from src.nested`)).toEqual([
      { id: 1, list: [1, 2], rec: { k: 'v' }, bin: '6162', huge: '12345678901234567890', u: '00000000-0000-0000-0000-000000000001', empty: '', nul: null },
    ]);
  });

  it('Avro, declared and undeclared, lands as on DuckDB', async () => {
    const p = join(dir, 'people.avro');
    const schema = { type: 'record', name: 'P', fields: [{ name: 'id', type: 'long' }, { name: 'name', type: ['null', 'string'] }, { name: 'score', type: 'string' }] };
    const enc = new avro.streams.BlockEncoder(schema as avro.Schema, { codec: 'deflate' });
    await pipeline(Readable.from([{ id: 1, name: 'ann', score: '1.5' }, { id: 2, name: null, score: 'n/a' }, { id: 3, name: 'cy', score: '3' }], { objectMode: true }), enc, createWriteStream(p));
    const load = (relation: Relation, rejects: Relation, declared: boolean): FileSourceLoad => ({
      uniqueId: 'source.t.vendor.people',
      relation,
      files: [p],
      format: 'avro',
      columns: declared ? [{ name: 'id', type: 'bigint' }, { name: 'name', type: 'string' }, { name: 'score', type: 'double' }] : undefined,
      options: {},
      rejectsRelation: rejects,
      maxRejectedRows: 1,
    });
    for (const declared of [true, false]) {
      const pr = await f.session.loadFileSource(load(rel('people', 'src'), rel('people_rejects', 'src'), declared));
      expect(pr).toEqual(await duck.loadFileSource(load(rel('people', 'main'), rel('people_rejects', 'main'), declared)));
      expect(canon(await pgRows(rel('people', 'src')))).toEqual(canon(await duckRows(rel('people', 'main'))));
      expect(canon(await pgRejects(rel('people_rejects', 'src')))).toEqual(canon(await duckRejects(rel('people_rejects', 'main'))));
    }
    expect((await pgRejects(rel('people_rejects', 'src'))).length).toBe(0); // undeclared: the Avro types, all fit
  });

  it('a binary file posing as CSV is refused with the DuckDB target’s words', async () => {
    const p = join(dir, 'posing.csv');
    await duckSql(`copy (select 1 as id) to '${p}' (format parquet)`);
    await expect(f.session.loadFileSource(csvLoad([p], rel('posing', 'src'), rel('posing_rejects', 'src')))).rejects.toThrow(/posing\.csv: this is not a CSV file \(it is a Parquet file\)/);
  });

  it('a file that cannot be read fails clearly, with nothing left behind', async () => {
    await expect(
      f.session.loadFileSource({ uniqueId: 'source.t.vendor.gone', relation: rel('gone', 'src'), files: [join(dir, 'missing.parquet')], format: 'parquet', options: {}, rejectsRelation: rel('gone_rejects', 'src') }),
    ).rejects.toThrow(/cannot read parquet source .*missing\.parquet/);
    expect(await f.session.relationExists(rel('gone', 'src'))).toBe(false);
  });

  it('a value PostgreSQL refuses mid-COPY aborts the load cleanly (no hang), the previous table stays', async () => {
    const rows = ['id,day'];
    for (let i = 0; i < 200_000; i++) rows.push(`${i},2021-01-01`);
    rows.push('200000,5874898-01-01'); // a date DuckDB holds and PostgreSQL does not (its last year is 5874897)
    const p = write('far.csv', `${rows.join('\n')}\n`);
    const load = (type: string): FileSourceLoad => ({
      uniqueId: 'source.t.vendor.days',
      relation: rel('days', 'src'),
      files: [p],
      format: 'csv',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'day', type },
      ],
      options: { header: true },
      rejectsRelation: rel('days_rejects', 'src'),
    });
    expect((await f.session.loadFileSource(load('text'))).rowsLoaded).toBe(200_001);
    await expect(f.session.loadFileSource(load('date'))).rejects.toThrow(/date out of range/);
    expect(await f.rows(`select count(*)::int as n from src.days`)).toEqual([{ n: 200_001 }]);
    // and the session is still usable
    expect(await f.session.connection.query('select 1 as x')).toEqual([{ x: 1 }]);
  });

  it('a value longer than its varchar(n) is a rejected row, on PostgreSQL as on DuckDB (CSV and parquet)', async () => {
    const csv = write('codes.csv', 'id,code\n1,abc\n2,abcdef\n3,\n4,äöü\n');
    const pq = join(dir, 'codes.parquet');
    await duckSql(`copy (select * from (values (1, 'abc'), (2, 'abcdef'), (3, null), (4, 'äöü')) v(id, code)) to '${pq}' (format parquet)`);
    for (const [file, format] of [[csv, 'csv'], [pq, 'parquet']] as const) {
      const load = (relation: Relation, rejects: Relation): FileSourceLoad => ({
        uniqueId: 'source.t.vendor.codes',
        relation,
        files: [file],
        format,
        columns: [
          { name: 'id', type: 'integer' },
          { name: 'code', type: 'varchar(3)' },
        ],
        options: { header: true },
        rejectsRelation: rejects,
        maxRejectedRows: 1,
      });
      const pr = await f.session.loadFileSource(load(rel(`codes_${format}`, 'src'), rel(`codes_${format}_rejects`, 'src')));
      const dr = await duck.loadFileSource(load(rel(`codes_${format}`, 'main'), rel(`codes_${format}_rejects`, 'main')));
      expect(pr).toEqual(dr);
      expect(pr).toMatchObject({ rowsLoaded: 3, rowsRejected: 1 });
      expect(pr.sampleRejects?.[0]?.reason).toBe('code: value longer than varchar(3) (6 characters): abcdef');
      expect(canon(await pgRows(rel(`codes_${format}`, 'src')))).toEqual(canon(await duckRows(rel(`codes_${format}`, 'main'))));
      expect(canon(await pgRejects(rel(`codes_${format}_rejects`, 'src')))).toEqual(canon(await duckRejects(rel(`codes_${format}_rejects`, 'main'))));
      // over the limit: the load stops, naming the reason
      await expect(f.session.loadFileSource({ ...load(rel(`codes_${format}`, 'src'), rel(`codes_${format}_rejects`, 'src')), maxRejectedRows: 0 })).rejects.toThrow(/1 of 4 rows .* were rejected/);
    }
  });

  it('a DuckDB read error mid-stream aborts the COPY; nothing half-loaded is swapped in', async () => {
    const rows = ['a,b'];
    for (let i = 0; i < 300_000; i++) rows.push(`${i},x`);
    rows.push('oops,x');
    const p = write('late_error.csv', `${rows.join('\n')}\n`);
    const s: SeedLoad = { uniqueId: 'seed.t.late', relation: rel('late', 'seeds'), path: p, delimiter: ',', quote: '"', header: true, columnTypes: { a: 'integer' } };
    await f.session.ensureSchema('seeds');
    await expect(f.session.loadSeed(s)).rejects.toThrow(/CSV Error on Line: 300002\nOriginal Line: oops,x/);
    expect(await f.session.relationExists(rel('late', 'seeds'))).toBe(false);
    expect(await f.session.connection.query('select 1 as x')).toEqual([{ x: 1 }]);
  });
});
