/**
 * Streams rows out of a warehouse that has no file writer of its own (PostgreSQL, Hive) into
 * a private, disk-backed DuckDB table through an appender, batch by batch. Memory stays flat:
 * one batch of JS rows plus DuckDB's bounded buffer pool; the stage lives on disk.
 *
 * Values are appended in a few "stage" types (BIGINT, DOUBLE, BOOLEAN, BLOB, VARCHAR) and cast
 * to the warehouse's column types when the files are written, so DECIMAL, DATE and TIMESTAMP
 * values round-trip exactly from their text forms.
 */
import type { DuckDBAppender } from '@duckdb/node-api';
import type { ColumnInfo, Row, TargetSession, Relation } from '../target.js';
import { SqlDate, SqlTimestampTz, isSqlTemporal } from '../values/sql-values.js';
import { ExportError } from './export-error.js';
import { quoteIdent, type LocalDuckdb } from './local-duckdb.js';

type StageType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'BLOB' | 'VARCHAR';

export interface StagedColumn {
  name: string;
  /** DuckDB type of the exported column. */
  type: string;
  stage: StageType;
}

/** Map a warehouse type name (PostgreSQL, Hive/Spark, DuckDB) to a DuckDB type and a stage type. */
export function mapWarehouseType(warehouseType: string): { type: string; stage: StageType } {
  const t = warehouseType.trim().toUpperCase();
  const base = t.replace(/\(.*$/, '').trim();
  const dec = /^(?:NUMERIC|DECIMAL|NUMBER)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(t);
  if (dec) {
    const p = Number(dec[1]);
    const s = Number(dec[2] ?? 0);
    if (p >= 1 && p <= 38 && s <= p) return { type: `DECIMAL(${p},${s})`, stage: 'VARCHAR' };
    return { type: 'DOUBLE', stage: 'DOUBLE' };
  }
  switch (base) {
    case 'BOOL':
    case 'BOOLEAN':
      return { type: 'BOOLEAN', stage: 'BOOLEAN' };
    case 'TINYINT':
    case 'BYTE':
    case 'INT1':
      return { type: 'TINYINT', stage: 'BIGINT' };
    case 'SMALLINT':
    case 'INT2':
    case 'SHORT':
    case 'SMALLSERIAL':
      return { type: 'SMALLINT', stage: 'BIGINT' };
    case 'INT':
    case 'INTEGER':
    case 'INT4':
    case 'MEDIUMINT':
    case 'SERIAL':
      return { type: 'INTEGER', stage: 'BIGINT' };
    case 'BIGINT':
    case 'INT8':
    case 'LONG':
    case 'BIGSERIAL':
      return { type: 'BIGINT', stage: 'BIGINT' };
    case 'HUGEINT':
      return { type: 'HUGEINT', stage: 'VARCHAR' };
    case 'REAL':
    case 'FLOAT4':
    case 'FLOAT':
      return { type: 'FLOAT', stage: 'DOUBLE' };
    case 'DOUBLE':
    case 'DOUBLE PRECISION':
    case 'FLOAT8':
      return { type: 'DOUBLE', stage: 'DOUBLE' };
    case 'NUMERIC':
    case 'DECIMAL':
    case 'NUMBER':
      return { type: 'DECIMAL(38,9)', stage: 'VARCHAR' };
    case 'DATE':
      return { type: 'DATE', stage: 'VARCHAR' };
    case 'TIMESTAMP':
    case 'TIMESTAMP WITHOUT TIME ZONE':
    case 'DATETIME':
    case 'TIMESTAMP_NTZ':
      return { type: 'TIMESTAMP', stage: 'VARCHAR' };
    case 'TIMESTAMPTZ':
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMP_LTZ':
      return { type: 'TIMESTAMPTZ', stage: 'VARCHAR' };
    case 'TIME':
    case 'TIME WITHOUT TIME ZONE':
      return { type: 'TIME', stage: 'VARCHAR' };
    case 'UUID':
      return { type: 'UUID', stage: 'VARCHAR' };
    case 'BYTEA':
    case 'BLOB':
    case 'BINARY':
    case 'VARBINARY':
      return { type: 'BLOB', stage: 'BLOB' };
    case 'JSON':
    case 'JSONB':
      return { type: 'JSON', stage: 'VARCHAR' };
    default:
      // Text of every kind, and nested types (arrays, maps, structs) as JSON text.
      return { type: 'VARCHAR', stage: 'VARCHAR' };
  }
}

/** Column types from the first rows when the warehouse reports none. */
function inferColumns(rows: Row[]): StagedColumn[] {
  const names = Object.keys(rows[0] ?? {});
  return names.map((name) => {
    const v = rows.find((r) => r[name] !== null && r[name] !== undefined)?.[name];
    if (typeof v === 'bigint') return { name, type: 'BIGINT', stage: 'BIGINT' };
    if (typeof v === 'number') return { name, type: 'DOUBLE', stage: 'DOUBLE' };
    if (typeof v === 'boolean') return { name, type: 'BOOLEAN', stage: 'BOOLEAN' };
    if (v instanceof SqlDate) return { name, type: 'DATE', stage: 'VARCHAR' };
    if (v instanceof SqlTimestampTz) return { name, type: 'TIMESTAMPTZ', stage: 'VARCHAR' };
    if (v instanceof Date) return { name, type: 'TIMESTAMP', stage: 'VARCHAR' };
    if (v instanceof Uint8Array) return { name, type: 'BLOB', stage: 'BLOB' };
    return { name, type: 'VARCHAR', stage: 'VARCHAR' };
  });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Text form DuckDB casts back exactly: a connection's dates and timestamps (targets/values) as
 * their own text, to the microsecond; DECIMAL text as it came; a plain Date as its local wall clock.
 */
function toText(v: unknown, type: string): string {
  if (typeof v === 'string') return v;
  if (isSqlTemporal(v)) return v.text;
  if (v instanceof Date) {
    if (type === 'TIMESTAMPTZ') return v.toISOString();
    const date = `${pad(v.getFullYear(), 4)}-${pad(v.getMonth() + 1)}-${pad(v.getDate())}`;
    if (type === 'DATE') return date;
    return `${date} ${pad(v.getHours())}:${pad(v.getMinutes())}:${pad(v.getSeconds())}.${pad(v.getMilliseconds(), 3)}`;
  }
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function appendValue(app: DuckDBAppender, col: StagedColumn, v: unknown): void {
  if (v === null || v === undefined) {
    app.appendNull();
    return;
  }
  switch (col.stage) {
    case 'BIGINT':
      if (typeof v === 'bigint') app.appendBigInt(v);
      else if (typeof v === 'number' && Number.isInteger(v)) app.appendBigInt(BigInt(v));
      else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) app.appendBigInt(BigInt(v.trim()));
      else throw new ExportError('EXPORT_FAILED', `column \`${col.name}\` (${col.type}) holds a value that is not an integer: ${String(v).slice(0, 40)}`);
      return;
    case 'DOUBLE': {
      const n = typeof v === 'number' ? v : Number(v);
      if (Number.isNaN(n) && !(typeof v === 'string' && /^nan$/i.test(v.trim()))) {
        throw new ExportError('EXPORT_FAILED', `column \`${col.name}\` (${col.type}) holds a value that is not a number: ${String(v).slice(0, 40)}`);
      }
      app.appendDouble(n);
      return;
    }
    case 'BOOLEAN':
      app.appendBoolean(typeof v === 'boolean' ? v : /^(t|true|1|y|yes)$/i.test(String(v).trim()));
      return;
    case 'BLOB':
      app.appendBlob(v instanceof Uint8Array ? v : Buffer.from(String(v)));
      return;
    default:
      app.appendVarchar(toText(v, col.type));
  }
}

/** The SELECT that casts the stage back to the exported types. */
export function castSelect(table: string, columns: StagedColumn[]): string {
  const cols = columns.map((c) => (c.stage === c.type ? quoteIdent(c.name) : `${castStaged(quoteIdent(c.name), c)} AS ${quoteIdent(c.name)}`));
  return `SELECT ${cols.length ? cols.join(', ') : '*'} FROM ${quoteIdent(table)}`;
}

/**
 * A staged value cast to its column's type. Text into a DECIMAL wider than 18 digits goes through DECIMAL(18, s)
 * when it fits there: DuckDB (1.5) parses text into a 128-bit decimal some 40 to 70 times slower than into a
 * 64-bit one (200,000 values: 1.5 s against 0.03 s), and the value is the same, rounding included
 * (row-stager.test.ts compares both on edge values); text that does not fit takes the exact cast.
 */
export function castStaged(expr: string, c: Pick<StagedColumn, 'type' | 'stage'>): string {
  const wide = /^DECIMAL\((\d+),(\d+)\)$/.exec(c.type);
  if (c.stage === 'VARCHAR' && wide && Number(wide[1]) > 18 && Number(wide[2]) <= 18) {
    return `COALESCE(CAST(TRY_CAST(${expr} AS DECIMAL(18,${wide[2]})) AS ${c.type}), CAST(${expr} AS ${c.type}))`;
  }
  return `CAST(${expr} AS ${c.type})`;
}

/**
 * Stream `SELECT * FROM relationName` out of `session` into table `table` of `stage`.
 * Returns the staged columns and the row count.
 */
export async function stageRows(opts: {
  session: TargetSession;
  relation: Relation;
  relationName: string;
  stage: LocalDuckdb;
  table: string;
  batchSize?: number;
  signal?: AbortSignal;
  onRows?: (rows: number) => void;
}): Promise<{ columns: StagedColumn[]; rows: number }> {
  const { session, stage, table } = opts;
  let declared: ColumnInfo[] = [];
  try {
    declared = await session.columns(opts.relation);
  } catch {
    declared = [];
  }
  let columns: StagedColumn[] | undefined = declared.length
    ? declared.map((c) => ({ name: c.name, ...mapWarehouseType(c.type) }))
    : undefined;
  let app: DuckDBAppender | undefined;
  let rows = 0;
  const create = async (cols: StagedColumn[]): Promise<DuckDBAppender> => {
    const defs = cols.map((c) => `${quoteIdent(c.name)} ${c.stage}`).join(', ');
    await stage.run(`CREATE TABLE ${quoteIdent(table)} (${defs})`);
    return stage.appender(table);
  };
  try {
    for await (const batch of session.connection.stream(`SELECT * FROM ${opts.relationName}`, { batchSize: opts.batchSize ?? 10_000, signal: opts.signal })) {
      if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      if (batch.length === 0) continue;
      if (!columns) columns = inferColumns(batch);
      if (!app) app = await create(columns);
      // Rows may carry names in another case than the introspector reported (Hive lower-cases).
      const keys = Object.keys(batch[0]!);
      const keyOf = columns.map((c) => (c.name in batch[0]! ? c.name : (keys.find((k) => k.toLowerCase() === c.name.toLowerCase()) ?? c.name)));
      for (const row of batch) {
        for (let i = 0; i < columns.length; i++) appendValue(app, columns[i]!, row[keyOf[i]!]);
        app.endRow();
      }
      app.flushSync();
      rows += batch.length;
      opts.onRows?.(rows);
    }
    if (!app) {
      // Empty result: still create the table so the files have the right columns.
      if (!columns) columns = [];
      if (columns.length === 0) throw new ExportError('EXPORT_FAILED', `${opts.relationName} returned no rows and its columns are unknown`);
      app = await create(columns);
    }
    app.closeSync();
    app = undefined;
    return { columns: columns!, rows };
  } finally {
    if (app) {
      try {
        app.closeSync();
      } catch {
        /* the stage is thrown away anyway */
      }
    }
  }
}
