/**
 * Integer RLE v2 and byte RLE: the ORC specification's worked examples (all four sub-encodings),
 * and random round trips through tx's encoder and decoder, signed and unsigned, up to the int64
 * limits.
 */
import { describe, expect, it } from 'vitest';
import { InStream } from './compression.js';
import { BooleanDecoder, BooleanEncoder, ByteRleDecoder, ByteRleEncoder, ByteSink, IntRleV2Decoder, IntRleV2Encoder } from './rle.js';
import { snappyCompress, snappyDecompress } from './snappy.js';

const stream = (bytes: number[] | Uint8Array) => new InStream(Uint8Array.from(bytes), 'none', 1 << 20, 'test');

function decode(bytes: number[], n: number, signed = false): (number | bigint)[] {
  const d = new IntRleV2Decoder(stream(bytes), signed);
  return Array.from({ length: n }, () => d.next());
}

function encode(values: (number | bigint)[], signed: boolean): Buffer {
  const sink = new ByteSink();
  const e = new IntRleV2Encoder(sink, signed);
  for (const v of values) e.add(v);
  e.finish();
  return sink.take();
}

describe('integer RLE v2, the specification examples', () => {
  it('SHORT_REPEAT, DIRECT, PATCHED_BASE and DELTA decode as the spec says', () => {
    expect(decode([0x0a, 0x27, 0x10], 5)).toEqual([10000, 10000, 10000, 10000, 10000]);
    expect(decode([0x5e, 0x03, 0x5c, 0xa1, 0xab, 0x1e, 0xde, 0xad, 0xbe, 0xef], 4)).toEqual([23713, 43806, 57005, 48879]);
    expect(
      decode([0x8e, 0x13, 0x2b, 0x21, 0x07, 0xd0, 0x1e, 0x00, 0x14, 0x70, 0x28, 0x32, 0x3c, 0x46, 0x50, 0x5a, 0x64, 0x6e, 0x78, 0x82, 0x8c, 0x96, 0xa0, 0xaa, 0xb4, 0xbe, 0xfc, 0xe8], 20),
    ).toEqual([2030, 2000, 2020, 1000000, 2040, 2050, 2060, 2070, 2080, 2090, 2100, 2110, 2120, 2130, 2140, 2150, 2160, 2170, 2180, 2190]);
    expect(decode([0xc6, 0x09, 0x02, 0x02, 0x22, 0x42, 0x42, 0x46], 10)).toEqual([2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
  });

  it('the writer produces the spec bytes for SHORT_REPEAT and DIRECT', () => {
    expect([...encode([10000, 10000, 10000, 10000, 10000], false)]).toEqual([0x0a, 0x27, 0x10]);
    expect([...encode([23713, 43806, 57005, 48879], false)]).toEqual([0x5e, 0x03, 0x5c, 0xa1, 0xab, 0x1e, 0xde, 0xad, 0xbe, 0xef]);
  });

  it('a stream that ends inside a run is an error, not a short read', () => {
    expect(() => decode([0x5e, 0x03, 0x5c, 0xa1], 4)).toThrow(/corrupt test stream: ends early/);
  });
});

describe('integer RLE v2, random round trips', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const big = (): bigint => BigInt.asIntN(64, (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32)));
  const shapes: Record<string, (i: number) => number | bigint> = {
    small: () => Math.floor(rnd() * 200) - 100,
    repeats: (i) => Math.floor(i / 17) % 5,
    sequence: (i) => 1_000_000_000 + i * 3,
    decreasing: (i) => 5_000_000 - i * (1 + (i % 4)),
    wide: () => Math.floor((rnd() - 0.5) * 2 ** 53),
    thirtyBits: () => Math.floor((rnd() - 0.5) * 2 ** 30),
    twentySixBits: () => Math.floor((rnd() - 0.5) * 2 ** 26),
    twentyEightBits: () => Math.floor((rnd() - 0.5) * 2 ** 28),
    fortyBits: () => Math.floor((rnd() - 0.5) * 2 ** 40),
    int64: () => big(),
    extremes: (i) => [-(2n ** 63n), 2n ** 63n - 1n, 0, -1, 1][i % 5]!,
    outliers: (i) => (i % 97 === 0 ? 2n ** 62n + BigInt(i) : i % 7),
  };
  for (const [name, gen] of Object.entries(shapes)) {
    for (const signed of [true, false]) {
      it(`${name}, ${signed ? 'signed' : 'unsigned'}`, () => {
        const values = Array.from({ length: 3001 }, (_, i) => {
          const v = gen(i);
          if (signed) return v;
          const u = BigInt(v) < 0n ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
          return u > BigInt(Number.MAX_SAFE_INTEGER) ? u : Number(u);
        });
        const bytes = encode(values, signed);
        const back = decode([...bytes], values.length, signed);
        const norm = (v: number | bigint) => (typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v);
        expect(back.map(norm)).toEqual(values.map(norm));
        // The bulk form (safe integers only) writes the same bytes as value by value.
        if (values.every((v) => typeof v === 'number')) {
          const sink = new ByteSink();
          const e = new IntRleV2Encoder(sink, signed);
          const src = Float64Array.from(values as number[]);
          for (let at = 0; at < src.length; at += 700) e.addSafe(src, at, Math.min(src.length, at + 700));
          e.finish();
          expect(sink.take().equals(bytes)).toBe(true);
        }
      });
    }
  }
});

describe('byte and boolean RLE, snappy', () => {
  it('round trips runs, literals and their boundaries', () => {
    const bytes = [...Array(300).fill(7), ...Array.from({ length: 300 }, (_, i) => (i * 31) & 0xff), 1, 1, 2, 2, 2, 3];
    const sink = new ByteSink();
    const e = new ByteRleEncoder(sink);
    bytes.forEach((b) => e.add(b));
    e.finish();
    const d = new ByteRleDecoder(stream(sink.take()));
    expect(bytes.map(() => d.next())).toEqual(bytes);
    // A hundred zeros is [0x61, 0x00], as the spec says.
    const z = new ByteSink();
    const ze = new ByteRleEncoder(z);
    for (let i = 0; i < 100; i++) ze.add(0);
    ze.finish();
    expect([...z.take()]).toEqual([0x61, 0x00]);
    const bools = Array.from({ length: 1001 }, (_, i) => i % 3 === 0 || i > 900);
    const bs = new ByteSink();
    const be = new BooleanEncoder(bs);
    bools.forEach((b) => be.add(b));
    be.finish();
    const bd = new BooleanDecoder(stream(bs.take()));
    expect(bools.map(() => bd.next())).toEqual(bools);
    // addTrues(n) is n times add(true), at any bit offset.
    for (const [before, n] of [[0, 0], [0, 5], [3, 5], [3, 30], [7, 1], [1, 2049]] as const) {
      const one = new ByteSink();
      const oe = new BooleanEncoder(one);
      const bulk = new ByteSink();
      const ue = new BooleanEncoder(bulk);
      for (let i = 0; i < before; i++) {
        oe.add(i % 2 === 0);
        ue.add(i % 2 === 0);
      }
      for (let i = 0; i < n; i++) oe.add(true);
      ue.addTrues(n);
      oe.add(false);
      ue.add(false);
      oe.finish();
      ue.finish();
      expect([...bulk.take()]).toEqual([...one.take()]);
    }
  });

  it('snappy round trips text, repeats and random bytes, and refuses to inflate past its cap', () => {
    const text = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(5000));
    const rand = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 2654435761) >>> 24));
    for (const b of [text, rand, Buffer.alloc(200_000, 9), Buffer.alloc(0), Buffer.from('ab')]) {
      const c = snappyCompress(b);
      expect(Buffer.from(snappyDecompress(c, b.length)).equals(b)).toBe(true);
    }
    expect(snappyCompress(text).length).toBeLessThan(text.length / 10);
    expect(() => snappyDecompress(snappyCompress(text), 1000)).toThrow(/claims 220000 bytes, more than the compression block size 1000/);
  });
});
