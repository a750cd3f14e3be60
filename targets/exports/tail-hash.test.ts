/**
 * tail-hash.ts: the sha256 taken while DuckDB's COPY writes an export file equals the sha256 of
 * the finished file, for every format and compression tx asks DuckDB to write. This is also the
 * check that DuckDB writes those files front to back (a writer that went back to change bytes it
 * had written would make the two differ): it runs again whenever the DuckDB dependency changes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbFixture, type DuckdbFixture } from './export-test-support.js';
import { TailHash } from './tail-hash.js';

let fx: DuckdbFixture;
beforeAll(async () => {
  fx = await duckdbFixture('tx-tail-hash-');
  // a few MB in every format: many writes, some while the reader is at the end of the file
  await fx.session.connection.execute(`create table main.big as
    select range::bigint as id, md5(range::varchar) || md5((range * 7)::varchar) as txt, random() * 1000 as amount, date '2021-01-01' + (range % 365)::integer as day
    from range(0, 300000)`);
}, 120_000);
afterAll(async () => {
  await fx?.close();
});

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('a file hashed while DuckDB writes it', () => {
  const cases: [string, 'parquet' | 'csv' | 'json', string | undefined][] = [
    ['parquet, snappy', 'parquet', 'snappy'],
    ['parquet, zstd', 'parquet', 'zstd'],
    ['parquet, gzip', 'parquet', 'gzip'],
    ['parquet, uncompressed', 'parquet', 'uncompressed'],
    ['csv', 'csv', 'none'],
    ['csv, gzip', 'csv', 'gzip'],
    ['json', 'json', 'none'],
    ['json, gzip', 'json', 'gzip'],
  ];
  for (const [label, format, compression] of cases) {
    it(`${label}: the same sha256 and size as the finished file`, async () => {
      const file = path.join(fx.dir, `big-${label.replace(/\W+/g, '-')}.out`);
      const tail = new TailHash(file);
      await fx.session.copyToFile!('SELECT * FROM main.big', file, { format, compression, header: true, delimiter: ',' });
      const h = await tail.finish();
      expect(fs.statSync(file).size).toBeGreaterThan(1 << 20);
      expect(h).toEqual({ sha256: sha256(file), bytes: fs.statSync(file).size });
    }, 120_000);
  }

  it('a file that never appears (the COPY failed before creating it) gives no hash', async () => {
    const file = path.join(fx.dir, 'never.parquet');
    const tail = new TailHash(file);
    await expect(fx.session.copyToFile!('SELECT * FROM main.no_such_table', file, { format: 'parquet' })).rejects.toThrow(/no_such_table/);
    expect(await tail.finish()).toBeUndefined();
  });

  it('a file cut shorter after it was read gives no hash (its size is not what was hashed)', async () => {
    const file = path.join(fx.dir, 'shrinks.bin');
    const tail = new TailHash(file);
    fs.writeFileSync(file, Buffer.alloc(3 << 20, 7));
    await new Promise((r) => setTimeout(r, 200));
    fs.truncateSync(file, 1000);
    expect(await tail.finish()).toBeUndefined();
  });
});
