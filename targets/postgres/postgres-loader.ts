/**
 * Seeds and file sources into PostgreSQL with `COPY ... FROM STDIN`, streamed, memory flat.
 *
 * DuckDB (in memory, in this process) reads the files in place and does the typing exactly as the
 * DuckDB target's loader does: the same read_csv options, the same casts, the same rejected rows
 * and reasons. So a source lands with the same rows on both targets. DuckDB writes the typed rows
 * as CSV into a named pipe (`COPY (...) TO fifo`); this process reads the pipe and feeds
 * PostgreSQL's COPY with backpressure: a slow server stalls DuckDB's writer, nothing piles up.
 * Rows land in a scratch table that is swapped in (with dependent views kept) in one transaction.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, createReadStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect } from '../duckdb/duckdb-dialect.js';
// The DuckDB target's own typed reads and checks, so every target refuses and rejects the same rows with the same words.
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
import { AuditError, TargetError, type Audit, type AuditConnection, type FileSourceLoad, type LoadResult, type Relation, type SeedLoad } from '../target.js';
import type { PgClient, PostgresConnection } from './postgres-connection.js';
import { postgresDialect as d, scratchName } from './postgres-dialect.js';
import type { PostgresIntrospector } from './postgres-introspector.js';
import { swapIn } from './postgres-materializations.js';

const lit = duckdbDialect.literal;
const dq = duckdbDialect.quoteIdentifier;
const q = d.quoteIdentifier;

// ---------------------------------------------------------------------------------------------
// Types between the two engines
// ---------------------------------------------------------------------------------------------

const LOGICAL = new Set(['string', 'integer', 'bigint', 'double', 'decimal', 'boolean', 'date', 'timestamp']);

/** The DuckDB type that reads (and validates) a declared type, logical or PostgreSQL's. */
export function duckTypeFor(declared: string): string {
  const t = declared.trim().toLowerCase().replace(/\s+/g, ' ');
  if (LOGICAL.has(t)) return duckdbDialect.typeName(t);
  const num = /^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(t);
  if (num) return Number(num[1]) <= 38 ? `DECIMAL(${num[1]},${num[2] ?? 0})` : 'DOUBLE';
  if (/^(?:character varying|varchar|character|char|bpchar)\s*(?:\(\s*\d+\s*\))?$/.test(t)) return 'VARCHAR';
  const map: Record<string, string> = {
    text: 'VARCHAR',
    name: 'VARCHAR',
    citext: 'VARCHAR',
    json: 'VARCHAR',
    jsonb: 'VARCHAR',
    int: 'INTEGER',
    int4: 'INTEGER',
    smallint: 'SMALLINT',
    int2: 'SMALLINT',
    int8: 'BIGINT',
    real: 'FLOAT',
    float4: 'FLOAT',
    float: 'DOUBLE',
    float8: 'DOUBLE',
    'double precision': 'DOUBLE',
    numeric: 'DECIMAL(38,9)',
    bool: 'BOOLEAN',
    'timestamp without time zone': 'TIMESTAMP',
    timestamptz: 'TIMESTAMPTZ',
    'timestamp with time zone': 'TIMESTAMPTZ',
    time: 'TIME',
    'time without time zone': 'TIME',
    uuid: 'UUID',
    bytea: 'BLOB',
    interval: 'INTERVAL',
  };
  return map[t] ?? declared.toUpperCase();
}

/** The PostgreSQL column type for a DuckDB result type (inferred columns). */
export function pgTypeForDuck(duckType: string): string {
  const t = duckType.toUpperCase();
  if (/[[\]]$|^(STRUCT|MAP|UNION|LIST)\b/.test(t)) return 'jsonb';
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `numeric(${dec[1]},${dec[2]})`;
  const map: Record<string, string> = {
    BOOLEAN: 'boolean',
    TINYINT: 'smallint',
    UTINYINT: 'smallint',
    SMALLINT: 'smallint',
    USMALLINT: 'integer',
    INTEGER: 'integer',
    UINTEGER: 'bigint',
    BIGINT: 'bigint',
    UBIGINT: 'numeric(20,0)',
    HUGEINT: 'numeric(39,0)',
    UHUGEINT: 'numeric(39,0)',
    FLOAT: 'real',
    DOUBLE: 'double precision',
    VARCHAR: 'text',
    DATE: 'date',
    TIME: 'time',
    'TIME WITH TIME ZONE': 'timetz',
    TIMESTAMP: 'timestamp',
    TIMESTAMP_S: 'timestamp',
    TIMESTAMP_MS: 'timestamp',
    TIMESTAMP_NS: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamptz',
    INTERVAL: 'interval',
    UUID: 'uuid',
    BLOB: 'bytea',
    JSON: 'jsonb',
  };
  return map[t] ?? 'text';
}

/** How a DuckDB column is written so PostgreSQL's CSV input reads it back. */
function duckOutputExpr(name: string, duckType: string): string {
  const t = duckType.toUpperCase();
  const col = dq(name);
  if (/[[\]]$|^(STRUCT|MAP|UNION|LIST)\b/.test(t)) return `cast(to_json(${col}) as varchar) as ${col}`;
  if (t === 'BLOB') return `'\\x' || hex(${col}) as ${col}`;
  if (t.startsWith('ENUM') || t === 'BIT') return `cast(${col} as varchar) as ${col}`;
  return col;
}

// ---------------------------------------------------------------------------------------------
// Header checks, as on DuckDB
// ---------------------------------------------------------------------------------------------

function wrapFileError(e: unknown, l: FileSourceLoad): Error {
  if (e instanceof AuditError) return e;
  if (e instanceof TargetError && /rejected|header|empty|declared columns|not a CSV file|Avro|ORC|connect|password|database|cancel|SSL|timeout|lost/.test(e.message)) return e;
  const msg = (e as Error).message ?? String(e);
  const files = l.files.length === 1 ? l.files[0]! : `${l.files.length} files (${basename(l.files[0]!)}, ...)`;
  return new TargetError(`cannot read ${l.format} source ${files}: ${msg.split('\n')[0]}`, { cause: e, transient: e instanceof TargetError && e.options.transient });
}

// ---------------------------------------------------------------------------------------------
// DuckDB → named pipe → COPY FROM STDIN
// ---------------------------------------------------------------------------------------------

/** One column of a scratch table: its PostgreSQL type and how DuckDB writes it. */
interface OutColumn {
  name: string;
  pgType: string;
  duckExpr: string;
  /** Written as text (quoted in the CSV). */
  text: boolean;
}

/** DuckDB types written as numbers, booleans, dates or times: never a line `\.`, never quoted. */
const NOT_TEXT = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(.*\)|DATE|TIME|TIMESTAMP.*|INTERVAL|UUID)$/i;

/**
 * Streams `selectSql` (DuckDB) into `copySql` (PostgreSQL COPY ... FROM STDIN (FORMAT csv)).
 * Both ends must succeed; on any failure the other end is stopped and nothing is left hanging.
 */
async function pipeRows(duck: DuckDBConnection, selectSql: string, c: PgClient, copySql: string, quoted: string[], signal?: AbortSignal): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tx-pg-load-'));
  const fifo = join(dir, 'rows.csv');
  try {
    try {
      execFileSync('mkfifo', ['-m', '600', fifo]);
    } catch (e) {
      throw new TargetError(`cannot create a named pipe for loading (mkfifo): ${(e as Error).message}`);
    }
    // Open our reading end first, non-blocking, plus a placeholder writer: DuckDB's open() never blocks,
    // and the reader sees no premature end-of-file before DuckDB has opened the pipe.
    const rfd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    let placeholder = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const dropPlaceholder = () => {
      if (placeholder !== -1) {
        closeSync(placeholder);
        placeholder = -1;
      }
    };
    const reader = new net.Socket({ fd: rfd, readable: true, writable: false });
    reader.once('data', dropPlaceholder);
    let duckError: unknown;
    const onAbort = () => duck.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    const writing = duck
      // Text values quoted: a value `\.` alone on a line would otherwise end PostgreSQL's COPY data, silently.
      .run(`COPY (${selectSql}) TO ${lit(fifo)} (FORMAT csv, HEADER false, USE_TMP_FILE false${quoted.length ? `, FORCE_QUOTE (${quoted.map(dq).join(', ')})` : ''})`)
      .then(
        () => undefined,
        (e: unknown) => {
          duckError = e;
          reader.destroy(new Error(`reading failed: ${(e as Error).message}`));
        },
      )
      .finally(dropPlaceholder);
    let copied = 0;
    try {
      copied = await c.copyIn(copySql, reader, { signal });
    } catch (e) {
      c.broken = true; // a COPY cut short: do not hand this session to anyone else
      if (!duckError) {
        // Stop DuckDB and keep a reader on the pipe until it has let go, so its writes fail instead of block.
        duck.interrupt();
        const drain = new net.Socket({ fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
        drain.on('data', () => undefined);
        drain.on('error', () => undefined);
        await writing;
        drain.destroy();
      }
      if (duckError) throw duckError;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    await writing;
    if (duckError) {
      c.broken = true;
      throw duckError;
    }
    if (signal?.aborted) throw new TargetError('cancelled');
    return copied;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The loader
// ---------------------------------------------------------------------------------------------

const REJECT_COLUMNS = ['source', 'file', 'line', 'column_name', 'error_type', 'reason', 'raw_line'];

/**
 * Declared types whose CSV text PostgreSQL reads to the very value DuckDB reads (text as it stands, integers, doubles:
 * both parse exactly, and a text one accepts and the other refuses only fails the raw copy). Not: decimals (rounding),
 * dates and timestamps (formats, zones), booleans, lengths (`varchar(n)` rules differ), anything else.
 */
const RAW_SAFE = new Set(['string', 'text', 'varchar', 'character varying', 'bigint', 'int8', 'integer', 'int', 'int4', 'smallint', 'int2', 'double', 'double precision', 'float8', 'float']);

/** A typed CSV source whose files PostgreSQL can read itself: safe types only, UTF-8 without a byte-order mark. */
async function rawCsvEligible(l: FileSourceLoad, cols: { type: string }[]): Promise<boolean> {
  if (!cols.every((c) => RAW_SAFE.has(c.type.trim().toLowerCase().replace(/\s+/g, ' ')))) return false;
  if (l.options.quote === '' || l.options.delimiter === '') return false;
  // Compressed files: DuckDB decompresses them, PostgreSQL would get the compressed bytes.
  if ((l.options.compression && l.options.compression !== 'none') || l.files.some((f) => /\.(gz|gzip|zst|zstd|bz2|xz|zip)$/i.test(f))) return false;
  for (const f of l.files) {
    const h = await open(f, 'r');
    try {
      const { buffer, bytesRead } = await h.read(Buffer.alloc(3), 0, 3, 0);
      // A BOM: DuckDB skips it, PostgreSQL would keep it in the first value.
      if (bytesRead === 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return false;
    } finally {
      await h.close();
    }
  }
  return true;
}

export class PostgresLoader {
  private instance: Promise<DuckDBInstance> | undefined;
  private instanceDir: string | undefined;

  constructor(
    private readonly conn: PostgresConnection,
    private readonly intro: PostgresIntrospector,
    private readonly ensureSchema: (c: PgClient, schema: string) => Promise<void>,
    /** DuckDB settings for the reading side (threads, memory_limit). */
    private readonly duckSettings: Record<string, string> = { threads: '2', memory_limit: '1GB' },
  ) {}

  private async duck<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    // Loaded on the first load only: models-only runs never load DuckDB's native module. A database file in a
    // private temp folder (not :memory:) so staged data and large intermediates spill to disk, not to RAM.
    if (!this.instance) {
      const dir = mkdtempSync(join(tmpdir(), 'tx-pg-reader-'));
      this.instanceDir = dir;
      this.instance = import('@duckdb/node-api').then((m) => m.DuckDBInstance.create(join(dir, 'reader.duckdb'), this.duckSettings));
    }
    const c = await (await this.instance!).connect();
    try {
      return await fn(c);
    } finally {
      c.closeSync();
    }
  }

  async close(): Promise<void> {
    if (this.instance) (await this.instance.catch(() => undefined))?.closeSync();
    this.instance = undefined;
    if (this.instanceDir) rmSync(this.instanceDir, { recursive: true, force: true });
    this.instanceDir = undefined;
  }

  /** Column names and DuckDB types of a DuckDB query. */
  private async describe(c: DuckDBConnection, sql: string): Promise<{ name: string; type: string }[]> {
    const rows = (await c.runAndReadAll(`DESCRIBE ${sql}`)).getRowObjectsJS();
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /** Creates the (empty) scratch table beside `relation` with the columns of `selectSql`. */
  private async createScratch(
    pg: PgClient,
    duck: DuckDBConnection,
    relation: Relation,
    suffix: string,
    selectSql: string,
    declared: Map<string, string>,
  ): Promise<{ scratch: string; scratchSql: string; cols: OutColumn[] }> {
    const described = await this.describe(duck, selectSql);
    const cols: OutColumn[] = described.map((x) => ({
      name: x.name,
      pgType: declared.get(x.name.toLowerCase()) ?? pgTypeForDuck(x.type),
      duckExpr: duckOutputExpr(x.name, x.type),
      text: !NOT_TEXT.test(x.type),
    }));
    const scratch = scratchName(relation.identifier, suffix);
    const scratchSql = `${q(relation.schema)}.${q(scratch)}`;
    await this.ensureSchema(pg, relation.schema);
    await pg.run(`DROP TABLE IF EXISTS ${scratchSql}`);
    await pg.run(`CREATE TABLE ${scratchSql} (${cols.map((x) => `${q(x.name)} ${x.pgType}`).join(', ')})`);
    return { scratch, scratchSql, cols };
  }

  /**
   * Creates the scratch table beside `relation`, pipes `selectSql` into it, and returns the scratch name and
   * row count. `declared` gives PostgreSQL types for declared columns; the rest follow DuckDB's inference.
   */
  private async land(
    pg: PgClient,
    duck: DuckDBConnection,
    relation: Relation,
    suffix: string,
    selectSql: string,
    declared: Map<string, string>,
    signal?: AbortSignal,
  ): Promise<{ scratch: string; rows: number }> {
    const { scratch, scratchSql, cols } = await this.createScratch(pg, duck, relation, suffix, selectSql, declared);
    const rows = await pipeRows(
      duck,
      `SELECT ${cols.map((x) => x.duckExpr).join(', ')} FROM (${selectSql})`,
      pg,
      `COPY ${scratchSql} (${cols.map((x) => q(x.name)).join(', ')}) FROM STDIN (FORMAT csv)`,
      cols.filter((x) => x.text).map((x) => x.name),
      signal,
    );
    return { scratch, rows };
  }

  /** Lands `selectSql` and swaps it in for `relation` in one transaction; retried whole on transient errors. */
  private async replaceWith(relation: Relation, node: string, selectSql: string, declared: Map<string, string>, signal?: AbortSignal, audit?: Audit): Promise<number> {
    return this.attempt([relation], node, signal, (pg) =>
      this.duck(async (duck) => {
        const { scratch, rows } = await this.land(pg, duck, relation, 'load', selectSql, declared, signal);
        // Audit before publish: the loaded rows are tested in the scratch table beside the previous one.
        if (audit) await audit({ ...relation, identifier: scratch }, this.auditConnection(pg, node, signal));
        await pg.transaction(() => swapIn(pg, this.intro, relation, scratch));
        return rows;
      }),
    );
  }

  /** An audit's queries, on the load's own client. */
  private auditConnection(pg: PgClient, node: string, signal?: AbortSignal): AuditConnection {
    return {
      query: async (sql, o) => (await pg.run(sql, { signal: o?.signal ?? signal, node })).rows,
      execute: async (sql, o) => ({ rowsAffected: (await pg.run(sql, { signal: o?.signal ?? signal, node })).rowCount ?? undefined }),
      columns: (r) => this.intro.columns(pg, r),
      printRows: async (sql, o) => (await pg.run(sql, { signal: o?.signal ?? signal, node, exact: true })).rows,
    };
  }

  /**
   * Runs a load on one client, retried whole on transient errors. A failed attempt's scratch tables are dropped
   * afterwards on a healthy connection (the failed one may be the reason it failed).
   */
  private async attempt<T>(relations: Relation[], node: string, signal: AbortSignal | undefined, fn: (pg: PgClient) => Promise<T>): Promise<T> {
    return this.conn.retrying(
      async () => {
        try {
          return await this.conn.withClient(fn, { signal, node });
        } catch (e) {
          await this.conn
            .withClient(async (pg) => {
              for (const r of relations) await pg.run(`DROP TABLE IF EXISTS ${q(r.schema)}.${q(scratchName(r.identifier, 'load'))}`);
            })
            .catch(() => undefined);
          throw e;
        }
      },
      { signal, what: `loading ${node}` },
    );
  }

  async loadSeed(s: SeedLoad): Promise<LoadResult> {
    const types = Object.entries(s.columnTypes);
    const opts = [
      `header = ${s.header ? 'true' : 'false'}`,
      `delim = ${lit(s.delimiter)}`,
      `quote = ${lit(s.quote)}`,
      ...(types.length ? [`types = {${types.map(([k, v]) => `${lit(k)}: ${lit(duckTypeFor(v))}`).join(', ')}}`] : []),
      ...(s.nullStrings?.length ? [`nullstr = [${['', ...s.nullStrings].map((x) => lit(x)).join(', ')}]`] : []),
    ];
    const sql = `select * from read_csv(${lit(s.path)}, ${opts.join(', ')})`;
    const declared = new Map(types.map(([k, v]) => [k.toLowerCase(), d.typeName(v)]));
    try {
      const rows = await this.replaceWith(s.relation, s.uniqueId, sql, declared, s.signal, s.audit);
      return { rowsLoaded: rows, rowsRejected: 0 };
    } catch (e) {
      if (e instanceof TargetError || e instanceof AuditError) throw e;
      // DuckDB's first paragraph names the line, the original text and the conversion; the rest lists reader options.
      throw new TargetError(`cannot load seed ${s.path}: ${(e as Error).message.split('\n\n')[0]}`, { cause: e });
    }
  }

  async loadFileSource(l: FileSourceLoad): Promise<LoadResult> {
    if (!l.files.length) throw new TargetError(`file source ${l.uniqueId}: no files to read`);
    try {
      if (l.format === 'avro') return await this.loadAvro(l);
      if (l.format === 'orc') return await this.loadOrc(l);
      if (!l.columns?.length) {
        // Undeclared schema: DuckDB infers the types (DuckDB's target reads in place; PostgreSQL needs a table).
        const rows = await this.replaceWith(l.relation, l.uniqueId, untypedReaderSql(l), new Map(), l.signal, l.audit);
        return { rowsLoaded: rows, rowsRejected: 0 };
      }
      return await this.loadTyped(l);
    } catch (e) {
      throw wrapFileError(e, l);
    }
  }

  /**
   * Declared columns: DuckDB casts each value to its declared type; the rows that fit are copied to PostgreSQL,
   * the others land in the rejects relation with file, line and reason (the DuckDB target's rules and texts).
   */
  private async loadTyped(l: FileSourceLoad, stagedRaw?: string): Promise<LoadResult> {
    const cols = l.columns!;
    const declared = new Map(cols.map((c) => [c.name.toLowerCase(), d.typeName(c.type)]));
    let read: TypedRead;
    if (l.format === 'csv') read = await chooseCsvRead(typedCsvRead(l, cols, duckTypeFor), (sql) => this.duck(async (c) => Number((await c.runAndReadAll(sql)).getRowObjectsJS()[0]?.n ?? 1)));
    else {
      const raw = stagedRaw ?? positionedRowsSql(l);
      if (!raw) throw new TargetError(`format ${l.format} needs a loader that tx does not have on PostgreSQL`);
      const available = await this.duck(async (c) => (await this.describe(c, raw)).map((x) => x.name));
      read = typedCastRead(l, cols, raw, available, duckTypeFor);
    }
    if (l.format === 'csv' && (await rawCsvEligible(l, cols))) {
      const fast = await this.loadRawCsv(l, read, declared);
      if (fast) return fast;
    }
    const { typed, cleanup } = read;
    const rejectsOut = rejectRowsSql(l.uniqueId, read.rejects);
    const rejName = d.relationName(l.rejectsRelation);

    return this.attempt([l.relation, l.rejectsRelation], l.uniqueId, l.signal, (pg) =>
      this.duck(async (duck) => {
        const opts = { signal: l.signal };
        try {
          const main = await this.land(pg, duck, l.relation, 'load', typed, declared, l.signal);
          // The rejects relation: always replaced, also when the load then fails on max_rejected_rows.
          await this.ensureSchema(pg, l.rejectsRelation.schema);
          const rejScratch = scratchName(l.rejectsRelation.identifier, 'load');
          const rejScratchSql = `${q(l.rejectsRelation.schema)}.${q(rejScratch)}`;
          await pg.run(`DROP TABLE IF EXISTS ${rejScratchSql}`, opts);
          await pg.run(
            `CREATE TABLE ${rejScratchSql} (source text, file text, line bigint, column_name text, error_type text, reason text, raw_line text, rejected_at timestamptz NOT NULL DEFAULT now())`,
            opts,
          );
          const rejected = await pipeRows(
            duck,
            rejectsOut,
            pg,
            `COPY ${rejScratchSql} (${REJECT_COLUMNS.map(q).join(', ')}) FROM STDIN (FORMAT csv)`,
            REJECT_COLUMNS.filter((x) => x !== 'line'),
            l.signal,
          );
          const sample = rejectSample(await pg.rows(`SELECT file, line, reason FROM ${rejScratchSql} ORDER BY file, line LIMIT 5`));
          const overLimit = rejectLimitError(l, main.rows, rejected, sample, rejName);
          // Audit before publish: the typed rows are tested in their scratch table beside the previous one.
          if (l.audit && !overLimit) await l.audit({ ...l.relation, identifier: main.scratch }, this.auditConnection(pg, l.uniqueId, l.signal));
          await pg.transaction(async () => {
            await swapIn(pg, this.intro, l.rejectsRelation, rejScratch);
            if (!overLimit) await swapIn(pg, this.intro, l.relation, main.scratch);
          });
          if (overLimit) throw overLimit;
          return { rowsLoaded: main.rows, rowsRejected: rejected, sampleRejects: sample };
        } finally {
          for (const s of cleanup) await duck.run(s).catch(() => undefined);
          // Left only when the limit stopped the swap of the main table.
          if (!pg.broken) await pg.run(`DROP TABLE IF EXISTS ${q(l.relation.schema)}.${q(scratchName(l.relation.identifier, 'load'))}`).catch(() => undefined);
        }
      }),
    );
  }

  /**
   * The file's own bytes into `COPY … FROM STDIN`, as `psql \copy` sends them, while DuckDB reads the same file
   * typed, exactly as the typed path would (every column cast, rejects kept). When DuckDB rejects nothing, PostgreSQL
   * took every line and both counted the same rows, the rows are those the typed path would have landed (the types
   * are only those whose text both engines read to the same value: rawCsvEligible), and the load is published with
   * an empty rejects table. Otherwise nothing is published and null says: load through the typed path.
   */
  private async loadRawCsv(l: FileSourceLoad, read: TypedRead, declared: Map<string, string>): Promise<LoadResult | null> {
    const delim = l.options.delimiter ?? ',';
    const quote = l.options.quote ?? '"';
    return this.attempt([l.relation, l.rejectsRelation], l.uniqueId, l.signal, (pg) =>
      this.duck(async (duck) => {
        const opts = { signal: l.signal };
        let published = false;
        try {
          const { scratch, scratchSql, cols } = await this.createScratch(pg, duck, l.relation, 'load', read.typed, declared);
          const names = cols.map((x) => q(x.name)).join(', ');
          const copySql =
            `COPY ${scratchSql} (${names}) FROM STDIN (FORMAT csv, HEADER ${l.options.header === false ? 'false' : 'true'}, ` +
            `DELIMITER ${d.literal(delim)}, QUOTE ${d.literal(quote)}, ESCAPE ${d.literal(quote)}, FORCE_NULL (${names}))`;
          // Every column counted, so DuckDB casts (and rejects) every value, as the typed path does.
          const checking = duck
            .runAndReadAll(`select count(*) as n, ${cols.map((x, i) => `count(${dq(x.name)}) as c${i}`).join(', ')} from (${read.typed})`)
            .then((r) => ({ rows: Number(r.getRowObjectsJS()[0]!.n) }));
          checking.catch(() => undefined);
          let pgRows = 0;
          let pgFailed = false;
          try {
            for (const f of l.files) pgRows += await pg.copyIn(copySql, createReadStream(f, { highWaterMark: 1 << 20 }), opts);
          } catch (e) {
            // Stop DuckDB's check before anything else uses its connection.
            duck.interrupt();
            await checking.catch(() => undefined);
            if (l.signal?.aborted) throw e;
            pgFailed = true; // a value PostgreSQL reads differently: the typed path decides
          }
          let duckRows = -1;
          try {
            duckRows = (await checking).rows;
          } catch (e) {
            if (!pgFailed) throw e;
          }
          if (pgFailed) return null;
          const rejected = Number((await duck.runAndReadAll(`select count(*) as n from (${read.rejects})`)).getRowObjectsJS()[0]!.n);
          if (rejected > 0 || duckRows !== pgRows) return null;
          await this.ensureSchema(pg, l.rejectsRelation.schema);
          const rejScratch = scratchName(l.rejectsRelation.identifier, 'load');
          const rejScratchSql = `${q(l.rejectsRelation.schema)}.${q(rejScratch)}`;
          await pg.run(`DROP TABLE IF EXISTS ${rejScratchSql}`, opts);
          await pg.run(
            `CREATE TABLE ${rejScratchSql} (source text, file text, line bigint, column_name text, error_type text, reason text, raw_line text, rejected_at timestamptz NOT NULL DEFAULT now())`,
            opts,
          );
          if (l.audit) await l.audit({ ...l.relation, identifier: scratch }, this.auditConnection(pg, l.uniqueId, l.signal));
          await pg.transaction(async () => {
            await swapIn(pg, this.intro, l.rejectsRelation, rejScratch);
            await swapIn(pg, this.intro, l.relation, scratch);
          });
          published = true;
          return { rowsLoaded: pgRows, rowsRejected: 0, sampleRejects: [] };
        } finally {
          for (const s of read.cleanup) await duck.run(s).catch(() => undefined);
          if (!published && !pg.broken) {
            await pg.run(`DROP TABLE IF EXISTS ${q(l.relation.schema)}.${q(scratchName(l.relation.identifier, 'load'))}`).catch(() => undefined);
          }
        }
      }),
    );
  }

  /**
   * Avro, as on DuckDB: records streamed (avsc, bounded memory) into a staging table of text values with file and
   * record number in the loader's DuckDB (a temp file, so it spills to disk), then typed like any other source.
   */
  private async loadOrc(l: FileSourceLoad): Promise<LoadResult> {
    // As Avro: rows streamed by tx's ORC reader into a staging table of text values, then typed.
    const schemaCols = await orcSourceColumns(l);
    const staging = `tx_orc_${Math.random().toString(36).slice(2, 10)}`;
    try {
      const names = (l.columns?.length ? l.columns : schemaCols).map((x) => x.name);
      await this.duck((c) => stageOrcRecords(c, { schema: 'main', identifier: staging }, names, l, { create: 'create table' }));
      return await this.loadTyped({ ...l, columns: l.columns?.length ? l.columns : schemaCols }, `select * from ${dq(staging)}`);
    } finally {
      await this.duck((c) => c.run(`drop table if exists ${dq(staging)}`)).catch(() => undefined);
    }
  }

  private async loadAvro(l: FileSourceLoad): Promise<LoadResult> {
    const schemaCols = await avroSourceColumns(l);
    const staging = `tx_avro_${Math.random().toString(36).slice(2, 10)}`;
    await this.duck((c) => stageAvroRecords(c, { schema: 'main', identifier: staging }, schemaCols.map((x) => x.name), l, { create: 'create table' }));
    try {
      const columns = l.columns?.length ? l.columns : schemaCols.map((c) => ({ name: c.name, type: c.type }));
      return await this.loadTyped({ ...l, columns }, `select * from ${dq(staging)}`);
    } finally {
      await this.duck((c) => c.run(`drop table if exists ${dq(staging)}`)).catch(() => undefined);
    }
  }

  /** max_rejected_rows, with the DuckDB target's rule and wording. */

}
