/**
 * The DuckDB target on its own, on real database files: atomic replacement (a reader never sees
 * a missing or half-built table, a failed build keeps the previous version), materialization
 * edge cases, seeds, the dialect and the introspector.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelBuild, Relation, TargetSession } from '../target.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { runCli } from '../../testing/fixture-project.js';
import { createDuckdbTarget } from './index.js';

let dir: string;
let session: TargetSession;
const statements: string[] = [];
const log = { statement: (sql: string) => void statements.push(sql), info: () => undefined, warn: () => undefined };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tx-duck-'));
  statements.length = 0;
  session = await createDuckdbTarget('t', { type: 'duckdb', path: join(dir, 'db.duckdb') }, dir).open({ log, threads: 4 });
  await session.ensureSchema('main');
});
afterEach(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

const rel = (identifier: string, schema = 'main'): Relation => ({ schema, identifier });
const build = (r: Relation, sql: string, extra: Partial<ModelBuild> = {}): ModelBuild => ({
  uniqueId: `model.t.${r.identifier}`,
  relation: r,
  sql,
  materialized: 'table',
  fullRefresh: false,
  options: {},
  ...extra,
});
const incremental = (r: Relation, sql: string, strategy: 'append' | 'merge' | 'delete+insert', uniqueKey: string[] = []) =>
  build(r, sql, { materialized: 'incremental', incremental: { strategy, uniqueKey, onSchemaChange: 'ignore' } });
const q = (sql: string) => session.connection.query(sql);
const num = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));

describe('atomic replacement', () => {
  it('a table build that fails leaves the previous table, its rows and no temporary relation', async () => {
    await session.materialize(build(rel('t'), 'select * from range(4) t(id)'));
    await expect(session.materialize(build(rel('t'), "select id, 'x'::integer as bad from range(9) t(id)"))).rejects.toThrow(/Conversion Error/);
    expect(num(await q('select count(*) as n, max(id) as m from main.t'))).toEqual([{ n: 4, m: 3 }]);
    expect(await q("select table_name from information_schema.tables where table_name like 't__tx_%'")).toEqual([]);
  });

  it('a view that fails to build leaves the previous view', async () => {
    await session.materialize(build(rel('v'), 'select 1 as id', { materialized: 'view' }));
    await expect(session.materialize(build(rel('v'), 'select * from no_such_table', { materialized: 'view' }))).rejects.toThrow(/no_such_table/);
    expect(num(await q('select * from main.v'))).toEqual([{ id: 1 }]);
  });

  it('the new table is built beside the old one and swapped in one transaction', async () => {
    await session.materialize(build(rel('t'), 'select 1 as id'));
    statements.length = 0;
    await session.materialize(build(rel('t'), 'select 2 as id'));
    const create = statements.findIndex((s) => /create table "main"\."t__tx_new" as/.test(s));
    const begin = statements.findIndex((s, i) => i > create && /^begin/i.test(s));
    const drop = statements.findIndex((s, i) => i > begin && /drop table "main"\."t"$/.test(s));
    const rename = statements.findIndex((s, i) => i > drop && /alter table "main"\."t__tx_new" rename to "t"/.test(s));
    const commit = statements.findIndex((s, i) => i > rename && /^commit/i.test(s));
    expect([create, begin, drop, rename, commit].every((i) => i >= 0)).toBe(true);
  });

  it('a reader polling the table while it is replaced again and again never misses it nor sees it half-built', async () => {
    await session.materialize(build(rel('t'), 'select * from range(50000) t(id)'));
    let stop = false;
    const seen = new Set<number>();
    const errors: string[] = [];
    const reader = (async () => {
      while (!stop) {
        try {
          const r = await q('select count(*) as n from main.t');
          seen.add(Number(r[0]!.n));
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    })();
    for (let i = 0; i < 8; i++) await session.materialize(build(rel('t'), `select * from range(${i % 2 ? 70000 : 50000}) t(id)`));
    stop = true;
    await reader;
    expect(errors).toEqual([]);
    // only complete versions, and both of them: the reader really ran during the swaps
    expect([...seen].sort()).toEqual([50000, 70000]);
  });

  it('a table can replace a view and a view a table', async () => {
    await session.materialize(build(rel('x'), 'select 1 as id', { materialized: 'view' }));
    await session.materialize(build(rel('x'), 'select 2 as id'));
    expect(await q("select table_type from information_schema.tables where table_name = 'x'")).toEqual([{ table_type: 'BASE TABLE' }]);
    await session.materialize(build(rel('x'), 'select 3 as id', { materialized: 'view' }));
    expect(await q("select table_type from information_schema.tables where table_name = 'x'")).toEqual([{ table_type: 'VIEW' }]);
    expect(num(await q('select * from main.x'))).toEqual([{ id: 3 }]);
  });
});

describe('incremental on DuckDB', () => {
  it('the first build creates the table; later builds apply the strategy', async () => {
    const r1 = await session.materialize(incremental(rel('i'), 'select 1 as id', 'append'));
    expect(r1.action).toBe('created table');
    const r2 = await session.materialize(incremental(rel('i'), 'select 2 as id', 'append'));
    expect(r2).toMatchObject({ action: 'incremental append', rowsAffected: 1 });
    expect(num(await q('select id from main.i order by id'))).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('merge matches NULL keys as equal (is not distinct from)', async () => {
    await session.materialize(incremental(rel('m'), "select * from (values (null, 'a'), (1, 'b')) t(k, v)", 'merge', ['k']));
    await session.materialize(incremental(rel('m'), "select * from (values (null, 'A')) t(k, v)", 'merge', ['k']));
    expect(num(await q('select k, v from main.m order by k nulls first'))).toEqual([
      { k: null, v: 'A' },
      { k: 1, v: 'b' },
    ]);
  });

  it('a unique_key that is not in the output is a clear error, and the table is unchanged', async () => {
    await session.materialize(incremental(rel('m'), 'select 1 as id', 'merge', ['id']));
    await expect(session.materialize(incremental(rel('m'), 'select 2 as other', 'merge', ['id']))).rejects.toThrow(/unique_key column `id` is not in the model's output/);
    expect(num(await q('select * from main.m'))).toEqual([{ id: 1 }]);
  });

  it('delete+insert without a unique_key is a clear error', async () => {
    await session.materialize(incremental(rel('d'), 'select 1 as id', 'delete+insert'));
    await expect(session.materialize(incremental(rel('d'), 'select 2 as id', 'delete+insert'))).rejects.toThrow(/needs a unique_key/);
  });

  it('a failing incremental step rolls back: no half-applied delete', async () => {
    await session.materialize(incremental(rel('r'), "select * from (values (1, 'a'), (2, 'b')) t(id, v)", 'delete+insert', ['id']));
    // the insert fails after the delete ran (v does not fit the integer column the table has)
    await session.connection.execute('create or replace table main.r as select 1::integer as id, 10::integer as v union all select 2, 20');
    await expect(session.materialize(incremental(rel('r'), "select * from (values (1, 'not a number')) t(id, v)", 'delete+insert', ['id']))).rejects.toThrow();
    expect(num(await q('select * from main.r order by id'))).toEqual([
      { id: 1, v: 10 },
      { id: 2, v: 20 },
    ]);
  });

  it('--full-refresh replaces the table', async () => {
    await session.materialize(incremental(rel('f'), 'select 1 as id', 'append'));
    await session.materialize({ ...incremental(rel('f'), 'select 5 as id', 'append'), fullRefresh: true });
    expect(num(await q('select * from main.f'))).toEqual([{ id: 5 }]);
  });
});

describe('seeds', () => {
  it('header, delimiter, quote and column types', async () => {
    const path = join(dir, 's.tsv');
    writeFileSync(path, "code\tname\n007\t'Bond\tJames'\n");
    const r = await session.loadSeed({ uniqueId: 'seed.t.s', relation: rel('s'), path, delimiter: '\t', quote: "'", header: true, columnTypes: { code: 'string' } });
    expect(r.rowsLoaded).toBe(1);
    expect(await q('select * from main.s')).toEqual([{ code: '007', name: 'Bond\tJames' }]);
  });

  it('a seed that fails to load leaves the previous table', async () => {
    const path = join(dir, 's.csv');
    writeFileSync(path, 'n\n1\n2\n');
    await session.loadSeed({ uniqueId: 'seed.t.s', relation: rel('s'), path, delimiter: ',', quote: '"', header: true, columnTypes: {} });
    writeFileSync(path, 'n\nx\n');
    await expect(session.loadSeed({ uniqueId: 'seed.t.s', relation: rel('s'), path, delimiter: ',', quote: '"', header: true, columnTypes: { n: 'integer' } })).rejects.toThrow();
    expect(num(await q('select * from main.s order by n'))).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe('dialect and introspection', () => {
  it('quotes identifiers (doubling quotes), names relations with and without a database', () => {
    expect(duckdbDialect.quoteIdentifier('a"b')).toBe('"a""b"');
    expect(duckdbDialect.relationName({ schema: 's', identifier: 't' })).toBe('"s"."t"');
    expect(duckdbDialect.relationName({ database: 'd', schema: 's', identifier: 't' })).toBe('"d"."s"."t"');
    expect(duckdbDialect.literal("it's")).toBe("'it''s'");
    expect(duckdbDialect.typeName('string')).toBe('VARCHAR');
    expect(duckdbDialect.typeName('decimal(10,2)')).toBe('DECIMAL(10,2)');
  });

  it('columns and existence of relations', async () => {
    await session.materialize(build(rel('c'), "select 1::integer as a, 'x' as b, current_date as d"));
    expect(await session.columns(rel('c'))).toEqual([
      { name: 'a', type: 'INTEGER' },
      { name: 'b', type: 'VARCHAR' },
      { name: 'd', type: 'DATE' },
    ]);
    expect(await session.relationExists(rel('c'))).toBe(true);
    expect(await session.relationExists(rel('nope'))).toBe(false);
    expect(await session.columns(rel('nope'))).toEqual([]);
    await session.dropRelation(rel('c'));
    expect(await session.relationExists(rel('c'))).toBe(false);
  });

  it('a schema with an awkward name works end to end', async () => {
    await session.ensureSchema('my schema');
    await session.materialize(build(rel('odd "name"', 'my schema'), 'select 1 as id'));
    expect(num(await q('select * from "my schema"."odd ""name"""'))).toEqual([{ id: 1 }]);
  });
});

describe('a pool of one connection', () => {
  it('every materialization and load completes with threads: 1 (no connection is acquired twice)', async () => {
    const one = await createDuckdbTarget('t1', { type: 'duckdb', path: join(dir, 'one.duckdb') }, dir).open({ log, threads: 1 });
    const within = <T>(p: Promise<T>, what: string) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish: a deadlocked pool?`)), 20_000))]);
    try {
      await one.ensureSchema('main');
      const r = rel('x');
      await within(one.materialize(build(r, 'select 1 as id', { materialized: 'view' })), 'view');
      await within(one.materialize(build(r, 'select 1 as id')), 'table over a view');
      await within(one.materialize(build(r, 'select 2 as id')), 'table over a table');
      const inc = (sql: string) => ({ ...build(r, sql, { materialized: 'incremental' }), incremental: { strategy: 'merge' as const, uniqueKey: ['id'], onSchemaChange: 'sync_all_columns' as const } });
      await within(one.materialize(inc("select 2 as id, 'b' as v")), 'incremental with a schema change');
      const csv = join(dir, 'f.csv');
      writeFileSync(csv, 'id,v\n1,a\n');
      await within(one.loadSeed({ uniqueId: 'seed.t.s', relation: rel('s'), path: csv, delimiter: ',', quote: '"', header: true, columnTypes: {} }), 'seed');
      await within(one.loadFileSource({ uniqueId: 'source.t.f', relation: rel('f'), files: [csv], format: 'csv', options: {}, rejectsRelation: rel('f__rejects') }), 'file source');
      await within(
        one.loadFileSource({ uniqueId: 'source.t.g', relation: rel('g'), files: [csv], format: 'csv', columns: [{ name: 'id', type: 'integer' }, { name: 'v', type: 'string' }], options: {}, rejectsRelation: rel('g__rejects') }),
        'typed file source',
      );
      expect(num(await one.connection.query('select * from main.x'))).toEqual([{ id: 2, v: 'b' }]);
      expect(num(await one.connection.query('select * from main.g'))).toEqual([{ id: 1, v: 'a' }]);
    } finally {
      await one.close();
    }
  });
});

describe('the database file', () => {
  it('is created with its missing folders; a folder that cannot be made is a clear error, not a hang (/proc)', async () => {
    const deep = join(dir, 'a', 'b', 'c.duckdb');
    const s = await createDuckdbTarget('deep', { type: 'duckdb', path: deep }, dir).open({ log, threads: 1 });
    await s.close();
    // In a child process with a hard timeout: Node's recursive mkdir spins forever under /proc,
    // which no test timeout could interrupt in this process.
    for (const path of ['/proc/tx-no-such/db.duckdb', join(dir, 'a', 'b', 'c.duckdb', 'x.duckdb')]) {
      const project = mkdtempSync(join(tmpdir(), 'tx-duck-path-'));
      try {
        writeFileSync(join(project, 'project.yml'), `name: p\ntargets:\n  duckdb:\n    type: duckdb\n    path: ${JSON.stringify(path)}\n`);
        mkdirSync(join(project, 'models'));
        writeFileSync(join(project, 'models', 'm.sql'), 'select 1 as x');
        for (const cmd of ['build', 'debug']) {
          const r = await runCli([cmd, '--project-dir', project], { timeoutMs: 30_000 });
          expect(r.timedOut, r.output).toBe(false);
          expect(r.code, r.output).toBe(2);
          expect(r.output).toMatch(/cannot create/);
        }
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    }
  });
});

describe('settings', () => {
  const setting = async (s: TargetSession, name: string) => String((await s.connection.query(`select current_setting('${name}') as v`))[0]!.v);

  it('take effect, those DuckDB ignores at start-up too (disabled_compression_methods), on every connection of the pool', async () => {
    const s = await createDuckdbTarget('set', { type: 'duckdb', path: join(dir, 'set.duckdb'), settings: { disabled_compression_methods: 'fsst', memory_limit: '1GB', preserve_insertion_order: false } }, dir).open({ log, threads: 3 });
    try {
      // three at once: each on its own connection of the pool
      const seen = await Promise.all([0, 1, 2].map(() => setting(s, 'disabled_compression_methods')));
      expect(seen).toEqual(['FSST', 'FSST', 'FSST']);
      expect(await setting(s, 'preserve_insertion_order')).toBe('false');
      expect(await setting(s, 'memory_limit')).toMatch(/^953\.6 MiB$/);
      // and the storage follows: no FSST segment in a table of repetitive long strings
      await s.connection.execute("create table strs as select 'prescriber number ' || (i % 5000) || ' of the city of somewhere' as s from range(300000) t(i)");
      await s.connection.execute('checkpoint');
      expect(await s.connection.query("select distinct compression from pragma_storage_info('strs') where compression ilike 'fsst%'")).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('a bad value is a clear error when the database opens', async () => {
    const open = createDuckdbTarget('bad', { type: 'duckdb', path: join(dir, 'bad.duckdb'), settings: { disabled_compression_methods: 'nope' } }, dir).open({ log, threads: 1 });
    await expect(open).rejects.toThrow(/cannot (open DuckDB database .*bad.duckdb|apply DuckDB setting disabled_compression_methods)/);
  });

  it('one that only start-up takes (access_mode) is given there and not refused after', async () => {
    const path = join(dir, 'ro.duckdb');
    await (await createDuckdbTarget('rw', { type: 'duckdb', path }, dir).open({ log, threads: 1 })).close();
    const s = await createDuckdbTarget('ro', { type: 'duckdb', path, settings: { access_mode: 'READ_ONLY' } }, dir).open({ log, threads: 1 });
    try {
      await expect(s.connection.execute('create table x as select 1 as a')).rejects.toThrow(/read-only/i);
    } finally {
      await s.close();
    }
  });
});
