import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresMaterializations } from './postgres-materializations.js';
import { build, pgFixture, rel, type PgFixture } from './postgres-test-support.js';

let f: PgFixture;
beforeAll(async () => {
  f = await pgFixture('tx_pg_mat');
  await f.session.ensureSchema('tx_test');
});
afterAll(async () => f?.close());

const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('view', () => {
  it('creates, replaces compatibly, and replaces incompatibly keeping dependent views', async () => {
    const v = rel('v_basic');
    expect(await f.session.materialize(build(v, 'select 1 as a', { materialized: 'view' }))).toEqual({ action: 'created view' });
    const oid1 = (await f.rows<{ oid: number }>(`select 'tx_test.v_basic'::regclass::oid as oid`))[0]!.oid;
    // compatible: a column added at the end -> CREATE OR REPLACE VIEW keeps the same object
    await f.session.materialize(build(v, 'select 1 as a, 2 as b', { materialized: 'view' }));
    const oid2 = (await f.rows<{ oid: number }>(`select 'tx_test.v_basic'::regclass::oid as oid`))[0]!.oid;
    expect(oid2).toBe(oid1);
    await f.admin.query(`create view tx_test.v_on_basic as select b from tx_test.v_basic`);
    // incompatible: a column removed and the type of b changed -> drop + create, dependent view recreated
    await f.session.materialize(build(v, `select 'x'::text as b`, { materialized: 'view' }));
    expect(await f.rows(`select * from tx_test.v_on_basic`)).toEqual([{ b: 'x' }]);
    expect(await f.session.columns(v)).toEqual([{ name: 'b', type: 'TEXT' }]);
  });

  it('replaces a table with a view (and back) in one transaction', async () => {
    const r = rel('flip');
    await f.session.materialize(build(r, 'select 1 as a'));
    await f.session.materialize(build(r, 'select 2 as a', { materialized: 'view' }));
    expect((await f.rows<{ relkind: string }>(`select relkind from pg_class where oid = 'tx_test.flip'::regclass`))[0]!.relkind).toBe('v');
    await f.session.materialize(build(r, 'select 3 as a'));
    expect((await f.rows<{ relkind: string }>(`select relkind from pg_class where oid = 'tx_test.flip'::regclass`))[0]!.relkind).toBe('r');
    expect(await f.rows(`select a from tx_test.flip`)).toEqual([{ a: 3 }]);
  });

  it('a view failing its contract leaves the previous view', async () => {
    const v = rel('v_contract');
    await f.session.materialize(build(v, 'select 1 as id', { materialized: 'view' }));
    await expect(
      f.session.materialize(build(v, `select 'one'::text as id`, { materialized: 'view', contract: { columns: [{ name: 'id', dataType: 'integer' }] } })),
    ).rejects.toThrow(/contract violated: column `id` is text, the contract says integer/);
    expect(await f.rows(`select id from tx_test.v_contract`)).toEqual([{ id: 1 }]);
  });
});

describe('table', () => {
  it('builds with CTAS, reports rows, and swaps', async () => {
    const t = rel('t_basic');
    const r = await f.session.materialize(build(t, 'select g as id, g * 2 as twice from generate_series(1, 10) g;'));
    expect(r).toEqual({ action: 'created table', rowsAffected: 10 });
    const r2 = await f.session.materialize(build(t, 'select g as id from generate_series(1, 3) g -- trailing comment'));
    expect(r2.rowsAffected).toBe(3);
    expect(await f.session.columns(t)).toEqual([{ name: 'id', type: 'INTEGER' }]);
    // no scratch table is left behind
    expect(await f.rows(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where nspname = 'tx_test' and relname like '%__tx_%'`)).toEqual([]);
  });

  it('a failing CTAS leaves the previous table intact', async () => {
    const t = rel('t_fail');
    await f.session.materialize(build(t, 'select 1 as a'));
    await expect(f.session.materialize(build(t, 'select 1 / 0 as a'))).rejects.toThrow(/division by zero \[SQLSTATE 22012\]/);
    await expect(f.session.materialize(build(t, 'select a from no_such_table'))).rejects.toThrow(/relation "no_such_table" does not exist/);
    expect(await f.rows(`select a from tx_test.t_fail`)).toEqual([{ a: 1 }]);
  });

  it('enforced contract: fails before the swap, naming every differing column', async () => {
    const t = rel('t_contract');
    await f.session.materialize(build(t, 'select 1 as id'));
    const contract = {
      columns: [
        { name: 'id', dataType: 'bigint' },
        { name: 'name', dataType: 'string' },
        { name: 'price', dataType: 'numeric(10,2)' },
      ],
    };
    const err = await f.session
      .materialize(build(t, `select 1::int as id, 'x'::text as name, 1.5::numeric(12,3) as price, true as extra`, { contract }))
      .then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/column `id` is integer, the contract says bigint/);
    expect(err?.message).toMatch(/column `price` is numeric\(12,3\), the contract says numeric\(10,2\)/);
    expect(err?.message).toMatch(/column `extra` is in the output but not in the contract/);
    expect(err?.message).not.toMatch(/`name`/);
    expect(await f.rows(`select * from tx_test.t_contract`)).toEqual([{ id: 1 }]);
    // and a matching contract passes (logical types and PostgreSQL spellings alike)
    await f.session.materialize(build(t, `select 1::int8 as id, 'x'::text as name, 1.5::numeric(10,2) as price`, { contract }));
    expect(await f.session.columns(t)).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'TEXT' },
      { name: 'price', type: 'NUMERIC(10,2)' },
    ]);
  });

  it('atomic swap: a concurrent reader never sees a missing table', async () => {
    const t = rel('t_swap');
    await f.session.materialize(build(t, 'select g from generate_series(1, 1000) g'));
    const reader = new pg.Client({ connectionString: f.db.url });
    await reader.connect();
    const errors: string[] = [];
    const counts = new Set<string>();
    let stop = false;
    const reading = (async () => {
      while (!stop) {
        try {
          const r = await reader.query(`select count(*)::text as n from tx_test.t_swap`);
          counts.add(r.rows[0].n);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    })();
    for (let i = 0; i < 15; i++) await f.session.materialize(build(t, `select g from generate_series(1, ${i % 2 ? 2000 : 1000}) g`));
    stop = true;
    await reading;
    await reader.end();
    expect(errors).toEqual([]);
    expect([...counts].every((n) => n === '1000' || n === '2000')).toBe(true);
    expect(counts.size).toBe(2);
  });

  it('dependent views (chains, materialized views, comments, grants) survive a rebuild and see the new rows', async () => {
    const t = rel('t_base');
    await f.session.materialize(build(t, 'select 1 as id, 10 as amount'));
    const role = `tx_reader_${process.pid}`;
    await f.admin.query(`drop role if exists ${role}`);
    await f.admin.query(`create role ${role}`);
    try {
      await f.admin.query(`create view tx_test.v1 with (security_barrier = true) as select id, amount from tx_test.t_base`);
      await f.admin.query(`create view tx_test.v2 as select id, amount * 2 as dbl from tx_test.v1`);
      await f.admin.query(`create view tx_test.v3 as select a.id from tx_test.v2 a join tx_test.t_base b using (id)`);
      await f.admin.query(`create materialized view tx_test.mv as select sum(amount) as total from tx_test.t_base`);
      await f.admin.query(`create unique index mv_total on tx_test.mv (total)`);
      await f.admin.query(`comment on view tx_test.v2 is 'doubled'`);
      await f.admin.query(`comment on column tx_test.v2.dbl is 'twice the amount'`);
      await f.admin.query(`grant select on tx_test.v1, tx_test.t_base to ${role}`);

      // the rebuilt table has an extra column and other rows
      await f.session.materialize(build(t, 'select g as id, g * 100 as amount, true as extra from generate_series(1, 3) g'));

      expect(sorted(await f.rows(`select * from tx_test.v2`))).toEqual(sorted([{ id: 1, dbl: 200 }, { id: 2, dbl: 400 }, { id: 3, dbl: 600 }]));
      expect((await f.rows(`select count(*)::int as n from tx_test.v3`))[0]).toEqual({ n: 3 });
      expect(await f.rows(`select total::int from tx_test.mv`)).toEqual([{ total: 600 }]);
      expect(await f.rows(`select indexname from pg_indexes where schemaname = 'tx_test' and tablename = 'mv'`)).toEqual([{ indexname: 'mv_total' }]);
      expect(await f.rows(`select obj_description('tx_test.v2'::regclass, 'pg_class') as c`)).toEqual([{ c: 'doubled' }]);
      expect(await f.rows(`select col_description('tx_test.v2'::regclass, 2) as c`)).toEqual([{ c: 'twice the amount' }]);
      expect(await f.rows(`select reloptions from pg_class where oid = 'tx_test.v1'::regclass`)).toEqual([{ reloptions: ['security_barrier=true'] }]);
      expect(await f.rows(`select has_table_privilege($1, 'tx_test.v1', 'select') as v, has_table_privilege($1, 'tx_test.t_base', 'select') as t`, [role])).toEqual([
        { v: true, t: true },
      ]);
    } finally {
      await f.admin.query(`drop view if exists tx_test.v3, tx_test.v2, tx_test.v1`);
      await f.admin.query(`drop materialized view if exists tx_test.mv`);
      await f.admin.query(`revoke all on tx_test.t_base from ${role}`).catch(() => undefined);
      await f.admin.query(`drop role if exists ${role}`);
    }
  });

  it('a dependent view that no longer fits fails the rebuild with its name; nothing changes', async () => {
    const t = rel('t_dep_fail');
    await f.session.materialize(build(t, 'select 1 as id, 2 as gone'));
    await f.admin.query(`create view tx_test.v_needs_gone as select gone from tx_test.t_dep_fail`);
    await expect(f.session.materialize(build(t, 'select 5 as id'))).rejects.toThrow(/dependent view "tx_test"."v_needs_gone" cannot be recreated.*column t_dep_fail.gone does not exist/s);
    expect(await f.rows(`select * from tx_test.t_dep_fail`)).toEqual([{ id: 1, gone: 2 }]);
    expect(await f.rows(`select * from tx_test.v_needs_gone`)).toEqual([{ gone: 2 }]);
  });
});

describe('identifiers', () => {
  const names = ['MixedCase', 'with space', 'quote"inside', 'select', 'ünïcødé', `it's`];
  for (const name of names) {
    it(`round-trips the name ${JSON.stringify(name)} in schema and table, for table, view and incremental`, async () => {
      const schema = `S ${name}`;
      await f.session.ensureSchema(schema);
      const t = rel(name, schema);
      await f.session.materialize(build(t, `select 1 as "Col ${name.replace(/"/g, '""')}"`));
      await f.session.materialize(build(t, `select 2 as "Col ${name.replace(/"/g, '""')}"`, { materialized: 'incremental', incremental: { strategy: 'append', uniqueKey: [], onSchemaChange: 'fail' } }));
      const v = rel(`v ${name}`, schema);
      await f.session.materialize(build(v, `select * from ${f.session.dialect.relationName(t)}`, { materialized: 'view' }));
      expect(await f.session.relationExists(t)).toBe(true);
      expect((await f.session.columns(v)).map((c) => c.name)).toEqual([`Col ${name}`]);
      const rows = await f.rows(`select count(*)::int as n from ${f.session.dialect.relationName(v)}`);
      expect(rows).toEqual([{ n: 2 }]);
      await f.session.dropRelation(v);
      expect(await f.session.relationExists(v)).toBe(false);
    });
  }

  it('an injection attempt in a table name is quoted, not executed', async () => {
    await f.session.materialize(build(rel('victim'), 'select 1 as a'));
    const evil = rel(`x"; drop table tx_test.victim; --`);
    await f.session.materialize(build(evil, 'select 1 as a'));
    await f.session.materialize(build(rel(`y'); drop table tx_test.victim; --`), 'select 1 as a', { materialized: 'view' }));
    expect(await f.rows(`select * from tx_test.victim`)).toEqual([{ a: 1 }]);
    expect(await f.rows(`select relname from pg_class where relname like 'x"%'`)).toEqual([{ relname: 'x"; drop table tx_test.victim; --' }]);
  });

  it('refuses a name PostgreSQL would silently truncate', async () => {
    await expect(f.session.materialize(build(rel('a'.repeat(64)), 'select 1'))).rejects.toThrow(/64 bytes long; PostgreSQL keeps only 63/);
    // 63 bytes is fine, and its scratch table name is shortened, not truncated into a collision
    await f.session.materialize(build(rel('b'.repeat(63)), 'select 1 as a'));
    expect(await f.session.relationExists(rel('b'.repeat(63)))).toBe(true);
  });
});

describe('incremental', () => {
  const inc = (strategy: 'append' | 'delete+insert' | 'merge', uniqueKey: string[] = [], onSchemaChange: 'ignore' | 'fail' | 'append_new_columns' | 'sync_all_columns' = 'ignore') => ({
    materialized: 'incremental' as const,
    incremental: { strategy, uniqueKey, onSchemaChange },
  });
  const all = async (name: string, order = 'k1, k2') => f.rows(`select * from tx_test.${name} order by ${order}`);

  it("widens a narrower string column as dbt's expand_target_column_types does, keeping the views that read it", async () => {
    const t = rel('inc_widen');
    await f.session.materialize(build(t, `select 'short'::varchar(5) as name, 1 as id, 'abcd'::varchar(10) as code`, inc('append', [], 'fail')));
    await f.admin.query(`create view tx_test.v_on_widen as select name from tx_test.inc_widen`);
    // name: 5 -> 20 (on_schema_change fail: a widened column is no change); code: 8 < 10 stays 10 (no change either)
    const r = await f.session.materialize(build(t, `select 'a much longer name!'::varchar(20) as name, 2 as id, 'abcdefgh'::varchar(8) as code`, inc('append', [], 'fail')));
    expect(r).toEqual({ action: 'incremental append', rowsAffected: 1 });
    // dbt's add/update/drop/rename moves the widened column to the end
    expect(await f.session.columns(t)).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'code', type: 'CHARACTER VARYING(10)' },
      { name: 'name', type: 'CHARACTER VARYING(20)' },
    ]);
    expect(await f.rows(`select * from tx_test.v_on_widen order by name desc`)).toEqual([{ name: 'short' }, { name: 'a much longer name!' }]);
  });

  it('first run creates the table; append adds rows', async () => {
    const t = rel('inc_append');
    expect((await f.session.materialize(build(t, `select 1 as k1, 'a' as k2, 10 as v`, inc('append')))).action).toBe('created table');
    const r = await f.session.materialize(build(t, `select 1 as k1, 'a' as k2, 11 as v`, inc('append')));
    expect(r).toEqual({ action: 'incremental append', rowsAffected: 1 });
    expect(await all('inc_append', 'v')).toEqual([
      { k1: 1, k2: 'a', v: 10 },
      { k1: 1, k2: 'a', v: 11 },
    ]);
  });

  for (const strategy of ['delete+insert', 'merge'] as const) {
    it(`${strategy} on a two-column key replaces matching rows and inserts new ones (NULL keys match like DuckDB)`, async () => {
      const name = `inc_${strategy.replace('+', '_')}`;
      const t = rel(name);
      await f.session.materialize(build(t, `select * from (values (1, 'a', 10), (1, 'b', 20), (2, 'a', 30), (null::int, 'n', 40)) v(k1, k2, v)`, inc(strategy, ['k1', 'k2'])));
      const r = await f.session.materialize(build(t, `select * from (values (1, 'b', 21), (3, 'c', 50)) v(k1, k2, v)`, inc(strategy, ['k1', 'k2'])));
      expect(r.action).toBe(`incremental ${strategy}`);
      expect(await all(name)).toEqual([
        { k1: 1, k2: 'a', v: 10 },
        { k1: 1, k2: 'b', v: 21 },
        { k1: 2, k2: 'a', v: 30 },
        { k1: 3, k2: 'c', v: 50 },
        { k1: null, k2: 'n', v: 40 },
      ]);
      // a NULL key in the new rows matches the NULL key in the table
      await f.session.materialize(build(t, `select null::int as k1, 'n' as k2, 41 as v`, inc(strategy, ['k1', 'k2'])));
      expect(await f.rows(`select v from tx_test.${name} where k1 is null`)).toEqual([{ v: 41 }]);
    });
  }

  it('merge before PostgreSQL 15: INSERT ... ON CONFLICT with a unique index, UPDATE + INSERT without', async () => {
    const session = f.session;
    const mat = new PostgresMaterializations(session.connection, session.intro, async () => 140000);
    const t = rel('inc_merge14');
    const b = (sql: string) => build(t, sql, inc('merge', ['id']));
    await mat.materialize(b(`select * from (values (1, 'a'), (2, 'b')) v(id, name)`));
    // no unique index yet: the UPDATE + INSERT path
    await mat.materialize(b(`select * from (values (2, 'B'), (3, 'c')) v(id, name)`));
    expect(await all('inc_merge14', 'id')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 3, name: 'c' },
    ]);
    await f.admin.query(`create unique index inc_merge14_id on tx_test.inc_merge14 (id)`);
    f.log.statements.length = 0;
    await mat.materialize(b(`select * from (values (3, 'C'), (4, 'd')) v(id, name)`));
    expect(f.log.statements.some((s) => /ON CONFLICT \("id"\) DO UPDATE SET "name" = EXCLUDED\."name"/.test(s))).toBe(true);
    expect(await all('inc_merge14', 'id')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 3, name: 'C' },
      { id: 4, name: 'd' },
    ]);
    // on 15 the same build uses MERGE
    f.log.statements.length = 0;
    await f.session.materialize(b(`select 4 as id, 'D' as name`));
    expect(f.log.statements.some((s) => /^MERGE INTO/.test(s))).toBe(true);
    expect((await all('inc_merge14', 'id')).at(-1)).toEqual({ id: 4, name: 'D' });
  });

  it('needs a unique_key for delete+insert and merge; refuses insert_overwrite', async () => {
    const t = rel('inc_nokey');
    await f.session.materialize(build(t, 'select 1 as id', inc('append')));
    await expect(f.session.materialize(build(t, 'select 1 as id', inc('merge')))).rejects.toThrow(/needs a unique_key/);
    await expect(f.session.materialize(build(t, 'select 1 as id', inc('merge', ['nope'])))).rejects.toThrow(/unique_key column `nope` is not in the model's output/);
    await expect(
      f.session.materialize(build(t, 'select 1 as id', { materialized: 'incremental', incremental: { strategy: 'insert_overwrite', uniqueKey: ['id'], onSchemaChange: 'ignore' } })),
    ).rejects.toThrow(/insert_overwrite is not supported on PostgreSQL/);
  });

  it('on_schema_change: ignore, fail, append_new_columns, sync_all_columns (with a dependent view)', async () => {
    const t = rel('inc_schema');
    await f.session.materialize(build(t, `select 1 as id, 'a'::text as name, 1 as old`, inc('append')));
    // ignore: new column dropped, removed column null
    await f.session.materialize(build(t, `select 2 as id, 'b'::text as name, 'n' as added`, inc('append', [], 'ignore')));
    expect(await all('inc_schema', 'id')).toEqual([
      { id: 1, name: 'a', old: 1 },
      { id: 2, name: 'b', old: null },
    ]);
    // fail: names every difference, changes nothing
    await expect(f.session.materialize(build(t, `select 3::bigint as id, 'n' as added`, inc('append', [], 'fail')))).rejects.toThrow(
      /on_schema_change is fail.*new column added \(text\), removed column name, removed column old, column id changed type from integer to bigint/,
    );
    expect((await all('inc_schema', 'id')).length).toBe(2);
    // append_new_columns
    await f.session.materialize(build(t, `select 3 as id, 'c'::text as name, 'x' as added`, inc('append', [], 'append_new_columns')));
    expect((await f.session.columns(t)).map((c) => c.name)).toEqual(['id', 'name', 'old', 'added']);
    // sync_all_columns: drop `old` and widen id to bigint, with a view reading the table
    await f.admin.query(`create view tx_test.v_inc_schema as select id, name from tx_test.inc_schema`);
    await f.session.materialize(build(t, `select 4::bigint as id, 'd'::text as name, 'y' as added`, inc('append', [], 'sync_all_columns')));
    expect(await f.session.columns(t)).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'TEXT' },
      { name: 'added', type: 'TEXT' },
    ]);
    expect((await f.rows(`select count(*)::int as n from tx_test.v_inc_schema`))[0]).toEqual({ n: 4 });
    expect(await f.session.columns(rel('v_inc_schema'))).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'name', type: 'TEXT' },
    ]);
  });

  it('full refresh rebuilds from scratch', async () => {
    const t = rel('inc_full');
    await f.session.materialize(build(t, 'select 1 as id', inc('append')));
    await f.session.materialize(build(t, 'select 2 as id', inc('append')));
    const r = await f.session.materialize(build(t, 'select 9 as id', { ...inc('append'), fullRefresh: true }));
    expect(r.action).toBe('created table');
    expect(await all('inc_full', 'id')).toEqual([{ id: 9 }]);
  });
});

describe('contracts', () => {
  it('varchar and text without a length are the same type to a contract; a length or another type is not', async () => {
    const t = rel('t_strings');
    const b = (sql: string, dataType: string) => build(t, sql, { contract: { columns: [{ name: 's', dataType }] } });
    await f.session.materialize(b(`select upper('x') as s`, 'varchar'));
    await f.session.materialize(b(`select 'x'::varchar as s`, 'string'));
    await f.session.materialize(b(`select 'x'::varchar(5) as s`, 'text'));
    await expect(f.session.materialize(b(`select 'x'::text as s`, 'varchar(5)'))).rejects.toThrow(/column `s` is text, the contract says varchar\(5\)/);
    await expect(f.session.materialize(b(`select 1 as s`, 'varchar'))).rejects.toThrow(/column `s` is integer, the contract says varchar/);
    await expect(f.session.materialize(b(`select 1 as s`, 'no_such_type'))).rejects.toThrow(/the contract type `no_such_type` is not a PostgreSQL type/);
  });
});
