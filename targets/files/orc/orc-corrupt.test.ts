/**
 * Corrupt and unsupported ORC input: each a clear error naming the file (and column), never a
 * crash, a hang or an allocation the size of a lying length.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrcError, openOrcFile, readOrcFile, writeOrcFile, type OrcField } from './index.js';
import { ProtoMessage, ProtoWriter } from './proto.js';

let dir: string;
let good: string;
const fields: OrcField[] = [
  { name: 'id', type: { kind: 'long' } },
  { name: 'name', type: { kind: 'string' } },
  { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 2 } },
];
const rows = Array.from({ length: 2000 }, (_, i) => [i, `n${i}`, `${i}.25`]);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-bad-'));
  good = path.join(dir, 'good.orc');
  await writeOrcFile(good, fields, rows, { compression: 'none' });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function variant(name: string, edit: (b: Buffer) => Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, edit(Buffer.from(fs.readFileSync(good))));
  return f;
}

async function readError(file: string): Promise<OrcError> {
  try {
    await readOrcFile(file);
  } catch (e) {
    expect(e).toBeInstanceOf(OrcError);
    expect((e as Error).message.startsWith(`${file}: `)).toBe(true);
    return e as OrcError;
  }
  throw new Error(`${file} was read without an error`);
}

/** Replaces the postscript with one built from `edit(fields)`. */
function withPostscript(b: Buffer, edit: (ps: ProtoMessage) => ProtoWriter): Buffer {
  const psLen = b[b.length - 1]!;
  const ps = ProtoMessage.parse(b.subarray(b.length - 1 - psLen, b.length - 1), 'ps');
  const next = edit(ps).finish();
  return Buffer.concat([b.subarray(0, b.length - 1 - psLen), next, Buffer.from([next.length])]);
}

function postscript(ps: ProtoMessage, over: Partial<Record<'footer' | 'compression' | 'metadata', number>>): ProtoWriter {
  return new ProtoWriter()
    .uint(1, over.footer ?? ps.num(1))
    .uint(2, over.compression ?? ps.num(2))
    .uint(3, ps.num(3))
    .packed(4, [0, 12])
    .uint(5, over.metadata ?? ps.num(5))
    .uint(6, 6)
    .string(8000, 'ORC');
}

function replaceOnce(b: Buffer, from: number[], to: number[], start = 0): Buffer {
  const at = b.indexOf(Buffer.from(from), start);
  if (at < 0) throw new Error(`pattern ${from} not found`);
  Buffer.from(to).copy(b, at);
  return b;
}

describe('corrupt ORC files', () => {
  it('the good file reads', async () => {
    expect((await readOrcFile(good)).length).toBe(2000);
  });

  it('truncated tail, truncated in the middle, empty, wrong magic', async () => {
    const size = fs.statSync(good).size;
    for (const cut of [1, 7, 40, Math.floor(size / 2), size - 3]) {
      const f = variant(`cut-${cut}.orc`, (b) => b.subarray(0, b.length - cut));
      expect((await readError(f)).message).toMatch(/truncated|not a complete ORC file|corrupt|not an ORC file/);
    }
    expect((await readError(variant('empty.orc', () => Buffer.alloc(0)))).message).toMatch(/too small/);
    const magic = variant('magic.orc', (b) => {
      b.write('PAR', 0, 'latin1');
      return b;
    });
    expect((await readError(magic)).message).toMatch(/not an ORC file .*magic/);
    const csv = path.join(dir, 'data.orc');
    fs.writeFileSync(csv, 'a,b\n1,2\n');
    expect((await readError(csv)).message).toMatch(/not an ORC file/);
  });

  it('a postscript claiming a huge footer or metadata', async () => {
    const huge = variant('huge-footer.orc', (b) => withPostscript(b, (ps) => postscript(ps, { footer: 2 ** 40 })));
    expect((await readError(huge)).message).toMatch(/claims a 1099511627776-byte footer.*the file has \d+ bytes/);
    const meta = variant('huge-meta.orc', (b) => withPostscript(b, (ps) => postscript(ps, { metadata: 2 ** 50 })));
    expect((await readError(meta)).message).toMatch(/claims .* bytes of metadata/);
  });

  it('unknown and unsupported compression', async () => {
    const zstd = variant('zstd.orc', (b) => withPostscript(b, (ps) => postscript(ps, { compression: 5 })));
    expect((await readError(zstd)).message).toMatch(/compression ZSTD is not supported \(tx reads NONE, ZLIB and SNAPPY\)/);
    const odd = variant('odd.orc', (b) => withPostscript(b, (ps) => postscript(ps, { compression: 42 })));
    expect((await readError(odd)).message).toMatch(/unknown compression kind 42/);
  });

  it('stream lengths that lie', async () => {
    const info = await openOrcFile(good);
    const s = info.stripes[0]!;
    const footerAt = s.offset + s.indexLength + s.dataLength;
    const footer = ProtoMessage.parse(fs.readFileSync(good).subarray(footerAt, footerAt + s.footerLength), 'sf');
    const first = footer.messages(1, 'stream').find((m) => (m.num(3) ?? 0) < 120 && (m.num(3) ?? 0) > 2)!;
    const [kind, col, len] = [first.num(1)!, first.num(2)!, first.num(3)!];
    // One stream a few bytes longer: the lengths no longer add up to the stripe.
    const longer = variant('stream-longer.orc', (b) => replaceOnce(b, [0x08, kind, 0x10, col, 0x18, len], [0x08, kind, 0x10, col, 0x18, len + 5], footerAt));
    expect((await readError(longer)).message).toMatch(/stripe 1: its streams' lengths add up to/);
    // The stripe's data length itself lies (in the footer): past the end of the file's data.
    const info2 = await openOrcFile(good);
    expect(info2.stripes.length).toBe(1);
    const tooBig = variant('stripe-huge.orc', (b) => {
      // Stripe information: offset 3 (0x08 0x03), indexLength (0x10 varint), dataLength varint...
      const idx: number[] = [];
      for (let v = s.indexLength; ; v = Math.floor(v / 128)) {
        if (v < 0x80) {
          idx.push(v);
          break;
        }
        idx.push((v % 128) | 0x80);
      }
      const at = b.indexOf(Buffer.from([0x08, 0x03, 0x10, ...idx, 0x18]), footerAt + s.footerLength);
      const data = at + 3 + idx.length;
      b[data] = b[data]! | 0x7f; // a larger low group (same varint length)
      b[data + 1] = 0x7f;
      return b;
    });
    const err = await readError(tooBig);
    expect(err.message).toMatch(/stripe 1 .*lies outside the file's data|corrupt/);
  });

  it('a stream that ends early is an error, not garbage', async () => {
    // Zero the first bytes of the string column's LENGTH stream data region: RLE headers then claim
    // runs the stream does not hold.
    const info = await openOrcFile(good);
    const s = info.stripes[0]!;
    const trunc = variant('data-garbage.orc', (b) => {
      b.fill(0xff, s.offset, s.offset + s.dataLength);
      return b;
    });
    const e = await readError(trunc);
    expect(e.message).toMatch(/column (id|name|amount): corrupt|corrupt/);
  });

  it('decimal precision above 38 and an unsupported type, named with file and column', async () => {
    const info = await openOrcFile(good);
    const tailStart = info.stripes.at(-1)!.offset + info.stripes.at(-1)!.indexLength + info.stripes.at(-1)!.dataLength + info.stripes.at(-1)!.footerLength;
    // Decimal type message: kind 14 (0x08 0x0e), precision 38 (0x28 0x26) → 40.
    const wide = variant('dec40.orc', (b) => replaceOnce(b, [0x08, 0x0e, 0x28, 0x26], [0x08, 0x0e, 0x28, 0x28], tailStart));
    const e1 = await readError(wide);
    expect(e1.message).toBe(`${wide}: column amount: decimal(40,2) is outside what ORC allows (precision 1 to 38, scale ≤ precision)`);
    // The string column's type message (0x22 0x02 0x08 0x07) becomes a union (kind 13).
    const union = variant('union.orc', (b) => replaceOnce(b, [0x22, 0x02, 0x08, 0x07], [0x22, 0x02, 0x08, 0x0d], tailStart));
    const e2 = await readError(union);
    expect(e2.message).toBe(`${union}: column name: type uniontype<> is not supported by tx's ORC reader yet`);
  });
});

describe('random damage', () => {
  it('flipped bytes in zlib and snappy files: read, or an OrcError naming the file; never another error', async () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const compression of ['zlib', 'snappy'] as const) {
      const src = path.join(dir, `fuzz-${compression}.orc`);
      await writeOrcFile(src, fields, rows, { compression });
      const bytes = fs.readFileSync(src);
      let errors = 0;
      for (let k = 0; k < 150; k++) {
        const b = Buffer.from(bytes);
        for (let j = 0; j < 1 + rand(4); j++) b[3 + rand(b.length - 3)] = rand(256);
        const f = path.join(dir, `fuzz-${compression}-${k}.orc`);
        fs.writeFileSync(f, b);
        try {
          await readOrcFile(f);
        } catch (e) {
          errors++;
          expect(e, String(e)).toBeInstanceOf(OrcError);
          expect((e as Error).message.startsWith(`${f}: `)).toBe(true);
        }
        fs.rmSync(f);
      }
      expect(errors).toBeGreaterThan(10);
    }
  });
});

describe('bad values for the writer', () => {
  const one = (f: OrcField, v: unknown) => writeOrcFile(path.join(dir, `w-${f.name}.orc`), [f], [[v]]);

  it('each a clear error naming the file, row and column; no file is left behind', async () => {
    const file = (n: string) => path.join(dir, `w-${n}.orc`);
    await expect(one({ name: 'd', type: { kind: 'decimal', precision: 40, scale: 2 } }, '1')).rejects.toThrow(/column d: decimal precision 40 is outside 1..38/);
    await expect(one({ name: 'd2', type: { kind: 'decimal', precision: 5, scale: 2 } }, '1234.5')).rejects.toThrow(`${file('d2')}: row 1: column d2 (decimal(5,2)): "1234.5" does not fit decimal(5,2)`);
    await expect(one({ name: 'd3', type: { kind: 'decimal', precision: 5, scale: 2 } }, '1.234')).rejects.toThrow(/has more than 2 decimal places/);
    await expect(one({ name: 'ts', type: { kind: 'timestamp' } }, '10000-01-01 00:00:00')).rejects.toThrow(/column ts \(timestamp\): "10000-01-01 00:00:00" is outside the timestamp range ORC readers share \(0001-01-01 to 9999-12-31\)/);
    await expect(one({ name: 'ts2', type: { kind: 'timestamp' } }, new Date(Date.UTC(-5, 0, 1)))).rejects.toThrow(/column ts2.*outside the timestamp range/);
    await expect(one({ name: 'dt', type: { kind: 'date' } }, '2024-02-30')).rejects.toThrow(/column dt \(date\): "2024-02-30" is not a date/);
    await expect(one({ name: 'i', type: { kind: 'int' } }, 2 ** 31)).rejects.toThrow(/column i \(int\): 2147483648 is out of range for int/);
    await expect(one({ name: 'l', type: { kind: 'long' } }, 2n ** 63n)).rejects.toThrow(/column l \(bigint\): 9223372036854775808 is out of range for bigint/);
    await expect(one({ name: 'x', type: { kind: 'list', children: [{ kind: 'int' }] } }, [1])).rejects.toThrow(/column x: type array<int> cannot be written to ORC by tx yet/);
    for (const n of ['d2', 'd3', 'ts', 'ts2', 'dt', 'i', 'l']) expect(fs.existsSync(file(n)), n).toBe(false);
  });
});
