{#- How many zip codes a space-separated list holds: the pieces of a split on one space, as the
    original job counted them (len(zips.split(' '))), i.e. the spaces plus one; 0 when null.
    Written with length() and replace() so it means the same on every engine. -#}
{% macro zip_count(column) -%}
case when {{ column }} is null then 0 else cast(length({{ column }}) - length(replace({{ column }}, ' ', '')) + 1 as bigint) end
{%- endmacro %}
