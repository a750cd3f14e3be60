/**
 * A streaming bzip2 encoder in plain TypeScript (no native code, no WASM).
 *
 * Why our own: DuckDB cannot write bzip2, and npm has no suitable pure-JS encoder
 * (`compressjs` is GPL, `bzip-deflate` is a CC-SA *decoder*, `libbzip2-wasm` installs
 * process-wide `uncaughtException` handlers). The format is small and fixed, so this
 * file implements it after libbzip2's `compress.c`: RLE1 → BWT (cyclic prefix doubling)
 * → MTF/RLE2 → multi-table Huffman. Memory is one block (≤ 900 kB input) plus ~20 bytes
 * per block byte of sort arrays, whatever the stream length. Output is a single standard
 * bzip2 stream that `bzip2 -d`, Python's `bz2`, Hadoop's BZip2Codec and Spark read, byte for
 * byte what libbzip2 writes (Python's `bz2.compress` at the same level), except for a block that
 * repeats itself, where the two may point at different ones of its equal rotations.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** MSB-first bit writer into a growable buffer. */
class BitWriter {
  private buf: Uint8Array;
  private pos = 0;
  private acc = 0;
  private live = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  /** Write the low `n` bits of `v`, n ≤ 24. */
  bits(n: number, v: number): void {
    this.acc = (this.acc << n) | (v & ((1 << n) - 1));
    this.live += n;
    while (this.live >= 8) {
      this.live -= 8;
      this.byte((this.acc >>> this.live) & 0xff);
    }
    this.acc &= (1 << this.live) - 1;
  }

  u32(v: number): void {
    this.bits(16, (v >>> 16) & 0xffff);
    this.bits(16, v & 0xffff);
  }

  private byte(b: number): void {
    if (this.pos === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.pos++] = b;
  }

  /** Whole bytes written so far (keeps any partial byte). */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Pad the partial byte with zeros. */
  flush(): void {
    if (this.live > 0) this.bits(8 - this.live, 0);
  }
}

/** Rotations' prefix length ranked by the first pass (LSD radix sort, two bytes a pass). */
const PREFIX = 16;
/** Tied groups this small are insertion-sorted in place; larger ones go through a typed-array sort. */
const SMALL_GROUP = 16;

/**
 * Sort the cyclic rotations of `block[0..n)`; returns the rotation start indices in order.
 * Larsson–Sadakane prefix doubling: rank every rotation by its first 16 bytes (LSD radix sort
 * over the block extended cyclically, stable, so equal prefixes stay in index order), then each
 * round re-sorts only the groups still tied, by the rank of the rotation `h` further on (ties by
 * index). O(n log n). Where the block repeats itself (a period dividing n), equal rotations stay
 * in index order; bzip2 may point at any of them (libbzip2's own sort leaves them in an order of
 * its own, so only there are the bytes not libbzip2's).
 */
function sortRotations(block: Uint8Array, n: number): Int32Array {
  const sa = new Int32Array(n);
  if (n <= 1) return sa;
  const rank = new Int32Array(n);
  const keys = new Int32Array(n);
  const ext = new Uint8Array(n + PREFIX);
  ext.set(block.subarray(0, n));
  for (let i = n; i < n + PREFIX; i++) ext[i] = ext[i - n]!;
  {
    // LSD radix sort by the first PREFIX bytes; `keys` doubles as the scatter buffer.
    for (let i = 0; i < n; i++) sa[i] = i;
    const cnt = new Int32Array(65536);
    let src = sa;
    let dst = keys;
    for (let d = PREFIX - 2; d >= 0; d -= 2) {
      cnt.fill(0);
      for (let i = 0; i < n; i++) cnt[(ext[i + d]! << 8) | ext[i + d + 1]!]!++;
      let sum = 0;
      for (let k = 0; k < 65536; k++) {
        const c = cnt[k]!;
        cnt[k] = sum;
        sum += c;
      }
      for (let t = 0; t < n; t++) {
        const i = src[t]!;
        dst[cnt[(ext[i + d]! << 8) | ext[i + d + 1]!]!++] = i;
      }
      const x = src;
      src = dst;
      dst = x;
    }
    if (src !== sa) sa.set(src);
  }
  // rank = index of the last member of the rotation's group; collect tied groups.
  let groups = new Int32Array(1024);
  let nGroups = 0;
  const pushGroup = (s: number, e: number): void => {
    if (nGroups + 2 > groups.length) {
      const g = new Int32Array(groups.length * 2);
      g.set(groups);
      groups = g;
    }
    groups[nGroups++] = s;
    groups[nGroups++] = e;
  };
  for (let s = 0; s < n; ) {
    let e = s;
    const a = sa[s]!;
    while (e + 1 < n) {
      const b = sa[e + 1]!;
      let k = 0;
      while (k < PREFIX && ext[a + k] === ext[b + k]) k++;
      if (k < PREFIX) break;
      e++;
    }
    for (let j = s; j <= e; j++) rank[sa[j]!] = e;
    if (e > s) pushGroup(s, e);
    s = e + 1;
  }
  const SHIFT = 1048576; // 2^20 > max block length
  const scratch = new Float64Array(n);
  for (let h = PREFIX; nGroups > 0 && h < n; h *= 2) {
    const todo = groups.slice(0, nGroups);
    nGroups = 0;
    for (let g = 0; g < todo.length; g += 2) {
      const s = todo[g]!;
      const e = todo[g + 1]!;
      const m = e - s + 1;
      if (m <= SMALL_GROUP) {
        // Insertion sort by (rank h further on, index).
        for (let t = 0; t < m; t++) {
          const j = sa[s + t]!;
          const k = j + h;
          const key = rank[k >= n ? k - n : k]!;
          let u = t - 1;
          while (u >= 0 && (keys[u]! > key || (keys[u] === key && sa[s + u]! > j))) {
            keys[u + 1] = keys[u]!;
            sa[s + u + 1] = sa[s + u]!;
            u--;
          }
          keys[u + 1] = key;
          sa[s + u + 1] = j;
        }
      } else {
        for (let t = 0; t < m; t++) {
          const j = sa[s + t]!;
          const k = j + h;
          scratch[t] = rank[k >= n ? k - n : k]! * SHIFT + j;
        }
        const part = scratch.subarray(0, m);
        part.sort();
        for (let t = 0; t < m; t++) {
          const v = part[t]!;
          const key = (v / SHIFT) | 0;
          sa[s + t] = v - key * SHIFT;
          keys[t] = key;
        }
      }
      // Split into subgroups by key; rank = subgroup end.
      let a = 0;
      while (a < m) {
        const key = keys[a];
        let b = a;
        while (b + 1 < m && keys[b + 1] === key) b++;
        for (let t = a; t <= b; t++) rank[sa[s + t]!] = s + b;
        if (b > a) pushGroup(s + a, s + b);
        a = b + 1;
      }
    }
  }
  return sa;
}

/**
 * Huffman code lengths for `freq`, no code longer than `maxLen`: libbzip2's `BZ2_hbMakeCodeLengths`
 * step for step (a binary heap of weights whose low 8 bits hold the subtree depth, so that of
 * equal weights the shallower merges first; too long a code halves the weights and starts again),
 * so that the lengths, and with them the stream, are the bytes libbzip2 writes.
 */
function codeLengths(freq: Int32Array, alphaSize: number, maxLen: number): Uint8Array {
  const lens = new Uint8Array(alphaSize);
  // Nodes and heap entries count from 1; entry 0 is a sentinel of weight 0.
  const heap = new Int32Array(alphaSize + 2);
  const weight = new Int32Array(alphaSize * 2);
  const parent = new Int32Array(alphaSize * 2);
  for (let i = 0; i < alphaSize; i++) weight[i + 1] = (freq[i] === 0 ? 1 : freq[i]!) << 8;
  let nHeap = 0;
  const up = (z: number): void => {
    const tmp = heap[z]!;
    while (weight[tmp]! < weight[heap[z >> 1]!]!) {
      heap[z] = heap[z >> 1]!;
      z >>= 1;
    }
    heap[z] = tmp;
  };
  const pop = (): number => {
    const top = heap[1]!;
    heap[1] = heap[nHeap--]!;
    let z = 1;
    const tmp = heap[z]!;
    for (;;) {
      let y = z << 1;
      if (y > nHeap) break;
      if (y < nHeap && weight[heap[y + 1]!]! < weight[heap[y]!]!) y++;
      if (weight[tmp]! < weight[heap[y]!]!) break;
      heap[z] = heap[y]!;
      z = y;
    }
    heap[z] = tmp;
    return top;
  };
  for (;;) {
    let nNodes = alphaSize;
    nHeap = 0;
    for (let i = 1; i <= alphaSize; i++) {
      parent[i] = -1;
      heap[++nHeap] = i;
      up(nHeap);
    }
    while (nHeap > 1) {
      const n1 = pop();
      const n2 = pop();
      nNodes++;
      parent[n1] = nNodes;
      parent[n2] = nNodes;
      const w1 = weight[n1]!;
      const w2 = weight[n2]!;
      weight[nNodes] = ((w1 & ~0xff) + (w2 & ~0xff)) | (1 + Math.max(w1 & 0xff, w2 & 0xff));
      parent[nNodes] = -1;
      heap[++nHeap] = nNodes;
      up(nHeap);
    }
    let tooLong = false;
    for (let i = 1; i <= alphaSize; i++) {
      let d = 0;
      for (let k = i; parent[k]! >= 0; k = parent[k]!) d++;
      lens[i - 1] = d;
      if (d > maxLen) tooLong = true;
    }
    if (!tooLong) return lens;
    for (let i = 1; i <= alphaSize; i++) weight[i] = (1 + Math.floor((weight[i]! >> 8) / 2)) << 8;
  }
}

const RUNA = 0;
const RUNB = 1;
const G_SIZE = 50;

/**
 * Incremental bzip2 compressor: `write()` input, collect output with `take()`,
 * `end()` once. Block size 1–9 (× 100 kB), like `bzip2 -1 … -9`.
 */
export class Bzip2Encoder {
  private readonly out = new BitWriter();
  private readonly blockMax: number;
  private readonly block: Uint8Array;
  private n = 0;
  private readonly inUse = new Uint8Array(256);
  private runCh = -1;
  private runLen = 0;
  private blockCrc = 0xffffffff;
  private combinedCrc = 0;
  private ended = false;

  constructor(readonly level = 9) {
    if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError('bzip2 level must be 1..9');
    this.blockMax = 100000 * level - 19;
    this.block = new Uint8Array(100000 * level + 1);
    this.out.bits(8, 0x42);
    this.out.bits(8, 0x5a);
    this.out.bits(8, 0x68);
    this.out.bits(8, 0x30 + level);
  }

  write(data: Uint8Array): void {
    if (this.ended) throw new Error('bzip2 encoder already ended');
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      if (b === this.runCh && this.runLen < 255) {
        this.runLen++;
      } else {
        if (this.runLen > 0) this.flushRun();
        this.runCh = b;
        this.runLen = 1;
      }
      // A full block is compressed at once, as libbzip2 does; the pending run (≤ 5 bytes once
      // written, which the block keeps room for) goes into the next block.
      if (this.n >= this.blockMax) this.compressBlock();
    }
  }

  /** Compressed bytes produced so far. */
  take(): Uint8Array {
    return this.out.take();
  }

  end(): Uint8Array {
    if (!this.ended) {
      this.ended = true;
      if (this.runLen > 0) this.flushRun();
      if (this.n > 0) this.compressBlock();
      this.out.bits(24, 0x177245);
      this.out.bits(24, 0x385090);
      this.out.u32(this.combinedCrc >>> 0);
      this.out.flush();
    }
    return this.out.take();
  }

  private flushRun(): void {
    const ch = this.runCh;
    const len = this.runLen;
    let crc = this.blockCrc;
    for (let i = 0; i < len; i++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ ch) & 0xff]!;
    this.blockCrc = crc;
    this.inUse[ch] = 1;
    const blk = this.block;
    if (len >= 4) {
      blk[this.n++] = ch;
      blk[this.n++] = ch;
      blk[this.n++] = ch;
      blk[this.n++] = ch;
      blk[this.n++] = len - 4;
      this.inUse[len - 4] = 1;
    } else {
      for (let i = 0; i < len; i++) blk[this.n++] = ch;
    }
    this.runCh = -1;
    this.runLen = 0;
  }

  private compressBlock(): void {
    const n = this.n;
    const blk = this.block;
    const blockCrc = ~this.blockCrc >>> 0;
    this.combinedCrc = (((this.combinedCrc << 1) | (this.combinedCrc >>> 31)) ^ blockCrc) >>> 0;

    // BWT.
    const sa = sortRotations(blk, n);
    let origPtr = -1;
    const last = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const s = sa[i]!;
      if (s === 0) {
        origPtr = i;
        last[i] = blk[n - 1]!;
      } else last[i] = blk[s - 1]!;
    }

    // Symbol map.
    const seqOf = new Int32Array(256);
    let nInUse = 0;
    for (let i = 0; i < 256; i++) if (this.inUse[i]) seqOf[i] = nInUse++;
    const alphaSize = nInUse + 2;
    const EOB = nInUse + 1;

    // MTF + RLE2 of zero runs.
    const mtfv = new Uint16Array(n + 1);
    const mtfFreq = new Int32Array(258);
    let nMTF = 0;
    const yy = new Uint8Array(256);
    for (let i = 0; i < nInUse; i++) yy[i] = i;
    let zPend = 0;
    const emitRun = (): void => {
      zPend--;
      for (;;) {
        const sym = zPend & 1 ? RUNB : RUNA;
        mtfv[nMTF++] = sym;
        mtfFreq[sym]!++;
        if (zPend < 2) break;
        zPend = (zPend - 2) >> 1;
      }
      zPend = 0;
    };
    for (let i = 0; i < n; i++) {
      const ll = seqOf[last[i]!]!;
      if (yy[0] === ll) {
        zPend++;
        continue;
      }
      if (zPend > 0) emitRun();
      let j = 1;
      let prev = yy[0]!;
      yy[0] = ll;
      while (prev !== ll) {
        const t = yy[j]!;
        yy[j] = prev;
        prev = t;
        j++;
      }
      const sym = j; // position (j-1) + 1
      mtfv[nMTF++] = sym;
      mtfFreq[sym]!++;
    }
    if (zPend > 0) emitRun();
    mtfv[nMTF++] = EOB;
    mtfFreq[EOB]!++;

    // Huffman tables.
    const nGroups = nMTF < 200 ? 2 : nMTF < 600 ? 3 : nMTF < 1200 ? 4 : nMTF < 2400 ? 5 : 6;
    const len: Uint8Array[] = [];
    for (let t = 0; t < nGroups; t++) len.push(new Uint8Array(alphaSize).fill(15));
    {
      let nPart = nGroups;
      let remF = nMTF;
      let gs = 0;
      while (nPart > 0) {
        const tFreq = Math.floor(remF / nPart);
        let ge = gs - 1;
        let aFreq = 0;
        while (aFreq < tFreq && ge < alphaSize - 1) {
          ge++;
          aFreq += mtfFreq[ge]!;
        }
        if (ge > gs && nPart !== nGroups && nPart !== 1 && (nGroups - nPart) % 2 === 1) {
          aFreq -= mtfFreq[ge]!;
          ge--;
        }
        const l = len[nPart - 1]!;
        for (let v = 0; v < alphaSize; v++) l[v] = v >= gs && v <= ge ? 0 : 15;
        nPart--;
        gs = ge + 1;
        remF -= aFreq;
      }
    }
    const nSelectors = Math.ceil(nMTF / G_SIZE);
    const selector = new Uint8Array(nSelectors);
    const rfreq: Int32Array[] = [];
    for (let t = 0; t < nGroups; t++) rfreq.push(new Int32Array(alphaSize));
    const cost = new Int32Array(nGroups);
    for (let iter = 0; iter < 4; iter++) {
      for (let t = 0; t < nGroups; t++) rfreq[t]!.fill(0);
      let sel = 0;
      for (let gs = 0; gs < nMTF; gs += G_SIZE) {
        const ge = Math.min(gs + G_SIZE, nMTF);
        cost.fill(0);
        for (let i = gs; i < ge; i++) {
          const s = mtfv[i]!;
          for (let t = 0; t < nGroups; t++) cost[t]! += len[t]![s]!;
        }
        let bt = 0;
        for (let t = 1; t < nGroups; t++) if (cost[t]! < cost[bt]!) bt = t;
        selector[sel++] = bt;
        const rf = rfreq[bt]!;
        for (let i = gs; i < ge; i++) rf[mtfv[i]!]!++;
      }
      for (let t = 0; t < nGroups; t++) len[t] = codeLengths(rfreq[t]!, alphaSize, 17);
    }
    const code: Int32Array[] = [];
    for (let t = 0; t < nGroups; t++) {
      const l = len[t]!;
      const cd = new Int32Array(alphaSize);
      let minLen = 32;
      let maxLen = 0;
      for (let i = 0; i < alphaSize; i++) {
        minLen = Math.min(minLen, l[i]!);
        maxLen = Math.max(maxLen, l[i]!);
      }
      let vec = 0;
      for (let bits = minLen; bits <= maxLen; bits++) {
        for (let i = 0; i < alphaSize; i++) if (l[i] === bits) cd[i] = vec++;
        vec <<= 1;
      }
      code.push(cd);
    }

    // Block header.
    const o = this.out;
    o.bits(24, 0x314159);
    o.bits(24, 0x265359);
    o.u32(blockCrc);
    o.bits(1, 0);
    o.bits(24, origPtr);
    let inUse16 = 0;
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) if (this.inUse[i * 16 + j]) inUse16 |= 1 << (15 - i);
    }
    o.bits(16, inUse16);
    for (let i = 0; i < 16; i++) {
      if (!(inUse16 & (1 << (15 - i)))) continue;
      let bits16 = 0;
      for (let j = 0; j < 16; j++) if (this.inUse[i * 16 + j]) bits16 |= 1 << (15 - j);
      o.bits(16, bits16);
    }
    o.bits(3, nGroups);
    o.bits(15, nSelectors);
    const pos = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectors; i++) {
      const s = selector[i]!;
      let j = 0;
      while (pos[j] !== s) j++;
      for (let k = j; k > 0; k--) pos[k] = pos[k - 1]!;
      pos[0] = s;
      for (let k = 0; k < j; k++) o.bits(1, 1);
      o.bits(1, 0);
    }
    for (let t = 0; t < nGroups; t++) {
      const l = len[t]!;
      let curr = l[0]!;
      o.bits(5, curr);
      for (let i = 0; i < alphaSize; i++) {
        while (curr < l[i]!) {
          o.bits(2, 2);
          curr++;
        }
        while (curr > l[i]!) {
          o.bits(2, 3);
          curr--;
        }
        o.bits(1, 0);
      }
    }
    let sel = 0;
    for (let gs = 0; gs < nMTF; gs += G_SIZE) {
      const ge = Math.min(gs + G_SIZE, nMTF);
      const t = selector[sel++]!;
      const l = len[t]!;
      const cd = code[t]!;
      for (let i = gs; i < ge; i++) {
        const s = mtfv[i]!;
        o.bits(l[s]!, cd[s]!);
      }
    }

    // Reset for the next block.
    this.n = 0;
    this.inUse.fill(0);
    this.blockCrc = 0xffffffff;
  }
}

/** A Transform stream that bzip2-compresses what passes through it. */
export function createBzip2Stream(level = 9): Transform {
  const enc = new Bzip2Encoder(level);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      try {
        enc.write(chunk);
        const out = enc.take();
        if (out.length > 0) this.push(out);
        // Let the event loop breathe between blocks (each can take a few hundred ms).
        setImmediate(cb);
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback): void {
      try {
        this.push(enc.end());
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}
