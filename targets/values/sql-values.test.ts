/**
 * The value classes against the engines themselves: PostgreSQL's TIMESTAMPTZ text in many
 * session zones (offsets of hours, half hours and, for old dates, seconds) read back as the UTC
 * text PostgreSQL itself gives; DuckDB's microseconds as DuckDB's own UTC text; and how the
 * formatter prints each kind of value.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbMemory } from '../../testing/fixture-project.js';
import { startPostgres, type PostgresService } from '../../testing/services/postgres.js';
import { SqlDate, SqlTimestamp, SqlTimestampTz } from './sql-values.js';
import { valueJson, valueText } from './value-format.js';

const INSTANTS = [
  '2024-01-01 12:34:56.5+00',
  '1969-12-31 23:59:59.999999+00',
  '1900-01-01 00:00:00+00',
  '2000-02-29 00:00:00.000123+00',
  '0101-06-30 12:00:00+00',
];
const ZONES = ['UTC', 'America/St_Johns', 'Asia/Kolkata', 'Europe/Amsterdam', 'Pacific/Chatham', 'America/Los_Angeles'];

let svc: PostgresService;
beforeAll(async () => {
  svc = await startPostgres();
});
afterAll(async () => {
  await svc?.stop();
});

describe('SqlTimestampTz', () => {
  it('reads PostgreSQL’s text in any session zone as the UTC text PostgreSQL gives for the same instant', async () => {
    // No type parsers: the client hands out the server's text.
    const c = new pg.Client({ connectionString: svc.url, types: { getTypeParser: () => (s: string) => s } as unknown as pg.CustomTypesConfig });
    await c.connect();
    try {
      const values = INSTANTS.map((_, i) => `($${i + 1}::timestamptz)`).join(', ');
      for (const zone of ZONES) {
        await c.query(`set timezone = '${zone}'`);
        const rows = (await c.query(`select t::text as local, to_char(t at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as utc from (values ${values}) v(t)`, INSTANTS)).rows as { local: string; utc: string }[];
        expect(rows).toHaveLength(INSTANTS.length);
        for (const r of rows) {
          const v = SqlTimestampTz.fromText(r.local);
          expect(v, `${zone}: ${r.local}`).toBeInstanceOf(SqlTimestampTz);
          // PostgreSQL's own UTC text, trailing zeros of the fraction dropped as it prints them.
          const expected = `${r.utc.replace(/\.?0+$/, '')}+00`;
          expect((v as SqlTimestampTz).text, `${zone}: ${r.local}`).toBe(expected);
          expect((v as SqlTimestampTz).getTime()).toBe(Date.parse(`${r.utc.slice(0, 23)}Z`.replace(' ', 'T')));
        }
      }
    } finally {
      await c.end();
    }
  });

  it('makes DuckDB’s own UTC text from its microseconds, before and after 1970', async () => {
    const rows = await duckdbMemory(
      `set TimeZone = 'UTC'; select epoch_us(t) as us, cast(t as varchar) as text from (values ${INSTANTS.map((t) => `(timestamptz '${t}')`).join(', ')}) v(t)`,
    );
    expect(rows).toHaveLength(INSTANTS.length);
    for (const r of rows) {
      const v = SqlTimestampTz.fromMicros(BigInt(r.us as number | string));
      expect(String(v)).toBe(String(r.text));
    }
  });

  it('keeps what a JS Date cannot hold as the engine’s text', () => {
    expect(SqlTimestampTz.fromText('infinity')).toBe('infinity');
    expect(SqlTimestampTz.fromText('0044-03-15 12:00:00+00 BC')).toBe('0044-03-15 12:00:00+00 BC');
    expect(SqlTimestamp.fromText('-infinity')).toBe('-infinity');
    expect(SqlDate.fromText('5881580-07-11')).toBe('5881580-07-11');
    expect(SqlDate.fromText('2023-02-29')).toBe('2023-02-29');
  });
});

describe('SqlDate and SqlTimestamp', () => {
  it('make DuckDB’s own text from days and microseconds, over years 1 to 9999', async () => {
    const rows = await duckdbMemory(
      `select i as days, cast(date '1970-01-01' + i::int as varchar) as d, epoch_us(t) as us, cast(t as varchar) as ts
       from (select i, timestamp '1970-01-01' + to_microseconds(i * 86400000000 + abs(i * 7919) % 86400000000) as t from range(-719162, 2932897, 997) r(i))`,
    );
    expect(rows.length).toBeGreaterThan(3000);
    for (const r of rows) {
      expect(String(SqlDate.fromDays(Number(r.days)))).toBe(r.d);
      expect(String(SqlTimestamp.fromMicros(BigInt(r.us as number | string)))).toBe(r.ts);
    }
  });
  it('keep the engine’s text (fraction trimmed as DuckDB and PostgreSQL print it) and stay usable as Dates', () => {
    const d = SqlDate.fromText('0099-01-02') as SqlDate;
    expect(d.text).toBe('0099-01-02');
    expect(d.toISOString()).toBe('0099-01-02T00:00:00.000Z');
    expect(`${d}`).toBe('0099-01-02');
    expect(d).toBeInstanceOf(Date);
    expect((SqlTimestamp.fromText('2024-01-01 12:34:56.0') as SqlTimestamp).text).toBe('2024-01-01 12:34:56');
    expect((SqlTimestamp.fromText('2024-01-01T12:34:56.120000') as SqlTimestamp).text).toBe('2024-01-01 12:34:56.12');
    const ns = SqlTimestamp.fromText('2024-01-01 12:34:56.123456789') as SqlTimestamp;
    expect(ns.text).toBe('2024-01-01 12:34:56.123456789');
    expect(ns.getTime()).toBe(Date.UTC(2024, 0, 1, 12, 34, 56, 123));
  });
});

describe('value-format', () => {
  it('prints each kind of value one way, in text and in JSON', () => {
    const row = {
      d: SqlDate.fromText('2024-01-01'),
      ts: SqlTimestamp.fromText('2024-01-01 12:34:56'),
      tz: SqlTimestampTz.fromText('2024-01-01 12:34:56.5+02'),
      dec: '1.50',
      big: 9007199254740993n,
      small: 42n,
      dbl: 0.1,
      nan: Number.NaN,
      flag: false,
      nothing: null,
      blob: new Uint8Array([0, 255, 16]),
      list: [SqlDate.fromText('2024-01-02'), 2n ** 70n, null],
    };
    expect(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, valueText(v)]))).toEqual({
      d: '2024-01-01',
      ts: '2024-01-01 12:34:56',
      tz: '2024-01-01 10:34:56.5+00',
      dec: '1.50',
      big: '9007199254740993',
      small: '42',
      dbl: '0.1',
      nan: 'NaN',
      flag: 'false',
      nothing: 'NULL',
      blob: '\\x00ff10',
      list: '["2024-01-02","1180591620717411303424",null]',
    });
    expect(valueText(null, '')).toBe('');
    expect(valueJson(row)).toEqual({
      d: '2024-01-01',
      ts: '2024-01-01 12:34:56',
      tz: '2024-01-01 10:34:56.5+00',
      dec: '1.50',
      big: '9007199254740993',
      small: 42,
      dbl: 0.1,
      nan: 'NaN',
      flag: false,
      nothing: null,
      blob: '\\x00ff10',
      list: ['2024-01-02', '1180591620717411303424', null],
    });
  });
});
