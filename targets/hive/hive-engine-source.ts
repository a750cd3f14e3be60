/**
 * File sources read by Spark itself: when a source's path is one the engine reaches (its URL
 * starts with an entry of the target's `engine_paths`), no byte of it passes through tx. Spark
 * reads the files through a temporary view (`CREATE TEMPORARY VIEW … USING csv|parquet|json|orc|avro`)
 * and CTAS writes the typed rows beside the table, which is then swapped in like any load.
 *
 * Rejected rows are the client-side loader's (hive-loader.ts, duckdb-file-readers.ts), computed by
 * Spark:
 * - CSV is read with the declared types in PERMISSIVE mode with a `_corrupt_record` column: a row
 *   whose value does not parse, or that has too few or too many fields, keeps its raw line there.
 *   The reason is rebuilt as DuckDB words it (`Error when converting column "x". Could not convert
 *   string "v" to 'BIGINT'`, `too few columns (expected n)`, `too many columns (expected n)`). The
 *   header is checked by Spark (`enforceSchema false`); a mismatch is reported with the client
 *   loader's message, from the file's first line read by Spark.
 * - Parquet, ORC and JSON (JSON read as text values) are typed with `try_cast`: a value that is not
 *   null but casts to null rejects its row (`x: value does not fit BIGINT: v`), as `typedCastRead`.
 * - Line numbers: Spark has no row number for a file, so the line of a rejected row is counted from
 *   the rows of the file's earlier splits (`input_file_block_start()`) and its position in its own
 *   split (`monotonically_increasing_id()` is consecutive within a task). Computed only when rows
 *   were rejected.
 */
import { TargetError, type FileSourceLoad, type LoadColumn, type LoadResult, type Relation } from '../target.js';
import { duckdbDialect as dd } from '../duckdb/duckdb-dialect.js';
import { checkHeaderNames } from '../files/csv-header.js';
import { rejectLimitError, rejectSample } from '../files/duckdb-file-readers.js';
import type { HiveConnection } from './hive-connection.js';
import { hiveDialect as d } from './hive-dialect.js';

const q = d.quoteIdentifier;
const lit = d.literal;

/** Extensions of data files, by format (compression suffixes are stripped first). */
const EXT_FORMAT: Record<string, string> = { csv: 'csv', tsv: 'csv', parquet: 'parquet', pq: 'parquet', json: 'json', jsonl: 'json', ndjson: 'json', orc: 'orc', avro: 'avro' };

/** The URL Spark should read for a source, when the engine reaches it; null when tx reads it. */
export function engineLocation(l: Pick<FileSourceLoad, 'location'>, enginePaths: string[]): string | null {
  const loc = l.location;
  if (!loc || !enginePaths.length) return null;
  const lower = loc.toLowerCase();
  return enginePaths.some((p) => lower.startsWith(p.toLowerCase())) ? loc : null;
}

/** `file:///x` and `file:/x` as the local path Spark means; other URLs as they are. */
export function displayPath(url: string): string {
  return url.replace(/^file:(\/\/)?(?=\/)/, '');
}

/** The format of a file from its name, or undefined for an unknown extension. */
export function formatOfName(name: string): string | undefined {
  const parts = name.toLowerCase().split('/').pop()!.split('.');
  while (parts.length > 1 && ['gz', 'gzip', 'bz2', 'snappy', 'zst', 'lz4', 'deflate', 'xz', 'zstd'].includes(parts[parts.length - 1]!)) parts.pop();
  return parts.length > 1 ? EXT_FORMAT[parts[parts.length - 1]!] : undefined;
}

const INTEGRAL = new Set(['TINYINT', 'SMALLINT', 'INT', 'INTEGER', 'BIGINT']);

/**
 * `try_cast` as DuckDB casts: an integral type from a fractional value or text rounds half away
 * from zero (DuckDB's `'1.5'::BIGINT` is 2; Spark's cast truncates or refuses).
 */
export function sparkTryCast(expr: string, hiveType: string): string {
  if (INTEGRAL.has(hiveType.toUpperCase())) return `try_cast(round(try_cast(${expr} AS DECIMAL(38,10)), 0) AS ${hiveType})`;
  return `try_cast(${expr} AS ${hiveType})`;
}

/** A Java regex matching `s` literally. */
function regexLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface EngineSourceDeps {
  conn: HiveConnection;
  /** Lands the rows of a Spark query beside `relation` and swaps it in; `before` runs before the swap. */
  replaceWithQuery(relation: Relation, sql: string, node: string, before?: () => Promise<void>): Promise<void>;
  /** A warning for the run's log. */
  warn?(message: string): void;
}

type Sample = NonNullable<LoadResult['sampleRejects']>;

export class HiveEngineSource {
  constructor(private readonly deps: EngineSourceDeps) {}

  private q(sql: string, node: string, signal?: AbortSignal) {
    return this.deps.conn.query(sql, { node, signal });
  }
  private x(sql: string, node: string, signal?: AbortSignal) {
    return this.deps.conn.execute(sql, { node, signal });
  }

  /** The engine's own listing of the source's data files (path, bytes); a clear error when it cannot read the path. */
  async listFiles(location: string, source: string, node: string): Promise<{ path: string; length: number }[]> {
    const view = `tx_ls_${Math.random().toString(36).slice(2, 10)}`;
    try {
      await this.x(`CREATE OR REPLACE TEMPORARY VIEW ${q(view)} USING binaryFile OPTIONS (path ${lit(location)}, recursiveFileLookup 'true')`, node);
      const rows = await this.q(`SELECT path, length FROM ${q(view)} ORDER BY path`, node);
      return rows.map((r) => ({ path: String(r.path), length: Number(r.length) }));
    } catch (e) {
      throw new TargetError(`file source ${source}: the Spark server cannot read ${location}: ${firstLine(e)}`, {
        cause: e,
      });
    } finally {
      await this.x(`DROP VIEW IF EXISTS ${q(view)}`, node).catch(() => undefined);
    }
  }

  async load(l: FileSourceLoad, location: string): Promise<LoadResult> {
    const node = l.uniqueId;
    const files = await this.listFiles(location, l.uniqueId, node);
    if (!files.length) throw new TargetError(`file source ${l.uniqueId}: ${location} holds no data files (as the Spark server lists it)`);
    const formats = new Map<string, string>();
    for (const f of files) {
      const fmt = formatOfName(f.path);
      if (fmt && !formats.has(fmt)) formats.set(fmt, f.path);
    }
    if (formats.size > 1 || (formats.size === 1 && !formats.has(l.format))) {
      const found = [...formats].map(([fmt, p]) => `${fmt} (${displayPath(p)})`).join(', ');
      throw new TargetError(
        `file source ${l.uniqueId}: ${location} holds files of another format than the declared ${l.format}: ${found}; point the source at one format's files`,
      );
    }
    const id = Math.random().toString(36).slice(2, 10);
    const raw = `tx_src_${id}`;
    // A date like 2021-13-01 is a rejected value (null from the parser), not Spark's "different result
    // since Spark 3.0" error. Stays set on the session (it only turns that error into null).
    if (cols_(l)) await this.x(`SET spark.sql.legacy.timeParserPolicy=CORRECTED`, node);
    const cols = l.columns?.length ? l.columns : undefined;
    try {
      await this.createRawView(l, location, raw, cols, node);
      if (!cols) {
        await this.deps.replaceWithQuery(l.relation, `SELECT * FROM ${q(raw)}`, node);
        const n = Number((await this.q(`SELECT count(*) AS n FROM ${d.relationName(l.relation)}`, node))[0]?.n ?? 0);
        return { rowsLoaded: n, rowsRejected: 0 };
      }
      if (l.format !== 'csv') await this.checkColumns(l, raw, cols, node);
      else if (l.options.header !== false) await this.checkHeaders(l, files, cols, node);
      return await this.typedLoad(l, raw, cols, node);
    } catch (e) {
      if (e instanceof TargetError && e.message.startsWith('file source')) throw e;
      if (e instanceof TargetError && /declared columns|were rejected|header does not match|the file is empty/.test(e.message)) throw e;
      throw new TargetError(`cannot read ${l.format} source ${displayPath(location)} (read by the Spark server): ${firstLine(e)}`, { cause: e });
    } finally {
      await this.x(`DROP VIEW IF EXISTS ${q(raw)}`, node).catch(() => undefined);
    }
  }

  private async createRawView(l: FileSourceLoad, location: string, view: string, cols: LoadColumn[] | undefined, node: string): Promise<void> {
    const opts: string[] = [`path ${lit(location)}`, `recursiveFileLookup 'true'`];
    let schema = '';
    let using: string = l.format;
    if (l.format === 'csv') {
      const quote = l.options.quote ?? '"';
      opts.push(`header ${lit(String(l.options.header !== false))}`, `sep ${lit(l.options.delimiter ?? ',')}`, `quote ${lit(quote)}`, `escape ${lit(quote)}`);
      if (cols) {
        opts.push(`mode 'PERMISSIVE'`, `columnNameOfCorruptRecord '_corrupt_record'`, `enforceSchema 'false'`);
        schema = `(${cols.map((c) => `${q(c.name)} ${d.typeName(c.type)}`).join(', ')}, _corrupt_record STRING)`;
      } else opts.push(`inferSchema 'true'`);
    } else if (l.format === 'json') {
      if (cols) {
        opts.push(`mode 'PERMISSIVE'`, `columnNameOfCorruptRecord '_corrupt_record'`);
        // As text: a value that does not fit is then a reject of its own, not a corrupt record.
        schema = `(${cols.map((c) => `${q(c.name)} STRING`).join(', ')}, _corrupt_record STRING)`;
      }
    } else if (l.format === 'avro') using = 'avro';
    try {
      await this.x(`CREATE OR REPLACE TEMPORARY VIEW ${q(view)} ${schema} USING ${using} OPTIONS (${opts.join(', ')})`, node);
    } catch (e) {
      if (l.format === 'avro' && /Failed to find data source: avro/i.test(firstLine(e))) {
        throw new TargetError(
          `file source ${l.uniqueId}: the Spark server has no Avro reader (the spark-avro package is not on its class path); ` +
            `start the Thrift Server with --packages org.apache.spark:spark-avro_2.12:<spark version>, or give the source a path tx reads itself (not in engine_paths)`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** Parquet/ORC/JSON: every declared column must be in the files (the client loader's message). */
  private async checkColumns(l: FileSourceLoad, raw: string, cols: LoadColumn[], node: string): Promise<void> {
    const described = await this.q(`DESCRIBE ${q(raw)}`, node);
    const available = described.map((r) => String(r.col_name ?? '')).filter((n) => n && !n.startsWith('#'));
    const missing = cols.filter((c) => !available.some((a) => a.toLowerCase() === c.name.toLowerCase()));
    if (missing.length) throw new TargetError(`${displayPath(l.location ?? l.files[0]!)}: declared columns missing from the file: ${missing.map((c) => c.name).join(', ')}`);
  }

  /**
   * Each CSV file's first line, read by Spark (`LIMIT 1` per file, many files per query), must be the
   * declared columns: the client loader's check and message (csv-header.ts), without the bytes
   * reaching tx beyond one line per file.
   */
  private async checkHeaders(l: FileSourceLoad, files: { path: string }[], cols: LoadColumn[], node: string): Promise<void> {
    for (let i = 0; i < files.length; i += 100) {
      const chunk = files.slice(i, i + 100);
      const sql = chunk.map((f, j) => `SELECT ${j} AS i, value FROM (SELECT value FROM text.${q(f.path)} LIMIT 1)`).join('\nUNION ALL\n');
      const rows = await this.q(sql, node, l.signal);
      const first = new Map(rows.map((r) => [Number(r.i), String(r.value)]));
      chunk.forEach((f, j) => {
        const shown = displayPath(decodeURI(f.path));
        const line = first.get(j);
        if (line === undefined) throw new TargetError(`${shown}: the file is empty; expected a header line with ${cols.length} columns`);
        checkHeaderNames(shown, line.replace(/^\uFEFF/, '').replace(/\r$/, ''), l.uniqueId, cols, l.options.delimiter ?? ',', l.options.quote ?? '"');
      });
    }
  }

  /**
   * The typed read as Spark SQL: `src` (the rows with helper columns), the typed projection, the
   * reject condition, and per rejected row its error type, column names, reason and raw line.
   */
  private typedRead(l: FileSourceLoad, raw: string, cols: LoadColumn[]) {
    const n = cols.length;
    const hive = (c: LoadColumn) => d.typeName(c.type);
    const duckType = (c: LoadColumn) => dd.typeName(c.type).toUpperCase();
    const sorted = cols.map((c, i) => ({ c, i })).sort((a, b) => (a.c.name < b.c.name ? -1 : a.c.name > b.c.name ? 1 : 0));
    if (l.format === 'csv') {
      const delim = l.options.delimiter ?? ',';
      const quote = l.options.quote ?? '"';
      // A row Spark's typed parser refused keeps its raw line; its fields as text (from_csv) decide
      // whether DuckDB's cast would have taken it (`' 7 '`, `'1.5'` as BIGINT) or rejects it.
      const quotedField = `${regexLiteral(quote)}([^${regexLiteral(quote)}]|${regexLiteral(quote)}${regexLiteral(quote)})*${regexLiteral(quote)}`;
      const fields = `size(split(regexp_replace(_corrupt_record, ${lit(quotedField)}, 'x'), ${lit(regexLiteral(delim))}, -1))`;
      const tokens = `from_csv(_corrupt_record, ${lit(cols.map((c, i) => `${q(`f${i}`)} STRING`).join(', '))}, map('sep', ${lit(delim)}, 'quote', ${lit(quote)}, 'escape', ${lit(quote)}))`;
      const src = `(SELECT *, CASE WHEN _corrupt_record IS NOT NULL THEN ${fields} END AS __fields, CASE WHEN _corrupt_record IS NOT NULL THEN ${tokens} END AS __t FROM ${q(raw)})`;
      const tok = (i: number) => `nullif(__t.${q(`f${i}`)}, '')`;
      const tokBad = (c: LoadColumn, i: number) => `(${tok(i)} IS NOT NULL AND ${sparkTryCast(tok(i), hive(c))} IS NULL)`;
      const anyTokBad = cols.map((c, i) => tokBad(c, i)).join(' OR ');
      const badCore = `_corrupt_record IS NOT NULL AND (__fields <> ${n} OR ${anyTokBad})`;
      const names = `array(${cols.map((c) => lit(c.name)).join(', ')})`;
      return {
        src,
        typed: cols.map((c, i) => `CASE WHEN _corrupt_record IS NULL THEN ${q(c.name)} ELSE ${sparkTryCast(tok(i), hive(c))} END AS ${q(c.name)}`).join(', '),
        badCore,
        errorType: `CASE WHEN __fields < ${n} THEN 'MISSING COLUMNS' WHEN __fields > ${n} THEN 'TOO MANY COLUMNS' ELSE 'CAST' END`,
        columnName: `CASE WHEN __fields < ${n} THEN element_at(${names}, __fields + 1) WHEN __fields > ${n} THEN NULL
               ELSE nullif(concat_ws(', ', ${sorted.map((x) => `CASE WHEN ${tokBad(x.c, x.i)} THEN ${lit(x.c.name)} END`).join(', ')}), '') END`,
        reason: `CASE WHEN __fields < ${n} THEN 'too few columns (expected ${n})' WHEN __fields > ${n} THEN 'too many columns (expected ${n})'
               ELSE array_join(array_sort(array(${cols
                 .map((c, i) => `CASE WHEN ${tokBad(c, i)} THEN concat(${lit(`Error when converting column "${c.name}". Could not convert string "`)}, ${tok(i)}, ${lit(`" to '${duckType(c)}'`)}) END`)
                 .join(', ')})), '; ') END`,
        rawLine: '_corrupt_record',
        touch: `length(concat_ws('', ${cols.map((c) => `CAST(${q(c.name)} AS STRING)`).join(', ')}, _corrupt_record)) >= 0`,
      };
    }
    const json = l.format === 'json';
    const value = (c: LoadColumn) => (json ? `nullif(${q(c.name)}, '')` : q(c.name));
    const colBad = (c: LoadColumn) => `(${value(c)} IS NOT NULL AND ${sparkTryCast(value(c), hive(c))} IS NULL)`;
    const corrupt = json ? '_corrupt_record IS NOT NULL' : 'false';
    return {
      src: q(raw),
      typed: cols.map((c) => `${sparkTryCast(value(c), hive(c))} AS ${q(c.name)}`).join(', '),
      badCore: `${json ? '_corrupt_record IS NOT NULL OR ' : ''}${cols.map(colBad).join(' OR ')}`,
      errorType: `CASE WHEN ${corrupt} THEN 'MALFORMED' ELSE 'CAST' END`,
      columnName: 'CAST(NULL AS STRING)',
      reason: `CASE WHEN ${corrupt} THEN 'malformed ${l.format.toUpperCase()} record' ELSE concat_ws('; ', ${cols
        .map((c) => `CASE WHEN ${colBad(c)} THEN concat(${lit(`${c.name}: value does not fit ${dd.typeName(c.type)}: `)}, CAST(${value(c)} AS STRING)) END`)
        .join(', ')}) END`,
      rawLine: json ? '_corrupt_record' : 'CAST(NULL AS STRING)',
      touch: `length(concat_ws('', ${cols.map((c) => `CAST(${q(c.name)} AS STRING)`).join(', ')}${json ? ', _corrupt_record' : ''})) >= 0`,
    };
  }

  /** Typed rows into the table, rejects into `<source>__rejects`, max_rejected_rows checked before the swap. */
  private async typedLoad(l: FileSourceLoad, raw: string, cols: LoadColumn[], node: string): Promise<LoadResult> {
    const r = this.typedRead(l, raw, cols);
    // Every column is referenced (touch), so Spark's CSV/JSON reader never prunes a row down to the corrupt-record column.
    const bad = `(${r.badCore}) AND ${r.touch}`;
    const typed = `SELECT ${r.typed} FROM ${r.src} WHERE NOT (${r.badCore})`;
    let loaded = 0;
    let rejected = 0;
    let sample: Sample = [];
    const before = async (): Promise<void> => {
      const tmp = { ...l.relation, identifier: `${l.relation.identifier}__tx_load` };
      loaded = Number((await this.q(`SELECT count(*) AS n FROM ${d.relationName(tmp)}`, node, l.signal))[0]?.n ?? 0);
      // Whether any row was rejected, without parsing the files a second time: every record of the files is
      // either loaded or rejected, so rejects = records - loaded. `count(*)` of a CSV view needs no column,
      // so Spark only splits lines (the same records: header and blank lines dropped as in the typed read),
      // and Parquet/ORC answer from their footers. JSON and Avro keep the full count (their pruned count is
      // not relied on).
      const pruned = l.format === 'csv' || l.format === 'parquet' || l.format === 'orc';
      const any = pruned
        ? Number((await this.q(`SELECT count(*) AS n FROM ${q(raw)}`, node, l.signal))[0]?.n ?? 0) - loaded
        : Number((await this.q(`SELECT count(*) AS n FROM ${r.src} WHERE ${bad}`, node, l.signal))[0]?.n ?? 0);
      await this.deps.replaceWithQuery(l.rejectsRelation, any ? this.rejectsSql(l, r, bad) : this.emptyRejectsSql(l), node);
      if (any) {
        // The rejects as written (one row per rejected record) are the count.
        const rows = await this.q(`SELECT count(*) AS n FROM ${d.relationName(l.rejectsRelation)}`, node, l.signal);
        rejected = Number(rows[0]?.n ?? 0);
        if (pruned && rejected !== any) this.deps.warn?.(`file source ${l.uniqueId}: ${any} records not loaded but ${rejected} rejected rows recorded (the reject count is the recorded rows)`);
        sample = rejectSample(await this.q(`SELECT file, line, reason FROM ${d.relationName(l.rejectsRelation)} ORDER BY file, line LIMIT 5`, node));
      }
      const over = rejectLimitError(l, loaded, rejected, sample, d.relationName(l.rejectsRelation));
      if (over) throw over;
    };
    await this.deps.replaceWithQuery(l.relation, typed, node, before);
    return { rowsLoaded: loaded, rowsRejected: rejected, sampleRejects: sample };
  }

  private emptyRejectsSql(l: FileSourceLoad): string {
    return (
      `SELECT CAST(${lit(l.uniqueId)} AS STRING) AS source, CAST(NULL AS STRING) AS file, CAST(NULL AS BIGINT) AS line, CAST(NULL AS STRING) AS column_name, ` +
      `CAST(NULL AS STRING) AS error_type, CAST(NULL AS STRING) AS reason, CAST(NULL AS STRING) AS raw_line, CAST(NULL AS TIMESTAMP) AS rejected_at WHERE 1 = 0`
    );
  }

  /** The rejected rows with file, line (see the file comment), column, type, reason and raw line, as the client loader records them. */
  private rejectsSql(l: FileSourceLoad, r: ReturnType<HiveEngineSource['typedRead']>, bad: string): string {
    const headerLines = l.format === 'csv' && l.options.header !== false ? 1 : 0;
    const file = `regexp_replace(input_file_name(), '^file://(?=/)', '')`;
    return `WITH __all AS (SELECT *, ${file} AS __file, input_file_block_start() AS __blk, monotonically_increasing_id() AS __id FROM ${r.src}),
      __blocks AS (SELECT __file, __blk, count(*) AS __n, min(__id) AS __first FROM __all GROUP BY __file, __blk),
      __offsets AS (SELECT __file AS __ofile, __blk AS __oblk, __first, coalesce(sum(__n) OVER (PARTITION BY __file ORDER BY __blk ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS __before FROM __blocks),
      __r AS (SELECT *, __before + (__id - __first) + 1 + ${headerLines} AS __line FROM __all JOIN __offsets ON __file = __ofile AND __blk = __oblk WHERE ${bad})
      SELECT CAST(${lit(l.uniqueId)} AS STRING) AS source, CAST(__file AS STRING) AS file, CAST(__line AS BIGINT) AS line, CAST(${r.columnName} AS STRING) AS column_name,
             CAST(${r.errorType} AS STRING) AS error_type, CAST(${r.reason} AS STRING) AS reason, CAST(${r.rawLine} AS STRING) AS raw_line, CAST(current_timestamp() AS TIMESTAMP) AS rejected_at
      FROM __r`;
  }
}

const cols_ = (l: FileSourceLoad): boolean => Boolean(l.columns?.length);

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!;
}
