/**
 * dbt-duckdb's `external` materialization on DuckDB: the model's rows go into a table beside the
 * relation, DuckDB's own COPY writes them (with dbt-duckdb's COPY options) to a hidden file or
 * folder beside the location, which is renamed into place only when complete
 * (targets/exports/local-destination.ts); then the relation becomes a view reading the location,
 * as dbt-duckdb creates it. A failure before the rename leaves the previous file and view as they
 * were; nothing half-written is ever under the location's name.
 *
 * As dbt-duckdb: a model with no rows is written as one row of NULLs (so CSV and JSON keep their
 * columns), which the view filters out again.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TargetError, type AuditConnection, type BuildResult, type ExternalWrite, type ModelBuild } from '../target.js';
import { discardLocal, discardLocalFile, planLocal, planLocalFile, publishLocal, publishLocalFile } from '../exports/local-destination.js';
import type { DuckdbPool } from './duckdb-connection.js';
import { duckdbDialect as d } from './duckdb-dialect.js';
import type { DuckdbIntrospector } from './duckdb-introspector.js';
import { tmpRelation } from './duckdb-materializations.js';

export interface ExternalHelpers {
  inTransaction<T>(c: DuckDBConnection, b: ModelBuild, fn: () => Promise<T>): Promise<T>;
  auditConnection(c: DuckDBConnection, b: ModelBuild): AuditConnection;
  checkContract(c: DuckDBConnection, b: ModelBuild, built: ModelBuild['relation']): Promise<void>;
}

/** The view over the published location, as dbt-duckdb's external materialization writes it. */
export function externalViewSql(x: ExternalWrite, emptyColumns?: string[]): string {
  const where = emptyColumns ? `\n  where 1${emptyColumns.map((c) => ` AND ${d.quoteIdentifier(c)} is not NULL`).join('')}` : '';
  return `(\n  select * from ${x.readFunction}(${d.literal(x.readLocation)}${x.readOptions})${where}\n)`;
}

export async function materializeExternal(pool: DuckdbPool, intro: DuckdbIntrospector, h: ExternalHelpers, b: ModelBuild): Promise<BuildResult> {
  const x = b.external;
  if (!x) throw new TargetError(`model ${b.uniqueId}: materialized external without a location`);
  const tmp = tmpRelation(b.relation, 'external');
  const tmpName = d.relationName(tmp);
  const name = d.relationName(b.relation);
  const kind = await intro.kind(b.relation);
  return pool.with(async (c) => {
    const opts = { signal: b.signal, node: b.uniqueId };
    await pool.run(c, `drop table if exists ${tmpName}`, opts);
    try {
      await pool.run(c, `create table ${tmpName} as\n${b.sql}`, opts);
      await h.checkContract(c, b, tmp);
      const rows = Number((await pool.run(c, `select count(*) as n from ${tmpName}`, opts)).rows?.[0]?.n ?? 0);
      // Audit before publish: the rows are tested in the side table, before any file is written.
      if (b.audit) await b.audit(tmp, h.auditConnection(c, b));
      const cols = (await intro.columns(tmp, c)).map((col) => col.name);
      if (rows === 0) await pool.run(c, `insert into ${tmpName} values (${cols.map(() => 'NULL').join(', ')})`, opts);
      // The files, staged beside the location and renamed into place when complete.
      if (x.folder) {
        const plan = await planLocal(x.location, x.roots).catch(rethrow);
        try {
          await pool.run(c, `copy ${tmpName} to ${d.literal(plan.stageDir)} (${x.copyOptions})`, opts);
          await publishLocal(plan, null).catch(rethrow);
        } finally {
          await discardLocal(plan);
        }
      } else {
        const plan = await planLocalFile(x.location, x.roots).catch(rethrow);
        try {
          await pool.run(c, `copy ${tmpName} to ${d.literal(plan.stageFile)} (${x.copyOptions})`, opts);
          await publishLocalFile(plan).catch(rethrow);
        } finally {
          await discardLocalFile(plan);
        }
      }
      const view = `create or replace view ${name} as ${externalViewSql(x, rows === 0 ? cols : undefined)}`;
      if (kind === 'table') {
        await h.inTransaction(c, b, async () => {
          await pool.run(c, `drop table ${name}`, opts);
          await pool.run(c, view, opts);
        });
      } else {
        await pool.run(c, view, opts);
      }
      return { action: `wrote ${rows} rows to ${x.location}, created view`, rowsAffected: rows };
    } finally {
      await pool.run(c, `drop table if exists ${tmpName}`).catch(() => undefined);
    }
  });
}

/** Export errors (a path outside the roots, a symlink) as the target's own error, message kept. */
function rethrow(e: unknown): never {
  const err = e as Error & { hint?: string };
  throw new TargetError(err.hint ? `${err.message} (${err.hint})` : err.message, { cause: e });
}
