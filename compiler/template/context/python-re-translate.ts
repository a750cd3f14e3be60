/**
 * Translation of a Python `re` pattern (str pattern, Python 3.11 syntax) to a JavaScript RegExp
 * source with the same meaning, or PyError('error', ...) as Python's sre_parse raises it, or for
 * the few constructs JavaScript cannot express (a scoped (?i:...) that changes the case rule,
 * conditionals, atomic groups, possessive quantifiers). Scoped s, m, x, a and u flags work.
 *
 * The JavaScript side always runs with the `u` flag and without `m`/`s`: ^ $ . and the character
 * classes are spelled out so that they mean what Python means (Unicode \w \d \s \b, `$` before a
 * final newline, `.` excluding only \n).
 */
import { PyError } from '../jinja/values.js';

export const FLAG = {
  TEMPLATE: 1,
  IGNORECASE: 2,
  LOCALE: 4,
  MULTILINE: 8,
  DOTALL: 16,
  UNICODE: 32,
  VERBOSE: 64,
  DEBUG: 128,
  ASCII: 256,
} as const;

export interface Translated {
  source: string;
  /** Python flags after inline flags (with UNICODE added unless ASCII). */
  flags: number;
  groups: number;
  groupNames: Map<string, number>;
}

function reError(msg: string, pos?: number): PyError {
  return new PyError('error', pos === undefined ? msg : `${msg} at position ${pos}`);
}

const WORD_U = '\\p{L}\\p{N}_';
const WORD_A = 'A-Za-z0-9_';
const DIGIT_U = '\\p{Nd}';
const DIGIT_A = '0-9';
const SPACE_U = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_A = '\\t\\n\\v\\f\\r ';

function hex(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** A code point as a JS regex literal atom (inside or outside a class). */
function lit(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (/[A-Za-z0-9_ ]/.test(ch)) return ch;
  if (inClass) return /[\\\]\[^-]/.test(ch) ? '\\' + ch : cp < 0x20 || cp > 0x7e ? hex(cp) : ch;
  if (/[\\^$.*+?()[\]{}|/]/.test(ch)) return '\\' + ch;
  if (cp < 0x20 || cp > 0x7e) return hex(cp);
  return ch;
}

interface Ctx {
  flags: number;
  groups: number;
  names: Map<string, number>;
  /** Indices of groups that are closed (for back references). */
  closed: Set<number>;
}

/** `groupShift` renumbers back references, for a source embedded after that many extra groups. */
export function translate(pattern: string, flagsIn: number, groupShift = 0): Translated {
  const cps = Array.from(pattern);
  let flags = flagsIn;
  // global inline flags must come first: (?aiLmsux)
  let i = 0;
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(cps.slice(i).join(''));
    if (!m) break;
    const letters = m[1]!;
    if ([...'auL'].filter((f) => letters.includes(f)).length > 1) throw reError("bad inline flags: flags 'a', 'u' and 'L' are incompatible", i + letters.length + 2);
    for (const f of letters) flags |= { a: FLAG.ASCII, i: FLAG.IGNORECASE, L: FLAG.LOCALE, m: FLAG.MULTILINE, s: FLAG.DOTALL, u: FLAG.UNICODE, x: FLAG.VERBOSE }[f]!;
    i += Array.from(m[0]).length;
  }
  if (flags & FLAG.LOCALE) throw reError('cannot use LOCALE flag with a str pattern');
  if (flagsIn & FLAG.ASCII && flagsIn & FLAG.UNICODE) throw new PyError('ValueError', 'ASCII and UNICODE flags are incompatible');
  if (flags & FLAG.ASCII && flags & FLAG.UNICODE) throw reError("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
  if (!(flags & FLAG.ASCII)) flags |= FLAG.UNICODE;
  const ctx: Ctx = { flags, groups: 0, names: new Map(), closed: new Set() };
  // what ^ $ . \w \d \s \b mean under the flags in force (scoped flags change them)
  let cur = flags;
  let verbose = false;
  let W = WORD_U;
  let D = DIGIT_U;
  let S = SPACE_U;
  let dot = '';
  let caret = '';
  let dollar = '';
  let wordB = '';
  let nonWordB = '';
  const applyFlags = (f: number): void => {
    cur = f;
    const ascii = (f & FLAG.ASCII) !== 0;
    verbose = (f & FLAG.VERBOSE) !== 0;
    W = ascii ? WORD_A : WORD_U;
    D = ascii ? DIGIT_A : DIGIT_U;
    S = ascii ? SPACE_A : SPACE_U;
    dot = (f & FLAG.DOTALL) !== 0 ? '[\\s\\S]' : '[^\\n]';
    caret = (f & FLAG.MULTILINE) !== 0 ? '(?:^|(?<=\\n))' : '^';
    dollar = (f & FLAG.MULTILINE) !== 0 ? '(?=\\n|$)' : '(?=\\n?$)';
    wordB = `(?:(?<=[${W}])(?![${W}])|(?<![${W}])(?=[${W}]))`;
    nonWordB = `(?:(?<=[${W}])(?=[${W}])|(?<![${W}])(?![${W}]))`;
  };
  applyFlags(flags);

  let out = '';
  const stack: { kind: 'group' | 'look'; index: number; start: number; lookbehind: boolean; outStart: number; saved: number }[] = [];
  let canRepeat = false; // an atom precedes (Python: "nothing to repeat")
  let lastWasQuant = false;

  const skipVerbose = (): void => {
    if (!verbose) return;
    while (i < cps.length) {
      const c = cps[i]!;
      if (/\s/.test(c)) i++;
      else if (c === '#') {
        while (i < cps.length && cps[i] !== '\n') i++;
      } else break;
    }
  };

  const classEscape = (pos: number): { text: string; cp?: number; len: number } => {
    // cps[pos] === '\\'
    const c = cps[pos + 1];
    if (c === undefined) throw reError('bad escape (end of pattern)', pos);
    switch (c) {
      case 'd':
        return { text: D, len: 2 };
      case 'w':
        return { text: W, len: 2 };
      case 's':
        return { text: S, len: 2 };
      case 'D':
      case 'W':
      case 'S':
        return { text: '', len: 2 };
      case 'n':
        return { text: '\\n', cp: 10, len: 2 };
      case 't':
        return { text: '\\t', cp: 9, len: 2 };
      case 'r':
        return { text: '\\r', cp: 13, len: 2 };
      case 'f':
        return { text: '\\f', cp: 12, len: 2 };
      case 'v':
        return { text: '\\v', cp: 11, len: 2 };
      case 'a':
        return { text: '\\x07', cp: 7, len: 2 };
      case 'b':
        return { text: '\\x08', cp: 8, len: 2 };
      case 'x': {
        const h = cps.slice(pos + 2, pos + 4).join('');
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw reError(`incomplete escape \\x${h}`, pos);
        const cp = parseInt(h, 16);
        return { text: lit(cp, true), cp, len: 4 };
      }
      case 'u':
      case 'U': {
        const n = c === 'u' ? 4 : 8;
        const h = cps.slice(pos + 2, pos + 2 + n).join('');
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw reError(`incomplete escape \\${c}${h}`, pos);
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff) throw reError(`bad escape \\${c}${h}`, pos);
        return { text: lit(cp, true), cp, len: 2 + n };
      }
      case 'N':
        throw reError('\\N{...} escapes are not supported', pos);
      default:
    }
    if (/[0-7]/.test(c)) {
      let j = pos + 1;
      let digits = '';
      while (j < cps.length && digits.length < 3 && /[0-7]/.test(cps[j]!)) digits += cps[j++];
      const cp = parseInt(digits, 8);
      if (cp > 0o377) throw reError(`octal escape value \\${digits} outside of range 0-0o377`, pos);
      return { text: lit(cp, true), cp, len: 1 + digits.length };
    }
    if (/[0-9A-Za-z]/.test(c)) throw reError(`bad escape \\${c}`, pos);
    const cp = c.codePointAt(0)!;
    return { text: lit(cp, true), cp, len: 2 };
  };

  const parseClass = (): string => {
    const start = i;
    i++; // [
    let negate = false;
    if (cps[i] === '^') {
      negate = true;
      i++;
    }
    const parts: string[] = [];
    const negParts: string[] = [];
    let first = true;
    let prevCp: number | undefined;
    for (;;) {
      if (i >= cps.length) throw reError('unterminated character set', start);
      const c = cps[i]!;
      if (c === ']' && !first) {
        i++;
        break;
      }
      first = false;
      let atom: { text: string; cp?: number; neg?: string };
      if (c === '\\') {
        const e = classEscape(i);
        const letter = cps[i + 1]!;
        i += e.len;
        if (letter === 'D' || letter === 'W' || letter === 'S') {
          const base = letter === 'D' ? D : letter === 'W' ? W : S;
          atom = { text: '', neg: base };
        } else atom = { text: e.text, cp: e.cp };
      } else {
        const cp = c.codePointAt(0)!;
        atom = { text: lit(cp, true), cp };
        i++;
      }
      // range a-b
      if (cps[i] === '-' && cps[i + 1] !== undefined && cps[i + 1] !== ']' && atom.cp === undefined)
        throw reError(`bad character range ${cps.slice(i - 2, i + 2).join('')}`, start + 1);
      if (cps[i] === '-' && cps[i + 1] !== undefined && cps[i + 1] !== ']' && atom.cp !== undefined) {
        const loCp = atom.cp;
        i++;
        let hiCp: number | undefined;
        let hiText: string;
        if (cps[i] === '\\') {
          const e = classEscape(i);
          i += e.len;
          hiCp = e.cp;
          hiText = e.text;
        } else {
          hiCp = cps[i]!.codePointAt(0)!;
          hiText = lit(hiCp, true);
          i++;
        }
        if (hiCp === undefined) throw reError('bad character range', start);
        if (hiCp < loCp) throw reError(`bad character range ${String.fromCodePoint(loCp)}-${String.fromCodePoint(hiCp)}`, start);
        parts.push(`${atom.text}-${hiText}`);
        prevCp = undefined;
        continue;
      }
      if (atom.neg !== undefined) negParts.push(atom.neg);
      else parts.push(atom.text);
      prevCp = atom.cp;
    }
    void prevCp;
    const body = parts.join('');
    if (negParts.length === 0) return `[${negate ? '^' : ''}${body}]`;
    // [^...\W...] etc: build with lookarounds as alternation
    const alts: string[] = [];
    if (body) alts.push(`[${body}]`);
    for (const n of negParts) alts.push(`[^${n}]`);
    const any = `(?:${alts.join('|')})`;
    return negate ? `(?:(?!${any})[\\s\\S])` : any;
  };

  const quantifier = (): string | null => {
    const c = cps[i];
    if (c === '*' || c === '+' || c === '?') {
      i++;
      return c;
    }
    if (c === '{') {
      const rest = cps.slice(i).join('');
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(rest);
      if (!m || (m[1] === '' && m[2] === '' )) return null;
      if (m[1] === '' && m[2] === ',' && m[3] === '') {
        i += Array.from(m[0]).length;
        return '*';
      }
      const lo = m[1] === '' ? 0 : Number(m[1]);
      if (m[2] === '') {
        i += Array.from(m[0]).length;
        return `{${lo}}`;
      }
      if (m[3] !== '' && Number(m[3]) < lo) throw reError('min repeat greater than max repeat', i);
      i += Array.from(m[0]).length;
      return `{${lo},${m[3]}}`;
    }
    return null;
  };


  while (i < cps.length) {
    skipVerbose();
    if (i >= cps.length) break;
    const c = cps[i]!;
    const q = canRepeat ? quantifier() : null;
    if (q !== null) {
      if (lastWasQuant) throw reError('multiple repeat', i);
      let lazy = '';
      if (cps[i] === '?') {
        lazy = '?';
        i++;
      } else if (cps[i] === '+') throw reError('possessive quantifiers are not supported in tx', i);
      out += q + lazy;
      lastWasQuant = true;
      continue;
    }
    if ((c === '*' || c === '+' || c === '?') && !canRepeat) {
      if (lastWasQuant) throw reError('multiple repeat', i);
      throw reError('nothing to repeat', i);
    }
    if (c === '{' && !canRepeat) {
      // a literal brace (Python treats an unquantifiable { as a literal)
      const rest = cps.slice(i).join('');
      if (/^\{\d*,?\d*\}/.test(rest) && !/^\{\}/.test(rest) && !/^\{,?\}/.test(rest)) {
        if (lastWasQuant) throw reError('multiple repeat', i);
        throw reError('nothing to repeat', i);
      }
    }
    lastWasQuant = false;
    if (c === '\\') {
      const e = cps[i + 1];
      if (e === undefined) throw reError('bad escape (end of pattern)', i);
      if (e === 'A') {
        out += '^';
        i += 2;
        canRepeat = false;
        continue;
      }
      if (e === 'Z') {
        out += '$';
        i += 2;
        canRepeat = false;
        continue;
      }
      if (e === 'b') {
        out += wordB;
        i += 2;
        canRepeat = false;
        continue;
      }
      if (e === 'B') {
        out += nonWordB;
        i += 2;
        canRepeat = false;
        continue;
      }
      if (e === 'd' || e === 'w' || e === 's') {
        out += `[${e === 'd' ? D : e === 'w' ? W : S}]`;
        i += 2;
        canRepeat = true;
        continue;
      }
      if (e === 'D' || e === 'W' || e === 'S') {
        out += `[^${e === 'D' ? D : e === 'W' ? W : S}]`;
        i += 2;
        canRepeat = true;
        continue;
      }
      if (/[1-9]/.test(e)) {
        // back reference, or octal when 3 octal digits / starting with 0
        let digits = e;
        if (cps[i + 2] !== undefined && /[0-9]/.test(cps[i + 2]!)) digits += cps[i + 2];
        if (digits.length === 2 && /[0-7]/.test(e) && /[0-7]/.test(cps[i + 2]!) && cps[i + 3] !== undefined && /[0-7]/.test(cps[i + 3]!)) {
          const cp = parseInt(digits + cps[i + 3], 8);
          if (cp > 0o377) throw reError(`octal escape value \\${digits}${cps[i + 3]} outside of range 0-0o377`, i);
          out += lit(cp, false);
          i += 4;
          canRepeat = true;
          continue;
        }
        const n = Number(digits);
        if (n > ctx.groups || !ctx.closed.has(n)) throw reError(n > ctx.groups ? `invalid group reference ${n}` : 'cannot refer to an open group', i);
        out += `\\${n + groupShift}`;
        i += 1 + digits.length;
        canRepeat = true;
        continue;
      }
      const ce = classEscape(i);
      out += ce.cp !== undefined ? lit(ce.cp, false) : ce.text;
      i += ce.len;
      canRepeat = true;
      continue;
    }
    if (c === '[') {
      out += parseClass();
      canRepeat = true;
      continue;
    }
    if (c === '(') {
      const start = i;
      const rest = cps.slice(i, i + 40).join('');
      if (rest.startsWith('(?#')) {
        const close = cps.indexOf(')', i);
        if (close < 0) throw reError('missing ), unterminated comment', i);
        i = close + 1;
        continue;
      }
      if (rest.startsWith('(?P<') || (rest.startsWith('(?<') && !rest.startsWith('(?<=') && !rest.startsWith('(?<!'))) {
        const openLen = rest.startsWith('(?P<') ? 4 : 3;
        const m = /^\(\?P?<([^>]*)>/.exec(rest);
        if (!m) throw reError('missing >, unterminated name', i + openLen);
        const name = m[1]!;
        if (!/^[A-Za-z_\p{L}][\w\p{L}\p{N}]*$/u.test(name)) throw reError(`bad character in group name '${name}'`, i + openLen);
        if (ctx.names.has(name)) throw reError(`redefinition of group name '${name}' as group ${ctx.groups + 1}; was group ${ctx.names.get(name)}`, i + openLen);
        ctx.groups++;
        ctx.names.set(name, ctx.groups);
        stack.push({ kind: 'group', index: ctx.groups, start, lookbehind: false, outStart: out.length, saved: cur });
        out += `(?<${jsGroupName(name)}>`;
        i += Array.from(m[0]).length;
        canRepeat = false;
        continue;
      }
      if (rest.startsWith('(?P=')) {
        const m = /^\(\?P=([^)]*)\)/.exec(rest);
        if (!m) throw reError('missing ), unterminated name', i + 4);
        const idx = ctx.names.get(m[1]!);
        if (idx === undefined) throw reError(`unknown group name '${m[1]}'`, i + 4);
        if (!ctx.closed.has(idx)) throw reError('cannot refer to an open group', i);
        out += `\\${idx + groupShift}`;
        i += Array.from(m[0]).length;
        canRepeat = true;
        continue;
      }
      if (rest.startsWith('(?:')) {
        stack.push({ kind: 'look', index: -1, start, lookbehind: false, outStart: out.length, saved: cur });
        out += '(?:';
        i += 3;
        canRepeat = false;
        continue;
      }
      if (rest.startsWith('(?=') || rest.startsWith('(?!') || rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
        const len = rest.startsWith('(?<') ? 4 : 3;
        stack.push({ kind: 'look', index: -1, start, lookbehind: len === 4, outStart: out.length, saved: cur });
        out += rest.slice(0, len);
        i += len;
        canRepeat = false;
        continue;
      }
      if (rest.startsWith('(?(')) throw reError('conditional groups are not supported in tx', i);
      if (rest.startsWith('(?>')) throw reError('atomic groups are not supported in tx', i);
      if (/^\(\?[aiLmsux-]+[:)]/.test(rest)) {
        if (/^\(\?[aiLmsux]+\)/.test(rest)) throw reError('global flags not at the start of the expression', i + 1);
        const m = /^\(\?([aiLmsux]*)(?:-([imsx]*))?:/.exec(rest);
        if (!m) throw reError('unknown flag', i + 2);
        const bit = (c: string): number => ({ a: FLAG.ASCII, i: FLAG.IGNORECASE, L: FLAG.LOCALE, m: FLAG.MULTILINE, s: FLAG.DOTALL, u: FLAG.UNICODE, x: FLAG.VERBOSE })[c]!;
        const on = [...m[1]!].reduce((a, c) => a | bit(c), 0);
        const off = [...(m[2] ?? '')].reduce((a, c) => a | bit(c), 0);
        if (m[2] !== undefined && m[2] === '') throw reError('missing flag', i + 2 + m[1]!.length + 1);
        if (on & off) throw reError('bad inline flags: flag turned on and off', i + 2);
        if (on & FLAG.LOCALE) throw reError('bad inline flags: cannot use \'L\' flag with a str pattern', i + 2);
        let next = (cur | on) & ~off;
        if (on & FLAG.ASCII) next &= ~FLAG.UNICODE;
        if (on & FLAG.UNICODE) next &= ~FLAG.ASCII;
        if ((next ^ flags) & FLAG.IGNORECASE) throw reError('scoped IGNORECASE different from the pattern\'s is not supported in tx', i);
        stack.push({ kind: 'look', index: -1, start, lookbehind: false, outStart: out.length, saved: cur });
        applyFlags(next);
        out += '(?:';
        i += Array.from(m[0]).length;
        canRepeat = false;
        continue;
      }
      if (rest.startsWith('(?')) throw reError(`unknown extension ${rest.slice(0, 3)}`, i + 1);
      ctx.groups++;
      stack.push({ kind: 'group', index: ctx.groups, start, lookbehind: false, outStart: out.length, saved: cur });
      out += '(';
      i++;
      canRepeat = false;
      continue;
    }
    if (c === ')') {
      const top = stack.pop();
      if (!top) throw reError('unbalanced parenthesis', i);
      if (top.saved !== cur) applyFlags(top.saved);
      if (top.kind === 'group') ctx.closed.add(top.index);
      if (top.lookbehind) {
        const body = out.slice(top.outStart + 4);
        if (/[*+?]|\{\d*,\d*\}/.test(body.replace(/\\./g, '').replace(/\(\?[:=!<]+/g, '(').replace(/\[[^\]]*\]/g, 'x')))
          throw reError('look-behind requires fixed-width pattern');
        const widths = lookbehindWidths(cps.slice(top.start + 4, i).join(''));
        if (widths !== null && new Set(widths).size > 1) throw reError('look-behind requires fixed-width pattern');
      }
      out += ')';
      i++;
      canRepeat = true;
      continue;
    }
    if (c === '|') {
      out += '|';
      i++;
      canRepeat = false;
      continue;
    }
    if (c === '^') {
      out += caret;
      i++;
      canRepeat = false;
      continue;
    }
    if (c === '$') {
      out += dollar;
      i++;
      canRepeat = false;
      continue;
    }
    if (c === '.') {
      out += dot;
      i++;
      canRepeat = true;
      continue;
    }
    out += lit(c.codePointAt(0)!, false);
    i++;
    canRepeat = true;
  }
  if (stack.length > 0) throw reError('missing ), unterminated subpattern', stack[stack.length - 1]!.start);
  return { source: out, flags, groups: ctx.groups, groupNames: ctx.names };
}

/**
 * The widths of the top-level alternatives of a simple look-behind body (atoms only: characters,
 * escapes, classes, {n}); null when it has groups, which are left to the engine.
 */
function lookbehindWidths(body: string): number[] | null {
  if (body.includes('(')) return null;
  const widths: number[] = [];
  let w = 0;
  let i = 0;
  const cps = Array.from(body);
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === '|') {
      widths.push(w);
      w = 0;
      i++;
    } else if (c === '\\') {
      const e = cps[i + 1] ?? '';
      w += 'AZbB'.includes(e) ? 0 : 1;
      i += 2;
    } else if (c === '[') {
      let j = i + 1;
      if (cps[j] === '^') j++;
      if (cps[j] === ']') j++;
      while (j < cps.length && cps[j] !== ']') j += cps[j] === '\\' ? 2 : 1;
      w += 1;
      i = j + 1;
    } else if (c === '{') {
      const m = /^\{(\d+)\}/.exec(cps.slice(i).join(''));
      if (!m) return null;
      w += Number(m[1]) - 1;
      i += m[0].length;
    } else if (c === '^' || c === '$') i++;
    else {
      w += 1;
      i++;
    }
  }
  widths.push(w);
  return widths;
}

/** JS group names must be ASCII-ish identifiers; Python's may be any identifier. */
export function jsGroupName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : '_u' + Array.from(name).map((c) => c.codePointAt(0)!.toString(16)).join('_');
}

const SPECIAL = new Set(Array.from('()[]{}?*+-|^$\\.&~# \t\n\r\v\f'));

/** re.escape(pattern) (Python 3.7+: only special characters). */
export function reEscape(s: string): string {
  let out = '';
  for (const ch of s) out += SPECIAL.has(ch) ? '\\' + ch : ch;
  return out;
}
