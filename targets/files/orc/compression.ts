/**
 * ORC's compression framing: a stream is cut into chunks of at most `blockSize` uncompressed
 * bytes; each chunk has a 3-byte little-endian header `length << 1 | isOriginal` and holds either
 * the compressed bytes or, when compressing did not help, the original bytes.
 * ZLIB is raw deflate (node:zlib); SNAPPY is snappy.ts. Decompression is chunk by chunk and each
 * chunk is capped at `blockSize` bytes, so a hostile file cannot make the reader allocate more.
 */
import zlib from 'node:zlib';
import { OrcError } from './errors.js';
import { snappyCompress, snappyDecompress } from './snappy.js';

export type OrcCompression = 'none' | 'zlib' | 'snappy';

/** Postscript CompressionKind values. */
export const COMPRESSION_KIND: Record<OrcCompression, number> = { none: 0, zlib: 1, snappy: 2 };
export const COMPRESSION_NAMES = ['NONE', 'ZLIB', 'SNAPPY', 'LZO', 'LZ4', 'ZSTD', 'BROTLI'];

export function compressionFromKind(kind: number): OrcCompression {
  if (kind === 0) return 'none';
  if (kind === 1) return 'zlib';
  if (kind === 2) return 'snappy';
  const name = COMPRESSION_NAMES[kind];
  throw new OrcError(name ? `compression ${name} is not supported (tx reads NONE, ZLIB and SNAPPY)` : `unknown compression kind ${kind}`);
}

/** ZLIB settings per stream: deflate's level and strategy. */
export interface ZlibSettings {
  level: number;
  strategy: number;
}

/** Deflate's default (level 6): file tails and stripe footers, as ORC's Java writer keeps them. */
export const ZLIB_DEFAULT: ZlibSettings = { level: 6, strategy: zlib.constants.Z_DEFAULT_STRATEGY };

/**
 * What ORC's Java writer uses under its default compression strategy (SPEED) for a stream kind:
 * DATA and DICTIONARY_DATA at level 2; LENGTH, PRESENT, SECONDARY and ROW_INDEX (small integers,
 * easily compressed) at level 1, FILTERED.
 */
export function zlibForStream(kind: number): ZlibSettings {
  // 1 DATA, 3 DICTIONARY_DATA, 7 and 8 bloom filters.
  if (kind === 1 || kind === 3 || kind === 7 || kind === 8) return { level: 2, strategy: zlib.constants.Z_DEFAULT_STRATEGY };
  return { level: 1, strategy: zlib.constants.Z_FILTERED };
}

/** Frame (and compress) a whole stream. */
export function compressStream(data: Uint8Array, codec: OrcCompression, blockSize: number, settings: ZlibSettings = ZLIB_DEFAULT): Buffer[] {
  if (codec === 'none') return [Buffer.from(data.buffer, data.byteOffset, data.length)];
  const out: Buffer[] = [];
  for (let start = 0; start < data.length; start += blockSize) {
    const chunk = data.subarray(start, Math.min(data.length, start + blockSize));
    const packed = codec === 'zlib' ? zlib.deflateRawSync(chunk, settings) : snappyCompress(chunk);
    const original = packed.length >= chunk.length;
    const body = original ? chunk : packed;
    const header = Buffer.alloc(3);
    const h = body.length * 2 + (original ? 1 : 0);
    header[0] = h & 0xff;
    header[1] = (h >>> 8) & 0xff;
    header[2] = (h >>> 16) & 0xff;
    out.push(header, Buffer.from(body.buffer, body.byteOffset, body.length));
  }
  return out;
}

/** Decompress a whole (small) framed buffer: file tail and stripe footers. */
export function decompressAll(data: Uint8Array, codec: OrcCompression, blockSize: number, maxBytes: number): Buffer {
  if (codec === 'none') return Buffer.from(data.buffer, data.byteOffset, data.length);
  const s = new InStream(data, codec, blockSize, 'footer');
  const parts: Buffer[] = [];
  let total = 0;
  for (let c = s.nextChunk(); c; c = s.nextChunk()) {
    total += c.length;
    if (total > maxBytes) throw new OrcError(`corrupt file tail: decompresses to more than ${maxBytes} bytes`);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

/**
 * A stream being read: compressed bytes in, decompressed chunks out on demand.
 * `readByte`/`read` throw a clear error at the end of the stream.
 */
export class InStream {
  private pos = 0;
  private cur: Buffer = Buffer.alloc(0);
  private curPos = 0;

  /** With `reuse`, snappy chunks decompress into one buffer, overwritten by the next chunk. */
  private scratch: Uint8Array | undefined;

  constructor(
    private readonly data: Uint8Array,
    private readonly codec: OrcCompression,
    private readonly blockSize: number,
    readonly name: string,
    reuse = false,
  ) {
    if (reuse && codec === 'snappy') this.scratch = new Uint8Array(Math.min(blockSize, 1 << 20));
  }

  /** The next decompressed chunk, or null at the end. */
  nextChunk(): Buffer | null {
    const d = this.data;
    if (this.pos >= d.length) return null;
    if (this.codec === 'none') {
      const b = Buffer.from(d.buffer, d.byteOffset, d.length);
      this.pos = d.length;
      return b;
    }
    if (this.pos + 3 > d.length) throw new OrcError(`corrupt ${this.name} stream: truncated chunk header`);
    const h = d[this.pos]! | (d[this.pos + 1]! << 8) | (d[this.pos + 2]! << 16);
    this.pos += 3;
    const len = h >>> 1;
    const original = (h & 1) === 1;
    if (this.pos + len > d.length) throw new OrcError(`corrupt ${this.name} stream: chunk of ${len} bytes runs past the stream's end`);
    const body = d.subarray(this.pos, this.pos + len);
    this.pos += len;
    if (original) {
      if (len > this.blockSize) throw new OrcError(`corrupt ${this.name} stream: chunk larger than the compression block size`);
      return Buffer.from(body.buffer, body.byteOffset, body.length);
    }
    if (this.codec === 'zlib') {
      try {
        return zlib.inflateRawSync(body, { maxOutputLength: this.blockSize });
      } catch (e) {
        throw new OrcError(`corrupt ${this.name} stream: zlib: ${(e as Error).message}`);
      }
    }
    const out = snappyDecompress(body, this.blockSize, this.scratch);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  }

  private fill(): boolean {
    while (this.curPos >= this.cur.length) {
      const c = this.nextChunk();
      if (!c) return false;
      this.cur = c;
      this.curPos = 0;
    }
    return true;
  }

  atEnd(): boolean {
    return !this.fill();
  }

  readByte(): number {
    if (this.curPos >= this.cur.length && !this.fill()) throw new OrcError(`corrupt ${this.name} stream: ends early`);
    return this.cur[this.curPos++]!;
  }

  /** The buffer the last `take` left its bytes in. */
  span: Uint8Array = this.cur;

  /**
   * `n` bytes at span[at .. at + n), `at` returned: in the current chunk when it holds them (no
   * object made), else in a copy.
   */
  take(n: number): number {
    const at = this.curPos;
    if (at + n <= this.cur.length) {
      this.curPos = at + n;
      this.span = this.cur;
      return at;
    }
    this.span = this.read(n);
    return 0;
  }

  /** `n` bytes; a view into the current chunk when it holds them, else a copy. */
  read(n: number): Buffer {
    if (this.curPos + n <= this.cur.length) {
      const b = this.cur.subarray(this.curPos, this.curPos + n);
      this.curPos += n;
      return b;
    }
    if (n > this.data.length * 1100 + this.blockSize) throw new OrcError(`corrupt ${this.name} stream: asks for ${n} bytes`);
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      if (!this.fill()) throw new OrcError(`corrupt ${this.name} stream: ends early`);
      const take = Math.min(need, this.cur.length - this.curPos);
      // A copy: the next chunk may overwrite this one's buffer.
      parts.push(Buffer.from(this.cur.subarray(this.curPos, this.curPos + take)));
      this.curPos += take;
      need -= take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** `n` bytes of UTF-8 as a string (no intermediate Buffer when they lie in the current chunk). */
  readUtf8(n: number): string {
    if (this.curPos + n <= this.cur.length) {
      const s = this.cur.toString('utf8', this.curPos, this.curPos + n);
      this.curPos += n;
      return s;
    }
    return this.read(n).toString('utf8');
  }

  readDouble(): number {
    if (this.curPos + 8 <= this.cur.length) {
      const v = this.cur.readDoubleLE(this.curPos);
      this.curPos += 8;
      return v;
    }
    return this.read(8).readDoubleLE(0);
  }

  readFloat(): number {
    if (this.curPos + 4 <= this.cur.length) {
      const v = this.cur.readFloatLE(this.curPos);
      this.curPos += 4;
      return v;
    }
    return this.read(4).readFloatLE(0);
  }

  /** Unsigned LEB128 varint: a number below 2^49, else (read on exactly) a bigint. */
  varint(): number | bigint {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.curPos < this.cur.length ? this.cur[this.curPos++]! : this.readByte();
      result += (b & 0x7f) * mul;
      if (!(b & 0x80)) return result;
      mul *= 128;
    }
    let big = BigInt(result);
    let shift = 49n;
    for (let i = 7; i < 19; i++) {
      const b = this.readByte();
      big |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return big;
      shift += 7n;
    }
    throw new OrcError(`corrupt ${this.name} stream: varint too long`);
  }

  /** Unsigned LEB128 varint (up to 64 bits) as a number when safe, else bigint. */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 19; i++) {
      const b = this.readByte();
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
    throw new OrcError(`corrupt ${this.name} stream: varint too long`);
  }
}
