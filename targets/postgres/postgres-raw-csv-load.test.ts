/**
 * Typed CSV sources of text, integer and double columns go to PostgreSQL as the file's own bytes (as `psql \copy`
 * sends them) while DuckDB checks the same file; they land exactly the rows the DuckDB target lands. Files the two
 * engines would read differently, or with rejected lines, go through the typed path and land the same rows too.
 * Real PostgreSQL and DuckDB.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckdbTarget } from '../duckdb/index.js';
import type { FileSourceLoad, LoadColumn, Row, TargetSession } from '../target.js';
import { pgFixture, recordingLog, rel, type PgFixture } from './postgres-test-support.js';

let f: PgFixture;
let duck: TargetSession;
let dir: string;
beforeAll(async () => {
  f = await pgFixture('tx_pg_rawcsv');
  dir = mkdtempSync(join(tmpdir(), 'tx-pg-rawcsv-'));
  duck = await createDuckdbTarget('duck', { type: 'duckdb', path: ':memory:', schema: 'main' }, dir).open({ log: recordingLog(), threads: 2 });
}, 60_000);
afterAll(async () => {
  await duck?.close();
  await f?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Rows as sorted JSON text (bigint marked), so rows from both targets compare as multisets. */
function canon(rows: Row[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? `num:${v}` : v))).sort();
}

const COLS: LoadColumn[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'string' },
  { name: 'n', type: 'integer' },
  { name: 'x', type: 'double' },
  { name: 'note', type: 'text' },
];

function load(name: string, files: string[], schema: string, columns = COLS, extra: Partial<FileSourceLoad> = {}): FileSourceLoad {
  return {
    uniqueId: `source.t.vendor.${name}`,
    relation: rel(name, schema),
    files,
    format: 'csv',
    columns,
    options: { header: true },
    rejectsRelation: rel(`${name}_rejects`, schema),
    maxRejectedRows: 0,
    ...extra,
  };
}

/** Loads on both targets; returns PostgreSQL's result and whether it sent the file's own bytes. */
async function both(name: string, files: string[], columns = COLS, extra: Partial<FileSourceLoad> = {}) {
  await f.session.ensureSchema('raw');
  const before = f.log.statements.length;
  const pgResult = await f.session.loadFileSource(load(name, files, 'raw', columns, extra)).catch((e: Error) => e);
  const duckResult = await duck.loadFileSource(load(name, files, 'main', columns, extra)).catch((e: Error) => e);
  const statements = f.log.statements.slice(before);
  return {
    pgResult,
    duckResult,
    raw: statements.some((s) => /FROM STDIN \(FORMAT csv, HEADER .*FORCE_NULL/.test(s)),
    typed: statements.some((s) => /FROM STDIN \(FORMAT csv\)$/.test(s)),
    pgRows: async () => canon(await f.session.connection.query(`select * from raw.${name}`)),
    duckRows: async () => canon(await duck.connection.query(`select * from main.${name}`)),
  };
}

const EDGES = [
  'id,name,n,x,note',
  '1,plain,1,1.5,',
  '2,"comma, inside",-2147483648,-0.0,""',
  '3,"quote ""inside""",2147483647,1e308,"multi',
  'line ""with"" quotes"',
  '4,ünïcødé ✓ 日本 🙂,0,inf,back\\slash',
  '5,  spaces  ,+7,-Infinity,tab\there',
  '9223372036854775807,NULL,,NaN,\\N',
  '-9223372036854775808,"",00042,0.1,"  "',
  '8,x, 12 ,2.5e-3,end',
].join('\n');

describe('typed CSV sources through the raw COPY', () => {
  it('land the same rows as on DuckDB, edge values included, with the file\'s own bytes sent', async () => {
    const a = write('edges.csv', `${EDGES}\n`);
    // A second file with CRLF line ends and its own header.
    const b = write('edges2.csv', 'id,name,n,x,note\r\n10,crlf,1,2,"x\r\ny"\r\n11,last,,,\r\n');
    const r = await both('edges', [a, b]);
    expect(r.pgResult).toEqual(r.duckResult);
    expect(r.pgResult).toMatchObject({ rowsLoaded: 10, rowsRejected: 0 });
    expect(r.raw).toBe(true);
    expect(r.typed).toBe(false);
    expect(await r.pgRows()).toEqual(await r.duckRows());
    // NULL and text apart as DuckDB reads them: a quoted "" is NULL, `NULL` and `\N` are text.
    expect(await f.rows(`select id::text, name, note from raw.edges where id in (1, 2, 9223372036854775807, -9223372036854775808) order by id`)).toEqual([
      { id: '-9223372036854775808', name: null, note: '  ' },
      { id: '1', name: 'plain', note: null },
      { id: '2', name: 'comma, inside', note: null },
      { id: '9223372036854775807', name: 'NULL', note: '\\N' },
    ]);
    expect(await f.rows(`select count(*)::int as n from raw.edges_rejects`)).toEqual([{ n: 0 }]);
  });

  it.each([
    ['a byte-order mark (DuckDB skips it, PostgreSQL would keep it)', 'bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,id\nfirst,1\nsecond,2\n')])],
    ['an integer written 1.0 (DuckDB reads it, PostgreSQL refuses it)', 'intdec', 'name,id\na,1.0\nb,2\n'],
  ])('a file with %s lands through the typed path, as on DuckDB', async (_what, name, text) => {
    const file = write(`${name}.csv`, text);
    const cols = [
      { name: 'name', type: 'string' },
      { name: 'id', type: 'integer' },
    ];
    const r = await both(name, [file], cols);
    expect(r.pgResult).toEqual(r.duckResult);
    expect(r.typed).toBe(true);
    expect(await r.pgRows()).toEqual(await r.duckRows());
  });

  it('a line `\\.` (the end of COPY data in PostgreSQL\'s text format) is a value, as on DuckDB', async () => {
    const file = write('eod.csv', 'name\nbefore\n\\.\nafter\n');
    const r = await both('eod', [file], [{ name: 'name', type: 'string' }]);
    expect(r.pgResult).toEqual(r.duckResult);
    expect(r.pgResult).toMatchObject({ rowsLoaded: 3 });
    expect(r.typed).toBe(true); // PostgreSQL stopped at the line and counted 1 row: the counts differ, the typed path decides
    expect(await r.pgRows()).toEqual(await r.duckRows());
  });

  it('rejected lines send the load through the typed path: the same rows, rejects and limit as on DuckDB; the previous table stays', async () => {
    const good = write('rej.csv', 'id,name,n,x,note\n1,a,1,1,\n2,b,2,2,\n');
    await both('rej', [good]);
    const bad = write('rej2.csv', 'id,name,n,x,note\n1,a,1,1,\n2,b,not a number,2,\n3,c,3,3\n');
    const r = await both('rej', [bad]);
    expect(r.pgResult).toBeInstanceOf(Error);
    expect((r.pgResult as Error).message).toBe((r.duckResult as Error).message.replace('"main"', '"raw"'));
    expect(await f.rows(`select id::int from raw.rej order by id`)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await f.rows(`select line::int, error_type from raw.rej_rejects order by line`)).toEqual([
      { line: 3, error_type: 'CAST' },
      { line: 4, error_type: 'MISSING COLUMNS' },
    ]);
    const allowed = await both('rej', [bad], COLS, { maxRejectedRows: 5 });
    expect(allowed.pgResult).toEqual(allowed.duckResult);
    expect(allowed.pgResult).toMatchObject({ rowsLoaded: 1, rowsRejected: 2 });
    expect(await allowed.pgRows()).toEqual(await allowed.duckRows());
  });

  it('a gzip-compressed file keeps the typed path (PostgreSQL would get the compressed bytes)', async () => {
    const file = write('packed.csv.gz', gzipSync('id,name,n,x,note\n1,a,1,1.5,z\n'));
    const r = await both('packed', [file]);
    expect(r.pgResult).toEqual(r.duckResult);
    expect(r.pgResult).toMatchObject({ rowsLoaded: 1, rowsRejected: 0 });
    expect(r.raw).toBe(false);
    expect(await r.pgRows()).toEqual(await r.duckRows());
  });

  it('cancelled during the raw COPY: a clear error, the previous table stays, no scratch table is left', async () => {
    await both('cancel', [write('cancel-small.csv', 'id,name,n,x,note\n1,a,1,1,x\n')]);
    const lines = ['id,name,n,x,note'];
    for (let i = 0; i < 300_000; i++) lines.push(`${i},"name ${i}",${i % 1000},${i / 7},note ${i}`);
    const file = write('cancel.csv', `${lines.join('\n')}\n`);
    const ac = new AbortController();
    // Cancel once the server is in the middle of the raw COPY.
    const watcher = (async () => {
      for (let i = 0; i < 6000 && !ac.signal.aborted; i++) {
        const busy = await f.rows(`select 1 from pg_stat_activity where query like 'COPY %FORCE_NULL%' and state = 'active' and pid <> pg_backend_pid()`);
        if (busy.length) return ac.abort();
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const err = await f.session.loadFileSource(load('cancel', [file], 'raw', COLS, { signal: ac.signal })).catch((e: Error) => e);
    await watcher;
    expect(ac.signal.aborted).toBe(true);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cancel/i);
    expect(await f.rows(`select id::int from raw.cancel`)).toEqual([{ id: 1 }]);
    expect(await f.rows(`select table_name from information_schema.tables where table_schema = 'raw' and table_name like '%cancel%' order by 1`)).toEqual([
      { table_name: 'cancel' },
      { table_name: 'cancel_rejects' },
    ]);
  });

  it('decimal, date, boolean and varchar(n) columns keep the typed path', async () => {
    const file = write('typed.csv', 'id,amount,day,flag,code\n1,1.005,2024-02-29,true,abc\n');
    const r = await both('typedonly', [file], [
      { name: 'id', type: 'bigint' },
      { name: 'amount', type: 'decimal(10,2)' },
      { name: 'day', type: 'date' },
      { name: 'flag', type: 'boolean' },
      { name: 'code', type: 'varchar(3)' },
    ]);
    expect(r.pgResult).toEqual(r.duckResult);
    expect(r.raw).toBe(false);
    expect(r.typed).toBe(true);
  });
});


