/**
 * The snapshot project the snapshot tests share (compiler/run/snapshot-engines.test.ts on three
 * engines, compiler/run/snapshot-dbt.test.ts against dbt-core): a source model whose rows come from
 * the `rows` var, four snapshots in one file (timestamp under each hard_deletes mode, check on a
 * column subset with a composite key), one declared in YAML, and a model that refs a snapshot.
 */
export const T1 = '2024-01-01 00:00:00';
export const T2 = '2024-01-02 00:00:00';
export type Src = { id: number; k2: string; name: string; status: string; ts: string };
export const R1: Src[] = [
  { id: 1, k2: 'a', name: 'n1', status: 's1', ts: T1 },
  { id: 1, k2: 'b', name: 'm1', status: 's1', ts: T1 },
  { id: 2, k2: 'a', name: 'n2', status: 's1', ts: T1 },
  { id: 3, k2: 'a', name: 'n3', status: 's1', ts: T1 },
];
export const R2: Src[] = [
  { id: 1, k2: 'a', name: 'n1b', status: 's1', ts: T2 }, // updated, with a later timestamp
  { id: 1, k2: 'b', name: 'm1', status: 's2', ts: T1 }, // only its status (checked column) changed
  { id: 2, k2: 'a', name: 'n2', status: 's2', ts: T1 }, // status changed, timestamp equal: timestamp snapshots see no change
  { id: 4, k2: 'a', name: 'n4', status: 's1', ts: T2 }, // inserted; id 3 deleted
];
export const R4: Src[] = [...R2, { id: 3, k2: 'a', name: 'n3', status: 's1', ts: T1 }]; // id 3 comes back

export const SNAPSHOT_FILES: Record<string, string> = {
  'models/src.sql': [
    "{{ config(materialized='table') }}",
    "{% for r in var('rows') %}",
    "select {{ r.id }} as id, '{{ r.k2 }}' as k2, '{{ r.name }}' as name, '{{ r.status }}' as status, cast('{{ r.ts }}' as timestamp) as updated_at",
    '{% if not loop.last %}union all{% endif %}',
    '{% endfor %}',
    '',
  ].join('\n'),
  'models/src_a.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('src') }} where k2 = 'a'\n",
  // built after the snapshot it reads (DAG order): the current rows
  'models/current_a.sql': "{{ config(materialized='table') }}\nselect id, name from {{ ref('s_invalidate') }} where dbt_valid_to is null\n",
  'snapshots/snaps.sql': `
{% snapshot s_ignore %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select id, name, status, updated_at from {{ ref('src_a') }}
{% endsnapshot %}

{% snapshot s_invalidate %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', invalidate_hard_deletes=true) }}
select id, name, status, updated_at from {{ ref('src_a') }}
{% endsnapshot %}

{% snapshot s_new_record %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='new_record') }}
select id, name, status, updated_at from {{ ref('src_a') }}
{% endsnapshot %}

{%- snapshot s_check -%}
{{ config(unique_key=['id', 'k2'], strategy='check', check_cols=['status'], hard_deletes='invalidate') }}
select * from {{ ref('src') }}
{%- endsnapshot -%}
`,
  'snapshots/snapshots.yml': `
snapshots:
  - name: s_yaml
    relation: ref('src_a')
    description: every column checked
    config:
      unique_key: id
      strategy: check
      check_cols: all
      dbt_valid_to_current: "cast('9999-12-31' as timestamp)"
      snapshot_meta_column_names: {dbt_valid_from: valid_from, dbt_valid_to: valid_to}
`,
};

