/**
 * The parts of the base context that depend on the real clock or on stdout, which the
 * differential suites cannot compare value for value.
 */
import { describe, expect, it, vi } from 'vitest';
import { Kwargs, PY_REPR, PY_STR } from '../jinja/values.js';
import { baseContextMembers, runStartedAt } from './base-context.js';
import { NotImplemented, binaryDunder, boolDunder, compareDunder, pyKeyOf } from './dunder.js';
import { PyDateTime, TimeDelta } from './python-datetime.js';

type Fn = (...a: unknown[]) => unknown;
const ctx = baseContextMembers();
const modules = ctx.modules as Record<string, Record<string, unknown>>;
const dt = modules.datetime!;
const datetime = dt.datetime as Fn & Record<string, Fn>;
const date = dt.date as Fn & Record<string, Fn>;
const timedelta = dt.timedelta as Fn;
const pytz = modules.pytz!;

const str = (x: unknown): string => (x as { [PY_STR]: () => string })[PY_STR]();
const repr = (x: unknown): string => (x as { [PY_REPR]: () => string })[PY_REPR]();

describe('clock', () => {
  it('datetime.now() and utcnow() read the real clock', () => {
    const epochMs = (d: PyDateTime): number => Number((d.totalUs - 719163n * 86_400_000_000n) / 1000n);
    const before = Date.now();
    const now = datetime.utcnow!() as PyDateTime;
    const after = Date.now();
    expect(epochMs(now)).toBeGreaterThanOrEqual(before - 1);
    expect(epochMs(now)).toBeLessThanOrEqual(after + 1);
    expect(now.tzinfo).toBeNull();
    expect((datetime.now!() as PyDateTime).tzinfo).toBeNull();
  });
  it('datetime.now(tz) is aware in that zone', () => {
    const ny = (pytz.timezone as Fn)('America/New_York');
    const now = datetime.now!(ny) as PyDateTime;
    expect(repr(now.tzinfo)).toMatch(/^<DstTzInfo 'America\/New_York' E[SD]T-1 day, (19|20):00:00 (STD|DST)>$/);
    const utc = datetime.now!(new Kwargs(new Map([['tz', pytz.utc]]))) as PyDateTime;
    expect(str(utc)).toMatch(/\+00:00$/);
  });
  it('date.today() is the local date', () => {
    const today = date.today!() as { year: number; month: number; day: number };
    const d = new Date();
    expect([today.year, today.month, today.day]).toEqual([d.getFullYear(), d.getMonth() + 1, d.getDate()]);
  });
  it('runStartedAt() is an aware datetime in pytz.utc, as dbt sets run_started_at', () => {
    const r = runStartedAt(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(repr(r)).toBe('datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=<UTC>)');
    expect(str(r)).toBe('2024-01-02 03:04:05.678000+00:00');
  });
});

describe('print', () => {
  it('writes the message and a newline to stdout and returns an empty string', () => {
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect((ctx.print as Fn)('hello')).toBe('');
      expect(spy).toHaveBeenCalledWith('hello\n');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('operator protocol for the evaluator', () => {
  it('binaryDunder / compareDunder dispatch with reflection and NotImplemented', () => {
    const a = datetime(2024, 1, 1);
    const b = datetime(2024, 1, 3);
    const td = timedelta(new Kwargs(new Map([['days', 2]])));
    expect(repr(binaryDunder('+', a, td))).toBe('datetime.datetime(2024, 1, 3, 0, 0)');
    expect(repr(binaryDunder('+', td, a))).toBe('datetime.datetime(2024, 1, 3, 0, 0)');
    expect(repr(binaryDunder('-', b, a))).toBe('datetime.timedelta(days=2)');
    expect(repr(binaryDunder('*', 3, td))).toBe('datetime.timedelta(days=6)');
    expect(binaryDunder('+', a, 1)).toBe(NotImplemented);
    expect(compareDunder('<', a, b)).toBe(true);
    expect(compareDunder('>', 5, a)).toBe(NotImplemented);
    expect(compareDunder('==', a, datetime(2024, 1, 1))).toBe(true);
  });
  it('pyKeyOf gives equal datetimes one key; boolDunder makes timedelta(0) falsy', () => {
    expect(pyKeyOf(datetime(2024, 1, 1))).toBe(pyKeyOf(datetime(2024, 1, 1)));
    expect(pyKeyOf(datetime(2024, 1, 1))).not.toBe(pyKeyOf(datetime(2024, 1, 2)));
    expect(boolDunder(timedelta())).toBe(false);
    expect(boolDunder(TimeDelta.of(1))).toBe(true);
    expect(boolDunder({})).toBeUndefined();
  });
});
