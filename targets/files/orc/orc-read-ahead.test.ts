/**
 * The reader's read-ahead worker (read-ahead.ts, read-worker.ts): with `threads: 1` the numeric
 * columns are decoded on a worker thread. The batches must equal a one-thread read's, value for
 * value, over several stripes, nulls (in the columns and in the root struct, from pyarrow-like
 * files tx writes here), bigints beyond 2^53 and batch sizes that do not divide the stripes; a
 * reader abandoned early, or a damaged file, leaves no worker behind. The worker runs the built
 * JavaScript (dist/): the test fails if it is missing rather than passing on one thread.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAheadCounts, readWorkerFile } from './read-ahead.js';
import { openOrcFile, readOrcColumnBatches, writeOrcFile, type OrcField } from './index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-ahead-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FIELDS: OrcField[] = [
  { name: 'id', type: { kind: 'long' } },
  { name: 'name', type: { kind: 'string' } },
  { name: 'small', type: { kind: 'int' } },
  { name: 'state', type: { kind: 'string' } },
  { name: 'cost', type: { kind: 'double' } },
  { name: 'f', type: { kind: 'float' } },
  { name: 'b', type: { kind: 'byte' } },
  { name: 'day', type: { kind: 'date' } },
];

function row(i: number): unknown[] {
  return [
    i % 97 === 0 ? 2n ** 60n + BigInt(i) : i % 13 === 0 ? null : 1_000_000_000 + i,
    i % 11 === 0 ? null : `name ${i % 5003} ${'x'.repeat(i % 30)}`,
    i % 7 === 0 ? null : (i * 7919) % 100_000,
    ['CA', 'NY', 'TX', null][i % 4],
    i % 17 === 0 ? null : Math.round(((i * 104729) % 10_000_000) / 100) / 100,
    i % 19 === 0 ? null : (i % 1000) / 8,
    i % 23 === 0 ? null : (i % 256) - 128,
    i % 29 === 0 ? null : { days: 18000 + (i % 3000) },
  ];
}

async function batches(file: string, threads: number, batchSize: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of readOrcColumnBatches(file, { batchSize, threads })) {
    out.push({ rows: b.rows, columns: b.columns.map((c) => ({ ...c, nums: c.nums ? Array.from(c.nums) : undefined, present: c.present ? Array.from(c.present) : undefined })) });
  }
  return out;
}

describe('ORC read-ahead worker', () => {
  it('is built (dist/) so the worker path runs', () => {
    expect(readWorkerFile(), 'run `npm run build`: the read worker runs the built JavaScript').toBeDefined();
  });

  it('gives the same batches as one thread, over several stripes, nulls and bigints', async () => {
    const file = path.join(dir, 'many.orc');
    const n = 45_000;
    await writeOrcFile(file, FIELDS, Array.from({ length: n }, (_, i) => row(i)), { compression: 'snappy', stripeSizeBytes: 200_000 });
    const info = await openOrcFile(file);
    expect(info.stripes.length).toBeGreaterThan(2);
    for (const batchSize of [1000, 4093]) {
      const before = { ...readAheadCounts };
      const threaded = await batches(file, 1, batchSize);
      expect(readAheadCounts.started).toBe(before.started + 1);
      // Every batch's numeric columns came from the worker.
      expect(readAheadCounts.batches - before.batches).toBe(threaded.length);
      expect(readAheadCounts.open).toBe(0);
      const single = await batches(file, 0, batchSize);
      expect(readAheadCounts.started).toBe(before.started + 1);
      expect(threaded).toEqual(single);
      expect(threaded.reduce((a: number, b) => a + (b as { rows: number }).rows, 0)).toBe(n);
    }
    // A small file read with the defaults stays on one thread.
    const before = readAheadCounts.started;
    await batches(file, undefined as unknown as number, 1000);
    expect(readAheadCounts.started).toBe(before);
  });

  it('a reader left after two batches stops its worker', async () => {
    const file = path.join(dir, 'stop.orc');
    await writeOrcFile(file, FIELDS, Array.from({ length: 30_000 }, (_, i) => row(i)), { compression: 'zlib' });
    let seen = 0;
    for await (const b of readOrcColumnBatches(file, { batchSize: 1000, threads: 1 })) {
      expect(b.columns[0]!.nums).toBeInstanceOf(Float64Array);
      if (++seen === 2) break;
    }
    expect(seen).toBe(2);
    expect(readAheadCounts.open).toBe(0);
  });

  it('a damaged file fails with its name and leaves no worker', async () => {
    const file = path.join(dir, 'damaged.orc');
    await writeOrcFile(file, FIELDS, Array.from({ length: 20_000 }, (_, i) => row(i)), { compression: 'snappy' });
    const bytes = fs.readFileSync(file);
    const info = await openOrcFile(file);
    // Destroy the middle of the stripe's data (numeric and text streams alike).
    const s = info.stripes[0]!;
    const from = s.offset + s.indexLength;
    for (let i = from; i < from + s.dataLength; i += 7) bytes[i] = (bytes[i]! * 31 + 17) & 0xff;
    fs.writeFileSync(file, bytes);
    await expect(batches(file, 1, 1000)).rejects.toThrow(file);
    expect(readAheadCounts.open).toBe(0);
    // Truncated: the tail cannot be read, on either thread.
    fs.writeFileSync(file, bytes.subarray(0, 100));
    await expect(batches(file, 1, 1000)).rejects.toThrow(file);
    expect(readAheadCounts.open).toBe(0);
  });
});
