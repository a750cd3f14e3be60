/** ORC's type tree, its protobuf kinds, and the enums of the file format (orc_proto.proto). */

export type OrcKind =
  | 'boolean'
  | 'byte'
  | 'short'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'string'
  | 'binary'
  | 'timestamp'
  | 'list'
  | 'map'
  | 'struct'
  | 'union'
  | 'decimal'
  | 'date'
  | 'varchar'
  | 'char'
  | 'timestamp_instant';

/** Type.Kind, by proto number. */
export const KINDS: readonly OrcKind[] = [
  'boolean',
  'byte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'string',
  'binary',
  'timestamp',
  'list',
  'map',
  'struct',
  'union',
  'decimal',
  'date',
  'varchar',
  'char',
  'timestamp_instant',
];

export interface OrcType {
  kind: OrcKind;
  /** decimal */
  precision?: number;
  scale?: number;
  /** varchar, char */
  maxLength?: number;
  /** list: [element]; map: [key, value]; struct: fields; union: branches */
  children?: OrcType[];
  /** struct */
  fieldNames?: string[];
  /** Column id (pre-order position in the file's type list). */
  id?: number;
}

/** A top-level column to write. */
export interface OrcField {
  name: string;
  type: OrcType;
}

export const STREAM = {
  PRESENT: 0,
  DATA: 1,
  LENGTH: 2,
  DICTIONARY_DATA: 3,
  DICTIONARY_COUNT: 4,
  SECONDARY: 5,
  ROW_INDEX: 6,
  BLOOM_FILTER: 7,
  BLOOM_FILTER_UTF8: 8,
} as const;

export const ENCODING = { DIRECT: 0, DICTIONARY: 1, DIRECT_V2: 2, DICTIONARY_V2: 3 } as const;

/** Seconds from 1970-01-01 to 2015-01-01 00:00:00 UTC: ORC timestamps count from there. */
export const ORC_EPOCH = 1420070400;

/** The range tx reads and writes (Hive's and Spark's): 0001-01-01 to 9999-12-31. */
export const MIN_SECONDS = -62135596800;
export const MAX_SECONDS = 253402300799;
export const MIN_DAYS = -719162;
export const MAX_DAYS = 2932896;

export function typeName(t: OrcType): string {
  switch (t.kind) {
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'varchar':
    case 'char':
      return `${t.kind}(${t.maxLength})`;
    case 'list':
      return `array<${(t.children ?? []).map(typeName).join(',')}>`;
    case 'map':
      return `map<${(t.children ?? []).map(typeName).join(',')}>`;
    case 'struct':
      return `struct<${(t.children ?? []).map((c, i) => `${t.fieldNames?.[i] ?? `_col${i}`}:${typeName(c)}`).join(',')}>`;
    case 'union':
      return `uniontype<${(t.children ?? []).map(typeName).join(',')}>`;
    case 'byte':
      return 'tinyint';
    case 'short':
      return 'smallint';
    case 'long':
      return 'bigint';
    case 'timestamp_instant':
      return 'timestamp with local time zone';
    default:
      return t.kind;
  }
}

/** 'YYYY-MM-DD' of a day number (days since 1970-01-01). */
export function formatDate(days: number): string {
  const d = new Date(days * 86_400_000);
  const y = d.getUTCFullYear();
  const ys = y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  return `${ys}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** 'YYYY-MM-DD HH:MM:SS[.fraction]' of epoch seconds and nanos (fraction: 6 digits, or 9 when needed). */
export function formatTimestamp(seconds: number, nanos: number): string {
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  const hh = Math.floor(rest / 3600);
  const mm = Math.floor((rest % 3600) / 60);
  const ss = rest % 60;
  const time = `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
  let frac = '';
  if (nanos !== 0) frac = nanos % 1000 === 0 ? `.${String(nanos / 1000).padStart(6, '0')}` : `.${String(nanos).padStart(9, '0')}`;
  return `${formatDate(days)} ${time}${frac}`;
}

/** Parses 'YYYY-MM-DD' into days since 1970-01-01; null when it is not one. */
export function parseDate(s: string): number | null {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(0, 0, 0, 0);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
  return Math.round(d.getTime() / 86_400_000);
}

/** Parses 'YYYY-MM-DD[ T]HH:MM[:SS[.f…]][Z|+HH:MM]' into epoch seconds and nanos; null when it is not one. */
export function parseTimestamp(s: string): { seconds: number; nanos: number } | null {
  const m = /^(-?\d{4,}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(s.trim());
  if (!m) return null;
  const days = parseDate(m[1]!);
  if (days === null) return null;
  const h = Number(m[2] ?? 0);
  const mi = Number(m[3] ?? 0);
  const sec = Number(m[4] ?? 0);
  if (h > 23 || mi > 59 || sec > 59) return null;
  let seconds = days * 86400 + h * 3600 + mi * 60 + sec;
  const tz = m[6];
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    seconds -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || 0) * 60);
  }
  const nanos = m[5] ? Number(m[5].padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

/** Exact decimal text of an unscaled integer at a scale. */
export function decimalString(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const s = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return neg ? `-${s}` : s;
}
