/**
 * The same table of typed values, built with the CLI on DuckDB, PostgreSQL and Hive (a Spark
 * Thrift Server), prints the same in `tx show` (text, CSV, JSON) and lands the same in CSV, JSON
 * lines and Parquet exports, on every engine; DuckDB's own text of each value is the reference.
 *
 * One difference is the engines', not tx's: Spark has no TIMESTAMP WITH TIME ZONE (its TIMESTAMP
 * is the session's wall clock), so on Hive the `tstz` column is a TIMESTAMP and prints as one.
 *
 * The processes run with TZ=America/St_Johns (UTC-03:30) and PostgreSQL's sessions with the same
 * zone, so a value that passed through a zoned JS Date, or a zone-dependent text, would show.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, duckdbMemory, fixtureProject, queryDuckdb, type FixtureProject, type Row, type TxRun } from '../../testing/fixture-project.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from '../../testing/services/postgres.js';
import { startSparkThriftServer, type HiveService } from '../../testing/services/spark.js';
import { openHiveSession } from '../../testing/services/hive-client.js';

type Engine = 'duckdb' | 'postgres' | 'hive';
const ZONE = 'America/St_Johns';
const hiveSchema = `tx_values_${Math.random().toString(36).slice(2, 8)}`;

/** Three rows: everyday values, edge values (before 1970, microseconds, negatives, BIGINT's minimum), and NULL of every type. */
const MODEL = dedent(`
  {%- set dbl = 'double precision' if target.type == 'postgres' else 'double' -%}
  {%- set tstz = 'timestamp' if target.type == 'hive' else 'timestamptz' -%}
  select 1 as id, cast('2024-01-01' as date) as d, cast('2024-01-01 12:34:56' as timestamp) as ts,
    cast('2024-01-01 12:34:56.5' as timestamp) as ts_frac, cast('2024-01-01 12:34:56.5+02:00' as {{ tstz }}) as tstz,
    cast('1.50' as decimal(5,2)) as dec_5_2, cast('12345678901234567890.1234567890' as decimal(38,10)) as dec_38_10,
    cast('9007199254740993' as bigint) as big, cast(0.1 as {{ dbl }}) as dbl, true as flag, cast(null as integer) as nothing,
    cast('héllo ✓ 漢字' as {{ 'string' if target.type == 'hive' else 'varchar(20)' }}) as txt
  union all
  select 2, cast('1969-12-31' as date), cast('1969-12-31 23:59:59.999999' as timestamp),
    cast('2000-02-29 00:00:00.000123' as timestamp), cast('1999-12-31 23:30:00-08:00' as {{ tstz }}),
    cast('-0.05' as decimal(5,2)), cast('-0.0000000001' as decimal(38,10)),
    cast('-9223372036854775808' as bigint), cast(-2.5 as {{ dbl }}), false, 7,
    cast('' as {{ 'string' if target.type == 'hive' else 'varchar(20)' }})
  union all
  select 3, cast(null as date), cast(null as timestamp), cast(null as timestamp), cast(null as {{ tstz }}),
    cast(null as decimal(5,2)), cast(null as decimal(38,10)), cast(null as bigint), cast(null as {{ dbl }}),
    cast(null as boolean), cast(null as integer), cast(null as {{ 'string' if target.type == 'hive' else 'varchar(20)' }})
`);

const PROPERTIES = dedent(`
  models:
    - name: typed_values
      config:
        materialized: table
        exports:
          - { to: output/, path: csv, format: csv }
          - { to: output/, path: json, format: json }
          - { to: output/, path: parquet, format: parquet }
`);

const ALL = ['id', 'd', 'ts', 'ts_frac', 'tstz', 'dec_5_2', 'dec_38_10', 'big', 'dbl', 'flag', 'nothing', 'txt'];
const BUT_TSTZ = ALL.filter((c) => c !== 'tstz');

function projectYml(pg: TestDatabase | null, hive: HiveService | null): string {
  const u = pg ? new URL(pg.url) : null;
  return dedent(`
    name: typed
    target: duckdb
    export_roots: [output]
    targets:
      duckdb: { type: duckdb, path: typed.duckdb, schema: main }
      postgres: { type: postgres, host: "${u?.hostname ?? '127.0.0.1'}", port: ${u?.port || 5432}, user: "${decodeURIComponent(u?.username ?? 'postgres')}", password: "${decodeURIComponent(u?.password ?? '')}", database: "${pg?.name ?? 'postgres'}", schema: typed }
      hive: { type: hive, host: "${hive?.host ?? '127.0.0.1'}", port: ${hive?.port ?? 10000}, user: tx, auth: NONE, schema: ${hiveSchema} }
  `);
}

interface Printed {
  build: TxRun;
  /** `tx show` of these columns, ordered by id, as text, CSV and JSON. */
  show: (cols: string[], format: 'text' | 'csv' | 'json') => Promise<string>;
  fx: FixtureProject;
}

let pgService: PostgresService | null = null;
let pgDb: TestDatabase | null = null;
let hive: HiveService | null = null;
const printed = new Map<Engine, Printed>();

async function buildOn(engine: Engine): Promise<Printed> {
  const fx = fixtureProject({ 'project.yml': projectYml(pgDb, hive), 'models/typed_values.sql': MODEL, 'models/typed_values.yml': PROPERTIES }, { prefix: `tx-values-${engine}-` });
  const env = { TZ: ZONE };
  const timeoutMs = engine === 'hive' ? 300_000 : 120_000;
  const build = await fx.txWith({ env, timeoutMs }, 'build', '--target', engine);
  const show = async (cols: string[], format: 'text' | 'csv' | 'json') => {
    const r = await fx.txWith({ env, timeoutMs }, 'show', '--target', engine, '--inline', `select ${cols.join(', ')} from {{ ref('typed_values') }} order by id`, '--limit', '-1', '--output', format);
    expect(r.code, r.output).toBe(0);
    return r.stdout;
  };
  return { build, show, fx };
}

function on(engine: Engine): Printed | undefined {
  return printed.get(engine);
}

/** The cells of a `tx show` text table, by row. */
function tableCells(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .map((l) => l.slice(2, -2).split(' | ').map((c) => c.trim()));
}

/** The one data file of an export folder. */
function exported(fx: FixtureProject, folder: string, ext: string): string {
  const dir = fx.path(`output/${folder}`);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('typed_values') && f.endsWith(`.${ext}`));
  expect(files, `${dir}: ${fs.readdirSync(dir).join(', ')}`).toHaveLength(1);
  return path.join(dir, files[0]!);
}

beforeAll(async () => {
  pgService = await startPostgres();
  pgDb = await createTestDatabase(pgService, 'tx_values');
  // Every session on this database prints TIMESTAMPTZ at UTC-03:30.
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: pgDb.url });
  await admin.connect();
  await admin.query(`alter database "${pgDb.name}" set timezone = '${ZONE}'`);
  await admin.end();
  hive = await startSparkThriftServer(); // null after a loud line when Spark cannot run here
  for (const engine of ['duckdb', 'postgres', 'hive'] as const) {
    if (engine === 'hive' && !hive) continue;
    const p = await buildOn(engine);
    expect(p.build.code, `${engine}: ${p.build.output}`).toBe(0);
    printed.set(engine, p);
  }
}, 600_000);

afterAll(async () => {
  if (hive) {
    const s = await openHiveSession(hive.host, hive.port).catch(() => null);
    await s?.execute(`DROP DATABASE IF EXISTS \`${hiveSchema}\` CASCADE`).catch(() => undefined);
    await s?.close().catch(() => undefined);
    await hive.stop();
  }
  await pgDb?.drop().catch(() => undefined);
  await pgService?.stop();
  for (const p of printed.values()) p.fx.cleanup();
});

describe('values print the same on every target', () => {
  it('tx show on DuckDB prints each value as DuckDB itself prints it: dates as dates, no zone on a TIMESTAMP, DECIMAL with its scale', async () => {
    const duck = on('duckdb')!;
    // DuckDB's own text of every value (TIMESTAMPTZ in UTC), NULL as NULL.
    const reference = await queryDuckdb(
      duck.fx.path('typed.duckdb'),
      `select ${ALL.map((c) => (c === 'tstz' ? `cast(timezone('UTC', tstz) as varchar) || '+00' as tstz` : `cast(${c} as varchar) as ${c}`)).join(', ')} from main.typed_values order by id`,
    );
    const expected = reference.map((r) => ALL.map((c) => (r[c] === null ? 'NULL' : String(r[c]))));
    const cells = tableCells(await duck.show(ALL, 'text'));
    expect(cells[0]).toEqual(ALL);
    expect(cells.slice(1)).toEqual(expected);
    // What the issue asks for, literally.
    expect(cells[1]).toEqual(['1', '2024-01-01', '2024-01-01 12:34:56', '2024-01-01 12:34:56.5', '2024-01-01 10:34:56.5+00', '1.50', '12345678901234567890.1234567890', '9007199254740993', '0.1', 'true', 'NULL', 'héllo ✓ 漢字']);
    expect(cells[2]!.slice(1, 8)).toEqual(['1969-12-31', '1969-12-31 23:59:59.999999', '2000-02-29 00:00:00.000123', '2000-01-01 07:30:00+00', '-0.05', '-0.0000000001', '-9223372036854775808']);
  });

  it('tx show prints the same text, CSV and JSON on PostgreSQL (its sessions at UTC-03:30) as on DuckDB', async () => {
    const duck = on('duckdb')!;
    const pg = on('postgres')!;
    for (const format of ['text', 'csv', 'json'] as const) {
      expect(await pg.show(ALL, format), format).toBe(await duck.show(ALL, format));
    }
    const json = JSON.parse(await pg.show(ALL, 'json')) as Row[];
    expect(json[0]).toMatchObject({ d: '2024-01-01', ts: '2024-01-01 12:34:56', dec_5_2: '1.50', dec_38_10: '12345678901234567890.1234567890', big: '9007199254740993', dbl: 0.1, flag: true, nothing: null });
    expect(json[1]).toMatchObject({ big: '-9223372036854775808', nothing: 7, flag: false, txt: '' });
  });

  it('tx show prints the same on Hive (Spark) as on DuckDB, but for TIMESTAMPTZ, which Spark lacks', async (ctx) => {
    const hv = on('hive');
    if (!hv) return ctx.skip();
    const duck = on('duckdb')!;
    for (const format of ['text', 'csv', 'json'] as const) {
      expect(await hv.show(BUT_TSTZ, format), format).toBe(await duck.show(BUT_TSTZ, format));
    }
    // Spark's TIMESTAMP: the instant at the session's zone (UTC on the test server), without an offset.
    expect(await hv.show(['tstz'], 'csv')).toBe('tstz\n2024-01-01 10:34:56.5\n2000-01-01 07:30:00\n\n');
  });

  it('CSV and JSON exports hold the same text on every engine, dates as dates (not instants)', async () => {
    const duck = on('duckdb')!;
    const sorted = (file: string) => {
      const [head, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      return [head, ...rows.sort()];
    };
    const csv = sorted(exported(duck.fx, 'csv', 'csv'));
    expect(csv[0]).toBe(ALL.join(','));
    // TIMESTAMPTZ in UTC, as tx show prints it, though tx ran at UTC-03:30.
    expect(csv[1]!.split(',').slice(0, 5)).toEqual(['1', '2024-01-01', '2024-01-01 12:34:56', '2024-01-01 12:34:56.5', '2024-01-01 10:34:56.5+00']);
    expect(csv[1]!.split(',').slice(5, 8)).toEqual(['1.50', '12345678901234567890.1234567890', '9007199254740993']);
    const json = sorted(exported(duck.fx, 'json', 'json'));
    expect(JSON.parse(json[0]!)).toMatchObject({ id: 1, d: '2024-01-01', ts: '2024-01-01 12:34:56', tstz: '2024-01-01 10:34:56.5+00', txt: 'héllo ✓ 漢字' });
    // DuckDB's JSON writer: DECIMAL as an exact JSON number (a number has no scale: 1.5).
    expect(json[0]).toContain('"dec_5_2":1.5,"dec_38_10":12345678901234567890.1234567890,');
    expect(json[0]).toContain('"big":9007199254740993');

    const pg = on('postgres')!;
    expect(sorted(exported(pg.fx, 'csv', 'csv'))).toEqual(csv);
    expect(sorted(exported(pg.fx, 'json', 'json'))).toEqual(json);

    const hv = on('hive');
    if (hv) {
      // All but the tstz column (the 5th), which Spark holds as a TIMESTAMP.
      const but5 = (lines: string[]) => lines.map((l) => l.split(',').filter((_, i) => i !== 4).join(','));
      expect(but5(sorted(exported(hv.fx, 'csv', 'csv')))).toEqual(but5(csv));
      const butTstz = (lines: string[]) => lines.map((l) => l.replace(/"tstz":("[^"]*"|null),/, ''));
      expect(butTstz(sorted(exported(hv.fx, 'json', 'json')))).toEqual(butTstz(json));
    }
  });

  it('Parquet exports keep each column’s type (DATE, TIMESTAMP, DECIMAL(p,s), BIGINT...) and value on every engine', async () => {
    const read = async (fx: FixtureProject) => {
      const file = exported(fx, 'parquet', 'parquet');
      const types = await duckdbMemory(`select column_name, column_type from (describe select * from read_parquet('${file}'))`);
      const values = await duckdbMemory(`select ${ALL.map((c) => (c === 'tstz' ? `cast(timezone('UTC', tstz) as varchar) as tstz` : `cast(${c} as varchar) as ${c}`)).join(', ')} from read_parquet('${file}') order by id`);
      return { types: Object.fromEntries(types.map((t) => [String(t.column_name), String(t.column_type)])), values };
    };
    const duck = await read(on('duckdb')!.fx);
    expect(duck.types).toEqual({
      id: 'INTEGER',
      d: 'DATE',
      ts: 'TIMESTAMP',
      ts_frac: 'TIMESTAMP',
      tstz: 'TIMESTAMP WITH TIME ZONE',
      dec_5_2: 'DECIMAL(5,2)',
      dec_38_10: 'DECIMAL(38,10)',
      big: 'BIGINT',
      dbl: 'DOUBLE',
      flag: 'BOOLEAN',
      nothing: 'INTEGER',
      txt: 'VARCHAR',
    });
    const pg = await read(on('postgres')!.fx);
    expect(pg).toEqual(duck);
    const hv = on('hive');
    if (hv) {
      const h = await read(hv.fx);
      expect(h.types).toEqual({ ...duck.types, tstz: 'TIMESTAMP' });
      const drop = (rows: Row[]) => rows.map(({ tstz: _, ...r }) => r);
      expect(drop(h.values)).toEqual(drop(duck.values));
    }
  });
});

describe('unit-test diffs print values as tx show does', () => {
  it('a failing unit test shows DATE, TIMESTAMP and DECIMAL values in the diff as DuckDB prints them', async () => {
    const fx = fixtureProject(
      {
        'models/priced.sql': "select cast(day as date) as day, cast(seen_at as timestamp) as seen_at, cast(price as decimal(5,2)) as price from {{ ref('raw_prices') }}",
        'seeds/raw_prices.csv': 'day,seen_at,price\n2024-01-01,2024-01-01 12:34:56,1.5\n',
        'models/priced.yml': dedent(`
          unit_tests:
            - name: prices_keep_their_scale
              model: priced
              given:
                - input: ref('raw_prices')
                  rows:
                    - { day: "2024-03-01", seen_at: "2024-03-01 08:00:00.25", price: "2.5" }
              expect:
                rows:
                  - { day: "2024-03-02", seen_at: "2024-03-01 08:00:00.25", price: "2.50" }
        `),
      },
      { prefix: 'tx-values-unit-' },
    );
    try {
      const r = await fx.txWith({ env: { TZ: ZONE } }, 'test', '--select', 'priced');
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(/^\s*- 2024-03-02 \| 2024-03-01 08:00:00\.25 \| 2\.50$/m);
      expect(r.output).toMatch(/^\s*\+ 2024-03-01 \| 2024-03-01 08:00:00\.25 \| 2\.50$/m);
    } finally {
      fx.cleanup();
    }
  });
});
