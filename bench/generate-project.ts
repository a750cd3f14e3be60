import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A synthetic tx project of `models` models: chains and fan-ins of refs, macro calls,
 * vars, config() and an is_incremental() block in some, about 30 lines of SQL each.
 */
export function generateProject(dir: string, models: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models', 'layer'), { recursive: true });
  mkdirSync(join(dir, 'macros'), { recursive: true });
  writeFileSync(
    join(dir, 'project.yml'),
    `name: bench\nvars:\n  region: us\n  min_amount: 10\nmodels:\n  bench:\n    +materialized: view\n`,
  );
  writeFileSync(
    join(dir, 'macros', 'helpers.sql'),
    `{% macro cents(col) -%}cast({{ col }} * 100 as bigint){%- endmacro %}\n` +
      `{% macro safe_div(a, b) -%}case when {{ b }} = 0 then null else {{ a }} / {{ b }} end{%- endmacro %}\n`,
  );
  for (let i = 0; i < models; i++) {
    const deps: number[] = [];
    if (i > 0) deps.push(i - 1); // chain
    if (i > 10 && i % 7 === 0) deps.push(i - 10, i - 5); // fan-in
    const from = deps.length ? `{{ ref('m${deps[0]}') }}` : `(select 1 as id, 2.5 as amount, 'a' as label)`;
    const joins = deps
      .slice(1)
      .map((d, j) => `left join {{ ref('m${d}') }} as j${j} on j${j}.id = base.id`)
      .join('\n');
    const incremental = i % 50 === 0;
    const sql = `{{ config(materialized='${incremental ? 'incremental' : i % 3 === 0 ? 'table' : 'view'}'${incremental ? ", unique_key='id'" : ''}, tags=['layer${i % 5}']) }}
-- model ${i}: synthetic
with base as (
    select
        id,
        amount,
        label
    from ${from}
),
enriched as (
    select
        base.id,
        base.amount,
        {{ cents('base.amount') }} as amount_cents,
        {{ safe_div('base.amount', '2') }} as half,
        '{{ var("region") }}' as region,
        base.label
    from base
    ${joins}
)
select
    id,
    amount,
    amount_cents,
    half,
    region,
    label
from enriched
where amount >= {{ var('min_amount', 0) }} or amount < 0
{% if is_incremental() %}
  and id > (select coalesce(max(id), 0) from {{ this }})
{% endif %}
`;
    writeFileSync(join(dir, 'models', 'layer', `m${i}.sql`), sql);
  }
}

/**
 * A properties file describing every model of a generated project (a description and three
 * described columns each), as dbt projects document their models: models/layer/props.yml.
 */
export function generateProperties(dir: string, models: number): void {
  const out = ['version: 2', 'models:'];
  for (let i = 0; i < models; i++) {
    out.push(`  - name: m${i}`, `    description: "Synthetic model ${i}, described for the docs site."`, '    columns:');
    for (const c of ['id', 'amount', 'label']) out.push(`      - name: ${c}`, `        description: "The ${c} of model ${i}."`);
  }
  writeFileSync(join(dir, 'models', 'layer', 'props.yml'), `${out.join('\n')}\n`);
}

/**
 * A properties file giving every model of a generated project three generic data tests, as dbt
 * projects test their models (`unique` and `not_null` on id, `accepted_values` on label):
 * models/layer/tests.yml, 3 × models tests.
 */
export function generateTests(dir: string, models: number): void {
  const out = ['version: 2', 'models:'];
  for (let i = 0; i < models; i++) {
    out.push(`  - name: m${i}`, '    columns:', '      - name: id', '        data_tests: [unique, not_null]', '      - name: label', '        data_tests:', '          - accepted_values:');
    out.push("              values: ['a', 'b', 'c']");
  }
  writeFileSync(join(dir, 'models', 'layer', 'tests.yml'), `${out.join('\n')}\n`);
}
