/**
 * Templating, config precedence and graph errors, compiled in-process on small fixture
 * projects (no database: compile never touches one).
 */
import { describe, expect, it } from 'vitest';
import { compileError, compileFixture, compiledSql, dedent } from '../../testing/fixture-project.js';

const P = (yml = '') => ({ 'project.yml': `name: fx\n${dedent(yml)}` });

describe('templating', () => {
  it('ref() and source() render the quoted relation, `this` the model itself', async () => {
    const c = await compileFixture({
      ...P(),
      'models/a.sql': 'select 1 as id',
      'models/b.sql': "select * from {{ ref('a') }} join {{ source('raw', 'events') }} using (id) -- {{ this }} / {{ this.name }} / {{ this.schema }}",
      'models/sources.yml': dedent(`
        version: 2
        sources:
          - name: raw
            schema: landing
            tables:
              - name: events
                identifier: events_v2
      `),
    });
    expect(compiledSql(c, 'b')).toBe('select * from "main"."a" join "landing"."events_v2" using (id) -- "main"."b" / b / main');
    expect(c.nodes.get('model.fx.b')!.dependsOn.sort()).toEqual(['model.fx.a', 'source.fx.raw.events']);
  });

  it('a file source path can use var() and env_var()', async () => {
    const c = await compileFixture(
      {
        ...P('vars:\n  day: 2024-05-01\n'),
        'models/s.yml': "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: f\n        path: \"{{ env_var('TX_FX_ROOT') }}/{{ var('day') }}/f.parquet\"\n",
        'models/a.sql': "select * from {{ source('raw', 'f') }}",
      },
      { env: { TX_FX_ROOT: '/landing' } },
    );
    expect(c.nodes.get('source.fx.raw.f')!.source).toMatchObject({ path: '/landing/2024-05-01/f.parquet', format: 'parquet' });
  });

  it('ref() inside a {% for %} loop and in a non-literal call is still captured for the DAG', async () => {
    const c = await compileFixture({
      ...P(),
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select 2 as id',
      'models/u.sql': "{% for m in ['a', 'b'] %}select * from {{ ref(m) }}{% if not loop.last %} union all {% endif %}{% endfor %}",
    });
    expect(compiledSql(c, 'u')).toBe('select * from "main"."a" union all select * from "main"."b"');
    expect(c.nodes.get('model.fx.u')!.dependsOn.sort()).toEqual(['model.fx.a', 'model.fx.b']);
  });

  it('var(): project vars, a default, and --vars overriding project vars', async () => {
    const files = {
      ...P(`
        vars:
          region: west
          n: 3
      `),
      'models/a.sql': "select '{{ var('region') }}' as r, {{ var('n') }} as n, '{{ var('missing', 'dflt') }}' as d, {{ var('k', default=7) }} as k",
    };
    expect(compiledSql(await compileFixture(files), 'a')).toBe("select 'west' as r, 3 as n, 'dflt' as d, 7 as k");
    expect(compiledSql(await compileFixture(files, { vars: { region: 'east', missing: 'given' } }), 'a')).toBe("select 'east' as r, 3 as n, 'given' as d, 7 as k");
  });

  it('env_var(): the environment, else the default', async () => {
    const files = { ...P(), 'models/a.sql': "select '{{ env_var('TX_FX_A') }}' as a, '{{ env_var('TX_FX_B', 'fallback') }}' as b" };
    expect(compiledSql(await compileFixture(files, { env: { TX_FX_A: 'from-env' } }), 'a')).toBe("select 'from-env' as a, 'fallback' as b");
    expect(compiledSql(await compileFixture(files, { env: { TX_FX_A: 'x', TX_FX_B: 'set' } }), 'a')).toBe("select 'x' as a, 'set' as b");
  });

  it('`target` has name, type and schema but never the password', async () => {
    const c = await compileFixture(
      {
        ...P(`
          target: dev
          targets:
            dev:
              type: duckdb
              path: target/dev.duckdb
              schema: analytics
              password: "{{ env_var('TX_FX_SECRET') }}"
        `),
        'models/a.sql': "select '{{ target.name }}' as n, '{{ target.type }}' as t, '{{ target.schema }}' as s, '{{ target.password is defined }}' as p",
      },
      { env: { TX_FX_SECRET: 's3cr3t-pw' } },
    );
    expect(compiledSql(c, 'a')).toBe("select 'dev' as n, 'duckdb' as t, 'analytics' as s, 'False' as p");
    expect(c.target.config.password).toBe('s3cr3t-pw'); // the driver gets it...
    expect(JSON.stringify(c.target.public)).not.toContain('s3cr3t-pw'); // ...templates and artifacts do not
    expect(c.nodes.get('model.fx.a')!.relationName).toBe('"analytics"."a"');
  });

  it('is_incremental() is false at compile time and true when the runner re-renders an existing incremental model', async () => {
    const c = await compileFixture({
      ...P(),
      'models/inc.sql': dedent(`
        {{ config(materialized='incremental', unique_key='id') }}
        select * from range(10) t(id)
        {% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}
      `),
    });
    expect(compiledSql(c, 'inc')).not.toContain('where');
    expect(c.nodes.get('model.fx.inc')!.usesIsIncremental).toBe(true);
    expect(await c.renderModel('model.fx.inc', { isIncremental: true })).toContain('where id > (select max(id) from "main"."inc")');
  });

  it('run_started_at.strftime() and isoformat() use the run start time (UTC)', async () => {
    const c = await compileFixture(
      { ...P(), 'models/a.sql': "select '{{ run_started_at.strftime('%Y-%m-%d %H:%M:%S') }}' as s, '{{ run_started_at.strftime('%Y%m%d') }}' as d, '{{ run_started_at.isoformat() }}' as i" },
      { runStartedAt: new Date('2024-03-07T08:09:10.123Z') },
    );
    // dbt's run_started_at is an aware datetime in pytz.utc: Python's isoformat
    expect(compiledSql(c, 'a')).toBe("select '2024-03-07 08:09:10' as s, '20240307' as d, '2024-03-07T08:09:10.123000+00:00' as i");
  });

  it('log() sends its message to the logger (info=True for the console) and renders nothing', async () => {
    const logged: [string, boolean][] = [];
    const c = await compileFixture(
      { ...P(), 'models/a.sql': "{{ log('quiet note') }}{{ log('loud note', info=True) }}select 1 as id" },
      { log: (m, info) => logged.push([m, info]) },
    );
    expect(compiledSql(c, 'a')).toBe('select 1 as id');
    expect(logged).toEqual([
      ['quiet note', false],
      ['loud note', true],
    ]);
  });

  it('project macros are callable from models, from other macros and from hooks; a macro can return()', async () => {
    const c = await compileFixture({
      ...P(`
        on-run-start: "create table if not exists {{ audit_table() }} (x int)"
      `),
      'macros/util.sql': dedent(`
        {% macro cents(col) -%} ({{ col }} * 100)::bigint {%- endmacro %}
        {% macro dollars_and_cents(col) -%} {{ col }}, {{ cents(col) }} as {{ col }}_cents {%- endmacro %}
        {% macro audit_table() %}{{ return('main.audit') }}{% endmacro %}
      `),
      'models/a.sql': 'select {{ dollars_and_cents("price") }} from (select 1.5 as price)',
    });
    expect(compiledSql(c, 'a')).toBe('select price, (price * 100)::bigint as price_cents from (select 1.5 as price)');
    expect(c.renderString(c.project.onRunStart[0]!, 'project.yml (on-run-start)')).toBe('create table if not exists main.audit (x int)');
  });

  it('raise_compiler_error() in a macro stops compilation with its message and the model file', async () => {
    const e = await compileError({
      ...P(),
      'macros/guard.sql': "{% macro must_be_positive(n) %}{% if n <= 0 %}{{ exceptions.raise_compiler_error('n must be positive, got ' ~ n) }}{% endif %}{{ n }}{% endmacro %}",
      'models/ok.sql': 'select {{ must_be_positive(2) }} as n',
      'models/bad.sql': 'select 1 as x,\n  {{ must_be_positive(-1) }} as n',
    });
    expect(e.code).toBe('TEMPLATE');
    expect(e.message).toContain('n must be positive, got -1');
    expect(e.location.file).toBe('models/bad.sql');
    expect(e.location.line).toBe(2);
    expect(e.exitCode).toBe(2);
  });

  it('raise_compiler_error() called directly from a model', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': "{% if var('mode', 'x') == 'x' %}{{ raise_compiler_error('mode x is retired') }}{% endif %}select 1" });
    expect(e.code).toBe('TEMPLATE');
    expect(e.format()).toMatch(/^models\/a\.sql:1(:\d+)?: mode x is retired/);
  });

  it('a project generate_schema_name overrides the built-in', async () => {
    const files = {
      ...P(`
        models:
          fx:
            marts:
              +schema: mart
      `),
      'models/marts/m.sql': 'select 1 as id',
      'models/s.sql': 'select * from {{ ref("m") }}',
    };
    // built-in: <target schema>_<custom schema>
    const builtin = await compileFixture(files);
    expect(builtin.nodes.get('model.fx.m')!.relationName).toBe('"main_mart"."m"');
    const overridden = await compileFixture({
      ...files,
      'macros/naming.sql': dedent(`
        {% macro generate_schema_name(custom_schema_name, node) -%}
          {%- if custom_schema_name -%}{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}
        {%- endmacro %}
      `),
    });
    expect(overridden.nodes.get('model.fx.m')!.relationName).toBe('"mart"."m"');
    expect(overridden.nodes.get('model.fx.s')!.relationName).toBe('"main"."s"');
    expect(compiledSql(overridden, 's')).toBe('select * from "mart"."m"');
  });

  it('a project generate_alias_name overrides the built-in too', async () => {
    const c = await compileFixture({
      ...P(),
      'macros/naming.sql': '{% macro generate_alias_name(custom_alias_name, node) -%}t_{{ node.name }}{%- endmacro %}',
      'models/a.sql': 'select 1 as id',
    });
    expect(c.nodes.get('model.fx.a')!.relationName).toBe('"main"."t_a"');
  });

  it('whitespace control: {%- -%} and {{- -}} strip, plain tags keep whitespace', async () => {
    const c = await compileFixture({
      ...P(),
      'models/a.sql': 'select\n  {%- for c in ["x", "y"] %}\n  {{ c }}{{ "," if not loop.last }}\n  {%- endfor %}\nfrom t   {{- " -- end" }}',
      'models/b.sql': 'select\n{% if true %}\n1 as id\n{% endif %}\n',
    });
    expect(compiledSql(c, 'a')).toBe('select\n  x,\n  y\nfrom t -- end');
    // jinja2 drops the template's one trailing newline (keep_trailing_newline is off in dbt)
    expect(c.nodes.get('model.fx.b')!.compiledSql).toBe('select\n\n1 as id\n');
  });

  it('descriptions use {{ doc("x") }} from .md docs blocks', async () => {
    const c = await compileFixture({
      ...P(),
      'models/docs.md': '{% docs orders_doc %}\nOne row per **order**.\n{% enddocs %}\n\n{% docs id_doc %}The order id.{% enddocs %}\n',
      'models/orders.sql': 'select 1 as id',
      'models/orders.yml': dedent(`
        version: 2
        models:
          - name: orders
            description: '{{ doc("orders_doc") }}'
            columns:
              - name: id
                description: '{{ doc("id_doc") }} Never null.'
      `),
    });
    const n = c.nodes.get('model.fx.orders')!;
    expect(n.description).toBe('One row per **order**.');
    expect(n.columns.map((x) => [x.name, x.description])).toEqual([['id', 'The order id. Never null.']]);
  });

  it('doc() naming no docs block is an error with the closest name', async () => {
    const e = await compileError({
      ...P(),
      'models/docs.md': '{% docs orders_doc %}x{% enddocs %}',
      'models/orders.sql': 'select 1 as id',
      'models/orders.yml': 'version: 2\nmodels:\n  - name: orders\n    description: \'{{ doc("order_doc") }}\'\n',
    });
    expect(e.message).toContain('order_doc');
    expect(e.hint).toContain('orders_doc');
  });

  it('ephemeral models are inlined as CTEs (nested ones too) and get no relation', async () => {
    const c = await compileFixture({
      ...P(),
      'models/base.sql': "{{ config(materialized='ephemeral') }}select 1 as id",
      'models/mid.sql': "{{ config(materialized='ephemeral') }}select id + 1 as id from {{ ref('base') }}",
      'models/top.sql': "select * from {{ ref('mid') }}",
      'models/with_cte.sql': "with x as (select 5 as id) select * from x union all select * from {{ ref('base') }}",
    });
    expect(c.nodes.get('model.fx.base')!.relationName).toBeUndefined();
    expect(c.nodes.get('model.fx.mid')!.relationName).toBeUndefined();
    const top = compiledSql(c, 'top');
    expect(top).toMatch(/^with "__tx_cte__mid" as \(/);
    expect(top).toContain('"__tx_cte__base" as (\nselect 1 as id\n)');
    expect(top).toContain('select * from "__tx_cte__mid"');
    // a model that already has a WITH gets the CTE prepended to its list
    const w = compiledSql(c, 'with_cte');
    expect(w).toMatch(/^with "__tx_cte__base" as \(\nselect 1 as id\n\),\nx as \(select 5 as id\)/);
    expect(c.nodes.get('model.fx.top')!.dependsOn).toEqual(['model.fx.mid']);
  });
});

describe('config precedence', () => {
  const files = {
    ...P(`
      models:
        fx:
          +materialized: view
          +tags: [everything]
          marts:
            +materialized: table
            +schema: marts
            +tags: [mart]
            finance:
              +materialized: incremental
              +tags: finance
          legacy:
            +enabled: false
    `),
    'models/root.sql': 'select 1 as id',
    'models/marts/m.sql': 'select 1 as id',
    'models/marts/finance/f_plain.sql': 'select 1 as id',
    'models/marts/finance/f_props.sql': 'select 1 as id',
    'models/marts/finance/f_both.sql': "{{ config(materialized='view', tags=['inline']) }}select 1 as id",
    'models/marts/finance/props.yml': dedent(`
      version: 2
      models:
        - name: f_props
          config:
            materialized: table
            schema: props_schema
        - name: f_both
          config:
            materialized: table
    `),
    'models/legacy/old.sql': 'select 1 as id',
  };

  it('folder config applies, deeper folders win, tags accumulate; properties beat project.yml; config() beats both', async () => {
    const c = await compileFixture(files);
    const cfg = (n: string) => c.nodes.get(`model.fx.${n}`)!;
    expect(cfg('root').config.materialized).toBe('view');
    expect(cfg('root').tags).toEqual(['everything']);
    expect(cfg('m').config.materialized).toBe('table');
    expect(cfg('m').relationName).toBe('"main_marts"."m"');
    expect(cfg('f_plain').config.materialized).toBe('incremental');
    expect(cfg('f_plain').tags).toEqual(['everything', 'mart', 'finance']);
    expect(cfg('f_props').config.materialized).toBe('table');
    expect(cfg('f_props').relationName).toBe('"main_props_schema"."f_props"');
    expect(cfg('f_both').config.materialized).toBe('view');
    expect(cfg('f_both').tags).toEqual(['everything', 'mart', 'finance', 'inline']);
  });

  it('enabled: false on a folder drops its models from the project', async () => {
    const c = await compileFixture(files);
    expect([...c.nodes.keys()].filter((k) => k.startsWith('model.')).sort()).toEqual(
      ['model.fx.f_both', 'model.fx.f_plain', 'model.fx.f_props', 'model.fx.m', 'model.fx.root'],
    );
  });

  it('a ref to a disabled model says it is disabled', async () => {
    const e = await compileError({ ...files, 'models/uses_old.sql': "select * from {{ ref('old') }}" });
    expect(e.code).toBe('REF');
    expect(e.hint).toMatch(/disabled/);
  });

  it('config(enabled=false) in SQL disables a model', async () => {
    const c = await compileFixture({ ...P(), 'models/a.sql': '{{ config(enabled=false) }}select 1', 'models/b.sql': 'select 1' });
    expect(c.nodes.has('model.fx.a')).toBe(false);
    expect(c.nodes.has('model.fx.b')).toBe(true);
  });
});

describe('bad input at compile time', () => {
  it('a cycle prints the whole cycle', async () => {
    const e = await compileError({
      ...P(),
      'models/a.sql': "select * from {{ ref('c') }}",
      'models/b.sql': "select * from {{ ref('a') }}",
      'models/c.sql': "select * from {{ ref('b') }}",
      'models/d.sql': "select * from {{ ref('a') }}",
    });
    expect(e.code).toBe('CYCLE');
    expect(e.message).toContain('a → b → c → a');
    expect(e.exitCode).toBe(2);
  });

  it('a model that refs itself is a cycle of one', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': "select * from {{ ref('a') }}" });
    expect(e.code).toBe('CYCLE');
    expect(e.message).toContain('a → a');
  });

  it('a ref to a missing model names the file, the line and the closest names', async () => {
    const e = await compileError({
      ...P(),
      'models/customers.sql': 'select 1 as id',
      'models/customer_orders.sql': 'select 1 as id',
      'models/report.sql': "select *\nfrom {{ ref('customers') }}\njoin {{ ref('customer') }} using (id)",
    });
    expect(e.code).toBe('REF');
    expect(e.location).toMatchObject({ file: 'models/report.sql', line: 3 });
    expect(e.message).toContain('`customer`');
    expect(e.hint).toContain('`customers`');
    expect(e.format()).toMatch(/^models\/report\.sql:3: /);
  });

  it('a source that is not declared names the file and the closest source', async () => {
    const e = await compileError({
      ...P(),
      'models/s.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n',
      'models/a.sql': "select 1\nfrom {{ source('raw', 'order') }}",
    });
    expect(e.code).toBe('REF');
    expect(e.location).toMatchObject({ file: 'models/a.sql', line: 2 });
    expect(e.hint).toContain('raw.orders');
  });

  it('an undefined macro names file:line:col and the closest macro', async () => {
    const e = await compileError({
      ...P(),
      'macros/m.sql': '{% macro cents_to_dollars(c) %}{{ c }} / 100{% endmacro %}',
      'models/a.sql': 'select\n  {{ cent_to_dollars("x") }} as d',
    });
    expect(e.code).toBe('TEMPLATE');
    expect(e.message).toContain('cent_to_dollars');
    expect(e.location).toMatchObject({ file: 'models/a.sql', line: 2 });
    // the column points into the call: `{{` is at 3, the name at 6, its `(` at 21
    expect(e.location.column).toBeGreaterThanOrEqual(3);
    expect(e.location.column).toBeLessThanOrEqual(21);
    expect(e.hint).toContain('cents_to_dollars');
  });

  it('an undefined macro called inside a macro defined in the model is an error naming the model and the place', async () => {
    // as in dbt, a model's own macro is stored as dbt_macro__<name>: `local()` alone is undefined
    const plain = await compileError({
      ...P(),
      'models/a.sql': '{% macro local() %}x{% endmacro %}select {{ local() }} as x',
    });
    expect(plain.message).toBe('undefined macro or function `local`');
    const e = await compileError({
      ...P(),
      'models/a.sql': '{% macro local() %}\n{{ nope_nope() }}{% endmacro %}select {{ dbt_macro__local() }} as x',
    });
    expect(e.code).toBe('TEMPLATE');
    expect(e.message).toContain('nope_nope');
    expect(e.location).toMatchObject({ file: 'models/a.sql', line: 2 });
  });

  it('a template syntax error names file:line:col', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': 'select 1 as a,\n  2 as b,\n  {{ 1 + }} as c' });
    expect(e.code).toBe('TEMPLATE');
    expect(e.location).toMatchObject({ file: 'models/a.sql', line: 3 });
    expect(e.location.column).toBeGreaterThan(0);
    expect(e.format()).toMatch(/^models\/a\.sql:3:\d+: /);
  });

  it('an unclosed block is a syntax error naming the block', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': 'select 1\n{% if true %}\nwhere x' });
    expect(e.code).toBe('TEMPLATE');
    expect(e.location).toMatchObject({ file: 'models/a.sql', line: 2 });
    expect(e.message).toMatch(/endif/);
  });

  it('a syntax error in a macro file names the macro file', async () => {
    const e = await compileError({ ...P(), 'macros/bad.sql': '{% macro m() %}{{ 1 + }}{% endmacro %}', 'models/a.sql': 'select 1' });
    expect(e.code).toBe('TEMPLATE');
    expect(e.location.file).toBe('macros/bad.sql');
    expect(e.location.line).toBe(1);
  });

  it('var() with no value and no default', async () => {
    const e = await compileError({ ...P('vars:\n  regoin: x\n'), 'models/a.sql': "select '{{ var('region') }}'" });
    expect(e.code).toBe('VAR');
    expect(e.message).toContain('`region`');
    expect(e.location.file).toBe('models/a.sql');
    expect(e.hint).toContain('regoin');
  });

  it('env_var() with no value and no default', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': "select '{{ env_var('TX_FX_SURELY_UNSET') }}'" }, { env: {} });
    expect(e.code).toBe('VAR');
    expect(e.message).toContain('TX_FX_SURELY_UNSET');
    expect(e.location.file).toBe('models/a.sql');
  });

  it('a misspelled key in config() says "did you mean `materialized`?"', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': "{{ config(materialzed='table') }}\nselect 1" });
    expect(e.code).toBe('PROJECT');
    expect(e.message).toContain('materialzed');
    expect(e.hint).toBe('did you mean `materialized`?');
    expect(e.location.file).toBe('models/a.sql');
  });

  it('a misspelled config key in a dynamically captured config() (inside {% if %} with a var) is caught too', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': "{% if var('x', 1) == 1 %}{{ config(materialzed=var('m', 'table')) }}{% endif %}select 1" });
    expect(e.hint).toBe('did you mean `materialized`?');
  });

  it('an invalid materialization value names the allowed ones', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': "{{ config(materialized='tabel') }}select 1" });
    expect(e.code).toBe('PROJECT');
    expect(e.hint).toContain('table');
  });

  it('a model and a seed with one name', async () => {
    const e = await compileError({ ...P(), 'models/a.sql': 'select 1', 'seeds/a.csv': 'x\n1\n' });
    expect(e.code).toBe('DUPLICATE');
    expect(e.message).toContain('`a`');
  });

  it('properties that describe a model with no SQL file name the file and the closest model', async () => {
    const e = await compileError({ ...P(), 'models/orders.sql': 'select 1', 'models/props.yml': 'version: 2\nmodels:\n  - name: order\n' });
    expect(e.code).toBe('REF');
    expect(e.location).toMatchObject({ file: 'models/props.yml', line: 3 });
    expect(e.hint).toContain('`orders`');
  });

  it('an unknown target names the targets there are', async () => {
    const e = await compileError(
      { ...P('targets:\n  dev:\n    type: duckdb\n  prod:\n    type: duckdb\n    path: target/prod.duckdb\n'), 'models/a.sql': 'select 1' },
      { target: 'prd' },
    );
    expect(e.code).toBe('TARGET');
    expect(e.message).toContain('prd');
    expect(e.hint).toContain('prod');
  });
});
