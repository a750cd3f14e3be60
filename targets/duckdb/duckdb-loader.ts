import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkCsvHeaders } from '../files/csv-header.js';
import { avroSourceColumns, stageAvroRecords, untypedReaderSql } from '../files/duckdb-file-readers.js';
import { TargetError, type FileSourceLoad, type LoadResult, type Relation, type SeedLoad } from '../target.js';
import type { DuckdbPool } from './duckdb-connection.js';
import { duckdbDialect as d } from './duckdb-dialect.js';
import type { DuckdbIntrospector } from './duckdb-introspector.js';
import { tmpRelation } from './duckdb-materializations.js';

const lit = d.literal;
const fileList = (files: string[]) => `[${files.map(lit).join(', ')}]`;

/** Seeds and file sources into DuckDB, typed, with rejected rows kept. */
export class DuckdbLoader {
  constructor(
    private readonly pool: DuckdbPool,
    private readonly intro: DuckdbIntrospector,
  ) {}

  async loadSeed(s: SeedLoad): Promise<LoadResult> {
    const types = Object.entries(s.columnTypes);
    const opts = [
      `header = ${s.header ? 'true' : 'false'}`,
      `delim = ${lit(s.delimiter)}`,
      `quote = ${lit(s.quote)}`,
      ...(types.length ? [`types = {${types.map(([k, v]) => `${lit(k)}: ${lit(d.typeName(v))}`).join(', ')}}`] : []),
    ];
    const sql = `select * from read_csv(${lit(s.path)}, ${opts.join(', ')})`;
    const rows = await this.replaceWith(s.relation, sql, s.uniqueId, s.signal);
    return { rowsLoaded: rows, rowsRejected: 0 };
  }

  /** Build `sql` beside `relation` and swap it in atomically; returns the row count. */
  private async replaceWith(relation: Relation, sql: string, node: string, signal?: AbortSignal, before?: (c: DuckDBConnection, tmp: string) => Promise<void>): Promise<number> {
    const tmp = tmpRelation(relation, 'load');
    const kind = await this.intro.kind(relation);
    return this.pool.with(async (c) => {
      const opts = { signal, node };
      await this.pool.run(c, `drop table if exists ${d.relationName(tmp)}`, opts);
      try {
        await this.pool.run(c, `create table ${d.relationName(tmp)} as ${sql}`, opts);
        if (before) await before(c, d.relationName(tmp));
        const n = Number((await this.pool.run(c, `select count(*) as n from ${d.relationName(tmp)}`, opts)).rows?.[0]?.n ?? 0);
        await this.pool.run(c, 'begin transaction', opts);
        try {
          if (kind === 'table') await this.pool.run(c, `drop table ${d.relationName(relation)}`, opts);
          if (kind === 'view') await this.pool.run(c, `drop view ${d.relationName(relation)}`, opts);
          await this.pool.run(c, `alter table ${d.relationName(tmp)} rename to ${d.quoteIdentifier(relation.identifier)}`, opts);
          await this.pool.run(c, 'commit', opts);
        } catch (e) {
          await this.pool.run(c, 'rollback').catch(() => undefined);
          throw e;
        }
        return n;
      } finally {
        await this.pool.run(c, `drop table if exists ${d.relationName(tmp)}`).catch(() => undefined);
      }
    });
  }

  async loadFileSource(l: FileSourceLoad): Promise<LoadResult> {
    if (!l.files.length) throw new TargetError(`file source ${l.uniqueId}: no files to read`);
    if (!l.columns?.length) {
      // Undeclared schema: a view that reads the files in place.
      if (l.format === 'avro') return this.loadAvro(l);
      const sql = untypedReaderSql(l);
      await this.pool.with(async (c) => {
        const kind = await this.intro.kind(l.relation, c);
        if (kind === 'table') await this.pool.run(c, `drop table ${d.relationName(l.relation)}`, { node: l.uniqueId });
        await this.pool.run(c, `create or replace view ${d.relationName(l.relation)} as ${sql}`, { node: l.uniqueId, signal: l.signal });
      });
      const n = await this.pool.query(`select count(*) as n from ${d.relationName(l.relation)}`);
      return { rowsLoaded: Number(n[0]?.n ?? 0), rowsRejected: 0 };
    }
    if (l.format === 'avro') return this.loadAvro(l);
    if (l.format === 'orc') throw new TargetError(`${l.files[0]}: ORC sources are not supported on DuckDB yet (DuckDB has no ORC reader); convert to Parquet`);
    if (l.format === 'csv') return this.loadTypedCsv(l);
    return this.loadTypedOther(l);
  }

  /** Typed CSV: DuckDB casts each value to its declared type; rows that don't fit land in the rejects table. */
  private async loadTypedCsv(l: FileSourceLoad): Promise<LoadResult> {
    const cols = l.columns!;
    const delim = l.options.delimiter ?? ',';
    const quote = l.options.quote ?? '"';
    const header = l.options.header !== false;
    if (header) checkCsvHeaders(l, cols, delim, quote);
    const tag = `tx_rej_${Math.random().toString(36).slice(2, 10)}`;
    const colsSpec = `{${cols.map((c) => `${lit(c.name)}: ${lit(d.typeName(c.type))}`).join(', ')}}`;
    const sql =
      `select * from read_csv(${fileList(l.files)}, header = ${header}, delim = ${lit(delim)}, quote = ${lit(quote)}, escape = ${lit(quote)}, ` +
      `columns = ${colsSpec}, auto_detect = false, store_rejects = true, rejects_table = ${lit(tag)}, rejects_scan = ${lit(`${tag}_scan`)}, ` +
      `null_padding = false, ignore_errors = true)`;
    let rejected = 0;
    let sample: LoadResult['sampleRejects'] = [];
    // One rejected row per file line, with every reason DuckDB gave for it.
    const rejectsSql = (scanTable: string) =>
      `select s.file_path as file, e.line as line, string_agg(distinct e.column_name, ', ' order by e.column_name) as column_name,
              string_agg(distinct e.error_type, ', ' order by e.error_type) as error_type,
              string_agg(distinct case e.error_type when 'MISSING COLUMNS' then 'too few columns (expected ${cols.length})'
                                                    when 'TOO MANY COLUMNS' then 'too many columns (expected ${cols.length})'
                                                    else e.error_message end, '; '
                                              order by case e.error_type when 'MISSING COLUMNS' then 'too few columns (expected ${cols.length})'
                                                    when 'TOO MANY COLUMNS' then 'too many columns (expected ${cols.length})'
                                                    else e.error_message end) as reason,
              min(e.csv_line) as raw_line
       from ${d.quoteIdentifier(tag)} e join ${d.quoteIdentifier(scanTable)} s on e.scan_id = s.scan_id and e.file_id = s.file_id
       group by s.file_path, e.line`;
    let loaded = 0;
    const check = async (c: DuckDBConnection, tmpName: string) => {
      // Keep the rejects beside the source, replaced on each load.
      await this.writeRejects(c, l, `${rejectsSql(`${tag}_scan`)}`);
      const r = await this.pool.run(c, `select count(*) as n from ${d.relationName(l.rejectsRelation)}`);
      rejected = Number(r.rows?.[0]?.n ?? 0);
      sample = ((await this.pool.run(c, `select file, line, reason from ${d.relationName(l.rejectsRelation)} order by file, line limit 5`)).rows ?? []).map((x) => ({
        file: basename(String(x.file)),
        line: x.line == null ? undefined : Number(x.line),
        reason: String(x.reason),
      }));
      loaded = Number((await this.pool.run(c, `select count(*) as n from ${tmpName}`)).rows?.[0]?.n ?? 0);
      this.enforceLimit(l, loaded, rejected, sample);
    };
    try {
      await this.replaceWith(l.relation, sql, l.uniqueId, l.signal, check);
    } catch (e) {
      throw wrapFileError(e, l);
    }
    return { rowsLoaded: loaded, rowsRejected: rejected, sampleRejects: sample };
  }

  /**
   * Avro: stream records (avsc, bounded memory) into a staging table of text values with
   * file and record number, then type them like any other source.
   */
  private async loadAvro(l: FileSourceLoad): Promise<LoadResult> {
    const schemaCols = await avroSourceColumns(l);
    const staging: Relation = { ...l.relation, identifier: `${l.relation.identifier}__tx_avro` };
    await this.pool.with((c) => stageAvroRecords(c, staging, schemaCols.map((x) => x.name), l, { run: (sql) => this.pool.run(c, sql, { node: l.uniqueId }) }));
    try {
      const columns = l.columns?.length ? l.columns : schemaCols.map((c) => ({ name: c.name, type: c.type }));
      return await this.loadTypedOther({ ...l, columns }, `select * from ${d.relationName(staging)}`);
    } finally {
      await this.pool.execute(`drop table if exists ${d.relationName(staging)}`).catch(() => undefined);
    }
  }

  /** Parquet/JSON/staged Avro with declared types: cast each column; a value that does not fit rejects its row. */
  private async loadTypedOther(l: FileSourceLoad, stagedRaw?: string): Promise<LoadResult> {
    const cols = l.columns!;
    const files = fileList(l.files);
    const raw = stagedRaw ??
      (l.format === 'parquet'
        ? `select *, filename as __tx_file, file_row_number + 1 as __tx_line from read_parquet(${files}, filename = true, file_row_number = true)`
        : l.format === 'json'
          ? `select *, filename as __tx_file, row_number() over (partition by filename) as __tx_line from read_json_auto(${files}, filename = true)`
          : null);
    if (!raw) throw new TargetError(`format ${l.format} needs a loader that tx does not have on DuckDB`);
    let available: string[];
    try {
      available = (await this.pool.query(`describe ${raw}`)).map((r) => String(r.column_name));
    } catch (e) {
      throw wrapFileError(e, l);
    }
    const missing = cols.filter((c) => !available.some((a) => a.toLowerCase() === c.name.toLowerCase()));
    if (missing.length) throw new TargetError(`${l.files[0]}: declared columns missing from the file: ${missing.map((c) => c.name).join(', ')}`);
    const q = d.quoteIdentifier;
    const cast = (c: { name: string; type: string }) => `try_cast(${q(c.name)} as ${d.typeName(c.type)})`;
    const bad = cols.map((c) => `(${q(c.name)} is not null and ${cast(c)} is null)`).join(' or ');
    const reason = `concat_ws('; ', ${cols.map((c) => `case when ${q(c.name)} is not null and ${cast(c)} is null then ${lit(`${c.name}: value does not fit ${d.typeName(c.type)}: `)} || cast(${q(c.name)} as varchar) end`).join(', ')})`;
    const typed = `select ${cols.map((c) => `${cast(c)} as ${q(c.name)}`).join(', ')} from (${raw}) where not (${bad})`;
    let rejected = 0;
    let loaded = 0;
    let sample: LoadResult['sampleRejects'] = [];
    const check = async (c: DuckDBConnection, tmpName: string) => {
      await this.writeRejects(c, l, `select __tx_file as file, __tx_line as line, null as column_name, 'CAST' as error_type, ${reason} as reason, null as raw_line from (${raw}) where ${bad}`);
      rejected = Number((await this.pool.run(c, `select count(*) as n from ${d.relationName(l.rejectsRelation)}`)).rows?.[0]?.n ?? 0);
      sample = ((await this.pool.run(c, `select file, line, reason from ${d.relationName(l.rejectsRelation)} order by file, line limit 5`)).rows ?? []).map((x) => ({
        file: basename(String(x.file)),
        line: x.line == null ? undefined : Number(x.line),
        reason: String(x.reason),
      }));
      loaded = Number((await this.pool.run(c, `select count(*) as n from ${tmpName}`)).rows?.[0]?.n ?? 0);
      this.enforceLimit(l, loaded, rejected, sample);
    };
    try {
      await this.replaceWith(l.relation, typed, l.uniqueId, l.signal, check);
    } catch (e) {
      throw wrapFileError(e, l);
    }
    return { rowsLoaded: loaded, rowsRejected: rejected, sampleRejects: sample };
  }

  private async writeRejects(c: DuckDBConnection, l: FileSourceLoad, selectSql: string): Promise<void> {
    const r = d.relationName(l.rejectsRelation);
    await this.pool.run(
      c,
      `create or replace table ${r} as select ${lit(l.uniqueId)} as source, cast(file as varchar) as file, cast(line as bigint) as line, cast(column_name as varchar) as column_name, cast(error_type as varchar) as error_type, cast(reason as varchar) as reason, cast(raw_line as varchar) as raw_line, current_timestamp as rejected_at from (${selectSql})`,
    );
  }

  private enforceLimit(l: FileSourceLoad, loaded: number, rejected: number, sample: NonNullable<LoadResult['sampleRejects']>): void {
    const max = l.maxRejectedRows ?? 0;
    const total = loaded + rejected;
    const allowed = max > 0 && max < 1 ? Math.floor(max * total) : max;
    if (rejected > allowed) {
      const first = sample.map((s) => `${s.file}${s.line ? `:${s.line}` : ''}: ${s.reason}`).join('\n    ');
      throw new TargetError(
        `${rejected} of ${total} rows of ${l.uniqueId} were rejected (max_rejected_rows: ${max}); they are in ${d.relationName(l.rejectsRelation)}\n    ${first}`,
      );
    }
  }
}

function wrapFileError(e: unknown, l: FileSourceLoad): Error {
  if (e instanceof TargetError && /rejected|header|empty|declared columns/.test(e.message)) return e;
  const msg = (e as Error).message ?? String(e);
  const files = l.files.length === 1 ? l.files[0]! : `${l.files.length} files (${basename(l.files[0]!)}, ...)`;
  return new TargetError(`cannot read ${l.format} source ${files}: ${msg.split('\n')[0]}`, { cause: e });
}
