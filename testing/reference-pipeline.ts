/**
 * An independent, plain TypeScript implementation of the prescriber pipeline's semantics
 * (shared/data/README.md), used as the oracle for tx's SQL models. No SQL is involved in the
 * computation; DuckDB is only used to *read* the city parquet file.
 *
 * Typing decisions (they mirror the original Spark job's schema: npi, counts and day supply
 * are integers, costs are doubles):
 * - `presc_id` (npi), `trx_cnt` (total_claim_count), `total_day_supply` and `years_of_exp`
 *   are JS numbers holding integers. Text that is not an optional sign followed by digits
 *   (after trimming blanks) is null, like a failed cast.
 * - `total_drug_cost` is a JS number (double); text that is not a decimal number is null.
 * - Strings are kept as they are (no trimming, no case change except where the README says).
 * - Empty CSV fields (quoted `""` or not) are nulls: `csvRecords` already maps them.
 *
 * Semantic points worth knowing:
 * - `presc_fullname` is `concat_ws(' ', first, last)`: a null part is skipped, and both
 *   parts null give the empty string '' (not null).
 * - The trx_cnt imputation averages over the rows that survive the two drops (null presc_id,
 *   then null drug_name) and is computed exactly (integer sum / count, rounded half up, i.e.
 *   away from zero on .5), so no floating-point rounding surprises.
 * - city_report groups by (presc_state, presc_city) first and joins afterwards; groups with a
 *   null key never match (SQL equality with null is not true). `trx_counts` is the sum of
 *   trx_cnt (null when every trx_cnt of the group is null). A (city, state_id) pair that is
 *   repeated in the city file repeats the report row once per city row.
 * - `zip_counts` = number of space-separated tokens in `zips` (Spark's `size(split(zips,' '))`),
 *   0 when zips is null.
 * - top_prescribers: filter 20 <= years_of_exp <= 50 first, then dense rank by trx_cnt
 *   descending with nulls last inside each presc_state (a null presc_state is one partition
 *   of its own), keep dense ranks 1..5. Null trx_cnt rows therefore make it into the report
 *   when their state has fewer than five distinct non-null counts among the filtered rows.
 *
 * What the 105-row sample is sensitive to (checked against the README's numbers, 77 / LA /
 * 34): reading `""` as null (3 drug names are `""`; as empty strings city_report would have
 * 80 rows), upper-casing the dimension's mixed-case `city` before the join (0 rows
 * otherwise), and filtering on years_of_exp *before* ranking (ranking first gives 25 rows,
 * not 34). dense_rank/rank/row_number and join-then-group agree on the sample but not on
 * generated data (ties, repeated city rows).
 *
 * Cost: about 10 s of CPU and ~370 MB RSS for 1M fact rows (all cleansed rows are kept as
 * objects; repetitive strings are interned).
 */
import { csvRecordBatches, type CsvSource } from './csv-records.js';

/** A parsed fact CSV record: column name → text, or null for an empty field. */
export type FactRecord = Record<string, string | null | undefined>;

/** A row of the city dimension as read from parquet. */
export interface CityRow {
  city: string | null;
  state_id: string | null;
  state_name: string | null;
  county_name: string | null;
  population: number | bigint | null;
  zips: string | null;
}

export interface CleansedCity {
  city: string | null;
  state_id: string | null;
  state_name: string | null;
  county_name: string | null;
  population: number | null;
  zips: string | null;
}

export interface Prescriber {
  presc_id: number;
  presc_city: string | null;
  presc_state: string | null;
  presc_spclt: string | null;
  drug_name: string;
  trx_cnt: number | null;
  total_day_supply: number | null;
  total_drug_cost: number | null;
  country_name: 'USA';
  years_of_exp: number | null;
  presc_fullname: string;
}

export interface CityReportRow {
  city: string | null;
  state_name: string | null;
  county_name: string | null;
  population: number | null;
  zip_counts: number;
  trx_counts: number | null;
  presc_counts: number;
}

export interface TopPrescriberRow {
  presc_id: number;
  presc_fullname: string;
  presc_state: string | null;
  country_name: 'USA';
  years_of_exp: number | null;
  trx_cnt: number | null;
  total_day_supply: number | null;
  total_drug_cost: number | null;
}

export const CITY_REPORT_COLUMNS = [
  'city',
  'state_name',
  'county_name',
  'population',
  'zip_counts',
  'trx_counts',
  'presc_counts',
] as const;

export const TOP_PRESCRIBERS_COLUMNS = [
  'presc_id',
  'presc_fullname',
  'presc_state',
  'country_name',
  'years_of_exp',
  'trx_cnt',
  'total_day_supply',
  'total_drug_cost',
] as const;

export interface ReferenceResult {
  prescribers: Prescriber[];
  cityReport: CityReportRow[];
  topPrescribers: TopPrescriberRow[];
  /** Counts along the way, handy in test messages. */
  stats: {
    factRows: number;
    droppedNullPrescId: number;
    droppedNullDrugName: number;
    imputedTrxCnt: number;
    stillNullTrxCnt: number;
  };
}

// ---------------------------------------------------------------------------
// Value parsing
// ---------------------------------------------------------------------------

const INT_RE = /^[+-]?\d+$/;
const DEC_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Integer text → number; anything else (including null) → null. */
export function parseIntOrNull(text: string | null | undefined): number | null {
  if (text == null) return null;
  const t = text.trim();
  if (!INT_RE.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** Decimal text → number; anything else (including null) → null. */
export function parseDoubleOrNull(text: string | null | undefined): number | null {
  if (text == null) return null;
  const t = text.trim();
  if (!DEC_RE.test(t)) return null;
  return Number(t);
}

/** The first run of ASCII digits as an integer (`= 45.0` → 45); no digits or null → null. */
export function firstDigitsOrNull(text: string | null | undefined): number | null {
  if (text == null) return null;
  const m = /\d+/.exec(text);
  if (!m) return null;
  const n = Number(m[0]);
  return Number.isSafeInteger(n) ? n : null;
}

/** concat_ws(' ', first, last): null parts skipped; all null → ''. */
export function fullName(first: string | null | undefined, last: string | null | undefined): string {
  const parts: string[] = [];
  if (first != null) parts.push(first);
  if (last != null) parts.push(last);
  return parts.join(' ');
}

/** Round sum/count half up (away from zero at .5), exactly, for integer sum and count > 0. */
export function roundHalfUpRatio(sum: number, count: number): number {
  if (count <= 0) throw new Error('count must be positive');
  const neg = sum < 0;
  const a = BigInt(Math.abs(sum));
  const c = BigInt(count);
  const q = (2n * a + c) / (2n * c); // floor((a / c) + 1/2)
  const r = Number(q);
  return neg ? -r : r;
}

/** Number of space-separated tokens (Spark `size(split(zips, ' '))`); null → 0. */
export function zipCount(zips: string | null | undefined): number {
  if (zips == null) return 0;
  return zips.split(' ').length;
}

function toNumberOrNull(v: number | bigint | null | undefined): number | null {
  if (v == null) return null;
  return typeof v === 'bigint' ? Number(v) : v;
}

// ---------------------------------------------------------------------------
// Cleansing
// ---------------------------------------------------------------------------

export function cleanseCities(rows: Iterable<CityRow>): CleansedCity[] {
  const out: CleansedCity[] = [];
  for (const r of rows) {
    out.push({
      city: r.city == null ? null : r.city.toUpperCase(),
      state_id: r.state_id,
      state_name: r.state_name == null ? null : r.state_name.toUpperCase(),
      county_name: r.county_name == null ? null : r.county_name.toUpperCase(),
      population: toNumberOrNull(r.population),
      zips: r.zips,
    });
  }
  return out;
}

/** Streaming-friendly builder: feed records one by one, then `finish()`. */
export class PrescriberCleanser {
  private readonly rows: Prescriber[] = [];
  /** Repetitive strings (cities, states, specialties, drugs) are shared to keep memory small. */
  private readonly strings = new Map<string, string>();
  private intern(s: string | null | undefined): string | null {
    if (s == null) return null;
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    this.strings.set(s, s);
    return s;
  }
  readonly stats = { factRows: 0, droppedNullPrescId: 0, droppedNullDrugName: 0, imputedTrxCnt: 0, stillNullTrxCnt: 0 };

  add(rec: FactRecord): void {
    this.stats.factRows++;
    // Steps 1-3: select/rename, years_of_exp, full name.
    const presc_id = parseIntOrNull(rec.npi);
    const drug_name = rec.drug_name ?? null;
    // Step 4: drop null presc_id, then null drug_name.
    if (presc_id === null) {
      this.stats.droppedNullPrescId++;
      return;
    }
    if (drug_name === null) {
      this.stats.droppedNullDrugName++;
      return;
    }
    this.rows.push({
      presc_id,
      presc_city: this.intern(rec.nppes_provider_city),
      presc_state: this.intern(rec.nppes_provider_state),
      presc_spclt: this.intern(rec.specialty_description),
      drug_name: this.intern(drug_name)!,
      trx_cnt: parseIntOrNull(rec.total_claim_count),
      total_day_supply: parseIntOrNull(rec.total_day_supply),
      total_drug_cost: parseDoubleOrNull(rec.total_drug_cost),
      country_name: 'USA',
      years_of_exp: firstDigitsOrNull(rec.years_of_exp),
      presc_fullname: fullName(rec.nppes_provider_first_name, rec.nppes_provider_last_org_name),
    });
  }

  /** Step 5: impute null trx_cnt with the prescriber's rounded average. */
  finish(): Prescriber[] {
    const acc = new Map<number, { sum: number; n: number }>();
    for (const p of this.rows) {
      if (p.trx_cnt === null) continue;
      const a = acc.get(p.presc_id);
      if (a) {
        a.sum += p.trx_cnt;
        a.n++;
      } else acc.set(p.presc_id, { sum: p.trx_cnt, n: 1 });
    }
    for (const p of this.rows) {
      if (p.trx_cnt !== null) continue;
      const a = acc.get(p.presc_id);
      if (a) {
        p.trx_cnt = roundHalfUpRatio(a.sum, a.n);
        this.stats.imputedTrxCnt++;
      } else this.stats.stillNullTrxCnt++;
    }
    return this.rows;
  }
}

export function cleansePrescribers(records: Iterable<FactRecord>): Prescriber[] {
  const c = new PrescriberCleanser();
  for (const r of records) c.add(r);
  return c.finish();
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

export function cityReport(prescribers: readonly Prescriber[], cities: readonly CleansedCity[]): CityReportRow[] {
  // Group by (presc_state, presc_city); groups with a null key can never join.
  const groups = new Map<string, { ids: Set<number>; sum: number; anyCount: boolean }>();
  for (const p of prescribers) {
    if (p.presc_state === null || p.presc_city === null) continue;
    const key = `${p.presc_state}\u0000${p.presc_city}`;
    let g = groups.get(key);
    if (!g) {
      g = { ids: new Set(), sum: 0, anyCount: false };
      groups.set(key, g);
    }
    g.ids.add(p.presc_id);
    if (p.trx_cnt !== null) {
      g.sum += p.trx_cnt;
      g.anyCount = true;
    }
  }
  // Inner join: one output row per matching city row.
  const out: CityReportRow[] = [];
  for (const c of cities) {
    if (c.state_id === null || c.city === null) continue;
    const g = groups.get(`${c.state_id}\u0000${c.city}`);
    if (!g) continue;
    out.push({
      city: c.city,
      state_name: c.state_name,
      county_name: c.county_name,
      population: c.population,
      zip_counts: zipCount(c.zips),
      trx_counts: g.anyCount ? g.sum : null,
      presc_counts: g.ids.size,
    });
  }
  return out;
}

export function topPrescribers(prescribers: readonly Prescriber[]): TopPrescriberRow[] {
  const byState = new Map<string | null, Prescriber[]>();
  for (const p of prescribers) {
    if (p.years_of_exp === null || p.years_of_exp < 20 || p.years_of_exp > 50) continue;
    let list = byState.get(p.presc_state);
    if (!list) {
      list = [];
      byState.set(p.presc_state, list);
    }
    list.push(p);
  }
  const out: TopPrescriberRow[] = [];
  for (const list of byState.values()) {
    // trx_cnt descending, nulls last.
    list.sort((a, b) => {
      if (a.trx_cnt === b.trx_cnt) return 0;
      if (a.trx_cnt === null) return 1;
      if (b.trx_cnt === null) return -1;
      return b.trx_cnt - a.trx_cnt;
    });
    let rank = 0;
    let prev: number | null | undefined = undefined;
    for (const p of list) {
      if (rank === 0 || p.trx_cnt !== prev) {
        rank++;
        prev = p.trx_cnt;
      }
      if (rank > 5) break;
      out.push({
        presc_id: p.presc_id,
        presc_fullname: p.presc_fullname,
        presc_state: p.presc_state,
        country_name: p.country_name,
        years_of_exp: p.years_of_exp,
        trx_cnt: p.trx_cnt,
        total_day_supply: p.total_day_supply,
        total_drug_cost: p.total_drug_cost,
      });
    }
  }
  return out;
}

export function referencePipeline(records: Iterable<FactRecord>, cityRows: Iterable<CityRow>): ReferenceResult {
  const c = new PrescriberCleanser();
  for (const r of records) c.add(r);
  return finishReference(c, cityRows);
}

function finishReference(c: PrescriberCleanser, cityRows: Iterable<CityRow>): ReferenceResult {
  const prescribers = c.finish();
  const cities = cleanseCities(cityRows);
  return {
    prescribers,
    cityReport: cityReport(prescribers, cities),
    topPrescribers: topPrescribers(prescribers),
    stats: { ...c.stats },
  };
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/** Reads the city dimension (only reading uses DuckDB). */
export async function readCityParquet(path: string): Promise<CityRow[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const lit = `'${path.replace(/'/g, "''")}'`;
    const reader = await conn.runAndReadAll(
      `SELECT city, state_id, state_name, county_name, population, zips FROM read_parquet(${lit})`,
    );
    return reader.getRowObjects().map((r) => ({
      city: r.city as string | null,
      state_id: r.state_id as string | null,
      state_name: r.state_name as string | null,
      county_name: r.county_name as string | null,
      population: r.population as number | bigint | null,
      zips: r.zips as string | null,
    }));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The fact columns the semantics read. */
export const FACT_COLUMNS_USED = [
  'npi',
  'nppes_provider_last_org_name',
  'nppes_provider_first_name',
  'nppes_provider_city',
  'nppes_provider_state',
  'specialty_description',
  'drug_name',
  'total_claim_count',
  'total_day_supply',
  'total_drug_cost',
  'years_of_exp',
] as const;

/** Streams the fact CSV through the cleanser (records are not kept, only cleansed rows). */
export async function referenceFromFiles(factCsv: CsvSource, cityParquetPath: string): Promise<ReferenceResult> {
  const c = new PrescriberCleanser();
  for await (const batch of csvRecordBatches(factCsv, { columns: FACT_COLUMNS_USED })) for (const rec of batch) c.add(rec);
  const cityRows = await readCityParquet(cityParquetPath);
  return finishReference(c, cityRows);
}

// ---------------------------------------------------------------------------
// Multiset comparison
// ---------------------------------------------------------------------------

export type ColumnSpec = string | { name: string; type?: 'auto' | 'number' | 'string' };

export interface CompareOptions {
  /** Relative tolerance for non-integer numbers (default 1e-9). */
  relTol?: number;
  /** How many differing rows to print per side (default 20). */
  maxShown?: number;
}

export interface MultisetDiff {
  equal: boolean;
  actualCount: number;
  expectedCount: number;
  /** Rows expected but not found (count = how many copies are missing). */
  missing: { row: unknown[]; count: number }[];
  /** Rows found but not expected (count = how many extra copies). */
  extra: { row: unknown[]; count: number }[];
  /** Readable summary, '' when equal. */
  text: string;
}

type Norm = null | number | string | boolean;

/**
 * Normalizes one value for comparison:
 * - null/undefined → null
 * - bigint → number when safe, else its decimal string (so big integers compare exactly)
 * - number: kept; safe integers (|n| ≤ 2^53) compare exactly, other numbers (fractions and
 *   huge doubles) within a relative tolerance (default 1e-9); NaN equals NaN
 * - objects with `toDouble()` (DuckDB DECIMAL values) → number; Date → ISO string; other
 *   objects (DuckDB date/timestamp values etc.) → `String(value)`
 * - string: kept as is, unless the column type is 'number' (then parsed as a number)
 * - boolean: kept
 */
export function normalizeValue(v: unknown, type: 'auto' | 'number' | 'string' = 'auto'): Norm {
  if (v === null || v === undefined) return null;
  let out: Norm;
  if (typeof v === 'bigint') {
    const n = Number(v);
    out = Number.isSafeInteger(n) ? n : v.toString();
  } else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
    out = v;
  } else if (v instanceof Date) {
    out = v.toISOString();
  } else if (typeof v === 'object' && typeof (v as { toDouble?: unknown }).toDouble === 'function') {
    out = (v as { toDouble(): number }).toDouble();
  } else {
    out = String(v);
  }
  if (type === 'number' && typeof out === 'string') {
    const n = Number(out.trim());
    out = out.trim() !== '' && !Number.isNaN(n) ? n : out;
  } else if (type === 'string' && out !== null && typeof out !== 'string') {
    out = String(out);
  }
  return out;
}

function keyOf(row: Norm[]): string {
  // Non-integer numbers are keyed at 12 significant digits; near-boundary pairs are
  // reconciled afterwards with the real tolerance.
  return JSON.stringify(
    row.map((v) => {
      if (typeof v === 'number') {
        if (Number.isNaN(v)) return 'n:NaN';
        if (Number.isSafeInteger(v)) return `n:${v}`;
        return `n:${Number(v.toPrecision(12))}`;
      }
      if (typeof v === 'string') return `s:${v}`;
      if (typeof v === 'boolean') return `b:${v}`;
      return null;
    }),
  );
}

function valuesClose(a: Norm, b: Norm, relTol: number): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return false;
    return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
  }
  return false;
}

/**
 * Compares two row collections as multisets over `columns` (other keys are ignored).
 * Rows may be objects (read by column name) or arrays (read by position in `columns`).
 */
export function compareMultisets(
  actualRows: Iterable<object>,
  expectedRows: Iterable<object>,
  columns: readonly ColumnSpec[],
  opts: CompareOptions = {},
): MultisetDiff {
  const relTol = opts.relTol ?? 1e-9;
  const maxShown = opts.maxShown ?? 20;
  const specs = columns.map((c) => (typeof c === 'string' ? { name: c, type: 'auto' as const } : { type: 'auto' as const, ...c }));
  const norm = (r: object): Norm[] =>
    specs.map((s, i) => normalizeValue(Array.isArray(r) ? r[i] : (r as Record<string, unknown>)[s.name], s.type));

  const counts = new Map<string, { row: Norm[]; count: number }>();
  let actualCount = 0;
  let expectedCount = 0;
  for (const r of expectedRows) {
    expectedCount++;
    const n = norm(r);
    const k = keyOf(n);
    const e = counts.get(k);
    if (e) e.count++;
    else counts.set(k, { row: n, count: 1 });
  }
  for (const r of actualRows) {
    actualCount++;
    const n = norm(r);
    const k = keyOf(n);
    const e = counts.get(k);
    if (e) e.count--;
    else counts.set(k, { row: n, count: -1 });
  }
  const missing: { row: Norm[]; count: number }[] = [];
  const extra: { row: Norm[]; count: number }[] = [];
  for (const e of counts.values()) {
    if (e.count > 0) missing.push({ row: e.row, count: e.count });
    else if (e.count < 0) extra.push({ row: e.row, count: -e.count });
  }
  // Reconcile rows that differ only within the numeric tolerance (keys can straddle a
  // 12-digit rounding boundary).
  if (missing.length > 0 && extra.length > 0 && missing.length * extra.length <= 4_000_000) {
    for (const m of missing) {
      for (const x of extra) {
        if (m.count === 0) break;
        if (x.count === 0) continue;
        if (m.row.every((v, i) => valuesClose(v, x.row[i]!, relTol))) {
          const k = Math.min(m.count, x.count);
          m.count -= k;
          x.count -= k;
        }
      }
    }
  }
  const miss = missing.filter((e) => e.count > 0);
  const ext = extra.filter((e) => e.count > 0);
  const equal = miss.length === 0 && ext.length === 0;
  let text = '';
  if (!equal) {
    const names = specs.map((s) => s.name);
    const fmt = (e: { row: Norm[]; count: number }): string =>
      `  ${e.count}× (${e.row.map((v) => (v === null ? 'NULL' : JSON.stringify(v))).join(', ')})`;
    const sum = (l: { count: number }[]): number => l.reduce((a, e) => a + e.count, 0);
    const lines = [
      `multisets differ: actual ${actualCount} rows, expected ${expectedCount} rows; columns (${names.join(', ')})`,
      `missing (expected, not in actual): ${sum(miss)} rows in ${miss.length} distinct`,
      ...miss.slice(0, maxShown).map(fmt),
      ...(miss.length > maxShown ? [`  … ${miss.length - maxShown} more distinct`] : []),
      `extra (in actual, not expected): ${sum(ext)} rows in ${ext.length} distinct`,
      ...ext.slice(0, maxShown).map(fmt),
      ...(ext.length > maxShown ? [`  … ${ext.length - maxShown} more distinct`] : []),
    ];
    text = lines.join('\n');
  }
  return { equal, actualCount, expectedCount, missing: miss, extra: ext, text };
}
