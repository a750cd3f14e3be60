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

/** Writes a literal src[start, end) at out[op]; returns the new op. */
function literal(out: Uint8Array, op: number, src: Uint8Array, start: number, end: number): number {
  const n = end - start - 1;
  if (n < 0) return op;
  if (n < 60) out[op++] = n << 2;
  else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  const len = end - start;
  if (len < 64) for (let i = 0; i < len; i++) out[op + i] = src[start + i]!;
  else out.set(src.subarray(start, end), op);
  return op + len;
}

/** Writes copies of `len` bytes from `offset` back; returns the new op. */
function copy(out: Uint8Array, op: number, offset: number, len: number): number {
  while (len >= 68) {
    out[op++] = 2 | (63 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[op++] = 2 | (59 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 60;
  }
  if (len >= 12 || offset >= 2048) {
    out[op++] = 2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  } else {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  }
  return op;
}

export function snappyCompress(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + src.length + Math.ceil(src.length / 6));
  let op = 0;
  // Preamble: uncompressed length as a varint.
  let n = src.length;
  while (n >= 0x80) {
    out[op++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[op++] = n;
  const tbl = table;
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let base = 0; base < src.length; base += FRAGMENT) {
    const end = Math.min(src.length, base + FRAGMENT);
    if (end - base < 15) {
      op = literal(out, op, src, base, end);
      continue;
    }
    tbl.fill(-1);
    const limit = end - 15;
    let nextEmit = base;
    let ip = base + 1;
    outer: for (;;) {
      let skip = 32;
      let candidate: number;
      for (;;) {
        if (ip > limit) break outer;
        const v = dv.getInt32(ip, true);
        const h = Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
        candidate = tbl[h]!;
        tbl[h] = ip;
        if (candidate >= base && dv.getInt32(candidate, true) === v) break;
        ip += skip++ >> 5;
      }
      op = literal(out, op, src, nextEmit, ip);
      let matched = 4;
      while (ip + matched + 4 <= end && dv.getInt32(candidate + matched, true) === dv.getInt32(ip + matched, true)) matched += 4;
      while (ip + matched < end && src[candidate + matched] === src[ip + matched]) matched++;
      op = copy(out, op, ip - candidate, matched);
      ip += matched;
      nextEmit = ip;
      // The hash of the 4 bytes at ip - 1 (signed or not, Math.imul takes the same bits).
      if (ip <= limit) tbl[Math.imul(dv.getInt32(ip - 1, true), 0x1e35a7bd) >>> (32 - HASH_BITS)] = ip - 1;
    }
    op = literal(out, op, src, nextEmit, end);
  }
  return out.subarray(0, op);
}

function bad(why: string): never {
  throw new OrcError(`corrupt snappy block: ${why}`);
}

/** Decompresses a block; into `into` (returning a view of it) when it is large enough. */
export function snappyDecompress(src: Uint8Array, maxOutput: number, into?: Uint8Array): Uint8Array {
  let pos = 0;
  let len = 0;
  let mul = 1;
  const srcLen = src.length;
  for (let i = 0; ; i++) {
    if (i >= 5 || pos >= srcLen) bad('bad length preamble');
    const b = src[pos++]!;
    len += (b & 0x7f) * mul;
    mul *= 128;
    if (!(b & 0x80)) break;
  }
  if (len > maxOutput) bad(`claims ${len} bytes, more than the compression block size ${maxOutput}`);
  // Every byte of the output is written (the end checks op === len), so a reused buffer needs no clearing.
  const out = into && into.length >= len ? into.subarray(0, len) : new Uint8Array(len);
  const odv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let op = 0;
  while (pos < srcLen) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > srcLen) bad('truncated literal length');
        n = src[pos]!;
        if (bytes > 1) n |= src[pos + 1]! << 8;
        if (bytes > 2) n |= src[pos + 2]! << 16;
        if (bytes > 3) n += src[pos + 3]! * 16777216;
        pos += bytes;
      }
      n += 1;
      if (pos + n > srcLen || op + n > len) bad('literal runs past the end');
      // Short literals byte by byte; from 32 bytes the native copy wins.
      if (n < 32) for (let i = 0; i < n; i++) out[op + i] = src[pos + i]!;
      else out.set(src.subarray(pos, pos + n), op);
      pos += n;
      op += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= srcLen) bad('truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > srcLen) bad('truncated copy');
      n = (tag >>> 2) + 1;
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > srcLen) bad('truncated copy');
      n = (tag >>> 2) + 1;
      offset = load32(src, pos);
      pos += 4;
    }
    if (offset === 0 || offset > op || op + n > len) bad('copy outside the output');
    const from = op - offset;
    if (offset >= n && n >= 64) out.copyWithin(op, from, from + n);
    else {
      let i = 0;
      // Four bytes at a time where the source lies wholly behind them (offset >= 4).
      if (offset >= 4) for (; i + 4 <= n; i += 4) odv.setInt32(op + i, odv.getInt32(from + i, true), true);
      for (; i < n; i++) out[op + i] = out[from + i]!;
    }
    op += n;
  }
  if (op !== len) bad(`produced ${op} of ${len} bytes`);
  return out;
}
