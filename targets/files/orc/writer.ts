/**
 * Streaming ORC writer (file version 0.12): rows in, one stripe buffered at a time.
 *
 * Each column encodes its values as they arrive (RLE v2 for integers, lengths and dates,
 * byte/boolean RLE, IEEE floats, DIRECT_V2 or DICTIONARY_V2 strings chosen per stripe, decimals
 * as zigzag varints with their scale, timestamps as seconds since 2015-01-01 UTC plus nanos with
 * ORC's trailing-zero encoding). When the encoded size of the buffered stripe passes
 * `stripeSizeBytes`, the stripe is compressed (NONE, ZLIB or SNAPPY, 3-byte chunk headers) and
 * written, so memory is bounded by one stripe. The writer time zone is UTC. No row index is
 * written (rowIndexStride 0, which every reader accepts: they then read whole stripes).
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
import { COMPRESSION_KIND, compressStream, type OrcCompression } from './compression.js';
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

interface Stream {
  kind: number;
  data: Buffer;
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

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
  // string
  sMin: string | undefined;
  sMax: string | undefined;
  minAscii = false;
  maxAscii = false;
  bytes = 0;
  trues = 0;

  constructor(readonly kind: 'int' | 'double' | 'string' | 'date' | 'boolean' | 'binary' | 'none') {}

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

  addDouble(v: number): void {
    this.count++;
    if (Number.isNaN(v)) this.nan = true;
    else {
      if (this.min === undefined || v < this.min) this.min = v;
      if (this.max === undefined || v > this.max) this.max = v;
      this.dSum += v;
    }
  }

  addString(v: string, bytes: number): void {
    this.count++;
    this.bytes += bytes;
    // ASCII (as many bytes as characters) compares the same in UTF-16 and UTF-8 order.
    const ascii = bytes === v.length;
    if (this.sMin === undefined) {
      this.sMin = v;
      this.sMax = v;
      this.minAscii = this.maxAscii = ascii;
      return;
    }
    if (ascii && this.minAscii ? v < this.sMin : utf8Less(v, this.sMin)) {
      this.sMin = v;
      this.minAscii = ascii;
    }
    if (ascii && this.maxAscii ? v > this.sMax! : utf8Less(this.sMax!, v)) {
      this.sMax = v;
      this.maxAscii = ascii;
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
    if (o.sMin !== undefined && (this.sMin === undefined || utf8Less(o.sMin, this.sMin))) this.sMin = o.sMin;
    if (o.sMax !== undefined && (this.sMax === undefined || utf8Less(this.sMax, o.sMax))) this.sMax = o.sMax;
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
        p.message(4, new ProtoWriter().string(1, this.sMin).string(2, this.sMax).sint(3, this.bytes));
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

/** a < b in UTF-8 byte order (what Java and C++ readers compare). */
function utf8Less(a: string, b: string): boolean {
  if (/[\ud800-\uffff]/.test(a) || /[\ud800-\uffff]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  return a < b;
}

// ---------------------------------------------------------------------------
// Column writers
// ---------------------------------------------------------------------------

abstract class ColumnWriter {
  readonly presentSink = new ByteSink();
  readonly present = new BooleanEncoder(this.presentSink);
  stripeStats: Stats;
  readonly fileStats: Stats;
  protected nulls = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly type: OrcType,
    statsKind: ConstructorParameters<typeof Stats>[0],
  ) {
    this.stripeStats = new Stats(statsKind);
    this.fileStats = new Stats(statsKind);
  }

  add(v: unknown): void {
    if (v === null || v === undefined) {
      this.present.add(false);
      this.nulls++;
      this.stripeStats.hasNull = true;
      return;
    }
    this.present.add(true);
    this.value(v);
  }

  protected abstract value(v: unknown): void;
  /** Encoded bytes buffered for this stripe. */
  abstract size(): number;
  protected abstract dataStreams(): Stream[];

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
    if (this.nulls > 0) out.push({ kind: STREAM.PRESENT, data: present });
    out.push(...this.dataStreams());
    this.nulls = 0;
    return out;
  }

  /** This stripe's statistics; folds them into the file's. */
  takeStats(kind: ConstructorParameters<typeof Stats>[0]): Stats {
    const s = this.stripeStats;
    this.fileStats.merge(s);
    this.stripeStats = new Stats(kind);
    return s;
  }

  protected bad(v: unknown, why: string): never {
    const shown = typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : typeof v === 'bigint' ? `${v}` : String(v);
    throw new OrcError(`column ${this.name} (${typeName(this.type)}): ${shown} ${why}`);
  }
}

class BooleanWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private readonly enc = new BooleanEncoder(this.sink);
  protected value(v: unknown): void {
    if (typeof v !== 'boolean') this.bad(v, 'is not a boolean');
    this.enc.add(v);
    this.stripeStats.count++;
    if (v) this.stripeStats.trues++;
  }
  size(): number {
    return this.sink.len + this.presentSink.len;
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    return [{ kind: STREAM.DATA, data: this.sink.take() }];
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
  protected value(v: unknown): void {
    const n = Number(toInteger(this as never, v, 'byte'));
    this.enc.add(n);
    this.stripeStats.addInt(n);
  }
  size(): number {
    return this.sink.len + this.presentSink.len;
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    return [{ kind: STREAM.DATA, data: this.sink.take() }];
  }
}

class IntWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private readonly enc = new IntRleV2Encoder(this.sink, true);
  protected value(v: unknown): void {
    const n = toInteger(this as never, v, this.type.kind);
    this.enc.add(n);
    this.stripeStats.addInt(n);
  }
  size(): number {
    return this.sink.len + this.presentSink.len + 8;
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    return [{ kind: STREAM.DATA, data: this.sink.take() }];
  }
}

class DateWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  private readonly enc = new IntRleV2Encoder(this.sink, true);
  protected value(v: unknown): void {
    let days: number | null;
    if (typeof v === 'string') days = parseDate(v);
    else if (v instanceof Date) days = Number.isNaN(v.getTime()) ? null : Math.floor(v.getTime() / 86_400_000);
    else if (v && typeof v === 'object' && typeof (v as { days?: unknown }).days === 'number') days = (v as { days: number }).days;
    else days = null;
    if (days === null || !Number.isInteger(days)) this.bad(v, 'is not a date');
    if (days < MIN_DAYS || days > MAX_DAYS) this.bad(v, 'is outside the date range ORC readers share (0001-01-01 to 9999-12-31)');
    this.enc.add(days);
    this.stripeStats.addInt(days);
  }
  size(): number {
    return this.sink.len + this.presentSink.len + 8;
  }
  protected dataStreams(): Stream[] {
    this.enc.finish();
    return [{ kind: STREAM.DATA, data: this.sink.take() }];
  }
}

class FloatWriter extends ColumnWriter {
  private readonly sink = new ByteSink();
  protected value(v: unknown): void {
    if (typeof v !== 'number') this.bad(v, 'is not a number');
    const width = this.type.kind === 'float' ? 4 : 8;
    this.sink.ensure(width);
    if (width === 4) this.sink.buf.writeFloatLE(v, this.sink.len);
    else this.sink.buf.writeDoubleLE(v, this.sink.len);
    this.sink.len += width;
    this.stripeStats.addDouble(width === 4 ? Math.fround(v) : v);
  }
  size(): number {
    return this.sink.len + this.presentSink.len;
  }
  protected dataStreams(): Stream[] {
    return [{ kind: STREAM.DATA, data: this.sink.take() }];
  }
}

/** Strings: DIRECT_V2 or, when values repeat enough within the stripe, DICTIONARY_V2. */
class StringWriter extends ColumnWriter {
  private readonly data = new ByteSink();
  private lengths: number[] = [];
  private dict: Map<string, number> | undefined = new Map();
  private ids: number[] = [];
  private dictEntries: string[] = [];
  private mode = ENCODING.DIRECT_V2 as number;
  private dictSize = 0;

  protected value(v: unknown): void {
    if (typeof v !== 'string') this.bad(v, 'is not a string');
    const n = this.data.utf8(v);
    this.lengths.push(n);
    this.stripeStats.addString(v, n);
    const dict = this.dict;
    if (dict) {
      let id = dict.get(v);
      if (id === undefined) {
        id = dict.size;
        dict.set(v, id);
        this.dictEntries.push(v);
        // Give up on the dictionary once most values are distinct.
        if (dict.size > 4096 && dict.size > this.lengths.length * 0.6) {
          this.dict = undefined;
          this.ids = [];
          this.dictEntries = [];
          return;
        }
      }
      this.ids.push(id);
    }
  }

  size(): number {
    return this.data.len + this.lengths.length * 2 + this.presentSink.len;
  }

  override encoding(): { kind: number; dictionarySize?: number } {
    return this.mode === ENCODING.DICTIONARY_V2 ? { kind: this.mode, dictionarySize: this.dictSize } : { kind: this.mode };
  }

  protected dataStreams(): Stream[] {
    const dict = this.dict;
    const useDict = dict !== undefined && this.lengths.length > 0 && dict.size <= this.lengths.length * 0.8;
    let out: Stream[];
    if (useDict) {
      const idSink = new ByteSink();
      const idEnc = new IntRleV2Encoder(idSink, false);
      for (const id of this.ids) idEnc.add(id);
      idEnc.finish();
      const dictData = new ByteSink();
      const lenSink = new ByteSink();
      const lenEnc = new IntRleV2Encoder(lenSink, false);
      for (const e of this.dictEntries) lenEnc.add(dictData.utf8(e));
      lenEnc.finish();
      out = [
        { kind: STREAM.DATA, data: idSink.take() },
        { kind: STREAM.DICTIONARY_DATA, data: dictData.take() },
        { kind: STREAM.LENGTH, data: lenSink.take() },
      ];
      this.mode = ENCODING.DICTIONARY_V2;
      this.dictSize = dict.size;
      this.data.take();
    } else {
      const lenSink = new ByteSink();
      const lenEnc = new IntRleV2Encoder(lenSink, false);
      for (const n of this.lengths) lenEnc.add(n);
      lenEnc.finish();
      out = [
        { kind: STREAM.DATA, data: this.data.take() },
        { kind: STREAM.LENGTH, data: lenSink.take() },
      ];
      this.mode = ENCODING.DIRECT_V2;
    }
    this.lengths = [];
    this.ids = [];
    this.dictEntries = [];
    this.dict = new Map();
    return out;
  }
}

class BinaryWriter extends ColumnWriter {
  private readonly data = new ByteSink();
  private readonly lenSink = new ByteSink();
  private readonly lens = new IntRleV2Encoder(this.lenSink, false);
  protected value(v: unknown): void {
    if (!(v instanceof Uint8Array)) this.bad(v, 'is not binary (Uint8Array)');
    this.data.bytes(v);
    this.lens.add(v.length);
    this.stripeStats.count++;
    this.stripeStats.bytes += v.length;
  }
  size(): number {
    return this.data.len + this.lenSink.len + this.presentSink.len;
  }
  protected dataStreams(): Stream[] {
    this.lens.finish();
    return [
      { kind: STREAM.DATA, data: this.data.take() },
      { kind: STREAM.LENGTH, data: this.lenSink.take() },
    ];
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
    this.stripeStats.count++;
  }
  size(): number {
    return this.data.len + this.scaleSink.len + this.presentSink.len;
  }
  protected dataStreams(): Stream[] {
    this.scales.finish();
    return [
      { kind: STREAM.DATA, data: this.data.take() },
      { kind: STREAM.SECONDARY, data: this.scaleSink.take() },
    ];
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
    this.stripeStats.count++;
  }
  size(): number {
    return this.secSink.len + this.nanoSink.len + this.presentSink.len + 16;
  }
  protected dataStreams(): Stream[] {
    this.secs.finish();
    this.nanos.finish();
    return [
      { kind: STREAM.DATA, data: this.secSink.take() },
      { kind: STREAM.SECONDARY, data: this.nanoSink.take() },
    ];
  }
}

const STATS_KIND: Partial<Record<string, ConstructorParameters<typeof Stats>[0]>> = {
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

  /** Adds rows (arrays of values in column order); writes a stripe whenever one is full. */
  async writeRows(rows: readonly (readonly unknown[])[]): Promise<void> {
    const cols = this.columns;
    const n = cols.length;
    for (const row of rows) {
      let i = 0;
      try {
        for (; i < n; i++) cols[i]!.add(row[i]);
      } catch (e) {
        throw new OrcError(`${this.path}: row ${this.totalRows + 1}: ${(e as Error).message}`, { cause: e });
      }
      this.stripeRows++;
      this.totalRows++;
      if ((this.stripeRows & 1023) === 0 && this.bufferedBytes() >= this.stripeSize) await this.flushStripe();
    }
  }

  /** Adds `rowCount` rows given column by column (each array in column order); a stripe is written when full. */
  async writeColumns(columns: readonly (readonly unknown[])[], rowCount: number): Promise<void> {
    const cols = this.columns;
    if (columns.length !== cols.length) throw new OrcError(`${this.path}: ${columns.length} columns given, the file has ${cols.length}`);
    for (let c = 0; c < cols.length; c++) {
      const w = cols[c]!;
      const values = columns[c]!;
      let r = 0;
      try {
        for (; r < rowCount; r++) w.add(values[r]);
      } catch (e) {
        throw new OrcError(`${this.path}: row ${this.totalRows + r + 1}: ${(e as Error).message}`, { cause: e });
      }
    }
    this.stripeRows += rowCount;
    this.totalRows += rowCount;
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

  private compress(data: Buffer): Buffer[] {
    return compressStream(data, this.compression, this.blockSize);
  }

  private async flushStripe(): Promise<void> {
    if (this.stripeRows === 0) return;
    const footer = new ProtoWriter();
    const body: Buffer[] = [];
    let dataLength = 0;
    // Root struct: no streams.
    const encodings: ProtoWriter[] = [new ProtoWriter().uint(1, ENCODING.DIRECT)];
    const stats: Stats[] = [];
    const rootStripe = new Stats('none');
    rootStripe.count = this.stripeRows;
    stats.push(rootStripe);
    this.rootStats.count += this.stripeRows;
    for (const c of this.columns) {
      for (const s of c.streams()) {
        const parts = this.compress(s.data);
        let len = 0;
        for (const p of parts) len += p.length;
        body.push(...parts);
        dataLength += len;
        footer.message(1, new ProtoWriter().uint(1, s.kind).uint(2, c.id).uint(3, len));
      }
      const enc = c.encoding();
      encodings.push(new ProtoWriter().uint(1, enc.kind).uint(2, enc.dictionarySize));
      stats.push(c.takeStats(STATS_KIND[c.type.kind] ?? 'none'));
    }
    for (const e of encodings) footer.message(2, e);
    footer.string(3, 'UTC');
    const footerParts = this.compress(footer.finish());
    let footerLength = 0;
    for (const p of footerParts) footerLength += p.length;
    const offset = this.offset;
    await this.write([...body, ...footerParts]);
    this.stripes.push({ offset, indexLength: 0, dataLength, footerLength, rows: this.stripeRows, stats });
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
      footer.uint(8, 0);
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
