/**
 * The bzip2 encoder against libbzip2 itself, byte for byte: every input here is compressed by
 * Python's `bz2.compress` at the same level (one Python process for all of them, in beforeAll)
 * and the encoder must write exactly those bytes. Small, varied inputs (fast enough to run for
 * every mutant): empty, single bytes, every byte value, runs around the run-length limits, text,
 * seeded noise over several alphabets and lengths (every Huffman table count, many selectors),
 * long zero runs after the move-to-front (RUNA/RUNB). Streams of several blocks are in
 * `bzip2-encoder-python-blocks.test.ts` (each block is 100 kB: too slow to run for every mutant).
 * Blocks that repeat themselves (libbzip2 may point at another of the equal rotations) and the
 * encoder's argument and end-of-stream errors are in `bzip2-encoder-fast.test.ts`.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBzip2Stream } from './bzip2-encoder.js';
import { cat, compress, firstDiff, libbzip2Bytes, noise, run, text } from './bzip2-python-support.js';

/**
 * Inputs whose blocks have no two equal rotations: the bytes are libbzip2's exactly. In three
 * tiers, smallest first, so that a broken encoder fails on the small ones quickly.
 */
const TINY: [string, Buffer, number][] = [];
const MEDIUM: [string, Buffer, number][] = [];
const tiny = (name: string, data: Buffer, level = 9): void => void TINY.push([name, data, level]);
const medium = (name: string, data: Buffer, level = 9): void => void MEDIUM.push([name, data, level]);
tiny('empty', Buffer.alloc(0));
tiny('empty -1', Buffer.alloc(0), 1);
tiny('one byte', Buffer.from('a'));
tiny('hello world', Buffer.from('hello world\n'));
for (const level of [1, 2, 3, 4, 5, 6, 7, 8]) tiny(`"hello" -${level}`, Buffer.from('hello world\n'), level);
tiny('byte 0', Buffer.from([0]));
tiny('byte 255', Buffer.from([255]));
tiny('every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
tiny('every byte value, descending', Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)));
tiny('every byte value, shuffled, after noise', cat(noise(300, 11), Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 113) % 256))));
// runs of one byte, around the RLE1 limits (up to 3 written as they are, 4..255 as 4 + a count byte)
for (const len of [4, 5, 6, 7, 8, 9, 100, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 300]) tiny(`run of ${len}`, run(len));
for (const len of [1, 2, 3, 4, 5, 255, 256, 259, 260, 511, 766]) tiny(`x + run of ${len} + y`, cat('x', run(len), 'y'));
tiny('runs of every length 1..40', Buffer.concat(Array.from({ length: 40 }, (_, i) => run(i + 1, 0x41 + (i % 26)))));
tiny('runs of bytes 0 and 255', cat(run(5, 0), run(260, 255), run(4, 0), 'z', run(3, 255)));
tiny('runs of the byte equal to a run count', cat(run(4, 7), run(11, 7), run(11, 11), run(3, 4)));
tiny('noise 10', noise(10, 1));
// nMTF (move-to-front symbols + end of block) exactly 200, 600, 1200 and 2400, where the table count steps up
tiny('noise 199 (nMTF 200)', noise(199, 21));
tiny('noise 150', noise(150, 2));
tiny('noise 190 of 4', noise(190, 3, 4));
tiny('noise in one 16-byte range', noise(900, 14, 16, 0x70));
// text and its long move-to-front zero runs (RUNA/RUNB); seeded noise: every count of Huffman
// tables (nMTF < 200, 600, 1200, 2400, more) and many selectors
medium('csv text', text(600));
medium('csv text -1', text(300), 1);
medium('repeated words', Buffer.from(Array.from({ length: 800 }, (_, i) => ['alpha', 'beta', 'gamma', 'delta'][(i * 7) % 4]).join(' ')));
medium('zero-run lengths 1..200', Buffer.concat(Array.from({ length: 200 }, (_, i) => cat(run(i + 1, 0x30), String.fromCharCode(0x61 + (i % 26))))));
medium('abc…abd', cat('abc'.repeat(1000), 'x'.repeat(300), 'abd'.repeat(1000)));
for (const [len, alphabet, seed] of [
  [599, 256, 21], // nMTF 600
  [1199, 256, 21], // nMTF 1200
  [2399, 256, 21], // nMTF 2400
  [450, 256, 4],
  [580, 16, 5],
  [1000, 256, 6],
  [1150, 2, 7],
  [2000, 256, 8],
  [2300, 40, 9],
  [3000, 256, 10],
  [5000, 3, 11],
] as [number, number, number][]) {
  medium(`noise ${len} of ${alphabet}`, noise(len, seed, alphabet));
}
medium('noise in the high bytes only', noise(3000, 13, 64, 192));
medium('noise over scattered ranges', Buffer.from([...noise(2000, 15, 256)].map((v) => (v & 0x8f) | 0x20)));
const EXACT = [...TINY, ...MEDIUM];

let expected: Buffer[] | null = null;
beforeAll(async () => {
  const all = await libbzip2Bytes(EXACT.map(([, d, l]): [Buffer, number] => [d, l]));
  if (all === null) return; // every test skips
  expected = all;
}, 600_000);

describe('bzip2 encoder = libbzip2 (Python bz2.compress), byte for byte', () => {
  /** Each input of `tier` compressed by the encoder is libbzip2's bytes; stops at the first that is not. */
  const same = (tier: [string, Buffer, number][]): void => {
    for (const [name, data, level] of tier) {
      const i = EXACT.findIndex(([n]) => n === name);
      expect(firstDiff(compress(data, level), expected![i]!), name).toBe('same');
    }
  };

  it('small inputs: libbzip2\'s bytes', (ctx) => {
    if (!expected) return ctx.skip();
    same(TINY);
  });

  it('text and noise up to 5 kB: libbzip2\'s bytes', (ctx) => {
    if (!expected) return ctx.skip();
    same(MEDIUM);
  });

  it('the same bytes whatever the write sizes', (ctx) => {
    if (!expected) return ctx.skip();
    for (const name of ['csv text', 'runs of every length 1..40']) {
      const i = EXACT.findIndex(([n]) => n === name);
      const [, data, level] = EXACT[i]!;
      for (const chunk of [1, 7, 256]) {
        expect(firstDiff(compress(data, level, chunk), expected[i]!), `${name} in chunks of ${chunk}`).toBe('same');
      }
    }
  });

  it('the Transform stream writes the same bytes', async (ctx) => {
    if (!expected) return ctx.skip();
    for (const [name, level] of [
      ['csv text', 9],
      ['csv text -1', 1],
    ] as [string, number][]) {
      const i = EXACT.findIndex(([n]) => n === name);
      const data = EXACT[i]![1];
      const out: Buffer[] = [];
      await pipeline(Readable.from([data.subarray(0, 100), data.subarray(100)]), level === 9 ? createBzip2Stream() : createBzip2Stream(level), async (src: AsyncIterable<Buffer>) => {
        for await (const c of src) out.push(c);
      });
      expect(firstDiff(Buffer.concat(out), expected[i]!), name).toBe('same');
    }
  });
});
