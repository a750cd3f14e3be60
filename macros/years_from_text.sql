{#- Years of experience from vendor text such as "= 45.0": the first run of digits, as an integer; null when there is none. -#}
{% macro years_from_text(column) -%}
cast(nullif(regexp_extract(cast({{ column }} as varchar), '[0-9]+', 0), '') as integer)
{%- endmacro %}
