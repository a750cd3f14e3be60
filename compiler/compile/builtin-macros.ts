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
  {%- if custom_database_name -%}{{ custom_database_name | trim }}{%- else -%}{{ target.database }}{%- endif -%}
{%- endmacro %}

{% macro test_not_null(model, column_name) -%}
select * from {{ model }} where {{ column_name }} is null
{%- endmacro %}

{% macro test_unique(model, column_name) -%}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{%- endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=true) -%}
select {{ column_name }} as value_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null and {{ column_name }} not in (
  {%- for v in values -%}
    {%- if quote -%}'{{ v | replace("'", "''") }}'{%- else -%}{{ v }}{%- endif -%}{%- if not loop.last -%}, {% endif -%}
  {%- endfor -%})
group by {{ column_name }}
{%- endmacro %}

{% macro test_relationships(model, column_name, to, field) -%}
select child.{{ column_name }} as from_field
from {{ model }} as child
left join {{ to }} as parent on child.{{ column_name }} = parent.{{ field }}
where child.{{ column_name }} is not null and parent.{{ field }} is null
{%- endmacro %}
`;
