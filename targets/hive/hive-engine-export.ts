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

/** `file:/x`, `file:///x` and `/x` the same; other URLs as they are. */
function normalizeUrl(u: string): string {
  return decodeURIComponent(u.replace(/^file:\/*(?=\/)/, 'file://').replace(/^file:\/\/(?!\/)/, 'file:///'));
}

export async function engineWriteFolder(conn: HiveConnection, req: EngineWriteRequest): Promise<EngineWrittenFile[]> {
  const opts = { node: req.node, signal: req.signal };
  const compression = sparkCompression(req.format, req.compression);
  if (!compression) throw new TargetError(`Spark cannot write ${req.format} with ${req.compression} compression`);
  const options = [`compression ${lit(compression)}`];
  if (req.format === 'csv') options.push(`header ${lit(String(req.header))}`, `sep ${lit(req.delimiter)}`);
  // Nulls written as null, as tx's own JSON lines writer does (Spark leaves such fields out by default).
  if (req.format === 'json') options.push(`ignoreNullFields 'false'`);
  await conn.execute(`INSERT OVERWRITE DIRECTORY ${lit(req.url)} USING ${req.format} OPTIONS (${options.join(', ')})\nSELECT * FROM ${d.relationName(req.relation)}`, opts);
  return engineListing(conn, req.url, req.format, opts);
}

/** Files under `url` (data files only; `_` and `.` names are Spark's markers), with rows, bytes and SHA-256, from the engine. */
export async function engineListing(conn: HiveConnection, url: string, format: string, opts: { node?: string; signal?: AbortSignal } = {}): Promise<EngineWrittenFile[]> {
  const id = Math.random().toString(36).slice(2, 10);
  const bin = `tx_lsbin_${id}`;
  const data = `tx_lsdata_${id}`;
  try {
    await conn.execute(`CREATE OR REPLACE TEMPORARY VIEW ${q(bin)} USING binaryFile OPTIONS (path ${lit(url)}, recursiveFileLookup 'true')`, opts);
    const files = await conn.query(`SELECT path, length, sha2(content, 256) AS sha FROM ${q(bin)} ORDER BY path`, opts);
    await conn.execute(`CREATE OR REPLACE TEMPORARY VIEW ${q(data)} USING ${format} OPTIONS (path ${lit(url)}, recursiveFileLookup 'true')`, opts).catch((e: unknown) => {
      if (!/UNABLE_TO_INFER_SCHEMA|Unable to infer schema/i.test(String((e as Error).message))) throw e;
    });
    // An export of no rows: Spark writes no file (or an empty one) that a text format could infer a schema from.
    const counts = await conn.query(`SELECT input_file_name() AS f, count(*) AS n FROM ${q(data)} GROUP BY input_file_name()`, opts).catch((e: unknown) => {
      if (/UNABLE_TO_INFER_SCHEMA|Unable to infer schema/i.test(String((e as Error).message))) return [];
      throw e;
    });
    const rows = new Map(counts.map((r) => [normalizeUrl(String(r.f)), Number(r.n)]));
    const base = normalizeUrl(url).replace(/\/+$/, '');
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
