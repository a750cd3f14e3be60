import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  avroSourceColumns,
  positionedRowsSql,
  rejectLimitError,
  rejectRowsSql,
  rejectSample,
  stageAvroRecords,
  typedCastRead,
  typedCsvRead,
  untypedReaderSql,
  type TypedRead,
  chooseCsvRead,
} from '../files/duckdb-file-readers.js';
import { orcSourceColumns, stageOrcRecords } from '../files/orc/orc-source.js';
import { AuditError, TargetError, type Audit, type FileSourceLoad, type LoadResult, type Relation, type SeedLoad } from '../target.js';
import type { DuckdbPool } from './duckdb-connection.js';
import { duckdbDialect as d } from './duckdb-dialect.js';
import type { DuckdbIntrospector } from './duckdb-introspector.js';
import { tmpRelation } from './duckdb-materializations.js';

const lit = d.literal;

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
      ...(s.nullStrings?.length ? [`nullstr = [${['', ...s.nullStrings].map((x) => lit(x)).join(', ')}]`] : []),
    ];
    const sql = `select * from read_csv(${lit(s.path)}, ${opts.join(', ')})`;
    const rows = await this.replaceWith(s.relation, sql, s.uniqueId, s.signal, undefined, s.audit);
    return { rowsLoaded: rows, rowsRejected: 0 };
  }

  /** Build `sql` beside `relation` and swap it in atomically; returns the row count. */
  private async replaceWith(
    relation: Relation,
    sql: string,
    node: string,
    signal?: AbortSignal,
    before?: (c: DuckDBConnection, tmp: string) => Promise<void>,
    audit?: Audit,
  ): Promise<number> {
    const tmp = tmpRelation(relation, 'load');
    const kind = await this.intro.kind(relation);
    return this.pool.with(async (c) => {
      const opts = { signal, node };
      await this.pool.run(c, `drop table if exists ${d.relationName(tmp)}`, opts);
      try {
        await this.pool.run(c, `create table ${d.relationName(tmp)} as ${sql}`, opts);
        if (before) await before(c, d.relationName(tmp));
        const n = Number((await this.pool.run(c, `select count(*) as n from ${d.relationName(tmp)}`, opts)).rows?.[0]?.n ?? 0);
        // Audit before publish: the loaded rows are tested beside the previous table.
        if (audit) {
          await audit(tmp, {
            query: async (q, o) => (await this.pool.run(c, q, { signal: o?.signal ?? signal, node })).rows ?? [],
            execute: async (q, o) => ({ rowsAffected: (await this.pool.run(c, q, { signal: o?.signal ?? signal, node })).rowsAffected }),
            columns: (r) => this.intro.columns(r, c),
            printRows: async (q, o) => (await this.pool.run(c, q, { signal: o?.signal ?? signal, node, exact: true })).rows ?? [],
          });
        }
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
      if (l.format === 'orc') return this.loadOrc(l);
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
    if (l.format === 'orc') return this.loadOrc(l);
    if (l.format === 'csv') return this.loadTypedCsv(l);
    return this.loadTypedOther(l);
  }

  /** Typed CSV: DuckDB casts each value to its declared type; rows that don't fit land in the rejects table. */
  private async loadTypedCsv(l: FileSourceLoad): Promise<LoadResult> {
    const read = await chooseCsvRead(typedCsvRead(l, l.columns!, d.typeName), (sql) =>
      this.pool.with(async (c) => Number((await this.pool.run(c, sql, { signal: l.signal, node: l.uniqueId })).rows?.[0]?.n ?? 1)),
    );
    return this.loadTyped(l, read);
  }

  /** Lands the typed rows; before the swap, lands the rejects beside the source and enforces max_rejected_rows. */
  private async loadTyped(l: FileSourceLoad, read: TypedRead): Promise<LoadResult> {
    let rejected = 0;
    let loaded = 0;
    let sample: LoadResult['sampleRejects'] = [];
    const rejects = d.relationName(l.rejectsRelation);
    const check = async (c: DuckDBConnection, tmpName: string) => {
      // The rejects are replaced on each load; DuckDB fills them while reading.
      await this.pool.run(c, `create or replace table ${rejects} as select *, current_timestamp as rejected_at from (${rejectRowsSql(l.uniqueId, read.rejects)})`);
      for (const sql of read.cleanup) await this.pool.run(c, sql);
      rejected = Number((await this.pool.run(c, `select count(*) as n from ${rejects}`)).rows?.[0]?.n ?? 0);
      sample = rejectSample((await this.pool.run(c, `select file, line, reason from ${rejects} order by file, line limit 5`)).rows ?? []);
      loaded = Number((await this.pool.run(c, `select count(*) as n from ${tmpName}`)).rows?.[0]?.n ?? 0);
      const over = rejectLimitError(l, loaded, rejected, sample, rejects);
      if (over) throw over;
    };
    try {
      await this.replaceWith(l.relation, read.typed, l.uniqueId, l.signal, check, l.audit);
    } catch (e) {
      if (e instanceof AuditError) throw e;
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

  /**
   * ORC: rows streamed by tx's ORC reader (stripe by stripe) into a staging table of text values
   * with file and row number, then typed like any other source. A file that cannot be read fails
   * the load before the source's table is touched.
   */
  private async loadOrc(l: FileSourceLoad): Promise<LoadResult> {
    const schemaCols = await orcSourceColumns(l);
    const staging: Relation = { ...l.relation, identifier: `${l.relation.identifier}__tx_orc` };
    try {
      const names = (l.columns?.length ? l.columns : schemaCols).map((x) => x.name);
      await this.pool.with((c) => stageOrcRecords(c, staging, names, l, { run: (sql) => this.pool.run(c, sql, { node: l.uniqueId }) }));
      const columns = l.columns?.length ? l.columns : schemaCols;
      return await this.loadTypedOther({ ...l, columns }, `select * from ${d.relationName(staging)}`);
    } finally {
      await this.pool.execute(`drop table if exists ${d.relationName(staging)}`).catch(() => undefined);
    }
  }

  /** Parquet/JSON/staged Avro with declared types: cast each column; a value that does not fit rejects its row. */
  private async loadTypedOther(l: FileSourceLoad, stagedRaw?: string): Promise<LoadResult> {
    const raw = stagedRaw ?? positionedRowsSql(l);
    if (!raw) throw new TargetError(`format ${l.format} needs a loader that tx does not have on DuckDB`);
    let available: string[];
    try {
      available = (await this.pool.query(`describe ${raw}`)).map((r) => String(r.column_name));
    } catch (e) {
      throw wrapFileError(e, l);
    }
    return this.loadTyped(l, typedCastRead(l, l.columns!, raw, available, d.typeName));
  }
}

function wrapFileError(e: unknown, l: FileSourceLoad): Error {
  if (e instanceof TargetError && /rejected|header|empty|declared columns/.test(e.message)) return e;
  const msg = (e as Error).message ?? String(e);
  const files = l.files.length === 1 ? l.files[0]! : `${l.files.length} files (${basename(l.files[0]!)}, ...)`;
  return new TargetError(`cannot read ${l.format} source ${files}: ${msg.split('\n')[0]}`, { cause: e });
}
