/**
 * Snapshots (SCD type 2) on HiveServer2 (Spark Thrift Server, Apache Hive). Hive and Spark have no
 * transactions, and plain Parquet/ORC tables take no MERGE or UPDATE, so a snapshot is rewritten
 * whole, beside the old one, then swapped in (the table materialization's swap, hive-materializations.ts):
 *
 * 1. the staging rows (dbt's snapshot_staging_table, the same SQL as DuckDB and PostgreSQL) into
 *    `<name>__tx_snapshot`;
 * 2. the new snapshot table into `<name>__tx_new`: every old row, with the changed current versions
 *    closed (dbt_valid_to set as dbt's merge sets it), plus the staging rows to insert;
 * 3. swap: `<name>` → `<name>__tx_old`, `<name>__tx_new` → `<name>`, drop `<name>__tx_old`.
 *
 * Audit before publish: the snapshot's tests run on `<name>__tx_new` between 2 and 3; a failure drops it.
 *
 * Killed in 1 or 2, the snapshot table is untouched (the leftovers are dropped next time). Killed
 * between the two renames of 3 (two metastore calls), `<name>` is missing and `<name>__tx_old`
 * holds the complete previous version: the next snapshot run renames it back first. Every table
 * format is rewritten this way, Delta and Iceberg too (MERGE would be cheaper there: not done).
 */
import { AuditError, TargetError, type AuditConnection, type BuildResult, type ColumnInfo, type Relation, type Row, type SnapshotBuild, type TargetLog } from '../target.js';
import { changeColumns, prepareSnapshot } from '../snapshots/prepare-snapshot.js';
import { rewriteSql, type SnapshotDialect } from '../snapshots/snapshot-sql.js';
import type { HiveConnection } from './hive-connection.js';
import { hiveDialect as d } from './hive-dialect.js';
import type { HiveIntrospector } from './hive-introspector.js';
import { tableOptions, tmpRelation, type HiveMaterializations, type HiveTableDefaults } from './hive-materializations.js';

/** dbt-spark: `current_timestamp()`, md5 over string casts. */
export const hiveSnapshotDialect: SnapshotDialect = { quote: d.quoteIdentifier, stringType: 'string', now: 'current_timestamp()' };

export interface HiveSnapshotDeps {
  conn: HiveConnection;
  intro: HiveIntrospector;
  mat: HiveMaterializations;
  defaults: HiveTableDefaults;
  log: TargetLog;
}

export async function hiveSnapshot(x: HiveSnapshotDeps, b: SnapshotBuild): Promise<BuildResult> {
  const node = { signal: b.signal, uniqueId: b.uniqueId };
  const opts = { signal: b.signal, node: b.uniqueId };
  const run = (sql: string) => x.conn.execute(sql, opts);
  const query = (sql: string): Promise<Row[]> => x.conn.query(sql, opts);
  const target = d.relationName(b.relation);
  const old = tmpRelation(b.relation, 'old');

  // a run killed between the two renames of the swap left the previous version aside: put it back
  if (!(await x.intro.kind(b.relation)) && (await x.intro.kind(old)) === 'table') {
    x.log.warn(`${target} was missing and ${d.relationName(old)} holds its previous version (a run was stopped during the swap): renaming it back`);
    await run(`ALTER TABLE ${d.relationName(old)} RENAME TO ${target}`);
  }

  const describe = async (sql: string): Promise<ColumnInfo[]> => {
    try {
      return columnsOf(await query(`DESCRIBE QUERY ${sql}`));
    } catch (e) {
      // Apache Hive has no DESCRIBE QUERY: a view beside, described, dropped
      if (!/DESCRIBE QUERY|ParseException|mismatched input/i.test((e as Error).message)) throw e;
      const v = tmpRelation(b.relation, 'describe');
      await run(`CREATE OR REPLACE VIEW ${d.relationName(v)} AS\n${sql}`);
      try {
        return await x.intro.columns(v);
      } finally {
        await run(`DROP VIEW IF EXISTS ${d.relationName(v)}`).catch(() => undefined);
      }
    }
  };
  const prepared = await prepareSnapshot(b, {
    dialect: hiveSnapshotDialect,
    relationName: d.relationName,
    describe,
    existing: async (r) => {
      const kind = await x.intro.kind(r);
      return kind ? { kind, columns: await x.intro.columns(r) } : undefined;
    },
    query,
  });

  // the audit's queries (no transactions: the side table is all the isolation there is)
  const auditOpts = (q?: { signal?: AbortSignal; node?: string }) => ({ signal: q?.signal ?? b.signal, node: q?.node ?? b.uniqueId });
  const auditConn: AuditConnection = {
    query: (sql, q) => x.conn.query(sql, auditOpts(q)),
    execute: (sql, q) => x.conn.execute(sql, auditOpts(q)),
    columns: (r) => x.intro.columns(r),
  };
  const o = tableOptions(b.options, x.defaults);
  const fresh = tmpRelation(b.relation, 'new');
  const staging = tmpRelation(b.relation, 'snapshot');
  try {
    if (!prepared.exists) {
      await x.mat.createFresh(node, fresh, () => x.mat.createTableAs(node, fresh, prepared.createSql, o));
      const rows = await count(query, fresh);
      if (b.audit) await b.audit(fresh, auditConn);
      await x.mat.swap(node, fresh, b.relation, undefined);
      return { action: 'created snapshot', rowsAffected: rows };
    }
    await x.mat.createFresh(node, staging, () => x.mat.createTableAs(node, staging, prepared.stagingSql, { ...o, partitionBy: [], clusteredBy: [] }));
    const stagingCols = await x.intro.columns(staging);
    const cols = changeColumns(b, stagingCols, prepared.targetColumns);
    const counts = (await query(`SELECT sum(CASE WHEN dbt_change_type = 'insert' THEN 1 ELSE 0 END) AS ins, sum(CASE WHEN dbt_change_type <> 'insert' THEN 1 ELSE 0 END) AS upd FROM ${d.relationName(staging)}`))[0] ?? {};
    const inStaging = new Set(stagingCols.map((c) => c.name.toLowerCase()));
    const q = (c: ColumnInfo) => ({ quoted: d.quoteIdentifier(c.name), type: c.type.toLowerCase() });
    const select = rewriteSql(b, target, d.relationName(staging), prepared.targetColumns.map(q), cols.add.map(q), (quoted) => inStaging.has(quoted.replace(/`/g, '').toLowerCase()));
    const existing = await x.intro.details(b.relation);
    await x.mat.createFresh(node, fresh, () => x.mat.createTableAs(node, fresh, select, o));
    // Audit before publish: the whole new snapshot table, beside the old one
    if (b.audit) await b.audit(fresh, auditConn);
    await x.mat.swap(node, fresh, b.relation, existing);
    const inserted = Number(counts.ins ?? 0);
    return { action: `snapshot: ${inserted} new, ${Number(counts.upd ?? 0)} closed in`, rowsAffected: inserted };
  } catch (e) {
    await run(`DROP TABLE IF EXISTS ${d.relationName(fresh)}`).catch(() => undefined);
    throw e instanceof TargetError || e instanceof AuditError ? e : new TargetError((e as Error).message, { cause: e });
  } finally {
    await run(`DROP TABLE IF EXISTS ${d.relationName(staging)}`).catch(() => undefined);
  }
}

async function count(query: (sql: string) => Promise<Row[]>, r: Relation): Promise<number> {
  return Number((await query(`SELECT count(*) AS n FROM ${d.relationName(r)}`))[0]?.n ?? 0);
}

/** DESCRIBE output (col_name, data_type) up to the first blank or `#` row. */
function columnsOf(rows: Row[]): ColumnInfo[] {
  const out: ColumnInfo[] = [];
  for (const r of rows) {
    const name = String(r.col_name ?? '').trim();
    if (!name || name.startsWith('#')) break;
    out.push({ name, type: String(r.data_type ?? '').toUpperCase() });
  }
  return out;
}
