/**
 * Macros as dbt's manifest lists them: one entry per `{% macro %}` / `{% test %}` block
 * (a generic test `x` is the macro `test_x`, as in dbt), with its own SQL, and which
 * macros a piece of Jinja calls (for `depends_on.macros`).
 */

export interface MacroBlock {
  /** The macro's name (`test_<name>` for a `{% test %}` block). */
  name: string;
  /** The block's text, from `{% macro` to `{% endmacro %}` inclusive. */
  sql: string;
  /** Argument names, in order. */
  args: string[];
}

/** A block's opening tag up to its argument list's `(`. */
const OPEN = /\{%-?\s*(macro|test)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
/** The rest of the opening tag after the argument list. */
const OPEN_END = /\s*-?%\}/y;
const END = /\{%-?\s*end(?:macro|test)\s*-?%\}/g;

/**
 * Every macro block of a file's text. A default may hold parentheses, brackets, quotes and commas
 * (`order_by='count(*) desc'`, `values=['a', 'b']`): the argument list ends at the `)` that closes
 * it, and arguments are cut at its top-level commas.
 */
export function macroBlocks(text: string): MacroBlock[] {
  const out: MacroBlock[] = [];
  OPEN.lastIndex = 0;
  for (let m = OPEN.exec(text); m; m = OPEN.exec(text)) {
    const start = OPEN.lastIndex;
    const cuts = [start - 1];
    let depth = 1;
    let quote = '';
    let i = start;
    for (; i < text.length && depth > 0; i++) {
      const ch = text[i]!;
      if (quote) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = '';
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
      else if (ch === ',' && depth === 1) cuts.push(i);
    }
    if (depth > 0) break;
    cuts.push(i - 1);
    OPEN_END.lastIndex = i;
    const close = OPEN_END.exec(text);
    if (!close) {
      OPEN.lastIndex = i;
      continue;
    }
    END.lastIndex = OPEN_END.lastIndex;
    const end = END.exec(text);
    if (!end) break;
    const args: string[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const arg = text.slice(cuts[k]! + 1, cuts[k + 1]).split('=')[0]!.trim();
      if (arg) args.push(arg);
    }
    out.push({ name: m[1] === 'test' ? `test_${m[2]!}` : m[2]!, sql: text.slice(m.index, END.lastIndex), args });
    OPEN.lastIndex = END.lastIndex;
  }
  return out;
}

const isWordStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWord = (c: number): boolean => isWordStart(c) || (c >= 48 && c <= 57);
const WHITESPACE = /\s/;
/** JavaScript's `\s`, without a one-character string and a regex test for the ASCII ones. */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || (c > 127 && WHITESPACE.test(String.fromCharCode(c)));

/**
 * Each call inside the Jinja tags (`{{ … }}`, `{% … %}`) of `text`, in text order: `visit(ns, name,
 * paren, close)` for a name followed by `(` (spaces between allowed), `ns` the word before it when
 * it is `ns.name(` (null for a bare name), `paren` the `(`'s index, `close` the tag's end. A longer
 * attribute chain (`a.b.name(`) and a run starting with a digit are no calls. A hand scan from each
 * `(` of a tag back to the name before it (no regex, no look at tags without a call): the manifest
 * asks this of every model.
 */
function forEachCall(text: string, visit: (ns: string | null, name: string, paren: number, close: number) => void): void {
  let i = 0;
  for (;;) {
    const open = text.indexOf('{', i);
    if (open < 0) break;
    const kind = text.charCodeAt(open + 1);
    if (kind !== 123 && kind !== 37) {
      i = open + 1;
      continue;
    }
    const close = text.indexOf(kind === 123 ? '}}' : '%}', open + 2);
    if (close < 0) {
      i = open + 1;
      continue;
    }
    const from = open + 2;
    for (let paren = text.indexOf('(', from); paren >= 0 && paren < close; paren = text.indexOf('(', paren + 1)) {
      // the word before the `(`: the whole run of word characters
      let end = paren;
      while (end > from && isSpace(text.charCodeAt(end - 1))) end--;
      let start = end;
      while (start > from && isWord(text.charCodeAt(start - 1))) start--;
      if (start === end || !isWordStart(text.charCodeAt(start))) continue;
      let ns: string | null = null;
      if (text.charCodeAt(start - 1) === 46) {
        // `ns.name(`: the word before the dot, itself no attribute
        const dot = start - 1;
        let nsStart = dot;
        while (nsStart > from && isWord(text.charCodeAt(nsStart - 1))) nsStart--;
        if (nsStart === dot || !isWordStart(text.charCodeAt(nsStart)) || text.charCodeAt(nsStart - 1) === 46) continue;
        ns = text.slice(nsStart, dot);
      }
      visit(ns, text.slice(start, end), paren, close);
    }
    i = close + 2;
  }
}

/**
 * Names called as functions inside the Jinja tags of `text` that are in `known`, in first-use
 * order: bare names only (a name after `.` is an attribute).
 */
export function macroCalls(text: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  forEachCall(text, (ns, name) => {
    if (ns === null && known.has(name) && !out.includes(name)) out.push(name);
  });
  return out;
}

/** Where the string literal starting at `i` (a quote) ends: the index after its closing quote, or `end`. */
function skipString(text: string, i: number, end: number): number {
  const q = text.charCodeAt(i);
  for (let j = i + 1; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === q) return j + 1;
  }
  return end;
}

/** The index of the `)` closing the `(` at `open`, inside [open, end); `end` when there is none. */
function closingParen(text: string, open: number, end: number): number {
  let depth = 0;
  for (let j = open; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 39 || c === 34) j = skipString(text, j, end) - 1;
    else if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return j;
  }
  return end;
}

/**
 * The macros a template calls, as dbt-core lists them in a node's `depends_on.macros`: each call
 * inside a Jinja tag of `text` that `resolve` names (a bare `name(`, or `ns.name(` with `ns` a
 * package, `dbt` or the project), in the order Jinja finishes the calls (a call's arguments before
 * the call: `dbt.dateadd('day', -1, dbt.current_timestamp())` lists current_timestamp first), each
 * once. Read from the text, so a call in a branch the render did not take is listed too.
 */
export function macroCallsInOrder(text: string, resolve: (ns: string | null, name: string) => string | undefined): string[] {
  const calls: { id: string; end: number }[] = [];
  forEachCall(text, (ns, name, paren, close) => {
    const id = resolve(ns, name);
    if (id) calls.push({ id, end: closingParen(text, paren, close) });
  });
  calls.sort((a, b) => a.end - b.end);
  const out: string[] = [];
  for (const c of calls) if (!out.includes(c.id)) out.push(c.id);
  return out;
}
