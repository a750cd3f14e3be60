/**
 * ORC files as file sources, for every target's loader: the columns of the files (for a source
 * without declared columns) and the rows staged into a DuckDB table as text with `__tx_file`
 * and `__tx_line` (row number in its file), to be typed by the shared cast read
 * (`typedCastRead` in ../duckdb-file-readers.ts) with rejects like any other format.
 * Rows stream stripe by stripe (bounded memory). Spark part-file folders arrive as several files.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect as d } from '../../duckdb/duckdb-dialect.js';
import { TargetError, type FileSourceLoad, type LoadColumn } from '../../target.js';
import { openOrcFile, orcColumns, readOrcColumnBatches } from './reader.js';

/** The first file's top-level columns as load columns (logical types; decimals with precision and scale). */
export async function orcSourceColumns(l: Pick<FileSourceLoad, 'files'>): Promise<LoadColumn[]> {
  const cols = await orcColumns(l.files[0]!).catch((e: unknown) => {
    throw new TargetError((e as Error).message, { cause: e });
  });
  return cols.map((c) => ({ name: c.name, type: c.type === 'decimal' ? `decimal(${c.precision},${c.scale})` : c.type }));
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonSafe(x);
    return o;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** A value as the text DuckDB casts back to its declared type. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return JSON.stringify(jsonSafe(v));
}

/**
 * Streams every row of the ORC files into `table` (created here) as text values plus `__tx_file`
 * and `__tx_line`. Every file must hold the columns named (Spark part files of one table do).
 */
export async function stageOrcRecords(
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
  let current = l.files[0]!;
  try {
    for (const f of l.files) {
      current = f;
      const info = await openOrcFile(f);
      const have = new Set(info.fields.map((x) => x.name.toLowerCase()));
      const missing = names.filter((n) => !have.has(n.toLowerCase()));
      if (missing.length) throw new TargetError(`${f}: columns missing from this ORC file: ${missing.join(', ')} (the source's other files have them)`);
      // The file's column of each name (of identical names the last, as rows kept it).
      const at = names.map((n) => {
        const exact = info.fields.find((x) => x.name.toLowerCase() === n.toLowerCase())!.name;
        return info.fields.map((x) => x.name).lastIndexOf(exact);
      });
      let line = 0;
      // Column vectors (no object per row): numbers straight from Float64Arrays.
      for await (const batch of readOrcColumnBatches(f, { batchSize: 5000, signal: l.signal })) {
        const cols = at.map((i) => batch.columns[i]!);
        for (let r = 0; r < batch.rows; r++) {
          line++;
          for (const c of cols) {
            if (c.nums) {
              if (c.present && !c.present[r]) appender.appendNull();
              else appender.appendVarchar(String(c.big?.get(r) ?? c.nums[r]!));
            } else {
              const v = c.vals![r];
              if (v === null || v === undefined) appender.appendNull();
              else appender.appendVarchar(text(v));
            }
          }
          appender.appendVarchar(f);
          appender.appendBigInt(BigInt(line));
          appender.endRow();
        }
      }
    }
    appender.flushSync();
  } catch (e) {
    const m = (e as Error).message;
    throw new TargetError(`cannot read ORC source ${m.startsWith(current) ? m : `${current}: ${m}`}`, { cause: e });
  } finally {
    appender.closeSync();
  }
}
