/**
 * The one interface between tx's compiler and a warehouse.
 *
 * A target is a folder under targets/ with small files named by role
 * (`<type>-connection.ts`, `<type>-dialect.ts`, `<type>-materializations.ts`,
 * `<type>-loader.ts`, `<type>-introspector.ts`) and an index that exports a
 * `TargetFactory`. The compiler never imports a target's internals and a
 * target never imports the compiler: both speak only the types in this file.
 */

/** A row as it comes out of a warehouse: column name to JS value. */
export type Row = Record<string, unknown>;

/** A fully qualified relation. `database` is optional (DuckDB catalog, unused by PostgreSQL/Hive). */
export interface Relation {
  database?: string;
  schema: string;
  identifier: string;
}

/** A column as the warehouse reports it. `type` is the warehouse's own type name, upper-case. */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** Logical column types tx understands in seeds, sources and contracts; dialects map them. */
export type LogicalType =
  | 'string'
  | 'integer'
  | 'bigint'
  | 'double'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'timestamp';

/** Something that can hear what a target is doing; the runner logs it to logs/tx.log. */
export interface TargetLog {
  /** Every statement sent to the warehouse, with its duration. Never contains secrets. */
  statement(sql: string, ms: number, node?: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** The queries of an audit: run on the build's own connection (inside its transaction where there is one). */
export interface AuditConnection {
  query(sql: string, opts?: { signal?: AbortSignal; node?: string }): Promise<Row[]>;
  execute(sql: string, opts?: { signal?: AbortSignal; node?: string }): Promise<{ rowsAffected?: number }>;
  /** Columns of a relation as this connection sees it; empty when it does not exist. */
  columns(relation: Relation): Promise<ColumnInfo[]>;
  /** A few rows to print, with exact values as `TargetConnection.stream` gives them (DECIMAL with its scale); `query` where absent. */
  printRows?(sql: string, opts?: { signal?: AbortSignal; node?: string }): Promise<Row[]>;
  /** Set when the audit runs inside the build's open transaction: what it writes (stored failures) is rolled back if the audit fails. */
  inTransaction?: boolean;
  /** How many of the audit's tests may run at once on this connection (default 1: one after another). */
  concurrency?: number;
}

/**
 * Audit before publish: called with the relation holding the new version (a side table or view, or
 * on PostgreSQL the merged table inside the still open transaction) before any reader can see it.
 * Throwing keeps the previous version: the side version is discarded and the error propagates.
 */
export type Audit = (side: Relation, conn: AuditConnection) => Promise<void>;

/** What an Audit throws to refuse the publish; targets clean up and rethrow it unchanged (never wrapped). */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditError';
  }
}

/** Everything a materialization needs to build one model. */
export interface ModelBuild {
  /** Unique id of the node, e.g. `model.healthcare.city_report`. */
  uniqueId: string;
  relation: Relation;
  /** The compiled SELECT (ephemeral models already inlined as CTEs). */
  sql: string;
  materialized: 'view' | 'table' | 'incremental' | 'external';
  fullRefresh: boolean;
  /** `external` (dbt-duckdb's materialization, DuckDB only): where and how the rows are written. */
  external?: ExternalWrite;
  incremental?: {
    strategy: 'append' | 'delete+insert' | 'merge' | 'insert_overwrite';
    uniqueKey: string[];
    onSchemaChange: 'ignore' | 'fail' | 'append_new_columns' | 'sync_all_columns';
  };
  /** Enforced contract: the output must have exactly these columns (name and logical/warehouse type). */
  contract?: { columns: { name: string; dataType: string }[] };
  /** Target-specific extras from config (partition_by, file_format, tblproperties, ...). */
  options: Record<string, unknown>;
  /** Cancels the statement(s) on the server when aborted (Ctrl-C, timeout). */
  signal?: AbortSignal;
  /** When set, the new version is audited beside the old one and published only if this resolves. */
  audit?: Audit;
}

/**
 * dbt-duckdb's `external` materialization: the model's rows written by the engine's own COPY to a
 * local file (or a folder of files), published atomically (targets/exports/local-destination.ts),
 * and the relation a view reading them. Resolved by the compiler (compiler/compile/duckdb-external-model.ts).
 */
export interface ExternalWrite {
  /** Absolute path of the file, or of the folder (`partition_by`, `per_thread_output`). */
  location: string;
  /** True when `location` is a folder of files. */
  folder: boolean;
  /** The COPY options as dbt-duckdb writes them, e.g. `format parquet, partition_by a`. */
  copyOptions: string;
  /** The view's reader and what follows the location in its call (`, union_by_name=False`). */
  readFunction: 'read_parquet' | 'read_csv' | 'read_json';
  /** The location, or its glob for a folder (`<location>/* /*.parquet`), absolute. */
  readLocation: string;
  readOptions: string;
  /** Folders the location must stay inside (checked again through symlinks when writing). */
  roots: string[];
}

/** Everything the snapshot materialization (SCD type 2, as dbt's) needs; see targets/snapshots/. */
export interface SnapshotBuild {
  uniqueId: string;
  relation: Relation;
  /** The snapshot's compiled SELECT. */
  sql: string;
  strategy: 'timestamp' | 'check';
  /** Key columns or expressions; `keyIsList` as configured (dbt names its key columns by it). */
  uniqueKey: string[];
  keyIsList: boolean;
  /** timestamp: the column (or expression); check: optional, else the snapshot time. */
  updatedAt?: string;
  checkCols?: 'all' | string[];
  hardDeletes: 'ignore' | 'invalidate' | 'new_record';
  /** SQL expression for dbt_valid_to of current rows (dbt_valid_to_current); null when unset. */
  validToCurrent?: string;
  /** snapshot_meta_column_names applied: the five meta columns' names. */
  columnNames: { dbt_scd_id: string; dbt_updated_at: string; dbt_valid_from: string; dbt_valid_to: string; dbt_is_deleted: string };
  options: Record<string, unknown>;
  signal?: AbortSignal;
  /**
   * Audit before publish (see ModelBuild.audit): called with the new snapshot state (DuckDB and
   * PostgreSQL: the snapshot table inside the still open transaction; Hive: the rewritten `__tx_new`).
   */
  audit?: Audit;
}

/** What a materialization reports back. */
export interface BuildResult {
  /** e.g. `created table`, `created view`, `inserted into incremental` */
  action: string;
  rowsAffected?: number;
}

/** Options for `TargetSession.copyToFile`. */
export interface CopyToFileOptions {
  format: 'parquet' | 'csv' | 'json';
  compression?: string;
  header?: boolean;
  delimiter?: string;
  /** Hive-style partition folders. */
  partitionBy?: string[];
  /** Target size of each part file, in bytes (DuckDB FILE_SIZE_BYTES). */
  fileSizeBytes?: number;
}

/** Column description for seeds and file sources. */
export interface LoadColumn {
  name: string;
  type: LogicalType | string;
}

/** A seed CSV to load into a table. */
export interface SeedLoad {
  uniqueId: string;
  relation: Relation;
  path: string;
  delimiter: string;
  quote: string;
  header: boolean;
  /** Declared types; columns not listed are inferred. */
  columnTypes: Record<string, string>;
  /** Values read as null besides an empty field (dbt projects: `null` in any case). */
  nullStrings?: string[];
  signal?: AbortSignal;
  /** Audit before publish (see ModelBuild.audit). */
  audit?: Audit;
}

/** Result of a load: rows loaded and rows rejected (with a reason each). */
export interface LoadResult {
  rowsLoaded: number;
  rowsRejected: number;
  /** A few rejected rows (file, line, reason) for the console. */
  sampleRejects?: { file: string; line?: number; reason: string }[];
}

/** File formats tx reads as sources. */
export type FileFormat = 'csv' | 'parquet' | 'json' | 'avro' | 'orc';

/**
 * A file source (vendor files) to land as a typed table. Values that do not fit
 * their declared type are rejected rows: written to `rejectsRelation` with file,
 * line and reason, never silently converted.
 */
export interface FileSourceLoad {
  uniqueId: string;
  relation: Relation;
  /** Absolute paths, already expanded from folders and globs, sorted. */
  files: string[];
  /** The source's path as written (rendered), e.g. `hdfs://…` or `file:///…`: an engine that reads it itself uses this. */
  location?: string;
  format: FileFormat;
  /** Declared columns, in order; when absent the reader infers them. */
  columns?: LoadColumn[];
  /** CSV options and the like. */
  options: { delimiter?: string; quote?: string; header?: boolean; compression?: string };
  rejectsRelation: Relation;
  /** Rejected rows allowed before the load fails: a count, or a fraction of rows when below 1. Default 0. */
  maxRejectedRows?: number;
  signal?: AbortSignal;
  /** Audit before publish (see ModelBuild.audit); the rejects table is written either way. */
  audit?: Audit;
}

/** A relation written as files by the engine itself (engine-side export). */
export interface EngineWriteRequest {
  relation: Relation;
  url: string;
  format: 'parquet' | 'orc' | 'json' | 'csv';
  compression: string;
  /** CSV only. */
  header: boolean;
  delimiter: string;
  /** The relation's columns, in order (the select list); empty = `*`. */
  columns?: string[];
  /** Constant columns added to every row (an export's `extra_columns`), replacing a column of that name. */
  extraColumns?: { name: string; value: string; type: string }[];
  /** Hive-style `col=value/` folders, one level per column (the columns leave the data files). */
  partitionBy?: string[];
  /** Target size of data files in bytes; undefined = as the engine writes them. */
  fileSizeBytes?: number;
  /** A folder URL the engine may create for a size sample (with fileSizeBytes); the caller removes it. */
  scratchUrl?: string;
  node: string;
  signal?: AbortSignal;
}

/** One file of an engine-side export, from the engine's own listing. */
export interface EngineWrittenFile {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** The database connection of a target: execute, query, stream rows out, cancel, close. */
export interface TargetConnection {
  execute(sql: string, opts?: { signal?: AbortSignal; node?: string }): Promise<{ rowsAffected?: number }>;
  /** For small results (metadata, test counts). */
  query(sql: string, opts?: { signal?: AbortSignal; node?: string }): Promise<Row[]>;
  /** For large results: batches of rows, memory bounded by the batch size. */
  stream(sql: string, opts?: { batchSize?: number; signal?: AbortSignal }): AsyncIterable<Row[]>;
  /**
   * Optional (PostgreSQL): a query's rows as CSV into a local file, no row through JavaScript: every non-null
   * value quoted, NULL an unquoted empty field, values in the warehouse's own text. Returns the row count.
   * Exporters use it for columns whose text they can type exactly; otherwise they stream rows.
   */
  copyCsvToFile?(sql: string, file: string, opts?: { signal?: AbortSignal }): Promise<number>;
  /**
   * Optional (PostgreSQL): the same CSV into a stream as the warehouse sends it (for a reader working at the same
   * time). Never retried once the COPY has started: bytes may already have gone. Returns the row count.
   */
  copyCsvOut?(sql: string, dest: NodeJS.WritableStream, opts?: { signal?: AbortSignal }): Promise<number>;
  close(): Promise<void>;
}

/** Quote identifiers, name relations, map types: pure functions, no I/O. */
export interface Dialect {
  quoteIdentifier(name: string): string;
  /** `"schema"."table"` (or with database), already quoted. */
  relationName(relation: Relation): string;
  /** Map a logical type (or a warehouse type passed through) to this warehouse's type name. */
  typeName(type: LogicalType | string): string;
  /** SQL string literal. */
  literal(value: string): string;
}

/** An open session on a target: what the runner uses during one invocation. */
export interface TargetSession {
  readonly dialect: Dialect;
  readonly connection: TargetConnection;
  /** Create the schema if missing. */
  ensureSchema(schema: string, database?: string): Promise<void>;
  relationExists(relation: Relation): Promise<boolean>;
  /** Columns of a relation, in order; empty when it does not exist. */
  columns(relation: Relation): Promise<ColumnInfo[]>;
  /** Build a model; must be atomic: a failure leaves the previous version intact. */
  materialize(build: ModelBuild): Promise<BuildResult>;
  /** Take a snapshot (SCD type 2): a failure or a kill leaves the snapshot table as it was. */
  snapshot?(build: SnapshotBuild): Promise<BuildResult>;
  /** Load a seed CSV into a table, atomically replacing the previous one. */
  loadSeed(seed: SeedLoad): Promise<LoadResult>;
  /** Land a file source as a typed table, atomically; rejected rows go to the rejects table. */
  loadFileSource(load: FileSourceLoad): Promise<LoadResult>;
  /**
   * Optional (DuckDB): write a query's result to a local file with the engine's own
   * writer (COPY ... TO). Exporters use it when present; otherwise they stream rows.
   */
  copyToFile?(sql: string, path: string, options: CopyToFileOptions): Promise<{ rows: number }>;
  /** Optional (Hive with `engine_paths`): whether the engine itself reads and writes `url`. */
  engineReaches?(url: string): boolean;
  /**
   * Optional (Hive): the engine writes a relation's rows as files into the folder `url` (created,
   * must not exist yet) and returns its own listing of them (paths relative to `url`). No row passes through tx.
   */
  engineWriteFolder?(req: EngineWriteRequest): Promise<EngineWrittenFile[]>;
  /** Drop a relation if it exists (tables or views). */
  dropRelation(relation: Relation): Promise<void>;
  close(): Promise<void>;
}

/** Static information about a target, used by `tx debug` and the compiler. */
export interface TargetInfo {
  type: string;
  /** Default schema for models when the project sets none. */
  schema: string;
  database?: string;
  /** Threads the target supports well (DuckDB: cores; PostgreSQL: pool size). */
  threads?: number;
}

/** A configured target: opens sessions. One per `--target`. */
export interface Target {
  readonly name: string;
  readonly info: TargetInfo;
  readonly dialect: Dialect;
  /** Open a session; `lockWait` decides what happens when another tx holds the warehouse. */
  open(opts: { log: TargetLog; threads: number }): Promise<TargetSession>;
  /** A short check for `tx debug`: returns the server version or throws. */
  ping(): Promise<string>;
  /** Optional, for `tx debug` (Hive): whether the engine reads and writes the configured engine paths itself. */
  engineCheck?(): Promise<{ ok: boolean; lines: string[] }>;
}

/** Resolved target config from project.yml or profiles (env_var() already applied). */
export type TargetConfig = Record<string, unknown> & { type: string };

/** Builds a Target from its config. `projectDir` resolves relative paths. */
export type TargetFactory = (name: string, config: TargetConfig, projectDir: string) => Target;

/**
 * Errors a target throws when the warehouse says no. `transient` marks errors
 * worth a retry (connection reset, serialization failure, throttling).
 */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly options: { transient?: boolean; sql?: string; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'TargetError';
  }
}
