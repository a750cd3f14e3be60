{#- Years of experience from vendor text such as "= 45.0": the first run of digits, as an integer;
    null when there is none. Each engine spells "first match of a regex" its own way. -#}
{% macro years_from_text(column) -%}
{%- if target.type == 'postgres' -%}
cast(substring(cast({{ column }} as varchar) from '[0-9]+') as integer)
{%- elif target.type == 'hive' -%}
cast(nullif(regexp_extract(cast({{ column }} as string), '([0-9]+)', 1), '') as int)
{%- else -%}
cast(nullif(regexp_extract(cast({{ column }} as varchar), '[0-9]+', 0), '') as integer)
{%- endif -%}
{%- endmacro %}
