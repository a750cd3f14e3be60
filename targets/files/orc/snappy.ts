/**
 * Snappy raw block format (no framing), as ORC uses it, in TypeScript: a greedy hash-table
 * compressor over 64 KiB fragments (like the reference implementation) and a bounds-checked
 * decompressor that refuses to produce more than `maxOutput` bytes.
 */
import { OrcError } from './errors.js';

const FRAGMENT = 1 << 16;
const HASH_BITS = 14;
const table = new Int32Array(1 << HASH_BITS);

function load32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function hash(v: number): number {
  return Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

class Out {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
}

function emitLiteral(out: Out, src: Uint8Array, start: number, end: number): void {
  const n = end - start - 1;
  if (n < 0) return;
  if (n < 60) out.byte(n << 2);
  else if (n < 0x100) {
    out.byte(60 << 2);
    out.byte(n);
  } else if (n < 0x10000) {
    out.byte(61 << 2);
    out.byte(n & 0xff);
    out.byte(n >>> 8);
  } else if (n < 0x1000000) {
    out.byte(62 << 2);
    out.byte(n & 0xff);
    out.byte((n >>> 8) & 0xff);
    out.byte(n >>> 16);
  } else {
    out.byte(63 << 2);
    out.byte(n & 0xff);
    out.byte((n >>> 8) & 0xff);
    out.byte((n >>> 16) & 0xff);
    out.byte(n >>> 24);
  }
  out.buf.set(src.subarray(start, end), out.pos);
  out.pos += end - start;
}

function emitCopy2(out: Out, offset: number, len: number): void {
  out.byte(2 | ((len - 1) << 2));
  out.byte(offset & 0xff);
  out.byte(offset >>> 8);
}

function emitCopy(out: Out, offset: number, len: number): void {
  while (len >= 68) {
    emitCopy2(out, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    emitCopy2(out, offset, 60);
    len -= 60;
  }
  if (len >= 12 || offset >= 2048) emitCopy2(out, offset, len);
  else {
    out.byte(1 | ((len - 4) << 2) | ((offset >>> 8) << 5));
    out.byte(offset & 0xff);
  }
}

export function snappyCompress(src: Uint8Array): Uint8Array {
  const out = new Out(32 + src.length + Math.ceil(src.length / 6));
  // Preamble: uncompressed length as a varint.
  let n = src.length;
  while (n >= 0x80) {
    out.byte((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.byte(n);
  for (let base = 0; base < src.length; base += FRAGMENT) {
    const end = Math.min(src.length, base + FRAGMENT);
    if (end - base < 15) {
      emitLiteral(out, src, base, end);
      continue;
    }
    table.fill(-1);
    const limit = end - 15;
    let nextEmit = base;
    let ip = base + 1;
    outer: for (;;) {
      let skip = 32;
      let candidate: number;
      for (;;) {
        if (ip > limit) break outer;
        const v = load32(src, ip);
        const h = hash(v);
        candidate = table[h]!;
        table[h] = ip;
        if (candidate >= base && load32(src, candidate) === v) break;
        ip += skip++ >> 5;
      }
      emitLiteral(out, src, nextEmit, ip);
      let matched = 4;
      while (ip + matched < end && src[candidate + matched] === src[ip + matched]) matched++;
      emitCopy(out, ip - candidate, matched);
      ip += matched;
      nextEmit = ip;
      if (ip <= limit) table[hash(load32(src, ip - 1))] = ip - 1;
    }
    emitLiteral(out, src, nextEmit, end);
  }
  return out.buf.subarray(0, out.pos);
}

export function snappyDecompress(src: Uint8Array, maxOutput: number): Uint8Array {
  let pos = 0;
  let len = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i >= 5 || pos >= src.length) throw new OrcError('corrupt snappy block: bad length preamble');
    const b = src[pos++]!;
    len += (b & 0x7f) * mul;
    mul *= 128;
    if (!(b & 0x80)) break;
  }
  if (len > maxOutput) throw new OrcError(`corrupt snappy block: claims ${len} bytes, more than the compression block size ${maxOutput}`);
  const out = new Uint8Array(len);
  let op = 0;
  const bad = (why: string): never => {
    throw new OrcError(`corrupt snappy block: ${why}`);
  };
  while (pos < src.length) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > src.length) bad('truncated literal length');
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos + i]! * 2 ** (8 * i);
        pos += bytes;
      }
      n += 1;
      if (pos + n > src.length || op + n > len) bad('literal runs past the end');
      if (n < 32) for (let i = 0; i < n; i++) out[op + i] = src[pos + i]!;
      else out.set(src.subarray(pos, pos + n), op);
      pos += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= src.length) bad('truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > src.length) bad('truncated copy');
      n = (tag >>> 2) + 1;
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) bad('truncated copy');
      n = (tag >>> 2) + 1;
      offset = load32(src, pos);
      pos += 4;
    }
    if (offset === 0 || offset > op || op + n > len) bad('copy outside the output');
    if (offset >= n && n >= 32) out.copyWithin(op, op - offset, op - offset + n);
    else for (let i = 0; i < n; i++) out[op + i] = out[op - offset + i]!;
    op += n;
  }
  if (op !== len) bad(`produced ${op} of ${len} bytes`);
  return out;
}
