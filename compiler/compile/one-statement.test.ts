/**
 * One statement per model, test and snapshot, in process: every kind of node whose compiled SQL
 * holds a second statement is a compile error with file:line; hooks may hold several, as in dbt.
 */
import { describe, expect, it } from 'vitest';
import { compileError, compileFixture } from '../../testing/fixture-project.js';

const INJECT = "x'; drop table main.sentinel; --";

describe('several statements are refused at compile time', () => {
  it('a model (the var of issue 13), naming the line of the `;`', async () => {
    const e = await compileError({ 'models/m.sql': "select 1 as id\nwhere 'a' <> '{{ var('v') }}'\n" }, { vars: { v: INJECT } });
    expect(e.format()).toMatch(/^models\/m\.sql:2: the compiled SQL of model `m` holds 2 statements: a `;` on line 2 ends the first, and `drop table main\.sentinel` follows; a model is one query, and nothing was run\n {2}hint: .*\| literal/);
  });

  it('an ephemeral model, before it is inlined anywhere', async () => {
    const e = await compileError({
      'models/e.sql': "{{ config(materialized='ephemeral') }}select 1 as id; select 2 as id\n",
      'models/m.sql': "select * from {{ ref('e') }}\n",
    });
    expect(e.message).toMatch(/compiled SQL of model `e` holds 2 statements/);
    expect(e.location.file).toBe('models/e.sql');
  });

  it('a generic test whose macro renders two statements', async () => {
    const e = await compileError({
      'models/m.sql': 'select 1 as id\n',
      'macros/t.sql': "{% test not_x(model, column_name, x) %}select * from {{ model }} where {{ column_name }} = '{{ x }}'{% endtest %}\n",
      'models/p.yml': `version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - not_x: {x: "${INJECT}"}\n`,
    });
    expect(e.message).toMatch(/the compiled SQL of test `not_x` on model `m`, column `id` holds 2 statements/);
    expect(e.location).toMatchObject({ file: 'models/p.yml', line: 7 });
  });

  it('a singular test with the injected var', async () => {
    const e = await compileError({ 'models/m.sql': 'select 1 as id\n', 'tests/t.sql': "select * from {{ ref('m') }}\nwhere 'a' = '{{ var('v') }}'\n" }, { vars: { v: INJECT } });
    expect(e.format()).toMatch(/^tests\/t\.sql:2: singular test `t` holds 2 statements/);
  });

  it('a snapshot', async () => {
    const e = await compileError({
      'models/src.sql': 'select 1 as id, current_timestamp as updated_at\n',
      'snapshots/snap.sql': "{% snapshot snap %}\n{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}\nselect * from {{ ref('src') }} where 'a' <> '{{ var('v') }}'\n{% endsnapshot %}\n",
    }, { vars: { v: INJECT } });
    expect(e.message).toMatch(/^the compiled SQL of snapshot `snap` holds 2 statements/);
    expect(e.location.file).toBe('snapshots/snap.sql');
  });

  it('an incremental model rendered again at run time (is_incremental() true)', async () => {
    const c = await compileFixture({
      'models/inc.sql': "{{ config(materialized='incremental') }}select 1 as id\n{% if is_incremental() %}where id > (select max(id) from {{ this }}); delete from {{ this }}{% endif %}\n",
    });
    await expect(c.renderModel('model.fx.inc', { isIncremental: false })).resolves.toContain('select 1 as id');
    await expect(c.renderModel('model.fx.inc', { isIncremental: true })).rejects.toThrow(/compiled SQL of model `inc` holds 2 statements/);
  });
});

describe('what stays allowed', () => {
  it('one trailing semicolon, semicolons in strings and comments, and hooks with several statements', async () => {
    const c = await compileFixture({
      'models/m.sql': "{{ config(pre_hook=\"create table if not exists main.a (x int); create table if not exists main.b (x int)\") }}\nselect 'a;b' as s -- ; here\n/* ; and here */;\n",
      'tests/t.sql': "select * from {{ ref('m') }} where s = ';';\n",
    });
    expect(c.nodes.get('model.fx.m')!.compiledSql).toContain("'a;b'");
  });

  it('literal() quotes the same value so that it stays one statement', async () => {
    const c = await compileFixture({ 'models/m.sql': "select 1 as id\nwhere 'a' <> {{ var('v') | literal }} and 2 in {{ [1, 2] | literal }} and {{ literal(none) }} is null\n" }, { vars: { v: INJECT } });
    expect(c.nodes.get('model.fx.m')!.compiledSql).toBe("select 1 as id\nwhere 'a' <> 'x''; drop table main.sentinel; --' and 2 in (1, 2) and null is null");
  });
});
