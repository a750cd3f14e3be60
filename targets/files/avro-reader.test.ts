import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroColumns, readAvroBatches, type Row } from './avro-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tx-avro-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeAvro(path: string, schema: object, records: Iterable<unknown>, opts: { codec?: string; blockSize?: number } = {}): Promise<void> {
  const enc = new avro.streams.BlockEncoder(schema as avro.Schema, {
    codec: opts.codec ?? 'deflate',
    blockSize: opts.blockSize ?? 65536,
    writeHeader: true, // also for files without records
  });
  await pipeline(Readable.from(records, { objectMode: true }), enc, createWriteStream(path));
}

/** Number of data blocks: every block ends with the header's sync marker. */
function countBlocks(path: string): number {
  const header = avro.extractFileHeader(path) as { sync: Buffer };
  const buf = readFileSync(path);
  let n = 0;
  let at = buf.indexOf(header.sync);
  at = buf.indexOf(header.sync, at + 16); // skip the header's own copy
  while (at >= 0) {
    n++;
    at = buf.indexOf(header.sync, at + 16);
  }
  return n;
}

async function readAll(path: string, batchSize: number): Promise<{ rows: Row[]; sizes: number[] }> {
  const rows: Row[] = [];
  const sizes: number[] = [];
  for await (const batch of readAvroBatches(path, { batchSize })) {
    sizes.push(batch.length);
    rows.push(...batch);
  }
  return { rows, sizes };
}

const SCHEMA = {
  type: 'record',
  name: 'Prescription',
  namespace: 'tx.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'npi', type: ['null', 'long'] },
    { name: 'name', type: ['null', 'string'] },
    { name: 'claims', type: ['null', 'int'] },
    { name: 'cost', type: 'double' },
    { name: 'ratio', type: 'float' },
    { name: 'active', type: 'boolean' },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'at_ms', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }] },
    { name: 'at_us', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'amount_fixed', type: ['null', { type: 'fixed', name: 'Dec8', size: 8, logicalType: 'decimal', precision: 18, scale: 3 }] },
    { name: 'flag', type: { type: 'enum', name: 'Flag', symbols: ['S', 'T'] } },
    { name: 'either', type: ['null', 'int', 'long'] },
    { name: 'mixed', type: ['string', 'double'] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'addr', type: ['null', { type: 'record', name: 'Addr', fields: [{ name: 'city', type: 'string' }, { name: 'zip', type: ['null', 'string'] }] }] },
  ],
};

/** Two's-complement big-endian bytes of `n`, `size` bytes (or minimal when size is 0). */
function twos(n: bigint, size = 0): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!(v === 0n && (bytes[0]! & 0x80) === 0) && !(v === -1n && (bytes[0]! & 0x80) !== 0));
  while (size && bytes.length < size) bytes.unshift(n < 0n ? 0xff : 0);
  return Buffer.from(bytes);
}

const BASE_MS = Date.UTC(2021, 0, 1, 12, 30, 0);

function record(i: number): Record<string, unknown> {
  return {
    id: i,
    npi: i % 7 === 0 ? null : 1_000_000_000 + i,
    name: i % 5 === 0 ? null : `Prescriber ${i} "Ñandú", Jr.`,
    claims: i % 3 === 0 ? null : i * 2,
    cost: i * 1.25,
    ratio: 0.5,
    active: i % 2 === 0,
    day: 18_628 + (i % 365), // 2021-01-01 + n
    at_ms: i % 4 === 0 ? null : BASE_MS + i,
    at_us: (BASE_MS + i) * 1000 + 999,
    amount: twos(BigInt(i % 2 === 0 ? i * 101 : -i * 101)),
    amount_fixed: i % 6 === 0 ? null : twos(BigInt(-i * 1000 - 7), 8),
    flag: i % 3 === 0 ? 'T' : 'S',
    either: i % 9 === 0 ? null : i % 2 === 0 ? { int: i } : { long: i * 10 },
    mixed: i % 2 === 0 ? `s${i}` : i + 0.5,
    tags: i % 2 === 0 ? ['a', 'b'] : [],
    attrs: { k: i },
    addr: i % 8 === 0 ? null : { city: 'LOS ANGELES', zip: i % 16 === 1 ? null : '90001' },
  };
}

describe('avroColumns', () => {
  const path = join(dir, 'columns.avro');
  beforeAll(async () => {
    await writeAvro(path, SCHEMA, [record(1)]);
  });

  it('maps the schema to logical types, nullable unions included', async () => {
    const cols = await avroColumns(path);
    expect(cols).toEqual([
      { name: 'id', type: 'bigint', nullable: false },
      { name: 'npi', type: 'bigint', nullable: true },
      { name: 'name', type: 'string', nullable: true },
      { name: 'claims', type: 'integer', nullable: true },
      { name: 'cost', type: 'double', nullable: false },
      { name: 'ratio', type: 'double', nullable: false },
      { name: 'active', type: 'boolean', nullable: false },
      { name: 'day', type: 'date', nullable: false },
      { name: 'at_ms', type: 'timestamp', nullable: true },
      { name: 'at_us', type: 'timestamp', nullable: false },
      { name: 'amount', type: 'decimal', nullable: false, precision: 12, scale: 2 },
      { name: 'amount_fixed', type: 'decimal', nullable: true, precision: 18, scale: 3 },
      { name: 'flag', type: 'string', nullable: false },
      { name: 'either', type: 'bigint', nullable: true },
      { name: 'mixed', type: 'string', nullable: false },
      { name: 'tags', type: 'string', nullable: false },
      { name: 'attrs', type: 'string', nullable: false },
      { name: 'addr', type: 'string', nullable: true },
    ]);
  });

  it('rejects a file that is not Avro', async () => {
    const bad = join(dir, 'bad.avro');
    writeFileSync(bad, 'npi,name\n1,x\n');
    await expect(avroColumns(bad)).rejects.toThrow(/not an Avro/);
    await expect(readAll(bad, 10)).rejects.toThrow(/bad\.avro/);
    const empty = join(dir, 'zero-bytes.avro');
    writeFileSync(empty, '');
    await expect(readAll(empty, 10)).rejects.toThrow(/zero-bytes\.avro: not an Avro/);
  });
});

describe('readAvroBatches', () => {
  const N = 5000;
  const path = join(dir, 'rows.avro');
  beforeAll(async () => {
    await writeAvro(path, SCHEMA, Array.from({ length: N }, (_, i) => record(i)), { codec: 'deflate', blockSize: 4096 });
  });

  it('wrote a deflate file with many blocks', () => {
    const header = avro.extractFileHeader(path) as { meta: Record<string, unknown> };
    expect(header.meta['avro.codec']).toBe('deflate');
    expect(countBlocks(path)).toBeGreaterThan(10);
  });

  it('reads every row back in batches of the requested size', async () => {
    const { rows, sizes } = await readAll(path, 333);
    expect(rows).toHaveLength(N);
    expect(sizes.slice(0, -1).every((s) => s === 333)).toBe(true);
    expect(sizes.at(-1)).toBe(N % 333);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: N }, (_, i) => BigInt(i)));
  });

  it('converts values: nulls, unions, logical types, decimals, nested values', async () => {
    const { rows } = await readAll(path, 1000);
    const r0 = rows[0]!;
    expect(r0).toMatchObject({
      id: 0n,
      npi: null,
      name: null,
      claims: null,
      cost: 0,
      active: true,
      day: '2021-01-01',
      at_ms: null,
      amount: '0.00',
      amount_fixed: null,
      flag: 'T',
      either: null,
      mixed: 's0',
      tags: '["a","b"]',
      attrs: '{"k":0}',
      addr: null,
    });
    expect(r0.at_us).toEqual(new Date(BASE_MS)); // micros truncated to millis
    const r1 = rows[1]!;
    expect(r1).toMatchObject({
      id: 1n,
      npi: 1_000_000_001n,
      name: 'Prescriber 1 "Ñandú", Jr.',
      claims: 2,
      cost: 1.25,
      ratio: 0.5,
      active: false,
      day: '2021-01-02',
      amount: '-1.01',
      amount_fixed: '-1.007',
      flag: 'S',
      either: 10n,
      mixed: '1.5',
      tags: '[]',
      addr: '{"city":"LOS ANGELES","zip":null}',
    });
    expect(r1.at_ms).toEqual(new Date(BASE_MS + 1));
    const r2 = rows[2]!;
    expect(r2.either).toBe(2n);
    expect(r2.amount).toBe('2.02');
    expect(r2.addr).toBe('{"city":"LOS ANGELES","zip":"90001"}');
    const nulls = (col: string): number => rows.filter((r) => r[col] === null).length;
    expect(nulls('npi')).toBe(Math.ceil(N / 7));
    expect(nulls('name')).toBe(N / 5);
    expect(nulls('at_ms')).toBe(N / 4);
  });

  it('reads a file without compression too', async () => {
    const p = join(dir, 'null-codec.avro');
    await writeAvro(p, SCHEMA, Array.from({ length: 250 }, (_, i) => record(i)), { codec: 'null', blockSize: 2048 });
    const { rows, sizes } = await readAll(p, 100);
    expect(sizes).toEqual([100, 100, 50]);
    expect(rows[249]!.id).toBe(249n);
  });

  it('yields nothing for a file without records', async () => {
    const p = join(dir, 'empty.avro');
    await writeAvro(p, SCHEMA, []);
    expect((await readAll(p, 10)).rows).toEqual([]);
    expect(await avroColumns(p)).toHaveLength(SCHEMA.fields.length);
  });

  it('streams: the first batch arrives after reading a small part of a big file', async () => {
    const p = join(dir, 'big.avro');
    const schema = { type: 'record', name: 'Big', fields: [{ name: 'i', type: 'long' }, { name: 's', type: 'string' }] };
    // Pseudo-random strings so that deflate cannot shrink the file to nothing.
    let x = 12345;
    const next = (): string => {
      let s = '';
      for (let k = 0; k < 6; k++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        s += x.toString(36);
      }
      return s;
    };
    function* gen(): Generator<{ i: number; s: string }> {
      for (let i = 0; i < 150_000; i++) yield { i, s: next() };
    }
    await writeAvro(p, schema, gen(), { codec: 'deflate', blockSize: 32 * 1024 });
    const size = statSync(p).size;
    expect(size).toBeGreaterThan(4 * 1024 * 1024);

    const progress = { bytesRead: 0 };
    let batches = 0;
    let rows = 0;
    for await (const batch of readAvroBatches(p, { batchSize: 100, highWaterMark: 64 * 1024, progress })) {
      batches++;
      rows += batch.length;
      if (batches === 1) expect(progress.bytesRead).toBeLessThan(size / 4);
      if (batches === 50) break; // stopping early must release the file
    }
    expect(rows).toBe(5000);
    expect(progress.bytesRead).toBeLessThan(size / 2);

    // And a full read sees every row.
    let total = 0;
    let last: unknown;
    for await (const batch of readAvroBatches(p, { batchSize: 10_000 })) {
      total += batch.length;
      last = batch.at(-1)!.i;
    }
    expect(total).toBe(150_000);
    expect(last).toBe(149_999n);
  });

  it('stops with the abort reason when the signal fires', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const run = async (): Promise<void> => {
      for await (const batch of readAvroBatches(path, { batchSize: 100, signal: ac.signal })) {
        seen.push(batch.length);
        if (seen.length === 2) ac.abort(new Error('stop now'));
      }
    };
    await expect(run()).rejects.toThrow(/stop now/);
    expect(seen.length).toBeLessThan(N / 100);
  });
});
