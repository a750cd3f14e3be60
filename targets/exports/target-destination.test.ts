/**
 * `to: target:NAME` exports into another real target (a second DuckDB database, and
 * PostgreSQL), and PostgreSQL as a source: rows stream out through the cursor into files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetSession } from '../target.js';
import { pgFixture, type PgFixture } from '../postgres/postgres-test-support.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { ExportError, runExport } from './index.js';
import { TYPED, createSampleTables, duckdbFixture, request, type DuckdbFixture } from './export-test-support.js';
import { LocalDuckdb, quoteLiteral } from './local-duckdb.js';

let fx: DuckdbFixture;
let archive: DuckdbFixture;
let project: string;

beforeAll(async () => {
  fx = await duckdbFixture();
  await createSampleTables(fx.session);
  archive = await duckdbFixture('tx-exp-archive-');
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-target-'));
});
afterAll(async () => {
  await fx?.close();
  await archive?.close();
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

const openers = (targets: Record<string, TargetSession>) => async (name: string) => {
  const s = targets[name];
  if (!s) throw new Error(`target \`${name}\` is not configured (known: ${Object.keys(targets).join(', ')})`);
  return s;
};

describe('exports into another target (DuckDB → DuckDB)', () => {
  const spec = (day: string, extra: Record<string, unknown> = {}) => ({
    to: 'target:archive',
    schema: 'reports',
    extra_columns: { delivery_date: { value: day, type: 'date' } },
    ...extra,
  });

  it('appends with a delivery_date, creating the table the first time', async () => {
    const req = (day: string) => request(fx, spec(day), { projectDir: project, relation: TYPED, openTarget: openers({ archive: archive.session }) });
    const r1 = await runExport(req('2024-05-01'));
    expect(r1.destination).toBe('target:archive/reports.typed');
    expect(r1.rows).toBe(2500);
    await runExport(req('2024-05-02'));
    const rows = await archive.session.connection.query(
      `select delivery_date::varchar as d, count(*)::int as n, sum(amount)::varchar as s from reports.typed group by 1 order by 1`,
    );
    const src = await fx.session.connection.query(`select sum(amount)::varchar as s from main.typed`);
    expect(rows).toEqual([
      { d: '2024-05-01', n: 2500, s: src[0]!.s },
      { d: '2024-05-02', n: 2500, s: src[0]!.s },
    ]);
    const cols = await archive.session.columns({ schema: 'reports', identifier: 'typed' });
    expect(cols.map((c) => c.name)).toEqual(['id', 'big', 'ratio', 'amount', 'day', 'ts', 'flag', 'note', 'state', 'delivery_date']);
    expect(cols.find((c) => c.name === 'delivery_date')!.type).toBe('DATE');
    // No staging or rejects tables are left behind.
    const left = await archive.session.connection.query(`select table_name from information_schema.tables where table_schema = 'reports' order by 1`);
    expect(left.map((r) => r.table_name)).toEqual(['typed']);
  });

  it('replaces the table whole with mode: replace', async () => {
    await runExport(request(fx, spec('2024-05-03', { mode: 'replace' }), { projectDir: project, relation: TYPED, openTarget: openers({ archive: archive.session }) }));
    const rows = await archive.session.connection.query(`select delivery_date::varchar as d, count(*)::int as n from reports.typed group by 1`);
    expect(rows).toEqual([{ d: '2024-05-03', n: 2500 }]);
  });

  it('an unknown target is a clear error', async () => {
    const err = (await runExport(request(fx, { to: 'target:nope' }, { projectDir: project, relation: TYPED, openTarget: openers({ archive: archive.session }) })).catch(
      (e: unknown) => e,
    )) as ExportError;
    expect(err).toBeInstanceOf(ExportError);
    expect(err.code).toBe('EXPORT_NOT_FOUND');
    expect(err.message).toMatch(/target `nope`/);
    expect(err.hint).toMatch(/configured/);
  });
});

let pgf: PgFixture | null = null;

describe('PostgreSQL as source (streamed) and as target', () => {
  // In beforeAll, not at import; a PostgreSQL that cannot be had goes through the one
  // serviceUnavailable path: a loud skip, or a failure when TX_TEST_REQUIRE names postgres.
  beforeAll(async () => {
    try {
      pgf = await pgFixture('tx_exp');
    } catch (e) {
      serviceUnavailable('postgres', `cannot start or reach PostgreSQL: ${(e as Error).message}`);
    }
  });
  skipEachWithout(() => pgf);
  afterAll(async () => {
    await pgf?.close();
  });

  it('streams a PostgreSQL table into parquet with exact values and types', async () => {
    const pg = pgf!;
    await pg.admin.query(`create schema if not exists tx_test`);
    await pg.admin.query(`drop table if exists tx_test.prescribers`);
    await pg.admin.query(`create table tx_test.prescribers as
      select i as id, (i::bigint * 1000000007) as big, (i / 7.0)::double precision as ratio, (i * 1.25)::numeric(12,2) as amount,
             (date '2024-01-01' + i) as day, timestamp '2024-01-01 10:00:00' + i * interval '3661 seconds' as ts, (i % 2 = 0) as flag,
             case when i % 5 = 0 then null else 'row "' || i || '", é' || chr(10) || 'x' end as note
      from generate_series(1, 30000) as g(i)`);
    const relation = { schema: 'tx_test', identifier: 'prescribers' };
    const res = await runExport(request({ session: pg.session, log: pg.log }, { to: 'output/', path: 'pg' }, { projectDir: project, relation }));
    expect(res.rows).toBe(30000);
    const file = path.join(project, 'output', 'pg', 'prescribers.parquet');
    const db = await LocalDuckdb.open();
    try {
      const types = await db.query(`select column_name, column_type from (describe select * from read_parquet(${quoteLiteral(file)}))`);
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
        id: 'INTEGER',
        big: 'BIGINT',
        ratio: 'DOUBLE',
        amount: 'DECIMAL(12,2)',
        day: 'DATE',
        ts: 'TIMESTAMP',
        flag: 'BOOLEAN',
        note: 'VARCHAR',
      });
      const text = `id::varchar || '|' || big::varchar || '|' || amount::varchar || '|' || day::varchar || '|' || ts::varchar || '|' || flag::varchar || '|' || coalesce(note, '<null>')`;
      const back = (await db.query(`select ${text} as t from read_parquet(${quoteLiteral(file)}) order by id`)).map((r) => r.t);
      const pgText = `id::text || '|' || big::text || '|' || amount::text || '|' || day::text || '|' || ts::text || '|' || flag::text || '|' || coalesce(note, '<null>')`;
      const orig = (await pg.rows<{ t: string }>(`select ${pgText} as t from tx_test.prescribers order by id`)).map((r) => r.t);
      expect(back.length).toBe(30000);
      expect(back).toEqual(orig);
      // Doubles print differently (1 vs 1.0): compare them as numbers.
      const r1 = (await db.query(`select ratio from read_parquet(${quoteLiteral(file)}) order by id`)).map((r) => r.ratio);
      const r2 = (await pg.rows<{ ratio: number }>(`select ratio from tx_test.prescribers order by id`)).map((r) => r.ratio);
      expect(r1).toEqual(r2);
      expect(pg.log.infos.join('\n')).toMatch(/copied 30000 rows .* out as CSV/);
    } finally {
      db.close();
    }
  });

  it('appends a DuckDB model into PostgreSQL with a delivery_date', async () => {
    const pg = pgf!;
    const openTarget = openers({ postgres: pg.session });
    const spec = (day: string) => ({ to: 'target:postgres', schema: 'tx_test', table: 'typed_report', extra_columns: { delivery_date: { value: day, type: 'date' } } });
    await runExport(request(fx, spec('2024-05-01'), { projectDir: project, relation: TYPED, openTarget }));
    await runExport(request(fx, spec('2024-05-02'), { projectDir: project, relation: TYPED, openTarget }));
    const rows = await pg.rows(`select delivery_date::text as d, count(*)::int as n, sum(amount)::text as s from tx_test.typed_report group by 1 order by 1`);
    const src = await fx.session.connection.query(`select sum(amount)::varchar as s from main.typed`);
    expect(rows).toEqual([
      { d: '2024-05-01', n: 2500, s: src[0]!.s },
      { d: '2024-05-02', n: 2500, s: src[0]!.s },
    ]);
    const t = await pg.rows(`select data_type from information_schema.columns where table_schema = 'tx_test' and table_name = 'typed_report' and column_name = 'delivery_date'`);
    expect(t).toEqual([{ data_type: 'date' }]);
    const left = await pg.rows(`select table_name from information_schema.tables where table_schema = 'tx_test' and table_name like 'typed_report%' order by 1`);
    expect(left).toEqual([{ table_name: 'typed_report' }]);
  });
});
