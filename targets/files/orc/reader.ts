/**
 * Streaming ORC reader (file version 0.11/0.12): the file tail first (postscript, footer), then
 * one stripe at a time, decoded in batches of rows. Memory: one stripe's compressed bytes plus
 * one decompressed chunk per stream plus one batch of rows. Every length read from the file is
 * checked against the file before anything is allocated for it.
 *
 * Types → JS values in rows:
 * | ORC | value |
 * |---|---|
 * | boolean | boolean |
 * | tinyint, smallint, int | number |
 * | bigint | bigint |
 * | float, double | number |
 * | decimal(p,s) | exact decimal string at scale s, e.g. '-12.30' |
 * | string, varchar, char | string |
 * | binary | Buffer |
 * | date | 'YYYY-MM-DD' |
 * | timestamp | 'YYYY-MM-DD HH:MM:SS[.ffffff[fff]]', the wall-clock time in the writer's time zone |
 * | timestamp with local time zone | the same, in UTC |
 * | struct | object; list: array; map: object (keys as text) |
 * | union | not supported (a clear error naming the column) |
 */
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import { InStream, compressionFromKind, decompressAll, type OrcCompression } from './compression.js';
import { OrcError, inFile } from './errors.js';
import { ProtoMessage } from './proto.js';
import { AHEAD, ReadAhead, readWorkerFile } from './read-ahead.js';
import { BooleanDecoder, ByteRleDecoder, IntRleV2Decoder, readSignedVarintBig } from './rle.js';
import { ENCODING, KINDS, ORC_EPOCH, STREAM, decimalString, formatDate, formatTimestamp, typeName, type OrcType } from './types.js';
import type { LogicalType } from '../../target.js';

export type OrcRow = Record<string, unknown>;

export interface OrcStripe {
  offset: number;
  indexLength: number;
  dataLength: number;
  footerLength: number;
  rows: number;
}

export interface OrcFileInfo {
  path: string;
  bytes: number;
  compression: OrcCompression;
  blockSize: number;
  version: number[];
  writerVersion: number;
  rows: number;
  stripes: OrcStripe[];
  /** Every type by column id; [0] is the root. */
  types: OrcType[];
  /** Top-level columns (the root struct's fields). */
  fields: { name: string; type: OrcType }[];
  metadata: Record<string, string>;
  /** Rows per row group of the stripes' ROW_INDEX streams (0: no row index). */
  rowIndexStride: number;
}

export interface OrcColumn {
  name: string;
  type: Extract<LogicalType, 'string' | 'integer' | 'bigint' | 'double' | 'boolean' | 'date' | 'timestamp' | 'decimal'>;
  orcType: string;
  nullable: boolean;
  precision?: number;
  scale?: number;
}

export interface OrcReadOptions {
  /** Rows per yielded batch (default 10,000). */
  batchSize?: number;
  signal?: AbortSignal;
}

const MAX_TAIL = 64 * 1024 * 1024;
const MAX_BLOCK = 64 * 1024 * 1024;
const MAX_STRIPE = 1.5 * 1024 * 1024 * 1024;

async function readAt(fd: fs.promises.FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fd.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new OrcError(`file ends early (wanted ${len} bytes at ${pos})`);
    got += bytesRead;
  }
  return buf;
}

function parseType(m: ProtoMessage, id: number, count: number): OrcType {
  const kindNo = m.num(1) ?? 0;
  const kind = KINDS[kindNo];
  if (!kind) throw new OrcError(`corrupt footer: type ${id} has unknown kind ${kindNo}`);
  const t: OrcType = { kind, id };
  const subs = m.packed(2).map(Number);
  for (const s of subs) if (!(s > id && s < count)) throw new OrcError(`corrupt footer: type ${id} refers to type ${s}`);
  if (subs.length) t.children = subs.map((s) => ({ kind: 'boolean', id: s }));
  if (kind === 'struct') t.fieldNames = m.strings(3);
  const ml = m.num(4);
  if (ml !== undefined) t.maxLength = ml;
  if (kind === 'decimal') {
    t.precision = m.num(5) ?? 38;
    t.scale = m.num(6) ?? 18;
  }
  return t;
}

/** Reads and checks the file tail: postscript, footer, schema, stripe list. */
export async function openOrcFile(path: string): Promise<OrcFileInfo> {
  let fd: fs.promises.FileHandle;
  try {
    fd = await fs.promises.open(path, 'r');
  } catch (e) {
    throw new OrcError(`${path}: cannot open: ${(e as Error).message}`);
  }
  try {
    return await readTail(fd, path);
  } catch (e) {
    throw inFile(e, path);
  } finally {
    await fd.close();
  }
}

async function readTail(fd: fs.promises.FileHandle, path: string): Promise<OrcFileInfo> {
  const size = (await fd.stat()).size;
  if (size < 4) throw new OrcError(`not an ORC file: ${size} bytes is too small`);
  const head = await readAt(fd, 0, 3);
  if (head.toString('latin1') !== 'ORC') throw new OrcError(`not an ORC file (the first bytes are not the magic "ORC")`);
  const tailLen = Math.min(size, 16 * 1024);
  const tail = await readAt(fd, size - tailLen, tailLen);
  const psLen = tail[tail.length - 1]!;
  if (psLen === 0 || psLen + 1 > size - 3) throw new OrcError(`not a complete ORC file (postscript length ${psLen}; truncated?)`);
  const ps = ProtoMessage.parse(tail.subarray(tail.length - 1 - psLen, tail.length - 1), 'postscript (truncated file?)');
  const magic = ps.string(8000);
  if (magic !== undefined && magic !== 'ORC') throw new OrcError(`not a complete ORC file (no "ORC" in the postscript; truncated?)`);
  if (magic === undefined && !ps.has(1)) throw new OrcError('not a complete ORC file (no postscript; truncated?)');
  const footerLen = ps.num(1) ?? 0;
  const metaLen = ps.num(5) ?? 0;
  const compression = compressionFromKind(ps.num(2) ?? 0);
  const blockSize = ps.num(3) ?? 256 * 1024;
  if (compression !== 'none' && (blockSize < 1 || blockSize > MAX_BLOCK)) throw new OrcError(`corrupt postscript: compression block size ${blockSize}`);
  const version = ps.packed(4).map(Number);
  const writerVersion = ps.num(6) ?? 0;
  const tailBytes = footerLen + metaLen + psLen + 1;
  if (footerLen === 0 || tailBytes > size - 3) {
    throw new OrcError(`corrupt or truncated: the postscript claims a ${footerLen}-byte footer and ${metaLen} bytes of metadata, the file has ${size} bytes`);
  }
  if (footerLen > MAX_TAIL) throw new OrcError(`corrupt postscript: a ${footerLen}-byte footer is beyond what tx reads (${MAX_TAIL})`);
  const footerStart = size - 1 - psLen - footerLen;
  const footerRaw =
    footerStart >= size - tailLen ? tail.subarray(footerStart - (size - tailLen), footerStart - (size - tailLen) + footerLen) : await readAt(fd, footerStart, footerLen);
  const footer = ProtoMessage.parse(decompressAll(footerRaw, compression, blockSize, 4 * MAX_TAIL), 'footer');
  const rows = footer.num(6) ?? 0;
  const contentEnd = size - tailBytes;
  const stripes: OrcStripe[] = footer.messages(3, 'stripe information').map((s, i) => {
    const st = { offset: s.num(1) ?? 0, indexLength: s.num(2) ?? 0, dataLength: s.num(3) ?? 0, footerLength: s.num(4) ?? 0, rows: s.num(5) ?? 0 };
    const end = st.offset + st.indexLength + st.dataLength + st.footerLength;
    if (st.offset < 3 || end > contentEnd || st.footerLength === 0) {
      throw new OrcError(`corrupt footer: stripe ${i + 1} (bytes ${st.offset} to ${end}) lies outside the file's data (3 to ${contentEnd})`);
    }
    return st;
  });
  const total = stripes.reduce((a, s) => a + s.rows, 0);
  if (total !== rows) throw new OrcError(`corrupt footer: the stripes hold ${total} rows, the footer says ${rows}`);
  const typeMsgs = footer.messages(4, 'type');
  if (!typeMsgs.length) throw new OrcError('corrupt footer: no types');
  const flat = typeMsgs.map((m, i) => parseType(m, i, typeMsgs.length));
  const build = (id: number, depth: number): OrcType => {
    if (depth > 64) throw new OrcError('corrupt footer: types nested too deep');
    const t = flat[id]!;
    if (t.children) t.children = t.children.map((c) => build(c.id!, depth + 1));
    return t;
  };
  const root = build(0, 0);
  const fields =
    root.kind === 'struct'
      ? (root.children ?? []).map((t, i) => ({ name: root.fieldNames?.[i] ?? `_col${i}`, type: t }))
      : [{ name: 'value', type: root }];
  const check = (t: OrcType, col: string): void => {
    if (t.kind === 'decimal' && (t.precision! > 38 || t.precision! < 1 || t.scale! > t.precision!)) {
      throw new OrcError(`column ${col}: decimal(${t.precision},${t.scale}) is outside what ORC allows (precision 1 to 38, scale ≤ precision)`);
    }
    if (t.kind === 'union') throw new OrcError(`column ${col}: type ${typeName(t)} is not supported by tx's ORC reader yet`);
    if ((t.kind === 'list' && t.children?.length !== 1) || (t.kind === 'map' && t.children?.length !== 2)) throw new OrcError(`corrupt footer: column ${col} has a malformed ${t.kind} type`);
    for (const c of t.children ?? []) check(c, col);
  };
  for (const f of fields) check(f.type, f.name);
  const metadata: Record<string, string> = {};
  for (const m of footer.messages(5, 'user metadata')) metadata[m.string(1) ?? ''] = Buffer.from(m.bytes(2) ?? new Uint8Array()).toString('utf8');
  return { path, bytes: size, compression, blockSize, version, writerVersion, rows, stripes, types: flat, fields, metadata, rowIndexStride: footer.num(8) ?? 0 };
}

function logical(t: OrcType): Pick<OrcColumn, 'type' | 'precision' | 'scale'> {
  switch (t.kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'byte':
    case 'short':
    case 'int':
      return { type: 'integer' };
    case 'long':
      return { type: 'bigint' };
    case 'float':
    case 'double':
      return { type: 'double' };
    case 'decimal':
      return { type: 'decimal', precision: t.precision, scale: t.scale };
    case 'date':
      return { type: 'date' };
    case 'timestamp':
    case 'timestamp_instant':
      return { type: 'timestamp' };
    default:
      return { type: 'string' };
  }
}

/** Top-level columns of an ORC file mapped to tx's logical types (only the tail is read). */
export async function orcColumns(path: string): Promise<OrcColumn[]> {
  const info = await openOrcFile(path);
  return info.fields.map((f) => ({ name: f.name, orcType: typeName(f.type), nullable: true, ...logical(f.type) }));
}

// ---------------------------------------------------------------------------
// Column readers
// ---------------------------------------------------------------------------

interface StripeContext {
  streams: Map<string, Uint8Array>;
  encodings: { kind: number; dictionarySize: number }[];
  compression: OrcCompression;
  blockSize: number;
  timezone: string;
  stripeRows: number;
  /** ROW_INDEX streams by column (not decoded unless asked for). */
  indexes: Map<number, Uint8Array>;
  /** Uncompressed bytes to skip at the start of a stream (set when reading from a row group's positions). */
  skip?: Map<string, number>;
}

function stream(ctx: StripeContext, col: number, kind: number, name: string, required = true): InStream | undefined {
  const data = ctx.streams.get(`${col}:${kind}`);
  if (!data) {
    if (required) throw new OrcError(`corrupt stripe: column ${col} has no ${name} stream`);
    return undefined;
  }
  // Values are copied out of a chunk before the next is read, so chunks share one buffer.
  const s = new InStream(data, ctx.compression, ctx.blockSize, name, true);
  const skip = ctx.skip?.get(`${col}:${kind}`);
  if (skip) s.read(skip);
  return s;
}

const tzFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset (seconds) of a time zone from UTC at an instant. */
function tzOffset(tz: string, epochSeconds: number): number {
  let f = tzFormats.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    } catch {
      throw new OrcError(`the stripe's writer time zone ${JSON.stringify(tz)} is unknown`);
    }
    tzFormats.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(new Date(epochSeconds * 1000))) p[x.type] = x.value;
  let year = Number(p.year);
  if (p.era === 'BC' || p.era === 'B') year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  d.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second), 0);
  return Math.round(d.getTime() / 1000) - epochSeconds;
}

const UTC_NAMES = new Set(['', 'UTC', 'GMT', 'Z', 'Etc/UTC', 'Etc/GMT', 'Etc/UCT', 'UCT', 'Universal', 'Zulu', 'Etc/Universal', 'Etc/Zulu', 'GMT0', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0']);

abstract class ColumnReader {
  protected readonly present: BooleanDecoder | undefined;

  constructor(
    readonly type: OrcType,
    protected readonly ctx: StripeContext,
  ) {
    const p = stream(ctx, type.id!, STREAM.PRESENT, 'PRESENT', false);
    this.present = p ? new BooleanDecoder(p) : undefined;
    const enc = ctx.encodings[type.id!];
    if (!enc) throw new OrcError(`corrupt stripe footer: no encoding for column ${type.id}`);
  }

  protected encoding(): number {
    return this.ctx.encodings[this.type.id!]!.kind;
  }

  /** Skips the bits a row-group position names inside the first byte of boolean streams. */
  skipBits(bits: Map<string, number>): void {
    const p = bits.get(`${this.type.id}:${STREAM.PRESENT}`);
    if (p && this.present) for (let i = 0; i < p; i++) this.present.next();
  }

  protected requireV2(): void {
    const e = this.encoding();
    if (e === ENCODING.DIRECT || e === ENCODING.DICTIONARY) {
      throw new OrcError(`${typeName(this.type)} column written with RLE v1 (ORC 0.11, Hive 0.11): not supported by tx's ORC reader`);
    }
  }

  abstract value(): unknown;

  /** One batch of n rows as a vector: typed where the column allows it. */
  readVec(n: number): ColVec {
    const { present, k } = this.presentBits(n);
    return this.values(n, present, k);
  }

  /** The k present values of n rows (`present` absent: all are). Value by value unless overridden. */
  protected values(n: number, present: Uint8Array | undefined, k: number): ColVec {
    void k;
    const out = new Array<unknown>(n);
    if (present) for (let i = 0; i < n; i++) out[i] = present[i] ? this.value() : null;
    else for (let i = 0; i < n; i++) out[i] = this.value();
    return { vals: out };
  }

  /** One batch of n rows as values (rows' semantics: bigint for bigint columns, null for null). */
  read(n: number): unknown[] {
    return vecValues(this.readVec(n), n, this.type.kind === 'long');
  }

  /** Presence of n rows (absent: all present) and the count of present ones. */
  protected presentBits(n: number): { present: Uint8Array | undefined; k: number } {
    if (!this.present) return { present: undefined, k: n };
    const present = new Uint8Array(n);
    const k = this.present.readInto(present, n);
    return { present: k === n ? undefined : present, k };
  }

  /** Presence of n values and the count of non-null ones. */
  protected presence(n: number): { mask: Uint8Array | undefined; k: number } {
    const { present, k } = this.presentBits(n);
    return { mask: present, k };
  }
}

/**
 * A batch of one column. `nums`: numbers (a null row holds 0), with `big` holding the exact value
 * of any bigint column value beyond 2^53 by row; or `vals`: values, null for null. `present`
 * (1 = present) is absent when every row is.
 */
export interface ColVec {
  nums?: Float64Array;
  big?: Map<number, bigint>;
  vals?: unknown[];
  present?: Uint8Array;
}

/** A vector's values as rows carry them. */
function vecValues(v: ColVec, n: number, bigint: boolean): unknown[] {
  if (v.vals) return v.vals;
  const nums = v.nums!;
  const present = v.present;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    if (present && !present[i]) out[i] = null;
    else if (bigint) out[i] = v.big?.get(i) ?? BigInt(nums[i]!);
    else out[i] = nums[i]!;
  }
  return out;
}

/** Spreads k packed values over n rows by presence (in place, from the end). */
function scatter(nums: Float64Array, present: Uint8Array | undefined, n: number, k: number, big?: Map<number, bigint>): void {
  if (!present) return;
  let j = k - 1;
  const moved = big && big.size ? new Map<number, bigint>() : undefined;
  for (let i = n - 1; i >= 0; i--) {
    if (present[i]) {
      if (moved && big!.has(j)) moved.set(i, big!.get(j)!);
      nums[i] = nums[j--]!;
    } else nums[i] = 0;
  }
  if (moved) {
    big!.clear();
    for (const [i, x] of moved) big!.set(i, x);
  }
}

class BooleanReader extends ColumnReader {
  private readonly d = new BooleanDecoder(stream(this.ctx, this.type.id!, STREAM.DATA, 'DATA')!);
  value(): unknown {
    return this.d.next();
  }
  override skipBits(bits: Map<string, number>): void {
    super.skipBits(bits);
    const d = bits.get(`${this.type.id}:${STREAM.DATA}`);
    for (let i = 0; i < (d ?? 0); i++) this.d.next();
  }
}

class ByteReader extends ColumnReader {
  private readonly d = new ByteRleDecoder(stream(this.ctx, this.type.id!, STREAM.DATA, 'DATA')!);
  value(): unknown {
    const b = this.d.next();
    return b >= 128 ? b - 256 : b;
  }
}

class IntReader extends ColumnReader {
  private readonly d: IntRleV2Decoder;
  private readonly big: boolean;
  constructor(t: OrcType, ctx: StripeContext) {
    super(t, ctx);
    this.requireV2();
    this.d = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.DATA, 'DATA')!, true);
    this.big = t.kind === 'long';
  }
  value(): unknown {
    const v = this.d.next();
    if (this.big) return typeof v === 'bigint' ? v : BigInt(v);
    return Number(v);
  }
  protected override values(n: number, present: Uint8Array | undefined, k: number): ColVec {
    const nums = new Float64Array(n);
    const big = this.big ? new Map<number, bigint>() : undefined;
    this.d.readInto(nums, 0, k, big);
    scatter(nums, present, n, k, big);
    return { nums, big: big?.size ? big : undefined, present };
  }
}

class FloatReader extends ColumnReader {
  private readonly s = stream(this.ctx, this.type.id!, STREAM.DATA, 'DATA')!;
  private readonly width = this.type.kind === 'float' ? 4 : 8;
  value(): unknown {
    return this.width === 4 ? this.s.readFloat() : this.s.readDouble();
  }
  protected override values(n: number, present: Uint8Array | undefined, k: number): ColVec {
    const nums = new Float64Array(n);
    const w = this.width;
    const b = this.s.read(k * w);
    if (w === 8 && b.byteOffset % 8 === 0) nums.set(new Float64Array(b.buffer, b.byteOffset, k));
    else if (w === 4 && b.byteOffset % 4 === 0) nums.set(new Float32Array(b.buffer, b.byteOffset, k));
    else {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < k; i++) nums[i] = w === 8 ? dv.getFloat64(i * 8, true) : dv.getFloat32(i * 4, true);
    }
    scatter(nums, present, n, k);
    return { nums, present };
  }
}

class StringReader extends ColumnReader {
  private readonly dict: string[] | undefined;
  private readonly ids: IntRleV2Decoder | undefined;
  private readonly lengths: IntRleV2Decoder | undefined;
  private readonly data: InStream | undefined;
  private readonly binary: boolean;

  constructor(t: OrcType, ctx: StripeContext) {
    super(t, ctx);
    this.requireV2();
    this.binary = t.kind === 'binary';
    const enc = ctx.encodings[t.id!]!;
    if (enc.kind === ENCODING.DICTIONARY_V2) {
      const size = enc.dictionarySize;
      const lens = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.LENGTH, 'LENGTH')!, false);
      const dictData = stream(ctx, t.id!, STREAM.DICTIONARY_DATA, 'DICTIONARY_DATA', size > 0);
      if (size > Math.max(ctx.stripeRows, 1) * 64) throw new OrcError(`corrupt stripe: a dictionary of ${size} entries for ${ctx.stripeRows} rows`);
      const dict: string[] = [];
      for (let i = 0; i < size; i++) dict.push(dictData!.read(lens.nextCount()).toString('utf8'));
      this.dict = dict;
      this.ids = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.DATA, 'DATA')!, false);
    } else {
      this.lengths = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.LENGTH, 'LENGTH')!, false);
      this.data = stream(ctx, t.id!, STREAM.DATA, 'DATA')!;
    }
  }

  value(): unknown {
    if (this.dict) {
      const id = this.ids!.nextCount();
      const v = this.dict[id];
      if (v === undefined) throw new OrcError(`corrupt stripe: dictionary id ${id} beyond the dictionary's ${this.dict.length} entries`);
      return v;
    }
    const n = this.lengths!.nextCount();
    return this.binary ? Buffer.from(this.data!.read(n)) : this.data!.readUtf8(n);
  }

  protected override values(n: number, present: Uint8Array | undefined, k: number): ColVec {
    const out = new Array<unknown>(n);
    const idx = new Int32Array(k);
    if (this.dict) {
      this.ids!.readCounts(idx, 0, k);
      const dict = this.dict;
      let j = 0;
      for (let i = 0; i < n; i++) {
        if (present && !present[i]) {
          out[i] = null;
          continue;
        }
        const id = idx[j++]!;
        const v = dict[id];
        if (v === undefined) throw new OrcError(`corrupt stripe: dictionary id ${id} beyond the dictionary's ${dict.length} entries`);
        out[i] = v;
      }
      return { vals: out };
    }
    this.lengths!.readCounts(idx, 0, k);
    let total = 0;
    for (let j = 0; j < k; j++) total += idx[j]!;
    const b = this.data!.read(total);
    // ASCII (the common case): one string for the batch, values as its substrings.
    const text = !this.binary && isAscii(b) ? b.toString('latin1', 0, total) : undefined;
    let at = 0;
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (present && !present[i]) {
        out[i] = null;
        continue;
      }
      const len = idx[j++]!;
      out[i] = text !== undefined ? text.substring(at, at + len) : this.binary ? Buffer.from(b.subarray(at, at + len)) : b.toString('utf8', at, at + len);
      at += len;
    }
    return { vals: out };
  }
}

class DecimalReader extends ColumnReader {
  private readonly data = stream(this.ctx, this.type.id!, STREAM.DATA, 'DATA')!;
  private readonly scales: IntRleV2Decoder;
  constructor(t: OrcType, ctx: StripeContext) {
    super(t, ctx);
    this.requireV2();
    this.scales = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.SECONDARY, 'SECONDARY')!, true);
  }
  value(): unknown {
    let unscaled = readSignedVarintBig(this.data);
    let scale = Number(this.scales.next());
    const want = this.type.scale!;
    if (scale < want) {
      unscaled *= 10n ** BigInt(want - scale);
      scale = want;
    } else if (scale > want) {
      const f = 10n ** BigInt(scale - want);
      if (unscaled % f === 0n) {
        unscaled /= f;
        scale = want;
      }
    }
    if (scale < -100 || scale > 100) throw new OrcError(`corrupt stripe: decimal scale ${scale}`);
    return decimalString(unscaled, scale);
  }
}

class DateReader extends ColumnReader {
  private readonly d: IntRleV2Decoder;
  constructor(t: OrcType, ctx: StripeContext) {
    super(t, ctx);
    this.requireV2();
    this.d = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.DATA, 'DATA')!, true);
  }
  value(): unknown {
    const days = Number(this.d.next());
    if (Math.abs(days) > 100_000_000) throw new OrcError(`date ${days} days from 1970 is outside the range tx reads`);
    return formatDate(days);
  }
}

class TimestampReader extends ColumnReader {
  private readonly secs: IntRleV2Decoder;
  private readonly nanos: IntRleV2Decoder;
  private readonly tz: string | undefined;
  private readonly base: number;
  constructor(t: OrcType, ctx: StripeContext) {
    super(t, ctx);
    this.requireV2();
    this.secs = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.DATA, 'DATA')!, true);
    this.nanos = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.SECONDARY, 'SECONDARY')!, false);
    const tz = t.kind === 'timestamp' && !UTC_NAMES.has(ctx.timezone) ? ctx.timezone : undefined;
    this.tz = tz;
    // 2015-01-01 00:00:00 in the writer's time zone.
    this.base = tz ? ORC_EPOCH - tzOffset(tz, ORC_EPOCH) : ORC_EPOCH;
  }
  value(): unknown {
    const raw = this.secs.next();
    const enc = this.nanos.next();
    // The nanos stream holds int64s: writers that truncate seconds toward zero (Arrow's) store
    // negative nanos for times before 1970, which wrap to huge unsigned values.
    let nanos: number;
    if (typeof enc === 'bigint') {
      const sv = BigInt.asIntN(64, enc);
      const zeros = Number(BigInt.asUintN(3, sv));
      let n = sv >> 3n;
      if (zeros !== 0) n *= 10n ** BigInt(zeros + 1);
      nanos = Number(n);
    } else {
      const zeros = enc & 7;
      nanos = Math.floor(enc / 8);
      if (zeros !== 0) nanos *= 10 ** (zeros + 1);
    }
    if (typeof raw !== 'number' || Math.abs(raw) > 1e13 || nanos > 999_999_999 || nanos < -999_999_999) {
      throw new OrcError(`timestamp ${String(raw)} s (+${nanos} ns) from 2015 is outside the range tx reads`);
    }
    let secs = raw + this.base;
    if (secs < 0 && nanos > 999_999) secs -= 1;
    if (nanos < 0) {
      secs -= 1;
      nanos += 1_000_000_000;
    }
    if (this.tz) secs += tzOffset(this.tz, secs);
    return formatTimestamp(secs, nanos);
  }
}

/**
 * A function building one row object with fixed keys (an object literal, so every row shares one
 * hidden class: far faster to build and read than objects filled key by key). Duplicate names keep
 * the last value, as assignment would.
 */
function rowFactory(names: string[]): (cols: unknown[][], j: number) => Record<string, unknown> {
  const last = new Map<string, number>();
  names.forEach((n, i) => last.set(n, i));
  if (last.has('__proto__')) {
    return (cols, j) => {
      const o: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      names.forEach((n, c) => (o[n] = cols[c]![j]));
      return o;
    };
  }
  const body = [...last.entries()].map(([n, i]) => `${JSON.stringify(n)}: cols[${i}][j]`).join(', ');
  return new Function('cols', 'j', `return { ${body} };`) as (cols: unknown[][], j: number) => Record<string, unknown>;
}

class StructReader extends ColumnReader {
  readonly children: ColumnReader[];
  readonly names: string[];
  /** `only`: the fields to read (by index; readColumns gives the others no vector); all when absent. */
  constructor(
    t: OrcType,
    ctx: StripeContext,
    private readonly only?: ReadonlySet<number>,
  ) {
    super(t, ctx);
    // Fields left out get no reader (a dictionary is decoded when its reader is made).
    this.children = (t.children ?? []).map((c, i) => (only && !only.has(i) ? (undefined as unknown as ColumnReader) : columnReader(c, ctx)));
    this.names = (t.children ?? []).map((_, i) => t.fieldNames?.[i] ?? `_col${i}`);
    this.make = rowFactory(this.names);
  }
  private readonly make: (cols: unknown[][], j: number) => Record<string, unknown>;
  value(): unknown {
    return this.read(1)[0];
  }
  override readVec(n: number): ColVec {
    return { vals: this.read(n) };
  }
  /** n rows as one vector per field (a null struct row is null in every field). */
  readColumns(n: number, onChildError?: (name: string, e: unknown) => never): ColVec[] {
    const { mask, k } = this.presence(n);
    const out: ColVec[] = [];
    for (let c = 0; c < this.children.length; c++) {
      const child = this.children[c];
      if (!child) {
        out.push(undefined as unknown as ColVec);
        continue;
      }
      let v: ColVec;
      try {
        v = child.readVec(k);
      } catch (e) {
        if (onChildError) onChildError(this.names[c]!, e);
        throw e;
      }
      if (mask) {
        const packed = vecValues(v, k, child.type.kind === 'long');
        const vals = new Array<unknown>(n);
        let j = 0;
        for (let i = 0; i < n; i++) vals[i] = mask[i] ? packed[j++] : null;
        v = { vals };
      }
      out.push(v);
    }
    return out;
  }
  override read(n: number, onChildError?: (name: string, e: unknown) => never): unknown[] {
    if (this.only) throw new OrcError('internal error: rows read from a struct reader of some fields');
    const { mask, k } = this.presence(n);
    const cols: unknown[][] = [];
    for (let c = 0; c < this.children.length; c++) {
      try {
        cols.push(this.children[c]!.read(k));
      } catch (e) {
        if (onChildError) onChildError(this.names[c]!, e);
        throw e;
      }
    }
    const out = new Array<unknown>(n);
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) {
        out[i] = null;
        continue;
      }
      out[i] = this.make(cols, j);
      j++;
    }
    return out;
  }
}

class ListReader extends ColumnReader {
  private readonly lengths: IntRleV2Decoder;
  private readonly children: ColumnReader[];
  constructor(t: OrcType, ctx: StripeContext) {
    super(t, ctx);
    this.requireV2();
    this.lengths = new IntRleV2Decoder(stream(ctx, t.id!, STREAM.LENGTH, 'LENGTH')!, false);
    this.children = t.children!.map((c) => columnReader(c, ctx));
  }
  value(): unknown {
    return this.read(1)[0];
  }
  override readVec(n: number): ColVec {
    return { vals: this.read(n) };
  }
  override read(n: number): unknown[] {
    const { mask, k } = this.presence(n);
    const lens: number[] = [];
    let total = 0;
    for (let i = 0; i < k; i++) {
      const l = this.lengths.nextCount();
      lens.push(l);
      total += l;
      if (total > 1 << 27) throw new OrcError(`corrupt stripe: ${total} elements in one batch of lists`);
    }
    const vals = this.children.map((c) => c.read(total));
    const out = new Array<unknown>(n);
    let j = 0;
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) {
        out[i] = null;
        continue;
      }
      const l = lens[j++]!;
      if (this.type.kind === 'list') out[i] = vals[0]!.slice(pos, pos + l);
      else {
        const o: Record<string, unknown> = {};
        for (let x = pos; x < pos + l; x++) o[String(vals[0]![x])] = vals[1]![x];
        out[i] = o;
      }
      pos += l;
    }
    return out;
  }
}

function columnReader(t: OrcType, ctx: StripeContext): ColumnReader {
  switch (t.kind) {
    case 'boolean':
      return new BooleanReader(t, ctx);
    case 'byte':
      return new ByteReader(t, ctx);
    case 'short':
    case 'int':
    case 'long':
      return new IntReader(t, ctx);
    case 'float':
    case 'double':
      return new FloatReader(t, ctx);
    case 'string':
    case 'varchar':
    case 'char':
    case 'binary':
      return new StringReader(t, ctx);
    case 'decimal':
      return new DecimalReader(t, ctx);
    case 'date':
      return new DateReader(t, ctx);
    case 'timestamp':
    case 'timestamp_instant':
      return new TimestampReader(t, ctx);
    case 'struct':
      return new StructReader(t, ctx);
    case 'list':
    case 'map':
      return new ListReader(t, ctx);
    default:
      throw new OrcError(`type ${typeName(t)} is not supported by tx's ORC reader yet`);
  }
}

// ---------------------------------------------------------------------------
// Stripes and rows
// ---------------------------------------------------------------------------

function stripeContext(info: OrcFileInfo, stripe: OrcStripe, index: number, buf: Buffer): StripeContext {
  const what = `stripe ${index + 1}`;
  const footerRaw = buf.subarray(stripe.indexLength + stripe.dataLength);
  const footer = ProtoMessage.parse(decompressAll(footerRaw, info.compression, info.blockSize, MAX_TAIL), `${what} footer`);
  const streams = new Map<string, Uint8Array>();
  const indexes = new Map<number, Uint8Array>();
  let pos = 0;
  const limit = stripe.indexLength + stripe.dataLength;
  for (const s of footer.messages(1, `${what} stream`)) {
    const kind = s.num(1) ?? 0;
    const column = s.num(2) ?? 0;
    const length = s.num(3) ?? 0;
    if (pos + length > limit) {
      throw new OrcError(`corrupt ${what}: its streams' lengths add up to more than the stripe's ${limit} bytes (stream of column ${column} at ${pos} claims ${length} bytes)`);
    }
    if (kind === STREAM.ROW_INDEX) indexes.set(column, buf.subarray(pos, pos + length));
    else if (kind !== STREAM.BLOOM_FILTER && kind !== STREAM.BLOOM_FILTER_UTF8) streams.set(`${column}:${kind}`, buf.subarray(pos, pos + length));
    pos += length;
  }
  if (pos !== limit) throw new OrcError(`corrupt ${what}: its streams' lengths add up to ${pos} bytes, the stripe holds ${limit}`);
  const encodings = footer.messages(2, `${what} column encoding`).map((e) => ({ kind: e.num(1) ?? 0, dictionarySize: e.num(2) ?? 0 }));
  if (encodings.length < info.types.length) throw new OrcError(`corrupt ${what}: ${encodings.length} column encodings for ${info.types.length} columns`);
  return { streams, indexes, encodings, compression: info.compression, blockSize: info.blockSize, timezone: footer.string(3) ?? '', stripeRows: stripe.rows };
}

/** The root reader of each stripe with rows, in order. */
async function* stripeRoots(path: string, opts: OrcReadOptions, only?: ReadonlySet<number>, known?: OrcFileInfo): AsyncGenerator<{ root: ColumnReader; rows: number; info: OrcFileInfo }> {
  const info = known ?? (await openOrcFile(path));
  const fd = await fs.promises.open(path, 'r');
  try {
    for (let si = 0; si < info.stripes.length; si++) {
      const stripe = info.stripes[si]!;
      if (opts.signal?.aborted) throw new OrcError(`${path}: read cancelled`);
      if (stripe.rows === 0) continue;
      const len = stripe.indexLength + stripe.dataLength + stripe.footerLength;
      if (len > MAX_STRIPE) throw new OrcError(`${path}: stripe ${si + 1} is ${len} bytes, more than tx reads at once`);
      let root: ColumnReader;
      try {
        const buf = await readAt(fd, stripe.offset, len);
        const ctx = stripeContext(info, stripe, si, buf);
        root = only && info.types[0]!.kind === 'struct' ? new StructReader(info.types[0]!, ctx, only) : columnReader(info.types[0]!, ctx);
      } catch (e) {
        throw inFile(e, path);
      }
      yield { root, rows: stripe.rows, info };
    }
  } finally {
    await fd.close();
  }
}

/**
 * Streams the rows of an ORC file in batches of `batchSize` rows (objects keyed by the top-level
 * column names). Errors name the file (and the column when one is at fault).
 */
export async function* readOrcBatches(path: string, opts: OrcReadOptions = {}): AsyncGenerator<OrcRow[]> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 10_000));
  for await (const { root, rows } of stripeRoots(path, opts)) {
    let left = rows;
    while (left > 0) {
      const n = Math.min(batchSize, left);
      let out: unknown[];
      try {
        if (root instanceof StructReader) {
          out = root.read(n, (name, e) => {
            throw inFile(e, path, name);
          });
        } else out = root.read(n).map((v) => ({ value: v }));
      } catch (e) {
        throw inFile(e, path);
      }
      left -= n;
      yield out as OrcRow[];
    }
  }
}

/** One top-level column of a batch from `readOrcColumnBatches`. */
export interface OrcColumnVector {
  name: string;
  /** The ORC type's kind (`long`: nums hold bigint values as numbers, exact below 2^53; `big` holds the others). */
  kind: string;
  /**
   * Numeric columns (tinyint…bigint, float, double): `nums`, a null row holding 0, and `big` for
   * bigint values beyond 2^53. Others: `vals`, the values rows carry (null for null).
   */
  nums?: Float64Array;
  big?: Map<number, bigint>;
  vals?: unknown[];
  /** 1 = present; absent when every row of the batch is. */
  present?: Uint8Array;
}

/**
 * Batches of a file's top-level fields as vectors: `only` (field indexes) limits the fields read,
 * the others get no vector. Errors name the file and column.
 */
export async function* fieldBatches(path: string, opts: OrcReadOptions, only?: ReadonlySet<number>, known?: OrcFileInfo): AsyncGenerator<{ rows: number; vecs: ColVec[]; info: OrcFileInfo }> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 10_000));
  for await (const { root, rows, info } of stripeRoots(path, opts, only, known)) {
    let left = rows;
    while (left > 0) {
      const n = Math.min(batchSize, left);
      let vecs: ColVec[];
      try {
        if (root instanceof StructReader) {
          vecs = root.readColumns(n, (name, e) => {
            throw inFile(e, path, name);
          });
        } else vecs = [root.readVec(n)];
      } catch (e) {
        throw inFile(e, path);
      }
      left -= n;
      yield { rows: n, vecs, info };
    }
  }
}

/** Kinds a read worker decodes: numbers travel as Float64Arrays (moved, not copied). */
const NUMERIC = new Set(['byte', 'short', 'int', 'long', 'float', 'double']);

/**
 * Files smaller than this are read on one thread unless `threads` asks for more: below it a
 * worker's start (tens of milliseconds, and its code compiled afresh) cost more than it saved
 * (1M report rows, 17.6 MB: slower on two threads; 10M rows, 177 MB: about a sixth faster).
 */
const THREAD_MIN_BYTES = 64 << 20;

/**
 * The top-level fields a read worker decodes (the numeric ones), or undefined when the file is not
 * for two threads: a root that is not a struct, nothing left to either side, or (unless `forced`)
 * fewer than 100,000 rows.
 */
export function readAheadFields(info: OrcFileInfo, forced: boolean): number[] | undefined {
  if ((!forced && info.rows < 100_000) || info.types[0]!.kind !== 'struct') return undefined;
  const worker = info.fields.flatMap((f, i) => (NUMERIC.has(f.type.kind) ? [i] : []));
  return worker.length && worker.length < info.fields.length ? worker : undefined;
}

/**
 * Streams an ORC file in batches of `batchSize` rows as column vectors (no object per row): the
 * fast way to read every value. Errors name the file (and the column when one is at fault).
 *
 * A file of at least 64 MiB and 100,000 rows with numeric and other top-level columns is read on
 * two threads (`threads: 0` keeps one, `threads: 1` asks for the worker whatever the size): a
 * worker (read-worker.ts, started before the file's tail is read) decodes the numeric columns at
 * most 4 batches ahead while this thread decodes the others (and its own columns up to 4 batches
 * ahead while the worker's are not there yet).
 */
export async function* readOrcColumnBatches(path: string, opts: OrcReadOptions & { threads?: number } = {}): AsyncGenerator<{ rows: number; columns: OrcColumnVector[] }> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 10_000));
  let ahead: ReadAhead | undefined;
  let mine: AsyncIterator<{ rows: number; vecs: ColVec[] }> | undefined;
  try {
    const forced = (opts.threads ?? 0) > 0;
    if (opts.threads !== 0) {
      const file = readWorkerFile();
      const size = file && !forced ? await fs.promises.stat(path).then((st) => st.size, () => 0) : 0;
      if (file && (forced || size >= THREAD_MIN_BYTES)) ahead = new ReadAhead(file, path, batchSize, forced);
    }
    const info = await openOrcFile(path);
    const theirs = ahead ? readAheadFields(info, forced) : undefined;
    if (ahead && !theirs) {
      await ahead.close();
      ahead = undefined;
    }
    const named = (vecs: ColVec[]): OrcColumnVector[] => vecs.map((v, i) => ({ name: info.fields[i]!.name, kind: info.fields[i]!.type.kind, ...v }));
    const here = theirs ? new Set(info.fields.map((_, i) => i).filter((i) => !theirs.includes(i))) : undefined;
    if (!ahead || !theirs) {
      for await (const { rows, vecs } of fieldBatches(path, opts, here, info)) yield { rows, columns: named(vecs) };
      return;
    }
    // While the worker's next batch is not there yet, this thread decodes its own columns ahead
    // (at most AHEAD batches) instead of waiting.
    mine = fieldBatches(path, opts, here, info)[Symbol.asyncIterator]();
    const pending: { rows: number; vecs: ColVec[] }[] = [];
    let ended = false;
    for (;;) {
      while (!ended && (pending.length === 0 || (!ahead.ready() && pending.length < AHEAD))) {
        const r = await mine.next();
        if (r.done) ended = true;
        else pending.push(r.value);
      }
      const own = pending.shift();
      if (!own) break;
      const b = await ahead.next();
      if (!b || b.rows !== own.rows || b.vecs.length !== theirs.length) throw new OrcError(`${path}: internal error: the read worker's batch of ${b?.rows ?? 0} rows, ${own.rows} expected`);
      const vecs = own.vecs;
      theirs.forEach((c, j) => (vecs[c] = b.vecs[j]!));
      yield { rows: own.rows, columns: named(vecs) };
    }
    if (await ahead.next()) throw new OrcError(`${path}: internal error: the read worker has rows beyond the file's`);
  } finally {
    // An early stop: this thread's stripe reader closes its file, the worker stops.
    await mine?.return?.();
    await ahead?.close();
  }
}

/** One row group's entry in a column's ROW_INDEX. */
export interface OrcRowIndexEntry {
  positions: number[];
  /** Values in the group (statistics' count) and whether it has nulls. */
  count: number;
  hasNull: boolean;
}

async function stripeAt(path: string, stripeNo: number): Promise<{ info: OrcFileInfo; ctx: StripeContext }> {
  const info = await openOrcFile(path);
  const stripe = info.stripes[stripeNo];
  if (!stripe) throw new OrcError(`${path}: no stripe ${stripeNo + 1} (the file has ${info.stripes.length})`);
  const fd = await fs.promises.open(path, 'r');
  try {
    const len = stripe.indexLength + stripe.dataLength + stripe.footerLength;
    if (len > MAX_STRIPE) throw new OrcError(`${path}: stripe ${stripeNo + 1} is ${len} bytes, more than tx reads at once`);
    const buf = await readAt(fd, stripe.offset, len);
    return { info, ctx: stripeContext(info, stripe, stripeNo, buf) };
  } catch (e) {
    throw inFile(e, path);
  } finally {
    await fd.close();
  }
}

function rowIndex(ctx: StripeContext, column: number): OrcRowIndexEntry[] {
  const data = ctx.indexes.get(column);
  if (!data) return [];
  const msg = ProtoMessage.parse(decompressAll(data, ctx.compression, ctx.blockSize, MAX_TAIL), `column ${column} row index`);
  return msg.messages(1, 'row index entry').map((e) => {
    const st = e.message(2, 'row group statistics');
    return { positions: e.packed(1).map(Number), count: st?.num(1) ?? 0, hasNull: st?.num(10) === 1 };
  });
}

/** The ROW_INDEX of every column (by column id; [0] is the root) of stripe `stripeNo` (from 0). */
export async function readOrcRowIndex(path: string, stripeNo: number): Promise<OrcRowIndexEntry[][]> {
  const { info, ctx } = await stripeAt(path, stripeNo);
  try {
    return info.types.map((_, id) => rowIndex(ctx, id));
  } catch (e) {
    throw inFile(e, path);
  }
}

/** The streams of a primitive column in the order of its row-index positions, and how many values each position's tail holds. */
function positionStreams(t: OrcType, dictionary: boolean): [number, number][] {
  switch (t.kind) {
    case 'boolean':
      return [[STREAM.DATA, 2]];
    case 'float':
    case 'double':
      return [[STREAM.DATA, 0]];
    case 'string':
    case 'varchar':
    case 'char':
      return dictionary ? [[STREAM.DATA, 1]] : [[STREAM.DATA, 0], [STREAM.LENGTH, 1]];
    case 'binary':
      return [[STREAM.DATA, 0], [STREAM.LENGTH, 1]];
    case 'decimal':
      return [[STREAM.DATA, 0], [STREAM.SECONDARY, 1]];
    case 'timestamp':
    case 'timestamp_instant':
      return [[STREAM.DATA, 1], [STREAM.SECONDARY, 1]];
    case 'byte':
    case 'short':
    case 'int':
    case 'long':
    case 'date':
      return [[STREAM.DATA, 1]];
    default:
      throw new OrcError(`column type ${typeName(t)}: row groups of nested columns are not read by position`);
  }
}

/**
 * The rows of one row group (`group` from 0) of stripe `stripeNo`, read from where the stripe's
 * ROW_INDEX says the group starts in each stream (not from the stripe's start). Flat schemas;
 * positions inside a run of values (which tx's writer never records) are refused.
 */
export async function readOrcRowGroup(path: string, stripeNo: number, group: number): Promise<OrcRow[]> {
  const { info, ctx } = await stripeAt(path, stripeNo);
  try {
    const stride = info.rowIndexStride;
    const rows = info.stripes[stripeNo]!.rows;
    if (!stride) throw new OrcError('the file has no row index');
    if (group < 0 || group * stride >= rows) throw new OrcError(`stripe ${stripeNo + 1} has no row group ${group}`);
    const n = Math.min(stride, rows - group * stride);
    const compressed = info.compression !== 'none';
    const streams = new Map<string, Uint8Array>();
    const skip = new Map<string, number>();
    const bitSkips = new Map<string, number>();
    for (const t of info.types.slice(1)) {
      const entry = rowIndex(ctx, t.id!)[group];
      if (!entry) throw new OrcError(`column ${t.id}: no row index entry for group ${group}`);
      const pos = entry.positions;
      let at = 0;
      const take = (kind: number, tail: number): void => {
        const key = `${t.id}:${kind}`;
        const data = ctx.streams.get(key);
        const co = compressed ? pos[at++]! : 0;
        const uo = pos[at++]!;
        const rest = pos.slice(at, at + tail);
        at += tail;
        if (data === undefined) return;
        if (co > data.length) throw new OrcError(`column ${t.id}: row group ${group} starts past its stream`);
        streams.set(key, data.subarray(co));
        skip.set(key, uo);
        // Byte-RLE / integer-RLE values into a run: tx's writer starts every group on a run.
        if (rest[0]) throw new OrcError(`column ${t.id}: row group ${group} starts ${rest[0]} values into a run, which tx does not seek`);
        if (tail === 2) bitSkips.set(key, rest[1] ?? 0);
      };
      if (ctx.streams.has(`${t.id}:${STREAM.PRESENT}`)) take(STREAM.PRESENT, 2);
      const enc = ctx.encodings[t.id!]!.kind;
      for (const [kind, tail] of positionStreams(t, enc === ENCODING.DICTIONARY_V2 || enc === ENCODING.DICTIONARY)) take(kind, tail);
      // Dictionaries are read whole.
      for (const kind of [STREAM.DICTIONARY_DATA, STREAM.LENGTH]) {
        const key = `${t.id}:${kind}`;
        if (!streams.has(key) && ctx.streams.has(key)) streams.set(key, ctx.streams.get(key)!);
      }
    }
    const positioned: StripeContext = { ...ctx, streams, skip };
    const root = columnReader(info.types[0]!, positioned);
    if (!(root instanceof StructReader)) throw new OrcError('row groups are read for files whose root is a struct');
    for (const child of root.children) child.skipBits(bitSkips);
    return root.read(n) as OrcRow[];
  } catch (e) {
    throw inFile(e, path);
  }
}

/** Every row of a (small) ORC file. */
export async function readOrcFile(path: string): Promise<OrcRow[]> {
  const out: OrcRow[] = [];
  for await (const b of readOrcBatches(path)) for (const r of b) out.push(r);
  return out;
}
