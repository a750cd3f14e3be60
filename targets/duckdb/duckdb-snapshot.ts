/**
 * Snapshots (SCD type 2) on DuckDB, as dbt-duckdb takes them: the first run creates the table
 * from build_snapshot_table's SELECT (one statement); later runs build the staging rows into
 * `<name>__tx_snapshot` beside the table, then in ONE transaction add new columns, close the changed
 * rows' current versions and insert the new ones (duckdb__snapshot_merge_sql). A failure or a kill
 * before COMMIT leaves the snapshot table as it was. Audit before publish: the snapshot's tests run
 * on the new state inside that transaction (the first run's CREATE too), before COMMIT.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { AuditError, TargetError, type AuditConnection, type BuildResult, type ColumnInfo, type Relation, type SnapshotBuild } from '../target.js';
import { changeColumns, prepareSnapshot } from '../snapshots/prepare-snapshot.js';
import { mergeSql, type SnapshotDialect } from '../snapshots/snapshot-sql.js';
import type { DuckdbPool } from './duckdb-connection.js';
import { duckdbDialect as d } from './duckdb-dialect.js';
import type { DuckdbIntrospector } from './duckdb-introspector.js';

/** dbt-duckdb: `now()::timestamp`, md5 over varchar casts. */
export const duckdbSnapshotDialect: SnapshotDialect = { quote: d.quoteIdentifier, stringType: 'varchar', now: 'now()::timestamp' };

export async function duckdbSnapshot(pool: DuckdbPool, intro: DuckdbIntrospector, b: SnapshotBuild): Promise<BuildResult> {
  return pool.with(async (c) => {
    const opts = { signal: b.signal, node: b.uniqueId };
    const run = (sql: string) => pool.run(c, sql, opts);
    const describe = async (sql: string): Promise<ColumnInfo[]> =>
      ((await run(`describe ${sql}`)).rows ?? []).map((r) => ({ name: String(r.column_name), type: String(r.column_type).toUpperCase() }));
    const prepared = await prepareSnapshot(b, {
      dialect: duckdbSnapshotDialect,
      relationName: d.relationName,
      describe,
      existing: async (r) => {
        const kind = await intro.kind(r, c);
        return kind ? { kind, columns: await intro.columns(r, c) } : undefined;
      },
      query: async (sql) => (await run(sql)).rows ?? [],
    });
    const target = d.relationName(b.relation);
    // the audit's queries, on this connection: inside the transaction, they see the new state
    const auditConn: AuditConnection = {
      query: async (sql, o) => (await pool.run(c, sql, { signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId })).rows ?? [],
      execute: async (sql, o) => ({ rowsAffected: (await pool.run(c, sql, { signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId })).rowsAffected }),
      columns: (r) => intro.columns(r, c),
      printRows: async (sql, o) => (await pool.run(c, sql, { signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId, exact: true })).rows ?? [],
    };
    if (!prepared.exists) {
      const rows = await inTransaction(pool, c, b, async () => {
        await run(`create table ${target} as\n${prepared.createSql}`);
        if (b.audit) await b.audit(b.relation, { ...auditConn, inTransaction: true });
        return Number((await run(`select count(*) as n from ${target}`)).rows?.[0]?.n ?? 0);
      });
      return { action: 'created snapshot', rowsAffected: rows };
    }
    const staging: Relation = { ...b.relation, identifier: `${b.relation.identifier}__tx_snapshot` };
    const stagingName = d.relationName(staging);
    await run(`drop table if exists ${stagingName}`);
    try {
      await run(`create table ${stagingName} as\n${prepared.stagingSql}`);
      const cols = changeColumns(b, await intro.columns(staging, c), prepared.targetColumns);
      const m = mergeSql(b, target, stagingName, cols.insert.map((x) => d.quoteIdentifier(x.name)));
      const counts = await inTransaction(pool, c, b, async () => {
        for (const col of cols.add) await run(`alter table ${target} add column ${d.quoteIdentifier(col.name)} ${col.type}`);
        const closed = (await run(m.close)).rowsAffected ?? 0;
        const inserted = (await run(m.insert)).rowsAffected ?? 0;
        // Audit before publish: the new snapshot state, before COMMIT; other connections still see the old one.
        if (b.audit) await b.audit(b.relation, { ...auditConn, inTransaction: true });
        return { closed, inserted };
      });
      return { action: `snapshot: ${counts.inserted} new, ${counts.closed} closed in`, rowsAffected: counts.inserted };
    } finally {
      await run(`drop table if exists ${stagingName}`).catch(() => undefined);
    }
  });
}

async function inTransaction<T>(pool: DuckdbPool, c: DuckDBConnection, b: SnapshotBuild, fn: () => Promise<T>): Promise<T> {
  await pool.run(c, 'begin transaction', { node: b.uniqueId });
  try {
    const r = await fn();
    await pool.run(c, 'commit', { node: b.uniqueId });
    return r;
  } catch (e) {
    await pool.run(c, 'rollback', { node: b.uniqueId }).catch(() => undefined);
    throw e instanceof TargetError || e instanceof AuditError ? e : new TargetError((e as Error).message, { cause: e });
  }
}
