/**
 * The Avro reader's type mapping, one schema at a time: each Avro type and logical type, every
 * kind of union, named types and namespaces, and the exact row values; plus the reader's errors,
 * batch sizes and progress.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avro from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { avroColumns, avroSchema, readAvroBatches, type Row } from './avro-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tx-avro-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes longs from BigInt, so values past 2^53 can be written. */
const WRITE_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n), 0);
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || typeof n === 'number',
  compare: () => 0,
});
const typeHook = (s: unknown) => (s === 'long' || (s && typeof s === 'object' && (s as { type?: unknown }).type === 'long') ? WRITE_LONG : undefined);

let n = 0;
/** Writes `records` (unions wrapped: `{branch: value}`) with `schema`; returns the file's path. */
async function write(schema: unknown, records: unknown[]): Promise<string> {
  const path = join(dir, `f${n++}.avro`);
  const type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true, typeHook });
  // the header gets the schema as given (logical types included, as other writers write them);
  // values are written with the wrapped-union, BigInt-long type
  const enc = new avro.streams.BlockEncoder(schema as avro.Schema, { codec: 'null', writeHeader: true });
  (enc as unknown as { _type: avro.Type })._type = type;
  await pipeline(Readable.from(records, { objectMode: true }), enc, createWriteStream(path));
  return path;
}

async function rowsOf(path: string, batchSize = 1000): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const b of readAvroBatches(path, { batchSize })) rows.push(...b);
  return rows;
}

/** Columns and rows of a record with one field `x` of type `type`. */
async function field(type: unknown, values: unknown[]): Promise<{ column: unknown; values: unknown[] }> {
  const path = await write({ type: 'record', name: 'R', fields: [{ name: 'x', type }] }, values.map((x) => ({ x })));
  const cols = await avroColumns(path);
  expect(cols).toHaveLength(1);
  return { column: cols[0], values: (await rowsOf(path)).map((r) => r.x) };
}

const bytes = (...b: number[]) => Buffer.from(b);

describe('Avro types → columns and values', () => {
  it('primitives', async () => {
    expect(await field('boolean', [true, false])).toStrictEqual({ column: { name: 'x', type: 'boolean', nullable: false }, values: [true, false] });
    expect(await field('int', [-5, 7])).toStrictEqual({ column: { name: 'x', type: 'integer', nullable: false }, values: [-5, 7] });
    expect(await field('long', [-5n, 2n ** 62n + 3n, -(2n ** 63n) + 1n])).toStrictEqual({ column: { name: 'x', type: 'bigint', nullable: false }, values: [-5n, 2n ** 62n + 3n, -(2n ** 63n) + 1n] });
    expect(await field('float', [0.5])).toStrictEqual({ column: { name: 'x', type: 'double', nullable: false }, values: [0.5] });
    expect(await field('double', [1.25])).toStrictEqual({ column: { name: 'x', type: 'double', nullable: false }, values: [1.25] });
    expect(await field('string', ['Ñandú'])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['Ñandú'] });
    expect(await field('bytes', [bytes(1, 2, 255)])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['AQL/'] });
    expect(await field({ type: 'fixed', name: 'F2', size: 2 }, [bytes(0, 65)])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['AEE='] });
    expect(await field({ type: 'enum', name: 'E', symbols: ['A', 'B'] }, ['B'])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['B'] });
    expect(await field('null', [null])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: true }, values: [null] });
    expect(await field({ type: 'string', logicalType: 'uuid' }, ['u-1'])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['u-1'] });
  });

  it('dates: days since 1970, before and after', async () => {
    expect(await field({ type: 'int', logicalType: 'date' }, [0, -1, 18_628])).toStrictEqual({
      column: { name: 'x', type: 'date', nullable: false },
      values: ['1970-01-01', '1969-12-31', '2021-01-01'],
    });
    // other int logical types are the raw count
    expect(await field({ type: 'int', logicalType: 'time-millis' }, [1000])).toStrictEqual({ column: { name: 'x', type: 'integer', nullable: false }, values: [1000] });
  });

  it('timestamps in millis, micros and nanos, local or not; sub-millisecond digits dropped toward the past', async () => {
    const col = { name: 'x', type: 'timestamp', nullable: false };
    for (const lt of ['timestamp-millis', 'local-timestamp-millis']) {
      expect(await field({ type: 'long', logicalType: lt }, [1_500n, -1n])).toStrictEqual({ column: col, values: [new Date(1500), new Date(-1)] });
    }
    for (const lt of ['timestamp-micros', 'local-timestamp-micros']) {
      expect(await field({ type: 'long', logicalType: lt }, [1_999n, -1n, -1000n, -1001n, 0n])).toStrictEqual({
        column: col,
        values: [new Date(1), new Date(-1), new Date(-1), new Date(-2), new Date(0)],
      });
    }
    for (const lt of ['timestamp-nanos', 'local-timestamp-nanos']) {
      expect(await field({ type: 'long', logicalType: lt }, [1_500_000n, -1n, 2_000_000n])).toStrictEqual({ column: col, values: [new Date(1), new Date(-1), new Date(2)] });
    }
    expect(await field({ type: 'long', logicalType: 'time-micros' }, [5n])).toStrictEqual({ column: { name: 'x', type: 'bigint', nullable: false }, values: [5n] });
  });

  it('decimals from bytes and fixed: exact strings, two’s complement, every scale', async () => {
    const dec = (scale?: number) => ({ type: 'bytes', logicalType: 'decimal', precision: 9, ...(scale === undefined ? {} : { scale }) });
    expect(await field(dec(2), [bytes(0x30, 0x39), bytes(0xcf, 0xc7), bytes(0), bytes(), bytes(0x80), bytes(0xff, 0xff), bytes(0x00, 0x80)])).toStrictEqual({
      column: { name: 'x', type: 'decimal', nullable: false, precision: 9, scale: 2 },
      values: ['123.45', '-123.45', '0.00', '0.00', '-1.28', '-0.01', '1.28'],
    });
    expect((await field(dec(3), [bytes(5), bytes(0xfb)])).values).toEqual(['0.005', '-0.005']);
    expect(await field(dec(), [bytes(0x01, 0x00)])).toStrictEqual({ column: { name: 'x', type: 'decimal', nullable: false, precision: 9, scale: 0 }, values: ['256'] });
    expect((await field(dec(-2), [bytes(5)])).values).toEqual(['500']);
    expect(await field({ type: 'fixed', name: 'D4', size: 4, logicalType: 'decimal', precision: 8, scale: 1 }, [bytes(0xff, 0xff, 0xff, 0xf6)])).toStrictEqual({
      column: { name: 'x', type: 'decimal', nullable: false, precision: 8, scale: 1 },
      values: ['-1.0'],
    });
    // no precision: not a decimal
    expect(await field({ type: 'bytes', logicalType: 'decimal', scale: 2 }, [bytes(1)])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['AQ=='] });
  });

  it('records, arrays and maps are JSON text; longs as numbers when safe, timestamps as ISO text', async () => {
    const rec = {
      type: 'record',
      name: 'Inner',
      fields: [
        { name: 'small', type: 'long' },
        { name: 'big', type: 'long' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'b', type: 'bytes' },
        { name: 'o', type: ['null', 'string'] },
        { name: 'd', type: { type: 'int', logicalType: 'date' } },
      ],
    };
    expect(await field(rec, [{ small: 3n, big: 2n ** 60n + 7n, at: 0n, b: bytes(255), o: null, d: 1 }])).toStrictEqual({
      column: { name: 'x', type: 'string', nullable: false },
      values: ['{"small":3,"big":"1152921504606846983","at":"1970-01-01T00:00:00.000Z","b":"/w==","o":null,"d":"1970-01-02"}'],
    });
    expect(await field({ type: 'array', items: 'long' }, [[1n, 2n ** 60n + 7n], []])).toStrictEqual({
      column: { name: 'x', type: 'string', nullable: false },
      values: ['[1,"1152921504606846983"]', '[]'],
    });
    expect(await field({ type: 'map', values: ['null', 'int', 'string'] }, [{ a: { int: 1 }, b: null, c: { string: 'z' } }, {}])).toStrictEqual({
      column: { name: 'x', type: 'string', nullable: false },
      values: ['{"a":"1","b":null,"c":"z"}', '{}'],
    });
    expect((await field({ type: 'record', name: 'Empty', fields: [] }, [{}])).values).toEqual(['{}']);
  });

  it('["null", T] and [T, "null"]: nullable T, the value T’s', async () => {
    expect(await field(['null', 'int'], [null, { int: 4 }])).toStrictEqual({ column: { name: 'x', type: 'integer', nullable: true }, values: [null, 4] });
    expect(await field(['long', 'null'], [{ long: 4n }, null])).toStrictEqual({ column: { name: 'x', type: 'bigint', nullable: true }, values: [4n, null] });
    expect(await field(['null', { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 1 }], [{ bytes: bytes(15) }, null])).toStrictEqual({
      column: { name: 'x', type: 'decimal', nullable: true, precision: 5, scale: 1 },
      values: ['1.5', null],
    });
  });

  it('other unions: the common type of the branches, else text', async () => {
    expect(await field(['int', 'long'], [{ int: 1 }, { long: 2n ** 60n + 7n }])).toStrictEqual({ column: { name: 'x', type: 'bigint', nullable: false }, values: [1n, 2n ** 60n + 7n] });
    expect(await field(['null', 'int', 'long'], [null, { int: 7 }])).toStrictEqual({ column: { name: 'x', type: 'bigint', nullable: true }, values: [null, 7n] });
    expect(await field(['int', 'double'], [{ int: 1 }, { double: 2.5 }])).toStrictEqual({ column: { name: 'x', type: 'double', nullable: false }, values: [1, 2.5] });
    expect(await field(['long', 'float', 'null'], [{ long: 3n }, null])).toStrictEqual({ column: { name: 'x', type: 'double', nullable: true }, values: [3, null] });
    expect(await field(['string', 'int', 'boolean', 'long', 'double'], [{ string: 's' }, { int: 5 }, { boolean: true }, { long: 2n ** 60n + 7n }, { double: 0.5 }])).toStrictEqual({
      column: { name: 'x', type: 'string', nullable: false },
      values: ['s', '5', 'true', '1152921504606846983', '0.5'],
    });
    expect(await field(['string', { type: 'int', logicalType: 'date' }, { type: 'long', logicalType: 'timestamp-millis' }, 'bytes'], [{ int: 2 }, { long: 1000n }, { bytes: bytes(1) }])).toStrictEqual({
      column: { name: 'x', type: 'string', nullable: false },
      values: ['1970-01-03', '1970-01-01T00:00:01.000Z', 'AQ=='],
    });
    expect(await field(['double', { type: 'int', logicalType: 'date' }], [{ int: 0 }])).toStrictEqual({ column: { name: 'x', type: 'string', nullable: false }, values: ['1970-01-01'] });
    // two decimals: a decimal column without one precision
    expect(await field([{ type: 'fixed', name: 'A1', size: 1, logicalType: 'decimal', precision: 2, scale: 1 }, { type: 'fixed', name: 'B1', size: 1, logicalType: 'decimal', precision: 3, scale: 2 }], [{ A1: bytes(5) }, { B1: bytes(5) }])).toEqual({
      column: { name: 'x', type: 'decimal', nullable: false },
      values: ['0.5', '0.05'],
    });
  });

  it('unions of named types, found by full name in the namespace', async () => {
    const schema = {
      type: 'record',
      name: 'Top',
      namespace: 'tx.t',
      fields: [
        {
          name: 'x',
          type: [
            'null',
            { type: 'record', name: 'A', fields: [{ name: 'a', type: 'int' }] },
            { type: 'record', name: 'B', namespace: 'other', fields: [{ name: 'b', type: 'string' }] },
            { type: 'enum', name: 'other.E', symbols: ['X'] },
            'string',
          ],
        },
        { name: 'y', type: 'A' },
        { name: 'z', type: ['null', 'other.B'] },
        { name: 'w', type: ['tx.t.A', 'int'] },
      ],
    };
    const path = await write(schema, [
      { x: { 'tx.t.A': { a: 1 } }, y: { a: 2 }, z: { 'other.B': { b: 'q' } }, w: { 'tx.t.A': { a: 3 } } },
      { x: { 'other.B': { b: 'p' } }, y: { a: 4 }, z: null, w: { int: 9 } },
      { x: { 'other.E': 'X' }, y: { a: 5 }, z: null, w: { int: 1 } },
      { x: { string: 's' }, y: { a: 6 }, z: null, w: { int: 2 } },
      { x: null, y: { a: 7 }, z: null, w: { int: 3 } },
    ]);
    expect(await avroColumns(path)).toStrictEqual([
      { name: 'x', type: 'string', nullable: true },
      { name: 'y', type: 'string', nullable: false },
      { name: 'z', type: 'string', nullable: true },
      { name: 'w', type: 'string', nullable: false },
    ]);
    expect(await rowsOf(path)).toEqual([
      { x: '{"a":1}', y: '{"a":2}', z: '{"b":"q"}', w: '{"a":3}' },
      { x: '{"b":"p"}', y: '{"a":4}', z: null, w: '9' },
      { x: 'X', y: '{"a":5}', z: null, w: '1' },
      { x: 's', y: '{"a":6}', z: null, w: '2' },
      { x: null, y: '{"a":7}', z: null, w: '3' },
    ]);
  });

  it('named types inside arrays, maps and nested records keep their namespace', async () => {
    const schema = {
      type: 'record',
      name: 'ns.Top',
      fields: [
        { name: 'rec', type: { type: 'record', name: 'Item', fields: [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['P', 'Q'] } }] } },
        { name: 'arr', type: { type: 'array', items: { type: 'enum', name: 'Sym', symbols: ['S'] } } },
        { name: 'mp', type: { type: 'map', values: { type: 'fixed', name: 'Two', size: 2 } } },
        { name: 'u', type: ['null', 'Item', 'Two', 'Sym'] },
        { name: 'k2', type: 'ns.Kind' },
        { name: 'err', type: { type: 'error', name: 'Oops', fields: [{ name: 'm', type: { type: 'enum', name: 'Msg', symbols: ['bad', 'ok'] } }] } },
        { name: 'err2', type: ['null', 'Oops'] },
        { name: 'msg', type: 'Msg' },
      ],
    };
    const path = await write(schema, [
      { rec: { k: 'Q' }, arr: ['S'], mp: { a: bytes(1, 2) }, u: { 'ns.Item': { k: 'P' } }, k2: 'Q', err: { m: 'bad' }, err2: { 'ns.Oops': { m: 'ok' } }, msg: 'ok' },
      { rec: { k: 'P' }, arr: [], mp: {}, u: { 'ns.Two': bytes(0, 0) }, k2: 'P', err: { m: 'ok' }, err2: null, msg: 'bad' },
      { rec: { k: 'P' }, arr: [], mp: {}, u: { 'ns.Sym': 'S' }, k2: 'P', err: { m: 'ok' }, err2: null, msg: 'ok' },
    ]);
    expect((await avroColumns(path)).map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['rec', 'string', false],
      ['arr', 'string', false],
      ['mp', 'string', false],
      ['u', 'string', true],
      ['k2', 'string', false],
      ['err', 'string', false],
      ['err2', 'string', true],
      ['msg', 'string', false],
    ]);
    expect(await rowsOf(path)).toEqual([
      { rec: '{"k":"Q"}', arr: '["S"]', mp: '{"a":"AQI="}', u: '{"k":"P"}', k2: 'Q', err: '{"m":"bad"}', err2: '{"m":"ok"}', msg: 'ok' },
      { rec: '{"k":"P"}', arr: '[]', mp: '{}', u: 'AAA=', k2: 'P', err: '{"m":"ok"}', err2: null, msg: 'bad' },
      { rec: '{"k":"P"}', arr: '[]', mp: '{}', u: 'S', k2: 'P', err: '{"m":"ok"}', err2: null, msg: 'ok' },
    ]);
  });

  it('a file of values that are not records has one column, `value`', async () => {
    const p1 = await write('long', [1n, 2n ** 62n + 1n]);
    expect(await avroColumns(p1)).toStrictEqual([{ name: 'value', type: 'bigint', nullable: false }]);
    expect(await rowsOf(p1)).toEqual([{ value: 1n }, { value: 2n ** 62n + 1n }]);
    const p2 = await write(['null', 'string'], [{ string: 'a' }]);
    expect(await avroColumns(p2)).toStrictEqual([{ name: 'value', type: 'string', nullable: true }]);
    expect(await rowsOf(p2)).toEqual([{ value: 'a' }]);
    const p3 = await write({ type: 'array', items: 'int' }, [[1, 2]]);
    expect(await rowsOf(p3)).toEqual([{ value: '[1,2]' }]);
    const p4 = await write({ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 }, [bytes(1)]);
    expect(await avroColumns(p4)).toStrictEqual([{ name: 'value', type: 'decimal', nullable: false, precision: 4, scale: 2 }]);
    expect(await avroSchema(p4)).toEqual({ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 });
  });
});

describe('readAvroBatches', () => {
  it('batch sizes: at least one row, fractions rounded down', async () => {
    const path = await write({ type: 'record', name: 'R', fields: [{ name: 'i', type: 'int' }] }, [1, 2, 3, 4, 5].map((i) => ({ i })));
    const sizes = async (batchSize: number) => {
      const out: number[] = [];
      for await (const b of readAvroBatches(path, { batchSize })) out.push(b.length);
      return out;
    };
    expect(await sizes(0)).toEqual([1, 1, 1, 1, 1]);
    expect(await sizes(-3)).toEqual([1, 1, 1, 1, 1]);
    expect(await sizes(2.9)).toEqual([2, 2, 1]);
    expect(await sizes(5)).toEqual([5]);
    expect(await sizes(6)).toEqual([5]);
    const all: number[] = [];
    for await (const b of readAvroBatches(path)) all.push(b.length);
    expect(all).toEqual([5]);
  });

  it('progress counts every byte read', async () => {
    const path = await write({ type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }] }, Array.from({ length: 200 }, (_, i) => ({ s: `row ${i}` })));
    const progress = { bytesRead: 0 };
    let rows = 0;
    for await (const b of readAvroBatches(path, { highWaterMark: 64, progress })) rows += b.length;
    expect(rows).toBe(200);
    expect(progress.bytesRead).toBe(statSync(path).size);
  });

  it('errors name the file', async () => {
    const notAvro = join(dir, 'not.avro');
    writeFileSync(notAvro, 'hello, world: this is not avro at all');
    await expect(rowsOf(notAvro)).rejects.toThrow(new RegExp(`^${notAvro}: `));
    await expect(avroSchema(notAvro)).rejects.toThrow(`${notAvro}: not an Avro object container file (bad magic bytes)`);
    const empty = join(dir, 'empty.avro');
    writeFileSync(empty, '');
    await expect(rowsOf(empty)).rejects.toThrow(`${empty}: not an Avro object container file (no header)`);
  });

  it('an aborted signal stops the read with its reason, or with "aborted"', async () => {
    const path = await write({ type: 'record', name: 'R', fields: [{ name: 'i', type: 'int' }] }, [{ i: 1 }]);
    const read = async (signal: AbortSignal) => {
      for await (const _ of readAvroBatches(path, { signal })) void _;
    };
    await expect(read(AbortSignal.abort(new Error('stop now')))).rejects.toThrow(`${path}: stop now`);
    await expect(read(AbortSignal.abort('not an error'))).rejects.toThrow(`${path}: aborted`);
    const ac = new AbortController();
    const it = readAvroBatches(path, { signal: ac.signal, batchSize: 1 });
    expect((await it.next()).value).toEqual([{ i: 1 }]);
    ac.abort(new Error('later'));
    await expect(it.next()).rejects.toThrow(`${path}: later`);
  });
});
