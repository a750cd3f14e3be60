/**
 * DuckDB query results → ORC files: the bridge tx's exports use (the rows come from a DuckDB
 * session or from the Parquet files DuckDB staged). Rows stream chunk by chunk (DuckDB's 2,048-row
 * vectors) into the ORC writer, so memory is one stripe plus one chunk.
 *
 * Columns travel as vectors, not values: numbers, dates and booleans straight from the chunk's
 * typed data, BIGINT as int32 pairs, strings as UTF-8 bytes. DuckDB keeps a string of up to 12
 * bytes inside the vector, so a VARCHAR comes as three columns of pieces: `substr(s, 1, 12)`,
 * `substr(s, 13, 12)` and, only for strings longer than 24 characters, the rest as
 * `regexp_extract_all(substr(s, 25), '(?s).{1,12}')` (a list of pieces). The bytes are then read
 * without a call into DuckDB per value (a piece longer than 12 bytes, non-ASCII, takes that call).
 * Two substrings cost DuckDB about a third of what one regular expression over every string did.
 * Other types go value by value.
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
import type { DuckDBConnection, DuckDBDataChunk, DuckDBType, DuckDBVector } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { getStringBytes } from '@duckdb/node-api/lib/vectors/dataAccessors.js';
import { OrcError } from './errors.js';
import { OrcWriter, type OrcVector, type OrcWriteOptions, type OrcWriteResult } from './writer.js';
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

const same: Conv = (v) => v;

/** How a column's vectors become ORC vectors. */
type Read = 'numbers' | 'int64' | 'boolean' | 'text' | 'values';

/** The ORC type of a DuckDB column, how its vectors are read, and the converter of its values. */
function mapType(name: string, t: DuckDBType): { type: OrcType; read: Read; conv: Conv } {
  const id = t.typeId;
  switch (id) {
    case DuckDBTypeId.BOOLEAN:
      return { type: { kind: 'boolean' }, read: 'boolean', conv: same };
    case DuckDBTypeId.TINYINT:
      return { type: { kind: 'byte' }, read: 'numbers', conv: same };
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { type: { kind: 'short' }, read: 'numbers', conv: same };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return { type: { kind: 'int' }, read: 'numbers', conv: same };
    case DuckDBTypeId.BIGINT:
      return { type: { kind: 'long' }, read: 'int64', conv: same };
    case DuckDBTypeId.UINTEGER:
      return { type: { kind: 'long' }, read: 'numbers', conv: same };
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return { type: { kind: 'decimal', precision: 38, scale: 0 }, read: 'values', conv: (v) => ({ unscaled: BigInt(v as bigint), scale: 0 }) };
    case DuckDBTypeId.FLOAT:
      return { type: { kind: 'float' }, read: 'numbers', conv: same };
    case DuckDBTypeId.DOUBLE:
      return { type: { kind: 'double' }, read: 'numbers', conv: same };
    case DuckDBTypeId.DECIMAL: {
      const d = t as unknown as { width: number; scale: number };
      return { type: { kind: 'decimal', precision: d.width, scale: d.scale }, read: 'values', conv: (v) => ({ unscaled: (v as { value: bigint }).value, scale: d.scale }) };
    }
    case DuckDBTypeId.VARCHAR:
      return { type: { kind: 'string' }, read: 'text', conv: same };
    case DuckDBTypeId.BLOB:
      return { type: { kind: 'binary' }, read: 'values', conv: (v) => (v as { bytes: Uint8Array }).bytes };
    case DuckDBTypeId.DATE:
      return { type: { kind: 'date' }, read: 'numbers', conv: same };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { type: { kind: 'timestamp' }, read: 'values', conv: timestampConv(1_000_000n, 'micros') };
    case DuckDBTypeId.TIMESTAMP_MS:
      return { type: { kind: 'timestamp' }, read: 'values', conv: timestampConv(1000n, 'millis') };
    case DuckDBTypeId.TIMESTAMP_S:
      return { type: { kind: 'timestamp' }, read: 'values', conv: timestampConv(1n, 'seconds') };
    case DuckDBTypeId.TIMESTAMP_NS:
      return { type: { kind: 'timestamp' }, read: 'values', conv: timestampConv(1_000_000_000n, 'nanos') };
    default:
      if (AS_TEXT.has(id)) return { type: { kind: 'string' }, read: 'text', conv: same };
      throw new OrcError(`column ${name}: DuckDB type ${t.toString()} cannot be written to ORC by tx yet (primitive types only)`);
  }
}

// The vectors' typed data, as @duckdb/node-api 1.5 holds it (fields not in its typings). When a
// release changes them, `typed` returns undefined and the column goes value by value.
interface RawVector {
  items?: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number };
  dataView?: DataView;
  validity?: { data: BigUint64Array | null };
}

function validBits(v: RawVector): Uint8Array | undefined | false {
  const val = v.validity;
  if (!val || !('data' in val)) return false;
  const d = val.data;
  return d ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : undefined;
}

function typed(vec: DuckDBVector, read: Read, n: number): OrcVector | undefined {
  const raw = vec as unknown as RawVector;
  const valid = validBits(raw);
  if (valid === false) return undefined;
  if (read === 'numbers') {
    const items = raw.items;
    if (!items || items.length !== n || typeof items[0] === 'bigint') return undefined;
    return { numbers: items, valid };
  }
  if (read === 'int64') {
    const items = raw.items;
    if (!(items instanceof BigInt64Array) || items.length !== n) return undefined;
    return { int64: new Int32Array(items.buffer, items.byteOffset, n * 2), valid };
  }
  if (read === 'boolean') {
    const dv = raw.dataView;
    if (!dv || dv.byteLength < n) return undefined;
    return { numbers: new Uint8Array(dv.buffer, dv.byteOffset, n), valid };
  }
  return undefined;
}

/** Buffers a text column reuses chunk after chunk (the writer copies the bytes out at once). */
interface Scratch {
  bytes: Uint8Array;
  offsets: Int32Array;
}

/** The bytes of string_t `j` of a VARCHAR vector's data (inline up to 12 bytes) into out[at..]; returns their length. */
function copyString(dv: DataView, bytes: Uint8Array, j: number, out: Uint8Array, at: number): number {
  const k = dv.getUint32(j * 16, true);
  if (k <= 12) {
    const from = j * 16 + 4;
    for (let b = 0; b < k; b++) out[at + b] = bytes[from + b]!;
  } else out.set(getStringBytes(dv, j * 16), at);
  return k;
}

/** Bytes a VARCHAR vector's row j holds (0 when null). */
function pieceLength(dv: DataView, valid: Uint8Array | undefined, j: number): number {
  return valid !== undefined && ((valid[j >>> 3]! >>> (j & 7)) & 1) === 0 ? 0 : dv.getUint32(j * 16, true);
}

/**
 * Whether a chunk's third piece vector (the rest past 24 characters) can hold anything: only when
 * some second piece is 12 characters, so at least 12 bytes. When none is, the list vector (all
 * null) is not fetched at all, which costs about as much as the two other pieces together.
 */
function mayHaveRest(second: DuckDBVector, n: number): boolean {
  const dv = (second as unknown as RawVector).dataView;
  if (!dv || dv.byteLength < n * 16) return true;
  for (let i = 0; i < n; i++) if (dv.getUint32(i * 16, true) >= 12) return true;
  return false;
}

/** A text column's piece vectors (see the top; `rest` absent when mayHaveRest said no) as UTF-8 bytes and offsets. */
function textVector(first: DuckDBVector, second: DuckDBVector, rest: DuckDBVector | undefined, n: number, scratch: Scratch): OrcVector | undefined {
  const a = first as unknown as RawVector;
  const b = second as unknown as RawVector;
  const list = rest as (RawVector & { entryData?: BigUint64Array; childVector?: DuckDBVector }) | undefined;
  const valid = validBits(a);
  const bValid = validBits(b);
  // No list: every row's rest is null (an all-zero validity mask).
  const rValid = list ? validBits(list) : new Uint8Array((n + 7) >>> 3);
  const adv = a.dataView;
  const bdv = b.dataView;
  const entries = list ? list.entryData : new BigUint64Array(n * 2);
  const child = list?.childVector as (RawVector & DuckDBVector) | undefined;
  const cdv = list ? child?.dataView : new DataView(new ArrayBuffer(0));
  if (valid === false || bValid === false || rValid === false || !adv || !bdv || !(entries instanceof BigUint64Array) || entries.length < n * 2 || !cdv) return undefined;
  if (adv.byteLength < n * 16 || bdv.byteLength < n * 16) return undefined;
  const e32 = new Uint32Array(entries.buffer, entries.byteOffset, n * 4);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
    total += adv.getUint32(i * 16, true) + pieceLength(bdv, bValid, i);
    if (rValid !== undefined && ((rValid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
    const off = e32[4 * i]!;
    const len = e32[4 * i + 2]!;
    for (let j = off; j < off + len; j++) total += cdv.getUint32(j * 16, true);
  }
  if (scratch.bytes.length < total) scratch.bytes = new Uint8Array(Math.max(total, scratch.bytes.length * 2));
  if (scratch.offsets.length < n + 1) scratch.offsets = new Int32Array(n + 1);
  const out = scratch.bytes;
  const offsets = scratch.offsets;
  const abytes = new Uint8Array(adv.buffer, adv.byteOffset, adv.byteLength);
  const bbytes = new Uint8Array(bdv.buffer, bdv.byteOffset, bdv.byteLength);
  const cbytes = new Uint8Array(cdv.buffer, cdv.byteOffset, cdv.byteLength);
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = at;
    if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
    at += copyString(adv, abytes, i, out, at);
    if (bValid !== undefined && ((bValid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
    at += copyString(bdv, bbytes, i, out, at);
    if (rValid !== undefined && ((rValid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
    const off = e32[4 * i]!;
    const len = e32[4 * i + 2]!;
    for (let j = off; j < off + len; j++) at += copyString(cdv, cbytes, j, out, at);
  }
  offsets[n] = at;
  return { utf8: out, offsets, valid };
}

/**
 * Runs `sql` on `conn` and writes its rows to `file` as ORC. On failure the partial file is
 * removed and the error names the file and column.
 */
export async function writeOrcFromDuckdb(conn: DuckDBConnection, sql: string, file: string, opts: OrcWriteOptions & { signal?: AbortSignal } = {}): Promise<OrcWriteResult> {
  // The columns first (no rows), then the query with text columns as lists of pieces.
  const probe = await conn.stream(`select * from (${sql}) as __tx_orc limit 0`);
  const names = probe.columnNames();
  const types = names.map((_, i) => probe.columnType(i));
  const mapped = names.map((n, i) => mapType(n, types[i]!));
  // Where each column's first vector is in the chunks (a text column has three).
  const at: number[] = [];
  let width = 0;
  for (const m of mapped) {
    at.push(width);
    width += m.read === 'text' ? 3 : 1;
  }
  const select = mapped.some((m) => m.read === 'text')
    ? `select ${names
        .map((n, i) => {
          if (mapped[i]!.read !== 'text') return quote(n);
          const text = types[i]!.typeId === DuckDBTypeId.VARCHAR ? quote(n) : `cast(${quote(n)} as varchar)`;
          return `substr(${text}, 1, 12), substr(${text}, 13, 12), case when length(${text}) > 24 then regexp_extract_all(substr(${text}, 25), '(?s).{1,12}') end`;
        })
        .join(', ')} from (${sql}) as __tx_orc`
    : sql;
  const fields: OrcField[] = names.map((n, i) => ({ name: n, type: mapped[i]!.type }));
  const writer = await OrcWriter.open(file, fields, opts);
  const scratch: Scratch[] = names.map(() => ({ bytes: new Uint8Array(1 << 16), offsets: new Int32Array(2049) }));
  let next: Promise<DuckDBDataChunk | null> | undefined;
  try {
    const result = await conn.stream(select);
    // DuckDB computes the next chunk on its threads while this one is encoded.
    next = result.fetchChunk();
    for (;;) {
      if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      const chunk = await next;
      next = undefined;
      if (!chunk || chunk.rowCount === 0) break;
      next = result.fetchChunk();
      const n = chunk.rowCount;
      const vectors: OrcVector[] = [];
      if (chunk.columnCount !== width) throw new OrcError(`DuckDB returned ${chunk.columnCount} vectors, ${width} expected`);
      for (let c = 0; c < mapped.length; c++) {
        const m = mapped[c]!;
        const vec = chunk.getColumnVector(at[c]!);
        let text: [DuckDBVector, DuckDBVector, DuckDBVector | undefined] | undefined;
        if (m.read === 'text') {
          const second = chunk.getColumnVector(at[c]! + 1);
          text = [vec, second, mayHaveRest(second, n) ? chunk.getColumnVector(at[c]! + 2) : undefined];
        }
        let v = text ? textVector(text[0], text[1], text[2], n, scratch[c]!) : m.read === 'values' ? undefined : typed(vec, m.read, n);
        if (!v) {
          const values = new Array<unknown>(n);
          for (let r = 0; r < n; r++) {
            const x = vec.getItem(r) as unknown;
            if (x === null || x === undefined) values[r] = null;
            else if (text) {
              const second = text[1]!.getItem(r) as string | null;
              const rest = (text[2] ?? chunk.getColumnVector(at[c]! + 2)).getItem(r) as { items: string[] } | null;
              values[r] = (x as string) + (second ?? '') + (rest ? rest.items.join('') : '');
            } else values[r] = m.read === 'boolean' ? x : m.conv(x);
          }
          v = { values };
        }
        vectors.push(v);
      }
      await writer.writeVectors(vectors, n);
    }
    return await writer.close();
  } catch (e) {
    await next?.catch(() => undefined);
    await writer.abort();
    throw e;
  }
}
