/**
 * The bzip2 encoder against libbzip2 (Python's `bz2.compress`), byte for byte, over several
 * blocks: level 1 cuts a block at 99,981 bytes after RLE1, compressed at once with the run still
 * pending, which goes into the next block; the end-of-stream CRC combines the blocks' CRCs.
 * The small inputs are in `bzip2-encoder-python.test.ts`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cat, compress, firstDiff, libbzip2Bytes, noise, run, text } from './bzip2-python-support.js';

const INPUTS: [string, Buffer, number][] = [
  ['noise 99,981 then a run of 40, level 1', cat(noise(99_981, 18), run(40, 0x63)), 1],
  ['noise 99,979 of 16 then "pq", level 1', cat(noise(99_979, 19, 16), 'pq'), 1],
  ['text and noise over three level-1 blocks', cat(text(4000), noise(150_000, 17)), 1],
  ['text over two level-2 blocks', text(12_000), 2],
];

let expected: Buffer[] | null = null;
beforeAll(async () => {
  expected = await libbzip2Bytes(INPUTS.map(([, d, l]): [Buffer, number] => [d, l]));
}, 600_000);

describe('bzip2 encoder = libbzip2 (Python bz2.compress), several blocks', () => {
  it('blocks cut at the limit with a run pending, combined CRC: libbzip2\'s bytes', (ctx) => {
    if (!expected) return ctx.skip();
    INPUTS.forEach(([name, data, level], i) => {
      expect(firstDiff(compress(data, level), expected![i]!), name).toBe('same');
    });
    expect(firstDiff(compress(INPUTS[0]![1], 1, 4093), expected[0]!), 'in chunks of 4093').toBe('same');
  });
});
