/**
 * Streaming ORC writer (file version 0.12): rows in, one stripe buffered at a time.
 *
 * Each column encodes its values as they arrive (RLE v2 for integers, lengths and dates,
 * byte/boolean RLE, IEEE floats, DIRECT_V2 or DICTIONARY_V2 strings chosen per stripe, decimals
 * as zigzag varints with their scale, timestamps as seconds since 2015-01-01 UTC plus nanos with
 * ORC's trailing-zero encoding). Rows arrive as row arrays, column arrays or column vectors
 * (`writeVectors`: typed data from a columnar source such as DuckDB's chunks, no object per
 * value). When the encoded size of the buffered stripe passes `stripeSizeBytes`, the stripe is
 * compressed (NONE, ZLIB or SNAPPY, 3-byte chunk headers) and written, so memory is bounded by
 * one stripe. The writer time zone is UTC.
 *
 * Row index (rowIndexStride 10,000): each stripe starts with a ROW_INDEX stream per column
 * holding, for each group of 10,000 rows, where the group starts in each of the column's streams
 * (with compression: the compressed chunk's offset and the offset inside the decompressed chunk;
 * then the values to skip in the run, always 0 because the encoders flush at each group's start,
 * and for boolean streams the bits into the byte) and the group's statistics, in the order ORC's
 * Java writer records them. Java readers (Spark, Hive, Trino) use it to skip row groups by a
 * filter; pyarrow ignores it.
 *
 * Top-level columns are primitives: boolean, byte, short, int, long, float, double, string,
 * binary, decimal(p ≤ 38, s), date, timestamp. Values (null/undefined = null):
 * | type | accepted values |
 * |---|---|
 * | boolean | boolean |
 * | byte, short, int | number (integer in range) |
 * | long | number (safe integer) or bigint |
 * | float, double | number |
 * | string | string |
 * | binary | Uint8Array / Buffer |
 * | decimal | string ('-12.30'), number, bigint, or { unscaled: bigint, scale: number } |
 * | date | 'YYYY-MM-DD', Date (its UTC day), or { days: number } |
 * | timestamp | Date, 'YYYY-MM-DD HH:MM:SS[.fffffffff]', or { seconds: number, nanos: number } (epoch, UTC) |
 */
import fs from 'node:fs';
import { COMPRESSION_KIND, compressStream, zlibForStream, type OrcCompression } from './compression.js';
import { OrcError } from './errors.js';
import { ProtoWriter } from './proto.js';
import { BooleanEncoder, ByteRleEncoder, ByteSink, IntRleV2Encoder, writeSignedVarintBig } from './rle.js';
import {
  ENCODING,
  KINDS,
  MAX_DAYS,
  MAX_SECONDS,
  MIN_DAYS,
  MIN_SECONDS,
  ORC_EPOCH,
  STREAM,
  formatDate,
  formatTimestamp,
  parseDate,
  parseTimestamp,
  typeName,
  type OrcField,
  type OrcType,
} from './types.js';

export interface OrcWriteOptions {
  compression?: OrcCompression;
  /** Flush a stripe once its encoded size passes this (default 64 MiB). */
  stripeSizeBytes?: number;
  /** Compression chunk size (default 256 KiB). */
  blockSize?: number;
  /** Key/value pairs for the footer's user metadata. */
  metadata?: Record<string, string>;
}

export interface OrcWriteResult {
  rows: number;
  bytes: number;
  stripes: number;
}

/**
 * A column of a batch for `writeVectors`: plain values (as `writeColumns` takes them), or typed
 * data straight from a columnar source (no value object per row). `valid` is a bit mask, least
 * significant bit first (DuckDB's validity layout), 1 = present; absent = no nulls.
 * - `numbers`: integers, floats and doubles, dates as days since 1970, booleans as 0/1;
 * - `int64`: 64-bit integers as little-endian (low, high) int32 pairs;
 * - `utf8`: strings as UTF-8 bytes, row i in `bytes[offsets[i] .. offsets[i + 1]]`.
 */
export type OrcVector =
  | { values: readonly unknown[] }
  | { numbers: ArrayLike<number>; valid?: Uint8Array }
  | { int64: Int32Array; valid?: Uint8Array }
  | { utf8: Uint8Array; offsets: Int32Array; valid?: Uint8Array };

/** Rows per row group: each stripe's ROW_INDEX streams hold positions and statistics per group. */
export const ROW_INDEX_STRIDE = 10_000;

/** A stream's row-group starts: [uncompressed offset, ...what follows it in the position]. */
type Start = number[];

interface Stream {
  kind: number;
  data: Buffer;
  /** One per row group, in the order of the column's positions (absent: the stream has none). */
  starts?: Start[];
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** a < b as bytes (UTF-8 byte order: what Java and C++ readers compare). */
function bytesLess(a: Uint8Array, ao: number, al: number, b: Uint8Array, bo: number, bl: number): boolean {
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    const x = a[ao + i]!;
    const y = b[bo + i]!;
    if (x !== y) return x < y;
  }
  return al < bl;
}

type StatsKind = 'int' | 'double' | 'string' | 'date' | 'boolean' | 'binary' | 'none';

class Stats {
  count = 0;
  hasNull = false;
  // int / date
  min: number | bigint | undefined;
  max: number | bigint | undefined;
  sumN = 0;
  sumBig: bigint | undefined;
  // double
  dSum = 0;
  nan = false;
  // string: UTF-8 bytes of the least and greatest values
  sMin: Uint8Array | undefined;
  sMax: Uint8Array | undefined;
  bytes = 0;
  trues = 0;

  constructor(readonly kind: StatsKind) {}

  addInt(v: number | bigint): void {
    this.count++;
    if (this.min === undefined || v < this.min) this.min = v;
    if (this.max === undefined || v > this.max) this.max = v;
    if (this.sumBig !== undefined) this.sumBig += BigInt(v);
    else {
      const s = typeof v === 'number' ? this.sumN + v : NaN;
      if (Math.abs(s) < 2 ** 52) this.sumN = s;
      else this.sumBig = BigInt(this.sumN) + BigInt(v);
    }
  }

  /** Folds in `count` safe integers with their min, max and (exact, < 2^52) sum. */
  addInts(count: number, min: number, max: number, sum: number): void {
    if (count === 0) return;
    this.count += count;
    if (this.min === undefined || min < this.min) this.min = min;
    if (this.max === undefined || max > this.max) this.max = max;
    if (this.sumBig !== undefined) this.sumBig += BigInt(sum);
    else {
      const s = this.sumN + sum;
      if (Math.abs(s) < 2 ** 52) this.sumN = s;
      else this.sumBig = BigInt(this.sumN) + BigInt(sum);
    }
  }

  addDouble(v: number): void {
    this.count++;
    if (Number.isNaN(v)) this.nan = true;
    else {
      if (this.min === undefined || v < this.min) this.min = v;
      if (this.max === undefined || v > this.max) this.max = v;
      this.dSum += v;
    }
  }

  merge(o: Stats): void {
    this.count += o.count;
    this.hasNull ||= o.hasNull;
    if (o.min !== undefined && (this.min === undefined || o.min < this.min)) this.min = o.min;
    if (o.max !== undefined && (this.max === undefined || o.max > this.max)) this.max = o.max;
    if (this.sumBig !== undefined || o.sumBig !== undefined) this.sumBig = (this.sumBig ?? BigInt(this.sumN)) + (o.sumBig ?? BigInt(o.sumN));
    else {
      const s = this.sumN + o.sumN;
      if (Math.abs(s) < 2 ** 52) this.sumN = s;
      else this.sumBig = BigInt(this.sumN) + BigInt(o.sumN);
    }
    this.dSum += o.dSum;
    this.nan ||= o.nan;
    if (o.sMin !== undefined && (this.sMin === undefined || bytesLess(o.sMin, 0, o.sMin.length, this.sMin, 0, this.sMin.length))) this.sMin = o.sMin;
    if (o.sMax !== undefined && (this.sMax === undefined || bytesLess(this.sMax, 0, this.sMax.length, o.sMax, 0, o.sMax.length))) this.sMax = o.sMax;
    this.bytes += o.bytes;
    this.trues += o.trues;
  }

  proto(): ProtoWriter {
    const p = new ProtoWriter().uint(1, this.count);
    if (this.count > 0) {
      if (this.kind === 'int') {
        const sum = this.sumBig ?? BigInt(this.sumN);
        const inner = new ProtoWriter().sint(1, this.min!).sint(2, this.max!);
        if (sum >= INT64_MIN && sum <= INT64_MAX) inner.sint(3, sum);
        p.message(2, inner);
      } else if (this.kind === 'double' && !this.nan && this.min !== undefined) {
        p.message(3, new ProtoWriter().double(1, Number(this.min)).double(2, Number(this.max)).double(3, this.dSum));
      } else if (this.kind === 'string') {
        p.message(4, new ProtoWriter().bytesField(1, this.sMin).bytesField(2, this.sMax).sint(3, this.bytes));
      } else if (this.kind === 'boolean') {
        p.message(5, new ProtoWriter().packed(1, [this.trues]));
      } else if (this.kind === 'date') {
        p.message(7, new ProtoWriter().sint(1, this.min!).sint(2, this.max!));
      } else if (this.kind === 'binary') {
        p.message(8, new ProtoWriter().sint(1, this.bytes));
      }
    }
    p.bool(10, this.hasNull);
    return p;
  }
}

// ---------------------------------------------------------------------------
// Column writers
// ---------------------------------------------------------------------------

/** Row i of a typed vector is present. */
function isValid(valid: Uint8Array | undefined, i: number): boolean {
  return valid === undefined || ((valid[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

/** Row i of any vector as a plain value (null when absent). */
function vectorValue(v: OrcVector, i: number): unknown {
  if ('values' in v) return v.values[i];
  if (!isValid(v.valid, i)) return null;
  if ('numbers' in v) return v.numbers[i];
  if ('int64' in v) {
    const lo = v.int64[2 * i]! >>> 0;
    const hi = v.int64[2 * i + 1]!;
    return hi >= -0x200000 && hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }
  return Buffer.from(v.utf8.buffer, v.utf8.byteOffset + v.offsets[i]!, v.offsets[i + 1]! - v.offsets[i]!).toString('utf8');
}

abstract class ColumnWriter {
  readonly presentSink = new ByteSink();
  readonly present = new BooleanEncoder(this.presentSink);
  private presentStarts: Start[] = [];
  /** The current row group's statistics. */
  stats: Stats;
  /** This stripe's row groups' statistics. */
  groups: Stats[] = [];
  readonly fileStats: Stats;
  protected nulls = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly type: OrcType,
    readonly statsKind: StatsKind,
  ) {
    this.stats = new Stats(statsKind);
    this.fileStats = new Stats(statsKind);
  }

  add(v: unknown): void {
    if (v === null || v === undefined) {
      this.present.add(false);
      this.nulls++;
      this.stats.hasNull = true;
      return;
    }
    this.present.add(true);
    this.value(v);
  }

  /** Rows start..end-1 of a vector. Typed vectors take the fast paths of the subclasses. */
  addRange(vec: OrcVector, start: number, end: number): void {
    if ('values' in vec) {
      const values = vec.values;
      for (let i = start; i < end; i++) this.add(values[i]);
    } else for (let i = start; i < end; i++) this.add(vectorValue(vec, i));
  }

  /** Presence of rows start..end-1 of a typed vector; returns how many are null. */
  protected addPresence(valid: Uint8Array | undefined, start: number, end: number): number {
    const p = this.present;
    if (valid === undefined) {
      p.addTrues(end - start);
      return 0;
    }
    let nulls = 0;
    for (let i = start; i < end; i++) {
      const ok = ((valid[i >>> 3]! >>> (i & 7)) & 1) === 1;
      p.add(ok);
      if (!ok) nulls++;
    }
    if (nulls) {
      this.nulls += nulls;
      this.stats.hasNull = true;
    }
    return nulls;
  }

  protected abstract value(v: unknown): void;
  /** Encoded bytes buffered for this stripe. */
  abstract size(): number;
  /** Records where the next row group starts in each data stream (encoders flushed first). */
  protected abstract mark(): void;
  protected abstract dataStreams(): Stream[];

  /** A row group starts: positions of every stream. */
  startGroup(): void {
    this.present.flushRuns();
    this.presentStarts.push([this.presentSink.len, 0, this.present.pendingBits]);
    this.mark();
  }

  /** A row group ends: its statistics are kept for the row index. */
  endGroup(): void {
    this.groups.push(this.stats);
    this.stats = new Stats(this.statsKind);
  }

  encoding(): { kind: number; dictionarySize?: number } {
    // Columns without integer RLE (boolean, byte, float, double) are DIRECT: Java readers refuse
    // DIRECT_V2 there.
    const k = this.type.kind;
    return { kind: k === 'boolean' || k === 'byte' || k === 'float' || k === 'double' ? ENCODING.DIRECT : ENCODING.DIRECT_V2 };
  }

  /** This stripe's streams (PRESENT only when there were nulls); resets for the next stripe. */
  streams(): Stream[] {
    this.present.finish();
    const present = this.presentSink.take();
    const out: Stream[] = [];
    if (this.nulls > 0) out.push({ kind: STREAM.PRESENT, data: present, starts: this.presentStarts });
    out.push(...this.dataStreams());
    this.nulls = 0;
    this.presentStarts = [];
    return out;
  }

  /** This stripe's statistics and its row groups'; folds them into the file's. */
  takeStats(): { stripe: Stats; groups: Stats[] } {
    const stripe = new Stats(this.statsKind);
    for (const g of this.groups) stripe.merge(g);
    this.fileStats.merge(stripe);
    const groups = this.groups;
    this.groups = [];
    return { stripe, groups };
  }

  protected bad(v: unknown, why: string): never {
    const shown = typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : typeof v === 'bigint' ? `${v}` : String(v);
    throw new OrcError(`column ${this.name} (${typeName(this.type)}): ${shown} ${why}`);
  }
}

class BooleanWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private readonly enc = new BooleanEncoder(this.sink);
  private starts: Start[] = [];
  protected value(v: unknown): void {
    if (typeof v !== 'boolean') this.bad(v, 'is not a boolean');
    this.enc.add(v);
    this.stats.count++;
    if (v) this.stats.trues++;
  }
  override addRange(vec: OrcVector, start: number, end: number): void {
    if (!('numbers' in vec)) return super.addRange(vec, start, end);
    const valid = vec.valid;
    this.addPresence(valid, start, end);
    const nums = vec.numbers;
    for (let i = start; i < end; i++) {
      if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
      const v = nums[i]!;
      if (v !== 0 && v !== 1) this.bad(v, 'is not a boolean (0 or 1)');
      this.enc.add(v === 1);
      this.stats.count++;
      this.stats.trues += v;
    }
  }
  size(): number {
    return this.sink.len + this.presentSink.len;
  }
  protected mark(): void {
    this.enc.flushRuns();
    this.starts.push([this.sink.len, 0, this.enc.pendingBits]);
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    const starts = this.starts;
    this.starts = [];
    return [{ kind: STREAM.DATA, data: this.sink.take(), starts }];
  }
}

const INT_RANGE: Record<string, [number, number]> = { byte: [-128, 127], short: [-32768, 32767], int: [-2147483648, 2147483647] };

function toInteger(w: ColumnWriter & { bad(v: unknown, why: string): never }, v: unknown, kind: string): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) w.bad(v, 'is not an integer');
    const r = INT_RANGE[kind];
    if (r ? v < r[0] || v > r[1] : !Number.isSafeInteger(v)) {
      if (!r) return toInteger(w, BigInt(v), kind);
      w.bad(v, `is out of range for ${kind}`);
    }
    return v;
  }
  if (typeof v === 'bigint') {
    const r = INT_RANGE[kind];
    if (r ? v < BigInt(r[0]) || v > BigInt(r[1]) : v < INT64_MIN || v > INT64_MAX) w.bad(v, `is out of range for ${kind === 'long' ? 'bigint' : kind}`);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }
  return w.bad(v, 'is not an integer');
}

class ByteWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private readonly enc = new ByteRleEncoder(this.sink);
  private starts: Start[] = [];
  protected value(v: unknown): void {
    const n = Number(toInteger(this as never, v, 'byte'));
    this.enc.add(n);
    this.stats.addInt(n);
  }
  size(): number {
    return this.sink.len + this.presentSink.len;
  }
  protected mark(): void {
    this.enc.finish();
    this.starts.push([this.sink.len, 0]);
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    const starts = this.starts;
    this.starts = [];
    return [{ kind: STREAM.DATA, data: this.sink.take(), starts }];
  }
}

/** Integers (and dates as days) through integer RLE v2. */
class IntWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private readonly enc = new IntRleV2Encoder(this.sink, true);
  private starts: Start[] = [];
  private readonly lo: number;
  private readonly hi: number;
  constructor(id: number, name: string, type: OrcType, statsKind: StatsKind) {
    super(id, name, type, statsKind);
    const r = INT_RANGE[type.kind];
    this.lo = r ? r[0] : type.kind === 'date' ? MIN_DAYS : -Number.MAX_SAFE_INTEGER;
    this.hi = r ? r[1] : type.kind === 'date' ? MAX_DAYS : Number.MAX_SAFE_INTEGER;
  }
  protected value(v: unknown): void {
    const n = toInteger(this as never, v, this.type.kind);
    this.enc.add(n);
    this.stats.addInt(n);
  }
  /** Present values of the range being added, before they go to the encoder in one call. */
  private scratch = new Float64Array(2048);

  override addRange(vec: OrcVector, start: number, end: number): void {
    if (!('numbers' in vec) && !('int64' in vec)) return super.addRange(vec, start, end);
    const valid = vec.valid;
    this.addPresence(valid, start, end);
    if (this.scratch.length < end - start) this.scratch = new Float64Array(end - start);
    const out = this.scratch;
    const lo = this.lo;
    const hi = this.hi;
    // Values go to `out` (k of them) with their statistics; a value the fast path cannot take
    // (beyond 2^53, out of range, not an integer) goes after those before it through `value`.
    let k = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    const pairs = 'int64' in vec ? vec.int64 : undefined;
    const nums = 'numbers' in vec ? vec.numbers : undefined;
    // Integer typed arrays hold integers: no per-value check.
    const integral =
      pairs !== undefined ||
      nums instanceof Int32Array ||
      nums instanceof Int16Array ||
      nums instanceof Int8Array ||
      nums instanceof Uint32Array ||
      nums instanceof Uint16Array ||
      nums instanceof Uint8Array;
    for (let i = start; i < end; i++) {
      if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
      let v: number;
      let slow: number | bigint | undefined;
      if (pairs) {
        const h = pairs[2 * i + 1]!;
        if (h < -0x200000 || h >= 0x200000) slow = (BigInt(h) << 32n) | BigInt(pairs[2 * i]! >>> 0);
        v = h * 4294967296 + (pairs[2 * i]! >>> 0);
      } else v = nums![i]!;
      if (slow === undefined && (!(v >= lo && v <= hi) || (!integral && !Number.isInteger(v)))) slow = v;
      if (slow !== undefined) {
        this.enc.addSafe(out, 0, k);
        this.stats.addInts(k, min, max, sum);
        k = 0;
        min = Infinity;
        max = -Infinity;
        sum = 0;
        this.value(slow);
        continue;
      }
      out[k++] = v;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      if (sum > 2 ** 51 || sum < -(2 ** 51)) {
        this.enc.addSafe(out, 0, k);
        this.stats.addInts(k, min, max, sum);
        k = 0;
        min = Infinity;
        max = -Infinity;
        sum = 0;
      }
    }
    this.enc.addSafe(out, 0, k);
    this.stats.addInts(k, min, max, sum);
  }
  size(): number {
    return this.sink.len + this.presentSink.len + 8;
  }
  protected mark(): void {
    this.enc.finish();
    this.starts.push([this.sink.len, 0]);
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    const starts = this.starts;
    this.starts = [];
    return [{ kind: STREAM.DATA, data: this.sink.take(), starts }];
  }
}

class DateWriter extends IntWriter {
  protected override value(v: unknown): void {
    let days: number | null;
    if (typeof v === 'number') days = v;
    else if (typeof v === 'string') days = parseDate(v);
    else if (v instanceof Date) days = Number.isNaN(v.getTime()) ? null : Math.floor(v.getTime() / 86_400_000);
    else if (v && typeof v === 'object' && typeof (v as { days?: unknown }).days === 'number') days = (v as { days: number }).days;
    else days = null;
    if (days === null || !Number.isInteger(days)) this.bad(v, 'is not a date');
    if (days < MIN_DAYS || days > MAX_DAYS) this.bad(typeof v === 'number' ? formatDate(v) : v, 'is outside the date range ORC readers share (0001-01-01 to 9999-12-31)');
    super.value(days);
  }
}

class FloatWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private starts: Start[] = [];
  private readonly width = this.type.kind === 'float' ? 4 : 8;
  protected value(v: unknown): void {
    if (typeof v !== 'number') this.bad(v, 'is not a number');
    const width = this.width;
    this.sink.ensure(width);
    if (width === 4) this.sink.buf.writeFloatLE(v, this.sink.len);
    else this.sink.buf.writeDoubleLE(v, this.sink.len);
    this.sink.len += width;
    this.stats.addDouble(width === 4 ? Math.fround(v) : v);
  }
  override addRange(vec: OrcVector, start: number, end: number): void {
    if (!('numbers' in vec)) return super.addRange(vec, start, end);
    const valid = vec.valid;
    const nulls = this.addPresence(valid, start, end);
    const width = this.width;
    const sink = this.sink;
    sink.ensure((end - start - nulls) * width);
    const nums = vec.numbers;
    if (valid === undefined && width === 8 && nums instanceof Float64Array) {
      // No nulls, doubles as little-endian IEEE already: one copy, then the statistics.
      sink.buf.set(new Uint8Array(nums.buffer, nums.byteOffset + start * 8, (end - start) * 8), sink.len);
      sink.len += (end - start) * 8;
      const st = this.stats;
      let mn = Infinity;
      let mx = -Infinity;
      let dsum = st.dSum;
      let seen = 0;
      let nan = false;
      for (let i = start; i < end; i++) {
        const v = nums[i]!;
        if (v !== v) nan = true;
        else {
          seen++;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
          dsum += v;
        }
      }
      st.count += end - start;
      if (seen > 0) {
        if (st.min === undefined || mn < st.min) st.min = mn;
        if (st.max === undefined || mx > st.max) st.max = mx;
      }
      st.dSum = dsum;
      if (nan) st.nan = true;
      return;
    }
    const view = new DataView(sink.buf.buffer, sink.buf.byteOffset, sink.buf.length);
    let at = sink.len;
    const st = this.stats;
    let min = st.min as number | undefined;
    let max = st.max as number | undefined;
    let dsum = st.dSum;
    let count = 0;
    let nan = false;
    for (let i = start; i < end; i++) {
      if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
      let v = nums[i]!;
      if (width === 4) {
        view.setFloat32(at, v, true);
        v = Math.fround(v);
      } else view.setFloat64(at, v, true);
      at += width;
      count++;
      if (v !== v) nan = true;
      else {
        if (min === undefined || v < min) min = v;
        if (max === undefined || v > max) max = v;
        dsum += v;
      }
    }
    sink.len = at;
    st.count += count;
    st.min = min;
    st.max = max;
    st.dSum = dsum;
    if (nan) st.nan = true;
  }
  size(): number {
    return this.sink.len + this.presentSink.len;
  }
  protected mark(): void {
    this.starts.push([this.sink.len]);
  }
  protected dataStreams(): Stream[] {
    const starts = this.starts;
    this.starts = [];
    return [{ kind: STREAM.DATA, data: this.sink.take(), starts }];
  }
}

/**
 * Distinct byte strings of a stripe, for dictionary encoding: an open-addressing hash table over
 * the entries' UTF-8 bytes (kept in one buffer), so no JS string is made per value.
 */
class BytesDictionary {
  readonly bytes = new ByteSink();
  offsets = new Int32Array(1024);
  size = 0;
  private slots = new Int32Array(2048).fill(-1);
  private hashes = new Int32Array(1024);
  /** Per entry: the stamp of the last row group that held it (StringWriter's statistics). */
  seen = new Int32Array(1024);

  /** The id of `buf[at .. at + len]`, added when new. */
  id(buf: Uint8Array, at: number, len: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[at + i]!, 0x01000193);
    const mask = this.slots.length - 1;
    let s = h & mask;
    const store = this.bytes;
    for (;;) {
      const e = this.slots[s]!;
      if (e < 0) break;
      if (this.hashes[e] === h) {
        const eo = this.offsets[e]!;
        const el = this.offsets[e + 1]! - eo;
        if (el === len) {
          const sb = store.buf;
          let i = 0;
          while (i < len && sb[eo + i] === buf[at + i]) i++;
          if (i === len) return e;
        }
      }
      s = (s + 1) & mask;
    }
    const id = this.size++;
    if (this.size + 1 >= this.offsets.length) {
      const o = new Int32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
      const hs = new Int32Array(this.hashes.length * 2);
      hs.set(this.hashes);
      this.hashes = hs;
      const sn = new Int32Array(this.seen.length * 2);
      sn.set(this.seen);
      this.seen = sn;
    }
    this.hashes[id] = h;
    store.ensure(len);
    store.buf.set(buf.subarray(at, at + len), store.len);
    store.len += len;
    this.offsets[id + 1] = store.len;
    this.slots[s] = id;
    if (this.size * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let s = this.hashes[id]! & mask;
      while (slots[s]! >= 0) s = (s + 1) & mask;
      slots[s] = id;
    }
    this.slots = slots;
  }
}

/** Strings: DIRECT_V2 or, when values repeat enough within the stripe, DICTIONARY_V2. */
class StringWriter extends ColumnWriter {
  private readonly data = new ByteSink();
  private lengths = new Int32Array(1024);
  private count = 0;
  private dict: BytesDictionary | undefined = new BytesDictionary();
  private ids = new Int32Array(1024);
  private mode = ENCODING.DIRECT_V2 as number;
  private dictSize = 0;
  /** Per row group: values before it and its first byte in the data stream. */
  private groupValues: number[] = [];
  private groupBytes: number[] = [];
  /** The current group's statistics: values, bytes, and where its least and greatest values lie in `data`. */
  private gCount = 0;
  private gBytes = 0;
  private minAt = -1;
  private minLen = 0;
  private maxAt = -1;
  private maxLen = 0;
  /** The current row group's stamp: a dictionary entry already stamped with it is no new minimum or maximum. */
  private stamp = 1;

  override endGroup(): void {
    const st = this.stats;
    if (this.gCount > 0) {
      st.count += this.gCount;
      st.bytes += this.gBytes;
      const buf = this.data.buf;
      const mn = new Uint8Array(buf.subarray(this.minAt, this.minAt + this.minLen));
      const mx = new Uint8Array(buf.subarray(this.maxAt, this.maxAt + this.maxLen));
      if (st.sMin === undefined || bytesLess(mn, 0, mn.length, st.sMin, 0, st.sMin.length)) st.sMin = mn;
      if (st.sMax === undefined || bytesLess(st.sMax, 0, st.sMax.length, mx, 0, mx.length)) st.sMax = mx;
    }
    this.gCount = 0;
    this.gBytes = 0;
    this.minAt = this.maxAt = -1;
    this.stamp++;
    super.endGroup();
  }

  /** Room for `m` more values in `lengths` and `ids`. */
  private reserve(m: number): void {
    const need = this.count + m;
    if (need <= this.lengths.length) return;
    let size = this.lengths.length * 2;
    while (size < need) size *= 2;
    const l = new Int32Array(size);
    l.set(this.lengths);
    this.lengths = l;
    if (this.dict) {
      const d = new Int32Array(size);
      d.set(this.ids);
      this.ids = d;
    }
  }

  private push(at: number, n: number): void {
    this.reserve(1);
    const k = this.count;
    this.lengths[k] = n;
    this.count = k + 1;
    // The group's least and greatest values as places in the data stream; copied out when the
    // group ends (sorted data would otherwise copy a new greatest value at every row).
    this.gCount++;
    this.gBytes += n;
    const buf = this.data.buf;
    if (this.minAt < 0) {
      this.minAt = this.maxAt = at;
      this.minLen = this.maxLen = n;
    } else if (bytesLess(buf, at, n, buf, this.minAt, this.minLen)) {
      this.minAt = at;
      this.minLen = n;
    } else if (bytesLess(buf, this.maxAt, this.maxLen, buf, at, n)) {
      this.maxAt = at;
      this.maxLen = n;
    }
    const dict = this.dict;
    if (dict) {
      this.ids[k] = dict.id(this.data.buf, at, n);
      // Give up on the dictionary once most values are distinct.
      if (dict.size > 4096 && dict.size > this.count * 0.6) {
        this.dict = undefined;
        this.ids = new Int32Array(0);
      }
    }
  }

  protected value(v: unknown): void {
    if (typeof v !== 'string') this.bad(v, 'is not a string');
    const at = this.data.len;
    const n = this.data.utf8(v);
    this.push(at, n);
  }

  override addRange(vec: OrcVector, start: number, end: number): void {
    if (!('utf8' in vec)) return super.addRange(vec, start, end);
    const valid = vec.valid;
    this.addPresence(valid, start, end);
    const { utf8, offsets } = vec;
    const data = this.data;
    const o0 = offsets[start]!;
    const total = offsets[end]! - o0;
    // The range's bytes in one copy when they are exactly its present rows' bytes (offsets rise
    // and null rows hold none); else row by row.
    let whole = total >= 0;
    for (let i = start; whole && i < end; i++) {
      const len = offsets[i + 1]! - offsets[i]!;
      if (len < 0 || (len !== 0 && valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0)) whole = false;
    }
    if (whole) {
      data.ensure(total);
      const base = data.len - o0;
      const buf = data.buf;
      buf.set(utf8.subarray(o0, o0 + total), data.len);
      data.len += total;
      this.reserve(end - start);
      // push(), inlined: a dictionary entry is compared with the group's least and greatest
      // values only the first time the group holds it.
      const lengths = this.lengths;
      const ids = this.ids;
      let dict = this.dict;
      const stamp = this.stamp;
      let k = this.count;
      let gCount = this.gCount;
      let gBytes = this.gBytes;
      let minAt = this.minAt;
      let minLen = this.minLen;
      let maxAt = this.maxAt;
      let maxLen = this.maxLen;
      for (let i = start; i < end; i++) {
        if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
        const from = offsets[i]!;
        const n = offsets[i + 1]! - from;
        const at = base + from;
        lengths[k++] = n;
        gCount++;
        gBytes += n;
        if (dict !== undefined) {
          const id = dict.id(buf, at, n);
          ids[k - 1] = id;
          const seen = dict.seen;
          const known = seen[id] === stamp;
          seen[id] = stamp;
          // Give up on the dictionary once most values are distinct.
          if (dict.size > 4096 && dict.size > k * 0.6) {
            dict = undefined;
            this.dict = undefined;
            this.ids = new Int32Array(0);
          }
          if (known) continue;
        }
        if (minAt < 0) {
          minAt = maxAt = at;
          minLen = maxLen = n;
        } else if (bytesLess(buf, at, n, buf, minAt, minLen)) {
          minAt = at;
          minLen = n;
        } else if (bytesLess(buf, maxAt, maxLen, buf, at, n)) {
          maxAt = at;
          maxLen = n;
        }
      }
      this.count = k;
      this.gCount = gCount;
      this.gBytes = gBytes;
      this.minAt = minAt;
      this.minLen = minLen;
      this.maxAt = maxAt;
      this.maxLen = maxLen;
      return;
    }
    for (let i = start; i < end; i++) {
      if (valid !== undefined && ((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) continue;
      const from = offsets[i]!;
      const n = offsets[i + 1]! - from;
      data.ensure(n);
      const at = data.len;
      const buf = data.buf;
      for (let j = 0; j < n; j++) buf[at + j] = utf8[from + j]!;
      data.len = at + n;
      this.push(at, n);
    }
  }

  size(): number {
    return this.data.len + this.count * 2 + this.presentSink.len;
  }

  protected mark(): void {
    this.groupValues.push(this.count);
    this.groupBytes.push(this.data.len);
  }

  override encoding(): { kind: number; dictionarySize?: number } {
    return this.mode === ENCODING.DICTIONARY_V2 ? { kind: this.mode, dictionarySize: this.dictSize } : { kind: this.mode };
  }

  /** `values` through integer RLE v2, flushed at each row group's first value; their starts. */
  private static rle(values: Int32Array, count: number, groupValues: number[]): { data: Buffer; starts: Start[] } {
    const sink = new ByteSink();
    const enc = new IntRleV2Encoder(sink, false);
    const starts: Start[] = [];
    let at = 0;
    for (const g of groupValues) {
      enc.addSafe(values, at, g);
      at = g;
      enc.finish();
      starts.push([sink.len, 0]);
    }
    enc.addSafe(values, at, count);
    enc.finish();
    return { data: sink.take(), starts };
  }

  protected dataStreams(): Stream[] {
    const dict = this.dict;
    const count = this.count;
    const useDict = dict !== undefined && count > 0 && dict.size <= count * 0.8;
    let out: Stream[];
    if (useDict) {
      const ids = StringWriter.rle(this.ids, count, this.groupValues);
      const dictLens = new Int32Array(dict.size);
      for (let i = 0; i < dict.size; i++) dictLens[i] = dict.offsets[i + 1]! - dict.offsets[i]!;
      const lens = StringWriter.rle(dictLens, dict.size, []);
      out = [
        { kind: STREAM.DATA, data: ids.data, starts: ids.starts },
        { kind: STREAM.DICTIONARY_DATA, data: dict.bytes.take() },
        { kind: STREAM.LENGTH, data: lens.data },
      ];
      this.mode = ENCODING.DICTIONARY_V2;
      this.dictSize = dict.size;
      this.data.take();
    } else {
      const lens = StringWriter.rle(this.lengths, count, this.groupValues);
      out = [
        { kind: STREAM.DATA, data: this.data.take(), starts: this.groupBytes.map((b) => [b]) },
        { kind: STREAM.LENGTH, data: lens.data, starts: lens.starts },
      ];
      this.mode = ENCODING.DIRECT_V2;
    }
    this.count = 0;
    if (this.lengths.length > 1 << 16) this.lengths = new Int32Array(1024);
    this.ids = new Int32Array(this.lengths.length);
    this.dict = new BytesDictionary();
    this.groupValues = [];
    this.groupBytes = [];
    return out;
  }
}

class BinaryWriter extends ColumnWriter {
  private readonly data = new ByteSink();
  private readonly lenSink = new ByteSink();
  private readonly lens = new IntRleV2Encoder(this.lenSink, false);
  private dataStarts: Start[] = [];
  private lenStarts: Start[] = [];
  protected value(v: unknown): void {
    if (!(v instanceof Uint8Array)) this.bad(v, 'is not binary (Uint8Array)');
    this.data.bytes(v);
    this.lens.add(v.length);
    this.stats.count++;
    this.stats.bytes += v.length;
  }
  size(): number {
    return this.data.len + this.lenSink.len + this.presentSink.len;
  }
  protected mark(): void {
    this.lens.finish();
    this.dataStarts.push([this.data.len]);
    this.lenStarts.push([this.lenSink.len, 0]);
  }
  protected dataStreams(): Stream[] {
    this.lens.finish();
    const out = [
      { kind: STREAM.DATA, data: this.data.take(), starts: this.dataStarts },
      { kind: STREAM.LENGTH, data: this.lenSink.take(), starts: this.lenStarts },
    ];
    this.dataStarts = [];
    this.lenStarts = [];
    return out;
  }
}

/** Parses decimal text into an unscaled integer at `scale`; null when it is not a number. */
function parseDecimal(s: string, scale: number): { unscaled: bigint; lostDigits: boolean } | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(s);
  if (!m || (!m[2] && !m[3])) return null;
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let exp = -(m[3]?.length ?? 0) + Number(m[4] ?? 0);
  // value = digits * 10^exp; want unscaled = value * 10^scale
  let shift = exp + scale;
  let lostDigits = false;
  if (shift < 0) {
    const cut = digits.slice(digits.length + shift);
    if (/[1-9]/.test(cut)) lostDigits = true;
    digits = digits.slice(0, Math.max(0, digits.length + shift));
    shift = 0;
  }
  let unscaled = BigInt(digits || '0') * 10n ** BigInt(shift);
  if (m[1] === '-') unscaled = -unscaled;
  void exp;
  return { unscaled, lostDigits };
}

class DecimalWriter extends ColumnWriter {
  private readonly data = new ByteSink();
  private readonly scaleSink = new ByteSink();
  private readonly scales = new IntRleV2Encoder(this.scaleSink, true);
  private readonly limit: bigint;
  constructor(id: number, name: string, type: OrcType) {
    super(id, name, type, 'none');
    this.limit = 10n ** BigInt(type.precision!);
  }
  protected value(v: unknown): void {
    const scale = this.type.scale!;
    let unscaled: bigint;
    if (typeof v === 'bigint') unscaled = v * 10n ** BigInt(scale);
    else if (typeof v === 'string' || typeof v === 'number') {
      if (typeof v === 'number' && !Number.isFinite(v)) this.bad(v, 'is not a decimal');
      const p = parseDecimal(String(v), scale);
      if (!p) this.bad(v, 'is not a decimal');
      if (p.lostDigits) this.bad(v, `has more than ${scale} decimal places`);
      unscaled = p.unscaled;
    } else if (v && typeof v === 'object' && typeof (v as { unscaled?: unknown }).unscaled === 'bigint') {
      const d = v as { unscaled: bigint; scale: number };
      if (d.scale > scale) {
        const f = 10n ** BigInt(d.scale - scale);
        if (d.unscaled % f !== 0n) this.bad(v, `has more than ${scale} decimal places`);
        unscaled = d.unscaled / f;
      } else unscaled = d.unscaled * 10n ** BigInt(scale - d.scale);
    } else return this.bad(v, 'is not a decimal');
    if (unscaled >= this.limit || unscaled <= -this.limit) this.bad(typeof v === 'object' ? String((v as { unscaled: bigint }).unscaled) : v, `does not fit decimal(${this.type.precision},${scale})`);
    writeSignedVarintBig(this.data, unscaled);
    this.scales.add(scale);
    this.stats.count++;
  }
  size(): number {
    return this.data.len + this.scaleSink.len + this.presentSink.len;
  }
  private dataStarts: Start[] = [];
  private scaleStarts: Start[] = [];
  protected mark(): void {
    this.scales.finish();
    this.dataStarts.push([this.data.len]);
    this.scaleStarts.push([this.scaleSink.len, 0]);
  }
  protected dataStreams(): Stream[] {
    this.scales.finish();
    const out = [
      { kind: STREAM.DATA, data: this.data.take(), starts: this.dataStarts },
      { kind: STREAM.SECONDARY, data: this.scaleSink.take(), starts: this.scaleStarts },
    ];
    this.dataStarts = [];
    this.scaleStarts = [];
    return out;
  }
}

/** Nanos with ORC's trailing-zero encoding: value << 3 | (zeros - 1) when two or more zeros were cut. */
export function encodeNanos(nanos: number): number {
  if (nanos === 0) return 0;
  if (nanos % 100 !== 0) return nanos * 8;
  let n = nanos / 100;
  let zeros = 1;
  while (n % 10 === 0 && zeros < 7) {
    n /= 10;
    zeros++;
  }
  return n * 8 + zeros;
}

class TimestampWriter extends ColumnWriter {
  private readonly secSink = new ByteSink();
  private readonly secs = new IntRleV2Encoder(this.secSink, true);
  private readonly nanoSink = new ByteSink();
  private readonly nanos = new IntRleV2Encoder(this.nanoSink, false);
  protected value(v: unknown): void {
    let seconds: number;
    let nanos: number;
    if (v instanceof Date) {
      const ms = v.getTime();
      if (Number.isNaN(ms)) this.bad(v, 'is not a timestamp');
      seconds = Math.floor(ms / 1000);
      nanos = (ms - seconds * 1000) * 1_000_000;
    } else if (typeof v === 'string') {
      const t = parseTimestamp(v);
      if (!t) this.bad(v, 'is not a timestamp');
      seconds = t.seconds;
      nanos = t.nanos;
    } else if (v && typeof v === 'object' && (v as { seconds?: unknown }).seconds !== undefined) {
      const t = v as { seconds: number | bigint; nanos?: number };
      seconds = Number(t.seconds);
      nanos = t.nanos ?? 0;
      if (!Number.isInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) this.bad(JSON.stringify({ seconds, nanos }), 'is not a timestamp');
    } else return this.bad(v, 'is not a timestamp');
    if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
      this.bad(typeof v === 'string' ? v : formatTimestamp(seconds, nanos), 'is outside the timestamp range ORC readers share (0001-01-01 to 9999-12-31)');
    }
    // As ORC's Java writer: before 1970 with a sub-second part of a millisecond or more, the
    // seconds are stored one higher (readers subtract it again).
    if (seconds < 0 && nanos > 999_999) seconds += 1;
    this.secs.add(seconds - ORC_EPOCH);
    this.nanos.add(encodeNanos(nanos));
    this.stats.count++;
  }
  size(): number {
    return this.secSink.len + this.nanoSink.len + this.presentSink.len + 16;
  }
  private secStarts: Start[] = [];
  private nanoStarts: Start[] = [];
  protected mark(): void {
    this.secs.finish();
    this.nanos.finish();
    this.secStarts.push([this.secSink.len, 0]);
    this.nanoStarts.push([this.nanoSink.len, 0]);
  }
  protected dataStreams(): Stream[] {
    this.secs.finish();
    this.nanos.finish();
    const out = [
      { kind: STREAM.DATA, data: this.secSink.take(), starts: this.secStarts },
      { kind: STREAM.SECONDARY, data: this.nanoSink.take(), starts: this.nanoStarts },
    ];
    this.secStarts = [];
    this.nanoStarts = [];
    return out;
  }
}

const STATS_KIND: Partial<Record<string, StatsKind>> = {
  boolean: 'boolean',
  byte: 'int',
  short: 'int',
  int: 'int',
  long: 'int',
  float: 'double',
  double: 'double',
  string: 'string',
  binary: 'binary',
  date: 'date',
};

function columnWriter(id: number, f: OrcField): ColumnWriter {
  const t = f.type;
  const sk = STATS_KIND[t.kind] ?? 'none';
  switch (t.kind) {
    case 'boolean':
      return new BooleanWriter(id, f.name, t, sk);
    case 'byte':
      return new ByteWriter(id, f.name, t, sk);
    case 'short':
    case 'int':
    case 'long':
      return new IntWriter(id, f.name, t, sk);
    case 'float':
    case 'double':
      return new FloatWriter(id, f.name, t, sk);
    case 'string':
      return new StringWriter(id, f.name, t, sk);
    case 'binary':
      return new BinaryWriter(id, f.name, t, sk);
    case 'decimal': {
      const p = t.precision;
      const s = t.scale ?? 0;
      if (p === undefined || !Number.isInteger(p) || p < 1 || p > 38) {
        throw new OrcError(`column ${f.name}: decimal precision ${p} is outside 1..38, the most ORC readers take`);
      }
      if (!Number.isInteger(s) || s < 0 || s > p) throw new OrcError(`column ${f.name}: decimal scale ${s} is outside 0..${p}`);
      return new DecimalWriter(id, f.name, { ...t, scale: s });
    }
    case 'date':
      return new DateWriter(id, f.name, t, sk);
    case 'timestamp':
      return new TimestampWriter(id, f.name, t, sk);
    default:
      throw new OrcError(`column ${f.name}: type ${typeName(t)} cannot be written to ORC by tx yet (primitives only)`);
  }
}

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

interface StripeInfo {
  offset: number;
  indexLength: number;
  dataLength: number;
  footerLength: number;
  rows: number;
  stats: Stats[];
}

export class OrcWriter {
  private readonly columns: ColumnWriter[];
  private readonly compression: OrcCompression;
  private readonly stripeSize: number;
  private readonly blockSize: number;
  private stripes: StripeInfo[] = [];
  private stripeRows = 0;
  private totalRows = 0;
  private offset = 3;
  private closed = false;
  private readonly rootStats = new Stats('none');

  private constructor(
    readonly path: string,
    private readonly fd: fs.promises.FileHandle,
    readonly fields: OrcField[],
    private readonly opts: OrcWriteOptions,
  ) {
    this.compression = opts.compression ?? 'zlib';
    this.stripeSize = Math.max(1024, Math.floor(opts.stripeSizeBytes ?? 64 * 1024 * 1024));
    this.blockSize = opts.blockSize ?? 256 * 1024;
    this.columns = fields.map((f, i) => columnWriter(i + 1, f));
  }

  /** Creates (or truncates) `path` and writes the header. */
  static async open(path: string, fields: OrcField[], opts: OrcWriteOptions = {}): Promise<OrcWriter> {
    if (!fields.length) throw new OrcError(`${path}: an ORC file needs at least one column`);
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.name.toLowerCase())) throw new OrcError(`${path}: column ${f.name} appears twice`);
      seen.add(f.name.toLowerCase());
    }
    if (opts.compression && !(opts.compression in COMPRESSION_KIND)) throw new OrcError(`${path}: unknown ORC compression ${String(opts.compression)}`);
    // Validate the schema before creating the file.
    fields.forEach((f, i) => columnWriter(i + 1, f));
    const fd = await fs.promises.open(path, 'w');
    const w = new OrcWriter(path, fd, fields, opts);
    try {
      await fd.write(Buffer.from('ORC'));
    } catch (e) {
      await fd.close().catch(() => undefined);
      throw e;
    }
    return w;
  }

  get rows(): number {
    return this.totalRows;
  }

  /** Rows of the current row group so far; a group starts with its first row. */
  private groupRows = 0;

  private beforeRows(): void {
    if (this.groupRows === 0) for (const c of this.columns) c.startGroup();
  }

  private afterRows(n: number): void {
    this.groupRows += n;
    this.stripeRows += n;
    this.totalRows += n;
    if (this.groupRows === ROW_INDEX_STRIDE) this.endGroup();
  }

  private endGroup(): void {
    if (this.groupRows === 0) return;
    for (const c of this.columns) c.endGroup();
    this.groupSizes.push(this.groupRows);
    this.groupRows = 0;
  }

  /** Rows in each finished row group of this stripe. */
  private groupSizes: number[] = [];

  /** Adds rows (arrays of values in column order); writes a stripe whenever one is full. */
  async writeRows(rows: readonly (readonly unknown[])[]): Promise<void> {
    const cols = this.columns;
    const n = cols.length;
    for (const row of rows) {
      let i = 0;
      this.beforeRows();
      try {
        for (; i < n; i++) cols[i]!.add(row[i]);
      } catch (e) {
        throw new OrcError(`${this.path}: row ${this.totalRows + 1}: ${(e as Error).message}`, { cause: e });
      }
      this.afterRows(1);
      if ((this.stripeRows & 1023) === 0 && this.bufferedBytes() >= this.stripeSize) await this.flushStripe();
    }
  }

  /** Adds `rowCount` rows given column by column (each array in column order); a stripe is written when full. */
  async writeColumns(columns: readonly (readonly unknown[])[], rowCount: number): Promise<void> {
    await this.writeVectors(
      columns.map((values) => ({ values })),
      rowCount,
    );
  }

  /**
   * Adds `rowCount` rows given as column vectors (`OrcVector`: plain values or typed data); a
   * stripe is written when full. The fast path of columnar sources (DuckDB result chunks).
   */
  async writeVectors(columns: readonly OrcVector[], rowCount: number): Promise<void> {
    const cols = this.columns;
    if (columns.length !== cols.length) throw new OrcError(`${this.path}: ${columns.length} columns given, the file has ${cols.length}`);
    let done = 0;
    while (done < rowCount) {
      this.beforeRows();
      const take = Math.min(rowCount - done, ROW_INDEX_STRIDE - this.groupRows);
      for (let c = 0; c < cols.length; c++) {
        try {
          cols[c]!.addRange(columns[c]!, done, done + take);
        } catch (e) {
          // Find the row: the values again, one by one, into a fresh writer of the column.
          const probe = columnWriter(c + 1, this.fields[c]!);
          for (let r = done; r < done + take; r++) {
            try {
              probe.addRange(columns[c]!, r, r + 1);
            } catch (e2) {
              throw new OrcError(`${this.path}: row ${this.totalRows + r - done + 1}: ${(e2 as Error).message}`, { cause: e2 });
            }
          }
          throw new OrcError(`${this.path}: rows ${this.totalRows + 1} to ${this.totalRows + take}: ${(e as Error).message}`, { cause: e });
        }
      }
      this.afterRows(take);
      done += take;
    }
    if (this.bufferedBytes() >= this.stripeSize) await this.flushStripe();
  }

  /** Adds rows given as objects keyed by column name. */
  async writeObjects(rows: readonly Record<string, unknown>[]): Promise<void> {
    const names = this.fields.map((f) => f.name);
    await this.writeRows(rows.map((r) => names.map((k) => r[k])));
  }

  bufferedBytes(): number {
    let s = 0;
    for (const c of this.columns) s += c.size();
    return s;
  }

  private async write(bufs: Buffer[]): Promise<void> {
    let total = 0;
    for (const b of bufs) total += b.length;
    if (!total) return;
    // writev in groups (IOV_MAX is 1024 on Linux).
    for (let i = 0; i < bufs.length; i += 512) await this.fd.writev(bufs.slice(i, i + 512));
    this.offset += total;
  }

  /** Compresses a stream of `kind` (ZLIB settings by kind, as ORC's Java writer), or a footer (no kind: deflate's default). */
  private compress(data: Buffer, kind?: number): Buffer[] {
    return compressStream(data, this.compression, this.blockSize, kind === undefined ? undefined : zlibForStream(kind));
  }

  /**
   * A stream's row-group position: the uncompressed offset becomes, with compression, the
   * compressed chunk's start and the offset inside the chunk (ORC's two-part positions).
   */
  private position(start: Start, chunkStarts: number[], compressedLength: number): number[] {
    const u = start[0]!;
    const rest = start.slice(1);
    if (this.compression === 'none') return [u, ...rest];
    const k = Math.floor(u / this.blockSize);
    return [k < chunkStarts.length ? chunkStarts[k]! : compressedLength, u - k * this.blockSize, ...rest];
  }

  private async flushStripe(): Promise<void> {
    if (this.stripeRows === 0) return;
    this.endGroup();
    const groupSizes = this.groupSizes;
    this.groupSizes = [];
    const footer = new ProtoWriter();
    const index: Buffer[] = [];
    const body: Buffer[] = [];
    let indexLength = 0;
    let dataLength = 0;
    const indexStreams: ProtoWriter[] = [];
    const dataStreams: ProtoWriter[] = [];
    const addIndex = (column: number, entries: ProtoWriter[]): void => {
      const ri = new ProtoWriter();
      for (const e of entries) ri.message(1, e);
      const parts = this.compress(ri.finish(), STREAM.ROW_INDEX);
      let len = 0;
      for (const p of parts) len += p.length;
      index.push(...parts);
      indexLength += len;
      indexStreams.push(new ProtoWriter().uint(1, STREAM.ROW_INDEX).uint(2, column).uint(3, len));
    };
    // Root struct: no streams; its index holds each group's row count.
    const encodings: ProtoWriter[] = [new ProtoWriter().uint(1, ENCODING.DIRECT)];
    const stats: Stats[] = [];
    const rootStripe = new Stats('none');
    rootStripe.count = this.stripeRows;
    stats.push(rootStripe);
    this.rootStats.count += this.stripeRows;
    addIndex(
      0,
      groupSizes.map((n) => {
        const st = new Stats('none');
        st.count = n;
        return new ProtoWriter().message(2, st.proto());
      }),
    );
    for (const c of this.columns) {
      const positions: number[][] = groupSizes.map(() => []);
      for (const s of c.streams()) {
        const parts = this.compress(s.data, s.kind);
        let len = 0;
        const chunkStarts: number[] = [];
        for (let i = 0; i < parts.length; i++) {
          if (i % 2 === 0) chunkStarts.push(len);
          len += parts[i]!.length;
        }
        if (s.starts) {
          if (s.starts.length !== groupSizes.length) throw new OrcError(`${this.path}: internal error: column ${c.name} has ${s.starts.length} row-group positions for ${groupSizes.length} groups`);
          s.starts.forEach((st, g) => positions[g]!.push(...this.position(st, chunkStarts, len)));
        }
        body.push(...parts);
        dataLength += len;
        dataStreams.push(new ProtoWriter().uint(1, s.kind).uint(2, c.id).uint(3, len));
      }
      const enc = c.encoding();
      encodings.push(new ProtoWriter().uint(1, enc.kind).uint(2, enc.dictionarySize));
      const { stripe, groups } = c.takeStats();
      stats.push(stripe);
      addIndex(
        c.id,
        groups.map((g, i) => new ProtoWriter().packed(1, positions[i]!).message(2, g.proto())),
      );
    }
    for (const s of indexStreams) footer.message(1, s);
    for (const s of dataStreams) footer.message(1, s);
    for (const e of encodings) footer.message(2, e);
    footer.string(3, 'UTC');
    const footerParts = this.compress(footer.finish());
    let footerLength = 0;
    for (const p of footerParts) footerLength += p.length;
    const offset = this.offset;
    await this.write([...index, ...body, ...footerParts]);
    this.stripes.push({ offset, indexLength, dataLength, footerLength, rows: this.stripeRows, stats });
    this.stripeRows = 0;
  }

  /** Writes the last stripe and the file tail; closes the file. */
  async close(): Promise<OrcWriteResult> {
    if (this.closed) throw new OrcError(`${this.path}: writer already closed`);
    this.closed = true;
    try {
      await this.flushStripe();
      const contentLength = this.offset;
      // Metadata: per-stripe statistics.
      const meta = new ProtoWriter();
      for (const s of this.stripes) {
        const ss = new ProtoWriter();
        for (const st of s.stats) ss.message(1, st.proto());
        meta.message(1, ss);
      }
      const metaParts = this.compress(meta.finish());
      // Footer.
      // fieldNames are repeated strings on the root type: rebuild it with them.
      const root = new ProtoWriter().uint(1, KINDS.indexOf('struct')).packed(2, this.columns.map((c) => c.id));
      for (const c of this.columns) root.string(3, c.name);
      const types = [root];
      for (const c of this.columns) {
        const t = new ProtoWriter().uint(1, KINDS.indexOf(c.type.kind));
        if (c.type.kind === 'decimal') t.uint(5, c.type.precision).uint(6, c.type.scale ?? 0);
        if ((c.type.kind === 'varchar' || c.type.kind === 'char') && c.type.maxLength) t.uint(4, c.type.maxLength);
        types.push(t);
      }
      const footer = new ProtoWriter().uint(1, 3).uint(2, contentLength);
      for (const s of this.stripes) {
        footer.message(3, new ProtoWriter().uint(1, s.offset).uint(2, s.indexLength).uint(3, s.dataLength).uint(4, s.footerLength).uint(5, s.rows));
      }
      for (const t of types) footer.message(4, t);
      for (const [k, v] of Object.entries(this.opts.metadata ?? {})) footer.message(5, new ProtoWriter().string(1, k).bytesField(2, Buffer.from(v)));
      footer.uint(6, this.totalRows);
      footer.message(7, this.rootStats.proto());
      for (const c of this.columns) footer.message(7, c.fileStats.proto());
      footer.uint(8, ROW_INDEX_STRIDE);
      // Dates and timestamps are proleptic Gregorian (as Spark 3, Arrow and java.time count them),
      // so Java readers do not shift days before 1582-10-15.
      footer.uint(11, 2);
      const footerParts = this.compress(footer.finish());
      const metaLen = metaParts.reduce((a, b) => a + b.length, 0);
      const footerLen = footerParts.reduce((a, b) => a + b.length, 0);
      const ps = new ProtoWriter()
        .uint(1, footerLen)
        .uint(2, COMPRESSION_KIND[this.compression])
        .uint(3, this.blockSize)
        .packed(4, [0, 12])
        .uint(5, metaLen)
        .uint(6, 6)
        .string(8000, 'ORC')
        .finish();
      if (ps.length > 255) throw new OrcError('postscript longer than 255 bytes');
      await this.write([...metaParts, ...footerParts, ps, Buffer.from([ps.length])]);
      await this.fd.close();
      return { rows: this.totalRows, bytes: this.offset, stripes: this.stripes.length };
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Closes and removes the partial file. */
  async abort(): Promise<void> {
    this.closed = true;
    await this.fd.close().catch(() => undefined);
    await fs.promises.rm(this.path, { force: true });
  }
}

/** Writes all `rows` to `path` in one go. */
export async function writeOrcFile(path: string, fields: OrcField[], rows: Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]>, opts: OrcWriteOptions = {}): Promise<OrcWriteResult> {
  const w = await OrcWriter.open(path, fields, opts);
  try {
    let batch: (readonly unknown[])[] = [];
    for await (const r of rows as AsyncIterable<readonly unknown[]>) {
      batch.push(r);
      if (batch.length >= 4096) {
        await w.writeRows(batch);
        batch = [];
      }
    }
    await w.writeRows(batch);
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.close();
}
