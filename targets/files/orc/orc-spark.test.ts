/**
 * tx's ORC files and Spark's (the Hive test server, ORC's Java implementation): Spark reads a
 * folder tx wrote through an external table `USING orc`, value for value; tx reads the part
 * files Spark writes (`USING orc` with zlib, `STORED AS ORC` with snappy, several stripes), value
 * for value against Spark's own SELECT; the Hive target loads an ORC source with rejects. Spark
 * seeks by tx's row index: with one row group's bytes destroyed, a filter that excludes that
 * group by its statistics still reads the right values from the group it seeks to.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHiveSession, type HiveSessionHandle } from '../../../testing/services/hive-client.js';
import { startSparkThriftServer, type HiveService } from '../../../testing/services/spark.js';
import { createHiveTarget } from '../../hive/index.js';
import type { TargetLog } from '../../target.js';
import { decompressAll } from './compression.js';
import { OrcWriter, openOrcFile, readOrcFile, readOrcRowIndex, type OrcField } from './index.js';
import { ProtoMessage } from './proto.js';
import { STREAM, parseTimestamp } from './types.js';

let hive: HiveService | null = null;
let spark: HiveSessionHandle;
let dir: string;
const db = `tx_orc_${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  hive = await startSparkThriftServer();
  if (!hive) return;
  spark = await openHiveSession(hive.host, hive.port, { timeoutMs: 120_000 });
  await spark.query(`CREATE DATABASE IF NOT EXISTS ${db}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-spark-'));
  fs.chmodSync(dir, 0o755);
}, 600_000);
afterAll(async () => {
  if (spark) {
    await spark.query(`DROP DATABASE IF EXISTS ${db} CASCADE`).catch(() => undefined);
    await spark.close();
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const sparkIt = (name: string, fn: () => Promise<void>, timeout = 300_000) =>
  it(name, async (ctx) => {
    if (!hive) ctx.skip();
    await fn();
  }, timeout);

/** Decimal text (plain or with an exponent, as Java's BigDecimal prints) → unscaled at `scale`. */
function unscaled(s: string, scale: number): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim())!;
  const digits = `${m[2] ?? ''}${m[3] ?? ''}` || '0';
  const shift = scale - (m[3]?.length ?? 0) + Number(m[4] ?? 0);
  const v = shift >= 0 ? BigInt(digits) * 10n ** BigInt(shift) : BigInt(digits) / 10n ** BigInt(-shift);
  return m[1] === '-' ? -v : v;
}

function tsKey(s: string): string {
  const t = parseTimestamp(s)!;
  return `${t.seconds}:${t.nanos}`;
}

const FIELDS: OrcField[] = [
  { name: 'id', type: { kind: 'int' } },
  { name: 'b', type: { kind: 'boolean' } },
  { name: 'i8', type: { kind: 'byte' } },
  { name: 'i16', type: { kind: 'short' } },
  { name: 'i64', type: { kind: 'long' } },
  { name: 'f32', type: { kind: 'float' } },
  { name: 'f64', type: { kind: 'double' } },
  { name: 's', type: { kind: 'string' } },
  { name: 'bin', type: { kind: 'binary' } },
  { name: 'dec', type: { kind: 'decimal', precision: 38, scale: 10 } },
  { name: 'd', type: { kind: 'date' } },
  { name: 'ts', type: { kind: 'timestamp' } },
];
const SPARK_TYPES = 'id INT, b BOOLEAN, i8 TINYINT, i16 SMALLINT, i64 BIGINT, f32 FLOAT, f64 DOUBLE, s STRING, bin BINARY, dec DECIMAL(38,10), d DATE, ts TIMESTAMP';

function rowFor(i: number): unknown[] {
  const special: unknown[][] = [
    [0, true, -128, -32768, -(2n ** 63n), -3.4028234663852886e38, -Number.MAX_VALUE, '', Buffer.alloc(0), '-9999999999999999999999999999.9999999999', '0001-01-01', '0001-01-01 00:00:00'],
    [1, false, 127, 32767, 2n ** 63n - 1n, 3.4028234663852886e38, Number.MAX_VALUE, 'ü日本語😀', Buffer.from([0, 255, 1]), '9999999999999999999999999999.9999999999', '9999-12-31', '9999-12-31 23:59:59.999999'],
    [2, null, null, null, null, null, null, null, null, null, null, null],
    [3, true, 0, 0, 0, NaN, -0, 'a\nb "q"', Buffer.from('x'), '-0.0000000001', '1969-12-31', '1969-12-31 23:59:58.5'],
    [4, false, -1, -1, 9007199254740993n, Infinity, -Infinity, ' ', null, '12.5', '1582-10-04', '1582-10-15 12:00:00.000001'],
  ];
  if (i < special.length) return special[i]!;
  return [i, i % 3 === 0, i % 100, i % 30000, BigInt(i) * 1_000_003n, i / 8, i / 7, i % 11 === 0 ? null : `v${i % 997}`, Buffer.from(`b${i}`), `${i}.${String(i % 10000).padStart(4, '0')}`, `20${String(10 + (i % 20))}-0${1 + (i % 9)}-1${i % 10}`, `2024-03-0${1 + (i % 9)} 0${i % 10}:1${i % 6}:2${i % 10}.${String(i % 1000000).padStart(6, '0')}`];
}

/** A value as compared with what Spark prints for `CAST(x AS STRING)` (hex for binary). */
function expected(kind: string, v: unknown, scale = 0): string | null {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'float':
      return `f${Math.fround(v as number)}`;
    case 'double':
      return `f${v as number}`;
    case 'binary':
      return Buffer.from(v as Uint8Array).toString('hex').toUpperCase();
    case 'decimal':
      return String(unscaled(String(v), scale));
    case 'timestamp':
      return tsKey(v as string);
    default:
      return String(v);
  }
}

function fromSpark(kind: string, v: unknown, scale = 0): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  switch (kind) {
    case 'float':
      return `f${Math.fround(Number(s))}`;
    case 'double':
      return `f${Number(s)}`;
    case 'decimal':
      return String(unscaled(s, scale));
    case 'timestamp':
      return tsKey(s);
    default:
      return s;
  }
}

/** Spark's text of a column, as `c_<name>` (so ORDER BY id still sorts by the number). */
const sparkCol = (f: OrcField): string => `${f.type.kind === 'binary' ? `hex(${f.name})` : `CAST(${f.name} AS STRING)`} AS c_${f.name}`;

describe('Spark reads what tx writes', () => {
  sparkIt('an external table USING orc over a folder of two tx files (every type, several stripes): value for value', async () => {
    const folder = path.join(dir, 'tx_written');
    fs.mkdirSync(folder, { recursive: true });
    const n = 40_000;
    // Two files; the second with small stripes so it has several.
    for (const [file, from, to, stripe] of [
      ['part-00000.snappy.orc', 0, 1000, 64 << 20],
      ['part-00001.zlib.orc', 1000, n, 256 << 10],
    ] as const) {
      const w = await OrcWriter.open(path.join(folder, file), FIELDS, { compression: file.includes('zlib') ? 'zlib' : 'snappy', stripeSizeBytes: stripe });
      const rows: unknown[][] = [];
      for (let i = from; i < to; i++) rows.push(rowFor(i));
      await w.writeRows(rows);
      await w.close();
    }
    expect((await openOrcFile(path.join(folder, 'part-00001.zlib.orc'))).stripes.length).toBeGreaterThan(1);
    await spark.query(`CREATE TABLE ${db}.from_tx (${SPARK_TYPES}) USING orc LOCATION 'file://${folder}'`);
    const got = await spark.query(`SELECT ${FIELDS.map(sparkCol).join(', ')} FROM ${db}.from_tx ORDER BY id`);
    expect(got.length).toBe(n);
    for (const [c, f] of FIELDS.entries()) {
      const exp = Array.from({ length: n }, (_, i) => expected(f.type.kind, rowFor(i)[c], f.type.scale));
      const act = got.map((r) => fromSpark(f.type.kind, r[`c_${f.name}`], f.type.scale));
      expect(act, f.name).toEqual(exp);
    }
    // Filters Spark pushes down to the ORC reader (stripe statistics): the counts stay right,
    // so no stripe is skipped on a wrong minimum or maximum.
    const all = Array.from({ length: n }, (_, i) => rowFor(i));
    const count = (c: number, pred: (v: unknown) => boolean) => all.filter((r) => r[c] !== null && pred(r[c])).length;
    const checks: [string, number][] = [
      [`s = 'ü日本語😀'`, 1],
      [`s = 'v5'`, count(7, (v) => v === 'v5')],
      [`s > 'v99'`, count(7, (v) => Buffer.compare(Buffer.from(v as string), Buffer.from('v99')) > 0)],
      [`i64 = 9223372036854775807`, 1],
      [`i64 >= 39000000000`, count(4, (v) => BigInt(v as number | bigint) >= 39000000000n)],
      [`d = DATE '0001-01-01'`, 1],
      [`d > DATE '2028-01-01'`, count(10, (v) => (v as string) > '2028-01-01')],
      [`f64 > 5000`, count(6, (v) => (v as number) > 5000)],
      [`i16 < 0`, count(3, (v) => (v as number) < 0)],
      [`b = true`, count(1, (v) => v === true)],
    ];
    for (const [where, want] of checks) {
      const [r] = await spark.query(`SELECT count(*) AS n FROM ${db}.from_tx WHERE ${where}`);
      expect(Number(r!.n), where).toBe(want);
    }
  });
});

describe("Spark seeks by tx's row index", () => {
  for (const compression of ['none', 'zlib'] as const) {
    sparkIt(`${compression}: a filter reads row group 4 of a one-stripe file from its positions; group 1's bytes are destroyed and never read`, async () => {
      const folder = path.join(dir, `row_index_${compression}`);
      fs.mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'part-00000.orc');
      const n = 40_000;
      // 4 KiB compression chunks: group 4 starts deep inside each stream, many chunks in.
      const w = await OrcWriter.open(file, FIELDS, { compression, blockSize: 4096 });
      await w.writeRows(Array.from({ length: n }, (_, i) => rowFor(i)));
      await w.close();
      const info = await openOrcFile(file);
      expect(info.stripes.length).toBe(1);
      expect(info.rowIndexStride).toBe(10_000);
      // The f64 column's DATA stream: zero its bytes before the chunk (or byte) where group 2 starts.
      const col = FIELDS.findIndex((f) => f.name === 'f64') + 1;
      const s = info.stripes[0]!;
      const bytes = fs.readFileSync(file);
      const footerAt = s.offset + s.indexLength + s.dataLength;
      const footer = ProtoMessage.parse(decompressAll(bytes.subarray(footerAt, footerAt + s.footerLength), info.compression, info.blockSize, 1 << 20), 'stripe footer');
      let at = s.offset;
      let dataAt = -1;
      let hasPresent = false;
      for (const m of footer.messages(1, 'stream')) {
        if (m.num(2) === col && m.num(1) === STREAM.DATA) dataAt = at;
        if (m.num(2) === col && m.num(1) === STREAM.PRESENT) hasPresent = true;
        at += m.num(3) ?? 0;
      }
      expect(dataAt).toBeGreaterThan(0);
      const entries = (await readOrcRowIndex(file, 0))[col]!;
      expect(entries.length).toBe(4);
      // Positions: PRESENT (compressed: chunk, offset, 0, bits) then DATA (chunk, offset).
      const dataStart = (g: number): number => entries[g]!.positions[(hasPresent ? (compression === 'none' ? 3 : 4) : 0)]!;
      const cut = dataStart(1);
      expect(cut).toBeGreaterThan(1000);
      expect(dataStart(3)).toBeGreaterThan(cut);
      bytes.fill(compression === 'none' ? 0xff : 0, dataAt, dataAt + cut);
      fs.writeFileSync(file, bytes);
      const table = `${db}.row_index_${compression}`;
      await spark.query(`CREATE TABLE ${table} (${SPARK_TYPES}) USING orc LOCATION 'file://${folder}'`);
      // Control: reading group 1 meets the destroyed bytes (an error or wrong doubles).
      const wantSum = Array.from({ length: 5000 }, (_, i) => rowFor(i)[6] as number | null).reduce<number>((a, v) => a + (v === null || !Number.isFinite(v) ? 0 : v), 0);
      const control = await spark.query(`SELECT CAST(sum(CASE WHEN isnan(f64) OR abs(f64) = double('infinity') THEN 0 ELSE f64 END) AS STRING) AS s FROM ${table} WHERE id < 5000`).then(
        (r) => Number(r[0]!.s),
        () => 'error',
      );
      expect(control).not.toBe(wantSum);
      // Row group 4 only (the statistics exclude groups 1 to 3): every column from its positions.
      const got = await spark.query(`SELECT ${FIELDS.map(sparkCol).join(', ')} FROM ${table} WHERE id BETWEEN 31000 AND 31009 ORDER BY id`);
      expect(got.length).toBe(10);
      for (const [c, f] of FIELDS.entries()) {
        const exp = Array.from({ length: 10 }, (_, i) => expected(f.type.kind, rowFor(31000 + i)[c], f.type.scale));
        expect(
          got.map((r) => fromSpark(f.type.kind, r[`c_${f.name}`], f.type.scale)),
          f.name,
        ).toEqual(exp);
      }
    });
  }
});

describe('tx reads what Spark writes', () => {
  const select = `SELECT CAST(id AS INT) AS id, id % 2 = 0 AS b, CAST(id % 100 AS TINYINT) AS i8, CAST(id % 30000 AS SMALLINT) AS i16, id * 1000003 AS i64,
      CAST(id / 8 AS FLOAT) AS f32, id / 7 AS f64, CASE WHEN id % 11 = 0 THEN NULL ELSE concat('v', id % 997, 'ü') END AS s, CAST(concat('b', id) AS BINARY) AS bin,
      CAST(id / 16 AS DECIMAL(38,10)) AS dec, date_add(DATE '1960-01-01', CAST(id % 30000 AS INT)) AS d,
      CAST(timestamp_micros(1700000000000000 + id * 1000003) AS TIMESTAMP) AS ts FROM range(0, 60000)`;

  async function compareWithSpark(table: string, folder: string): Promise<void> {
    const files = fs.readdirSync(folder).filter((f) => f.startsWith('part-')).sort();
    expect(files.length).toBeGreaterThan(1);
    expect(fs.readdirSync(folder)).toContain('_SUCCESS');
    const mine: Record<string, unknown>[] = [];
    let stripes = 0;
    for (const f of files) {
      stripes += (await openOrcFile(path.join(folder, f))).stripes.length;
      mine.push(...(await readOrcFile(path.join(folder, f))));
    }
    expect(stripes).toBeGreaterThan(files.length);
    mine.sort((a, b) => (a.id as number) - (b.id as number));
    const theirs = await spark.query(`SELECT ${FIELDS.map(sparkCol).join(', ')} FROM ${table} ORDER BY id`);
    expect(mine.length).toBe(theirs.length);
    for (const f of FIELDS) {
      const act = mine.map((r) => expected(f.type.kind, r[f.name], f.type.scale));
      const exp = theirs.map((r) => fromSpark(f.type.kind, r[`c_${f.name}`], f.type.scale));
      expect(act, f.name).toEqual(exp);
    }
  }

  sparkIt('USING orc, zlib, several part files and stripes', async () => {
    const folder = path.join(dir, 'spark_zlib');
    await spark.query(`CREATE TABLE ${db}.spark_zlib USING orc OPTIONS (compression 'zlib', 'orc.stripe.size' '262144') LOCATION 'file://${folder}' AS SELECT * FROM (${select}) DISTRIBUTE BY id % 3`);
    const info = await openOrcFile(path.join(folder, fs.readdirSync(folder).find((f) => f.startsWith('part-'))!));
    expect(info.compression).toBe('zlib');
    await compareWithSpark(`${db}.spark_zlib`, folder);
  });

  sparkIt('STORED AS ORC (Hive format), snappy', async () => {
    const folder = path.join(dir, 'spark_hive');
    await spark.query(`CREATE TABLE ${db}.spark_hive (${SPARK_TYPES}) STORED AS ORC LOCATION 'file://${folder}' TBLPROPERTIES ('orc.compress' = 'SNAPPY', 'orc.stripe.size' = '262144')`);
    await spark.query(`INSERT INTO ${db}.spark_hive SELECT * FROM (${select}) DISTRIBUTE BY id % 3`);
    const info = await openOrcFile(path.join(folder, fs.readdirSync(folder).find((f) => f.startsWith('part-'))!));
    expect(info.compression).toBe('snappy');
    await compareWithSpark(`${db}.spark_hive`, folder);
  });
});

describe('ORC sources on the Hive target', () => {
  sparkIt('a folder of Spark part files, typed with declared columns and rejects', async () => {
    // The part files the zlib test above had Spark write.
    const folder = path.join(dir, 'spark_zlib');
    const files = fs.readdirSync(folder).filter((f) => f.startsWith('part-')).map((f) => path.join(folder, f));
    const log: TargetLog = { statement: () => undefined, info: () => undefined, warn: () => undefined };
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-orc-hive-'));
    const target = createHiveTarget('hive', { type: 'hive', host: hive!.host, port: String(hive!.port), schema: db, auth: 'NONE', user: 'tx', connect_timeout: 30 }, work);
    const session = await target.open({ log, threads: 1 });
    try {
      await session.ensureSchema(db);
      const res = await session.loadFileSource({
        uniqueId: 'source.test.vendor.orc_parts',
        relation: { schema: db, identifier: 'orc_parts' },
        rejectsRelation: { schema: db, identifier: 'orc_parts__rejects' },
        files,
        format: 'orc',
        columns: [
          { name: 'id', type: 'integer' },
          { name: 's', type: 'string' },
          { name: 'dec', type: 'decimal(38,10)' },
          { name: 'd', type: 'date' },
          { name: 'ts', type: 'timestamp' },
          // id % 30000 has 4 or 5 digits except for ids 0-999 and 30000-30999: the others are rejected.
          { name: 'i16', type: 'varchar(3)' },
        ],
        options: {},
        maxRejectedRows: 0.995,
      });
      expect({ loaded: res.rowsLoaded, rejected: res.rowsRejected }).toEqual({ loaded: 2000, rejected: 58000 });
      expect(res.sampleRejects?.[0]?.reason).toMatch(/^i16: value longer than varchar\(3\) \([45] characters\): \d{4,5}$/);
    } finally {
      await session.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
    const [loaded] = await spark.query(`SELECT count(*) AS n, sum(id) AS ids, CAST(max(ts) AS STRING) AS ts FROM ${db}.orc_parts`);
    const [spk] = await spark.query(`SELECT count(*) AS n, sum(id) AS ids, CAST(max(ts) AS STRING) AS ts FROM ${db}.spark_zlib WHERE id % 30000 < 1000`);
    expect(loaded).toEqual(spk);
    const [rej] = await spark.query(`SELECT count(*) AS n FROM ${db}.orc_parts__rejects`);
    expect(Number(rej!.n)).toBe(58000);
  });
});
