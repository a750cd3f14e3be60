/**
 * Exports out of PostgreSQL through `COPY … TO STDOUT` (csv-stager.ts) give the same files as the row
 * cursor (row-stager.ts) on every type the COPY path takes, edge values included; other types fall back
 * to the cursor. Real PostgreSQL, real files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetSession } from '../target.js';
import { produceFiles, type FileSpec } from './file-writer.js';
import { LocalDuckdb, quoteLiteral } from './local-duckdb.js';
import { recordingLog, streamOnly } from './export-test-support.js';
import { pgFixture, rel, type PgFixture } from '../postgres/postgres-test-support.js';

let fx: PgFixture | undefined;
let session: TargetSession;
const EDGE = rel('edge');
const NESTED = rel('nested');
const BIG = rel('big');

beforeAll(async () => {
  fx = await pgFixture('tx_pgcopy');
  // Sessions of this database run in a zone with a half-hour offset, so TIMESTAMPTZ text carries one.
  await fx.admin.query(`ALTER DATABASE ${fx.db.name} SET timezone = 'America/St_Johns'`);
  session = await fx.open();
  await fx.admin.query(`CREATE SCHEMA tx_test`);
  await fx.admin.query(`CREATE TABLE tx_test.edge (
      id integer, flag boolean, small smallint, big bigint, r real, d double precision,
      amount numeric(12,2), wide numeric(38,10), loose numeric, note text, code varchar(5), pad char(3), ch "char", nm name,
      day date, ts timestamp, ts3 timestamp(3), tstz timestamptz, t time, u uuid, b bytea)`);
  await fx.admin.query(`INSERT INTO tx_test.edge VALUES
      (1, true, 32767, 9223372036854775807, 0.1, 0.1, 1.50, 1234567890123456789012345678.0123456789, 3.14159265358979323846264338327950288,
       'row "1", with, commas' || chr(10) || 'and a newline é ✓ 日本 🙂', 'abc', 'a', 'x', 'nm',
       '2024-02-29', '2024-01-01 12:34:56.123456', '2024-01-01 12:34:56.789', '2024-01-01 12:34:56.5+00', '23:59:59.999999',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff0a2c22'),
      (2, false, -32768, -9223372036854775808, 'Infinity', '-Infinity', -0.01, -0.0000000001, 0,
       '', '', '', '', '', 'infinity', '-infinity', 'infinity', '1850-01-01 00:00:00 Europe/Amsterdam', '00:00', null, ''),
      (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
      (4, true, 0, 0, -0.0, 1e308, 0, 0, 100, 'back\\slash, "quoted" ,', ' ', '  ', ' ', 'n"m', '0001-01-01', '1999-12-31 23:59:59',
       '2000-01-01', '9999-12-31 23:59:59.999999+14', '12:00:00.5', '00000000-0000-0000-0000-000000000000', '\\x0d0a')`);
  // A few thousand ordinary rows, so the CSV spans DuckDB's reading buffers.
  await fx.admin.query(`INSERT INTO tx_test.edge (id, note, amount, day, tstz, b)
      SELECT i, 'line ' || i || chr(10) || '"' || repeat('x', i % 50), i * 1.25, date '2024-01-01' + i, timestamptz '2024-01-01 00:00+00' + i * interval '61 seconds', decode(md5(i::text), 'hex')
      FROM generate_series(5, 6000) i`);
  await fx.admin.query(`CREATE VIEW tx_test.fails AS SELECT id, 100 / (id - 3000) AS q FROM tx_test.edge`);
  await fx.admin.query(`CREATE TABLE tx_test.nested AS SELECT 1 AS id, ARRAY[1,2] AS xs, '{"a": 1}'::jsonb AS j, interval '1 hour' AS iv`);
  // More CSV than PIPE_FROM: piped into DuckDB while PostgreSQL still sends it (csv-pipe.ts).
  await fx.admin.query(`CREATE TABLE tx_test.big AS
      SELECT i AS id, 'row ' || i || ', "quoted"' || chr(10) || repeat('é', i % 40) AS note, i * 0.5 AS half, (i % 7 = 0) AS flag
      FROM generate_series(1, 40000) i`);
  await fx.admin.query(`CREATE VIEW tx_test.big_fails AS SELECT id, note, 100 / (id - 39000) AS q FROM tx_test.big`);
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

/** The same session with a connection that has no COPY export: the row cursor path. */
function cursorOnly(s: TargetSession): TargetSession {
  const c = s.connection;
  return { ...streamOnly(s), connection: { execute: c.execute.bind(c), query: c.query.bind(c), stream: c.stream.bind(c), close: c.close.bind(c) } };
}

const SPEC: Omit<FileSpec, 'format'> = { compression: 'none', header: true, delimiter: ',', partitionBy: [], fileSizeBytes: undefined, fileName: 'edge', extraColumns: [] };

async function exportWith(
  s: TargetSession,
  relation: typeof EDGE,
  format: 'parquet' | 'csv' | 'json',
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-')),
  extra: Partial<FileSpec> = {},
): Promise<{ file: string; files: string[]; log: string[] }> {
  const log = recordingLog();
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const r = await produceFiles({
    session: s,
    relation,
    relationName: `"${relation.schema}"."${relation.identifier}"`,
    spec: { ...SPEC, format, compression: format === 'parquet' ? 'snappy' : 'none', ...extra } as FileSpec,
    outDir: out,
    scratchDir: path.join(dir, 'scratch'),
    log,
  });
  if (!extra.partitionBy) expect(r.files).toHaveLength(1);
  return { file: r.files[0]!.absPath, files: r.files.map((f) => f.path).sort(), log: log.lines };
}

/** A Parquet export of `relation` into `<dir>/out`, whose folder the caller has prepared (exportWith makes it). */
function parquetInto(dir: string, relation: typeof EDGE, signal?: AbortSignal): ReturnType<typeof produceFiles> {
  return produceFiles({
    session,
    relation,
    relationName: `"${relation.schema}"."${relation.identifier}"`,
    spec: { ...SPEC, format: 'parquet', compression: 'snappy' } as FileSpec,
    outDir: path.join(dir, 'out'),
    scratchDir: path.join(dir, 'scratch'),
    log: recordingLog(),
    signal,
  });
}

/** Schema and every row of a Parquet file, values as DuckDB prints them. */
async function parquetContent(file: string): Promise<{ schema: unknown[]; rows: unknown[] }> {
  const db = await LocalDuckdb.open();
  try {
    const f = quoteLiteral(file);
    const schema = await db.query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${f}))`);
    const cols = schema.map((c) => `CASE WHEN "${String(c.column_name)}" IS NULL THEN '<null>' ELSE CAST("${String(c.column_name)}" AS VARCHAR) END`);
    const rows = await db.query(`SELECT ${cols.join(' || \'|\' || ')} AS line FROM read_parquet(${f})`);
    return { schema, rows: rows.map((r) => r.line) };
  } finally {
    db.close();
  }
}

describe('exports out of PostgreSQL through COPY', () => {
  it.each(['csv', 'json'] as const)('%s files are byte for byte those of the row cursor, on every type and edge value', async (format) => {
    const viaCopy = await exportWith(session, EDGE, format);
    const viaCursor = await exportWith(cursorOnly(session), EDGE, format);
    expect(viaCopy.log.some((l) => /copied 6000 rows .* out as CSV/.test(l))).toBe(true);
    expect(viaCursor.log.some((l) => /streamed 6000 rows/.test(l))).toBe(true);
    const a = fs.readFileSync(viaCopy.file, 'utf8');
    expect(a).toBe(fs.readFileSync(viaCursor.file, 'utf8'));
    // The edge values are really there: NULL and the empty string apart, newlines, unicode, exact decimals, bytes.
    if (format === 'json') {
      // (DuckDB writes an infinite double as a bare Infinity, which JSON.parse refuses: parsed with it as a string.)
      const rows = a.trimEnd().split('\n').map((l) => JSON.parse(l.replace(/:(-?)Infinity,/g, ':"$1Infinity",')) as Record<string, unknown>);
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      expect(byId.get(1)!.note).toBe('row "1", with, commas\nand a newline é ✓ 日本 🙂');
      expect(byId.get(2)!.note).toBe('');
      expect(byId.get(3)!.note).toBeNull();
      expect(a).toContain('"wide":1234567890123456789012345678.0123456789,');
      expect(byId.get(1)!.ts).toBe('2024-01-01 12:34:56.123456');
      expect(byId.get(2)!.code).toBe('');
      expect(byId.get(4)!.pad).toBe('   ');
    }
  });

  it('Parquet files hold the same types and values as from the row cursor', async () => {
    const viaCopy = await parquetContent((await exportWith(session, EDGE, 'parquet')).file);
    const viaCursor = await parquetContent((await exportWith(cursorOnly(session), EDGE, 'parquet')).file);
    expect(viaCopy.schema).toEqual(viaCursor.schema);
    expect(viaCopy.rows).toEqual(viaCursor.rows);
    expect(viaCopy.schema).toContainEqual({ column_name: 'amount', column_type: 'DECIMAL(12,2)' });
    expect(viaCopy.schema).toContainEqual({ column_name: 'tstz', column_type: 'TIMESTAMP WITH TIME ZONE' });
    expect(viaCopy.schema).toContainEqual({ column_name: 'b', column_type: 'BLOB' });
    // 1850 in Amsterdam was local mean time, +00:19:32: the instant survives to the second.
    expect(viaCopy.rows.some((r) => String(r).includes('1849-12-31 23:40:28+00'))).toBe(true);
  });

  it('partitioned exports (the rows staged as a table, read once per partition) are the same as from the row cursor', async () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    const viaCopy = await exportWith(session, EDGE, 'json', a, { partitionBy: ['flag'] });
    const viaCursor = await exportWith(cursorOnly(session), EDGE, 'json', b, { partitionBy: ['flag'] });
    expect(viaCopy.log.some((l) => /copied 6000 rows/.test(l))).toBe(true);
    expect(viaCopy.files.length).toBe(3);
    expect(viaCopy.files).toEqual(viaCursor.files);
    for (const f of viaCopy.files) expect(fs.readFileSync(path.join(a, 'out', f), 'utf8')).toBe(fs.readFileSync(path.join(b, 'out', f), 'utf8'));
  });

  it('a COPY that fails half-way fails the export with the server\'s error, leaves no file, and the session goes on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    await expect(exportWith(session, rel('fails'), 'parquet', dir)).rejects.toThrow(/division by zero/);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual([]);
    const again = await exportWith(session, EDGE, 'csv');
    expect(again.log.some((l) => /copied 6000 rows/.test(l))).toBe(true);
  });

  it('a CSV larger than a pipe holds is piped into the writer while PostgreSQL sends it: the same Parquet file as from the row cursor', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    const viaPipe = await exportWith(session, BIG, 'parquet', dir);
    expect(viaPipe.log.some((l) => /copied 40000 rows .* out as CSV, piped into the writer/.test(l))).toBe(true);
    const a = await parquetContent(viaPipe.file);
    const b = await parquetContent((await exportWith(cursorOnly(session), BIG, 'parquet')).file);
    expect(a.rows).toHaveLength(40000);
    expect(a).toEqual(b);
    // the pipe is gone
    expect(fs.existsSync(path.join(dir, 'scratch', 'stage', 'rows.csv'))).toBe(false);
  });

  it('PostgreSQL failing after the pipe has started fails the export with its error, leaves no file, and the session goes on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    await expect(exportWith(session, rel('big_fails'), 'parquet', dir)).rejects.toThrow(/division by zero/);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'scratch', 'stage', 'rows.csv'))).toBe(false);
    const again = await exportWith(session, BIG, 'csv');
    expect(again.log.some((l) => /copied 40000 rows/.test(l))).toBe(true);
  }, 60_000);

  it('a writer failing before it reads the pipe fails the export with its own error instead of waiting for PostgreSQL forever', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    // The output file's name taken by a folder: DuckDB's COPY cannot open it.
    fs.mkdirSync(path.join(dir, 'out', 'edge.parquet'), { recursive: true });
    const failing = parquetInto(dir, BIG);
    await expect(failing).rejects.toThrow(/edge\.parquet/);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['edge.parquet']);
    const again = await exportWith(session, BIG, 'csv');
    expect(again.log.some((l) => /copied 40000 rows/.test(l))).toBe(true);
  }, 60_000);

  it('cancelling an export while its CSV is piped stops both ends and leaves no file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pgcopy-'));
    fs.mkdirSync(path.join(dir, 'out'));
    const ac = new AbortController();
    // Two seconds of CSV: cancelled once it flows through the pipe.
    const slow = rel('big_slow');
    await fx!.admin.query(`CREATE OR REPLACE VIEW tx_test.big_slow AS SELECT b.*, CASE WHEN b.id % 2000 = 0 THEN (SELECT 1 FROM pg_sleep(0.1)) END AS pause FROM tx_test.big b`);
    const running = parquetInto(dir, slow, ac.signal);
    const fifo = path.join(dir, 'scratch', 'stage', 'rows.csv');
    const started = Date.now();
    while (!fs.statSync(fifo, { throwIfNoEntry: false })?.isFIFO() || Date.now() - started < 100) {
      if (Date.now() - started > 30_000) throw new Error('the CSV never went into a pipe');
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort();
    await expect(running).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual([]);
    const again = await exportWith(session, BIG, 'csv');
    expect(again.log.some((l) => /copied 40000 rows/.test(l))).toBe(true);
  }, 60_000);

  it('a relation with arrays, JSON or intervals is exported through the row cursor, unchanged', async () => {
    const r = await exportWith(session, NESTED, 'json');
    expect(r.log.some((l) => /streamed 1 rows/.test(l))).toBe(true);
    expect(JSON.parse(fs.readFileSync(r.file, 'utf8').trim())).toEqual(JSON.parse(fs.readFileSync((await exportWith(cursorOnly(session), NESTED, 'json')).file, 'utf8').trim()));
  });
});
