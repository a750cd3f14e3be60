/**
 * How tx reads vendor files with DuckDB, shared by every target's loader (DuckDB loads in
 * place; PostgreSQL and Hive read with an in-process DuckDB): the untyped reader query for a
 * source without declared columns, the typed reads whose rejected rows are the same on every
 * target, the max_rejected_rows rule, and Avro records staged as text for typing.
 */
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect as d } from '../duckdb/duckdb-dialect.js';
import { TargetError, type FileSourceLoad, type LoadColumn, type LoadResult } from '../target.js';
import { avroColumns, readAvroBatches, type AvroColumn } from './avro-reader.js';
import { checkCsvHeaders } from './csv-header.js';

const fileList = (files: string[]): string => `[${files.map(d.literal).join(', ')}]`;

/** `select * from read_…(files)` for a source whose columns are not declared. */
export function untypedReaderSql(l: Pick<FileSourceLoad, 'files' | 'format' | 'options'>): string {
  const files = fileList(l.files);
  switch (l.format) {
    case 'csv': {
      const o = l.options;
      const opts = [`header = ${o.header === false ? 'false' : 'true'}`];
      if (o.delimiter) opts.push(`delim = ${d.literal(o.delimiter)}`);
      if (o.quote) opts.push(`quote = ${d.literal(o.quote)}`);
      return `select * from read_csv(${files}, ${opts.join(', ')})`;
    }
    case 'parquet':
      return `select * from read_parquet(${files})`;
    case 'json':
      return `select * from read_json_auto(${files})`;
    default:
      throw new TargetError(`format ${l.format} is not readable in place by DuckDB (csv, parquet, json)`);
  }
}

/** A typed read of a file source, in DuckDB SQL. */
export interface TypedRead {
  /** The rows whose every value fits its declared type, typed. */
  typed: string;
  /** One row per rejected file line: file, line, column_name, error_type, reason, raw_line. */
  rejects: string;
  /** Drops the tables DuckDB fills with rejects while reading (run after `rejects` was read). */
  cleanup: string[];
  /** A faster read giving the same rows and rejects, to run instead when `check` (a query of one row, `n`) counts 0: chooseCsvRead. */
  fast?: { check: string; read: TypedRead };
}

/** A declared type as the loader's DuckDB spells it (targets map their own type names). */
export type DuckTypeName = (declared: string) => string;

/**
 * The most characters a declared type holds: `varchar(3)`, `char(2)`, `character varying(10)`.
 * DuckDB ignores such lengths, PostgreSQL and Spark refuse longer values: tx rejects the row on
 * every target, so a value never fits on one and fails the load on another.
 */
export function maxLength(declared: string): number | undefined {
  const m = /^\s*(?:varchar|character\s+varying|char|character|bpchar|nvarchar|nchar|string)\s*\(\s*(\d+)\s*\)\s*$/i.exec(declared);
  return m ? Number(m[1]) : undefined;
}

/** `(col is too long) or …` and the matching reason text, for the columns with a length limit; null when none has one. */
function lengthChecks(cols: LoadColumn[]): { bad: string; reason: string } | null {
  const q = d.quoteIdentifier;
  const limited = cols.flatMap((c) => {
    const n = maxLength(c.type);
    return n === undefined ? [] : [{ c, n, test: `(${q(c.name)} is not null and length(cast(${q(c.name)} as varchar)) > ${n})` }];
  });
  if (!limited.length) return null;
  return {
    bad: limited.map((x) => x.test).join(' or '),
    reason: `concat_ws('; ', ${limited
      .map((x) => `case when ${x.test} then ${d.literal(`${x.c.name}: value longer than ${x.c.type} (`)} || length(cast(${q(x.c.name)} as varchar)) || ' characters): ' || cast(${q(x.c.name)} as varchar) end`)
      .join(', ')})`,
  };
}

/**
 * A declared DECIMAL wider than 18 digits whose scale leaves at least one digit before the
 * point: DuckDB 1.5's CSV reader parses text into such a 128-bit decimal 18 to 45 times slower
 * than into a 64-bit DECIMAL(18, s) (1,000,000 values: 2.6 s against 0.06 s), and `decimal`
 * or `numeric` without a precision is DECIMAL(38,9).
 */
export function wideDecimal(duckType: string): { precision: number; scale: number } | undefined {
  const m = /^\s*(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$/i.exec(duckType);
  if (!m) return undefined;
  const precision = Number(m[1]);
  const scale = Number(m[2]);
  return precision > 18 && precision <= 38 && scale < 18 ? { precision, scale } : undefined;
}

/**
 * Typed CSV: DuckDB casts each value to its declared type and keeps what does not fit
 * (`store_rejects`); the header must name the declared columns. A value longer than its
 * declared `varchar(n)` rejects its row too (file and reason; DuckDB gives no line number for
 * rows it read without error).
 *
 * With a wide decimal column (wideDecimal) it also gives `fast`: the same read with those
 * columns read as text and cast through DECIMAL(18, s), and the check that allows it: no value
 * of theirs but plain digits that fit DECIMAL(18, s) without rounding (`-?d{1,18-s}(.d{1,s})?`),
 * which both reads turn into the same number. Any other value (an exponent, spaces, more digits,
 * a byte beyond ASCII) and the exact read runs, with its rejects and their line numbers.
 * chooseCsvRead runs the check.
 */
export function typedCsvRead(l: Pick<FileSourceLoad, 'files' | 'uniqueId' | 'options'>, cols: LoadColumn[], typeName: DuckTypeName): TypedRead {
  const delim = l.options.delimiter ?? ',';
  const quote = l.options.quote ?? '"';
  const header = l.options.header !== false;
  if (header) checkCsvHeaders(l, cols, delim, quote);
  const tag = `tx_rej_${Math.random().toString(36).slice(2, 10)}`;
  const csv = { delim, quote, header, tag };
  const exact = csvRead(l, cols, typeName, csv, new Map());
  const wide = new Map(cols.flatMap((c) => {
    const w = wideDecimal(typeName(c.type));
    return w ? [[c.name, w] as const] : [];
  }));
  // the scan reads bytes as Latin-1 (below): a delimiter or quote beyond ASCII would not split the same
  if (!wide.size || /[^\x00-\x7f]/.test(delim + quote)) return exact;
  const q = d.quoteIdentifier;
  const text = `{${cols.map((c) => `${d.literal(c.name)}: 'VARCHAR'`).join(', ')}}`;
  const plain = [...wide].map(([name, w]) => {
    const pattern = `-?[0-9]{1,${18 - w.scale}}${w.scale ? `(\\.[0-9]{1,${w.scale}})?` : ''}`;
    return `(${q(name)} is not null and not regexp_full_match(${q(name)}, ${d.literal(pattern)}))`;
  });
  // 1 when some value is not plain (LIMIT lets DuckDB stop scanning early), else 0. The bytes are read
  // as Latin-1, which every byte is: a value with any byte beyond ASCII (UTF-8 text, or bytes that are
  // not UTF-8) is not plain, so the fast read never gets text DuckDB would refuse as not UTF-8 in such
  // a column (its typed read calls that a failed cast; reading it as text, DuckDB 1.5 can even fail
  // internally when a query reads only that column). Rows split the same: UTF-8 puts no ASCII byte
  // inside a character, and the delimiter and quote are ASCII.
  const check = `select count(*) as n from (select 1 from read_csv(${fileList(l.files)}, ${csvOptions(csv, text)}, encoding = 'latin-1') where ${plain.join(' or ')} limit 1)`;
  return { ...exact, fast: { check, read: csvRead(l, cols, typeName, csv, wide) } };
}

/** read_csv's options for a typed read of the declared columns `colsSpec` (`{'name': 'TYPE', …}`), skipping rows it cannot read. */
const csvOptions = (csv: { delim: string; quote: string; header: boolean }, colsSpec: string): string =>
  `header = ${csv.header}, delim = ${d.literal(csv.delim)}, quote = ${d.literal(csv.quote)}, escape = ${d.literal(csv.quote)}, ` +
  `columns = ${colsSpec}, auto_detect = false, null_padding = false, ignore_errors = true`;

/** The typed CSV read of typedCsvRead; the columns in `wide` read as text and cast through DECIMAL(18, scale). */
function csvRead(
  l: Pick<FileSourceLoad, 'files'>,
  cols: LoadColumn[],
  typeName: DuckTypeName,
  csv: { delim: string; quote: string; header: boolean; tag: string },
  wide: Map<string, { scale: number }>,
): TypedRead {
  const { delim, tag } = csv;
  const q = d.quoteIdentifier;
  const colsSpec = `{${cols.map((c) => `${d.literal(c.name)}: ${d.literal(wide.has(c.name) ? 'VARCHAR' : typeName(c.type))}`).join(', ')}}`;
  const select = wide.size
    ? `select ${cols.map((c) => (wide.has(c.name) ? `cast(cast(${q(c.name)} as DECIMAL(18,${wide.get(c.name)!.scale})) as ${typeName(c.type)}) as ${q(c.name)}` : q(c.name))).join(', ')}`
    : 'select *';
  const options = csvOptions(csv, colsSpec);
  const read = `${select} from read_csv(${fileList(l.files)}, ${options}, store_rejects = true, rejects_table = ${d.literal(tag)}, rejects_scan = ${d.literal(`${tag}_scan`)})`;
  const lengths = lengthChecks(cols);
  // One rejected row per file line, with every reason DuckDB gave for it, ordered so that the
  // text is the same from run to run.
  const why = `case e.error_type when 'MISSING COLUMNS' then 'too few columns (expected ${cols.length})'
                                 when 'TOO MANY COLUMNS' then 'too many columns (expected ${cols.length})'
                                 else e.error_message end`;
  const rejects = `select s.file_path as file, e.line as line, string_agg(distinct e.column_name, ', ' order by e.column_name) as column_name,
          string_agg(distinct e.error_type, ', ' order by e.error_type) as error_type,
          string_agg(distinct ${why}, '; ' order by ${why}) as reason,
          min(e.csv_line) as raw_line
   from ${q(tag)} e join ${q(`${tag}_scan`)} s on e.scan_id = s.scan_id and e.file_id = s.file_id
   group by s.file_path, e.line`;
  const cleanup = [`drop table if exists ${q(tag)}`, `drop table if exists ${q(`${tag}_scan`)}`];
  if (!lengths) return { typed: read, rejects, cleanup };
  // Values too long for their varchar(n): a second scan without store_rejects (the rows DuckDB
  // could not read are skipped by both, and recorded once, by the first).
  const named = `${select}${wide.size ? ', __tx_file' : ''} from read_csv(${fileList(l.files)}, ${options}, filename = '__tx_file')`;
  const raw = `concat_ws(${d.literal(delim)}, ${cols.map((c) => `coalesce(cast(${q(c.name)} as varchar), '')`).join(', ')})`;
  return {
    typed: `select * from (${read}) where not (${lengths.bad})`,
    rejects:
      `${rejects} union all select __tx_file as file, null as line, null as column_name, 'LENGTH' as error_type, ${lengths.reason} as reason, ${raw} as raw_line ` +
      `from (${named}) where ${lengths.bad}`,
    cleanup,
  };
}

/**
 * The read to run of a typed CSV read: its `fast` one when its check counts no value that read
 * could type differently (`count` runs the check and returns its `n`), else the exact one.
 */
export async function chooseCsvRead(read: TypedRead, count: (sql: string) => Promise<number>): Promise<TypedRead> {
  if (!read.fast) return read;
  const exact = { typed: read.typed, rejects: read.rejects, cleanup: read.cleanup };
  let n: number;
  try {
    n = await count(read.fast.check);
  } catch {
    return exact; // a file the scan cannot read: the exact read fails on it as it always did, with the loader's message
  }
  return n === 0 ? read.fast.read : exact;
}

/** Every row of Parquet or JSON files with `__tx_file` and `__tx_line`, for typing by casts; null for other formats. */
export function positionedRowsSql(l: Pick<FileSourceLoad, 'files' | 'format'>): string | null {
  const files = fileList(l.files);
  if (l.format === 'parquet') return `select *, filename as __tx_file, file_row_number + 1 as __tx_line from read_parquet(${files}, filename = true, file_row_number = true)`;
  if (l.format === 'json') return `select *, filename as __tx_file, row_number() over (partition by filename) as __tx_line from read_json_auto(${files}, filename = true)`;
  return null;
}

/**
 * Typed rows from `raw` (Parquet, JSON or staged Avro rows with `__tx_file`, `__tx_line`): each
 * value cast to its declared type; a value that does not fit rejects its row. `available` are the
 * columns `raw` has: a declared column missing from the file is an error.
 */
export function typedCastRead(l: Pick<FileSourceLoad, 'files'>, cols: LoadColumn[], raw: string, available: string[], typeName: DuckTypeName): TypedRead {
  const missing = cols.filter((c) => !available.some((a) => a.toLowerCase() === c.name.toLowerCase()));
  if (missing.length) throw new TargetError(`${l.files[0]}: declared columns missing from the file: ${missing.map((c) => c.name).join(', ')}`);
  const q = d.quoteIdentifier;
  const cast = (c: LoadColumn) => `try_cast(${q(c.name)} as ${typeName(c.type)})`;
  const lengths = lengthChecks(cols);
  const bad = cols.map((c) => `(${q(c.name)} is not null and ${cast(c)} is null)`).join(' or ') + (lengths ? ` or ${lengths.bad}` : '');
  const reason = `concat_ws('; ', ${cols
    .map((c) => `case when ${q(c.name)} is not null and ${cast(c)} is null then ${d.literal(`${c.name}: value does not fit ${typeName(c.type)}: `)} || cast(${q(c.name)} as varchar) end`)
    .join(', ')}${lengths ? `, ${lengths.reason}` : ''})`;
  return {
    typed: `select ${cols.map((c) => `${cast(c)} as ${q(c.name)}`).join(', ')} from (${raw}) where not (${bad})`,
    rejects: `select __tx_file as file, __tx_line as line, null as column_name, 'CAST' as error_type, ${reason} as reason, null as raw_line from (${raw}) where ${bad}`,
    cleanup: [],
  };
}

/** The rows of a rejects table (without `rejected_at`, which each target stamps): the same columns and types everywhere. */
export function rejectRowsSql(sourceId: string, rejects: string): string {
  return (
    `select ${d.literal(sourceId)} as source, cast(file as varchar) as file, cast(line as bigint) as line, cast(column_name as varchar) as column_name, ` +
    `cast(error_type as varchar) as error_type, cast(reason as varchar) as reason, cast(raw_line as varchar) as raw_line from (${rejects})`
  );
}

/** A few rejected rows for the console, from rows with file, line and reason. */
export function rejectSample(rows: Record<string, unknown>[]): NonNullable<LoadResult['sampleRejects']> {
  return rows.map((x) => ({ file: basename(String(x.file)), line: x.line == null ? undefined : Number(x.line), reason: String(x.reason) }));
}

/**
 * max_rejected_rows: a count, or a fraction of all rows below 1 (default 0). The error that stops
 * the load when there are more rejects than that, naming where they are and the first few.
 */
export function rejectLimitError(
  l: Pick<FileSourceLoad, 'uniqueId' | 'maxRejectedRows'>,
  loaded: number,
  rejected: number,
  sample: NonNullable<LoadResult['sampleRejects']>,
  rejectsName: string,
): TargetError | undefined {
  const max = l.maxRejectedRows ?? 0;
  const total = loaded + rejected;
  const allowed = max > 0 && max < 1 ? Math.floor(max * total) : max;
  if (rejected <= allowed) return undefined;
  const first = sample.map((s) => `${s.file}${s.line ? `:${s.line}` : ''}: ${s.reason}`).join('\n    ');
  return new TargetError(`${rejected} of ${total} rows of ${l.uniqueId} were rejected (max_rejected_rows: ${max}); they are in ${rejectsName}\n    ${first}`);
}

/** The columns of the first Avro file, or a clear error when it is not one. */
export async function avroSourceColumns(l: Pick<FileSourceLoad, 'files'>): Promise<AvroColumn[]> {
  return avroColumns(l.files[0]!).catch((e: unknown) => {
    throw new TargetError(`${l.files[0]}: not a readable Avro file: ${(e as Error).message}`, { cause: e });
  });
}

/**
 * Stream every record of the Avro files (avsc, bounded memory) into `table` (created here) as
 * text values plus `__tx_file` and `__tx_line` (record number), ready to be typed like any source.
 */
export async function stageAvroRecords(
  c: DuckDBConnection,
  table: { schema: string; identifier: string },
  names: string[],
  l: Pick<FileSourceLoad, 'files' | 'signal'>,
  opts: { create?: string; run?: (sql: string) => Promise<unknown> } = {},
): Promise<void> {
  const q = d.quoteIdentifier;
  const run = opts.run ?? ((sql: string) => c.run(sql));
  const create = opts.create ?? 'create or replace table';
  await run(`${create} ${q(table.schema)}.${q(table.identifier)} (${[...names.map((n) => `${q(n)} varchar`), '__tx_file varchar', '__tx_line bigint'].join(', ')})`);
  const appender = await c.createAppender(table.identifier, table.schema);
  try {
    for (const f of l.files) {
      let line = 0;
      for await (const batch of readAvroBatches(f, { batchSize: 5000, signal: l.signal })) {
        for (const row of batch) {
          line++;
          for (const n of names) {
            const v = row[n];
            if (v === null || v === undefined) appender.appendNull();
            else appender.appendVarchar(v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
          }
          appender.appendVarchar(f);
          appender.appendVarchar(String(line));
          appender.endRow();
        }
      }
    }
    appender.flushSync();
  } catch (e) {
    throw new TargetError(`cannot read Avro source ${l.files[0]}: ${(e as Error).message}`, { cause: e });
  } finally {
    appender.closeSync();
  }
}
