/**
 * tx's built-in macros. A project macro of the same name overrides each one,
 * as in dbt: the naming macros decide where every relation lands.
 */
export const BUILTIN_MACROS = `
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none or custom_schema_name == '' -%}{{ target.schema }}
  {%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{% macro generate_alias_name(custom_alias_name, node) -%}
  {%- if custom_alias_name -%}{{ custom_alias_name | trim }}{%- else -%}{{ node.name }}{%- endif -%}
{%- endmacro %}

{% macro generate_database_name(custom_database_name, node) -%}
  {%- if custom_database_name -%}{{ custom_database_name | trim }}{%- elif target.database is defined and target.database is not none -%}{{ target.database }}{%- endif -%}
{%- endmacro %}

{#- Built-in generic tests. Each returns the failing rows; a project test macro of the same name overrides it.
    tx passes model (the relation, or an aliased subquery when where: is set) and column_name (quoted).
    None of them aliases model, so the where: subquery fits anywhere.
    dbt's four (not_null, unique, accepted_values, relationships) dispatch as dbt-core's do:
    adapter.dispatch('test_<name>', 'dbt') finds the project's <adapter>__test_<name> or
    default__test_<name> first (or a package's, when dispatch: in dbt_project.yml names it for
    the dbt namespace), else tx's SQL in BUILTIN_DBT_TEST_MACROS. -#}

{% macro test_not_null(model, column_name) -%}
{{ adapter.dispatch('test_not_null', 'dbt')(model, column_name) }}
{%- endmacro %}

{% macro test_unique(model, column_name) -%}
{{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{%- endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=true) -%}
{{ adapter.dispatch('test_accepted_values', 'dbt')(model, column_name, values, quote) }}
{%- endmacro %}

{% macro test_relationships(model, column_name, to, field) -%}
{{ adapter.dispatch('test_relationships', 'dbt')(model, column_name, to, field) }}
{%- endmacro %}

{% macro test_accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) -%}
select *
from {{ model }}
where not (1 = 1
  {%- if min_value is not none %} and {{ column_name }} {{ '>=' if inclusive else '>' }} {{ min_value }}{% endif %}
  {%- if max_value is not none %} and {{ column_name }} {{ '<=' if inclusive else '<' }} {{ max_value }}{% endif %})
{%- endmacro %}

{% macro test_unique_combination_of_columns(model, combination_of_columns) -%}
select {{ combination_of_columns | join(', ') }}, count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{%- endmacro %}

{% macro test_expression_is_true(model, expression, column_name=none) -%}
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{%- endmacro %}
`;

/**
 * tx's SQL for dbt's four generic tests, under dbt-core's names (`default__test_not_null`, ...):
 * registered in the `dbt` namespace, where the dispatching `test_<name>` of BUILTIN_MACROS looks
 * last, and as flat names (as dbt's global macros are).
 */
export const BUILTIN_DBT_TEST_MACROS = `
{% macro default__test_not_null(model, column_name) -%}
select * from {{ model }} where {{ column_name }} is null
{%- endmacro %}

{% macro default__test_unique(model, column_name) -%}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{%- endmacro %}

{% macro default__test_accepted_values(model, column_name, values, quote=true) -%}
select {{ column_name }} as value_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null and {{ column_name }} not in (
  {%- for v in values -%}
    {%- if quote -%}'{{ v | replace("'", "''") }}'{%- else -%}{{ v }}{%- endif -%}{%- if not loop.last -%}, {% endif -%}
  {%- endfor -%})
group by {{ column_name }}
{%- endmacro %}

{#- An anti-join: each child row is looked up once, so a parent column with repeated values costs
    nothing more (a left join would multiply the child rows by the repeats before filtering). -#}
{% macro default__test_relationships(model, column_name, to, field) -%}
with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
)
select from_field
from child
where not exists (
    select 1
    from {{ to }} as parent
    where parent.{{ field }} = child.from_field
)
{%- endmacro %}
`;
