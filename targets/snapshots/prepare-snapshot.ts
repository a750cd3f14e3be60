/**
 * What every engine does before it changes a snapshot table: read the snapshot query's columns,
 * check the config against them (unique_key, updated_at, check_cols), refuse a source with
 * duplicate keys, check the existing snapshot table, and write the SQL (snapshot-sql.ts). Nothing
 * here writes; an error leaves the snapshot table untouched.
 */
import { TargetError, type ColumnInfo, type Relation, type Row, type SnapshotBuild } from '../target.js';
import { buildSnapshotTableSql, helperColumns, stagingSql, strategyOf, type SnapshotDialect, type Strategy } from './snapshot-sql.js';

/** The reads an engine offers the preparation. */
export interface SnapshotReads {
  dialect: SnapshotDialect;
  relationName(r: Relation): string;
  /** Columns (name, upper-case type) of a query's result, without running it whole. */
  describe(sql: string): Promise<ColumnInfo[]>;
  /** Kind and columns of a relation; undefined when it does not exist. */
  existing(r: Relation): Promise<{ kind: 'table' | 'view'; columns: ColumnInfo[] } | undefined>;
  query(sql: string): Promise<Row[]>;
}

export type PreparedSnapshot =
  | { exists: false; strategy: Strategy; createSql: string; sourceColumns: ColumnInfo[] }
  | { exists: true; strategy: Strategy; stagingSql: string; sourceColumns: ColumnInfo[]; targetColumns: ColumnInfo[] };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const lc = (s: string) => s.toLowerCase();
const isTimeType = (t: string) => /^(timestamp|datetime|date)\b/i.test(t.trim());

function nearest(name: string, names: string[]): string {
  const l = lc(name);
  const near = names.filter((n) => lc(n).includes(l) || l.includes(lc(n)) || editDistance(lc(n), l) <= 2);
  return near.length ? ` (did you mean ${near.slice(0, 3).map((n) => `\`${n}\``).join(' or ')}?)` : '';
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Validate and write the SQL of one snapshot run. Throws TargetError naming the problem. */
export async function prepareSnapshot(b: SnapshotBuild, io: SnapshotReads): Promise<PreparedSnapshot> {
  const name = b.uniqueId.split('.').pop();
  const fail = (msg: string): never => {
    throw new TargetError(`snapshot \`${name}\`: ${msg}; the snapshot table was not changed`);
  };
  const body = b.sql.replace(/;\s*$/, '');
  const sourceColumns = await io.describe(body);
  const names = sourceColumns.map((c) => c.name);
  const find = (col: string) => sourceColumns.find((c) => lc(c.name) === lc(col));
  const requireColumn = (col: string, what: string): ColumnInfo | undefined => {
    if (!IDENT.test(col)) return undefined; // an expression: the warehouse checks it
    const c = find(col);
    if (!c) fail(`${what} \`${col}\` is not a column of the snapshot query${nearest(col, names)}; its columns: ${names.join(', ')}`);
    return c;
  };
  for (const k of b.uniqueKey) requireColumn(k, 'unique_key column');
  if (b.strategy === 'timestamp' || b.updatedAt) {
    const col = requireColumn(b.updatedAt!, 'updated_at column');
    const type = col?.type ?? (await io.describe(`select ${b.updatedAt} as updated_at from (\n${body}\n) as q`))[0]?.type ?? '';
    if (!isTimeType(type)) fail(`updated_at \`${b.updatedAt}\` is ${type || 'of an unknown type'}, not a timestamp (or date): the ${b.strategy} strategy compares it with dbt_valid_from; cast it in the query, e.g. cast(${b.updatedAt} as timestamp)`);
  }
  let checkNames: string[] = [];
  if (b.strategy === 'check') {
    if (b.checkCols === 'all') checkNames = names;
    else checkNames = (b.checkCols ?? []).map((col) => requireColumn(col, 'check_cols column')?.name ?? col);
  }
  const metaClash = Object.values(b.columnNames).filter((m) => find(m));
  if (metaClash.length) fail(`the snapshot query has a column named ${metaClash.map((m) => `\`${m}\``).join(', ')}, which the snapshot adds itself; rename it in the query or set snapshot_meta_column_names`);

  // a key that is not unique would version one row as several: refuse, naming a key
  const keyList = b.uniqueKey;
  const dup = await io.query(
    `select ${keyList.map((k, i) => `${k} as tx_key_${i}`).join(', ')}, count(*) as tx_rows from (\n${body}\n) as q group by ${keyList.join(', ')} having count(*) > 1 limit 1`,
  );
  if (dup.length) {
    const r = dup[0]!;
    const key = keyList.map((k, i) => `${k} = ${formatValue(r[`tx_key_${i}`])}`).join(', ');
    fail(`unique_key is not unique in the snapshot query: ${key} is on ${String(r.tx_rows)} rows`);
  }

  const existing = await io.existing(b.relation);
  const target = io.relationName(b.relation);
  if (!existing) {
    const strategy = strategyOf(b, io.dialect);
    return { exists: false, strategy, createSql: buildSnapshotTableSql(b, strategy), sourceColumns };
  }
  if (existing.kind !== 'table') fail(`${target} is a view, not a snapshot table; drop it (or rename the snapshot) first`);
  const have = new Set(existing.columns.map((c) => lc(c.name)));
  const c = b.columnNames;
  const required = [c.dbt_scd_id, c.dbt_valid_from, c.dbt_valid_to, c.dbt_updated_at, ...(b.hardDeletes === 'new_record' ? [c.dbt_is_deleted] : [])];
  const missing = required.filter((m) => !have.has(lc(m)));
  if (missing.length) {
    fail(
      `${target} is not a snapshot table of this config: it has no ${missing.map((m) => `\`${m}\``).join(', ')}${b.hardDeletes === 'new_record' && missing.includes(c.dbt_is_deleted) ? ' (hard_deletes: new_record needs it; dbt adds it only when the table is created)' : ''}`,
    );
  }
  let check: { cols: string[]; columnAdded: boolean } | undefined;
  if (b.strategy === 'check') {
    const present = checkNames.filter((n) => have.has(lc(n)));
    check = { cols: present.map((n) => io.dialect.quote(n)), columnAdded: present.length < checkNames.length };
  }
  const strategy = strategyOf(b, io.dialect, check);
  const sql = stagingSql(
    b,
    io.dialect,
    strategy,
    target,
    existing.columns.map((x) => x.name),
    names,
  );
  return { exists: true, strategy, stagingSql: sql, sourceColumns, targetColumns: existing.columns };
}

/** The staging rows' columns that go into the snapshot table, and those it lacks (added first). */
export function changeColumns(b: SnapshotBuild, staging: ColumnInfo[], target: ColumnInfo[]): { insert: ColumnInfo[]; add: ColumnInfo[] } {
  const helpers = new Set(helperColumns(b).map(lc));
  const insert = staging.filter((c) => !helpers.has(lc(c.name)));
  const have = new Set(target.map((c) => lc(c.name)));
  return { insert, add: insert.filter((c) => !have.has(lc(c.name))) };
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Date) return `'${v.toISOString()}'`;
  return String(v);
}
