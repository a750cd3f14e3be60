/**
 * Exports written by Spark itself: `INSERT OVERWRITE DIRECTORY '<url>' USING parquet|orc|json|csv
 * SELECT * FROM <relation>`. Spark's commit protocol writes the part files under `<url>/_temporary`
 * and moves them up when the job commits (then `_SUCCESS`); tx asks for a folder that does not
 * exist yet (a hidden temporary name beside the final one), so a failed or cancelled job leaves
 * only that hidden folder, which the caller removes.
 *
 * The listing for the manifest is the engine's own: `binaryFile` gives each file's path, size and
 * SHA-256 (computed by the executors; the bytes never reach tx), the format's reader gives the rows
 * per file (`input_file_name()`; Parquet and ORC counts come from file footers).
 */
import { TargetError, type EngineWriteRequest, type EngineWrittenFile } from '../target.js';
import type { HiveConnection } from './hive-connection.js';
import { hiveDialect as d } from './hive-dialect.js';

const q = d.quoteIdentifier;
const lit = d.literal;

/** Spark's `compression` option for an export's format and compression; undefined when Spark has no such codec there. */
export function sparkCompression(format: EngineWriteRequest['format'], compression: string): string | undefined {
  const c = compression.toLowerCase();
  const ok: Record<string, string[]> = {
    parquet: ['none', 'snappy', 'gzip', 'zstd', 'lz4'],
    orc: ['none', 'snappy', 'zlib', 'lz4', 'zstd'],
    json: ['none', 'bzip2', 'gzip', 'deflate'],
    csv: ['none', 'bzip2', 'gzip', 'deflate'],
  };
  if (!ok[format]!.includes(c)) return undefined;
  return c === 'none' && format === 'parquet' ? 'uncompressed' : c;
}

/** `file:/x` and `file:///x` the same; other URLs as they are. */
function normalizeUrl(u: string): string {
  return u.replace(/^file:\/*(?=\/)/, 'file://').replace(/^file:\/\/(?!\/)/, 'file:///');
}

/** Rows written for a size sample (file_size_mb): enough for the codec to reach its usual ratio. */
export const SIZE_SAMPLE_ROWS = 20_000;

/**
 * Write `req.relation` into the folder `req.url` (which must not exist yet; Spark creates it).
 *
 * - No partitions: `INSERT OVERWRITE DIRECTORY … USING <format> OPTIONS (…) SELECT …`.
 * - `partition_by`: Spark's directory insert has no partitioning, so a CTAS into an external table
 *   at `url` with `PARTITIONED BY`, dropped again at once (an external table: its files stay). Spark
 *   writes Hive-style `col=value/` folders (`__HIVE_DEFAULT_PARTITION__` for null), the columns
 *   leave the data files, as on tx's own writer. `REPARTITION(<columns>)` gives each value one task,
 *   so one file per value (or per size step).
 * - `file_size_mb`: Spark cannot aim at a byte size, only at rows per file. tx writes a sample of
 *   the rows (SIZE_SAMPLE_ROWS, same format and codec) into `scratchUrl`, measures it from the
 *   engine's listing, and sets `maxRecordsPerFile` to the rows that fit in the size, and (without
 *   partitions) `REPARTITION(n)` so the files come out near the size rather than one per task.
 */
export async function engineWriteFolder(conn: HiveConnection, req: EngineWriteRequest): Promise<EngineWrittenFile[]> {
  const opts = { node: req.node, signal: req.signal };
  const compression = sparkCompression(req.format, req.compression);
  if (!compression) throw new TargetError(`Spark cannot write ${req.format} with ${req.compression} compression`);
  const options = [`compression ${lit(compression)}`];
  if (req.format === 'csv') options.push(`header ${lit(String(req.header))}`, `sep ${lit(req.delimiter)}`);
  // Nulls written as null, as tx's own JSON lines writer does (Spark leaves such fields out by default).
  if (req.format === 'json') options.push(`ignoreNullFields 'false'`);
  const select = exportSelect(req);
  const partitionBy = req.partitionBy ?? [];
  let hint = '';
  if (req.fileSizeBytes) {
    const size = await sizeSample(conn, req, select, options, opts);
    if (size) {
      const perFile = Math.max(1, Math.floor(req.fileSizeBytes / size.bytesPerRow));
      options.push(`maxRecordsPerFile ${lit(String(perFile))}`);
      if (!partitionBy.length) hint = `/*+ REPARTITION(${Math.max(1, Math.ceil(size.rows / perFile))}) */ `;
    }
  }
  if (partitionBy.length) hint = `/*+ REPARTITION(${partitionBy.map(q).join(', ')}) */ `;
  const query = `SELECT ${hint}* FROM (${select}) AS tx_export`;
  if (!partitionBy.length) {
    await conn.execute(`INSERT OVERWRITE DIRECTORY ${lit(req.url)} USING ${req.format} OPTIONS (${options.join(', ')})\n${query}`, opts);
  } else {
    // An external table only for the write: created by the CTAS, dropped (files kept) right after.
    const table = { schema: req.relation.schema, identifier: `tx_export_${Math.random().toString(36).slice(2, 10)}` };
    try {
      await conn.execute(
        `CREATE TABLE ${d.relationName(table)} USING ${req.format} OPTIONS (${options.join(', ')})\nPARTITIONED BY (${partitionBy.map(q).join(', ')})\nLOCATION ${lit(req.url)}\nAS ${query}`,
        opts,
      );
    } finally {
      await conn.execute(`DROP TABLE IF EXISTS ${d.relationName(table)}`, { node: req.node }).catch(() => undefined);
    }
  }
  return engineListing(conn, req.url, req.format, opts, readOptions(req));
}

/** The rows to export: the relation's columns (an extra column of the same name replaces it), then the extra columns. */
function exportSelect(req: EngineWriteRequest): string {
  const extra = req.extraColumns ?? [];
  const cols = (req.columns ?? []).filter((c) => !extra.some((e) => e.name.toLowerCase() === c.toLowerCase()));
  const list = [...(req.columns?.length ? cols.map(q) : ['*']), ...extra.map((e) => `CAST(${lit(e.value)} AS ${d.typeName(e.type)}) AS ${q(e.name)}`)];
  return `SELECT ${list.join(', ')} FROM ${d.relationName(req.relation)}`;
}

/** Reader options that count a written file's rows right (a CSV header is not a row). */
function readOptions(req: Pick<EngineWriteRequest, 'format' | 'header' | 'delimiter'>): string[] {
  return req.format === 'csv' ? [`header ${lit(String(req.header))}`, `sep ${lit(req.delimiter)}`] : [];
}

/** Bytes per row of this export's format and codec, from a sample Spark writes into `scratchUrl`; null for no rows. */
async function sizeSample(
  conn: HiveConnection,
  req: EngineWriteRequest,
  select: string,
  options: string[],
  opts: { node?: string; signal?: AbortSignal },
): Promise<{ rows: number; bytesPerRow: number } | null> {
  if (!req.scratchUrl) throw new TargetError('file_size_mb on the engine side needs a scratch folder for its size sample');
  const counted = await conn.query(`SELECT count(*) AS n FROM ${d.relationName(req.relation)}`, opts);
  const rows = Number(counted[0]?.n ?? 0);
  if (!rows) return null;
  // Partition columns leave the data files, so they are left out of the sample too.
  const partitionBy = new Set((req.partitionBy ?? []).map((c) => c.toLowerCase()));
  const names = [...(req.columns ?? []).filter((c) => !(req.extraColumns ?? []).some((e) => e.name.toLowerCase() === c.toLowerCase())), ...(req.extraColumns ?? []).map((e) => e.name)];
  const kept = names.filter((c) => !partitionBy.has(c.toLowerCase()));
  const list = kept.length && req.columns?.length ? kept.map(q).join(', ') : '*';
  await conn.execute(
    `INSERT OVERWRITE DIRECTORY ${lit(req.scratchUrl)} USING ${req.format} OPTIONS (${options.join(', ')})\nSELECT /*+ REPARTITION(1) */ ${list} FROM (${select}) AS tx_sample LIMIT ${SIZE_SAMPLE_ROWS}`,
    opts,
  );
  const id = Math.random().toString(36).slice(2, 10);
  const view = `tx_lssize_${id}`;
  try {
    await conn.execute(`CREATE OR REPLACE TEMPORARY VIEW ${q(view)} USING binaryFile OPTIONS (path ${lit(req.scratchUrl)}, recursiveFileLookup 'true')`, opts);
    const measured = await conn.query(`SELECT coalesce(sum(length), 0) AS b FROM ${q(view)}`, opts);
    const bytes = Number(measured[0]?.b ?? 0);
    return { rows, bytesPerRow: Math.max(1, bytes / Math.min(rows, SIZE_SAMPLE_ROWS)) };
  } finally {
    await conn.execute(`DROP VIEW IF EXISTS ${q(view)}`, { node: opts.node }).catch(() => undefined);
  }
}

/** Files under `url` (data files only; `_` and `.` names are Spark's markers), with rows, bytes and SHA-256, from the engine. */
export async function engineListing(
  conn: HiveConnection,
  url: string,
  format: string,
  opts: { node?: string; signal?: AbortSignal } = {},
  readOpts: string[] = [],
): Promise<EngineWrittenFile[]> {
  const id = Math.random().toString(36).slice(2, 10);
  const bin = `tx_lsbin_${id}`;
  const data = `tx_lsdata_${id}`;
  try {
    await conn.execute(`CREATE OR REPLACE TEMPORARY VIEW ${q(bin)} USING binaryFile OPTIONS (path ${lit(url)}, recursiveFileLookup 'true')`, opts);
    const files = await conn.query(`SELECT path, length, sha2(content, 256) AS sha FROM ${q(bin)} ORDER BY path`, opts);
    await conn.execute(`CREATE OR REPLACE TEMPORARY VIEW ${q(data)} USING ${format} OPTIONS (${[`path ${lit(url)}`, `recursiveFileLookup 'true'`, ...readOpts].join(', ')})`, opts).catch((e: unknown) => {
      if (!/UNABLE_TO_INFER_SCHEMA|Unable to infer schema/i.test(String((e as Error).message))) throw e;
    });
    // An export of no rows: Spark writes no file (or an empty one) that a text format could infer a schema from.
    const counts = await conn.query(`SELECT input_file_name() AS f, count(*) AS n FROM ${q(data)} GROUP BY input_file_name()`, opts).catch((e: unknown) => {
      if (/UNABLE_TO_INFER_SCHEMA|Unable to infer schema/i.test(String((e as Error).message))) return [];
      throw e;
    });
    // input_file_name() is a URI (a `%` in a name is `%25`); binaryFile's path is the plain Hadoop path
    // (a partition folder `region=far%2Feast` stays as it is on disk).
    const rows = new Map(counts.map((r) => [normalizeUrl(decodeURIComponent(String(r.f))), Number(r.n)]));
    const base = normalizeUrl(decodeURIComponent(url)).replace(/\/+$/, ''); // tx's URL is percent-encoded, the listing's paths are not
    return files.map((f) => {
      const p = normalizeUrl(String(f.path));
      return { path: p.startsWith(`${base}/`) ? p.slice(base.length + 1) : p, rows: rows.get(p) ?? 0, bytes: Number(f.length), sha256: String(f.sha) };
    });
  } finally {
    await conn.execute(`DROP VIEW IF EXISTS ${q(bin)}`, { node: opts.node }).catch(() => undefined);
    await conn.execute(`DROP VIEW IF EXISTS ${q(data)}`, { node: opts.node }).catch(() => undefined);
  }
}

/**
 * `tx debug`: whether the server reads and writes the scratch space itself. It writes one row as
 * Parquet to `<scratch_dir>/_tx_probe` (the same folder each time, replaced) and reads it back.
 */
export async function engineProbe(conn: HiveConnection, enginePaths: string[], scratchDir: string | null): Promise<{ ok: boolean; lines: string[] }> {
  if (!enginePaths.length) return { ok: true, lines: ['engine-side reads/writes: off (engine_paths not set): file sources and exports pass through tx'] };
  const lines = [`engine_paths: ${enginePaths.join(', ')} (file sources and exports there are read and written by Spark)`];
  if (!scratchDir) {
    lines.push('scratch_dir: not set, engine-side writes not tried (set scratch_dir to a folder the server writes, under engine_paths)');
    return { ok: true, lines };
  }
  if (!enginePaths.some((p) => scratchDir.toLowerCase().startsWith(p.toLowerCase()))) {
    lines.push(`scratch_dir ${scratchDir} is not under engine_paths`);
    return { ok: false, lines };
  }
  const probe = `${scratchDir.replace(/\/+$/, '')}/_tx_probe`;
  try {
    await conn.execute(`INSERT OVERWRITE DIRECTORY ${lit(probe)} USING parquet SELECT 42 AS tx_probe`);
  } catch (e) {
    lines.push(`engine-side write: FAILED, the Spark server cannot write ${probe}: ${String((e as Error).message).split('\n')[0]}`);
    return { ok: false, lines };
  }
  lines.push(`engine-side write: OK (${probe})`);
  try {
    const rows = await conn.query(`SELECT sum(tx_probe) AS n FROM parquet.${q(probe)}`);
    if (Number(rows[0]?.n) !== 42) throw new Error(`read back ${JSON.stringify(rows[0]?.n)} instead of 42`);
    lines.push(`engine-side read: OK (${probe})`);
  } catch (e) {
    lines.push(`engine-side read: FAILED, the Spark server cannot read ${probe}: ${String((e as Error).message).split('\n')[0]}`);
    return { ok: false, lines };
  }
  return { ok: true, lines };
}
