/**
 * The Jinja2 lexer, with the settings dbt uses (default delimiters, trim_blocks and
 * lstrip_blocks off, keep_trailing_newline off): source text in, a flat token list out.
 * Newlines are normalised as jinja2 does (\r\n and \r become \n) and one trailing newline
 * is dropped. `{% raw %}` is resolved here. Every token carries its offset into the
 * normalised source, for file:line:col.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packageRoot } from '../../load/package-root.js';

export type TokenType =
  | 'data'
  | 'var_begin'
  | 'var_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'integer'
  | 'float'
  | 'op'
  | 'eof';

export interface Token {
  type: TokenType;
  /** The text: the name, the operator, the decoded string, the data. */
  value: string;
  /** Number value of integer and float tokens. */
  num?: number;
  /** An integer literal beyond 2**53. */
  big?: bigint;
  at: number;
}

/** A syntax error at an offset into the (normalised) source. */
export class LexError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** jinja2's newline handling: \r\n and \r become \n, and one trailing newline goes. */
export function normalizeSource(source: string): string {
  let s = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  if (s.endsWith('\n')) s = s.slice(0, -1);
  return s;
}

const SINGLE_OPS = new Set(['+', '-', '/', '*', '%', '~', '(', ')', '[', ']', '{', '}', ',', '.', ':', '|', '=', '<', '>']);

/** The operator at p (the longest of jinja2's), or undefined. */
function operatorAt(src: string, p: number, ch: number): string | undefined {
  const next = src.charCodeAt(p + 1);
  switch (ch) {
    case 47 /* / */:
      return next === 47 ? '//' : '/';
    case 42 /* * */:
      return next === 42 ? '**' : '*';
    case 61 /* = */:
      return next === 61 ? '==' : '=';
    case 33 /* ! */:
      return next === 61 ? '!=' : undefined;
    case 60 /* < */:
      return next === 61 ? '<=' : '<';
    case 62 /* > */:
      return next === 61 ? '>=' : '>';
    default: {
      const c = src[p]!;
      return SINGLE_OPS.has(c) ? c : undefined;
    }
  }
}

const FLOAT_RE = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)(?:[eE][+-]?(?:\d+_)*\d+)?|[eE][+-]?(?:\d+_)*\d+)/y;
const INT_RE = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*)/y;
const STRING_RE = /('([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)")/sy;

let unicodeNames: Map<string, number> | undefined;

/** The code point of a Unicode character name (Python's \N{...}: Unicode 14, any case). */
function unicodeByName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const m = /^(?:CJK UNIFIED IDEOGRAPH|CJK COMPATIBILITY IDEOGRAPH|TANGUT IDEOGRAPH|KHITAN SMALL SCRIPT CHARACTER|NUSHU CHARACTER)-([0-9A-F]{4,5})$/.exec(upper);
  if (m) return parseInt(m[1]!, 16);
  if (!unicodeNames) {
    unicodeNames = new Map();
    const file = join(packageRoot(), 'compiler', 'template', 'jinja', 'data', 'unicode-names.txt.gz');
    for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
      const semi = line.indexOf(';');
      unicodeNames.set(line.slice(semi + 1), parseInt(line.slice(0, semi), 16));
    }
  }
  return unicodeNames.get(upper);
}

/** Python's unicode_escape decoding of a string literal's body, as jinja2 applies it. */
export function decodeEscapes(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[i + 1]!;
    switch (n) {
      case '\n':
        i++;
        continue;
      case '\\':
        out += '\\';
        i++;
        continue;
      case "'":
        out += "'";
        i++;
        continue;
      case '"':
        out += '"';
        i++;
        continue;
      case 'a':
        out += '\x07';
        i++;
        continue;
      case 'b':
        out += '\b';
        i++;
        continue;
      case 'f':
        out += '\f';
        i++;
        continue;
      case 'n':
        out += '\n';
        i++;
        continue;
      case 'r':
        out += '\r';
        i++;
        continue;
      case 't':
        out += '\t';
        i++;
        continue;
      case 'v':
        out += '\v';
        i++;
        continue;
      case 'x':
      case 'u':
      case 'U': {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = s.slice(i + 2, i + 2 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`truncated \\${n} escape`);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) throw new Error('illegal Unicode character');
        out += String.fromCodePoint(cp);
        i += 1 + len;
        continue;
      }
      case 'N': {
        const close = s.indexOf('}', i + 2);
        if (s[i + 2] !== '{' || close < 0) throw new Error('malformed \\N character escape');
        const cp = unicodeByName(s.slice(i + 3, close));
        if (cp === undefined) throw new Error('unknown Unicode character name');
        out += String.fromCodePoint(cp);
        i = close;
        continue;
      }
      default:
        if (n >= '0' && n <= '7') {
          let j = i + 1;
          let oct = '';
          while (j < s.length && oct.length < 3 && s[j]! >= '0' && s[j]! <= '7') oct += s[j++];
          out += String.fromCodePoint(parseInt(oct, 8));
          i = j - 1;
          continue;
        }
        out += '\\';
    }
  }
  return out;
}

/** `raw %}` after a `{%`, and the `{% endraw %}` that closes it (one object each: a regex literal in the loop is a new object per tag). */
const RAW_OPEN = /\s*raw\s*(-?)%\}/y;
const RAW_CLOSE = /\{%(-?)\s*endraw\s*(-?)%\}/g;

/**
 * Tokenize a (normalised) template. Text is emitted as `data` tokens with whitespace
 * control already applied.
 */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let lstripNext = false;
  const n = src.length;
  while (pos < n || tokens.length === 0) {
    // find the next tag start
    let start = -1;
    let searchFrom = pos;
    for (;;) {
      const b = src.indexOf('{', searchFrom);
      if (b < 0 || b + 1 >= n) break;
      const c = src.charCodeAt(b + 1);
      if (c === 123 /* { */ || c === 37 /* % */ || c === 35 /* # */) {
        start = b;
        break;
      }
      searchFrom = b + 1;
    }
    const textEnd = start < 0 ? n : start;
    let text = src.slice(pos, textEnd);
    if (lstripNext) {
      text = text.replace(/^\s+/, '');
      lstripNext = false;
    }
    let kind = start < 0 ? '' : src[start + 1]!;
    const rstrip = start >= 0 && src[start + 2] === '-';
    if (rstrip) text = text.replace(/\s+$/, '');
    if (text) tokens.push({ type: 'data', value: text, at: pos });
    if (start < 0) break;
    let p = start + 2 + (rstrip || src[start + 2] === '+' ? 1 : 0);

    if (kind === '#') {
      const end = src.indexOf('#}', p);
      if (end < 0) throw new LexError('Missing end of comment tag', start);
      lstripNext = src[end - 1] === '-' && end - 1 >= p;
      pos = end + 2;
      continue;
    }

    // raw blocks: {% raw %} ... {% endraw %}
    if (kind === '%') {
      const m = RAW_OPEN;
      m.lastIndex = p;
      const rm = m.exec(src);
      if (rm) {
        const endRe = RAW_CLOSE;
        endRe.lastIndex = m.lastIndex;
        const em = endRe.exec(src);
        if (!em) throw new LexError('Missing end of raw directive', start);
        let body = src.slice(m.lastIndex, em.index);
        if (rm[1] === '-') body = body.replace(/^\s+/, '');
        if (em[1] === '-') body = body.replace(/\s+$/, '');
        if (body) tokens.push({ type: 'data', value: body, at: m.lastIndex });
        lstripNext = em[2] === '-';
        pos = endRe.lastIndex;
        continue;
      }
    }

    const endTok = kind === '{' ? '}}' : '%}';
    tokens.push({ type: kind === '{' ? 'var_begin' : 'block_begin', value: '', at: start });
    // tokens inside the tag, until its end
    let closed = false;
    const balance: string[] = [];
    while (p < n) {
      const ch = src.charCodeAt(p);
      // whitespace
      if (ch === 32 || ch === 10 || ch === 9 || ch === 13 || ch === 12 || ch === 11) {
        p++;
        while (p < n) {
          const c2 = src.charCodeAt(p);
          if (c2 === 32 || c2 === 10 || c2 === 9 || c2 === 13 || c2 === 12 || c2 === 11) p++;
          else break;
        }
        continue;
      }
      // end of the tag (only when no bracket is open, as jinja2 does)
      if (balance.length === 0) {
        if (ch === 45 /* - */ && src.startsWith(endTok, p + 1)) {
          tokens.push({ type: kind === '{' ? 'var_end' : 'block_end', value: '', at: p });
          p += 3;
          lstripNext = true;
          closed = true;
          break;
        }
        if (ch === 43 /* + */ && src.startsWith(endTok, p + 1) && kind === '%') {
          tokens.push({ type: 'block_end', value: '', at: p });
          p += 3;
          closed = true;
          break;
        }
        if (src.startsWith(endTok, p)) {
          tokens.push({ type: kind === '{' ? 'var_end' : 'block_end', value: '', at: p });
          p += 2;
          closed = true;
          break;
        }
      }
      // numbers
      if (ch >= 48 && ch <= 57) {
        FLOAT_RE.lastIndex = p;
        const fm = FLOAT_RE.exec(src);
        if (fm) {
          tokens.push({ type: 'float', value: fm[0], num: Number(fm[0].replace(/_/g, '')), at: p });
          p = FLOAT_RE.lastIndex;
          continue;
        }
        INT_RE.lastIndex = p;
        const im = INT_RE.exec(src);
        if (im) {
          const t = im[0].replace(/_/g, '');
          const num = /^0[bBoOxX]/.test(t) ? Number(t.toLowerCase()) : Number(t);
          // an int a double cannot hold exactly is a bigint, as Python's ints have no limit
          const big = Number.isSafeInteger(num) ? undefined : BigInt(t.toLowerCase());
          tokens.push({ type: 'integer', value: im[0], num, big, at: p });
          p = INT_RE.lastIndex;
          continue;
        }
      }
      // names
      if (ch === 95 || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) || ch >= 0xc0) {
        let q = p + 1;
        while (q < n) {
          const c2 = src.charCodeAt(q);
          if (c2 === 95 || (c2 >= 65 && c2 <= 90) || (c2 >= 97 && c2 <= 122) || (c2 >= 48 && c2 <= 57) || c2 >= 0xc0) q++;
          else break;
        }
        tokens.push({ type: 'name', value: src.slice(p, q), at: p });
        p = q;
        continue;
      }
      // strings
      if (ch === 39 || ch === 34) {
        // the usual string, without a backslash up to its closing quote: no regex, nothing to decode
        const close = src.indexOf(ch === 39 ? "'" : '"', p + 1);
        if (close > 0) {
          const body = src.slice(p + 1, close);
          if (!body.includes('\\')) {
            tokens.push({ type: 'string', value: body, at: p });
            p = close + 1;
            continue;
          }
        }
        STRING_RE.lastIndex = p;
        const sm = STRING_RE.exec(src);
        if (!sm) throw new LexError('unexpected char ' + JSON.stringify(src[p]) + ' at ' + p, p);
        const body = sm[2] ?? sm[3] ?? '';
        let value: string;
        try {
          value = decodeEscapes(body);
        } catch (e) {
          throw new LexError((e as Error).message, p);
        }
        tokens.push({ type: 'string', value, at: p });
        p = STRING_RE.lastIndex;
        continue;
      }
      // operators
      const op = operatorAt(src, p, ch);
      if (!op) throw new LexError(`unexpected char ${JSON.stringify(src[p])} at ${p}`, p);
      if (op === '(' || op === '[' || op === '{') balance.push(op === '(' ? ')' : op === '[' ? ']' : '}');
      else if (op === ')' || op === ']' || op === '}') {
        const want = balance.pop();
        if (want === undefined) throw new LexError(`unexpected '${op}'`, p);
        if (want !== op) throw new LexError(`unexpected '${op}', expected '${want}'`, p);
      }
      tokens.push({ type: 'op', value: op, at: p });
      p += op.length;
    }
    if (!closed) {
      if (balance.length) throw new LexError(`unexpected end of template, expected '${balance[balance.length - 1]}'`, n);
      throw new LexError(kind === '{' ? "unexpected end of template, expected 'end of print statement'" : "unexpected end of template, expected 'end of statement block'", n);
    }
    pos = p;
  }
  tokens.push({ type: 'eof', value: '', at: n });
  return tokens;
}
