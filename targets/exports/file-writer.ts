/**
 * Produce an export's data files in a local folder, with DuckDB as the writer.
 *
 * - A session with `copyToFile` (DuckDB) writes with its own COPY: no rows cross into Node.
 * - Any other session (PostgreSQL, Hive) fills a private disk-backed DuckDB and COPYs from there,
 *   flat memory: PostgreSQL writes CSV with its own COPY into a local file that DuckDB types
 *   (csv-stager.ts); other columns and warehouses stream rows through `connection.stream` (row-stager.ts).
 * - DuckDB cannot partition JSON, nor combine partitioning with part sizes; those are written
 *   one partition at a time. bzip2 is not a DuckDB codec: files are written plain to a scratch
 *   folder and compressed into the output folder (bzip2-file.ts: the system's bzip2, else tx's encoder).
 * Then every file is measured: rows, bytes, sha256.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CopyToFileOptions, LogicalType, Relation, TargetLog, TargetSession } from '../target.js';
import { writeOrcFromDuckdb } from '../files/orc/duckdb-orc.js';
import { bzip2File } from './bzip2-file.js';
import { ExportError, toExportError } from './export-error.js';
import { fileExtension, type ExportSpec } from './export-spec.js';
import { LocalDuckdb, quoteIdent, quoteLiteral } from './local-duckdb.js';
import { castSelect, stageRows } from './row-stager.js';
import { TailHash, type FileHash } from './tail-hash.js';
import { stageByCsvCopy } from './csv-stager.js';

export interface ProducedFile {
  /** Path relative to the output folder, `/`-separated. */
  path: string;
  absPath: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ProducedFiles {
  files: ProducedFile[];
  rows: number;
}

export type FileSpec = Pick<ExportSpec, 'format' | 'compression' | 'header' | 'delimiter' | 'partitionBy' | 'fileSizeBytes' | 'fileName' | 'extraColumns'> & Partial<Pick<ExportSpec, 'stripeSizeBytes'>>;

/** Where COPY runs: the model's own DuckDB session, or the private stage. */
interface Copier {
  copy(sql: string, file: string, options: CopyToFileOptions): Promise<number>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  quote(name: string): string;
  literal(value: string): string;
  typeName(type: string): string;
}

const LOGICAL_DUCKDB: Record<LogicalType, string> = {
  string: 'VARCHAR',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  decimal: 'DECIMAL(38,9)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

function localCopier(db: LocalDuckdb): Copier {
  return {
    async copy(sql, file, o) {
      const opts = [`FORMAT ${o.format}`];
      if (o.compression) opts.push(`COMPRESSION ${o.compression}`);
      if (o.format === 'csv') {
        opts.push(`HEADER ${o.header === false ? 'false' : 'true'}`);
        if (o.delimiter) opts.push(`DELIMITER ${quoteLiteral(o.delimiter)}`);
      }
      if (o.partitionBy?.length) opts.push(`PARTITION_BY (${o.partitionBy.map(quoteIdent).join(', ')})`);
      if (o.fileSizeBytes) opts.push(`FILE_SIZE_BYTES ${Math.floor(o.fileSizeBytes)}`);
      return db.run(`COPY (${sql}) TO ${quoteLiteral(file)} (${opts.join(', ')})`);
    },
    query: (sql) => db.query(sql),
    quote: quoteIdent,
    literal: quoteLiteral,
    typeName: (t) => LOGICAL_DUCKDB[t.toLowerCase() as LogicalType] ?? t.toUpperCase(),
  };
}

function sessionCopier(session: TargetSession, signal?: AbortSignal): Copier {
  const copyToFile = session.copyToFile!.bind(session);
  return {
    copy: async (sql, file, o) => (await copyToFile(sql, file, o)).rows,
    query: (sql) => session.connection.query(sql, { signal }),
    quote: (n) => session.dialect.quoteIdentifier(n),
    literal: (v) => session.dialect.literal(v),
    typeName: (t) => session.dialect.typeName(t),
  };
}

/** DuckDB's COMPRESSION value for a spec (bzip2 is done in Node, so none here). */
function duckdbCompression(spec: FileSpec): string | undefined {
  if (spec.format === 'orc') return 'uncompressed'; // staged as Parquet, then written as ORC by tx
  if (spec.format === 'parquet') return spec.compression === 'none' ? 'uncompressed' : spec.compression;
  return spec.compression === 'gzip' || spec.compression === 'zstd' ? spec.compression : undefined;
}

/** Hive-style folder for one partition value (escaped like Hive: %XX for unsafe characters). */
export function partitionFolder(column: string, value: string | null): string {
  if (value === null) return `${column}=__HIVE_DEFAULT_PARTITION__`;
  const escaped = value.replace(/[\x00-\x1f"#%'*/:=?\\\x7f{}[\]^]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${column}=${escaped}`;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** sha256 and size of a file, in one streaming pass. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Rows in one written file, read back with a private DuckDB. */
async function countRows(db: LocalDuckdb, file: string, spec: FileSpec): Promise<number> {
  const f = quoteLiteral(file);
  let sql: string;
  if (spec.format === 'parquet') sql = `SELECT sum(num_rows)::BIGINT AS n FROM parquet_file_metadata(${f})`;
  else if (spec.format === 'csv') {
    sql = `SELECT count(*)::BIGINT AS n FROM read_csv(${f}, header = ${spec.header}, delim = ${quoteLiteral(spec.delimiter)}, quote = '"', escape = '"', all_varchar = true)`;
  } else sql = `SELECT count(*)::BIGINT AS n FROM read_json_objects(${f}, format = 'newline_delimited')`;
  const rows = await db.query(sql);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Write the model's rows as files into `outDir` (empty). `scratchDir` holds the stage and
 * uncompressed intermediates; the caller removes both folders on failure.
 */
export async function produceFiles(opts: {
  session: TargetSession;
  relation: Relation;
  relationName: string;
  spec: FileSpec;
  outDir: string;
  scratchDir: string;
  log: TargetLog;
  signal?: AbortSignal;
}): Promise<ProducedFiles> {
  const { session, spec, outDir, scratchDir, log, signal } = opts;
  const bzip2 = spec.compression === 'bzip2';
  // ORC: DuckDB stages Parquet (partitions and part sizes as for Parquet), tx writes each as ORC.
  const orc = spec.format === 'orc';
  const writeDir = bzip2 ? path.join(scratchDir, 'plain') : orc ? path.join(scratchDir, 'orc-stage') : outDir;
  await fs.promises.mkdir(writeDir, { recursive: true });
  // What a failed write leaves (a COPY interrupted part-way through a piped CSV) is removed: only what this call made.
  const before = new Set(await fs.promises.readdir(writeDir));
  const helper = await LocalDuckdb.open(undefined, '256MB');
  let stage: LocalDuckdb | undefined;
  let stagedFile: string | undefined;
  let copiedRows: number | undefined;
  /** The view's CSV still arriving through a pipe (csv-pipe.ts): settled once the one COPY reading it has. */
  let piped: ((readError?: unknown) => Promise<number>) | undefined;
  try {
    // 1. Pick the writer and the SELECT it writes.
    let copier: Copier;
    let select: string;
    let sourceColumns: string[] = [];
    if (session.copyToFile) {
      copier = sessionCopier(session, signal);
      select = `SELECT * FROM ${opts.relationName}`;
      if (spec.extraColumns.length || spec.partitionBy.length) sourceColumns = (await session.columns(opts.relation)).map((c) => c.name);
    } else {
      const stageDir = path.join(scratchDir, 'stage');
      await fs.promises.mkdir(stageDir, { recursive: true });
      stage = await LocalDuckdb.open(stageDir);
      const onAbort = (): void => stage?.interrupt();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const t0 = Date.now();
        // One COPY writes an unpartitioned export: DuckDB reads PostgreSQL's CSV straight into the file writer.
        const copied = await stageByCsvCopy({
          session,
          relation: opts.relation,
          relationName: opts.relationName,
          stage,
          table: 'rows',
          dir: stageDir,
          view: !spec.partitionBy.length,
          signal,
          onPipeFailure: () => stage?.interrupt(),
        });
        stagedFile = copied?.file;
        if (copied?.file) copiedRows = copied.rows;
        if (copied?.piped) {
          // Counted when the COPY below has read it all.
          const finish = copied.piped;
          piped = async (readError?: unknown) => {
            piped = undefined;
            const n = await finish(readError);
            log.info(`export: copied ${n} rows of ${opts.relationName} out as CSV, piped into the writer, in ${Date.now() - t0} ms`);
            return n;
          };
        }
        const staged = copied ?? (await stageRows({ session, relation: opts.relation, relationName: opts.relationName, stage, table: 'rows', signal }));
        if (!piped) log.info(`export: ${copied ? 'copied' : 'streamed'} ${staged.rows} rows of ${opts.relationName}${copied ? ' out as CSV' : ''} in ${Date.now() - t0} ms`);
        copier = localCopier(stage);
        select = castSelect('rows', staged.columns);
        sourceColumns = staged.columns.map((c) => c.name);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }
    if (spec.extraColumns.length) {
      const extra = spec.extraColumns.map((c) => `CAST(${copier.literal(c.value)} AS ${copier.typeName(c.type)}) AS ${copier.quote(c.name)}`);
      const replaced = spec.extraColumns.filter((c) => sourceColumns.some((s) => s.toLowerCase() === c.name.toLowerCase())).map((c) => copier.quote(c.name));
      const star = replaced.length ? `* EXCLUDE (${replaced.join(', ')})` : '*';
      select = `SELECT ${star}, ${extra.join(', ')} FROM (${select}) AS __tx_export`;
    }
    for (const p of spec.partitionBy) {
      if (sourceColumns.length && !sourceColumns.some((s) => s.toLowerCase() === p.toLowerCase()) && !spec.extraColumns.some((c) => c.name === p)) {
        throw new ExportError('EXPORT_CONFIG', `partition_by column \`${p}\` is not a column of ${opts.relationName}`, { hint: `columns: ${sourceColumns.join(', ')}` });
      }
    }

    // 2. Write.
    if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    const ext = orc ? '.parquet' : fileExtension(spec.format, spec.compression === 'bzip2' ? 'none' : spec.compression);
    const base: CopyToFileOptions = { format: spec.format === 'orc' ? 'parquet' : spec.format, compression: duckdbCompression(spec), header: spec.header, delimiter: spec.delimiter };
    let totalRows = 0;
    const partitioned = spec.partitionBy.length > 0;
    // files hashed while they were written (tail-hash.ts), by their path relative to writeDir
    const hashedWhileWritten = new Map<string, FileHash>();
    if (!partitioned && !spec.fileSizeBytes) {
      const file = path.join(writeDir, `${spec.fileName}${ext}`);
      // the file as written is the file exported (not a stage for ORC or bzip2), and it is new
      const tail = !orc && !bzip2 && !fs.existsSync(file) ? new TailHash(file) : undefined;
      try {
        totalRows = await copier.copy(select, file, base);
      } finally {
        const h = await tail?.finish();
        if (h) hashedWhileWritten.set(`${spec.fileName}${ext}`, h);
      }
    } else if (!partitioned) {
      totalRows = await copier.copy(select, writeDir, { ...base, fileSizeBytes: spec.fileSizeBytes });
      // DuckDB names parts data_N.ext; give them the export's name.
      for (const f of await listFiles(writeDir)) {
        const m = /^data_(\d+)(\..+)$/.exec(f);
        if (m) await fs.promises.rename(path.join(writeDir, f), path.join(writeDir, `${spec.fileName}-${m[1]!.padStart(5, '0')}${m[2]}`));
      }
    } else if (spec.format !== 'json' && !spec.fileSizeBytes) {
      totalRows = await copier.copy(select, writeDir, { ...base, partitionBy: spec.partitionBy });
    } else {
      // One COPY per partition: JSON cannot be partitioned by DuckDB, nor can parts be sized.
      const keys = spec.partitionBy.map((p, i) => `CAST(${copier.quote(p)} AS VARCHAR) AS ${copier.quote(`__p${i}`)}`);
      const values = await copier.query(`SELECT DISTINCT ${keys.join(', ')} FROM (${select}) AS __tx_parts`);
      for (const v of values) {
        const parts = spec.partitionBy.map((p, i) => {
          const val = v[`__p${i}`];
          return { p, val: val === null || val === undefined ? null : String(val) };
        });
        const where = parts
          .map(({ p, val }) => (val === null ? `${copier.quote(p)} IS NULL` : `CAST(${copier.quote(p)} AS VARCHAR) = ${copier.literal(val)}`))
          .join(' AND ');
        const exclude = spec.partitionBy.map((p) => copier.quote(p)).join(', ');
        const sql = `SELECT * EXCLUDE (${exclude}) FROM (${select}) AS __tx_part WHERE ${where}`;
        const dir = path.join(writeDir, ...parts.map(({ p, val }) => partitionFolder(p, val)));
        await fs.promises.mkdir(dir, { recursive: true });
        totalRows += spec.fileSizeBytes
          ? await copier.copy(sql, dir, { ...base, fileSizeBytes: spec.fileSizeBytes })
          : await copier.copy(sql, path.join(dir, `data_0${ext}`), base);
      }
    }

    if (piped) copiedRows = await piped();
    if (copiedRows !== undefined && totalRows !== copiedRows) {
      throw new ExportError('EXPORT_FAILED', `wrote ${totalRows} rows of ${opts.relationName} where PostgreSQL sent ${copiedRows}`);
    }

    // 3. Rows per file (only needed when there are several), bzip2, then hash.
    const written = await listFiles(writeDir);
    const rowsOf = new Map<string, number>();
    if (orc) {
      // counted while each file is written as ORC, below
    } else if (written.length === 1) rowsOf.set(written[0]!, totalRows);
    else for (const f of written) rowsOf.set(f, await countRows(helper, path.join(writeDir, f), spec));
    const files: ProducedFile[] = [];
    for (const f of written) {
      if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      let rel = f;
      if (orc) {
        rel = f.replace(/\.parquet$/, '.orc');
        const dst = path.join(outDir, rel);
        await fs.promises.mkdir(path.dirname(dst), { recursive: true });
        const src = path.join(writeDir, f);
        const res = await writeOrcFromDuckdb(helper.connection, `SELECT * FROM read_parquet(${quoteLiteral(src)})`, dst, {
          compression: spec.compression === 'none' ? 'none' : spec.compression === 'zlib' ? 'zlib' : 'snappy',
          stripeSizeBytes: spec.stripeSizeBytes,
          signal,
        });
        rowsOf.set(f, res.rows);
        await fs.promises.rm(src);
      } else if (bzip2) {
        rel = `${f}.bz2`;
        const dst = path.join(outDir, rel);
        await fs.promises.mkdir(path.dirname(dst), { recursive: true });
        await bzip2File(path.join(writeDir, f), dst, signal);
        await fs.promises.rm(path.join(writeDir, f));
      }
      const absPath = path.join(outDir, rel);
      const { sha256, bytes } = (!orc && !bzip2 ? hashedWhileWritten.get(f) : undefined) ?? (await hashFile(absPath));
      files.push({ path: rel, absPath, rows: rowsOf.get(f) ?? 0, bytes, sha256 });
    }
    return { files, rows: totalRows };
  } catch (err) {
    // A piped CSV's COPY still open: the warehouse's error comes first (the read may have failed because of it).
    let cause = err;
    if (piped) await piped(err).catch((e: unknown) => (cause = e));
    for (const f of await fs.promises.readdir(writeDir).catch(() => [])) {
      if (!before.has(f)) await fs.promises.rm(path.join(writeDir, f), { recursive: true, force: true });
    }
    throw toExportError(cause, `writing ${spec.format} files of ${opts.relationName}`);
  } finally {
    helper.close();
    stage?.close();
    if (stagedFile) await fs.promises.rm(stagedFile, { force: true });
  }
}
