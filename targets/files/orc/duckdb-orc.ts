/**
 * DuckDB query results → ORC files: the bridge tx's exports use (the rows come from a DuckDB
 * session or from the Parquet files DuckDB staged). Rows stream chunk by chunk (DuckDB's 2,048-row
 * vectors) into the ORC writer, so memory is one stripe plus one chunk.
 *
 * | DuckDB | ORC |
 * |---|---|
 * | BOOLEAN | boolean |
 * | TINYINT | tinyint; SMALLINT, UTINYINT: smallint; INTEGER, USMALLINT: int; BIGINT, UINTEGER: bigint |
 * | UBIGINT, HUGEINT, UHUGEINT | decimal(38,0) |
 * | FLOAT, DOUBLE | float, double |
 * | DECIMAL(p,s) | decimal(p,s) |
 * | VARCHAR, ENUM, UUID, TIME, INTERVAL, TIME WITH TIME ZONE, BIT | string (DuckDB's text) |
 * | BLOB | binary |
 * | DATE | date |
 * | TIMESTAMP (any precision), TIMESTAMP WITH TIME ZONE | timestamp (UTC) |
 * | LIST, STRUCT, MAP, ARRAY, UNION, … | not written: a clear error naming the column |
 */
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { OrcError } from './errors.js';
import { OrcWriter, type OrcWriteOptions, type OrcWriteResult } from './writer.js';
import type { OrcField, OrcType } from './types.js';

type Conv = (v: unknown) => unknown;

const quote = (n: string): string => `"${n.replace(/"/g, '""')}"`;

const AS_TEXT = new Set<DuckDBTypeId>([DuckDBTypeId.ENUM, DuckDBTypeId.UUID, DuckDBTypeId.TIME, DuckDBTypeId.INTERVAL, DuckDBTypeId.TIME_TZ, DuckDBTypeId.BIT, DuckDBTypeId.TIME_NS]);

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function timestampConv(unitsPerSecond: bigint, field: 'micros' | 'millis' | 'nanos' | 'seconds'): Conv {
  const nanoPer = 1_000_000_000n / unitsPerSecond;
  return (v) => {
    const n = (v as Record<string, bigint>)[field]!;
    const seconds = floorDiv(n, unitsPerSecond);
    return { seconds: Number(seconds), nanos: Number((n - seconds * unitsPerSecond) * nanoPer) };
  };
}

/** The ORC type of a DuckDB column and the converter of its values; null when it needs a cast to text first. */
const same: Conv = (v) => v;

function mapType(name: string, t: DuckDBType): { type: OrcType; conv: Conv } | null {
  const id = t.typeId;
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      return { type: { kind: 'boolean' }, conv: same };
    case DuckDBTypeId.TINYINT:
      return { type: { kind: 'byte' }, conv: same };
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { type: { kind: 'short' }, conv: same };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return { type: { kind: 'int' }, conv: same };
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return { type: { kind: 'long' }, conv: same };
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return { type: { kind: 'decimal', precision: 38, scale: 0 }, conv: (v) => ({ unscaled: BigInt(v as bigint), scale: 0 }) };
    case DuckDBTypeId.FLOAT:
      return { type: { kind: 'float' }, conv: same };
    case DuckDBTypeId.DOUBLE:
      return { type: { kind: 'double' }, conv: same };
    case DuckDBTypeId.DECIMAL: {
      const d = t as unknown as { width: number; scale: number };
      return { type: { kind: 'decimal', precision: d.width, scale: d.scale }, conv: (v) => ({ unscaled: (v as { value: bigint }).value, scale: d.scale }) };
    }
    case DuckDBTypeId.VARCHAR:
      return { type: { kind: 'string' }, conv: same };
    case DuckDBTypeId.BLOB:
      return { type: { kind: 'binary' }, conv: (v) => (v as { bytes: Uint8Array }).bytes };
    case DuckDBTypeId.DATE:
      return { type: { kind: 'date' }, conv: same };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { type: { kind: 'timestamp' }, conv: timestampConv(1_000_000n, 'micros') };
    case DuckDBTypeId.TIMESTAMP_MS:
      return { type: { kind: 'timestamp' }, conv: timestampConv(1000n, 'millis') };
    case DuckDBTypeId.TIMESTAMP_S:
      return { type: { kind: 'timestamp' }, conv: timestampConv(1n, 'seconds') };
    case DuckDBTypeId.TIMESTAMP_NS:
      return { type: { kind: 'timestamp' }, conv: timestampConv(1_000_000_000n, 'nanos') };
    default:
      if (AS_TEXT.has(id)) return null;
      throw new OrcError(`column ${name}: DuckDB type ${t.toString()} cannot be written to ORC by tx yet (primitive types only)`);
  }
}

/**
 * Runs `sql` on `conn` and writes its rows to `file` as ORC. On failure the partial file is
 * removed and the error names the file and column.
 */
export async function writeOrcFromDuckdb(conn: DuckDBConnection, sql: string, file: string, opts: OrcWriteOptions & { signal?: AbortSignal } = {}): Promise<OrcWriteResult> {
  // The columns first (no rows), then the query with casts for the types ORC gets as text.
  const probe = await conn.stream(`select * from (${sql}) as __tx_orc limit 0`);
  const names = probe.columnNames();
  const types = names.map((_, i) => probe.columnType(i));
  const mapped = names.map((n, i) => mapType(n, types[i]!));
  const select = mapped.some((m) => m === null) ? `select ${names.map((n, i) => (mapped[i] ? quote(n) : `cast(${quote(n)} as varchar) as ${quote(n)}`)).join(', ')} from (${sql}) as __tx_orc` : sql;
  const fields: OrcField[] = names.map((n, i) => ({ name: n, type: mapped[i]?.type ?? { kind: 'string' } }));
  const convs: Conv[] = mapped.map((m) => m?.conv ?? same);
  const writer = await OrcWriter.open(file, fields, opts);
  try {
    const result = await conn.stream(select);
    const width = names.length;
    for (;;) {
      if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const cols = chunk.getColumns();
      const n = chunk.rowCount;
      for (let c = 0; c < width; c++) {
        const conv = convs[c]!;
        const col = cols[c]! as unknown[];
        if (conv === same) continue;
        for (let r = 0; r < n; r++) {
          const v = col[r];
          if (v !== null && v !== undefined) col[r] = conv(v);
        }
      }
      await writer.writeColumns(cols, n);
    }
    return await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
