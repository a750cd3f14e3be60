/**
 * ORC run-length encodings: byte RLE, boolean RLE (bits on byte RLE) and integer RLE v2
 * (SHORT_REPEAT, DIRECT, PATCHED_BASE, DELTA). Writers emit SHORT_REPEAT, DIRECT and DELTA;
 * readers read all four.
 *
 * 64-bit values travel as (hi, lo) pairs of uint32 inside the codec, so the common case stays in
 * plain numbers; values beyond 2^53 come out as bigint.
 */
import type { InStream } from './compression.js';
import { OrcError } from './errors.js';

// ---------------------------------------------------------------------------
// Output buffer
// ---------------------------------------------------------------------------

export class ByteSink {
  buf: Buffer = Buffer.allocUnsafe(4096);
  len = 0;

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    if (this.len >= this.buf.length) this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Writes `s` as UTF-8; returns the byte length. */
  utf8(s: string): number {
    const len = s.length;
    this.ensure(len * 3);
    // Short ASCII strings: a JS loop beats the native call.
    if (len < 64) {
      const buf = this.buf;
      const at = this.len;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === len) {
        this.len += len;
        return len;
      }
    }
    const n = this.buf.write(s, this.len, 'utf8');
    this.len += n;
    return n;
  }

  /**
   * The bytes written so far and an empty sink (large buffers are handed over, not copied). The
   * next buffer has the same capacity, so the next stripe's column does not grow by doubling
   * copies again (pages untouched until written).
   */
  take(): Buffer {
    if (this.len > 1 << 16) {
      const out = this.buf.subarray(0, this.len);
      this.buf = Buffer.allocUnsafe(this.buf.length);
      this.len = 0;
      return out;
    }
    const out = Buffer.from(this.buf.subarray(0, this.len));
    this.len = 0;
    return out;
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.byte((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }

  varintBig(v: bigint): void {
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }
}

// ---------------------------------------------------------------------------
// Byte RLE
// ---------------------------------------------------------------------------

export class ByteRleEncoder {
  private lits = new Uint8Array(128);
  private n = 0;
  private repeat = false;
  private runLen = 0;

  constructor(readonly out: ByteSink) {}

  private writeValues(): void {
    if (this.n === 0) return;
    if (this.repeat) {
      this.out.byte(this.n - 3);
      this.out.byte(this.lits[0]!);
    } else {
      this.out.byte(-this.n & 0xff);
      this.out.bytes(this.lits.subarray(0, this.n));
    }
    this.repeat = false;
    this.n = 0;
    this.runLen = 0;
  }

  add(b: number): void {
    b &= 0xff;
    if (this.n === 0) {
      this.lits[this.n++] = b;
      this.runLen = 1;
    } else if (this.repeat) {
      if (b === this.lits[0]) {
        this.n++;
        if (this.n === 130) this.writeValues();
      } else {
        this.writeValues();
        this.lits[this.n++] = b;
        this.runLen = 1;
      }
    } else {
      if (b === this.lits[this.n - 1]) this.runLen++;
      else this.runLen = 1;
      if (this.runLen === 3) {
        if (this.n + 1 === 3) {
          this.repeat = true;
          this.n = 3;
          this.lits[0] = b;
        } else {
          this.n -= 2;
          this.writeValues();
          this.lits[0] = b;
          this.repeat = true;
          this.n = 3;
        }
      } else {
        this.lits[this.n++] = b;
        if (this.n === 128) this.writeValues();
      }
    }
  }

  finish(): void {
    this.writeValues();
  }
}

export class ByteRleDecoder {
  private lits = new Uint8Array(130);
  private n = 0;
  private pos = 0;

  constructor(private readonly s: InStream) {}

  next(): number {
    if (this.pos >= this.n) {
      const c = this.s.readByte();
      if (c < 0x80) {
        const v = this.s.readByte();
        this.n = c + 3;
        this.lits.fill(v, 0, this.n);
      } else {
        this.n = 0x100 - c;
        const b = this.s.read(this.n);
        this.lits.set(b, 0);
      }
      this.pos = 0;
    }
    return this.lits[this.pos++]!;
  }
}

export class BooleanEncoder {
  private readonly bytes: ByteRleEncoder;
  private cur = 0;
  private bits = 0;
  /** Count of true values seen (for statistics). */
  trues = 0;
  count = 0;

  constructor(out: ByteSink) {
    this.bytes = new ByteRleEncoder(out);
  }

  add(v: boolean): void {
    this.cur = (this.cur << 1) | (v ? 1 : 0);
    if (v) this.trues++;
    this.count++;
    if (++this.bits === 8) {
      this.bytes.add(this.cur);
      this.cur = 0;
      this.bits = 0;
    }
  }

  /** `count` true values: whole bytes at once. */
  addTrues(count: number): void {
    this.trues += count;
    this.count += count;
    let left = count;
    let cur = this.cur;
    let bits = this.bits;
    while (left > 0 && bits !== 0) {
      cur = (cur << 1) | 1;
      left--;
      if (++bits === 8) {
        this.bytes.add(cur);
        cur = 0;
        bits = 0;
      }
    }
    for (; left >= 8; left -= 8) this.bytes.add(0xff);
    if (left > 0) {
      cur = (1 << left) - 1;
      bits = left;
    }
    this.cur = cur;
    this.bits = bits;
  }

  finish(): void {
    if (this.bits > 0) this.bytes.add(this.cur << (8 - this.bits));
    this.cur = 0;
    this.bits = 0;
    this.bytes.finish();
  }

  /** Writes out the buffered byte runs, keeping the bits of a partial byte (a row-index position). */
  flushRuns(): void {
    this.bytes.finish();
  }

  /** Bits of the current partial byte (0..7). */
  get pendingBits(): number {
    return this.bits;
  }
}

export class BooleanDecoder {
  private readonly bytes: ByteRleDecoder;
  private cur = 0;
  private bits = 0;

  constructor(s: InStream) {
    this.bytes = new ByteRleDecoder(s);
  }

  next(): boolean {
    if (this.bits === 0) {
      this.cur = this.bytes.next();
      this.bits = 8;
    }
    this.bits--;
    return ((this.cur >>> this.bits) & 1) === 1;
  }

  /** n values into out (1 = true); returns how many are true. */
  readInto(out: Uint8Array, n: number): number {
    let trues = 0;
    let cur = this.cur;
    let bits = this.bits;
    for (let i = 0; i < n; i++) {
      if (bits === 0) {
        cur = this.bytes.next();
        bits = 8;
      }
      bits--;
      const b = (cur >>> bits) & 1;
      out[i] = b;
      trues += b;
    }
    this.cur = cur;
    this.bits = bits;
    return trues;
  }
}

// ---------------------------------------------------------------------------
// Integer RLE v2
// ---------------------------------------------------------------------------

const TWO32 = 4294967296;
const SAFE_HI = 0x200000; // hi < 2^21: hi * 2^32 + lo < 2^53

export function closestFixedBits(n: number): number {
  if (n === 0) return 1;
  if (n <= 24) return n;
  if (n <= 26) return 26;
  if (n <= 28) return 28;
  if (n <= 30) return 30;
  if (n <= 32) return 32;
  if (n <= 40) return 40;
  if (n <= 48) return 48;
  if (n <= 56) return 56;
  return 64;
}

function encodeBitWidth(w: number): number {
  if (w <= 24) return w - 1;
  switch (w) {
    case 26:
      return 24;
    case 28:
      return 25;
    case 30:
      return 26;
    case 32:
      return 27;
    case 40:
      return 28;
    case 48:
      return 29;
    case 56:
      return 30;
    default:
      return 31;
  }
}

const DECODED_WIDTH = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 26, 28, 30, 32, 40, 48, 56, 64];

function bitLen(hi: number, lo: number): number {
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(lo);
}

const MAX_RUN = 512;

/** Integer RLE v2 writer; `signed` zigzag-encodes values. */
export class IntRleV2Encoder {
  private hi = new Uint32Array(MAX_RUN);
  private lo = new Uint32Array(MAX_RUN);
  private vals = new Float64Array(MAX_RUN);
  /** A DELTA run's deltas (hi, lo) before they are packed. */
  private dhi = new Uint32Array(MAX_RUN);
  private dlo = new Uint32Array(MAX_RUN);
  private allSafe = true;
  private n = 0;

  constructor(
    readonly out: ByteSink,
    readonly signed: boolean,
  ) {}

  add(v: number | bigint): void {
    const i = this.n;
    if (typeof v === 'number' && v <= 0x3fffffff && v >= -0x40000000 && (v | 0) === v) {
      // Small integers: zigzag in 32-bit arithmetic.
      this.vals[i] = v;
      this.hi[i] = 0;
      this.lo[i] = this.signed ? ((v << 1) ^ (v >> 31)) >>> 0 : v;
    } else if (typeof v === 'number') {
      this.vals[i] = v;
      this.setWide(i, v);
    } else {
      const u = this.signed ? BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)) : BigInt.asUintN(64, v);
      this.hi[i] = Number(u >> 32n);
      this.lo[i] = Number(u & 0xffffffffn);
      if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) this.vals[i] = Number(v);
      else this.allSafe = false;
    }
    if (++this.n === MAX_RUN) this.flush();
  }

  /**
   * Adds src[from .. to): safe integers (the caller checked), non-negative when the encoder is
   * unsigned. The bulk form of `add`, with no per-value call or type test.
   */
  addSafe(src: Float64Array | Int32Array, from: number, to: number): void {
    const vals = this.vals;
    const hi = this.hi;
    const lo = this.lo;
    const signed = this.signed;
    let i = this.n;
    for (let k = from; k < to; k++) {
      const v = src[k]!;
      vals[i] = v;
      if (v <= 0x3fffffff && v >= -0x40000000) {
        hi[i] = 0;
        lo[i] = signed ? ((v << 1) ^ (v >> 31)) >>> 0 : v;
      } else this.setWide(i, v);
      if (++i === MAX_RUN) {
        this.n = i;
        this.flush();
        i = 0;
      }
    }
    this.n = i;
  }

  /** hi/lo of a safe integer beyond 30 bits (zigzagged when signed). */
  private setWide(i: number, v: number): void {
    if (this.signed) {
      const m = v >= 0 ? v * 2 : -v * 2;
      let hi = Math.floor(m / TWO32);
      let lo = m - hi * TWO32;
      if (v < 0) {
        if (lo === 0) {
          lo = 0xffffffff;
          hi -= 1;
        } else lo -= 1;
      }
      this.hi[i] = hi;
      this.lo[i] = lo;
    } else {
      const hi = Math.floor(v / TWO32);
      this.hi[i] = hi;
      this.lo[i] = v - hi * TWO32;
    }
  }

  finish(): void {
    this.flush();
  }

  private flush(): void {
    const n = this.n;
    const hi = this.hi;
    const lo = this.lo;
    let i = 0;
    while (i < n) {
      let j = i + 1;
      const l0 = lo[i]!;
      const h0 = hi[i]!;
      while (j < n && lo[j] === l0 && hi[j] === h0) j++;
      const run = j - i;
      if (run >= 3) {
        if (run <= 10) this.shortRepeat(i, run);
        else this.fixedDelta(i, run, 0);
        i = j;
        continue;
      }
      // Literals up to where three equal values start.
      let k = i;
      while (k + 2 < n && !(lo[k] === lo[k + 1] && lo[k] === lo[k + 2] && hi[k] === hi[k + 1] && hi[k] === hi[k + 2])) k++;
      if (k + 2 >= n) k = n;
      this.literals(i, k - i);
      i = k;
    }
    this.n = 0;
    this.allSafe = true;
  }

  private shortRepeat(i: number, run: number): void {
    const hi = this.hi[i]!;
    const lo = this.lo[i]!;
    const bytes = Math.max(1, Math.ceil(bitLen(hi, lo) / 8));
    this.out.byte(((bytes - 1) << 3) | (run - 3));
    for (let b = bytes - 1; b >= 0; b--) {
      this.out.byte(b >= 4 ? (hi >>> ((b - 4) * 8)) & 0xff : (lo >>> (b * 8)) & 0xff);
    }
  }

  private writeBase(i: number): void {
    // The first value as a varint: zigzagged (hi/lo already are) when signed.
    const hi = this.hi[i]!;
    const lo = this.lo[i]!;
    if (hi < SAFE_HI) this.out.varint(hi * TWO32 + lo);
    else this.out.varintBig((BigInt(hi) << 32n) | BigInt(lo));
  }

  private signedVarint(d: number): void {
    this.out.varint(d >= 0 ? d * 2 : -d * 2 - 1);
  }

  private fixedDelta(i: number, len: number, delta: number): void {
    this.out.byte((3 << 6) | (((len - 1) >>> 8) & 1));
    this.out.byte((len - 1) & 0xff);
    this.writeBase(i);
    this.signedVarint(delta);
  }

  private literals(i: number, len: number): void {
    // The widest value's bit length is the bit length of all values OR-ed.
    let hiOr = 0;
    let loOr = 0;
    const his = this.hi;
    const los = this.lo;
    for (let k = i; k < i + len; k++) {
      hiOr |= his[k]!;
      loOr |= los[k]!;
    }
    const maxBits = bitLen(hiOr, loOr);
    const directWidth = closestFixedBits(maxBits);
    if (len >= 3 && this.allSafe) {
      const v = this.vals;
      const d0 = v[i + 1]! - v[i]!;
      let fixed = true;
      // A delta equal to the first has its sign: only other deltas are tested below.
      let inc = d0 >= 0;
      let dec = d0 <= 0;
      let maxDelta = 0;
      // Stops as soon as the run can be neither FIXED_DELTA nor a monotonic DELTA (unsorted data).
      const decreasing = d0 < 0;
      for (let k = i + 1; k < i + len; k++) {
        const d = v[k]! - v[k - 1]!;
        if (d !== d0) {
          fixed = false;
          if (d < 0) inc = false;
          if (d > 0) dec = false;
          if (!inc && !(dec && decreasing)) break;
        }
        const a = Math.abs(d);
        if (k > i + 1 && a > maxDelta) maxDelta = a;
      }
      const deltasSafe = Number.isSafeInteger(d0 * 2) && maxDelta < 2 ** 52;
      if (deltasSafe && fixed) {
        this.fixedDelta(i, len, d0);
        return;
      }
      if (deltasSafe && (inc || (dec && d0 < 0))) {
        const w = Math.max(2, closestFixedBits(maxDelta === 0 ? 0 : Math.floor(Math.log2(maxDelta)) + 1));
        if ((len - 2) * w + 40 < len * directWidth) {
          this.out.byte((3 << 6) | (encodeBitWidth(w) << 1) | (((len - 1) >>> 8) & 1));
          this.out.byte((len - 1) & 0xff);
          this.writeBase(i);
          this.signedVarint(d0);
          const dhi = this.dhi;
          const dlo = this.dlo;
          for (let k = i + 2; k < i + len; k++) {
            const a = Math.abs(v[k]! - v[k - 1]!);
            const hi = Math.floor(a / TWO32);
            dhi[k - i - 2] = hi;
            dlo[k - i - 2] = a - hi * TWO32;
          }
          if (w <= 24) this.pack24(dlo, 0, len - 2, w);
          else this.packWide(dhi, dlo, 0, len - 2, w);
          return;
        }
      }
    }
    this.out.byte((1 << 6) | (encodeBitWidth(directWidth) << 1) | (((len - 1) >>> 8) & 1));
    this.out.byte((len - 1) & 0xff);
    if (directWidth <= 24) this.pack24(this.lo, i, len, directWidth);
    else this.packWide(this.hi, this.lo, i, len, directWidth);
  }

  /**
   * hi/lo[i .. i + len) (each below 2^w, 24 < w <= 64) packed big-endian straight into the sink,
   * in pieces of at most 16 bits so the accumulator stays below 2^23.
   */
  private packWide(his: Uint32Array, los: Uint32Array, i: number, len: number, w: number): void {
    const out = this.out;
    out.ensure(Math.ceil((len * w) / 8));
    const buf = out.buf;
    let p = out.len;
    // The bits above the low 32 (w > 32: 8 to 32 of them, in two pieces) or above the low 16 (w < 32).
    const top = w > 32 ? w - 32 : w - 16;
    const topHi = top > 16 ? top - 16 : 0;
    const topLo = top - topHi;
    let acc = 0;
    let bits = 0;
    for (let k = i; k < i + len; k++) {
      const lo = los[k]!;
      let piece: number;
      if (w > 32) {
        const hi = his[k]!;
        if (topHi > 0) {
          acc = (acc << topHi) | (hi >>> 16);
          bits += topHi;
          while (bits >= 8) {
            bits -= 8;
            buf[p++] = (acc >>> bits) & 0xff;
          }
          acc &= (1 << bits) - 1;
        }
        piece = topHi > 0 ? hi & 0xffff : hi;
        acc = (acc << topLo) | piece;
        bits += topLo;
        while (bits >= 8) {
          bits -= 8;
          buf[p++] = (acc >>> bits) & 0xff;
        }
        acc &= (1 << bits) - 1;
        acc = (acc << 16) | (lo >>> 16);
        bits += 16;
      } else {
        acc = (acc << top) | (lo >>> 16);
        bits += top;
      }
      while (bits >= 8) {
        bits -= 8;
        buf[p++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
      acc = (acc << 16) | (lo & 0xffff);
      bits += 16;
      while (bits >= 8) {
        bits -= 8;
        buf[p++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) buf[p++] = (acc << (8 - bits)) & 0xff;
    out.len = p;
  }

  /** lo[i .. i + len) (each below 2^w, w <= 24) packed big-endian straight into the sink. */
  private pack24(lo: Uint32Array, i: number, len: number, w: number): void {
    const out = this.out;
    out.ensure(Math.ceil((len * w) / 8));
    const buf = out.buf;
    let p = out.len;
    let acc = 0;
    let bits = 0;
    for (let k = i; k < i + len; k++) {
      acc = (acc << w) | lo[k]!;
      bits += w;
      while (bits >= 8) {
        bits -= 8;
        buf[p++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) buf[p++] = (acc << (8 - bits)) & 0xff;
    out.len = p;
  }
}

class BitReader {
  private cur = 0;
  private bits = 0;
  constructor(private readonly s: InStream) {}

  read32(w: number): number {
    let result = 0;
    while (w > 0) {
      if (this.bits === 0) {
        this.cur = this.s.readByte();
        this.bits = 8;
      }
      const take = Math.min(w, this.bits);
      const shift = this.bits - take;
      result = result * (1 << take) + ((this.cur >>> shift) & ((1 << take) - 1));
      this.bits -= take;
      w -= take;
    }
    return result >>> 0;
  }

  /** Reads w bits into [hi, lo]. */
  read(w: number, out: { hi: number; lo: number }): void {
    if (w > 32) {
      out.hi = this.read32(w - 32);
      out.lo = this.read32(32);
    } else {
      out.hi = 0;
      out.lo = this.read32(w);
    }
  }

  align(): void {
    this.bits = 0;
  }
}

function fromParts(hi: number, lo: number, signed: boolean): number | bigint {
  if (hi < SAFE_HI) {
    const u = hi * TWO32 + lo;
    if (!signed) return u;
    return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
  }
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  if (!signed) return u;
  return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
}

function normal(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/**
 * Unpacks `n` big-endian values of `w` bits (w <= 32, or 40/48/56 with values below 2^53) from
 * `b` into out[at..]. Returns false when a value does not fit a double exactly (64-bit widths).
 */
function unpack(b: Uint8Array, bo: number, n: number, w: number, out: Float64Array, at: number): boolean {
  if (w === 8) {
    for (let k = 0; k < n; k++) out[at + k] = b[bo + k]!;
  } else if (w === 16) {
    for (let k = 0; k < n; k++) out[at + k] = (b[bo + 2 * k]! << 8) | b[bo + 2 * k + 1]!;
  } else if (w === 32) {
    for (let k = 0; k < n; k++) {
      const i = bo + 4 * k;
      out[at + k] = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    }
  } else if (w < 32) {
    // Bits past the run's last byte may be read inside the window, never used.
    let bitPos = bo * 8;
    let k = 0;
    if (w <= 24) {
      // A 32-bit window holds any value (offset in its first byte <= 7, 7 + 24 <= 31).
      const mask = (1 << w) - 1;
      const last = b.length - 4;
      for (; k < n; k++) {
        const i = bitPos >>> 3;
        if (i > last) break;
        const win = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
        out[at + k] = (win >>> (32 - (bitPos & 7) - w)) & mask;
        bitPos += w;
      }
    } else {
      // 25 to 31 bits: a 32-bit window, and the low bits of a fifth byte when the value reaches it.
      const mask = 2 ** w - 1;
      const last = b.length - 5;
      for (; k < n; k++) {
        const i = bitPos >>> 3;
        if (i > last) break;
        const win = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
        const end = (bitPos & 7) + w;
        if (end <= 32) out[at + k] = (win >>> (32 - end)) & mask;
        else {
          const extra = end - 32;
          out[at + k] = (((win << extra) | (b[i + 4]! >>> (8 - extra))) >>> 0) & mask;
        }
        bitPos += w;
      }
    }
    for (; k < n; k++) {
      let i = bitPos >>> 3;
      const off = bitPos & 7;
      let v = b[i]! & (0xff >>> off);
      let got = 8 - off;
      while (got < w) {
        v = v * 256 + b[++i]!;
        got += 8;
      }
      out[at + k] = got === w ? v : Math.floor(v / 2 ** (got - w));
      bitPos += w;
    }
  } else {
    // 40, 48, 56, 64: whole bytes.
    const bytes = w >>> 3;
    for (let k = 0; k < n; k++) {
      const i = bo + k * bytes;
      let hi = 0;
      for (let j = 0; j < bytes - 4; j++) hi = hi * 256 + b[i + j]!;
      if (hi >= SAFE_HI) return false;
      const j = i + bytes - 4;
      out[at + k] = hi * TWO32 + (((b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!) >>> 0);
    }
  }
  return true;
}

/** Integer RLE v2 reader; `signed` undoes zigzag. Values beyond 2^53 come out as bigint. */
export class IntRleV2Decoder {
  /** The current run: in `nums`, or in `vals` when it holds values beyond 2^53 (`slow`). */
  private nums = new Float64Array(512);
  private vals: (number | bigint)[] = [];
  private slow = false;
  private len = 0;
  private pos = 0;
  private readonly bits: BitReader;
  private readonly tmp = { hi: 0, lo: 0 };

  constructor(
    private readonly s: InStream,
    readonly signed: boolean,
  ) {
    this.bits = new BitReader(s);
  }

  next(): number | bigint {
    if (this.pos >= this.len) this.readRun();
    return this.slow ? this.vals[this.pos++]! : this.nums[this.pos++]!;
  }

  /**
   * Reads `n` values into out[at..]. A value beyond 2^53 goes exactly into `big` (by its index in
   * `out`), its slot holding an approximation; without `big` it is a corrupt-stream error.
   */
  readInto(out: Float64Array, at: number, n: number, big?: Map<number, bigint>): void {
    let done = 0;
    while (done < n) {
      if (this.pos >= this.len) this.readRun();
      const take = Math.min(n - done, this.len - this.pos);
      if (!this.slow) {
        const nums = this.nums;
        const from = this.pos;
        const to = at + done;
        for (let k = 0; k < take; k++) out[to + k] = nums[from + k]!;
      } else {
        for (let k = 0; k < take; k++) {
          const v = this.vals[this.pos + k]!;
          if (typeof v === 'bigint') {
            if (!big) this.corrupt(`value ${v} out of range`);
            big.set(at + done + k, v);
            out[at + done + k] = Number(v);
          } else out[at + done + k] = v;
        }
      }
      this.pos += take;
      done += take;
    }
  }

  /** Reads `n` non-negative values below 2^31 (lengths, dictionary ids) into out[at..]. */
  readCounts(out: Int32Array | Float64Array, at: number, n: number): void {
    let done = 0;
    while (done < n) {
      if (this.pos >= this.len) this.readRun();
      const take = Math.min(n - done, this.len - this.pos);
      for (let k = 0; k < take; k++) {
        const v = this.slow ? this.vals[this.pos + k]! : this.nums[this.pos + k]!;
        if (typeof v !== 'number' || !(v >= 0 && v < 2 ** 31)) this.corrupt(`length ${v} out of range`);
        out[at + done + k] = v;
      }
      this.pos += take;
      done += take;
    }
  }

  /** A value that must be a non-negative safe integer (lengths, counts, dictionary ids). */
  nextCount(): number {
    const v = this.next();
    if (typeof v !== 'number' || v < 0) throw new OrcError(`corrupt ${this.s.name} stream: length ${v} out of range`);
    return v;
  }

  private corrupt(why: string): never {
    throw new OrcError(`corrupt ${this.s.name} stream: ${why}`);
  }

  /** nums[0..len) from unsigned values: zigzag undone when signed. */
  private unzig(len: number, w: number): void {
    if (!this.signed) return;
    const v = this.nums;
    if (w <= 32) {
      // Below 2^32: zigzag undone in 32-bit arithmetic.
      for (let k = 0; k < len; k++) {
        const u = v[k]!;
        v[k] = (u >>> 1) ^ -(u & 1);
      }
      return;
    }
    for (let k = 0; k < len; k++) {
      const u = v[k]!;
      v[k] = u % 2 === 1 ? -(u + 1) / 2 : u / 2;
    }
  }

  private readRun(): void {
    const first = this.s.readByte();
    const enc = first >>> 6;
    this.pos = 0;
    this.slow = false;
    if (enc === 0) {
      const bytes = ((first >>> 3) & 7) + 1;
      const count = (first & 7) + 3;
      let hi = 0;
      let lo = 0;
      for (let b = bytes - 1; b >= 0; b--) {
        const x = this.s.readByte();
        if (b >= 4) hi = (hi | (x << ((b - 4) * 8))) >>> 0;
        else lo = (lo | (x << (b * 8))) >>> 0;
      }
      const v = fromParts(hi, lo, this.signed);
      this.len = count;
      if (typeof v === 'number') this.nums.fill(v, 0, count);
      else {
        this.slow = true;
        this.vals = new Array<number | bigint>(count).fill(v);
      }
      return;
    }
    const second = this.s.readByte();
    const len = (((first & 1) << 8) | second) + 1;
    this.len = len;
    if (enc === 1) {
      const w = DECODED_WIDTH[(first >>> 1) & 31]!;
      const nbytes = Math.ceil((len * w) / 8);
      const bo = this.s.take(nbytes);
      const b = this.s.span;
      if (unpack(b, bo, len, w, this.nums, 0)) {
        this.unzig(len, w);
        return;
      }
      // 64-bit values: exact, through hi/lo.
      const out: (number | bigint)[] = [];
      const bytes = w >>> 3;
      for (let k = 0; k < len; k++) {
        const i = bo + k * bytes;
        let hi = 0;
        for (let j = 0; j < bytes - 4; j++) hi = (hi * 256 + b[i + j]!) >>> 0;
        const j = i + bytes - 4;
        const lo = ((b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!) >>> 0;
        out.push(fromParts(hi, lo, this.signed));
      }
      this.slow = true;
      this.vals = out;
      return;
    }
    if (enc === 3) {
      const code = (first >>> 1) & 31;
      const w = code === 0 ? 0 : DECODED_WIDTH[code]!;
      // Base and delta base: numbers in the common case (below 2^49), else exact bigints.
      const ubv = this.s.varint();
      const dbv = this.s.varint();
      const unzig = (u: number): number => (u % 2 === 1 ? -(u + 1) / 2 : u / 2);
      const nb = typeof ubv === 'number' ? (this.signed ? unzig(ubv) : ubv) : Number.NaN;
      const nd = typeof dbv === 'number' ? unzig(dbv) : Number.NaN;
      const nums = this.nums;
      let deltasOk = true;
      let rawDeltas: Uint8Array | undefined;
      if (w !== 0) {
        const nbytes = Math.ceil(((len - 2) * w) / 8);
        const bo = this.s.take(nbytes);
        rawDeltas = this.s.span.subarray(bo, bo + nbytes);
        deltasOk = unpack(rawDeltas, 0, len - 2, w, nums, 2);
      }
      if (deltasOk && Math.abs(nb) < 2 ** 52 && Math.abs(nd) < 2 ** 52) {
        let prev = nb;
        nums[0] = prev;
        let ok = true;
        if (len > 1) {
          prev += nd;
          nums[1] = prev;
          for (let k = 2; k < len; k++) {
            if (w === 0) prev += nd;
            else prev = nd < 0 ? prev - nums[k]! : prev + nums[k]!;
            if (!(prev > -(2 ** 52) && prev < 2 ** 52)) ok = false;
            nums[k] = prev;
          }
        }
        if (ok) return;
      }
      // Exact, in bigint.
      const ub = typeof ubv === 'bigint' ? ubv : BigInt(ubv);
      const db = typeof dbv === 'bigint' ? dbv : BigInt(dbv);
      const base = this.signed ? BigInt.asIntN(64, (ub >> 1n) ^ -(ub & 1n)) : BigInt.asUintN(64, ub);
      const deltaBase = (db >> 1n) ^ -(db & 1n);
      const deltas: bigint[] = [];
      if (rawDeltas) {
        const tmp = new Float64Array(len);
        if (unpack(rawDeltas, 0, len - 2, w, tmp, 0)) for (let k = 0; k < len - 2; k++) deltas.push(BigInt(tmp[k]!));
        else {
          // 64-bit deltas: whole bytes.
          const bytesPer = w >>> 3;
          for (let k = 0; k < len - 2; k++) {
            let d = 0n;
            for (let j = 0; j < bytesPer; j++) d = (d << 8n) | BigInt(rawDeltas[k * bytesPer + j]!);
            deltas.push(d);
          }
        }
      }
      const out: (number | bigint)[] = [];
      let prev = base;
      out.push(normal(prev));
      if (len > 1) {
        prev += deltaBase;
        out.push(normal(prev));
        for (let k = 2; k < len; k++) {
          if (w === 0) prev += deltaBase;
          else {
            const d = deltas[k - 2]!;
            prev = deltaBase < 0n ? prev - d : prev + d;
          }
          out.push(normal(this.signed ? BigInt.asIntN(64, prev) : BigInt.asUintN(64, prev)));
        }
      }
      this.slow = true;
      this.vals = out;
      return;
    }
    const out: (number | bigint)[] = [];
    this.slow = true;
    this.vals = out;
    // PATCHED_BASE
    const w = DECODED_WIDTH[(first >>> 1) & 31]!;
    const third = this.s.readByte();
    const fourth = this.s.readByte();
    const bw = (third >>> 5) + 1;
    const pw = DECODED_WIDTH[third & 31]!;
    const pgw = (fourth >>> 5) + 1;
    const pll = fourth & 31;
    if (pw + pgw > 64) this.corrupt('patch wider than 64 bits');
    let base = 0n;
    for (let b = 0; b < bw; b++) base = (base << 8n) | BigInt(this.s.readByte());
    const signBit = 1n << BigInt(bw * 8 - 1);
    if (base & signBit) base = -(base & ~signBit);
    const t = this.tmp;
    const data: bigint[] = [];
    for (let k = 0; k < len; k++) {
      this.bits.read(w, t);
      data.push((BigInt(t.hi) << 32n) | BigInt(t.lo));
    }
    this.bits.align();
    const cfb = closestFixedBits(pw + pgw);
    const patches: bigint[] = [];
    for (let k = 0; k < pll; k++) {
      this.bits.read(cfb, t);
      patches.push((BigInt(t.hi) << 32n) | BigInt(t.lo));
    }
    this.bits.align();
    const mask = (1n << BigInt(pw)) - 1n;
    let idx = 0;
    let gap = 0n;
    let patch = 0n;
    let actual = 0n;
    const load = (): void => {
      if (idx >= patches.length) this.corrupt('patch list ends early');
      gap = patches[idx]! >> BigInt(pw);
      patch = patches[idx]! & mask;
    };
    if (pll > 0) {
      load();
      while (gap === 255n && patch === 0n) {
        actual += 255n;
        idx++;
        load();
      }
      actual += gap;
    } else actual = -1n;
    for (let k = 0; k < len; k++) {
      if (BigInt(k) === actual) {
        out.push(normal(BigInt.asIntN(64, base + (data[k]! | (patch << BigInt(w))))));
        idx++;
        if (idx < pll) {
          load();
          actual = 0n;
          while (gap === 255n && patch === 0n) {
            actual += 255n;
            idx++;
            load();
          }
          actual += gap + BigInt(k);
        }
      } else out.push(normal(BigInt.asIntN(64, base + data[k]!)));
    }
  }
}

/** Unbounded signed varint (zigzag, base 128) of a decimal's unscaled value. */
export function writeSignedVarintBig(out: ByteSink, v: bigint): void {
  out.varintBig(v >= 0n ? v << 1n : (-v << 1n) - 1n);
}

export function readSignedVarintBig(s: InStream): bigint {
  const u = s.varintBig();
  return u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
}
