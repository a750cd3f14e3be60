/**
 * dbt's modules.re: Python's re module (everything in re.__all__ that a template can use) on
 * JavaScript RegExps built by python-re-translate.ts. Positions are Python's (code points), match
 * objects and patterns behave as re.Match and re.Pattern, flags are ints (Jinja has no `|`:
 * combine them with +).
 */
import { Markup, PY_REPR, PY_STR, PyError, isKwargs, makeTuple } from '../jinja/values.js';
import { dictSet, strRepr, typeName } from '../jinja/py.js';
import { bind, p } from './args.js';
import { PyIterator } from './python-iterator.js';
import { FLAG, reEscape, translate } from './python-re-translate.js';

const SURROGATE = /[\uD800-\uDFFF]/;

/** Code point index -> UTF-16 index in s. */
function u16(s: string, cp: number): number {
  if (!SURROGATE.test(s)) return cp;
  let i = 0;
  let n = 0;
  while (n < cp && i < s.length) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
    n++;
  }
  return i;
}

/** UTF-16 index -> code point index in s. */
function cpIdx(s: string, i: number): number {
  if (!SURROGATE.test(s)) return i;
  return Array.from(s.slice(0, i)).length;
}

function cpLen(s: string): number {
  return SURROGATE.test(s) ? Array.from(s).length : s.length;
}

function strArg(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x instanceof Markup) return x.value;
  throw new PyError('TypeError', `expected string or bytes-like object, got '${typeName(x)}'`);
}

function intArg(x: unknown, what: string): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number' && Number.isInteger(x)) return x;
  throw new PyError('TypeError', `'${typeName(x)}' object cannot be interpreted as an integer${what}`);
}

/** Python's slice-like clamping of pos/endpos. */
function clamp(n: number, len: number): number {
  if (n < 0) return 0;
  return n > len ? len : n;
}

const FLAG_NAMES: [number, string][] = [
  [FLAG.TEMPLATE, 'TEMPLATE'],
  [FLAG.IGNORECASE, 'IGNORECASE'],
  [FLAG.LOCALE, 'LOCALE'],
  [FLAG.MULTILINE, 'MULTILINE'],
  [FLAG.DOTALL, 'DOTALL'],
  [FLAG.UNICODE, 'UNICODE'],
  [FLAG.VERBOSE, 'VERBOSE'],
  [FLAG.DEBUG, 'DEBUG'],
  [FLAG.ASCII, 'ASCII'],
];

// ---------------------------------------------------------------------------------------------
// Match

export class PyMatch {
  static {
    Object.defineProperty(this, 'name', { value: 're.Match' });
  }
  /** Per group: [start, end] in code points, or null when the group did not take part. */
  private readonly spans: ([number, number] | null)[];
  readonly lastindex: number | null;
  readonly lastgroup: string | null;

  constructor(
    readonly re: PyPattern,
    readonly string: string,
    readonly pos: number,
    readonly endpos: number,
    m: RegExpExecArray,
    shift = 0,
  ) {
    const ind = m.indices!;
    this.spans = [];
    for (let g = 0; g <= re.groups; g++) {
      const r = ind[g === 0 ? 0 : g + shift];
      this.spans.push(r ? [cpIdx(string, r[0]), cpIdx(string, r[1])] : null);
    }
    let last: number | null = null;
    for (let g = 1; g <= re.groups; g++) {
      const s = this.spans[g];
      if (!s) continue;
      if (last === null || s[1] > this.spans[last]![1]) last = g;
    }
    this.lastindex = last;
    let name: string | null = null;
    if (last !== null) for (const [n, i] of re.groupNameMap) if (i === last) name = n;
    this.lastgroup = name;
  }

  private groupIndex(g: unknown): number {
    if (typeof g === 'number' && Number.isInteger(g)) {
      if (g < 0 || g > this.re.groups) throw new PyError('IndexError', 'no such group');
      return g;
    }
    if (typeof g === 'boolean') return this.groupIndex(g ? 1 : 0);
    if (typeof g === 'string') {
      const i = this.re.groupNameMap.get(g);
      if (i === undefined) throw new PyError('IndexError', 'no such group');
      return i;
    }
    throw new PyError('IndexError', 'no such group');
  }

  private text(g: number, dflt: unknown = null): unknown {
    const s = this.spans[g];
    if (!s) return dflt;
    return sliceCp(this.string, s[0], s[1]);
  }

  group(...args: unknown[]): unknown {
    if (isKwargs(args[args.length - 1])) throw new PyError('TypeError', 'group() takes no keyword arguments');
    if (args.length === 0) return this.text(0);
    if (args.length === 1) return this.text(this.groupIndex(args[0]));
    return makeTuple(args.map((a) => this.text(this.groupIndex(a))));
  }
  __getitem__(g: unknown): unknown {
    return this.text(this.groupIndex(g));
  }
  groups(...args: unknown[]): unknown {
    const [dflt] = bind('groups', [p('default', null)], args);
    const out: unknown[] = [];
    for (let g = 1; g <= this.re.groups; g++) out.push(this.text(g, dflt));
    return makeTuple(out);
  }
  groupdict(...args: unknown[]): unknown {
    const [dflt] = bind('groupdict', [p('default', null)], args);
    const out = new Map<unknown, unknown>();
    for (const [n, i] of this.re.groupNameMap) dictSet(out, n, this.text(i, dflt));
    return out;
  }
  start(...args: unknown[]): number {
    const [g] = bind('start', [p('group', 0)], args);
    const s = this.spans[this.groupIndex(g)];
    return s ? s[0] : -1;
  }
  end(...args: unknown[]): number {
    const [g] = bind('end', [p('group', 0)], args);
    const s = this.spans[this.groupIndex(g)];
    return s ? s[1] : -1;
  }
  span(...args: unknown[]): unknown {
    const [g] = bind('span', [p('group', 0)], args);
    const s = this.spans[this.groupIndex(g)];
    return makeTuple(s ? [s[0], s[1]] : [-1, -1]);
  }
  expand(...args: unknown[]): string {
    const [template] = bind('expand', [p('template')], args);
    return expandTemplate(parseTemplate(strArg(template), this.re), this);
  }
  /** For the replacement expander: a group's text or ''. */
  groupText(g: number): string {
    const t = this.text(g);
    return typeof t === 'string' ? t : '';
  }
  __bool__(): boolean {
    return true;
  }
  [PY_REPR](): string {
    const s = this.spans[0]!;
    return `<re.Match object; span=(${s[0]}, ${s[1]}), match=${strRepr(this.text(0) as string)}>`;
  }
}

function sliceCp(s: string, a: number, b: number): string {
  if (!SURROGATE.test(s)) return s.slice(a, b);
  return Array.from(s).slice(a, b).join('');
}

// ---------------------------------------------------------------------------------------------
// replacement templates

type TemplatePart = string | number;

function parseTemplate(t: string, pat: PyPattern): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  const cps = Array.from(t);
  let i = 0;
  const err = (msg: string): PyError => new PyError('error', `${msg} at position ${i}`);
  while (i < cps.length) {
    const c = cps[i]!;
    if (c !== '\\') {
      lit += c;
      i++;
      continue;
    }
    const e = cps[i + 1];
    if (e === undefined) throw err('bad escape (end of pattern)');
    if (e === 'g') {
      if (cps[i + 2] !== '<') throw err('missing <');
      const close = cps.indexOf('>', i + 3);
      if (close < 0) throw err('missing >, unterminated name');
      const name = cps.slice(i + 3, close).join('');
      if (name === '') throw err('missing group name');
      let idx: number;
      if (/^[0-9]+$/.test(name)) {
        idx = Number(name);
        if (idx > pat.groups) throw err(`invalid group reference ${idx}`);
      } else {
        if (!/^[A-Za-z_\p{L}][\w\p{L}\p{N}]*$/u.test(name)) throw err(`bad character in group name '${name}'`);
        const g = pat.groupNameMap.get(name);
        if (g === undefined) throw new PyError('IndexError', `unknown group name '${name}'`);
        idx = g;
      }
      if (lit) parts.push(lit);
      lit = '';
      parts.push(idx);
      i = close + 1;
      continue;
    }
    if (e === '0') {
      let j = i + 2;
      let digits = '0';
      while (j < cps.length && digits.length < 3 && /[0-7]/.test(cps[j]!)) digits += cps[j++];
      lit += String.fromCodePoint(parseInt(digits, 8));
      i = j;
      continue;
    }
    if (/[1-9]/.test(e)) {
      let j = i + 2;
      let digits = e;
      if (j < cps.length && /[0-9]/.test(cps[j]!)) digits += cps[j++];
      if (digits.length === 2 && /[0-7]/.test(e) && /[0-7]/.test(digits[1]!) && j < cps.length && /[0-7]/.test(cps[j]!)) {
        const v = parseInt(digits + cps[j], 8);
        if (v > 0o377) throw err(`octal escape value \\${digits}${cps[j]} outside of range 0-0o377`);
        lit += String.fromCodePoint(v);
        i = j + 1;
        continue;
      }
      const idx = Number(digits);
      if (idx > pat.groups) throw err(`invalid group reference ${idx}`);
      if (lit) parts.push(lit);
      lit = '';
      parts.push(idx);
      i = j;
      continue;
    }
    const esc: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e in esc) {
      lit += esc[e];
      i += 2;
      continue;
    }
    if (/[A-Za-z]/.test(e)) throw err(`bad escape \\${e}`);
    lit += '\\' + e;
    i += 2;
  }
  if (lit) parts.push(lit);
  return parts;
}

function expandTemplate(parts: TemplatePart[], m: PyMatch): string {
  let out = '';
  for (const part of parts) out += typeof part === 'string' ? part : m.groupText(part);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pattern

export class PyPattern {
  static {
    Object.defineProperty(this, 'name', { value: 're.Pattern' });
  }
  readonly flags: number;
  readonly groups: number;
  readonly groupNameMap: Map<string, number>;
  private readonly sticky: RegExp;
  private readonly global: RegExp;
  private readonly full: RegExp;
  /** Sticky, and only non-empty matches (group 1 is the rest of the subject, user groups follow). */
  private readonly nonEmpty: RegExp;

  constructor(
    readonly pattern: string,
    flagsIn: number,
  ) {
    const t = translate(pattern, flagsIn);
    this.flags = t.flags;
    this.groups = t.groups;
    this.groupNameMap = t.groupNames;
    const jsFlags = 'du' + (t.flags & FLAG.IGNORECASE ? 'i' : '');
    try {
      this.sticky = new RegExp(t.source, jsFlags + 'y');
      this.global = new RegExp(t.source, jsFlags + 'g');
      this.full = new RegExp(`(?:${t.source})$`, jsFlags + 'y');
      const shifted = translate(pattern, flagsIn, 1).source;
      this.nonEmpty = new RegExp(`(?=([\\s\\S]*))(?:${shifted})(?!\\1$)`, jsFlags + 'y');
    } catch (e) {
      throw new PyError('error', (e as Error).message);
    }
  }

  get groupindex(): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>();
    for (const [k, v] of this.groupNameMap) m.set(k, v);
    return m;
  }

  private range(args: unknown[], fn: string, extra: string[] = []): { s: string; pos: number; endpos: number; rest: unknown[] } {
    const vals = bind(fn, [p('string'), ...extra.map((e) => p(e, e === 'count' || e === 'maxsplit' ? 0 : null)), p('pos', 0), p('endpos', null)], args);
    const s = strArg(vals[0]);
    const len = cpLen(s);
    const pos = clamp(intArg(vals[vals.length - 2], ''), len);
    const endRaw = vals[vals.length - 1];
    const endpos = endRaw === null ? len : clamp(intArg(endRaw, ''), len);
    return { s, pos, endpos, rest: vals.slice(1, -2) };
  }

  private execAt(re: RegExp, s: string, pos: number, endpos: number): RegExpExecArray | null {
    if (pos > endpos) return null;
    const sub = endpos === cpLen(s) ? s : s.slice(0, u16(s, endpos));
    re.lastIndex = u16(s, pos);
    return re.exec(sub);
  }

  private wrap(m: RegExpExecArray | null, s: string, pos: number, endpos: number): PyMatch | null {
    return m ? new PyMatch(this, s, pos, endpos, m) : null;
  }

  match(...args: unknown[]): PyMatch | null {
    const { s, pos, endpos } = this.range(args, 'match');
    return this.wrap(this.execAt(this.sticky, s, pos, endpos), s, pos, endpos);
  }
  fullmatch(...args: unknown[]): PyMatch | null {
    const { s, pos, endpos } = this.range(args, 'fullmatch');
    return this.wrap(this.execAt(this.full, s, pos, endpos), s, pos, endpos);
  }
  search(...args: unknown[]): PyMatch | null {
    const { s, pos, endpos } = this.range(args, 'search');
    return this.wrap(this.execAt(this.global, s, pos, endpos), s, pos, endpos);
  }

  /** Every match from pos to endpos, Python's way with empty matches. */
  *matches(s: string, pos: number, endpos: number): Generator<PyMatch> {
    if (pos > endpos) return;
    // Python: after an empty match at e, a non-empty match may still start at e
    const sub = s.slice(0, u16(s, endpos));
    let at = u16(s, pos);
    let afterEmpty = false;
    while (at <= sub.length) {
      let m: RegExpExecArray | null = null;
      let shift = 0;
      if (afterEmpty) {
        this.nonEmpty.lastIndex = at;
        m = this.nonEmpty.exec(sub);
        shift = 1;
        if (!m) {
          const c = sub.charCodeAt(at);
          at += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
          if (at > sub.length) return;
        }
      }
      if (!m) {
        this.global.lastIndex = at;
        m = this.global.exec(sub);
        shift = 0;
        if (!m) return;
      }
      yield new PyMatch(this, s, pos, endpos, m, shift);
      const end = m.index + m[0].length;
      afterEmpty = m[0].length === 0;
      at = end;
    }
  }

  findall(...args: unknown[]): unknown[] {
    const { s, pos, endpos } = this.range(args, 'findall');
    const out: unknown[] = [];
    for (const m of this.matches(s, pos, endpos)) {
      if (this.groups === 0) out.push(m.group());
      else if (this.groups === 1) out.push(m.groupText(1));
      else {
        const row: unknown[] = [];
        for (let g = 1; g <= this.groups; g++) row.push(m.groupText(g));
        out.push(makeTuple(row));
      }
    }
    return out;
  }
  finditer(...args: unknown[]): PyIterator {
    const { s, pos, endpos } = this.range(args, 'finditer');
    return new PyIterator('callable_iterator', this.matches(s, pos, endpos));
  }

  private subImpl(fn: string, args: unknown[]): [string, number] {
    const [repl, string, countArg] = bind(fn, [p('repl'), p('string'), p('count', 0)], args);
    const s = strArg(string);
    const count = intArg(countArg, '');
    let replace: (m: PyMatch) => string;
    if (typeof repl === 'function') {
      replace = (m) => {
        const r = (repl as (...a: unknown[]) => unknown)(m);
        if (typeof r !== 'string') throw new PyError('TypeError', `expected str instance, ${typeName(r)} found`);
        return r;
      };
    } else {
      const parts = parseTemplate(strArg(repl), this);
      replace = (m) => expandTemplate(parts, m);
    }
    let out = '';
    let last = 0;
    let n = 0;
    for (const m of this.matches(s, 0, cpLen(s))) {
      if (count > 0 && n >= count) break;
      out += sliceCp(s, last, m.start()) + replace(m);
      last = m.end();
      n++;
    }
    out += sliceCp(s, last, cpLen(s));
    return [out, n];
  }
  sub(...args: unknown[]): string {
    return this.subImpl('sub', args)[0];
  }
  subn(...args: unknown[]): unknown {
    return makeTuple(this.subImpl('subn', args));
  }
  split(...args: unknown[]): unknown[] {
    const [string, maxArg] = bind('split', [p('string'), p('maxsplit', 0)], args);
    const s = strArg(string);
    const maxsplit = intArg(maxArg, '');
    const out: unknown[] = [];
    let last = 0;
    let n = 0;
    if (maxsplit < 0) return [s];
    for (const m of this.matches(s, 0, cpLen(s))) {
      if (maxsplit > 0 && n >= maxsplit) break;
      out.push(sliceCp(s, last, m.start()));
      for (let g = 1; g <= this.groups; g++) out.push(m.group(g));
      last = m.end();
      n++;
    }
    out.push(sliceCp(s, last, cpLen(s)));
    return out;
  }
  scanner(): never {
    throw new PyError('NotImplementedError', 'Pattern.scanner is not supported');
  }
  __eq__(o: unknown): boolean {
    return o instanceof PyPattern && o.pattern === this.pattern && o.flags === this.flags;
  }
  [PY_REPR](): string {
    const names: string[] = [];
    let f = this.flags & ~FLAG.UNICODE;
    for (const [bit, name] of FLAG_NAMES) {
      if (bit === FLAG.UNICODE) continue;
      if (f & bit) {
        names.push(`re.${name}`);
        f &= ~bit;
      }
    }
    if (f) names.push(`0x${f.toString(16)}`);
    const pat = strRepr(this.pattern.length > 200 ? this.pattern.slice(0, 200) : this.pattern);
    return names.length ? `re.compile(${pat}, ${names.join('|')})` : `re.compile(${pat})`;
  }
  [PY_STR](): string {
    return this[PY_REPR]();
  }
}

// ---------------------------------------------------------------------------------------------
// module

const cache = new Map<string, PyPattern>();

function compilePattern(pattern: unknown, flags: unknown): PyPattern {
  const f = intArg(flags, '');
  if (pattern instanceof PyPattern) {
    if (f !== 0) throw new PyError('ValueError', 'cannot process flags argument with a compiled pattern');
    return pattern;
  }
  if (typeof pattern !== 'string') throw new PyError('TypeError', 'first argument must be string or compiled pattern');
  const key = `${f}:${pattern}`;
  let pat = cache.get(key);
  if (!pat) {
    pat = new PyPattern(pattern, f);
    if (cache.size > 512) cache.clear();
    cache.set(key, pat);
  }
  return pat;
}

function reFn(name: string, params: string[], run: (pat: PyPattern, rest: unknown[]) => unknown) {
  return (...args: unknown[]): unknown => {
    const vals = bind(name, [p('pattern'), ...params.map((x) => (x === 'count' || x === 'maxsplit' || x === 'flags' ? p(x, 0) : p(x)))], args);
    const flags = vals[vals.length - 1];
    return run(compilePattern(vals[0], flags), vals.slice(1, -1));
  };
}

export function reModule(): Record<string, unknown> {
  const m: Record<string, unknown> = {
    compile: (...args: unknown[]) => {
      const [pattern, flags] = bind('compile', [p('pattern'), p('flags', 0)], args);
      return compilePattern(pattern, flags);
    },
    match: reFn('match', ['string', 'flags'], (pat, [s]) => pat.match(s)),
    fullmatch: reFn('fullmatch', ['string', 'flags'], (pat, [s]) => pat.fullmatch(s)),
    search: reFn('search', ['string', 'flags'], (pat, [s]) => pat.search(s)),
    sub: reFn('sub', ['repl', 'string', 'count', 'flags'], (pat, [r, s, c]) => pat.sub(r, s, c)),
    subn: reFn('subn', ['repl', 'string', 'count', 'flags'], (pat, [r, s, c]) => pat.subn(r, s, c)),
    split: reFn('split', ['string', 'maxsplit', 'flags'], (pat, [s, n]) => pat.split(s, n)),
    findall: reFn('findall', ['string', 'flags'], (pat, [s]) => pat.findall(s)),
    finditer: reFn('finditer', ['string', 'flags'], (pat, [s]) => pat.finditer(s)),
    escape: (...args: unknown[]) => {
      const [pattern] = bind('escape', [p('pattern')], args);
      if (typeof pattern !== 'string') throw new PyError('TypeError', `'${typeName(pattern)}' object is not iterable`);
      return reEscape(pattern);
    },
    purge: (...args: unknown[]) => {
      bind('purge', [], args);
      cache.clear();
      return null;
    },
    template: (...args: unknown[]) => {
      const [pattern, flags] = bind('template', [p('pattern'), p('flags', 0)], args);
      return compilePattern(pattern, intArg(flags, '') | FLAG.TEMPLATE);
    },
    error: (...args: unknown[]) => new PyError('error', String(args[0] ?? '')),
    Pattern: PyPattern,
    Match: PyMatch,
    NOFLAG: 0,
    A: FLAG.ASCII,
    ASCII: FLAG.ASCII,
    I: FLAG.IGNORECASE,
    IGNORECASE: FLAG.IGNORECASE,
    L: FLAG.LOCALE,
    LOCALE: FLAG.LOCALE,
    M: FLAG.MULTILINE,
    MULTILINE: FLAG.MULTILINE,
    S: FLAG.DOTALL,
    DOTALL: FLAG.DOTALL,
    U: FLAG.UNICODE,
    UNICODE: FLAG.UNICODE,
    X: FLAG.VERBOSE,
    VERBOSE: FLAG.VERBOSE,
    RegexFlag: (...args: unknown[]) => intArg(args[0], ''),
  };
  return m;
}

