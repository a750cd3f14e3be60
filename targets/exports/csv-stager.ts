/**
 * Stages a relation of a warehouse with a bulk CSV export (PostgreSQL's `COPY … TO STDOUT`) into the
 * private DuckDB, without a row passing through JavaScript: the warehouse writes CSV into a local
 * file, DuckDB reads it with every column as text and casts each to its stage type, exactly as
 * row-stager.ts would append it. So the files written from the stage are the same either way.
 *
 * Only for columns whose text form DuckDB types exactly (numbers, booleans, text, dates, times,
 * UUIDs, bytea as hex); any other column (arrays, JSON, intervals, user types) and an unknown
 * column list leave the relation to row-stager.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Relation, TargetSession } from '../target.js';
import { landCsv } from './csv-pipe.js';
import { mapWarehouseType, type StagedColumn } from './row-stager.js';
import { quoteIdent, quoteLiteral, type LocalDuckdb } from './local-duckdb.js';

/** PostgreSQL types (as `format_type` spells them, upper-cased) whose CSV text DuckDB casts back to the row stager's values. */
const EXACT_TEXT =
  /^(BOOLEAN|SMALLINT|INTEGER|BIGINT|REAL|DOUBLE PRECISION|NUMERIC(\(\d+(,\d+)?\))?|TEXT|NAME|"CHAR"|CHARACTER VARYING(\(\d+\))?|CHARACTER(\(\d+\))?|DATE|TIMESTAMP(\(\d\))? WITHOUT TIME ZONE|TIMESTAMP(\(\d\))? WITH TIME ZONE|TIME(\(\d\))? WITHOUT TIME ZONE|UUID|BYTEA)$/;

/** The warehouse-side expression for a column: bytea as hex digits, TIMESTAMPTZ as UTC text (PostgreSQL SQL). */
function warehouseExpr(name: string, type: string, quote: (n: string) => string): string {
  const c = quote(name);
  if (type === 'BYTEA') return `encode(${c}, 'hex')`;
  if (/^TIMESTAMP(\(\d\))? WITH TIME ZONE$/.test(type)) return `CASE WHEN isfinite(${c}) THEN (${c} AT TIME ZONE 'UTC')::text || '+00' ELSE ${c}::text END`;
  return c;
}

/** The stage expression for a text column read from the CSV. */
function stageExpr(col: StagedColumn): string {
  const c = quoteIdent(col.name);
  if (col.stage === 'BLOB') return `unhex(${c}) AS ${c}`;
  if (col.stage === 'VARCHAR') return c;
  return `CAST(${c} AS ${col.stage}) AS ${c}`;
}

/**
 * What was staged: the columns and either the rows the warehouse sent or, for a view over a named pipe the
 * warehouse is still writing, `piped`: call it once the one statement reading the view has settled (with its error
 * if it failed); it returns the rows sent or throws the warehouse's error, then the reader's.
 */
export type CsvStage = { columns: StagedColumn[]; file?: string } & ({ rows: number; piped?: undefined } | { rows?: undefined; piped: (readError?: unknown) => Promise<number> });

/**
 * Stages `relationName` into `table` through a CSV file in `dir` when the session can and every column's type
 * qualifies; returns null otherwise (nothing done). With `view`, `table` is a view over the file (one pass of
 * DuckDB for an export written by one COPY; the caller removes `file` after writing): a named pipe the warehouse
 * is still writing when its CSV outgrew csv-pipe.ts's threshold (then `piped`, see CsvStage). Else a table (for
 * exports that read the rows several times) and the file is removed here.
 */
export async function stageByCsvCopy(opts: {
  session: TargetSession;
  relation: Relation;
  relationName: string;
  stage: LocalDuckdb;
  table: string;
  dir: string;
  view?: boolean;
  signal?: AbortSignal;
  /** Called once if a piped CSV stops before its end (the warehouse failed): interrupt the view's reader. */
  onPipeFailure?: () => void;
}): Promise<CsvStage | null> {
  const copy = opts.session.connection.copyCsvToFile?.bind(opts.session.connection);
  const copyOut = opts.session.connection.copyCsvOut?.bind(opts.session.connection);
  if (!copy) return null;
  const declared = await opts.session.columns(opts.relation).catch(() => []);
  if (!declared.length || !declared.every((c) => EXACT_TEXT.test(c.type.trim().toUpperCase()))) return null;
  const columns: StagedColumn[] = declared.map((c) => ({ name: c.name, ...mapWarehouseType(c.type) }));
  const file = path.join(opts.dir, `${opts.table}.csv`);
  let keep = false;
  try {
    const q = (n: string) => opts.session.dialect.quoteIdentifier(n);
    const select = `SELECT ${declared.map((c) => `${warehouseExpr(c.name, c.type.trim().toUpperCase(), q)} AS ${q(c.name)}`).join(', ')} FROM ${opts.relationName}`;
    // A view is read once: the CSV can flow into it while the warehouse still writes (csv-pipe.ts).
    const landed = opts.view && copyOut ? await landCsv({ copyOut: (dest) => copyOut(select, dest, { signal: opts.signal }), dir: opts.dir, name: opts.table, onFailure: opts.onPipeFailure }) : null;
    const piped = landed?.kind === 'pipe' ? landed.finish : undefined;
    const copied = landed?.kind === 'file' ? landed.rows : piped ? undefined : await copy(select, file, { signal: opts.signal });
    if (opts.signal?.aborted) {
      await piped?.(new Error('cancelled')).catch(() => undefined);
      throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    }
    // Every non-null value is quoted by the warehouse: an unquoted empty field is NULL, a quoted one the empty string.
    const spec = `{${columns.map((c) => `${quoteLiteral(c.name)}: 'VARCHAR'`).join(', ')}}`;
    const read =
      `read_csv(${quoteLiteral(file)}, columns = ${spec}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
      `allow_quoted_nulls = false, strict_mode = true, null_padding = false)`;
    const body = `SELECT ${columns.map(stageExpr).join(', ')} FROM ${read}`;
    if (opts.view) {
      // The rows are counted when written (COPY's count), and checked against `copied` by the caller's files.
      try {
        await opts.stage.run(`CREATE VIEW ${quoteIdent(opts.table)} AS ${body}`);
      } catch (e) {
        if (piped) await piped(e);
        throw e;
      }
      keep = true;
      return piped ? { columns, file, piped } : { columns, rows: copied!, file };
    }
    await opts.stage.run(`CREATE TABLE ${quoteIdent(opts.table)} AS ${body}`);
    const rows = Number((await opts.stage.query(`SELECT count(*) AS n FROM ${quoteIdent(opts.table)}`))[0]!.n);
    if (rows !== copied) throw new Error(`staged ${rows} rows of ${opts.relationName} where the warehouse sent ${copied}`);
    return { columns, rows };
  } finally {
    if (!keep) await fs.promises.rm(file, { force: true });
  }
}
