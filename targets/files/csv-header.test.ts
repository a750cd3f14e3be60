/**
 * The CSV checks every target makes before reading a file source, on real files: what the file
 * is, its first line (gzip, BOM, CRLF), the header split with quotes, and the exact messages.
 * (Only the loaders' suites reached this module, through DuckDB and the CLI.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TargetError } from '../target.js';
import { checkCsvHeaders, readHeaderLine, sniffBinary, splitHeader } from './csv-header.js';

const dir = mkdtempSync(join(tmpdir(), 'tx-csv-header-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const cols = (...names: string[]) => names.map((name) => ({ name, type: 'varchar' }));

function headerError(files: string[], names: string[], delim = ',', quote = '"'): string {
  try {
    checkCsvHeaders({ files, uniqueId: 'source.p.raw.t' }, cols(...names), delim, quote);
  } catch (e) {
    expect(e).toBeInstanceOf(TargetError);
    return (e as Error).message;
  }
  throw new Error('the header check passed');
}

describe('readHeaderLine', () => {
  it('the first line, without BOM, CR or the rest', () => {
    expect(readHeaderLine(file('crlf.csv', '\ufeffid,name\r\n1,a\r\n'))).toBe('id,name');
    expect(readHeaderLine(file('one.csv', 'only,line'))).toBe('only,line');
    expect(readHeaderLine(file('lf.csv', 'a;b\nx;y\n'))).toBe('a;b');
  });

  it('of a gzipped file, decompressed', () => {
    expect(readHeaderLine(file('z.csv.gz', gzipSync('id,amount\n1,2\n')))).toBe('id,amount');
  });

  it('null for an empty file, a file with only a BOM, and a broken gzip', () => {
    expect(readHeaderLine(file('empty.csv', ''))).toBeNull();
    expect(readHeaderLine(file('bom.csv', '\ufeff'))).toBeNull();
    expect(readHeaderLine(file('broken.gz', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01])))).toBeNull();
  });
});

describe('sniffBinary', () => {
  it('names Parquet, ORC, Avro, ZIP and other binary content; text and gzip are fine', () => {
    expect(sniffBinary(file('p.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(8, 1)])))).toBe('it is a Parquet file');
    expect(sniffBinary(file('o.orc', Buffer.from('ORC\x01\x02')))).toBe('it is an ORC file');
    expect(sniffBinary(file('a.avro', Buffer.from('Obj\x01rest')))).toBe('it is an Avro file');
    expect(sniffBinary(file('z.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04])))).toBe('it is a ZIP archive');
    expect(sniffBinary(file('bin.dat', Buffer.from([0x41, 0x00, 0x42])))).toBe('it holds binary data');
    expect(sniffBinary(file('t.csv', 'id\n1\n'))).toBeNull();
    expect(sniffBinary(file('g.csv.gz', gzipSync('id\n1\n')))).toBeNull();
    expect(sniffBinary(file('e.csv', ''))).toBeNull();
  });
});

describe('splitHeader', () => {
  it('splits on the delimiter, trims, and honours quotes and doubled quotes', () => {
    expect(splitHeader('id, name ,amount', ',', '"')).toEqual(['id', 'name', 'amount']);
    expect(splitHeader('"a,b";"say ""hi""";c', ';', '"')).toEqual(['a,b', 'say "hi"', 'c']);
    expect(splitHeader("'x|y'|z", '|', "'")).toEqual(['x|y', 'z']);
    expect(splitHeader('', ',', '"')).toEqual(['']);
    expect(splitHeader('a,', ',', '"')).toEqual(['a', '']);
  });
});

describe('checkCsvHeaders', () => {
  it('passes when every file starts with the declared columns, case aside', () => {
    const a = file('ok1.csv', 'ID,Name\n1,a\n');
    const b = file('ok2.csv', 'id,name\n2,b\n');
    expect(() => checkCsvHeaders({ files: [a, b], uniqueId: 'source.p.raw.t' }, cols('id', 'name'), ',', '"')).not.toThrow();
  });

  it('names the file, line 1 and what differs: missing, unexpected, order', () => {
    const f1 = file('miss.csv', 'id\n1\n');
    expect(headerError([f1], ['id', 'name'])).toBe(`${f1}:1: the header does not match the declared columns of source.p.raw.t (missing columns: name)`);
    const f2 = file('extra.csv', 'id,name,zip\n1,a,2\n');
    expect(headerError([f2], ['id', 'name'])).toBe(`${f2}:1: the header does not match the declared columns of source.p.raw.t (unexpected columns: zip)`);
    const f3 = file('both.csv', 'id,nam\n1,a\n');
    expect(headerError([f3], ['id', 'name'])).toBe(`${f3}:1: the header does not match the declared columns of source.p.raw.t (missing columns: name; unexpected columns: nam)`);
    const f4 = file('order.csv', 'name,id\na,1\n');
    expect(headerError([f4], ['id', 'name'])).toBe(`${f4}:1: the header does not match the declared columns of source.p.raw.t (columns in another order: got name, id)`);
  });

  it('checks every file: the second one fails though the first is right', () => {
    const good = file('good.csv', 'id\n1\n');
    const bad = file('bad.csv', 'other\n1\n');
    expect(headerError([good, bad], ['id'])).toContain(`${bad}:1:`);
  });

  it('an empty file, and a binary file posing as CSV', () => {
    const e = file('e2.csv', '');
    expect(headerError([e], ['id', 'name'])).toBe(`${e}: the file is empty; expected a header line with 2 columns`);
    const p = file('really.parquet.csv', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(4)]));
    expect(headerError([p], ['id'])).toBe(`${p}: this is not a CSV file (it is a Parquet file); check the path or set the source's format`);
  });

  it('uses the given delimiter and quote', () => {
    const f = file('semi.csv', '"id";"the name"\n1;a\n');
    expect(() => checkCsvHeaders({ files: [f], uniqueId: 'u' }, cols('id', 'the name'), ';', '"')).not.toThrow();
    expect(headerError([f], ['id', 'the name'], ',', '"')).toContain('missing columns');
  });
});
