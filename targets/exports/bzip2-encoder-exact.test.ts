/**
 * The bzip2 encoder, small and exact (fast enough to run for every mutant): the stream's bytes
 * where they are fixed (header, empty stream, end-of-stream marker and CRC), round trips through
 * bzip2 itself (which checks every block CRC and the combined CRC), block boundaries, the errors,
 * and output about as small as `bzip2` makes it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Bzip2Encoder, createBzip2Stream } from './bzip2-encoder.js';
import { compress as compressInChunks } from './bzip2-python-support.js';
import { bunzip2 } from './export-test-support.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-bz2-exact-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** The encoder's stream for `data`, written 4 KiB at a time unless told. */
const compress = (data: Buffer, level = 9, chunk = 4096): Buffer => compressInChunks(data, level, chunk);
/** Decompressed by bzip2 (or Python's bz2 where there is no bzip2). */
function decompress(bz: Buffer): Buffer {
  const file = path.join(dir, `${n++}.bz2`);
  fs.writeFileSync(file, bz);
  bunzip2(file, `${file}.out`);
  return fs.readFileSync(`${file}.out`);
}
function roundTrip(data: Buffer, level = 9, chunk = 4096): Buffer {
  const bz = compress(data, level, chunk);
  expect(decompress(bz).equals(data)).toBe(true);
  return bz;
}
/** Deterministic pseudo-random bytes. */
function noise(len: number, seed = 1): Buffer {
  const b = Buffer.alloc(len);
  let x = seed >>> 0;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
const text = (rows: number) =>
  Buffer.from(Array.from({ length: rows }, (_, i) => `${i},CITY ${i % 97},${['CA', 'NY', 'TX'][i % 3]},${(i * 7919) % 100000}\n`).join(''));

describe('bzip2 encoder (exact)', () => {
  it('an empty stream is the header, the end marker and a zero CRC', () => {
    expect([...compress(Buffer.alloc(0))]).toEqual([0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]);
    expect([...compress(Buffer.alloc(0), 1)]).toEqual([0x42, 0x5a, 0x68, 0x31, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]);
  });

  it('one block: block header, block CRC, and the combined CRC at the end', () => {
    const bz = roundTrip(Buffer.from('a'));
    expect([...bz.subarray(0, 10)]).toEqual([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
    // CRC-32 (bzip2's, MSB first) of "a" is 0x19939b6b; with one block, the combined CRC is the block's
    expect(bz.readUInt32BE(10)).toBe(0x19939b6b);
  });

  it('round-trips short inputs, every byte value and runs around the run-length limits', () => {
    for (const s of ['ab', 'hello world\n', 'aaaa', 'aaaab', 'abababababab']) roundTrip(Buffer.from(s));
    roundTrip(Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)));
    for (const len of [1, 2, 3, 4, 5, 6, 250, 251, 254, 255, 256, 259, 260, 600]) roundTrip(Buffer.alloc(len, 0x61));
    roundTrip(Buffer.concat([Buffer.alloc(300, 0), Buffer.from('x'), Buffer.alloc(4, 1), Buffer.alloc(5, 2), Buffer.alloc(3, 3), Buffer.alloc(255, 4), Buffer.alloc(1, 4)]));
    roundTrip(noise(30_000));
    roundTrip(Buffer.from('ab'.repeat(20_000)));
    roundTrip(Buffer.from('abc'.repeat(7_000) + 'x'.repeat(1000) + 'abd'.repeat(7_000)));
    // Rotations tied past the first 16 bytes (the radix pass), in groups small and large, and periods around 16.
    for (const p of [15, 16, 17, 33]) roundTrip(Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, p).repeat(3_000)));
    roundTrip(Buffer.from(Array.from({ length: 4_000 }, (_, i) => `{"city":"SPRINGFIELD","state_name":"${['ILLINOIS', 'MISSOURI'][i % 2]}","n":${i % 40}}\n`).join('')));
  });

  it('the same bytes whatever the write sizes', () => {
    const data = text(3000);
    const whole = compress(data, 9, data.length);
    expect(compress(data, 9, 1).equals(whole)).toBe(true);
    expect(compress(data, 9, 777).equals(whole)).toBe(true);
  });

  it('level N cuts blocks of N × 100 kB: several blocks, each with its CRC, and their combined CRC', () => {
    const data = Buffer.concat([text(10_000), noise(50_000, 7)]);
    expect(data.length).toBeGreaterThan(250_000);
    const bz = roundTrip(data, 1, 65536);
    // three block headers (the pi magic 0x314159265359) in a level-1 stream of 250+ kB; a bit-aligned search is needed
    let bits = '';
    for (const b of bz) bits += b.toString(2).padStart(8, '0');
    const magic = 0x314159265359.toString(2).padStart(48, '0');
    let count = 0;
    for (let at = bits.indexOf(magic); at >= 0; at = bits.indexOf(magic, at + 1)) count++;
    expect(count).toBe(3);
    const runs = Buffer.alloc(230_000, 0x62);
    roundTrip(runs, 1, 65536);
    roundTrip(Buffer.concat([noise(99_975, 3), Buffer.alloc(40, 0x63)]), 1);
  });

  it('is about as small as bzip2 -9 makes it', () => {
    for (const [data, level] of [
      [text(6000), 9],
      [Buffer.from('tx exports\n'.repeat(5000)), 9],
      [Buffer.concat([text(2000), noise(3000, 5)]), 9],
      [text(8000), 1],
    ] as [Buffer, number][]) {
      const ours = roundTrip(data, level).length;
      const theirs = execFileSync('bzip2', [`-${level}`, '-c'], { input: data, maxBuffer: 1 << 28 }).length;
      expect(ours).toBeLessThanOrEqual(Math.ceil(theirs * 1.03));
    }
  });

  it('levels outside 1..9, writes after the end, and a second end', () => {
    for (const level of [0, 10, 1.5, Number.NaN]) expect(() => new Bzip2Encoder(level)).toThrow(new RangeError('bzip2 level must be 1..9'));
    const enc = new Bzip2Encoder(9);
    enc.write(Buffer.from('x'));
    expect(enc.end().length).toBeGreaterThan(14);
    expect(enc.end().length).toBe(0);
    expect(() => enc.write(Buffer.from('y'))).toThrow('bzip2 encoder already ended');
    expect(new Bzip2Encoder().level).toBe(9);
  });

  it('the stream: chunks in, the whole bzip2 file out', async () => {
    const data = text(2000);
    const out: Buffer[] = [];
    await pipeline(Readable.from([data.subarray(0, 100), data.subarray(100)]), createBzip2Stream(), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) out.push(c);
    });
    const bz = Buffer.concat(out);
    expect(bz.subarray(0, 4).toString('latin1')).toBe('BZh9');
    expect(decompress(bz).equals(data)).toBe(true);
    const out1: Buffer[] = [];
    await pipeline(Readable.from([data]), createBzip2Stream(1), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) out1.push(c);
    });
    expect(Buffer.concat(out1).subarray(0, 4).toString('latin1')).toBe('BZh1');
  });
});
