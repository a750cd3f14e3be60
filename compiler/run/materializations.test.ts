/**
 * Materializations, seeds and file sources on real DuckDB files, through the built CLI.
 *
 * The incremental project is built three times: phase 1 creates everything, phase 2 feeds
 * new and changed rows (and new/removed columns) to every strategy and on_schema_change mode,
 * phase 2 again with --full-refresh rebuilds from scratch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, duckdbMemory, fixtureProject, once, snapshot, type FixtureProject, type Row } from '../../testing/fixture-project.js';

const inc = (cfg: string, phase1: string, phase2: string, filter = '') =>
  dedent(`
    {{ config(materialized='incremental', ${cfg}) }}
    {% if var('phase') == 1 %}
    ${phase1}
    {% else %}
    ${phase2}
    {% endif %}
    ${filter}
  `);

const INCREMENTAL_FILES = {
  'project.yml': 'name: mat\n',
  // append: only rows newer than what the table holds (is_incremental() must be true on the second run)
  'models/inc_append.sql': inc(
    "incremental_strategy='append'",
    "select * from (values (1, 'a'), (2, 'b')) t(id, v)",
    "select * from (values (1, 'a'), (2, 'b'), (3, 'c')) t(id, v)",
    '{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}',
  ),
  // append without a filter: every row again
  'models/inc_append_all.sql': inc("incremental_strategy='append'", "select * from (values (1, 'a')) t(id, v)", "select * from (values (2, 'b')) t(id, v)"),
  'models/inc_delete_insert.sql': inc(
    "incremental_strategy='delete+insert', unique_key='id'",
    "select * from (values (1, 'a'), (2, 'b')) t(id, v)",
    "select * from (values (2, 'B'), (3, 'c')) t(id, v)",
  ),
  'models/inc_merge.sql': inc("incremental_strategy='merge', unique_key='id'", "select * from (values (1, 'a'), (2, 'b')) t(id, v)", "select * from (values (2, 'B'), (3, 'c')) t(id, v)"),
  'models/inc_merge_default.sql': inc("unique_key='id'", "select * from (values (1, 'a'), (2, 'b')) t(id, v)", "select * from (values (2, 'B'), (3, 'c')) t(id, v)"),
  'models/inc_merge_composite.sql': inc(
    "incremental_strategy='merge', unique_key=['k1', 'k2']",
    "select * from (values (1, 1, 'a'), (1, 2, 'b')) t(k1, k2, v)",
    "select * from (values (1, 2, 'B'), (2, 1, 'c')) t(k1, k2, v)",
  ),
  'models/inc_delete_insert_composite.sql': inc(
    "incremental_strategy='delete+insert', unique_key=['k1', 'k2']",
    "select * from (values (1, 1, 'a'), (1, 2, 'b')) t(k1, k2, v)",
    "select * from (values (1, 2, 'B'), (2, 1, 'c')) t(k1, k2, v)",
  ),
  'models/osc_ignore.sql': inc(
    "unique_key='id', on_schema_change='ignore'",
    "select * from (values (1, 'a')) t(id, v)",
    "select * from (values (2, 'b', 'x')) t(id, v, extra)",
  ),
  'models/osc_fail.sql': inc("unique_key='id', on_schema_change='fail'", "select * from (values (1, 'a')) t(id, v)", "select * from (values (2, 'b', 'x')) t(id, v, extra)"),
  'models/osc_fail_child.sql': "select * from {{ ref('osc_fail') }}",
  'models/osc_append.sql': inc(
    "unique_key='id', on_schema_change='append_new_columns'",
    "select * from (values (1, 'a')) t(id, v)",
    "select * from (values (2, 'b', 'x')) t(id, v, extra)",
  ),
  'models/osc_sync.sql': inc(
    "unique_key='id', on_schema_change='sync_all_columns'",
    "select * from (values (1, 'a', 10)) t(id, v, n)",
    "select * from (values (2, 20::bigint, 'x')) t(id, n, extra)",
  ),
  // a table whose phase-2 SQL fails in DuckDB: the phase-1 table must survive untouched
  'models/t_keep.sql': dedent(`
    {{ config(materialized='table') }}
    {% if var('phase') == 1 %}select * from range(5) t(id){% else %}select id, 'not a number'::integer as broken from range(7) t(id){% endif %}
  `),
  'models/t_keep_child.sql': "{{ config(materialized='table') }}select count(*) as n from {{ ref('t_keep') }}",
};

const fixtures: FixtureProject[] = [];
const project = (files: Record<string, string>) => {
  const fx = fixtureProject(files);
  fixtures.push(fx);
  return fx;
};
const cols = (t: string) => `select column_name as c from information_schema.columns where table_name = '${t}' order by ordinal_position`;
const names = (rows: Row[]) => rows.map((r) => r.c);

// ---- pipelines: every fixture's CLI runs, started together in beforeAll, awaited by the tests

const incremental = once(async () => {
  const fx = project(INCREMENTAL_FILES);
  const run1 = await fx.tx('run', '--vars', '{phase: 1}', '--threads', '4');
  const afterRun1 = await fx.relations();
  const run2 = await fx.tx('run', '--vars', '{"phase": 2}', '--threads', '4');
  const db = await snapshot(fx.dbFile, {
    inc_append: 'select * from main.inc_append order by all',
    inc_append_all: 'select * from main.inc_append_all order by all',
    inc_delete_insert: 'select * from main.inc_delete_insert order by all',
    inc_merge: 'select * from main.inc_merge order by all',
    inc_merge_default: 'select * from main.inc_merge_default order by all',
    inc_merge_composite: 'select * from main.inc_merge_composite order by all',
    inc_delete_insert_composite: 'select * from main.inc_delete_insert_composite order by all',
    osc_ignore: 'select * from main.osc_ignore order by all',
    osc_append: 'select * from main.osc_append order by all',
    osc_sync: 'select * from main.osc_sync order by all',
    osc_fail: 'select * from main.osc_fail order by all',
    t_keep: 'select * from main.t_keep order by all',
    t_keep_child: 'select * from main.t_keep_child',
    cols_osc_ignore: cols('osc_ignore'),
    cols_osc_append: cols('osc_append'),
    cols_osc_sync: cols('osc_sync'),
    cols_osc_fail: cols('osc_fail'),
    leftovers: "select table_name from information_schema.tables where table_name like '%__tx_%'",
  });
  const run3 = await fx.tx('run', '--vars', '{phase: 2}', '--full-refresh', '--exclude', 't_keep+', '--threads', '4');
  const refreshed = await snapshot(fx.dbFile, {
    inc_delete_insert: 'select * from main.inc_delete_insert order by all',
    inc_append_all: 'select * from main.inc_append_all order by all',
    inc_append: 'select id from main.inc_append order by all',
    cols_osc_fail: cols('osc_fail'),
  });
  return { run1, afterRun1, run2, db, run3, refreshed };
});

const basic = once(async () => {
  const fx = project({
    'project.yml': 'name: basic\n',
    'models/v.sql': 'select 1 as id',
    'models/t.sql': "{{ config(materialized='table') }}select * from range(3) t(id)",
    'models/eph.sql': "{{ config(materialized='ephemeral') }}select id * 10 as id from {{ ref('t') }}",
    'models/from_eph.sql': "{{ config(materialized='table') }}select * from {{ ref('eph') }}",
    'models/switch.sql': "{{ config(materialized=var('switch_to', 'view')) }}select 42 as answer",
  });
  const run = await fx.tx('run');
  const relations = await fx.relations();
  const fromEph = await fx.query('select * from main.from_eph order by id');
  const executedSql = fx.read('target/run/basic/models/from_eph.sql');
  const toTable = await fx.tx('run', '--select', 'switch', '--vars', '{switch_to: table}');
  const afterToTable = await fx.relations();
  const toView = await fx.tx('run', '--select', 'switch');
  const afterToView = await fx.relations();
  const switchRows = await fx.query('select * from main.switch');
  return { run, relations, fromEph, executedSql, toTable, afterToTable, toView, afterToView, switchRows };
});

const seeds = once(async () => {
  const fx = project({
    'project.yml': dedent(`
      name: seeds
      seeds:
        seeds:
          zips:
            +column_types: {zip: varchar, amount: 'decimal(10,2)'}
    `),
    'seeds/people.csv': 'id,name,born,score,active\n1,Ann,2001-02-03,1.5,true\n2,"Bo, Jr.",1999-12-31,2.25,false\n',
    'seeds/zips.csv': 'zip,amount\n00501,1.10\n02134,20\n',
    'seeds/semi.csv': "id;label\n1;'a;b'\n2;'it''s'\n",
    'seeds/props.yml': dedent(`
      version: 2
      seeds:
        - name: semi
          config:
            delimiter: ";"
            quote: "'"
    `),
  });
  const run = await fx.tx('seed');
  const db = await snapshot(fx.dbFile, {
    peopleCols: "select column_name, data_type from information_schema.columns where table_name = 'people' order by ordinal_position",
    bo: 'select name from main.people where id = 2',
    zipCols: "select column_name, data_type from information_schema.columns where table_name = 'zips' order by ordinal_position",
    zips: 'select zip from main.zips order by zip',
    semi: 'select id, label from main.semi order by id',
  });
  fx.write({ 'seeds/people.csv': 'id,name,born,score,active\n7,Cy,2010-01-01,3,true\n' });
  const reseed = await fx.tx('seed', '--select', 'people');
  const reseeded = await fx.query('select id, name from main.people');
  return { run, db, reseed, reseeded };
});

const files = once(async () => {
  const fx = project({
    'project.yml': 'name: files\n',
    'data/orders.csv': 'id,amount\n1,10\n2,20\n',
    'data/parts/part-00000.csv': 'id,city\n1,Austin\n2,Boston\n',
    'data/parts/part-00001.csv': 'id,city\n3,Chicago\n',
    'data/parts/_SUCCESS': '',
    'data/events/2024-01.jsonl': '{"id": 1, "kind": "open"}\n{"id": 2, "kind": "close"}\n',
    'data/events/2024-02.jsonl': '{"id": 3, "kind": "open"}\n',
    'data/events/notes.txt': 'not data',
    'data/lake/README': 'the parquet file is written by the test',
    'models/sources.yml': dedent(`
      version: 2
      sources:
        - name: vendor
          tables:
            - name: orders
              path: data/orders.csv
            - name: cities
              path: data/parts
              format: csv
            - name: events
              path: data/events/*.jsonl
        - name: lake
          tables:
            - name: t
              path: data/lake/t.parquet
    `),
    'models/report.sql': dedent(`
      {{ config(materialized='table') }}
      select
        (select sum(amount) from {{ source('vendor', 'orders') }}) as order_total,
        (select string_agg(city, ',' order by id) from {{ source('vendor', 'cities') }}) as cities,
        (select count(*) from {{ source('vendor', 'events') }} where kind = 'open') as opens,
        (select max(s) from {{ source('lake', 't') }}) as parquet_max
    `),
  });
  await duckdbMemory(`copy (select 1 as id, 'x' as s union all select 2, 'y') to '${fx.path('data/lake/t.parquet')}' (format parquet)`);
  const run = await fx.tx('build');
  const report = await fx.query('select * from main.report');
  const relations = await fx.relations();
  return { run, report, relations };
});

const parallel = once(async () => {
  const f: Record<string, string> = {
    'project.yml': 'name: par\nmodels:\n  +schema: shared\n  +materialized: table\n',
    'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n' + [1, 2, 3, 4].map((i) => `      - name: f${i}\n        path: data/f${i}.csv\n`).join(''),
  };
  for (const i of [1, 2, 3, 4]) {
    f[`data/f${i}.csv`] = `id\n${i}\n`;
    f[`models/m${i}.sql`] = `select ${i} as id`;
  }
  const fx = project(f);
  const run = await fx.tx('run', '--threads', '4');
  return { run, relations: run.code === 0 ? await fx.relations() : [] };
});

beforeAll(() => {
  for (const p of [incremental, basic, seeds, files, parallel]) void p();
});
afterAll(() => {
  for (const f of fixtures) f.cleanup();
});

describe('incremental models, on_schema_change, --full-refresh, failed builds', () => {
  it('the first run creates every incremental model as a table', async () => {
    const { run1, afterRun1 } = await incremental();
    expect(run1.stderr).toBe('');
    expect(run1.code).toBe(0);
    const incs = afterRun1.filter((r) => (r.name.startsWith('inc_') || r.name.startsWith('osc_')) && r.name !== 'osc_fail_child');
    expect(incs).toHaveLength(11);
    expect(incs.every((r) => r.type === 'table')).toBe(true);
  });

  it('append with an is_incremental() filter adds only the new rows', async () => {
    expect((await incremental()).db.inc_append).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 3, v: 'c' },
    ]);
  });

  it('append without a filter inserts every row of the model', async () => {
    expect((await incremental()).db.inc_append_all).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
  });

  it('delete+insert on a unique_key replaces matching rows and adds new ones', async () => {
    expect((await incremental()).db.inc_delete_insert).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'B' },
      { id: 3, v: 'c' },
    ]);
  });

  it('merge on a unique_key updates matching rows and inserts new ones (also the default with a unique_key)', async () => {
    const { db } = await incremental();
    const want = [
      { id: 1, v: 'a' },
      { id: 2, v: 'B' },
      { id: 3, v: 'c' },
    ];
    expect(db.inc_merge).toEqual(want);
    expect(db.inc_merge_default).toEqual(want);
  });

  it('merge and delete+insert on a composite unique_key match on every key column', async () => {
    const { db } = await incremental();
    const want = [
      { k1: 1, k2: 1, v: 'a' },
      { k1: 1, k2: 2, v: 'B' },
      { k1: 2, k2: 1, v: 'c' },
    ];
    expect(db.inc_merge_composite).toEqual(want);
    expect(db.inc_delete_insert_composite).toEqual(want);
  });

  it('on_schema_change: ignore keeps the old columns and still loads the rows', async () => {
    const { db } = await incremental();
    expect(names(db.cols_osc_ignore)).toEqual(['id', 'v']);
    expect(db.osc_ignore).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
  });

  it('on_schema_change: append_new_columns adds the new column (old rows get NULL)', async () => {
    const { db } = await incremental();
    expect(names(db.cols_osc_append)).toEqual(['id', 'v', 'extra']);
    expect(db.osc_append).toEqual([
      { id: 1, v: 'a', extra: null },
      { id: 2, v: 'b', extra: 'x' },
    ]);
  });

  it('on_schema_change: sync_all_columns adds new, drops removed and retypes changed columns', async () => {
    const { db } = await incremental();
    expect(names(db.cols_osc_sync)).toEqual(['id', 'n', 'extra']);
    expect(db.osc_sync).toEqual([
      { id: 1, n: 10, extra: null },
      { id: 2, n: 20, extra: 'x' },
    ]);
  });

  it('on_schema_change: fail stops the model with a message naming the change, and leaves the table as it was', async () => {
    const { run2, db } = await incremental();
    expect(run2.code).toBe(1);
    expect(run2.output).toMatch(/ERROR model osc_fail: .*on_schema_change is fail.*new column extra/);
    expect(names(db.cols_osc_fail)).toEqual(['id', 'v']);
    expect(db.osc_fail).toEqual([{ id: 1, v: 'a' }]);
  });

  it('a failed table build leaves the previous table intact, its children are skipped, the rest is built', async () => {
    const { run2, db } = await incremental();
    expect(run2.output).toMatch(/ERROR model t_keep: .*[Cc]onversion/);
    expect(run2.output).toMatch(/compiled SQL: target\/run\/mat\/models\/t_keep\.sql/);
    expect(db.t_keep).toEqual([{ id: 0 }, { id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    expect(run2.output).toMatch(/\d+ of 14 SKIP model t_keep_child: skipped because t_keep did not succeed/);
    expect(db.t_keep_child).toEqual([{ n: 5 }]);
    expect(run2.output).toMatch(/OK=10 WARN=0 ERROR=2 SKIP=2/);
  });

  it('no temporary relation is left behind, even after failures', async () => {
    expect((await incremental()).db.leftovers).toEqual([]);
  });

  it('--full-refresh rebuilds incremental models from scratch', async () => {
    const { run3, refreshed } = await incremental();
    expect(run3.stderr).toBe('');
    expect(run3.code).toBe(0);
    // only phase-2 rows: the old rows are gone
    expect(refreshed.inc_delete_insert).toEqual([
      { id: 2, v: 'B' },
      { id: 3, v: 'c' },
    ]);
    expect(refreshed.inc_append_all).toEqual([{ id: 2, v: 'b' }]);
    // is_incremental() is false under --full-refresh: no filter, every row
    expect(refreshed.inc_append).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    // the schema change that failed before is simply the new table
    expect(names(refreshed.cols_osc_fail)).toEqual(['id', 'v', 'extra']);
  });
});

describe('view, table, ephemeral', () => {
  it('views are views, tables are tables, ephemeral models create no relation', async () => {
    const { run, relations, fromEph } = await basic();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(relations).toEqual([
      { schema: 'main', name: 'from_eph', type: 'table' },
      { schema: 'main', name: 'switch', type: 'view' },
      { schema: 'main', name: 't', type: 'table' },
      { schema: 'main', name: 'v', type: 'view' },
    ]);
    expect(fromEph).toEqual([{ id: 0 }, { id: 10 }, { id: 20 }]);
  });

  it('the executed SQL of a model over an ephemeral holds the inlined CTE', async () => {
    expect((await basic()).executedSql).toMatch(/with "__tx_cte__eph" as \(\nselect id \* 10 as id from "main"\."t"\n\)/);
  });

  it('a view can become a table and back', async () => {
    const { toTable, afterToTable, toView, afterToView, switchRows } = await basic();
    expect(toTable.code).toBe(0);
    expect(afterToTable.find((x) => x.name === 'switch')?.type).toBe('table');
    expect(toView.code).toBe(0);
    expect(afterToView.find((x) => x.name === 'switch')?.type).toBe('view');
    expect(switchRows).toEqual([{ answer: 42 }]);
  });
});

describe('seeds', () => {
  it('loads every seed and reports rows', async () => {
    const { run } = await seeds();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/OK loaded seed main\.people \.\.\. \[2 rows in \d+\.\d\ds\]/);
    expect(run.stdout).toMatch(/OK loaded seed main\.zips \.\.\. \[2 rows in/);
  });

  it('infers column types', async () => {
    const { db } = await seeds();
    expect(db.peopleCols).toEqual([
      { column_name: 'id', data_type: 'BIGINT' },
      { column_name: 'name', data_type: 'VARCHAR' },
      { column_name: 'born', data_type: 'DATE' },
      { column_name: 'score', data_type: 'DOUBLE' },
      { column_name: 'active', data_type: 'BOOLEAN' },
    ]);
    expect(db.bo).toEqual([{ name: 'Bo, Jr.' }]);
  });

  it('column_types overrides inference (zip codes keep their leading zeros)', async () => {
    const { db } = await seeds();
    expect(db.zipCols).toEqual([
      { column_name: 'zip', data_type: 'VARCHAR' },
      { column_name: 'amount', data_type: 'DECIMAL(10,2)' },
    ]);
    expect(db.zips.map((x) => x.zip)).toEqual(['00501', '02134']);
  });

  it('delimiter and quote options', async () => {
    expect((await seeds()).db.semi).toEqual([
      { id: 1, label: 'a;b' },
      { id: 2, label: "it's" },
    ]);
  });

  it('a reseed replaces the table with the new content', async () => {
    const { reseed, reseeded } = await seeds();
    expect(reseed.code).toBe(0);
    expect(reseeded).toEqual([{ id: 7, name: 'Cy' }]);
  });
});

describe('file sources read in place', () => {
  it('csv, a folder of part files (markers skipped), a glob of json files and a parquet file each read as one source', async () => {
    const { run, report, relations } = await files();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(report).toEqual([{ order_total: 30, cities: 'Austin,Boston,Chicago', opens: 2, parquet_max: 'y' }]);
    expect(run.stdout).toMatch(/OK loaded source vendor\.cities \.\.\. \[3 rows in/);
    expect(run.stdout).toMatch(/OK loaded source vendor\.events \.\.\. \[3 rows in/);
    expect(relations.filter((r) => r.schema !== 'main')).toEqual([
      { schema: 'lake', name: 't', type: 'view' },
      { schema: 'vendor', name: 'cities', type: 'view' },
      { schema: 'vendor', name: 'events', type: 'view' },
      { schema: 'vendor', name: 'orders', type: 'view' },
    ]);
  });
});

describe('parallel nodes in one new schema', () => {
  it('several nodes creating the same schema at once do not conflict', async () => {
    const { run, relations } = await parallel();
    expect(run.output).not.toMatch(/write-write conflict/);
    expect(run.code).toBe(0);
    expect(relations.map((x) => `${x.schema}.${x.name}`)).toEqual([
      'main_shared.m1',
      'main_shared.m2',
      'main_shared.m3',
      'main_shared.m4',
      'raw.f1',
      'raw.f2',
      'raw.f3',
      'raw.f4',
    ]);
  });
});
