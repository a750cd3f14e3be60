{#- How many zip codes a space-separated list holds: the pieces of a split on one space, as the
    original job counted them (len(zips.split(' '))); 0 when null. -#}
{% macro zip_count(column) -%}
case when {{ column }} is null then 0 else len(string_split({{ column }}, ' ')) end
{%- endmacro %}
