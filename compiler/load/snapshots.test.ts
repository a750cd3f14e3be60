/**
 * Loading and compiling snapshots without a database: `{% snapshot %}` blocks (several per file,
 * whitespace control, config() and ref() inside), `snapshot-paths` and `snapshots:` config in
 * dbt_project.yml, YAML snapshots (relation:) and YAML entries describing a block snapshot,
 * legacy target_schema, and the errors a broken definition gets.
 */
import { describe, expect, it } from 'vitest';
import { compileError, compileFixture } from '../../testing/fixture-project.js';
import { snapshotBlocks } from './snapshots.js';

const block = (name: string, config: string, sql: string) => `{% snapshot ${name} %}\n{{ config(${config}) }}\n${sql}\n{% endsnapshot %}\n`;
const TS = "unique_key='id', strategy='timestamp', updated_at='u'";

describe('snapshot blocks', () => {
  it('cuts the blocks out of a file as dbt does: several per file, whitespace control, lines', () => {
    const text = `-- a comment outside\n{% snapshot a %}\nselect 1\n{% endsnapshot %}\n\n{%- snapshot b -%}\n  select 2  \n{%- endsnapshot -%}\n`;
    expect(snapshotBlocks(text, 'x.sql')).toEqual([
      { name: 'a', body: '\nselect 1\n', line: 2 },
      { name: 'b', body: 'select 2', line: 6 },
    ]);
    expect(() => snapshotBlocks('{% snapshot a %}\nselect 1\n', 'x.sql')).toThrow(/snapshot `a` has no \{% endsnapshot %\}/);
    expect(() => snapshotBlocks('{% snapshot a %}\n{% snapshot b %}{% endsnapshot %}', 'x.sql')).toThrow(/not closed before the next/);
    expect(() => snapshotBlocks('select 1 {% endsnapshot %}', 'x.sql')).toThrow(/without its \{% snapshot %\}/);
  });
});

describe('snapshot nodes', () => {
  it('compile like models: refs, sources, config() over project config, fqn with the file name, DAG edges both ways', async () => {
    const c = await compileFixture({
      'project.yml': 'name: p\nsnapshots:\n  p:\n    +tags: [nightly]\n    hist:\n      +hard_deletes: invalidate\n',
      'models/orders.sql': 'select 1 as id, current_timestamp as u\n',
      'models/props.yml': 'sources:\n  - name: raw\n    tables: [{name: customers}]\n',
      'snapshots/hist/orders_snap.sql': block('orders_snapshot', TS, "select * from {{ ref('orders') }}") + block('customers_snapshot', "unique_key=['id', 'region'], strategy='check', check_cols='all'", "select * from {{ source('raw', 'customers') }}"),
      'models/current.sql': "select * from {{ ref('orders_snapshot') }} where dbt_valid_to is null\n",
    });
    const s = c.nodes.get('snapshot.p.orders_snapshot')!;
    expect(s).toMatchObject({ resourceType: 'snapshot', path: 'snapshots/hist/orders_snap.sql', fqn: ['p', 'hist', 'orders_snap', 'orders_snapshot'], dependsOn: ['model.p.orders'], tags: ['nightly'] });
    expect(s.config).toMatchObject({ materialized: 'snapshot', strategy: 'timestamp', unique_key: 'id', hard_deletes: 'invalidate' });
    expect(s.compiledSql!.trim()).toBe('select * from "main"."orders"');
    expect(c.nodes.get('snapshot.p.customers_snapshot')!.dependsOn).toEqual(['source.p.raw.customers']);
    expect(c.nodes.get('model.p.current')!.dependsOn).toEqual(['snapshot.p.orders_snapshot']);
    const order = c.dag.order(new Set(c.nodes.keys()));
    expect(order.indexOf('snapshot.p.orders_snapshot')).toBeLessThan(order.indexOf('model.p.current'));
  });

  it('dbt projects: snapshot-paths, a snapshots: block with +target_schema (taken as written), YAML snapshots and YAML descriptions of block snapshots', async () => {
    const c = await compileFixture({
      'dbt_project.yml': 'name: d\nprofile: d\nsnapshot-paths: [history]\nsnapshots:\n  d:\n    +target_schema: snaps\n',
      'profiles.yml': 'd:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: d.duckdb, schema: analytics}\n',
      'models/orders.sql': 'select 1 as id, current_timestamp as u\n',
      'history/s.sql': block('blocky', TS, "select * from {{ ref('orders') }}"),
      'history/props.yml': [
        'snapshots:',
        '  - name: yamly',
        "    relation: ref('orders')",
        '    config: {unique_key: id, strategy: check, check_cols: [u], target_schema: other}',
        '  - name: blocky',
        '    description: orders over time',
        '    config: {hard_deletes: new_record}',
        '    columns: [{name: id, description: the key}]',
      ].join('\n'),
    });
    const b = c.nodes.get('snapshot.d.blocky')!;
    expect(b.relation).toMatchObject({ schema: 'snaps', identifier: 'blocky' });
    expect(b.description).toBe('orders over time');
    expect(b.columns.map((x) => x.name)).toEqual(['id']);
    expect(b.config.hard_deletes).toBe('new_record');
    const y = c.nodes.get('snapshot.d.yamly')!;
    expect(y.rawSql).toBe("select * from {{ ref('orders') }}");
    expect(y.relation).toMatchObject({ schema: 'other', identifier: 'yamly' });
    expect(y.dependsOn).toEqual(['model.d.orders']);
    // without target_schema: named as a model (target schema, or generate_schema_name with +schema)
    const m = await compileFixture({ 'project.yml': 'name: q\n', 'models/o.sql': 'select 1 as id, 1 as u\n', 'snapshots/s.sql': block('s', `${TS}, schema='hist'`, "select * from {{ ref('o') }}") });
    expect(m.nodes.get('snapshot.q.s')!.relation).toMatchObject({ schema: 'main_hist', identifier: 's' });
  });

  it('errors: a file without a block, a YAML description of no snapshot, a bad relation, duplicate names, a snapshot named as a model', async () => {
    const base = { 'project.yml': 'name: p\n', 'models/orders.sql': 'select 1 as id, 1 as u\n' };
    let e = await compileError({ ...base, 'snapshots/plain.sql': "select * from {{ ref('orders') }}\n" });
    expect(e.format()).toMatch(/^snapshots\/plain\.sql:1: snapshots\/plain\.sql is in a snapshot folder but holds no \{% snapshot name %\}/);
    e = await compileError({ ...base, 'snapshots/s.sql': block('s', TS, "select * from {{ ref('orders') }}"), 'snapshots/p.yml': 'snapshots:\n  - name: ss\n    description: x\n' });
    expect(e.format()).toMatch(/snapshots\/p\.yml:2: properties describe snapshot `ss`, but no \{% snapshot ss %\} block exists[\s\S]*did you mean `s`/);
    e = await compileError({ ...base, 'snapshots/p.yml': "snapshots:\n  - name: y\n    relation: orders\n    config: {unique_key: id, strategy: timestamp, updated_at: u}\n" });
    expect(e.message).toMatch(/`relation` of snapshot `y` must be ref\('model'\) or source/);
    e = await compileError({ ...base, 'snapshots/a.sql': block('s', TS, 'select 1'), 'snapshots/b.sql': block('s', TS, 'select 2') });
    expect(e.message).toMatch(/two snapshots are named `s`: snapshots\/a\.sql:1 and snapshots\/b\.sql:1/);
    e = await compileError({ ...base, 'snapshots/a.sql': block('orders', TS, 'select 1 as id, 1 as u') });
    expect(e.message).toMatch(/a snapshot and a model are both named `orders`/);
    e = await compileError({ ...base, 'snapshots/a.sql': block('s', "unique_key='id', strategy='timestamp'", 'select 1') });
    expect(e.format()).toMatch(/snapshots\/a\.sql:1: snapshot `s`: the timestamp strategy needs `updated_at`/);
    e = await compileError({ ...base, 'snapshots/a.sql': block('s', `${TS}, snapshot_meta_column_names={'dbt_valid_too': 'x'}`, 'select 1') });
    expect(e.message).toMatch(/unknown key `dbt_valid_too` in snapshot_meta_column_names/);
    expect(e.hint).toMatch(/dbt_valid_to/);
  });
});
