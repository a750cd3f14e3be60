/**
 * dbt 1.10's `--sample` window (dbt/event_time/sample_window.py): `"N GRAIN"` (hour, day, month or
 * year, plural or not, any case) is the N grains up to now, the start moved back as dateutil's
 * relativedelta moves it (a month from March 31 is February's last day); `{start: ..., end: ...}` is
 * that window, its times taken as UTC wall-clock times (an offset is dropped, as dbt's
 * `replace(tzinfo=UTC)` drops it). ref() and source() of a node with `event_time` then read
 * `(select * from x where col >= 'start' and col < 'end')`, the times printed as Python prints them.
 */
import { parse as parseYaml } from 'yaml';
import { TxError } from '../errors.js';

export interface SampleWindow {
  start: Date;
  end: Date;
}

const GRAINS = ['hour', 'day', 'month', 'year'] as const;
type Grain = (typeof GRAINS)[number];

const usage = (text: string, message: string) =>
  new TxError('USAGE', `--sample: ${message}`, { hint: `e.g. --sample "3 days" (hour, day, month, year) or --sample "{start: '2024-01-01 00:00:00', end: '2024-02-01 00:00:00'}"; got \`${text}\`` });

/** Python's relativedelta(months=n) on a UTC time: the same day, or the month's last day. */
function addMonths(d: Date, months: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const ty = y + Math.floor(m / 12);
  const tm = ((m % 12) + 12) % 12;
  const last = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  return new Date(Date.UTC(ty, tm, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
}

function offset(end: Date, grain: Grain, n: number): Date {
  if (grain === 'hour') return new Date(end.getTime() + n * 3_600_000);
  if (grain === 'day') return new Date(end.getTime() + n * 86_400_000);
  return addMonths(end, grain === 'month' ? n : 12 * n);
}

/** A timestamp of the `{start, end}` form: date and time, read as UTC wall-clock time. */
function wallClock(text: string, v: unknown, key: string): Date {
  if (v === undefined || v === null) throw usage(text, `the window needs \`${key}\``);
  const s = v instanceof Date ? v.toISOString() : String(v);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s.trim());
  if (!m) throw usage(text, `\`${key}: ${s}\` is not a timestamp (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]])`);
  const [, y, mo, d, h = '0', mi = '0', se = '0', frac = ''] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms));
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) throw usage(text, `\`${key}: ${s}\` is not a valid date and time`);
  return date;
}

export function parseSampleWindow(text: string, now: Date = new Date()): SampleWindow {
  if (text.trimStart().startsWith('{')) {
    let v: unknown;
    try {
      v = parseYaml(text);
    } catch (e) {
      throw usage(text, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw usage(text, 'the window must be a mapping of start and end');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'start' && k !== 'end') throw usage(text, `unknown key \`${k}\` (start, end)`);
    const w = { start: wallClock(text, o.start, 'start'), end: wallClock(text, o.end, 'end') };
    if (w.start.getTime() >= w.end.getTime()) throw usage(text, 'start must be before end');
    return w;
  }
  // dbt splits on single spaces: exactly a count and a grain
  const parts = text.split(' ');
  if (parts.length !== 2) throw usage(text, `cannot read a window from \`${text}\`: it must be of the form 'DAYS_INT GRAIN_SIZE'`);
  if (!/^\s*[+-]?\d+\s*$/.test(parts[0]!)) throw usage(text, `\`${parts[0]}\` is not an integer`);
  const grain = parts[1]!.toLowerCase().replace(/s+$/, '');
  if (!(GRAINS as readonly string[]).includes(grain)) throw usage(text, `invalid grain size \`${parts[1]}\`: one of ${[...GRAINS, ...GRAINS.map((g) => `${g}s`)].join(', ')}`);
  return { start: offset(now, grain as Grain, -Number(parts[0])), end: now };
}

/** A time as Python prints a UTC datetime: `2024-01-01 05:00:00+00:00`, with `.ffffff` when it has a fraction. */
export function pythonUtc(d: Date): string {
  const iso = d.toISOString(); // 2024-01-01T05:00:00.000Z
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms ? `.${String(ms * 1000).padStart(6, '0')}` : ''}+00:00`;
}

/** `(select * from rel where col >= 'start' and col < 'end')`: what ref()/source() read in sample mode. */
export function sampleFilter(relationSql: string, column: string, w: SampleWindow): string {
  return `(select * from ${relationSql} where ${column} >= '${pythonUtc(w.start)}' and ${column} < '${pythonUtc(w.end)}')`;
}
