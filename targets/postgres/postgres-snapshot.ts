/**
 * Snapshots (SCD type 2) on PostgreSQL, as dbt-postgres takes them: the first run creates the
 * table from build_snapshot_table's SELECT (one statement); later runs build the staging rows into
 * `<name>__tx_snapshot` beside the table, then in ONE transaction add new columns, close the
 * changed rows' current versions and insert the new ones (postgres__snapshot_merge_sql). A failure,
 * or a kill of tx (the server rolls back a transaction whose client is gone), leaves the snapshot
 * table as it was. Audit before publish: the snapshot's tests run on the new state inside that
 * transaction (the first run's CREATE too), before COMMIT.
 */
import { AuditError, TargetError, type AuditConnection, type BuildResult, type ColumnInfo, type Relation, type SnapshotBuild } from '../target.js';
import { changeColumns, prepareSnapshot } from '../snapshots/prepare-snapshot.js';
import { mergeSql, type SnapshotDialect } from '../snapshots/snapshot-sql.js';
import type { PgClient, PostgresConnection } from './postgres-connection.js';
import { postgresDialect as d, scratchName } from './postgres-dialect.js';
import type { PostgresIntrospector } from './postgres-introspector.js';
import { withDependentsDetached } from './postgres-dependents.js';
import { alterColumnTypeSql, stringExpansions } from '../string-expansion.js';

/** dbt-postgres: `now()::timestamp without time zone`, md5 over varchar casts. */
export const postgresSnapshotDialect: SnapshotDialect = { quote: d.quoteIdentifier, stringType: 'varchar', now: 'now()::timestamp without time zone' };

/** Columns (name, type as PostgreSQL prints it, upper-case) of a query, planned but not run. */
async function describe(c: PgClient, sql: string): Promise<ColumnInfo[]> {
  const r = await c.run(`select * from (\n${sql}\n) as tx_describe limit 0`);
  if (!r.fields.length) return [];
  const types = await c.rows<{ t: string }>(
    'SELECT pg_catalog.format_type(u.o, NULL) AS t FROM pg_catalog.unnest($1::oid[]) WITH ORDINALITY AS u(o, i) ORDER BY u.i',
    [r.fields.map((f) => f.dataTypeID)],
  );
  return r.fields.map((f, i) => ({ name: f.name, type: String(types[i]?.t ?? '').toUpperCase() }));
}

export async function postgresSnapshot(conn: PostgresConnection, intro: PostgresIntrospector, b: SnapshotBuild): Promise<BuildResult> {
  return conn.withClient(
    async (c) => {
      const run = (sql: string) => c.run(sql, { signal: b.signal, node: b.uniqueId });
      const prepared = await prepareSnapshot(b, {
        dialect: postgresSnapshotDialect,
        relationName: d.relationName,
        describe: (sql) => describe(c, sql),
        existing: async (r) => {
          const found = await intro.find(c, r);
          if (!found) return undefined;
          return { kind: found.kind === 'table' ? 'table' : 'view', columns: await intro.columns(c, r) };
        },
        query: async (sql) => (await run(sql)).rows,
      });
      const target = d.relationName(b.relation);
      // the audit's queries, on this client: inside the transaction, they see the new state
      const opts = (o?: { signal?: AbortSignal; node?: string }) => ({ signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId });
      const auditConn: AuditConnection = {
        query: async (sql, o) => (await c.run(sql, opts(o))).rows,
        execute: async (sql, o) => ({ rowsAffected: (await c.run(sql, opts(o))).rowCount ?? undefined }),
        columns: (r) => intro.columns(c, r),
        printRows: async (sql, o) => (await c.run(sql, { ...opts(o), exact: true })).rows,
      };
      if (!prepared.exists) {
        const r = await c.transaction(async () => {
          const created = await run(`create table ${target} as\n${prepared.createSql}`);
          if (b.audit) await b.audit(b.relation, { ...auditConn, inTransaction: true });
          return created;
        });
        return { action: 'created snapshot', rowsAffected: r.rowCount ?? undefined };
      }
      const staging: Relation = { ...b.relation, identifier: scratchName(b.relation.identifier, 'snapshot') };
      const stagingName = d.relationName(staging);
      await run(`drop table if exists ${stagingName}`);
      try {
        await run(`create table ${stagingName} as\n${prepared.stagingSql}`);
        const stagingCols = await intro.columns(c, staging);
        const cols = changeColumns(b, stagingCols, prepared.targetColumns);
        const m = mergeSql(b, target, stagingName, cols.insert.map((x) => d.quoteIdentifier(x.name)));
        // dbt's snapshot calls expand_target_column_types(staging, target): strings narrower than the staging's widen
        const expansions = stringExpansions(await intro.columns(c, b.relation), stagingCols, 'postgres');
        const counts = await c.transaction(async () => {
          const found = expansions.length ? await intro.find(c, b.relation) : undefined;
          if (found) {
            // dbt's default__alter_column_type drops the old column with CASCADE; views reading it are kept here instead
            await withDependentsDetached(c, found.oid, async () => {
              for (const e of expansions) for (const sql of alterColumnTypeSql(target, e.name, e.to, d.quoteIdentifier)) await run(sql);
            });
          }
          for (const col of cols.add) await run(`alter table ${target} add column ${d.quoteIdentifier(col.name)} ${col.type.toLowerCase()}`);
          const closed = (await run(m.close)).rowCount ?? 0;
          const inserted = (await run(m.insert)).rowCount ?? 0;
          // Audit before publish: the new snapshot state, before COMMIT; other sessions still see the old one.
          if (b.audit) await b.audit(b.relation, { ...auditConn, inTransaction: true });
          return { closed, inserted };
        });
        return { action: `snapshot: ${counts.inserted} new, ${counts.closed} closed in`, rowsAffected: counts.inserted };
      } catch (e) {
        throw e instanceof TargetError || e instanceof AuditError ? e : new TargetError((e as Error).message, { cause: e });
      } finally {
        await run(`drop table if exists ${stagingName}`).catch(() => undefined);
      }
    },
    { signal: b.signal, node: b.uniqueId },
  );
}
