{#- How many zip codes a space-separated list holds; 0 for null or blank. -#}
{% macro zip_count(column) -%}
case when {{ column }} is null or trim({{ column }}) = '' then 0
     else len(string_split(regexp_replace(trim({{ column }}), '\s+', ' ', 'g'), ' ')) end
{%- endmacro %}
