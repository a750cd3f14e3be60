/**
 * The bzip2 encoder against libbzip2 (Python's `bz2.compress`), byte for byte, on few inputs
 * chosen to reach every branch of the encoder: cheap enough to run for each of its ~740 mutants
 * (`bzip2-encoder-python.test.ts` has more and smaller-step inputs, ~25 s a mutant under
 * Stryker's instrumentation). One Python process computes libbzip2's bytes for all the inputs;
 * without the cached venv every comparison goes through serviceUnavailable. Tests run smallest
 * first, so a broken encoder fails on a tiny input quickly.
 *
 * Inputs whose block repeats itself are compared but for the 24-bit origPtr (libbzip2 points at
 * one of the equal rotations of its own choosing) and decoded by bzip2 to the input.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bzip2Encoder, createBzip2Stream } from './bzip2-encoder.js';
import { cat, compress, firstDiff, libbzip2Bytes, noise, run, text } from './bzip2-python-support.js';
import { bunzip2 } from './export-test-support.js';

type Input = { name: string; data: Buffer; level: number };
const INPUTS: Input[] = [];
const input = (name: string, data: Buffer, level = 9): Input => {
  const x = { name, data, level };
  INPUTS.push(x);
  return x;
};

const HEADERS = [
  input('empty', Buffer.alloc(0)),
  input('empty -1', Buffer.alloc(0), 1),
  input('one byte', Buffer.from('a')),
  input('two bytes', Buffer.from('ab')),
  ...[1, 5, 9].map((l) => input(`hello -${l}`, Buffer.from('hello world\n'), l)),
];
// Runs of one byte around the RLE1 limits (1..3 written as they are, 4..255 as four and a count
// byte, longer ones cut at 255), of bytes 0 and 255 and of a byte equal to a run count; every
// byte value (all 16 inUse ranges), ascending and shuffled.
const RUNS = [
  input('runs of lengths 1..9 and 250..261', cat(...[1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261].map((len, i) => cat(run(len, 0x41 + i), 'z')))),
  input('runs of 510, 511, 766 and 1000', cat(run(510, 0x61), 'b', run(511, 0x63), 'd', run(766, 0x65), 'f', run(1000, 0x67))),
  input('runs of bytes 0 and 255, and of a run-count byte', cat(run(5, 0), run(260, 255), run(4, 0), 'z', run(3, 255), run(4, 7), run(11, 7), run(11, 11), run(3, 4))),
  input('run at the end', cat('xy', run(300, 0x71))),
  input('every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
  input('every byte value, shuffled, after noise', cat(noise(300, 11), Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 113) % 256)))),
  input('bytes in one 16-byte range', noise(900, 14, 16, 0x70)),
  input('scattered byte ranges', Buffer.from([...noise(2000, 15, 256)].map((v) => (v & 0x8f) | 0x20))),
];
// nMTF (move-to-front symbols + end of block) at 200, 600, 1200 and 2400, where the Huffman
// table count steps from 2 up to 6, and around them; small alphabets (long MTF zero runs).
const TABLES = [
  input('noise 150', noise(150, 2)),
  input('noise 199 (nMTF 200)', noise(199, 21)),
  input('noise 450', noise(450, 4)),
  input('noise 599 (nMTF 600)', noise(599, 21)),
  input('noise 580 of 16', noise(580, 5, 16)),
  input('noise 1150 of 2', noise(1150, 7, 2)),
  input('noise 1199 (nMTF 1200)', noise(1199, 21)),
  input('noise 2300 of 40', noise(2300, 9, 40)),
  input('noise 2399 (nMTF 2400)', noise(2399, 21)),
  input('noise 5000 of 3', noise(5000, 11, 3)),
];
// Rotations tied past their first 16 bytes, in small groups (insertion sort) and large ones
// (the typed-array sort), over many doubling rounds, and more tied groups than the first
// group list holds (512).
const TEXT = [
  input('csv text', text(600)),
  input('csv text -1', text(300), 1),
  input('repeated words', Buffer.from(Array.from({ length: 800 }, (_, i) => ['alpha', 'beta', 'gamma', 'delta'][(i * 7) % 4]).join(' '))),
  input('zero-run lengths 1..200', Buffer.concat(Array.from({ length: 200 }, (_, i) => cat(run(i + 1, 0x30), String.fromCharCode(0x61 + (i % 26)))))),
  input('abc…abd', cat('abc'.repeat(1000), 'x'.repeat(300), 'abd'.repeat(1000))),
  ...[15, 16, 17, 33].map((p) => input(`period ${p} then a break`, cat('abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, p).repeat(60), 'Q'))),
  input('noise 1500, a byte, the same noise (1500 tied groups)', cat(noise(1500, 16), 'Q', noise(1500, 16))),
];
// A first level-1 block of noise (99,981 bytes: compressed, more than the bit writer's first
// 64 kB) cut with a run pending, and a second block: the combined CRC of two.
const BLOCKS = [input('noise 99,981 then a run of 40, level 1', cat(noise(99_981, 18), run(40, 0x63)), 1)];

/** Blocks that repeat themselves: libbzip2's bytes but for the origPtr. */
const PERIODIC: [string, Buffer][] = [
  ['run of 2', run(2)],
  ['run of 3', run(3)],
  ['ab × 1000', Buffer.from('ab'.repeat(1000))],
  ['ababa × 20', Buffer.from('ababa'.repeat(20))],
  ['run of 510', run(510)],
  ['hello world × 300', Buffer.from('hello world '.repeat(300))],
];

/** The stream with the first block's origPtr (bits 113..136) zeroed. */
function withoutOrigPtr(bz: Buffer): Buffer {
  const out = Buffer.from(bz);
  for (let bit = 113; bit < 137; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-bz2-fast-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let expected: Map<Input, Buffer> | null = null;
let expectedPeriodic: Buffer[] = [];
beforeAll(async () => {
  const all = await libbzip2Bytes([...INPUTS.map((x): [Buffer, number] => [x.data, x.level]), ...PERIODIC.map(([, d]): [Buffer, number] => [d, 9])]);
  if (all === null) return; // every comparison skips
  expected = new Map(INPUTS.map((x, i) => [x, all[i]!]));
  expectedPeriodic = all.slice(INPUTS.length);
}, 600_000);

/** Each input compressed by the encoder is libbzip2's bytes (stops at the first that is not). */
function same(inputs: Input[], chunk?: number): void {
  for (const x of inputs) expect(firstDiff(compress(x.data, x.level, chunk), expected!.get(x)!), x.name).toBe('same');
}

describe('bzip2 encoder = libbzip2, few inputs reaching every branch', () => {
  it('stream and block headers at every level, empty and tiny inputs', (ctx) => {
    if (!expected) return ctx.skip();
    same(HEADERS);
  });

  it('runs around the run-length limits, every byte value, partial byte ranges', (ctx) => {
    if (!expected) return ctx.skip();
    same(RUNS);
  });

  it('every Huffman table count, many selectors', (ctx) => {
    if (!expected) return ctx.skip();
    same(TABLES);
  });

  it('text: rotations tied past 16 bytes, long move-to-front zero runs', (ctx) => {
    if (!expected) return ctx.skip();
    same(TEXT);
  });

  it('the same bytes written a byte or 7 bytes at a time, and through the Transform stream', async (ctx) => {
    if (!expected) return ctx.skip();
    same([RUNS[0]!, TEXT[0]!], 1);
    same([TEXT[1]!], 7);
    for (const x of [TEXT[0]!, TEXT[1]!]) {
      const out: Buffer[] = [];
      const stream = x.level === 9 ? createBzip2Stream() : createBzip2Stream(x.level);
      await pipeline(Readable.from([x.data.subarray(0, 100), x.data.subarray(100)]), stream, async (src: AsyncIterable<Buffer>) => {
        for await (const c of src) out.push(c);
      });
      expect(firstDiff(Buffer.concat(out), expected.get(x)!), `${x.name} through the stream`).toBe('same');
    }
  });

  it('a block that repeats itself: libbzip2\'s bytes but for the origPtr, and bzip2 decodes it', (ctx) => {
    if (!expected) return ctx.skip();
    PERIODIC.forEach(([name, data], i) => {
      const ours = compress(data);
      expect(firstDiff(withoutOrigPtr(ours), withoutOrigPtr(expectedPeriodic[i]!)), name).toBe('same');
      const file = path.join(dir, `periodic-${i}.bz2`);
      fs.writeFileSync(file, ours);
      bunzip2(file, `${file}.out`);
      expect(fs.readFileSync(`${file}.out`).equals(data), name).toBe(true);
    });
  });

  it('levels outside 1..9, writes after the end, and a second end', () => {
    for (const level of [0, 10, 1.5, Number.NaN]) expect(() => new Bzip2Encoder(level)).toThrow(new RangeError('bzip2 level must be 1..9'));
    const enc = new Bzip2Encoder(9);
    enc.write(Buffer.from('x'));
    expect(enc.end().length).toBe(37);
    expect(enc.end().length).toBe(0);
    expect(() => enc.write(Buffer.from('y'))).toThrow(new Error('bzip2 encoder already ended'));
    expect(new Bzip2Encoder().level).toBe(9);
  });

  it('two level-1 blocks, the first cut at the limit with a run pending', (ctx) => {
    if (!expected) return ctx.skip();
    same(BLOCKS);
  });
});
