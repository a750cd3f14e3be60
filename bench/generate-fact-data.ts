/**
 * Writes a synthetic USA_Presc_Medicare_Data_2021.csv of any size, in exactly the layout of
 * the sample fact file (shared/data/README.md), with the same kinds of dirt:
 *
 * | dirt | rate (approx., measured on 1M rows) |
 * |---|---|
 * | null npi (row) | 0.3 % of rows |
 * | negative npi (prescriber) | 0.3 % of prescribers |
 * | null drug_name | 1.5 % of rows |
 * | null total_claim_count | 3.1 % of rows (2 % of single rows plus one copy in most repeated npi+drug groups) |
 * | years_of_exp `= N.0` | ~98.5 %; variants `N`, `= N`, `N years` 0.5 %; no digits (`= NA`, `unknown`, `= `) 0.5 %; empty 0.5 % |
 * | suppress flags | `*` / `#` when the ge65 value is suppressed (null), empty otherwise |
 * | names needing quoting | commas (`SMITH, JR.`) 0.6 %, embedded quotes (`ROBERT "BOB"`) 0.6 % of rows |
 * | accented UTF-8 names | 7.9 % of rows (first or last name: `MUÑOZ`, `JOSÉ`, `BJÖRK`…) |
 * | null first name / last name | 0.3 % / 0.1 % of prescribers |
 * | repeated prescriber rows | every prescriber has 1..200 drug rows (mean ~20) |
 * | repeated npi+drug rows | 1.5 % of rows come 2–3 times with different claim counts |
 * | city/state | 94 % of rows match the city dimension (upper-cased, population-weighted, the 12 repeated (city, state) pairs boosted); ~7 % non-matching (state swapped, typo, ASCII spelling of an accented city, invented); 0.05 % null city |
 * | ties in total_claim_count | low counts tie naturally; 1 % "high volume" prescribers use round counts (500, 1000, …) so top-5 dense ranks tie |
 * | null fields | written `""` like the sample, and bare (empty) in 10 % of rows |
 *
 * Deterministic for a seed (own sfc32 PRNG; output depends on seed and the city list only),
 * streams with backpressure (memory does not grow with the row count: ~180 MB peak RSS for 10M
 * rows, most of it DuckDB and Node), and writes CSV bytes straight into buffers (~580k rows per
 * CPU-second).
 *
 * CLI: `npm run gen:data -- --rows N --out DIR [--seed S] [--cities PATH]`
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, createReadStream } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const FACT_FILE_NAME = 'USA_Presc_Medicare_Data_2021.csv';

export const FACT_HEADER = [
  'npi',
  'nppes_provider_last_org_name',
  'nppes_provider_first_name',
  'nppes_provider_city',
  'nppes_provider_state',
  'specialty_description',
  'description_flag',
  'drug_name',
  'generic_name',
  'bene_count',
  'total_claim_count',
  'total_30_day_fill_count',
  'total_day_supply',
  'total_drug_cost',
  'bene_count_ge65',
  'bene_count_ge65_suppress_flag',
  'total_claim_count_ge65',
  'ge65_suppress_flag',
  'total_30_day_fill_count_ge65',
  'total_day_supply_ge65',
  'total_drug_cost_ge65',
  'years_of_exp',
] as const;

export interface GenerateOptions {
  rows: number;
  /** Output directory (created if missing). */
  out: string;
  seed?: number;
  /** City dimension parquet (default data/us_cities_dimension.parquet relative to cwd). */
  citiesPath?: string;
  /** Pre-loaded cities (skips reading the parquet). */
  cities?: CityEntry[];
  fileName?: string;
}

export interface GenerateResult {
  path: string;
  rows: number;
  bytes: number;
}

export interface CityEntry {
  city: string;
  cityAscii: string;
  stateId: string;
  population: number;
}

// ---------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32
// ---------------------------------------------------------------------------

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const sm = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  private spare = 0;
  private hasSpare = false;
  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.float();
    if (u < 1e-12) u = 1e-12;
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * this.float();
    this.spare = r * Math.sin(t);
    this.hasSpare = true;
    return r * Math.cos(t);
  }
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

const LAST_NAMES = [
  'SMITH', 'JOHNSON', 'WILLIAMS', 'BROWN', 'JONES', 'MILLER', 'DAVIS', 'WILSON', 'ANDERSON', 'TAYLOR',
  'THOMAS', 'MOORE', 'MARTIN', 'JACKSON', 'THOMPSON', 'WHITE', 'HARRIS', 'CLARK', 'LEWIS', 'ROBINSON',
  'WALKER', 'YOUNG', 'ALLEN', 'KING', 'WRIGHT', 'SCOTT', 'HILL', 'GREEN', 'ADAMS', 'BAKER', 'NELSON',
  'CARTER', 'MITCHELL', 'ROBERTS', 'PHILLIPS', 'CAMPBELL', 'PARKER', 'EVANS', 'EDWARDS', 'COLLINS',
  'STEWART', 'MORRIS', 'MURPHY', 'COOK', 'ROGERS', 'MORGAN', 'PETERSON', 'COOPER', 'REED', 'BAILEY',
  'BELL', 'KELLY', 'HOWARD', 'WARD', 'COX', 'RICHARDSON', 'WOOD', 'WATSON', 'BROOKS', 'BENNETT', 'GRAY',
  'JAMES', 'HUGHES', 'PRICE', 'SANDERS', 'MYERS', 'LONG', 'ROSS', 'FOSTER', 'NGUYEN', 'PATEL', 'SHAH',
  'KIM', 'LEE', 'CHEN', 'WANG', 'HUANG', 'SINGH', 'KUMAR', 'GARCIA', 'MARTINEZ', 'RODRIGUEZ', 'LOPEZ',
  'GONZALEZ', 'HERNANDEZ', 'PEREZ', 'SANCHEZ', 'RAMIREZ', 'TORRES', 'FLORES', 'RIVERA', 'GOMEZ', 'DIAZ',
  'O\'BRIEN', 'O\'CONNOR', 'MCDONALD', 'VAN DE BEEK', 'ST GERMAIN', 'REYES-ORTIZ', 'PARRIS-RAMIE',
  'QUINN', 'SIFUENTES', 'GRAHAM', 'HOWERTON', 'KONTIR', 'MATTIACE', 'GERRIETTS', 'MORAYATI', 'SHOEMAKER',
  'BRADSHAW', 'ARORA', 'ALUNDAY', 'CHAN', 'VERGIS', 'HALL', 'CICCHETTI', 'BRABAZON', 'YONG', 'ANDREESCU',
  'NEWELL', 'SAVELLA', 'SOW', 'GRUPE', 'KREUZE', 'MOESSWILDE', 'BARCO', 'PRUDEN', 'WESTENDORF',
];
const ACCENTED_LAST = [
  'MUÑOZ', 'NÚÑEZ', 'PEÑA', 'GARCÍA', 'RODRÍGUEZ', 'MÜLLER', 'BJÖRK', 'FRANÇOIS', 'LÓPEZ', 'GÓMEZ',
  'IBÁÑEZ', 'CHÁVEZ', 'SCHRÖDER', 'DUBOIS-LEFÈVRE', 'ØSTERGAARD', 'ÅBERG', 'CORTÉS', 'JIMÉNEZ',
];
const COMMA_LAST = ['SMITH, JR.', 'JONES, III', 'WILLIAMS, SR.', 'BROWN, MD', 'GARCIA, JR'];
const QUOTE_LAST = ['O"NEIL', 'SMITH "SMITTY"', '"DOC" HOLLIDAY'];
const FIRST_NAMES = [
  'JAMES', 'MARY', 'ROBERT', 'PATRICIA', 'JOHN', 'JENNIFER', 'MICHAEL', 'LINDA', 'DAVID', 'ELIZABETH',
  'WILLIAM', 'BARBARA', 'RICHARD', 'SUSAN', 'JOSEPH', 'JESSICA', 'THOMAS', 'SARAH', 'CHARLES', 'KAREN',
  'CHRISTOPHER', 'LISA', 'DANIEL', 'NANCY', 'MATTHEW', 'BETTY', 'ANTHONY', 'MARGARET', 'MARK', 'SANDRA',
  'DONALD', 'ASHLEY', 'STEVEN', 'KIMBERLY', 'PAUL', 'EMILY', 'ANDREW', 'DONNA', 'JOSHUA', 'MICHELLE',
  'AMY', 'ANGELA', 'MELISSA', 'BRIAN', 'KEVIN', 'ERIC', 'GARY', 'STEPHEN', 'JILL', 'RACHEL', 'JORGE',
  'M.', 'J.', 'BOB', 'SHAWN', 'NATALEE', 'TZE', 'PUNEET', 'OANA', 'RHU-JADE', 'HSIANG-SEN', 'SHINGSAN',
  'PRABHNA', 'SUDHAKAR', 'GOPAL', 'REENA', 'SHARYU', 'AVRAHAM', 'ALBOURY', 'TARAH', 'MENA', 'ELEAS',
];
const ACCENTED_FIRST = ['JOSÉ', 'RENÉ', 'ZOË', 'ANDRÉ', 'CHLOÉ', 'JESÚS', 'MÓNICA', 'FRANÇOISE', 'SØREN', 'BJÖRN', 'INÉS'];
const COMMA_FIRST = ['MARY, ANN', 'JOHN, PAUL'];
const QUOTE_FIRST = ['ROBERT "BOB"', 'WILLIAM "BILL"', 'ELIZABETH "LIZ"'];
const SPECIALTIES: [string, number][] = [
  ['Internal Medicine', 30], ['Family Practice', 28], ['Nurse Practitioner', 10], ['Physician Assistant', 9],
  ['Cardiovascular Disease (Cardiology)', 3], ['Neurology', 2], ['Psychiatry & Neurology', 1], ['Dentist', 2],
  ['Infectious Disease', 1], ['General Practice', 2], ['Dermatology', 2], ['Urology', 1], ['Rheumatology', 1],
  ['Podiatry', 1], ['Nephrology', 1], ['Interventional Pain Management', 1], ['Hematology-Oncology', 1],
  ['Geriatric Medicine', 1], ['Emergency Medicine', 1], ['Obstetrics & Gynecology', 1], ['Psychiatry', 2],
  ['Endocrinology', 1], ['Gastroenterology', 1], ['Pulmonary Disease', 1], ['Ophthalmology', 1],
];
const DRUGS: [string, string][] = [
  ['METHENAMINE HIPPURATE', 'METHENAMINE HIPPURATE'], ['NYSTATIN', 'NYSTATIN'], ['CLONAZEPAM', 'CLONAZEPAM'],
  ['CELECOXIB', 'CELECOXIB'], ['SULFAMETHOXAZOLE-TRIMETHOPRIM', 'SULFAMETHOXAZOLE/TRIMETHOPRIM'],
  ['KLOR-CON M20', 'POTASSIUM CHLORIDE'], ['ZOLPIDEM TARTRATE', 'ZOLPIDEM TARTRATE'],
  ['CRESTOR', 'ROSUVASTATIN CALCIUM'], ['INSULIN SYRINGE', 'SYRING-NEEDL,DISP,INSUL,0.3 ML'],
  ['AMOXICILLIN', 'AMOXICILLIN'], ['PRAVASTATIN SODIUM', 'PRAVASTATIN SODIUM'],
  ['LANTUS SOLOSTAR', 'INSULIN GLARGINE,HUM.REC.ANLOG'], ['LANTUS', 'INSULIN GLARGINE,HUM.REC.ANLOG'],
  ['CLINDAMYCIN HCL', 'CLINDAMYCIN HCL'], ['ONDANSETRON HCL', 'ONDANSETRON HCL'],
  ['CHOLESTYRAMINE', 'CHOLESTYRAMINE (WITH SUGAR)'], ['QUETIAPINE FUMARATE', 'QUETIAPINE FUMARATE'],
  ['IBUPROFEN', 'IBUPROFEN'], ['SELENIUM SULFIDE', 'SELENIUM SULFIDE'], ['WARFARIN SODIUM', 'WARFARIN SODIUM'],
  ['POLYETHYLENE GLYCOL 3350', 'POLYETHYLENE GLYCOL 3350'],
  ['ENALAPRIL-HYDROCHLOROTHIAZIDE', 'ENALAPRIL/HYDROCHLOROTHIAZIDE'], ['MECLIZINE HCL', 'MECLIZINE HCL'],
  ['CARBIDOPA-LEVODOPA ER', 'CARBIDOPA/LEVODOPA'], ['PRAMIPEXOLE DIHYDROCHLORIDE', 'PRAMIPEXOLE DI-HCL'],
  ['POTASSIUM CHLORIDE', 'POTASSIUM CHLORIDE'], ['LACTULOSE', 'LACTULOSE'], ['MEMANTINE HCL', 'MEMANTINE HCL'],
  ['OMEPRAZOLE', 'OMEPRAZOLE'], ['LISINOPRIL', 'LISINOPRIL'], ['HYDROCODONE-ACETAMINOPHEN', 'HYDROCODONE/ACETAMINOPHEN'],
  ['LOVASTATIN', 'LOVASTATIN'], ['MELOXICAM', 'MELOXICAM'], ['TOLTERODINE TARTRATE ER', 'TOLTERODINE TARTRATE'],
  ['GLIMEPIRIDE', 'GLIMEPIRIDE'], ['PREDNISOLONE ACETATE', 'PREDNISOLONE ACETATE'],
  ['HYDRALAZINE HCL', 'HYDRALAZINE HCL'], ['DULOXETINE HCL', 'DULOXETINE HCL'], ['PAROXETINE HCL', 'PAROXETINE HCL'],
  ['CITALOPRAM HBR', 'CITALOPRAM HYDROBROMIDE'], ['NAPROXEN', 'NAPROXEN'], ['DUTASTERIDE', 'DUTASTERIDE'],
  ['GABAPENTIN', 'GABAPENTIN'], ['GLIPIZIDE', 'GLIPIZIDE'], ['CLOPIDOGREL', 'CLOPIDOGREL BISULFATE'],
  ['ACYCLOVIR', 'ACYCLOVIR'], ['RISPERIDONE', 'RISPERIDONE'], ['LYRICA', 'PREGABALIN'],
  ['DOXAZOSIN MESYLATE', 'DOXAZOSIN MESYLATE'], ['CARVEDILOL', 'CARVEDILOL'], ['MIRTAZAPINE', 'MIRTAZAPINE'],
  ['ESTRADIOL', 'ESTRADIOL'], ['SIMVASTATIN', 'SIMVASTATIN'], ['AMITRIPTYLINE HCL', 'AMITRIPTYLINE HCL'],
  ['ALENDRONATE SODIUM', 'ALENDRONATE SODIUM'], ['NOVOLOG', 'INSULIN ASPART'],
  ['SANTYL', 'COLLAGENASE CLOSTRIDIUM HIST.'], ['PROSOL', 'PARENTERAL AMINO ACID 20% NO.1'],
  ['VENLAFAXINE HCL ER', 'VENLAFAXINE HCL'], ['AMOXICILLIN-CLAVULANATE POTASS', 'AMOXICILLIN/POTASSIUM CLAV'],
  ['PIOGLITAZONE HCL', 'PIOGLITAZONE HCL'], ['CLOBETASOL PROPIONATE', 'CLOBETASOL PROPIONATE'],
  ['ATORVASTATIN CALCIUM', 'ATORVASTATIN CALCIUM'], ['PANTOPRAZOLE SODIUM', 'PANTOPRAZOLE SODIUM'],
  ['CEFUROXIME', 'CEFUROXIME AXETIL'], ['BUPROPION XL', 'BUPROPION HCL'], ['METHYLPREDNISOLONE', 'METHYLPREDNISOLONE'],
  ['MINOCYCLINE HCL', 'MINOCYCLINE HCL'], ['DICLOFENAC SODIUM', 'DICLOFENAC SODIUM'], ['RANEXA', 'RANOLAZINE'],
  ['SPIRONOLACTONE', 'SPIRONOLACTONE'], ['LOSARTAN-HYDROCHLOROTHIAZIDE', 'LOSARTAN/HYDROCHLOROTHIAZIDE'],
  ['TRAMADOL HCL', 'TRAMADOL HCL'], ['FUROSEMIDE', 'FUROSEMIDE'], ['FLUCONAZOLE', 'FLUCONAZOLE'],
  ['ENALAPRIL MALEATE', 'ENALAPRIL MALEATE'], ['LAMOTRIGINE', 'LAMOTRIGINE'], ['METFORMIN HCL', 'METFORMIN HCL'],
  ['AMLODIPINE BESYLATE', 'AMLODIPINE BESYLATE'], ['LEVOTHYROXINE SODIUM', 'LEVOTHYROXINE SODIUM'],
  ['METOPROLOL SUCCINATE', 'METOPROLOL SUCCINATE'], ['TAMSULOSIN HCL', 'TAMSULOSIN HCL'],
  ['HUMALOG KWIKPEN', 'INSULIN LISPRO'], ['ELIQUIS', 'APIXABAN'], ['XARELTO', 'RIVAROXABAN'],
  ['TRESIBA FLEXTOUCH U-100', 'INSULIN DEGLUDEC'], ['SPIRIVA', 'TIOTROPIUM BROMIDE'],
];
const INVENTED_CITIES = ['WORTINGTON', 'NEW FAIRVIEW', 'LAKE SPRINGVALE', 'EAST RIVERBEND', 'PORT ASHFORD', 'MT PLEASANT', 'ST. GEORGE', 'FT WORTH'];
const ROUND_COUNTS = [500, 1000, 1500, 2000, 2500, 5000];
const REPEAT_COUNTS = [70, 90, 99, 100, 300, 500];
const STATE_IDS_EXTRA = ['XX', 'AE', 'GU', 'VI', 'ZZ'];

// ---------------------------------------------------------------------------
// CSV helpers
// ---------------------------------------------------------------------------

/** RFC 4180 quoting: only when needed (delimiter, quote, CR/LF). */
export function csvField(s: string): string {
  if (/[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

function weightedIndex(cum: Float64Array, x: number): number {
  // first i with cum[i] > x
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Reads `(city, city_ascii, state_id, population)` from the city dimension, in a stable order. */
export async function loadCities(path: string): Promise<CityEntry[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const lit = `'${path.replace(/'/g, "''")}'`;
    const r = await conn.runAndReadAll(
      `SELECT city, city_ascii, state_id, population FROM read_parquet(${lit})
       WHERE city IS NOT NULL AND state_id IS NOT NULL
       ORDER BY state_id, city, city_ascii, population`,
    );
    return r.getRows().map((row) => ({
      city: String(row[0]),
      cityAscii: String(row[1] ?? row[0]),
      stateId: String(row[2]),
      population: Number(row[3] ?? 0),
    }));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

interface Prescriber {
  /** `npi,last,first,city,state,specialty,flag,` as UTF-8 */
  prefix: Buffer;
  /** the same without the npi (for rows whose npi is null) */
  prefixNoNpi: Buffer;
  /** years_of_exp field, already CSV-encoded; null → written as a null field */
  years: Buffer | null;
  rows: number;
  roundCounts: boolean;
  /** per-prescriber volume multiplier */
  volume: number;
}

interface CityPicker {
  pick(rng: Rng): { city: string; state: string };
}

function makeCityPicker(cities: CityEntry[]): CityPicker {
  if (cities.length === 0) throw new Error('empty city list');
  const states = [...new Set(cities.map((c) => c.stateId))].sort();
  // Repeated (city, state) pairs get a boost so that the report shows repeated rows.
  const pairCount = new Map<string, number>();
  for (const c of cities) {
    const k = `${c.stateId}|${c.city.toUpperCase()}`;
    pairCount.set(k, (pairCount.get(k) ?? 0) + 1);
  }
  const weights = cities.map((c) => Math.sqrt(Math.max(c.population, 1)));
  const total = weights.reduce((a, b) => a + b, 0);
  const repeated = cities.map((c, i) => (pairCount.get(`${c.stateId}|${c.city.toUpperCase()}`)! > 1 ? i : -1)).filter((i) => i >= 0);
  if (repeated.length > 0) {
    const boost = (total * 0.02) / repeated.length; // ~2 % of picks on repeated pairs
    for (const i of repeated) weights[i]! += boost;
  }
  const cum = new Float64Array(cities.length);
  let acc = 0;
  for (let i = 0; i < cities.length; i++) {
    acc += weights[i]!;
    cum[i] = acc;
  }
  const upper = cities.map((c) => c.city.toUpperCase());
  const upperAscii = cities.map((c) => c.cityAscii.toUpperCase());
  return {
    pick(rng: Rng) {
      const i = weightedIndex(cum, rng.float() * acc);
      const c = cities[i]!;
      let city = upper[i]!;
      let state = c.stateId;
      if (upperAscii[i] !== city && rng.chance(0.5)) city = upperAscii[i]!; // CMS spells in ASCII
      const r = rng.float();
      if (r < 0.025) {
        state = rng.chance(0.1) ? rng.pick(STATE_IDS_EXTRA) : rng.pick(states); // BRONX, AZ
      } else if (r < 0.05 && city.length > 4) {
        const k = 1 + rng.int(city.length - 2);
        city = rng.chance(0.5) ? city.slice(0, k) + city.slice(k + 1) : city.slice(0, k) + city[k] + city.slice(k); // typo
      } else if (r < 0.06) {
        city = rng.pick(INVENTED_CITIES);
      }
      return { city, state };
    },
  };
}

function pickName(rng: Rng, plain: readonly string[], accented: readonly string[], comma: readonly string[], quote: readonly string[]): string {
  const r = rng.float();
  if (r < 0.04) return rng.pick(accented);
  if (r < 0.043) return rng.pick(comma);
  if (r < 0.046) return rng.pick(quote);
  return rng.pick(plain);
}

function pickWeighted<T>(rng: Rng, list: readonly [T, number][], total: number): T {
  let x = rng.float() * total;
  for (const [v, w] of list) {
    x -= w;
    if (x < 0) return v;
  }
  return list[list.length - 1]![0];
}

const SPECIALTY_TOTAL = SPECIALTIES.reduce((a, [, w]) => a + w, 0);

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const DRUG_BYTES = DRUGS.map(([d, g]) => utf8(`${csvField(d)},${csvField(g)},`));
const NULL_DRUG_BYTES = DRUGS.map(([, g]) => utf8(`"",${csvField(g)},`));
const NULL_DRUG_BYTES_BARE = DRUGS.map(([, g]) => utf8(`,${csvField(g)},`));

const C_COMMA = 0x2c;
const C_QUOTE = 0x22;
const C_DOT = 0x2e;
const C_NL = 0x0a;
const C_0 = 0x30;
const C_STAR = 0x2a;
const C_HASH = 0x23;

/**
 * Writes CSV bytes straight into a Buffer (no intermediate strings): the hot path of the
 * generator. A full buffer is handed to the stream and a fresh one allocated.
 */
class ByteSink {
  buf: Buffer;
  pos = 0;
  constructor(readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos); // faster than a byte loop even for ~20 bytes
    this.pos += b.length;
  }
  byte(c: number): void {
    this.buf[this.pos++] = c;
  }
  /** A null field: `""` or nothing. */
  nil(bare: boolean): void {
    if (!bare) {
      this.buf[this.pos++] = C_QUOTE;
      this.buf[this.pos++] = C_QUOTE;
    }
  }
  /** Non-negative integer. */
  uint(n: number): void {
    const buf = this.buf;
    let p = this.pos;
    if (n < 10) {
      buf[p] = C_0 + n;
      this.pos = p + 1;
      return;
    }
    const len =
      n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : String(n).length;
    let e = p + len;
    if (n < 2147483648) {
      while (n >= 10) {
        const q = (n / 10) | 0;
        buf[--e] = C_0 + (n - q * 10);
        n = q;
      }
    } else {
      while (n >= 10) {
        const q = Math.floor(n / 10);
        buf[--e] = C_0 + (n - q * 10);
        n = q;
      }
    }
    buf[--e] = C_0 + n;
    this.pos = p + len;
  }
  /** Tenths as `12` or `12.3` (at most one decimal, like the sample's fill counts). */
  tenths(r: number): void {
    const q = Math.floor(r / 10);
    const d = r - q * 10;
    this.uint(q);
    if (d !== 0) {
      this.buf[this.pos++] = C_DOT;
      this.buf[this.pos++] = C_0 + d;
    }
  }
  /** Cents as `12.30`. */
  cents(c: number): void {
    const q = Math.floor(c / 100);
    const r = c - q * 100;
    this.uint(q);
    const t = Math.floor(r / 10);
    this.buf[this.pos++] = C_DOT;
    this.buf[this.pos++] = C_0 + t;
    this.buf[this.pos++] = C_0 + (r - t * 10);
  }
}

/** Everything random about one drug row except its total_claim_count. */
interface RowDraw {
  bare: boolean;
  npiNull: boolean;
  drug: number;
  drugNull: boolean;
  bene: number; // -1 = null
  fill10: number; // fill count in tenths
  supply: number;
  costCents: number;
  ge65: 0 | 1 | 2 | 3; // 0 suppressed, 1 bene suppressed + values, 2 zeros, 3 values
  flag: number; // * or #
  b65: number;
  c65: number;
  fill65: number; // tenths
  supply65: number;
  cost65Cents: number;
}

export async function generateFactCsv(opts: GenerateOptions): Promise<GenerateResult> {
  const rows = Math.floor(opts.rows);
  if (!Number.isFinite(rows) || rows < 0) throw new Error(`rows must be a non-negative integer, got ${opts.rows}`);
  const seed = opts.seed ?? 42;
  const cities = opts.cities ?? (await loadCities(opts.citiesPath ?? resolve('data/us_cities_dimension.parquet')));
  mkdirSync(opts.out, { recursive: true });
  const path = join(opts.out, opts.fileName ?? FACT_FILE_NAME);
  // A few chunks of buffering let generation overlap with the disk writes; memory stays bounded.
  const ws = createWriteStream(path, { highWaterMark: 4 << 20 });
  const errored = new Promise<never>((_, reject) => ws.once('error', reject));
  errored.catch(() => undefined);

  const rng = new Rng(seed);
  const picker = makeCityPicker(cities);

  const CHUNK = 1 << 20;
  const MAX_ROW = 8192; // far above any row this writes
  let sink = new ByteSink(CHUNK);
  sink.bytes(utf8(FACT_HEADER.join(',') + '\n'));
  let written = 0;
  let prescriberIndex = 0;

  const flush = async (): Promise<void> => {
    const chunk = sink.buf.subarray(0, sink.pos);
    sink = new ByteSink(CHUNK);
    if (!ws.write(chunk)) await Promise.race([once(ws, 'drain'), errored]);
  };

  const yearsCache = new Map<string, Buffer>();
  const yearsBytes = (text: string): Buffer => {
    let b = yearsCache.get(text);
    if (!b) {
      b = utf8(csvField(text));
      yearsCache.set(text, b);
    }
    return b;
  };

  const newPrescriber = (): Prescriber => {
    const idx = prescriberIndex++;
    // A permutation of [0, 1e9): unique 10-digit NPIs starting with 1.
    let npi = 1_000_000_000 + ((idx * 387_420_489 + 123_456_789 + (seed % 1000) * 1_000_003) % 1_000_000_000);
    if (rng.chance(0.003)) npi = -npi;
    const last = rng.chance(0.001) ? null : pickName(rng, LAST_NAMES, ACCENTED_LAST, COMMA_LAST, QUOTE_LAST);
    const first = rng.chance(0.003) ? null : pickName(rng, FIRST_NAMES, ACCENTED_FIRST, COMMA_FIRST, QUOTE_FIRST);
    const { city, state } = picker.pick(rng);
    const nullCity = rng.chance(0.0005);
    const spec = pickWeighted(rng, SPECIALTIES, SPECIALTY_TOTAL);
    const flag = rng.chance(0.93) ? 'S' : 'T';
    const exp = Math.min(60, Math.max(0, Math.round(4 + Math.abs(rng.normal()) * 16)));
    const yr = rng.float();
    let years: string | null;
    if (yr < 0.005) years = null;
    else if (yr < 0.01) years = rng.pick(['= NA', 'unknown', '= ', 'N/A', '= .']);
    else if (yr < 0.015) years = rng.pick([`${exp}`, `= ${exp}`, `${exp} years`, `=${exp}.00`]);
    else years = `= ${exp}.0`;
    const k = Math.min(200, 1 + Math.floor(-Math.log(1 - rng.float()) * 19));
    const npiText = String(npi);
    const prefix = utf8(`${npiText},${last === null ? '""' : csvField(last)},${first === null ? '""' : csvField(first)},${nullCity ? '""' : csvField(city)},${csvField(state)},${csvField(spec)},${flag},`);
    return {
      prefix,
      prefixNoNpi: prefix.subarray(npiText.length), // the npi is ASCII: one byte per char
      years: years === null ? null : yearsBytes(years),
      rows: k,
      roundCounts: rng.chance(0.01),
      volume: Math.exp(rng.normal() * 0.4),
    };
  };

  const claimCount = (p: Prescriber): number => {
    if (p.roundCounts) return rng.pick(ROUND_COUNTS);
    return 11 + Math.floor(Math.exp(2.5 + rng.normal()) * p.volume);
  };

  const d: RowDraw = {
    bare: false, npiNull: false, drug: 0, drugNull: false, bene: -1, fill10: 0, supply: 0, costCents: 0,
    ge65: 0, flag: C_STAR, b65: 0, c65: 0, fill65: 0, supply65: 0, cost65Cents: 0,
  };

  /** Draws everything about a row but its claim count (repeated copies share it, like the sample). */
  const drawRow = (drug: number, base: number): void => {
    // One 32-bit draw for the row's small decisions (10 + 10 + 10 + 2 bits).
    const bits = rng.u32();
    d.bare = (bits & 1023) < 102; // ~10 %
    d.npiNull = ((bits >>> 10) & 1023) < 3; // ~0.3 %
    d.drug = drug;
    d.drugNull = ((bits >>> 20) & 1023) < 15; // ~1.5 %
    const fill = base * (1 + rng.float() * 1.6);
    const decimalFill = bits >>> 30 === 0; // 25 %
    d.fill10 = decimalFill ? Math.round(fill * 10) : Math.round(fill) * 10;
    d.supply = Math.max(1, Math.round(fill * (rng.float() < 0.8 ? 30 : 5 + rng.int(80))));
    const cost = base * Math.exp(3 + rng.normal() * 1.3);
    d.costCents = Math.round(cost * 100);
    d.bene = base < 30 && rng.float() < 0.8 ? -1 : Math.max(11, Math.round(base * (0.2 + rng.float() * 0.5)));
    const s = rng.float();
    if (s < 0.55) {
      d.flag = rng.float() < 0.5 ? C_STAR : C_HASH;
      d.ge65 = rng.float() < 0.5 ? 0 : 1;
    } else if (s < 0.6) d.ge65 = 2;
    else {
      d.ge65 = 3;
      d.b65 = Math.max(11, Math.round(base * (0.1 + rng.float() * 0.3)));
    }
    if (d.ge65 === 1 || d.ge65 === 3) {
      d.c65 = Math.min(base, Math.max(11, Math.round(base * (0.5 + rng.float() * 0.5))));
      const ratio = d.c65 / base;
      d.fill65 = decimalFill || d.ge65 === 3 ? Math.round(fill * ratio * 10) : Math.round(fill * ratio) * 10;
      d.supply65 = Math.round(d.supply * ratio);
      d.cost65Cents = Math.round(cost * ratio * 100);
    }
  };

  const writeRow = (p: Prescriber, claim: number | null): void => {
    const o = sink;
    const bare = d.bare;
    if (d.npiNull) {
      o.nil(bare);
      o.bytes(p.prefixNoNpi);
    } else o.bytes(p.prefix);
    o.bytes(d.drugNull ? (bare ? NULL_DRUG_BYTES_BARE[d.drug]! : NULL_DRUG_BYTES[d.drug]!) : DRUG_BYTES[d.drug]!);
    if (d.bene < 0) o.nil(bare);
    else o.uint(d.bene);
    o.byte(C_COMMA);
    if (claim === null) o.nil(bare);
    else o.uint(claim);
    o.byte(C_COMMA);
    o.tenths(d.fill10);
    o.byte(C_COMMA);
    o.uint(d.supply);
    o.byte(C_COMMA);
    o.cents(d.costCents);
    o.byte(C_COMMA);
    switch (d.ge65) {
      case 0: // "",*,"",*,"","",""
        o.nil(bare); o.byte(C_COMMA); o.byte(d.flag); o.byte(C_COMMA);
        o.nil(bare); o.byte(C_COMMA); o.byte(d.flag); o.byte(C_COMMA);
        o.nil(bare); o.byte(C_COMMA); o.nil(bare); o.byte(C_COMMA); o.nil(bare);
        break;
      case 2: // 0,"",0,"",0,0,0.00
        o.byte(C_0); o.byte(C_COMMA); o.nil(bare); o.byte(C_COMMA);
        o.byte(C_0); o.byte(C_COMMA); o.nil(bare); o.byte(C_COMMA);
        o.byte(C_0); o.byte(C_COMMA); o.byte(C_0); o.byte(C_COMMA); o.cents(0);
        break;
      default: // 1: "",*,c65,"",... / 3: b65,"",c65,"",...
        if (d.ge65 === 1) {
          o.nil(bare); o.byte(C_COMMA); o.byte(d.flag); o.byte(C_COMMA);
        } else {
          o.uint(d.b65); o.byte(C_COMMA); o.nil(bare); o.byte(C_COMMA);
        }
        o.uint(d.c65); o.byte(C_COMMA); o.nil(bare); o.byte(C_COMMA);
        o.tenths(d.fill65); o.byte(C_COMMA); o.uint(d.supply65); o.byte(C_COMMA); o.cents(d.cost65Cents);
    }
    o.byte(C_COMMA);
    if (p.years === null) o.nil(bare);
    else o.bytes(p.years);
    o.byte(C_NL);
    written++;
  };

  const nDrugs = DRUGS.length;
  let current: Prescriber | null = null;
  let left = 0;
  let drugCursor = 0;
  let drugStep = 1;
  while (written < rows) {
    if (left === 0) {
      current = newPrescriber();
      left = current.rows;
      // walk the drug list with a random stride coprime to its length: distinct drugs per prescriber
      drugCursor = rng.int(nDrugs);
      do drugStep = 1 + rng.int(nDrugs - 1);
      while (gcd(drugStep, nDrugs) !== 1);
    }
    const p = current!;
    const drug = drugCursor;
    drugCursor = (drugCursor + drugStep) % nDrugs;
    left--;
    const base = claimCount(p);
    drawRow(drug, base);
    if (rng.float() < 0.015) {
      // repeated npi+drug: 2-3 copies differing only in total_claim_count, one usually null
      const copies = rng.chance(0.7) ? 2 : 3;
      const nullAt = rng.chance(0.8) ? rng.int(copies) : -1;
      for (let c = 0; c < copies && written < rows; c++) {
        const claim = c === nullAt ? null : c === 0 ? base : rng.chance(0.5) ? rng.pick(REPEAT_COUNTS) : claimCount(p);
        writeRow(p, claim);
      }
    } else {
      writeRow(p, rng.float() < 0.02 ? null : base);
    }
    if (sink.pos > CHUNK - 4 * MAX_ROW) await flush();
  }
  if (sink.pos > 0) await flush();
  ws.end();
  await Promise.race([once(ws, 'finish'), errored]);
  await once(ws, 'close').catch(() => undefined);
  return { path, rows: written, bytes: ws.bytesWritten };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.replace(/_/g, ''));
  if (!m) throw new Error(`not a row count: ${s}`);
  const mult = m[2] === 'k' || m[2] === 'K' ? 1e3 : m[2] === 'm' || m[2] === 'M' ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

export function parseArgs(argv: string[]): { rows: number; out: string; seed: number; citiesPath?: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) args[a.slice(2, eq)] = a.slice(eq + 1);
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value for ${a}`);
      args[a.slice(2)] = v;
    }
  }
  for (const k of Object.keys(args)) if (!['rows', 'out', 'seed', 'cities'].includes(k)) throw new Error(`unknown option --${k}`);
  if (!args.rows || !args.out) throw new Error('usage: generate-fact-data --rows N --out DIR [--seed S] [--cities PATH]');
  const seed = args.seed === undefined ? 42 : Number(args.seed);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer: ${args.seed}`);
  return { rows: parseCount(args.rows), out: args.out, seed, ...(args.cities ? { citiesPath: args.cities } : {}) };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const t0 = process.hrtime.bigint();
  const cities = await loadCities(a.citiesPath ?? resolve('data/us_cities_dimension.parquet'));
  const t1 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const res = await generateFactCsv({ rows: a.rows, out: a.out, seed: a.seed, cities });
  const cpu = process.cpuUsage(cpu0);
  const t2 = process.hrtime.bigint();
  // CPU time of this process (main thread + libuv's write threads): robust on a busy machine.
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const secs = Number(t2 - t1) / 1e9;
  const out = {
    ...res,
    seed: a.seed,
    citiesLoadSeconds: Number((Number(t1 - t0) / 1e9).toFixed(3)),
    seconds: Number(secs.toFixed(3)),
    rowsPerSecond: Math.round(res.rows / secs),
    mbPerSecond: Number((res.bytes / 1048576 / secs).toFixed(1)),
    cpuSeconds: Number(cpuSecs.toFixed(3)),
    rowsPerCpuSecond: Math.round(res.rows / cpuSecs),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`generate-fact-data: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
