{#
  Where the example project persists its reports: the targets named in var('persist_targets')
  (env TX_PERSIST_TARGETS, comma-separated, e.g. "postgres,hive").
#}

{# Whether the reports are appended to target `name`: "true" or "false", for an export's `enabled`. #}
{% macro persist_to(name) -%}
{{ name in (var('persist_targets') | replace(' ', '')).split(',') }}
{%- endmacro %}

{# Fails the run before anything is built when persist_targets names a target the project has no export for. #}
{% macro check_persist_targets() -%}
{%- for t in (var('persist_targets') | replace(' ', '')).split(',') -%}
{%- if t and t not in ['postgres', 'hive'] -%}
{{ exceptions.raise_compiler_error("persist_targets (TX_PERSIST_TARGETS) names `" ~ t ~ "`: the reports can be persisted to postgres and hive") }}
{%- endif -%}
{%- endfor -%}
{%- endmacro %}
