/**
 * Failing-row samples of data tests and `validate: head` lines print each value with the one
 * formatting module (targets/values/value-format.ts), the same on DuckDB and PostgreSQL: a DATE as a
 * date, a TIMESTAMP without a zone, `numeric(5,2)` 1.50 as `1.50`, a BIGINT exact, NULL as NULL. The
 * processes run in a zone far from UTC (and PostgreSQL's sessions too), so a value that passed
 * through a zoned JS Date would show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from '../../testing/services/postgres.js';

const ZONE = 'America/St_Johns';
let svc: PostgresService | undefined;
let db: TestDatabase | undefined;
const fixtures: FixtureProject[] = [];

beforeAll(async () => {
  svc = await startPostgres();
  db = await createTestDatabase(svc, 'tx_printed_values');
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`alter database "${db.name}" set timezone = '${ZONE}'`);
  await admin.end();
}, 120_000);
afterAll(async () => {
  fixtures.forEach((f) => f.cleanup());
  await db?.drop().catch(() => undefined);
  await svc?.stop();
});

const MODEL = dedent(`
  {{ config(materialized='table', validate={'head': 2}) }}
  select cast('2024-01-01' as date) as d, cast('2024-01-01 12:34:56' as timestamp) as ts,
    cast('1.50' as numeric(5,2)) as amount, cast('9007199254740993' as bigint) as big, cast(null as integer) as nothing
`);

function project(): FixtureProject {
  const u = new URL(db!.url);
  const fx = fixtureProject({
    'project.yml': dedent(`
      name: printed
      target: duckdb
      targets:
        duckdb: { type: duckdb, path: printed.duckdb, schema: main }
        postgres: { type: postgres, host: "${u.hostname}", port: ${u.port || 5432}, user: "${decodeURIComponent(u.username)}", password: "${decodeURIComponent(u.password)}", database: "${db!.name}", schema: printed }
    `),
    'models/typed.sql': MODEL,
    // fails on every row (the amount is not 2), so its failing rows are printed
    'models/typed.yml': 'version: 2\nmodels:\n  - name: typed\n    columns:\n      - name: amount\n        data_tests: [{accepted_values: {values: [2], quote: false}}]\n',
  });
  fixtures.push(fx);
  return fx;
}

describe.each(['duckdb', 'postgres'])('values printed by a build on %s', (engine) => {
  it('validate: head and a failing test sample print dates as dates, the scale of a numeric, exact bigints', async () => {
    const fx = project();
    // --no-audit: the model is published first, then its failing test prints its rows
    const r = await fx.txWith({ env: { TZ: ZONE, NO_COLOR: '1' }, timeoutMs: 120_000 }, 'build', '--target', engine, '--no-audit');
    expect(r.code, r.output).toBe(1);
    expect(r.stdout).toMatch(/^ {4}validate typed: first 1 rows\n {6}d \| ts \| amount \| big \| nothing\n {6}2024-01-01 \| 2024-01-01 12:34:56 \| 1\.50 \| 9007199254740993 \| NULL$/m);
    expect(r.stdout).toMatch(/^ {6}value_field=1\.50, n_records=1$/m);
    // with audit before publish (the default) the sample comes from the side version, on the build's own connection
    const audited = await fx.txWith({ env: { TZ: ZONE, NO_COLOR: '1' }, timeoutMs: 120_000 }, 'build', '--target', engine);
    expect(audited.code, audited.output).toBe(1);
    expect(audited.output).toMatch(/failed its audit/);
    expect(audited.stdout).toMatch(/^ {6}value_field=1\.50, n_records=1$/m);
  }, 180_000);

  it('a singular test sample prints a date, a timestamp and a numeric as the warehouse holds them', async () => {
    const fx = project();
    fx.write({ 'tests/every_row.sql': "select d, ts, amount, big, nothing from {{ ref('typed') }}\n" });
    const r = await fx.txWith({ env: { TZ: ZONE, NO_COLOR: '1' }, timeoutMs: 120_000 }, 'build', '--target', engine);
    expect(r.code, r.output).toBe(1);
    expect(r.stdout).toMatch(/^ {6}d=2024-01-01, ts=2024-01-01 12:34:56, amount=1\.50, big=9007199254740993, nothing=NULL$/m);
  }, 180_000);
});
