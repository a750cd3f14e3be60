import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProject } from './fixture-project.js';

/**
 * Issue 3: vendor files in every format, and every kind of bad input, through the example
 * project. A correct build gives the sample's known results; a bad file gives a clear error
 * naming the file (and line), and nothing is silently dropped.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'compiler', 'cli.js');
const sampleCsv = join(root, 'data', 'USA_Presc_Medicare_Data_2021.csv');
const sample = readFileSync(sampleCsv, 'utf8');
const [header, ...lines] = sample.trimEnd().split('\n');
const columns = header!.split(',');

let dir: string;
let files: string;

function tx(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args, '--project-dir', dir], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(join(dir, 'healthcare.duckdb'), { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

async function reportCounts(): Promise<{ city: number; top: number; la: unknown }> {
  const [r] = await query(
    "select (select count(*) from main.city_report) as city, (select count(*) from main.top_prescribers) as top, (select trx_counts from main.city_report where city = 'LOS ANGELES') as la",
  );
  return { city: Number(r!.city), top: Number(r!.top), la: Number(r!.la) };
}

const runWith = (path: string) => tx('run', '--vars', JSON.stringify({ presc_fact_path: path }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tx-vendor-'));
  copyProject(dir, root);
  files = join(dir, 'vendor');
  mkdirSync(files);
  // Other formats of the same rows, written by DuckDB from the CSV read as text.
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const src = `read_csv('${sampleCsv}', all_varchar = true, header = true)`;
  await c.run(`copy (select * from ${src}) to '${join(files, 'fact.parquet')}' (format parquet)`);
  await c.run(`copy (select * from ${src}) to '${join(files, 'fact.json')}' (format json)`);
  copyFileSync(join(files, 'fact.json'), join(files, 'fact.ndjson'));
  copyFileSync(join(files, 'fact.json'), join(files, 'fact.jsonl'));
  const rows = (await c.runAndReadAll(`select * from ${src}`)).getRowObjectsJS();
  c.closeSync();
  inst.closeSync();
  writeFileSync(join(files, 'fact.csv.gz'), gzipSync(sample));
  // Spark-style part files in a folder, with the markers Spark leaves beside them.
  mkdirSync(join(files, 'parts'));
  const half = Math.ceil(lines.length / 2);
  writeFileSync(join(files, 'parts', 'part-00000-abc.csv'), `${header}\n${lines.slice(0, half).join('\n')}\n`);
  writeFileSync(join(files, 'parts', 'part-00001-abc.csv'), `${header}\n${lines.slice(half).join('\n')}\n`);
  writeFileSync(join(files, 'parts', '_SUCCESS'), '');
  writeFileSync(join(files, 'parts', '.part-00000-abc.csv.crc'), 'crc');
  // Avro with typed, nullable fields, as a vendor would send it.
  const type = avro.Type.forSchema({
    type: 'record',
    name: 'Fact',
    fields: columns.map((name) => ({ name, type: ['null', 'string'], default: null })),
  });
  await new Promise<void>((resolve, reject) => {
    const enc = avro.createFileEncoder(join(files, 'fact.avro'), type, { codec: 'deflate' } as never);
    enc.on('finish', () => resolve());
    enc.on('error', reject);
    for (const r of rows) enc.write(Object.fromEntries(columns.map((k) => [k, r[k] == null ? null : String(r[k])])));
    enc.end();
  });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vendor formats give the same reports', () => {
  const expected = { city: 77, top: 34, la: 26 };
  for (const name of ['fact.csv.gz', 'fact.parquet', 'fact.json', 'fact.ndjson', 'fact.jsonl', 'fact.avro', 'parts', 'parts/part-*.csv']) {
    it(name, async () => {
      const r = runWith(join(files, name));
      expect(r.code, r.out).toBe(0);
      expect(await reportCounts()).toEqual(expected);
    });
  }
});

describe('bad vendor files', () => {
  const variant = (name: string, text: string | Buffer): string => {
    const p = join(files, name);
    writeFileSync(p, text);
    return p;
  };

  it('a UTF-8 BOM and Windows line endings build correctly', async () => {
    const p = variant('bom-crlf.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample.replace(/\n/g, '\r\n'))]));
    const r = runWith(p);
    expect(r.code, r.out).toBe(0);
    expect(await reportCounts()).toEqual({ city: 77, top: 34, la: 26 });
  });

  it('a non-numeric claim count is a rejected row, named with file and line, and fails the build', async () => {
    // Line 3 of the file (the second data row) has a claim count of 99.
    expect(lines[1]).toContain(',"",99,13,366,');
    const bad = [header, ...lines.map((l, i) => (i === 1 ? l.replace(',"",99,13,366,', ',"",lots,13,366,') : l))].join('\n');
    const p = variant('nonnum.csv', `${bad}\n`);
    const r = runWith(p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 of 105 rows of source\.healthcare\.vendor\.prescribers were rejected/);
    expect(r.out).toMatch(/nonnum\.csv:3: .*total_claim_count/);
    const rej = await query('select file, line, reason from vendor.prescribers__rejects');
    expect(rej).toHaveLength(1);
    expect(rej[0]!.line).toBe(3n);
    expect(String(rej[0]!.file)).toContain('nonnum.csv');
  });

  it('with max_rejected_rows the build goes on and the rejected row is kept, not dropped silently', async () => {
    const yml = join(dir, 'models', 'staging', 'sources.yml');
    const before = readFileSync(yml, 'utf8');
    try {
      writeFileSync(yml, before.replace('max_rejected_rows: 0', 'max_rejected_rows: 5'));
      const r = runWith(join(files, 'nonnum.csv'));
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/1 rejected/);
      expect(await query('select count(*) as n from vendor.prescribers__rejects')).toEqual([{ n: 1n }]);
      expect(await query('select count(*) as n from vendor.prescribers')).toEqual([{ n: 104n }]);
      // A fraction below 1 is a share of the rows: 5% of 105 allows 5, 0.5% allows none.
      writeFileSync(yml, before.replace('max_rejected_rows: 0', 'max_rejected_rows: 0.05'));
      expect(runWith(join(files, 'nonnum.csv')).code).toBe(0);
      writeFileSync(yml, before.replace('max_rejected_rows: 0', 'max_rejected_rows: 0.005'));
      const strict = runWith(join(files, 'nonnum.csv'));
      expect(strict.code).toBe(1);
      expect(strict.out).toMatch(/1 of 105 rows .* were rejected \(max_rejected_rows: 0\.005\)/);
    } finally {
      writeFileSync(yml, before);
    }
  });

  it('a truncated last line is rejected with its line number', () => {
    const p = variant('truncated.csv', `${header}\n${lines.join('\n')}\n1234567890,SMITH,JO`);
    const r = runWith(p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/truncated\.csv:107: too few columns \(expected 22\)/);
  });

  it('a row with an extra column is rejected with its line number', () => {
    const p = variant('extra.csv', `${header}\n${lines[0]},surprise\n${lines.slice(1).join('\n')}\n`);
    const r = runWith(p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/extra\.csv:2: too many columns/);
  });

  it('a missing column in the header names it', () => {
    const p = variant('missing.csv', `${header!.replace(',years_of_exp', '')}\n${lines.map((l) => l.replace(/,[^,]*$/, '')).join('\n')}\n`);
    const r = runWith(p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/missing\.csv:1: the header does not match .*missing columns: years_of_exp/);
  });

  it('a wrong header names the unexpected columns', () => {
    const p = variant('wrong-header.csv', `${header!.replace('drug_name', 'drugname')}\n${lines.join('\n')}\n`);
    const r = runWith(p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/wrong-header\.csv:1: .*missing columns: drug_name; unexpected columns: drugname/);
  });

  it('an empty file is a clear error', () => {
    const r = runWith(variant('empty.csv', ''));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/empty\.csv: the file is empty/);
  });

  it('a file that is not what its extension says is a clear error', () => {
    const p = join(files, 'really-parquet.csv');
    copyFileSync(join(files, 'fact.parquet'), p);
    const r = runWith(p);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/really-parquet\.csv: this is not a CSV file \(it is a Parquet file\)/);
    const q = variant('text.parquet', 'not,parquet\n1,2\n');
    const r2 = runWith(q);
    expect(r2.code).toBe(1);
    expect(r2.out).toMatch(/text\.parquet/);
  });

  it('a path that does not exist stops before the database is touched (exit 2)', () => {
    const r = runWith(join(files, 'nope.csv'));
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/vendor\.prescribers: `.*nope\.csv` does not exist/);
  });

  it('a failed load keeps the previous table intact', async () => {
    expect(runWith(join(files, 'fact.parquet')).code).toBe(0);
    const before = await query('select count(*) as n from vendor.prescribers');
    expect(runWith(join(files, 'truncated.csv')).code).toBe(1);
    expect(await query('select count(*) as n from vendor.prescribers')).toEqual(before);
  });
});
