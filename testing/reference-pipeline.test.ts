import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACT_HEADER, generateFactCsv, loadCities, sha256File, type CityEntry } from '../bench/generate-fact-data.js';
import { csvRecords, csvRows, csvRowsDetailed, type DetailedRow } from './csv-records.js';
import {
  CITY_REPORT_COLUMNS,
  TOP_PRESCRIBERS_COLUMNS,
  cityReport,
  cleanseCities,
  cleansePrescribers,
  compareMultisets,
  firstDigitsOrNull,
  fullName,
  readCityParquet,
  referenceFromFiles,
  referencePipeline,
  roundHalfUpRatio,
  topPrescribers,
  zipCount,
  type CityRow,
  type FactRecord,
  type ReferenceResult,
} from './reference-pipeline.js';

const SAMPLE_CSV = resolve('data/USA_Presc_Medicare_Data_2021.csv');
const CITIES = resolve('data/us_cities_dimension.parquet');

const tmp = mkdtempSync(join(tmpdir(), 'tx-ref-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Feeds text as byte chunks of the given size (exercises every chunk boundary). */
function chunked(text: string, size: number): Readable {
  const buf = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

// ---------------------------------------------------------------------------

describe('csv-records', () => {
  const text =
    '\uFEFFa,b,c\r\n' +
    '1,"x, y","He said ""hi"""\r\n' +
    '"",,"multi\nline"\n' +
    '\n' +
    'Ñandú,é,"ü"\r' +
    '4,5,'; // no final newline, trailing empty field

  const expected = [
    ['a', 'b', 'c'],
    ['1', 'x, y', 'He said "hi"'],
    ['', '', 'multi\nline'],
    ['Ñandú', 'é', 'ü'],
    ['4', '5', ''],
  ];

  it('parses quotes, escaped quotes, commas, CRLF/LF/CR, BOM, blank lines and UTF-8', async () => {
    expect(await collect(csvRows(chunked(text, 1 << 16)))).toEqual(expected);
  });

  it('gives the same records whatever the chunk boundaries', async () => {
    for (const size of [1, 2, 3, 5, 7, 13]) {
      expect(await collect(csvRows(chunked(text, size))), `chunk size ${size}`).toEqual(expected);
    }
  });

  it('reports quoting and line numbers', async () => {
    const rows: DetailedRow[] = await collect(csvRowsDetailed(chunked(text, 4)));
    expect(rows[2]!.quoted).toEqual([true, false, true]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 6, 7]);
  });

  it('maps empty fields to null in records', async () => {
    const recs = await collect(csvRecords(chunked(text, 3)));
    expect(recs[1]).toEqual({ a: null, b: null, c: 'multi\nline' });
    const projected = await collect(csvRecords(chunked(text, 3), { columns: ['c', 'a'] }));
    expect(projected[0]).toEqual({ c: 'He said "hi"', a: '1' });
  });

  it('rejects malformed input with a line number', async () => {
    await expect(collect(csvRows(chunked('a,b\n"x"y,1\n', 2)))).rejects.toThrow(/line 2/);
    await expect(collect(csvRows(chunked('a,b\n1,"open\n', 2)))).rejects.toThrow(/unterminated/);
    await expect(collect(csvRows(chunked('a,b\n1,x"y\n', 2)))).rejects.toThrow(/quote inside/);
    await expect(collect(csvRecords(chunked('a,b\n1,2,3\n', 2)))).rejects.toThrow(/expected 2 fields, got 3/);
  });

  it('reads the sample file: 105 records of 22 fields', async () => {
    const rows = await collect(csvRows(SAMPLE_CSV));
    expect(rows).toHaveLength(106);
    expect(rows.every((r) => r.length === 22)).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('semantics helpers', () => {
  it('years_of_exp is the first run of digits', () => {
    expect(firstDigitsOrNull('= 45.0')).toBe(45);
    expect(firstDigitsOrNull('=7.00')).toBe(7);
    expect(firstDigitsOrNull('12 years')).toBe(12);
    expect(firstDigitsOrNull('= NA')).toBeNull();
    expect(firstDigitsOrNull('= ')).toBeNull();
    expect(firstDigitsOrNull(null)).toBeNull();
  });

  it('fullname skips null parts (concat_ws)', () => {
    expect(fullName('RACHEL', 'QUINN')).toBe('RACHEL QUINN');
    expect(fullName(null, 'QUINN')).toBe('QUINN');
    expect(fullName('RACHEL', null)).toBe('RACHEL');
    expect(fullName(null, null)).toBe('');
  });

  it('rounds averages half up, exactly', () => {
    expect(roundHalfUpRatio(5, 2)).toBe(3); // 2.5
    expect(roundHalfUpRatio(7, 3)).toBe(2); // 2.33
    expect(roundHalfUpRatio(8, 3)).toBe(3); // 2.67
    expect(roundHalfUpRatio(-5, 2)).toBe(-3); // away from zero
    expect(roundHalfUpRatio(160, 2)).toBe(80);
  });

  it('counts zips', () => {
    expect(zipCount(null)).toBe(0);
    expect(zipCount('90001')).toBe(1);
    expect(zipCount('90001 90002 90003')).toBe(3);
  });

  const rec = (o: Partial<Record<string, string | null>>): FactRecord => ({
    npi: '1',
    nppes_provider_last_org_name: 'L',
    nppes_provider_first_name: 'F',
    nppes_provider_city: 'C',
    nppes_provider_state: 'S',
    specialty_description: 'X',
    drug_name: 'D',
    total_claim_count: '10',
    total_day_supply: '30',
    total_drug_cost: '1.50',
    years_of_exp: '= 25.0',
    ...o,
  });

  it('drops null presc_id then null drug_name, and imputes from the remaining rows', () => {
    const p = cleansePrescribers([
      rec({ npi: '1', total_claim_count: '10' }),
      rec({ npi: '1', total_claim_count: '15' }),
      rec({ npi: '1', total_claim_count: null }),
      rec({ npi: '1', total_claim_count: '1000', drug_name: null }), // dropped before averaging
      rec({ npi: null, total_claim_count: '1000' }),
      rec({ npi: '2', total_claim_count: null }),
      rec({ npi: '-3', total_claim_count: '4' }),
    ]);
    expect(p.map((r) => [r.presc_id, r.trx_cnt])).toEqual([
      [1, 10],
      [1, 15],
      [1, 13], // avg 12.5 → 13
      [2, null],
      [-3, 4],
    ]);
  });

  it('dense-ranks trx_cnt desc nulls last per state, keeping 1..5, years 20..50', () => {
    const rows: FactRecord[] = [];
    const add = (npi: string, state: string | null, trx: string | null, years: string): void => {
      rows.push(rec({ npi, nppes_provider_state: state, total_claim_count: trx, years_of_exp: years }));
    };
    // state A: values 9, 9, 8, 7, 6, 5, 4 → ranks 1,1,2,3,4,5,6
    for (const [i, v] of ['9', '9', '8', '7', '6', '5', '4'].entries()) add(`${100 + i}`, 'A', v, '= 30.0');
    add('200', 'A', '100', '= 19.0'); // filtered out: too few years
    add('201', 'A', '100', '= 51.0'); // filtered out: too many
    add('202', 'A', '100', '= 50.0'); // kept: bounds are inclusive
    // state B: two values and a prescriber with no count at all → null ranks last but within 5
    add('300', 'B', '3', '= 20.0');
    add('301', 'B', '2', '= 20.0');
    add('302', 'B', null, '= 20.0');
    add('303', null, '1', '= 20.0'); // null state is a partition of its own
    const top = topPrescribers(cleansePrescribers(rows));
    const byState = (s: string | null): (number | null)[] =>
      top.filter((r) => r.presc_state === s).map((r) => r.trx_cnt);
    expect(byState('A')).toEqual([100, 9, 9, 8, 7, 6]);
    expect(byState('B')).toEqual([3, 2, null]);
    expect(byState(null)).toEqual([1]);
  });

  it('joins city_report rows once per matching city row, zip_counts 0 for null zips', () => {
    const prescribers = cleansePrescribers([
      rec({ npi: '1', nppes_provider_city: 'OAKWOOD', nppes_provider_state: 'OH', total_claim_count: '5' }),
      rec({ npi: '1', nppes_provider_city: 'OAKWOOD', nppes_provider_state: 'OH', total_claim_count: '6' }),
      rec({ npi: '2', nppes_provider_city: 'OAKWOOD', nppes_provider_state: 'OH', total_claim_count: null }),
      rec({ npi: '3', nppes_provider_city: 'NOWHERE', nppes_provider_state: 'OH', total_claim_count: '1' }),
    ]);
    const city = (county: string, zips: string | null): CityRow => ({
      city: 'Oakwood',
      state_id: 'OH',
      state_name: 'Ohio',
      county_name: county,
      population: 100n,
      zips,
    });
    const rows = cityReport(prescribers, cleanseCities([city('Montgomery', '45419 45409'), city('Paulding', null), { ...city('X', null), state_id: 'PA' }]));
    expect(rows).toEqual([
      { city: 'OAKWOOD', state_name: 'OHIO', county_name: 'MONTGOMERY', population: 100, zip_counts: 2, trx_counts: 11, presc_counts: 2 },
      { city: 'OAKWOOD', state_name: 'OHIO', county_name: 'PAULDING', population: 100, zip_counts: 0, trx_counts: 11, presc_counts: 2 },
    ]);
  });
});

// ---------------------------------------------------------------------------

describe('compareMultisets', () => {
  const cols = ['k', 'n', 'x'];
  it('treats rows as a multiset with normalized numbers', () => {
    const a = [
      { k: 'a', n: 1n, x: 0.1 + 0.2 },
      { k: 'a', n: 1, x: 0.3 },
      { k: 'b', n: null, x: 1e20 },
    ];
    const e = [
      { k: 'b', n: null, x: 1.0000000000001e20 },
      { k: 'a', n: 1, x: 0.3 },
      { k: 'a', n: 1, x: 0.30000000000000004 },
    ];
    const d = compareMultisets(a, e, cols);
    expect(d.text).toBe('');
    expect(d.equal).toBe(true);
  });

  it('reports missing and extra rows with counts', () => {
    const d = compareMultisets(
      [{ k: 'a', n: 1, x: 1 }, { k: 'z', n: 9, x: 9 }],
      [{ k: 'a', n: 1, x: 1 }, { k: 'a', n: 1, x: 1 }, { k: 'b', n: 2, x: 2.5 }],
      cols,
    );
    expect(d.equal).toBe(false);
    expect(d.missing).toEqual([
      { row: ['a', 1, 1], count: 1 },
      { row: ['b', 2, 2.5], count: 1 },
    ]);
    expect(d.extra).toEqual([{ row: ['z', 9, 9], count: 1 }]);
    expect(d.text).toContain('actual 2 rows, expected 3 rows');
    expect(d.text).toContain('1× ("b", 2, 2.5)');
    expect(d.text).toContain('1× ("z", 9, 9)');
  });

  it('does not confuse integers that differ, nor strings with numbers', () => {
    expect(compareMultisets([{ k: 'a', n: 10000000001, x: 0 }], [{ k: 'a', n: 10000000002, x: 0 }], cols).equal).toBe(false);
    expect(compareMultisets([{ k: '1', n: 1, x: 0 }], [{ k: 1, n: 1, x: 0 }], cols).equal).toBe(false);
    expect(compareMultisets([{ k: '1.50', n: 1, x: 0 }], [{ k: 1.5, n: 1, x: 0 }], [{ name: 'k', type: 'number' }, 'n', 'x']).equal).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('reference pipeline on the 105-row sample', () => {
  let ref: ReferenceResult;
  beforeAll(async () => {
    ref = await referenceFromFiles(SAMPLE_CSV, CITIES);
  });

  it('cleanses 102 prescriber rows (3 null drug names dropped, 5 counts imputed)', () => {
    expect(ref.prescribers).toHaveLength(102);
    expect(ref.stats).toEqual({ factRows: 105, droppedNullPrescId: 0, droppedNullDrugName: 3, imputedTrxCnt: 5, stillNullTrxCnt: 0 });
    // LUANGJAMEKORN: 70, 90 and a null → 80
    expect(ref.prescribers.filter((p) => p.presc_id === 1255320578).map((p) => p.trx_cnt)).toEqual([70, 90, 80]);
  });

  it('city_report has 77 rows and the LOS ANGELES row of the README', () => {
    expect(ref.cityReport).toHaveLength(77);
    const la = ref.cityReport.filter((r) => r.city === 'LOS ANGELES');
    expect(la).toEqual([
      {
        city: 'LOS ANGELES',
        state_name: 'CALIFORNIA',
        county_name: 'LOS ANGELES',
        population: 12750807,
        zip_counts: 196,
        trx_counts: 26,
        presc_counts: 2,
      },
    ]);
  });

  it('top_prescribers has 34 rows', () => {
    expect(ref.topPrescribers).toHaveLength(34);
    expect(ref.topPrescribers.every((r) => r.years_of_exp! >= 20 && r.years_of_exp! <= 50)).toBe(true);
    expect(Object.keys(ref.topPrescribers[0]!)).toEqual([...TOP_PRESCRIBERS_COLUMNS]);
    expect(Object.keys(ref.cityReport[0]!)).toEqual([...CITY_REPORT_COLUMNS]);
  });

  it('gives the same answer from in-memory records', async () => {
    const records = await collect(csvRecords(SAMPLE_CSV));
    const again = referencePipeline(records, await readCityParquet(CITIES));
    expect(compareMultisets(again.cityReport, ref.cityReport, CITY_REPORT_COLUMNS).text).toBe('');
    expect(compareMultisets(again.topPrescribers, ref.topPrescribers, TOP_PRESCRIBERS_COLUMNS).text).toBe('');
  });
});

// ---------------------------------------------------------------------------

describe('generate-fact-data', () => {
  const ROWS = 40_000;
  let cities: CityEntry[];
  let path: string;
  let rows: DetailedRow[];
  let ref: ReferenceResult;

  beforeAll(async () => {
    cities = await loadCities(CITIES);
    const res = await generateFactCsv({ rows: ROWS, out: join(tmp, 'a'), seed: 7, cities });
    path = res.path;
    expect(res.rows).toBe(ROWS);
    rows = await collect(csvRowsDetailed(path));
    ref = await referenceFromFiles(path, CITIES);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const again = await generateFactCsv({ rows: ROWS, out: join(tmp, 'b'), seed: 7, cities });
    const other = await generateFactCsv({ rows: ROWS, out: join(tmp, 'c'), seed: 8, cities });
    const h1 = await sha256File(path);
    expect(await sha256File(again.path)).toBe(h1);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(h1);
    expect(await sha256File(other.path)).not.toBe(h1);
  });

  it('writes the requested number of records with the sample header', async () => {
    const sampleHeader = readFileSync(SAMPLE_CSV, 'utf8').split('\n')[0]!;
    const header = readFileSync(path, 'utf8').slice(0, sampleHeader.length + 1);
    expect(header).toBe(sampleHeader + '\n');
    expect(FACT_HEADER.join(',')).toBe(sampleHeader);
    expect(rows).toHaveLength(ROWS + 1);
    expect(rows.every((r) => r.fields.length === 22)).toBe(true);
    const small = await generateFactCsv({ rows: 3, out: join(tmp, 'd'), seed: 1, cities });
    expect((await collect(csvRows(small.path))).length).toBe(4);
    const none = await generateFactCsv({ rows: 0, out: join(tmp, 'e'), seed: 1, cities });
    expect(readFileSync(none.path, 'utf8')).toBe(sampleHeader + '\n');
  });

  it('contains every kind of dirt', () => {
    const col = (name: string): number => FACT_HEADER.indexOf(name as (typeof FACT_HEADER)[number]);
    const data = rows.slice(1);
    const count = (pred: (r: DetailedRow) => boolean): number => data.filter(pred).length;
    const f = (r: DetailedRow, name: string): string => r.fields[col(name)]!;
    const kinds: Record<string, number> = {
      nullNpi: count((r) => f(r, 'npi') === ''),
      negativeNpi: count((r) => f(r, 'npi').startsWith('-')),
      nullDrug: count((r) => f(r, 'drug_name') === ''),
      nullClaims: count((r) => f(r, 'total_claim_count') === ''),
      yearsStandard: count((r) => /^= \d+\.0$/.test(f(r, 'years_of_exp'))),
      yearsNoDigits: count((r) => f(r, 'years_of_exp') !== '' && !/\d/.test(f(r, 'years_of_exp'))),
      yearsEmpty: count((r) => f(r, 'years_of_exp') === ''),
      yearsOtherFormat: count((r) => /\d/.test(f(r, 'years_of_exp')) && !/^= \d+\.0$/.test(f(r, 'years_of_exp'))),
      flagStar: count((r) => f(r, 'bene_count_ge65_suppress_flag') === '*' || f(r, 'ge65_suppress_flag') === '*'),
      flagHash: count((r) => f(r, 'bene_count_ge65_suppress_flag') === '#' || f(r, 'ge65_suppress_flag') === '#'),
      flagEmpty: count((r) => f(r, 'ge65_suppress_flag') === ''),
      nameWithQuote: count((r) => /"/.test(f(r, 'nppes_provider_last_org_name') + f(r, 'nppes_provider_first_name'))),
      nameWithComma: count((r) => /,/.test(f(r, 'nppes_provider_last_org_name') + f(r, 'nppes_provider_first_name'))),
      accentedName: count((r) => /[^\x00-\x7f]/.test(f(r, 'nppes_provider_last_org_name') + f(r, 'nppes_provider_first_name'))),
      nullFirstName: count((r) => f(r, 'nppes_provider_first_name') === ''),
      quotedEmpty: count((r) => r.quoted.some((q, i) => q && r.fields[i] === '')),
      bareEmpty: count((r) => r.quoted.some((q, i) => !q && r.fields[i] === '')),
      decimalFill: count((r) => f(r, 'total_30_day_fill_count').includes('.')),
    };
    for (const [kind, n] of Object.entries(kinds)) expect(n, kind).toBeGreaterThan(0);
    // rates in the documented ballpark
    expect(kinds.nullDrug! / ROWS).toBeGreaterThan(0.005);
    expect(kinds.nullDrug! / ROWS).toBeLessThan(0.04);
    expect(kinds.nullClaims! / ROWS).toBeGreaterThan(0.01);
    expect(kinds.yearsStandard! / ROWS).toBeGreaterThan(0.95);

    // repeated prescriber rows: same npi across many drug rows, and same npi+drug repeated
    const perNpi = new Map<string, number>();
    const perNpiDrug = new Map<string, number>();
    for (const r of data) {
      const npi = f(r, 'npi');
      if (npi === '') continue;
      perNpi.set(npi, (perNpi.get(npi) ?? 0) + 1);
      const k = `${npi}|${f(r, 'drug_name')}`;
      perNpiDrug.set(k, (perNpiDrug.get(k) ?? 0) + 1);
    }
    expect(Math.max(...perNpi.values())).toBeGreaterThan(20);
    expect([...perNpiDrug.values()].filter((n) => n > 1).length).toBeGreaterThan(50);
  });

  it('mostly matches the city dimension, with repeated city rows, and produces dense-rank ties', () => {
    const known = new Set(cities.map((c) => `${c.stateId}|${c.city.toUpperCase()}`));
    const p = ref.prescribers;
    const matching = p.filter((r) => known.has(`${r.presc_state}|${r.presc_city}`)).length / p.length;
    expect(matching).toBeGreaterThan(0.85);
    expect(matching).toBeLessThan(0.99);
    // repeated (city, state) pairs repeat report rows
    const pairs = new Map<string, number>();
    for (const r of ref.cityReport) pairs.set(`${r.city}|${r.state_name}`, (pairs.get(`${r.city}|${r.state_name}`) ?? 0) + 1);
    expect([...pairs.values()].some((n) => n > 1)).toBe(true);
    // ties in top_prescribers: equal trx_cnt within a state
    const seen = new Set<string>();
    let ties = 0;
    for (const r of ref.topPrescribers) {
      const k = `${r.presc_state}|${r.trx_cnt}`;
      if (seen.has(k)) ties++;
      seen.add(k);
    }
    expect(ties).toBeGreaterThan(10);
    // imputation happened and some prescribers have no count at all
    expect(ref.stats.imputedTrxCnt).toBeGreaterThan(100);
    expect(ref.stats.droppedNullPrescId).toBeGreaterThan(0);
    expect(ref.stats.droppedNullDrugName).toBeGreaterThan(0);
  });
});
