/**
 * `to: target:NAME`: copy the model's rows into a table of another configured target
 * (PostgreSQL, Hive, another DuckDB), appended or replaced, with extra columns such as
 * `delivery_date`.
 *
 * The rows travel as one Parquet file written by file-writer.ts (extra columns included), landed
 * by the other target's own loader (`loadFileSource`) into a staging table, then moved into the
 * final table by the other target's own materializations: `incremental` append for
 * `mode: append` (creates the table the first time), `table` for `mode: replace` (atomic
 * replace). So the target's dialect decides DDL, types and partitioning (`partition_by` is
 * passed as the materialization's option, e.g. Hive `PARTITIONED BY (delivery_date)`).
 */
import { randomBytes } from 'node:crypto';
import type { LoadColumn, LogicalType, Relation, TargetLog, TargetSession } from '../target.js';
import { ExportError, errorMessage } from './export-error.js';
import type { ExportSpec } from './export-spec.js';
import { LocalDuckdb, quoteLiteral } from './local-duckdb.js';

/** DuckDB type of a Parquet column → a logical type the other target maps (or the type itself). */
export function logicalTypeOf(duckdbType: string): LogicalType | string {
  const t = duckdbType.toUpperCase();
  if (t === 'VARCHAR' || t === 'JSON' || t === 'UUID') return 'string';
  if (t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT' || t === 'USMALLINT' || t === 'UTINYINT') return 'integer';
  if (t === 'BIGINT' || t === 'UINTEGER') return 'bigint';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'double';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t === 'TIMESTAMP' || t === 'TIMESTAMP_NS' || t === 'TIMESTAMP_MS' || t === 'TIMESTAMP_S' || t === 'TIMESTAMP WITH TIME ZONE') return 'timestamp';
  if (/^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return t;
  return 'string';
}

async function parquetColumns(file: string): Promise<LoadColumn[]> {
  const db = await LocalDuckdb.open();
  try {
    const rows = await db.query(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(file)})`);
    return rows.map((r) => ({ name: String(r.column_name), type: logicalTypeOf(String(r.column_type)) }));
  } finally {
    db.close();
  }
}

export interface TargetLoadResult {
  relation: Relation;
  display: string;
  action: string;
}

/** Land `parquetFile` into the target session's table per `spec`. */
export async function loadIntoTarget(opts: {
  spec: ExportSpec;
  other: TargetSession;
  targetName: string;
  node: { name: string; uniqueId: string; relation: Relation };
  parquetFile: string;
  log: TargetLog;
  signal?: AbortSignal;
}): Promise<TargetLoadResult> {
  const { spec, other, node, signal } = opts;
  const d = other.dialect;
  const schema = spec.schema ?? node.relation.schema;
  const relation: Relation = { schema, identifier: spec.table ?? node.name };
  const display = `target:${opts.targetName}/${schema}.${relation.identifier}`;
  const tag = randomBytes(4).toString('hex');
  const staging: Relation = { schema, identifier: `${relation.identifier}__tx_stage_${tag}` };
  const rejects: Relation = { schema, identifier: `${relation.identifier}__tx_rejects_${tag}` };
  const columns = await parquetColumns(opts.parquetFile);
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw new ExportError('EXPORT_CANCELLED', `export to ${display}: cancelled`);
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ExportError) throw e;
      throw new ExportError('EXPORT_FAILED', `export to ${display}: ${what} failed: ${errorMessage(e)}`, {
        transient: (e as { options?: { transient?: boolean } }).options?.transient,
      });
    }
  };
  await step('creating the schema', () => other.ensureSchema(schema));
  let keepRejects = false;
  try {
    const loaded = await step('loading the rows', () =>
      other.loadFileSource({
        uniqueId: node.uniqueId,
        relation: staging,
        files: [opts.parquetFile],
        format: 'parquet',
        columns,
        options: {},
        rejectsRelation: rejects,
        signal,
      }),
    );
    if (loaded.rowsRejected > 0) {
      keepRejects = true;
      throw new ExportError('EXPORT_FAILED', `export to ${display}: ${loaded.rowsRejected} row(s) did not fit the target's column types`, {
        hint: `the rejected rows are in ${d.relationName(rejects)} until the next export`,
      });
    }
    const names = columns.map((c) => d.quoteIdentifier(c.name)).join(', ');
    const sql = `select ${names} from ${d.relationName(staging)}`;
    const options: Record<string, unknown> = spec.partitionBy.length ? { partition_by: spec.partitionBy } : {};
    const r = await step(spec.mode === 'replace' ? 'replacing the table' : 'appending the rows', () =>
      other.materialize({
        uniqueId: node.uniqueId,
        relation,
        sql,
        materialized: spec.mode === 'replace' ? 'table' : 'incremental',
        fullRefresh: false,
        incremental: spec.mode === 'replace' ? undefined : { strategy: 'append', uniqueKey: [], onSchemaChange: 'append_new_columns' },
        options,
        signal,
      }),
    );
    return { relation, display, action: r.action };
  } finally {
    const drop = keepRejects ? [staging] : [staging, rejects];
    for (const rel of drop) {
      await other.dropRelation(rel).catch((e: unknown) => opts.log.warn(`export to ${display}: could not drop ${d.relationName(rel)}: ${errorMessage(e)}`));
    }
  }
}
