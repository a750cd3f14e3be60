/**
 * dbt's column expansion (dbt-adapters SQLAdapter.expand_column_types, which dbt's incremental and
 * snapshot materializations call through `adapter.expand_target_column_types`): each column of the
 * target that is a string narrower than the same column of the goal (the new batch) is altered to
 * `character varying(<goal size>)`. The column rules are dbt's base Column's, which dbt-postgres and
 * dbt-duckdb use: a string is `text`, `character varying`, `character` or `varchar` (no other
 * spelling), its size is its length, 256 for `text` or when the length is not known. On DuckDB every
 * string is an unsized VARCHAR (256 on both sides), so nothing is ever altered, as with dbt-duckdb;
 * on Spark (dbt-spark) DESCRIBE's type names (`string`, `varchar(5)`) are not strings by those rules,
 * so nothing is altered there either.
 */
import type { ColumnInfo } from './target.js';

const STRING_TYPES = ['text', 'character varying', 'character', 'varchar'];

/** A type as dbt's Column holds it: the name without its modifier, and the length (`character_maximum_length`). */
function parse(type: string): { dtype: string; charSize: number | null } {
  const m = /^(.*?)\s*\(\s*(\d+)\s*\)\s*$/.exec(type.trim());
  return m ? { dtype: m[1]!, charSize: Number(m[2]) } : { dtype: type.trim(), charSize: null };
}

/** dbt's Column.string_size, or null when the type is not a string by dbt's rules. */
export function dbtStringSize(type: string): number | null {
  const { dtype, charSize } = parse(type);
  if (!STRING_TYPES.includes(dtype.toLowerCase())) return null;
  return dtype.toLowerCase() === 'text' || charSize == null ? 256 : charSize;
}

/** dbt's Column.can_expand_to: both strings, and `to` longer than `from`. */
export function canExpandTo(from: string, to: string): boolean {
  const a = dbtStringSize(from);
  const b = dbtStringSize(to);
  return a !== null && b !== null && b > a;
}

export interface Expansion {
  name: string;
  /** The target column's type before. */
  from: string;
  /** `character varying(<size>)`, dbt's Column.string_type. */
  to: string;
}

/**
 * The columns of `target` to widen so the rows of `goal` fit, in the goal's column order (dbt walks
 * the goal's columns). Names match exactly, as in dbt's dicts keyed by column name.
 */
export function stringExpansions(target: readonly ColumnInfo[], goal: readonly ColumnInfo[], targetType: string): Expansion[] {
  if (targetType === 'hive') return [];
  const lower = (t: string) => (targetType === 'postgres' ? t.toLowerCase() : t);
  const have = new Map(target.map((c) => [c.name, lower(c.type)]));
  const out: Expansion[] = [];
  for (const g of goal) {
    const t = have.get(g.name);
    if (t === undefined || !canExpandTo(t, lower(g.type))) continue;
    out.push({ name: g.name, from: t, to: `character varying(${dbtStringSize(lower(g.type))})` });
  }
  return out;
}

/**
 * dbt's default__alter_column_type, statement by statement: a new column of the new type, the values
 * copied, the old column dropped (cascade) and the new one renamed. The column moves to the end of
 * the table, as with dbt.
 */
export function alterColumnTypeSql(relationSql: string, column: string, newType: string, quote: (s: string) => string): string[] {
  const tmp = quote(`${column}__dbt_alter`);
  const col = quote(column);
  return [
    `alter table ${relationSql} add column ${tmp} ${newType}`,
    `update ${relationSql} set ${tmp} = ${col}`,
    `alter table ${relationSql} drop column ${col} cascade`,
    `alter table ${relationSql} rename column ${tmp} to ${col}`,
  ];
}
