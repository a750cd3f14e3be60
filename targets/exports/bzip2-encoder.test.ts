import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { provisionMoto } from '../../testing/services/provision.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { createBzip2Stream } from './bzip2-encoder.js';
import { compress } from './bzip2-python-support.js';
import { bunzip2 } from './export-test-support.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-bz2-test-'));

/** Compress with our encoder, decompress with an independent decoder, compare. */
function roundTrip(name: string, data: Buffer, level = 9, chunk = 65536): Buffer {
  const compressed = compress(data, level, chunk);
  const file = path.join(dir, `${name}.bz2`);
  fs.writeFileSync(file, compressed);
  const out = path.join(dir, name);
  bunzip2(file, out);
  expect(fs.readFileSync(out).equals(data)).toBe(true);
  return compressed;
}

/**
 * Python's bz2 is a second, independent reader. Its Python is the cached venv the S3 tests use
 * (~/.cache/tx/moto, provisioned by .ci/provision); without it that one case is skipped through
 * serviceUnavailable: loudly, or a failure when TX_TEST_REQUIRE names python (.ci/run does).
 */
let python: string | null = null;
beforeAll(async () => {
  try {
    const py = (await provisionMoto()).venv.python;
    execFileSync(py, ['-c', 'import bz2']);
    python = py;
  } catch (e) {
    serviceUnavailable('python', `no cached Python venv with bz2 for the bzip2 cross-check: ${(e as Error).message.split('\n')[0]}`);
  }
}, 600_000);

describe('bzip2 encoder', () => {
  it('round-trips edge cases through an independent decoder', () => {
    roundTrip('empty', Buffer.alloc(0));
    roundTrip('one', Buffer.from('a'));
    roundTrip('hello', Buffer.from('hello world\n'));
    roundTrip('allbytes', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    roundTrip('run255', Buffer.alloc(255, 7));
    roundTrip('run256', Buffer.alloc(256, 7));
    roundTrip('periodic', Buffer.from('ab'.repeat(50_000)));
    roundTrip('runs', Buffer.concat([Buffer.alloc(1000, 0), Buffer.from('x'), Buffer.alloc(4, 1), Buffer.alloc(5, 2), Buffer.alloc(3, 3)]));
  });

  it('compresses JSON lines about as well as bzip2 -9, across several 100 kB blocks', () => {
    let s = '';
    for (let i = 0; i < 6000; i++) s += `${JSON.stringify({ city: `CITY ${i % 517}`, state: ['CA', 'NY', 'TX'][i % 3], population: i * 37, zips: `${90000 + (i % 977)} ${91000 + (i % 31)}` })}\n`;
    const data = Buffer.from(s);
    const ours = roundTrip('jsonl-1', data, 1);
    expect(ours.length).toBeLessThan(data.length / 4);
    // Level 1 means 100 kB blocks: this input spans several, each with its own CRC.
    expect(data.length).toBeGreaterThan(3 * 100_000);
    roundTrip('jsonl-9', data, 9, 1000);
  });

  it('round-trips random (incompressible) data over one 900 kB block', () => {
    roundTrip('random', randomBytes(1_000_000), 9);
  });

  it('streams through a Transform that Python\'s bz2 also reads', async (ctx) => {
    if (!python) return ctx.skip();
    const data = Buffer.from('tx exports\n'.repeat(20_000) + randomBytes(5000).toString('base64'));
    const file = path.join(dir, 'stream.bz2');
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), createBzip2Stream(), fs.createWriteStream(file));
    const back = execFileSync(python, ['-c', 'import bz2,sys; sys.stdout.buffer.write(bz2.open(sys.argv[1]).read())', file], { maxBuffer: 1 << 28 });
    expect(back.equals(data)).toBe(true);
  });
});
