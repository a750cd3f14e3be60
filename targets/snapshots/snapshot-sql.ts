/**
 * The SQL of a snapshot (SCD type 2), written as dbt-adapters' snapshot macros write it
 * (materializations/snapshots/strategies.sql and helpers.sql: snapshot_timestamp_strategy,
 * snapshot_check_strategy, build_snapshot_table, snapshot_staging_table, and the duckdb/postgres
 * snapshot_merge_sql), so the rows, the dbt_scd_id hashes and the column names are dbt's. Pure
 * functions, no I/O; each engine runs them atomically in its own `<engine>-snapshot.ts`.
 */
import type { SnapshotBuild } from '../target.js';

/** What differs between engines in the SQL itself. */
export interface SnapshotDialect {
  quote(name: string): string;
  /** The string type of `cast(x as ...)` in dbt_scd_id's hash: varchar, or string on Spark/Hive. */
  stringType: string;
  /** snapshot_get_time(): DuckDB `now()::timestamp`, PostgreSQL `now()::timestamp without time zone`, Spark `current_timestamp()`. */
  now: string;
}

/** What the strategy macro returns: the expressions the staging query is made of. */
export interface Strategy {
  updatedAt: string;
  rowChanged: string;
  scdId: string;
}

/** snapshot_hash_arguments: md5 of the arguments cast to strings, nulls as '', joined by '|'. */
export function hashArguments(args: string[], d: SnapshotDialect): string {
  return `md5(${args.map((a) => `coalesce(cast(${a} as ${d.stringType} ), '')`).join(` || '|' || `)})`;
}

/**
 * The strategy: timestamp (row changed when dbt_valid_from < updated_at) or check (a checked
 * column differs, nulls counted; any new column in the source counts as a change, as dbt does).
 * `checkCols` are the checked columns present in the snapshot table, quoted; `columnAdded` whether
 * a checked column is missing from it.
 */
export function strategyOf(b: SnapshotBuild, d: SnapshotDialect, check?: { cols: string[]; columnAdded: boolean }): Strategy {
  const c = b.columnNames;
  const updatedAt = b.strategy === 'timestamp' ? b.updatedAt! : (b.updatedAt ?? d.now);
  const scdId = hashArguments([...b.uniqueKey, updatedAt], d);
  if (b.strategy === 'timestamp') return { updatedAt, scdId, rowChanged: `(snapshotted_data.${c.dbt_valid_from} < source_data.${updatedAt})` };
  let rowChanged: string;
  if (!check || check.columnAdded) rowChanged = '(TRUE)';
  else {
    rowChanged = `(${check.cols
      .map(
        (col) =>
          `snapshotted_data.${col} != source_data.${col}\n        or\n        (\n            ((snapshotted_data.${col} is null) and not (source_data.${col} is null))\n            or\n            ((not snapshotted_data.${col} is null) and (source_data.${col} is null))\n        )`,
      )
      .join(' or ')})`;
  }
  return { updatedAt, scdId, rowChanged };
}

/** get_dbt_valid_to_current: null, or dbt_valid_to_current, typed as updated_at. */
function validToCurrent(b: SnapshotBuild, s: Strategy): string {
  return `coalesce(nullif(${s.updatedAt}, ${s.updatedAt}), ${b.validToCurrent ?? 'null'})\n  as ${b.columnNames.dbt_valid_to}`;
}

/** build_snapshot_table: the first version of the snapshot, every source row current. */
export function buildSnapshotTableSql(b: SnapshotBuild, s: Strategy): string {
  const c = b.columnNames;
  return [
    'select *,',
    `    ${s.scdId} as ${c.dbt_scd_id},`,
    `    ${s.updatedAt} as ${c.dbt_updated_at},`,
    `    ${s.updatedAt} as ${c.dbt_valid_from},`,
    `    ${validToCurrent(b, s)}${b.hardDeletes === 'new_record' ? `, 'False' as ${c.dbt_is_deleted}` : ''}`,
    'from (',
    b.sql.replace(/;\s*$/, ''),
    ') sbq',
  ].join('\n');
}

/** Names of the staging query's helper columns, which never reach the snapshot table. */
export function helperColumns(b: SnapshotBuild): string[] {
  return ['dbt_change_type', ...(b.keyIsList ? b.uniqueKey.map((_, i) => `dbt_unique_key_${i + 1}`) : ['dbt_unique_key'])];
}

/**
 * snapshot_staging_table: one row per change, `dbt_change_type` insert, update or delete.
 * `targetCols` are the snapshot table's columns, `sourceCols` the snapshot query's (new_record
 * needs both).
 */
export function stagingSql(b: SnapshotBuild, d: SnapshotDialect, s: Strategy, target: string, targetCols: string[], sourceCols: string[]): string {
  const c = b.columnNames;
  const list = b.keyIsList;
  const keys = b.uniqueKey;
  const ukFields = list ? keys.map((k, i) => `${k} as dbt_unique_key_${i + 1}`).join(' , ') : `${keys[0]} as dbt_unique_key`;
  const joinOn = (a: string, f: string) => (list ? keys.map((_, i) => `(${a}.dbt_unique_key_${i + 1} = ${f}.dbt_unique_key_${i + 1})`).join(' and ') : `${a}.dbt_unique_key = ${f}.dbt_unique_key`);
  const isNull = (a: string) => `${a}.${list ? 'dbt_unique_key_1' : 'dbt_unique_key'} is null`;
  const isNotNull = (a: string) => `${a}.${list ? 'dbt_unique_key_1' : 'dbt_unique_key'} is not null`;
  const vtc = b.validToCurrent;
  const current = (col: string) => (vtc ? `( (${col} = ${vtc}) or ${col} is null )` : `${col} is null`);
  const nr = b.hardDeletes === 'new_record';
  const del = b.hardDeletes === 'invalidate' || nr;
  const deletedFlag = nr ? ` or snapshotted_data.${c.dbt_is_deleted} = 'True'` : '';
  const latestIsDeleted = `snapshotted_data.${c.dbt_is_deleted} = 'True'\n                and\n                ${vtc ? `snapshotted_data.${c.dbt_valid_to} = ${vtc}` : `snapshotted_data.${c.dbt_valid_to} is null`}`;
  const parts: string[] = [];
  parts.push(`with snapshot_query as (\n\n${b.sql.replace(/;\s*$/, '')}\n\n),`);
  parts.push(`snapshotted_data as (\n    select *, ${ukFields}\n    from ${target}\n    where ${current(c.dbt_valid_to)}\n),`);
  parts.push(
    `insertions_source_data as (\n    select *, ${ukFields},\n        ${s.updatedAt} as ${c.dbt_updated_at},\n        ${s.updatedAt} as ${c.dbt_valid_from},\n        ${validToCurrent(b, s)},\n        ${s.scdId} as ${c.dbt_scd_id}\n    from snapshot_query\n),`,
  );
  parts.push(
    `updates_source_data as (\n    select *, ${ukFields},\n        ${s.updatedAt} as ${c.dbt_updated_at},\n        ${s.updatedAt} as ${c.dbt_valid_from},\n        ${s.updatedAt} as ${c.dbt_valid_to}\n    from snapshot_query\n),`,
  );
  if (del) parts.push(`deletes_source_data as (\n    select *, ${ukFields}\n    from snapshot_query\n),`);
  parts.push(
    `insertions as (\n    select\n        'insert' as dbt_change_type,\n        source_data.*${nr ? `,'False' as ${c.dbt_is_deleted}` : ''}\n    from insertions_source_data as source_data\n    left outer join snapshotted_data\n        on ${joinOn('snapshotted_data', 'source_data')}\n        where ${isNull('snapshotted_data')}\n        or (${isNotNull('snapshotted_data')} and (\n           ${s.rowChanged}${deletedFlag}\n        ))\n),`,
  );
  parts.push(
    `updates as (\n    select\n        'update' as dbt_change_type,\n        source_data.*,\n        snapshotted_data.${c.dbt_scd_id}${nr ? `, snapshotted_data.${c.dbt_is_deleted}` : ''}\n    from updates_source_data as source_data\n    join snapshotted_data\n        on ${joinOn('snapshotted_data', 'source_data')}\n    where (\n        ${s.rowChanged}${deletedFlag}\n    )\n)`,
  );
  if (del) {
    parts.push(
      `,\ndeletes as (\n    select\n        'delete' as dbt_change_type,\n        source_data.*,\n        ${d.now} as ${c.dbt_valid_from},\n        ${d.now} as ${c.dbt_updated_at},\n        ${d.now} as ${c.dbt_valid_to},\n        snapshotted_data.${c.dbt_scd_id}${nr ? `, snapshotted_data.${c.dbt_is_deleted}` : ''}\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on ${joinOn('snapshotted_data', 'source_data')}\n        where ${isNull('source_data')}${nr ? `\n        and not (\n            ${latestIsDeleted}\n        )` : ''}\n)`,
    );
  }
  if (nr) {
    const snapshotted = new Set(targetCols);
    const cols = sourceCols.map((col) => `${snapshotted.has(col) ? 'snapshotted_data' : 'source_data'}.${d.quote(col)},`).join('\n        ');
    const ukCols = list ? keys.map((k, i) => `snapshotted_data.${k} as dbt_unique_key_${i + 1},`).join('\n        ') : 'snapshotted_data.dbt_unique_key as dbt_unique_key,';
    const newScdId = hashArguments([c.dbt_scd_id, d.now], d);
    parts.push(
      `,\ndeletion_records as (\n    select\n        'insert' as dbt_change_type,\n        ${cols}\n        ${ukCols}\n        ${d.now} as ${c.dbt_valid_from},\n        ${d.now} as ${c.dbt_updated_at},\n        snapshotted_data.${c.dbt_valid_to} as ${c.dbt_valid_to},\n        ${newScdId} as ${c.dbt_scd_id},\n        'True' as ${c.dbt_is_deleted}\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on ${joinOn('snapshotted_data', 'source_data')}\n    where ${isNull('source_data')}\n    and not (\n        ${latestIsDeleted}\n    )\n)`,
    );
  }
  const unions = ['select * from insertions', 'select * from updates', ...(del ? ['select * from deletes'] : []), ...(nr ? ['select * from deletion_records'] : [])];
  return `${parts.join('\n')}\n\n${unions.join('\nunion all\n')}`;
}

/**
 * The merge of duckdb__snapshot_merge_sql / postgres__snapshot_merge_sql: close the changed rows'
 * current versions, then insert the new versions. Two statements, run in one transaction.
 */
export function mergeSql(b: SnapshotBuild, target: string, staging: string, insertCols: string[]): { close: string; insert: string } {
  const c = b.columnNames;
  const vtc = b.validToCurrent;
  const t = 'DBT_INTERNAL_TARGET';
  const close = [
    `update ${target} as ${t}`,
    `set ${c.dbt_valid_to} = DBT_INTERNAL_SOURCE.${c.dbt_valid_to}`,
    `from ${staging} as DBT_INTERNAL_SOURCE`,
    `where DBT_INTERNAL_SOURCE.${c.dbt_scd_id}::text = ${t}.${c.dbt_scd_id}::text`,
    `  and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)`,
    vtc ? `  and (${t}.${c.dbt_valid_to} = ${vtc} or ${t}.${c.dbt_valid_to} is null)` : `  and ${t}.${c.dbt_valid_to} is null`,
  ].join('\n');
  const insert = [
    `insert into ${target} (${insertCols.join(', ')})`,
    `select ${insertCols.map((x) => `DBT_INTERNAL_SOURCE.${x}`).join(', ')}`,
    `from ${staging} as DBT_INTERNAL_SOURCE`,
    `where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text`,
  ].join('\n');
  return { close, insert };
}

/**
 * The same change as one SELECT of the whole new table, for engines without transactions (Hive
 * on plain Parquet): the snapshot's rows with the changed current versions closed, then the new
 * versions. `targetCols` (quoted, with types) fix the column order; columns new in the staging
 * rows come last, and old rows get null there.
 */
export function rewriteSql(
  b: SnapshotBuild,
  target: string,
  staging: string,
  targetCols: { quoted: string; type: string }[],
  newCols: { quoted: string; type: string }[],
  stagingHas: (quoted: string) => boolean,
): string {
  const c = b.columnNames;
  const vtc = b.validToCurrent;
  const validTo = targetCols.find((x) => unquote(x.quoted).toLowerCase() === c.dbt_valid_to.toLowerCase());
  const current = vtc ? `(t.${c.dbt_valid_to} = ${vtc} or t.${c.dbt_valid_to} is null)` : `t.${c.dbt_valid_to} is null`;
  const oldRows = [
    ...targetCols.map((x) => (x === validTo ? `case when s.${c.dbt_scd_id} is not null and ${current} then s.${c.dbt_valid_to} else t.${x.quoted} end as ${x.quoted}` : `t.${x.quoted}`)),
    ...newCols.map((x) => `cast(null as ${x.type}) as ${x.quoted}`),
  ];
  const insertCols = [...targetCols, ...newCols];
  return [
    `select ${oldRows.join(', ')}`,
    `from ${target} t`,
    `left join (select ${c.dbt_scd_id}, ${c.dbt_valid_to} from ${staging} where dbt_change_type in ('update', 'delete')) s`,
    `  on s.${c.dbt_scd_id} = t.${c.dbt_scd_id}`,
    'union all',
    `select ${insertCols.map((x) => `cast(${stagingHas(x.quoted) ? `s.${x.quoted}` : 'null'} as ${x.type}) as ${x.quoted}`).join(', ')}`,
    `from ${staging} s`,
    `where s.dbt_change_type = 'insert'`,
  ].join('\n');
}

const unquote = (q: string): string => q.replace(/^[`"]|[`"]$/g, '');
