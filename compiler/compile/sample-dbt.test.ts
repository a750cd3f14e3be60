/**
 * `--sample` against dbt-core 1.10 (dbt-duckdb) on the same dbt project: a seed, a source and a
 * model with `event_time`, models reading them and a model reading a seed without it.
 * - `build --sample '{start: ..., end: ...}'`: every table holds the same rows as dbt's, the compiled
 *   SQL is dbt's (`(select * from x where ts >= '...+00:00' and ts < '...+00:00')`), data tests read
 *   whole relations, and the manifest's `event_time` configs are dbt's;
 * - `run --sample "N days"`: the window ends now, as in dbt (rows made relative to now);
 * - on PostgreSQL (dbt-postgres): the same rows, and the same SQL with dbt's subquery alias;
 * - bad windows are exit 2 with nothing built.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { dbtPostgresProfile } from '../../testing/dbt-reference.js';
import { dedent, fixtureProject, queryDuckdb, writeFiles, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from '../../testing/services/postgres.js';
import { provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core');

const FILES: Files = {
  'dbt_project.yml': dedent(`
    name: samp
    profile: samp
    config-version: 2
    seeds:
      samp:
        events:
          +event_time: ts
  `),
  'profiles.yml': 'samp:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb, schema: main, threads: 1}\n',
  'seeds/events.csv': 'id,ts\n1,2024-01-01 04:59:59\n2,2024-01-01 05:00:00\n3,2024-01-15 00:00:00\n4,2024-02-01 00:00:00\n5,2024-03-01 00:00:00\n',
  'seeds/plain.csv': 'id,ts\n1,2024-01-01 00:00:00\n2,2030-01-01 00:00:00\n',
  'seeds/raw_orders.csv': 'order_id,ordered_at\n10,2023-12-31 23:00:00\n11,2024-01-20 12:00:00\n12,2024-01-31 23:59:59\n',
  'models/sources.yml': dedent(`
    version: 2
    sources:
      - name: raw
        schema: main
        tables:
          - name: raw_orders
            config: {event_time: ordered_at}
    models:
      - name: ev
        columns:
          - name: id
            data_tests: [not_null]
  `),
  'models/ev.sql': "{{ config(materialized='table', event_time='ts') }}\nselect id, ts from {{ ref('events') }}",
  'models/down.sql': "{{ config(materialized='table') }}\nselect id from {{ ref('ev') }}",
  'models/orders.sql': "{{ config(materialized='table') }}\nselect order_id from {{ source('raw', 'raw_orders') }}",
  'models/unsampled.sql': "{{ config(materialized='table') }}\nselect id from {{ ref('plain') }}",
  // rows relative to the run's clock: 1, 2, 5 and 40 days old
  'models/recent.sql': "{{ config(materialized='table', event_time='made_at') }}\nselect d, current_timestamp - d * interval 1 day as made_at from (values (1), (2), (5), (40)) t(d)",
  'models/recent_down.sql': "{{ config(materialized='table') }}\nselect d from {{ ref('recent') }}",
};
const WINDOW = '{start: "2024-01-01 05:00:00", end: "2024-02-01T00:00:00+02:00"}';
const TABLES = ['events', 'ev', 'down', 'orders', 'unsampled'];

let dbtBin = '';
let dbtPython = '';
const dirs: string[] = [];
const fixtures: FixtureProject[] = [];
beforeAll(async () => {
  if (noPython) return;
  const venv = await provisionDbtCore();
  dbtBin = join(venv.dir, 'bin', 'dbt');
  dbtPython = venv.python;
}, 600_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const f of fixtures) f.cleanup();
});

function dbt(dir: string, ...args: string[]): void {
  const r = spawnSync(dbtBin, [...args, '--profiles-dir', dir, '--project-dir', dir], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } });
  expect(r.status, `dbt ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

/** First-column values of a table in dbt's DuckDB file, read by the venv's duckdb (its file format may be newer). */
function dbtIds(dir: string, table: string): unknown[] {
  const code = 'import duckdb, json, sys\nc = duckdb.connect(sys.argv[1], read_only=True)\nprint(json.dumps([r[0] for r in c.execute(sys.argv[2]).fetchall()]))';
  const r = spawnSync(dbtPython, ['-c', code, join(dir, 'wh.duckdb'), `select * from main.${table} order by 1`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}
const txIds = async (fx: FixtureProject, table: string) => (await queryDuckdb(fx.path('wh.duckdb'), `select * from main.${table} order by 1`)).map((r) => Object.values(r)[0]);
/** Compiled SQL without dbt-duckdb's database part (tx names DuckDB relations "schema"."name"). */
const sqlOf = (dir: string, model: string) => readFileSync(join(dir, 'target/compiled/samp/models', model), 'utf8').replace(/"wh"\./g, '').trim();

describe('--sample: tx and dbt-core 1.10', () => {
  it.skipIf(noPython)('a {start, end} window: the same rows and compiled SQL as dbt; tests read whole relations; event_time in the manifest', async () => {
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-sample-dbt-'));
    dirs.push(dbtDir);
    writeFiles(dbtDir, FILES);
    const fx = fixtureProject(FILES, { dbFile: 'wh.duckdb' });
    fixtures.push(fx);

    // seeds first (the source reads raw_orders), then the sampled build
    dbt(dbtDir, 'seed');
    dbt(dbtDir, 'build', '--exclude', 'recent', 'recent_down', '--sample', WINDOW);
    expect((await fx.tx('seed')).code).toBe(0);
    const b = await fx.tx('build', '--exclude', 'recent', 'recent_down', '--sample', WINDOW);
    expect(b.code, b.output).toBe(0);
    expect(b.stdout).toMatch(/Sample mode: ref\(\) and source\(\) of nodes with event_time read 2024-01-01 05:00:00\+00:00 to 2024-02-01 00:00:00\+00:00/);

    // the window [05:00 Jan 1, Feb 1) with its offset dropped, as dbt drops it
    expect(dbtIds(dbtDir, 'ev')).toEqual([2, 3]);
    for (const t of TABLES) expect(await txIds(fx, t), t).toEqual(dbtIds(dbtDir, t));
    for (const m of ['ev.sql', 'down.sql', 'orders.sql', 'unsampled.sql']) expect(sqlOf(fx.dir, m), m).toBe(sqlOf(dbtDir, m));
    expect(sqlOf(fx.dir, 'orders.sql')).toContain("ordered_at >= '2024-01-01 05:00:00+00:00' and ordered_at < '2024-02-01 00:00:00+00:00'");
    // data tests are not sampled (dbt filters only what models and snapshots read)
    const testSql = fx.read('target/compiled/samp/models/sources.yml/not_null_ev_id.sql');
    expect(testSql).not.toMatch(/>=/);

    const m = fx.json<{ nodes: Record<string, { config: { event_time: unknown } }>; sources: Record<string, { config: { event_time: unknown } }> }>('target/manifest.json');
    const theirs = JSON.parse(readFileSync(join(dbtDir, 'target/manifest.json'), 'utf8')) as typeof m;
    for (const id of ['model.samp.ev', 'seed.samp.events', 'model.samp.down']) expect(m.nodes[id]!.config.event_time, id).toBe(theirs.nodes[id]!.config.event_time);
    expect(m.sources['source.samp.raw.raw_orders']!.config.event_time).toBe('ordered_at');
    expect(theirs.sources['source.samp.raw.raw_orders']!.config.event_time).toBe('ordered_at');
    // the window is kept in run_results args (so tx retry reads the same rows)
    expect(fx.json<{ args: { sample: unknown } }>('target/run_results.json').args.sample).toEqual({ start: '2024-01-01T05:00:00.000Z', end: '2024-02-01T00:00:00.000Z' });
  }, 600_000);

  it.skipIf(noPython)('"N days" ends now: rows made 1, 2, 5 and 40 days ago, sampled by 3 days, 2 months and 1 hour, as dbt samples them', async () => {
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-sample-dbt-'));
    dirs.push(dbtDir);
    writeFiles(dbtDir, FILES);
    const fx = fixtureProject(FILES, { dbFile: 'wh.duckdb' });
    fixtures.push(fx);
    for (const [window, expected] of [
      ['3 days', [1, 2]],
      ['2 Months', [1, 2, 5, 40]],
      ['1 hour', []],
    ] as const) {
      dbt(dbtDir, 'run', '--select', 'recent', 'recent_down', '--sample', window);
      const r = await fx.tx('run', '--select', 'recent', 'recent_down', '--sample', window);
      expect(r.code, r.output).toBe(0);
      expect(dbtIds(dbtDir, 'recent_down'), window).toEqual(expected);
      expect(await txIds(fx, 'recent_down'), window).toEqual(expected);
      expect(await txIds(fx, 'recent'), window).toEqual([1, 2, 5, 40]);
    }
  }, 600_000);

  it('a bad window is exit 2 and builds nothing', async () => {
    const fx = fixtureProject({ 'project.yml': 'name: bad\n', 'models/a.sql': "{{ config(event_time='ts') }}select current_timestamp as ts" });
    fixtures.push(fx);
    const cases: [string, RegExp][] = [
      ['3days', /cannot read a window from `3days`: it must be of the form 'DAYS_INT GRAIN_SIZE'/],
      ['x days', /`x` is not an integer/],
      ['3 weeks', /invalid grain size `weeks`: one of hour, day, month, year, hours, days, months, years/],
      ['{start: "2024-02-01", end: "2024-01-01"}', /start must be before end/],
      ['{start: "2024-02-30 00:00:00", end: "2024-03-01"}', /`start: 2024-02-30 00:00:00` is not a valid date and time/],
      ['{start: "2024-01-01"}', /the window needs `end`/],
      ['{begin: "2024-01-01", end: "2024-02-01"}', /unknown key `begin` \(start, end\)/],
    ];
    for (const [w, msg] of cases) {
      const r = await fx.tx('build', '--sample', w);
      expect(r.code, w).toBe(2);
      expect(r.stderr, w).toMatch(msg);
    }
    expect(fx.exists('bad.duckdb')).toBe(false);
  }, 400_000);
});

describe('--sample on PostgreSQL: tx and dbt-core 1.10 (dbt-postgres)', () => {
  let svc: PostgresService;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    svc = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const d of dbs) await d.drop().catch(() => undefined);
    await svc?.stop();
  });

  it.skipIf(noPython)('the same rows, and the same SQL with dbt-postgres\' subquery alias', async () => {
    const profile = (db: string) => dbtPostgresProfile('samp', svc, db, 'samp');
    const txDb = await createTestDatabase(svc, 'tx_sample');
    const dbtDb = await createTestDatabase(svc, 'dbt_sample');
    dbs.push(txDb, dbtDb);
    const files: Files = { ...FILES };
    delete files['models/recent.sql'];
    delete files['models/recent_down.sql'];
    files['models/sources.yml'] = String(files['models/sources.yml']).replace('schema: main', 'schema: samp');
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-sample-dbt-pg-'));
    dirs.push(dbtDir);
    writeFiles(dbtDir, { ...files, 'profiles.yml': profile(dbtDb.name) });
    const fx = fixtureProject({ ...files, 'profiles.yml': profile(txDb.name) });
    fixtures.push(fx);

    dbt(dbtDir, 'seed');
    dbt(dbtDir, 'build', '--sample', WINDOW);
    expect((await fx.tx('seed')).code).toBe(0);
    const b = await fx.tx('build', '--sample', WINDOW);
    expect(b.code, b.output).toBe(0);

    const ids = async (url: string, table: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(`select * from samp.${table} order by 1`)).rows.map((r) => Object.values(r)[0]);
      } finally {
        await c.end();
      }
    };
    expect(await ids(dbtDb.url, 'ev')).toEqual([2, 3]);
    for (const t of TABLES) expect(await ids(txDb.url, t), t).toEqual(await ids(dbtDb.url, t));
    const sql = (dir: string, db: string, model: string) => readFileSync(join(dir, 'target/compiled/samp/models', model), 'utf8').split(`"${db}".`).join('').trim();
    for (const m of ['ev.sql', 'down.sql', 'orders.sql']) expect(sql(fx.dir, txDb.name, m), m).toBe(sql(dbtDir, dbtDb.name, m));
    expect(sql(fx.dir, txDb.name, 'ev.sql')).toContain(') _dbt_et_filter_subq_events');
  }, 600_000);
});
