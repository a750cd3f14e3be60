/**
 * Seeded random values (nested lists and dicts of awkward strings, numbers, None, booleans)
 * written as Python literals, for toyaml/tojson/fromyaml round trips against dbt-core.
 */
import { seededRandom } from '../../../../testing/seeded-random.js';

const PIECES = [
  'a', 'word', 'yes', 'no', 'null', '~', '-', ':', ': ', ' #', '#', '"', "'", '\\n', '\\t', ' ', '  ', 'é', '☃', '😀',
  '1', '0.5', '1e3', '0x1', '2024-01-02', '[', ']', '{', '}', ',', '?', '*', '&', '!', '|', '>', '%', '@', '`',
  'longwordlongwordlongword', 'x'.repeat(30), 'true', 'On', '---', '...', '\\\\', '=', '<<',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function pyStrLit(r: () => number): string {
  const n = Math.floor(r() * (r() < 0.3 ? 40 : 6));
  let s = '';
  for (let i = 0; i < n; i++) s += pick(r, PIECES) + (r() < 0.4 ? ' ' : '');
  return "'" + s.replace(/'/g, "\\'") + "'";
}

function value(r: () => number, depth: number): string {
  const k = r();
  if (depth > 0 && k < 0.25) {
    const n = Math.floor(r() * 4);
    return '[' + Array.from({ length: n }, () => value(r, depth - 1)).join(', ') + ']';
  }
  if (depth > 0 && k < 0.5) {
    const n = Math.floor(r() * 4);
    return '{' + Array.from({ length: n }, () => `${pyStrLit(r)}: ${value(r, depth - 1)}`).join(', ') + '}';
  }
  if (k < 0.55) return 'None';
  if (k < 0.6) return r() < 0.5 ? 'True' : 'False';
  if (k < 0.68) return String(Math.floor(r() * 2000) - 1000);
  if (k < 0.75) return (r() * 1000 - 500).toPrecision(1 + Math.floor(r() * 8)).replace(/^(-?\d+)$/, '$1.0');
  return pyStrLit(r);
}

const r = seededRandom(20261204);
const VALUES = Array.from({ length: 150 }, () => value(r, 3));

export const FUZZ_CASES: string[] = [
  ...VALUES.map((v) => `toyaml(${v})`),
  ...VALUES.map((v) => `toyaml(${v}, sort_keys=True)`),
  ...VALUES.map((v) => `tojson(${v})`),
  ...VALUES.map((v) => `fromyaml(toyaml(${v}))`),
  ...VALUES.map((v) => `fromjson(tojson(${v}, sort_keys=True))`),
];
