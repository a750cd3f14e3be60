/**
 * Seeds and file sources into Hive. The files are read and typed by an embedded DuckDB on this
 * machine, with exactly the rules of the DuckDB target (targets/duckdb/duckdb-loader.ts): same
 * CSV options, same declared types, same rejected rows with file, line and reason. The typed rows
 * then travel to the server one of two ways:
 *
 * - parquet: DuckDB `COPY ... TO` writes a Parquet file into a folder the server can read (a
 *   local temp folder when the server runs on this machine, else a local `location_root` that the
 *   server sees at the same path); an external staging table over it is copied by CTAS into the
 *   warehouse, then the staging table and folder are dropped. Streamed, bounded memory.
 * - values: batched `INSERT INTO ... VALUES` (rows streamed out of DuckDB, one batch in memory).
 *   Used for small seeds, and when the server shares no folder with tx.
 *
 * Either way the rows land in `<name>__tx_load` and are swapped in like a table model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect as dd } from '../duckdb/duckdb-dialect.js';
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
import { AuditError, TargetError, type Audit, type FileSourceLoad, type LoadResult, type Relation, type SeedLoad, type TargetLog } from '../target.js';
import type { HiveConnection } from './hive-connection.js';
import { hiveDialect as d } from './hive-dialect.js';
import type { HiveIntrospector } from './hive-introspector.js';
import { engineLocation, HiveEngineSource } from './hive-engine-source.js';
import { newBuildId, tmpRelation, type HiveMaterializations, type TableOptions } from './hive-materializations.js';

export interface HiveLoadConfig {
  /** A local folder the server reads at the same path; null when the server shares none. */
  landingDir: string | null;
  /** `auto`: parquet when there is a landing folder (values for small seeds), else values. */
  method: 'auto' | 'parquet' | 'values';
  /** In `auto`, seeds up to this many bytes go through INSERT ... VALUES. */
  valuesMaxBytes: number;
  /** Rows per INSERT ... VALUES statement. */
  valuesBatchRows: number;
  /** Storage format of loaded tables. */
  fileFormat: string;
  /** URL prefixes (`hdfs://`, `s3a://`, `file:///data/`) the server reads itself: such file sources are read by Spark. */
  enginePaths: string[];
}

/** A column on its way to Hive: its name, the DuckDB expression, the Hive type. */
interface ShipColumn {
  name: string;
  expr: string;
  hiveType: string;
}

const lit = dd.literal;

/** A DuckDB type (as DESCRIBE prints it) as Hive spells it, and the DuckDB cast that fits it. */
export function duckToHive(duckType: string): { hive: string; duck?: string } {
  const t = duckType.toUpperCase();
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return { hive: `DECIMAL(${dec[1]},${dec[2]})` };
  switch (t) {
    case 'VARCHAR':
      return { hive: 'STRING' };
    case 'BOOLEAN':
      return { hive: 'BOOLEAN' };
    case 'TINYINT':
      return { hive: 'TINYINT' };
    case 'SMALLINT':
      return { hive: 'SMALLINT' };
    case 'INTEGER':
      return { hive: 'INT' };
    case 'BIGINT':
      return { hive: 'BIGINT' };
    case 'UTINYINT':
      return { hive: 'SMALLINT', duck: 'SMALLINT' };
    case 'USMALLINT':
      return { hive: 'INT', duck: 'INTEGER' };
    case 'UINTEGER':
      return { hive: 'BIGINT', duck: 'BIGINT' };
    case 'UBIGINT':
      return { hive: 'DECIMAL(20,0)', duck: 'DECIMAL(20,0)' };
    case 'HUGEINT':
    case 'UHUGEINT':
      return { hive: 'DECIMAL(38,0)', duck: 'DECIMAL(38,0)' };
    case 'FLOAT':
      return { hive: 'FLOAT' };
    case 'DOUBLE':
      return { hive: 'DOUBLE' };
    case 'DATE':
      return { hive: 'DATE' };
    case 'TIMESTAMP':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_NS':
    case 'TIMESTAMP WITH TIME ZONE':
      return { hive: 'TIMESTAMP', duck: 'TIMESTAMP' };
    case 'BLOB':
      return { hive: 'BINARY' };
    default:
      return { hive: 'STRING', duck: 'VARCHAR' };
  }
}

type Sample = NonNullable<LoadResult['sampleRejects']>;

export class HiveLoader {
  /** Databases this session has made sure of. */
  private readonly databases = new Set<string>();
  private readonly engine: HiveEngineSource;

  constructor(
    private readonly conn: HiveConnection,
    private readonly intro: HiveIntrospector,
    private readonly mat: HiveMaterializations,
    private readonly cfg: HiveLoadConfig,
    private readonly spark: () => boolean,
    log?: TargetLog,
  ) {
    this.engine = new HiveEngineSource({ conn, replaceWithQuery: (r, sql, node, before) => this.replaceWithQuery(r, sql, node, before), warn: (m) => log?.warn(m) });
  }

  /** How a file source travels: `engine` when the server reads its path itself, else `client`. */
  sourceRoute(l: FileSourceLoad): 'engine' | 'client' {
    return this.spark() && engineLocation(l, this.cfg.enginePaths) ? 'engine' : 'client';
  }

  /** Lands the rows of a query the server runs (no data through tx) beside `relation`, runs `before`, then swaps it in. */
  private async replaceWithQuery(relation: Relation, sql: string, node: string, before?: () => Promise<void>): Promise<void> {
    await this.ensureDatabase(relation.schema, node);
    const tmp = tmpRelation(relation, 'load');
    const b = { uniqueId: node };
    const o: TableOptions = { fileFormat: this.cfg.fileFormat, partitionBy: [], clusteredBy: [], tblproperties: {} };
    try {
      await this.mat.createFresh(b, tmp, () => this.mat.createTableAs(b, tmp, sql, o));
      if (before) await before();
      const existing = await this.intro.details(relation);
      await this.mat.swap(b, tmp, relation, existing);
    } catch (e) {
      await this.conn.execute(`DROP TABLE IF EXISTS ${d.relationName(tmp)}`, { node }).catch(() => undefined);
      throw e;
    }
  }

  private async ensureDatabase(schema: string, node: string): Promise<void> {
    if (this.databases.has(schema.toLowerCase())) return;
    await this.conn.execute(`CREATE DATABASE IF NOT EXISTS ${d.quoteIdentifier(schema)}`, { node });
    this.databases.add(schema.toLowerCase());
  }

  private async withDuck<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    // Bounded: large files spill to DuckDB's temp folder instead of growing the process.
    const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB' });
    const c = await instance.connect();
    try {
      return await fn(c);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }

  /** Columns of a DuckDB query, with declared (logical) types where given. */
  private async shipColumns(c: DuckDBConnection, sql: string, declared: Record<string, string> = {}): Promise<ShipColumn[]> {
    const rows = (await c.runAndReadAll(`DESCRIBE ${sql}`)).getRowObjectsJS();
    const declaredLower = new Map(Object.entries(declared).map(([k, v]) => [k.toLowerCase(), v]));
    return rows.map((r) => {
      const name = String(r.column_name);
      const duckType = String(r.column_type);
      const decl = declaredLower.get(name.toLowerCase());
      const m = duckToHive(duckType);
      const hiveType = decl ? d.typeName(decl) : m.hive;
      const expr = m.duck ? `CAST(${dd.quoteIdentifier(name)} AS ${m.duck})` : dd.quoteIdentifier(name);
      return { name, expr, hiveType };
    });
  }

  private useValues(sizeBytes?: number): boolean {
    if (this.cfg.method === 'values' || !this.cfg.landingDir) return true;
    if (this.cfg.method === 'parquet') return false;
    return sizeBytes !== undefined && sizeBytes <= this.cfg.valuesMaxBytes;
  }

  /**
   * Runs the DuckDB query `sql` once and lands its rows in Hive table `tmp` (created here).
   * Returns the number of rows.
   */
  private async land(c: DuckDBConnection, sql: string, cols: ShipColumn[], tmp: Relation, node: string, values: boolean, signal?: AbortSignal): Promise<number> {
    const q = d.quoteIdentifier;
    const opts = { node, signal };
    const b = { uniqueId: node, signal };
    const colDefs = cols.map((x) => `${q(x.name)} ${x.hiveType}`).join(', ');
    const select = `SELECT ${cols.map((x) => `${x.expr} AS ${dd.quoteIdentifier(x.name)}`).join(', ')} FROM (${sql})`;
    const format = this.cfg.fileFormat;
    if (values) {
      await this.mat.createFresh(b, tmp, () =>
        this.conn.execute(
          this.spark() ? `CREATE TABLE ${d.relationName(tmp)} (${colDefs}) USING ${format}` : `CREATE TABLE ${d.relationName(tmp)} (${colDefs}) STORED AS ${format.toUpperCase()}`,
          opts,
        ),
      );
      const asText = `SELECT ${cols.map((x) => `CAST(${dd.quoteIdentifier(x.name)} AS VARCHAR) AS ${dd.quoteIdentifier(x.name)}`).join(', ')} FROM (${select})`;
      const result = await c.stream(asText);
      let batch: string[] = [];
      let bytes = 0;
      let n = 0;
      const flush = async (): Promise<void> => {
        if (!batch.length) return;
        await this.conn.execute(`INSERT INTO TABLE ${d.relationName(tmp)} VALUES\n${batch.join(',\n')}`, opts);
        batch = [];
        bytes = 0;
      };
      for await (const rows of result.yieldRows()) {
        for (const row of rows) {
          const tuple = `(${row
            .map((v, i) => {
              if (v === null || v === undefined) return 'NULL';
              const t = cols[i]!.hiveType;
              const s = d.literal(String(v));
              return t === 'STRING' ? s : `CAST(${s} AS ${t})`;
            })
            .join(', ')})`;
          batch.push(tuple);
          bytes += tuple.length;
          n++;
          if (batch.length >= this.cfg.valuesBatchRows || bytes > 512 * 1024) await flush();
        }
      }
      await flush();
      return n;
    }
    const id = newBuildId();
    const dir = path.join(this.cfg.landingDir!, `${tmp.schema}.${tmp.identifier}.${id}`);
    fs.mkdirSync(dir, { recursive: true });
    // A name of its own per load: no leftover can be in the way.
    const stage = { ...tmp, identifier: `${tmp.identifier.replace(/__tx_load$/, '')}__tx_stage_${id}` };
    try {
      const r = await c.run(`COPY (${select}) TO ${lit(path.join(dir, 'data.parquet'))} (FORMAT parquet, COMPRESSION snappy)`);
      const n = Number(r.rowsChanged);
      // Readable by the server (it may run as another user).
      fs.chmodSync(dir, 0o755);
      for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
      const url = pathToFileURL(dir).href;
      await this.conn.execute(
        this.spark()
          ? `CREATE TABLE ${d.relationName(stage)} (${colDefs}) USING parquet LOCATION ${d.literal(url)}`
          : `CREATE EXTERNAL TABLE ${d.relationName(stage)} (${colDefs}) STORED AS PARQUET LOCATION ${d.literal(url)}`,
        opts,
      );
      const o: TableOptions = { fileFormat: format, partitionBy: [], clusteredBy: [], tblproperties: {} };
      await this.mat.createFresh(b, tmp, () => this.mat.createTableAs(b, tmp, `SELECT * FROM ${d.relationName(stage)}`, o));
      return n;
    } finally {
      await this.conn.execute(`DROP TABLE IF EXISTS ${d.relationName(stage)}`, { node }).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Lands `sql` beside `relation`, runs `before` (rejects, limits), then swaps it in. */
  private async replaceWith(
    c: DuckDBConnection,
    relation: Relation,
    sql: string,
    cols: ShipColumn[],
    node: string,
    values: boolean,
    signal?: AbortSignal,
    before?: (rows: number) => Promise<void>,
    audit?: Audit,
  ): Promise<number> {
    await this.ensureDatabase(relation.schema, node);
    const tmp = tmpRelation(relation, 'load');
    try {
      const n = await this.land(c, sql, cols, tmp, node, values, signal);
      if (before) await before(n);
      // Audit before publish: the loaded rows are tested in `__tx_load`, beside the previous table.
      if (audit) {
        const opts = (o?: { signal?: AbortSignal; node?: string }) => ({ signal: o?.signal ?? signal, node: o?.node ?? node });
        await audit(tmp, { query: (q, o) => this.conn.query(q, opts(o)), execute: (q, o) => this.conn.execute(q, opts(o)), columns: this.intro.auditColumns() });
      }
      const existing = await this.intro.details(relation);
      await this.mat.swap({ uniqueId: node }, tmp, relation, existing);
      return n;
    } catch (e) {
      await this.conn.execute(`DROP TABLE IF EXISTS ${d.relationName(tmp)}`, { node }).catch(() => undefined);
      throw e;
    }
  }

  async loadSeed(s: SeedLoad): Promise<LoadResult> {
    const types = Object.entries(s.columnTypes);
    const opts = [
      `header = ${s.header ? 'true' : 'false'}`,
      `delim = ${lit(s.delimiter)}`,
      `quote = ${lit(s.quote)}`,
      ...(types.length ? [`types = {${types.map(([k, v]) => `${lit(k)}: ${lit(dd.typeName(v))}`).join(', ')}}`] : []),
      ...(s.nullStrings?.length ? [`nullstr = [${['', ...s.nullStrings].map((x) => lit(x)).join(', ')}]`] : []),
    ];
    const sql = `SELECT * FROM read_csv(${lit(s.path)}, ${opts.join(', ')})`;
    const size = fs.statSync(s.path).size;
    return this.withDuck(async (c) => {
      let cols: ShipColumn[];
      try {
        cols = await this.shipColumns(c, sql, s.columnTypes);
      } catch (e) {
        throw new TargetError(`cannot read seed ${s.path}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
      }
      const rows = await this.replaceWith(c, s.relation, sql, cols, s.uniqueId, this.useValues(size), s.signal, undefined, s.audit);
      return { rowsLoaded: rows, rowsRejected: 0 };
    });
  }

  async loadFileSource(l: FileSourceLoad): Promise<LoadResult> {
    if (!l.files.length) throw new TargetError(`file source ${l.uniqueId}: no files to read`);
    const location = this.spark() ? engineLocation(l, this.cfg.enginePaths) : null;
    if (location) return this.engine.load(l, location);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(l.files[0]!)) {
      throw new TargetError(
        `file source ${l.uniqueId}: tx cannot read ${l.files[0]} on this machine, and its scheme is not in the hive target's engine_paths (${this.cfg.enginePaths.join(', ') || 'none'}); add it there if the Spark server reads that path`,
      );
    }
    return this.withDuck(async (c) => {
      try {
        if (l.format === 'avro') return await this.loadAvro(c, l);
        if (l.format === 'orc') return await this.loadOrc(c, l);
        if (!l.columns?.length) {
          // Undeclared schema: land what the reader infers.
          const sql = untypedReaderSql(l);
          const cols = await this.shipColumns(c, sql);
          const rows = await this.replaceWith(c, l.relation, sql, cols, l.uniqueId, this.useValues(), l.signal, undefined, l.audit);
          return { rowsLoaded: rows, rowsRejected: 0 };
        }
        if (l.format === 'csv') return await this.typedLoad(c, l, await chooseCsvRead(typedCsvRead(l, l.columns, dd.typeName), async (sql) => Number((await c.runAndReadAll(sql)).getRowObjectsJS()[0]?.n ?? 1)));
        return await this.loadTypedOther(c, l);
      } catch (e) {
        throw wrapFileError(e, l);
      }
    });
  }

  /** Parquet/JSON/staged Avro with declared types: cast each column; a value that does not fit rejects its row. */
  private async loadTypedOther(c: DuckDBConnection, l: FileSourceLoad, stagedRaw?: string): Promise<LoadResult> {
    const raw = stagedRaw ?? positionedRowsSql(l);
    if (!raw) throw new TargetError(`format ${l.format} needs a loader that tx does not have on Hive`);
    const available = (await c.runAndReadAll(`DESCRIBE ${raw}`)).getRowObjectsJS().map((r) => String(r.column_name));
    return this.typedLoad(c, l, typedCastRead(l, l.columns!, raw, available, dd.typeName));
  }

  /**
   * Avro, as on DuckDB: records streamed (avsc, bounded memory) into a staging table of text values
   * with file and record number in the loader's DuckDB, then typed like any other source (the
   * declared columns, or the Avro schema's).
   */
  private async loadOrc(c: DuckDBConnection, l: FileSourceLoad): Promise<LoadResult> {
    // As Avro: rows streamed by tx's ORC reader into a staging table of text values, then typed.
    const schemaCols = await orcSourceColumns(l);
    const staging = `tx_orc_${Math.random().toString(36).slice(2, 10)}`;
    try {
      const names = (l.columns?.length ? l.columns : schemaCols).map((x) => x.name);
      await stageOrcRecords(c, { schema: 'main', identifier: staging }, names, l, { create: 'create table' });
      return await this.loadTypedOther(c, { ...l, columns: l.columns?.length ? l.columns : schemaCols }, `SELECT * FROM ${dd.quoteIdentifier(staging)}`);
    } finally {
      await c.run(`DROP TABLE IF EXISTS ${dd.quoteIdentifier(staging)}`).catch(() => undefined);
    }
  }

  private async loadAvro(c: DuckDBConnection, l: FileSourceLoad): Promise<LoadResult> {
    const schemaCols = await avroSourceColumns(l);
    const staging = `tx_avro_${Math.random().toString(36).slice(2, 10)}`;
    await stageAvroRecords(c, { schema: 'main', identifier: staging }, schemaCols.map((x) => x.name), l, { create: 'create table' });
    try {
      const columns = l.columns?.length ? l.columns : schemaCols.map((x) => ({ name: x.name, type: x.type }));
      return await this.loadTypedOther(c, { ...l, columns }, `SELECT * FROM ${dd.quoteIdentifier(staging)}`);
    } finally {
      await c.run(`DROP TABLE IF EXISTS ${dd.quoteIdentifier(staging)}`).catch(() => undefined);
    }
  }

  /** Lands the typed rows; before the swap, lands the rejects and enforces max_rejected_rows. */
  private async typedLoad(c: DuckDBConnection, l: FileSourceLoad, read: TypedRead): Promise<LoadResult> {
    const declared = Object.fromEntries(l.columns!.map((x) => [x.name, x.type]));
    const cols = await this.shipColumns(c, read.typed, declared);
    let rejected = 0;
    let loaded = 0;
    let sample: Sample = [];
    const values = this.useValues();
    const before = async (rows: number): Promise<void> => {
      loaded = rows;
      // The rejects table exists only after the scan ran (DuckDB fills it while reading).
      await c.run(`CREATE OR REPLACE TEMP TABLE tx_rejects AS SELECT *, CAST(now() AS TIMESTAMP) AS rejected_at FROM (${rejectRowsSql(l.uniqueId, read.rejects)})`);
      for (const sql of read.cleanup) await c.run(sql);
      rejected = Number((await c.runAndReadAll('SELECT count(*) AS n FROM tx_rejects')).getRowObjectsJS()[0]?.n ?? 0);
      sample = rejectSample((await c.runAndReadAll('SELECT file, line, reason FROM tx_rejects ORDER BY file, line LIMIT 5')).getRowObjectsJS());
      const rejCols = await this.shipColumns(c, 'SELECT * FROM tx_rejects');
      await this.replaceWith(c, l.rejectsRelation, 'SELECT * FROM tx_rejects', rejCols, l.uniqueId, values || rejected < 1000);
      const over = rejectLimitError(l, loaded, rejected, sample, d.relationName(l.rejectsRelation));
      if (over) throw over;
    };
    await this.replaceWith(c, l.relation, read.typed, cols, l.uniqueId, values, l.signal, before, l.audit);
    return { rowsLoaded: loaded, rowsRejected: rejected, sampleRejects: sample };
  }
}

function wrapFileError(e: unknown, l: FileSourceLoad): Error {
  if (e instanceof AuditError) return e;
  if (e instanceof TargetError) return e;
  const msg = (e as Error).message ?? String(e);
  const files = l.files.length === 1 ? l.files[0]! : `${l.files.length} files (${path.basename(l.files[0]!)}, ...)`;
  return new TargetError(`cannot read ${l.format} source ${files}: ${msg.split('\n')[0]}`, { cause: e });
}

/** The default landing folder for a server on this machine. */
export function localLandingDir(): string {
  return path.join(os.tmpdir(), 'tx-hive-landing');
}
