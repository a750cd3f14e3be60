/**
 * A fast parser and evaluator for the Jinja subset that nearly every model uses:
 * `{{ expression }}`, `{# comments #}`, `{% if %}/{% elif %}/{% else %}`, `{% for %}`,
 * `{% set %}`, with whitespace control. Nunjucks compiles a 30-line model in ~3 ms;
 * this parses it in tens of microseconds. Anything outside the subset (macro
 * definitions, call blocks, raw, filters blocks, ...) returns `null` from `parseLite`
 * and the caller falls back to nunjucks, so behaviour never depends on which path ran.
 *
 * Calling convention matches nunjucks: keyword arguments are passed as a trailing
 * object marked `__keywords: true`, so macros compiled by nunjucks and tx's own
 * functions are called the same way from both paths.
 */

export type Expr =
  | { k: 'lit'; v: unknown }
  | { k: 'name'; n: string; at: number }
  | { k: 'attr'; o: Expr; n: string }
  | { k: 'index'; o: Expr; i: Expr }
  | { k: 'call'; f: Expr; args: Expr[]; kw: [string, Expr][]; at: number }
  | { k: 'list'; items: Expr[] }
  | { k: 'dict'; items: [Expr, Expr][] }
  | { k: 'un'; op: string; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'filter'; a: Expr; n: string; args: Expr[]; kw: [string, Expr][]; at: number }
  | { k: 'test'; a: Expr; n: string; args: Expr[]; neg: boolean; at: number }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr | null };

export type Stmt =
  | { k: 'text'; s: string }
  | { k: 'out'; e: Expr; at: number }
  | { k: 'if'; branches: [Expr, Stmt[]][]; orelse: Stmt[] }
  | { k: 'for'; vars: string[]; iter: Expr; body: Stmt[]; orelse: Stmt[]; at: number }
  | { k: 'set'; names: string[]; e: Expr };

export interface LiteTemplate {
  body: Stmt[];
  source: string;
}

class Unsupported extends Error {}

/** A render/parse error with the offset into the template, for file:line:col. */
export class TemplateError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

// ---------------------------------------------------------------- lexing the template

interface Tag {
  kind: 'text' | 'out' | 'stmt';
  body: string;
  at: number; // offset of the body (for expression positions)
}

function splitTags(src: string): Tag[] {
  const tags: Tag[] = [];
  let i = 0;
  let pendingLstrip = false;
  const n = src.length;
  while (i < n) {
    const open = src.indexOf('{', i);
    let j = open;
    while (j !== -1 && j + 1 < n && src[j + 1] !== '{' && src[j + 1] !== '%' && src[j + 1] !== '#') j = src.indexOf('{', j + 1);
    if (j === -1 || j + 1 >= n) {
      pushText(src.slice(i), false);
      break;
    }
    const second = src[j + 1]!;
    const stripBefore = src[j + 2] === '-';
    pushText(src.slice(i, j), stripBefore);
    const close = second === '{' ? '}}' : second === '%' ? '%}' : '#}';
    const bodyStart = j + 2 + (stripBefore ? 1 : 0);
    const end = findClose(src, bodyStart, close, second !== '#');
    if (end === -1) throw new TemplateError(`unclosed \`{${second}\``, j);
    const stripAfter = src[end - 1] === '-' && end - 1 >= bodyStart;
    const body = src.slice(bodyStart, stripAfter ? end - 1 : end);
    if (second === '{') tags.push({ kind: 'out', body, at: bodyStart });
    else if (second === '%') tags.push({ kind: 'stmt', body, at: bodyStart });
    pendingLstrip = stripAfter;
    i = end + 2;
  }
  return tags;

  function pushText(s: string, rstrip: boolean): void {
    if (pendingLstrip) s = s.replace(/^\s+/, '');
    pendingLstrip = false;
    if (rstrip) s = s.replace(/\s+$/, '');
    if (s) tags.push({ kind: 'text', body: s, at: -1 });
  }
}

/** Find the closing delimiter, skipping string literals inside expressions. */
function findClose(src: string, from: number, close: string, skipStrings: boolean): number {
  if (!skipStrings) return src.indexOf(close, from);
  let i = from;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === close[0] && src[i + 1] === close[1]) return i;
    i++;
  }
  return -1;
}

// ---------------------------------------------------------------- expression tokens

type Tok = { t: 'name' | 'num' | 'str' | 'op'; v: string; at: number };


const isIdStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isIdPart = (c: number) => isIdStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number) => c >= 48 && c <= 57;
const TWO_CHAR_OPS = new Set(['**', '//', '==', '!=', '<=', '>=']);
const ONE_CHAR_OPS = new Set(['(', ')', '[', ']', '{', '}', ',', '.', ':', '|', '+', '-', '*', '/', '%', '~', '<', '>', '=']);

function lexExpr(s: string, base: number): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdPart(s.charCodeAt(j))) j++;
      out.push({ t: 'name', v: s.slice(i, j), at: base + i });
      i = j;
      continue;
    }
    if (isDigit(c)) {
      let j = i + 1;
      while (j < n && (isDigit(s.charCodeAt(j)) || s.charCodeAt(j) === 46 || s.charCodeAt(j) === 95)) j++;
      if (s.charCodeAt(j - 1) === 46) j--;
      out.push({ t: 'num', v: s.slice(i, j).replace(/_/g, ''), at: base + i });
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      const q = s[i]!;
      let j = i + 1;
      let v = '';
      let start = j;
      while (j < n && s[j] !== q) {
        if (s.charCodeAt(j) === 92 && j + 1 < n) {
          v += s.slice(start, j);
          const e = s[j + 1]!;
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
          start = j;
        } else j++;
      }
      if (j >= n) throw new TemplateError('unterminated string', base + i);
      v += s.slice(start, j);
      out.push({ t: 'str', v, at: base + i });
      i = j + 1;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      out.push({ t: 'op', v: two, at: base + i });
      i += 2;
      continue;
    }
    const one = s[i]!;
    if (!ONE_CHAR_OPS.has(one)) throw new TemplateError(`unexpected character \`${one}\``, base + i);
    out.push({ t: 'op', v: one, at: base + i });
    i++;
  }
  return out;
}

// ---------------------------------------------------------------- expression parser

/** Precedence of binary operators given as op tokens. */
const BINARY_PREC: Record<string, number> = { '==': 4, '!=': 4, '<': 4, '>': 4, '<=': 4, '>=': 4, '~': 5, '+': 6, '-': 6, '*': 7, '/': 7, '//': 7, '%': 7 };

class ExprParser {
  private p = 0;
  constructor(
    private toks: Tok[],
    private end: number,
  ) {}

  done(): boolean {
    return this.p >= this.toks.length;
  }
  peek(): Tok | undefined {
    return this.toks[this.p];
  }
  private next(): Tok {
    const t = this.toks[this.p++];
    if (!t) throw new TemplateError('unexpected end of expression', this.end);
    return t;
  }
  private isOp(v: string): boolean {
    const t = this.toks[this.p];
    return !!t && t.t === 'op' && t.v === v;
  }
  private isName(v: string): boolean {
    const t = this.toks[this.p];
    return !!t && t.t === 'name' && t.v === v;
  }
  expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new TemplateError(`expected \`${v}\`, got \`${t.v}\``, t.at);
  }
  expectName(): string {
    const t = this.next();
    if (t.t !== 'name') throw new TemplateError(`expected a name, got \`${t.v}\``, t.at);
    return t.v;
  }

  parseExpr(): Expr {
    const a = this.parseBinary(0);
    if (this.isName('if')) {
      this.p++;
      const c = this.parseBinary(0);
      let b: Expr | null = null;
      if (this.isName('else')) {
        this.p++;
        b = this.parseExpr();
      }
      return { k: 'cond', c, a, b };
    }
    return a;
  }

  /** The binary operator at the cursor and its precedence (higher binds tighter), or null. */
  private binaryOp(): { op: string; prec: number; width: number } | null {
    const t = this.toks[this.p];
    if (!t) return null;
    if (t.t === 'op') {
      const prec = BINARY_PREC[t.v];
      return prec === undefined ? null : { op: t.v, prec, width: 1 };
    }
    if (t.t === 'name') {
      if (t.v === 'or') return { op: 'or', prec: 1, width: 1 };
      if (t.v === 'and') return { op: 'and', prec: 2, width: 1 };
      if (t.v === 'in') return { op: 'in', prec: 4, width: 1 };
      if (t.v === 'is') return { op: 'is', prec: 4, width: 1 };
      if (t.v === 'not' && this.toks[this.p + 1]?.v === 'in') return { op: 'not in', prec: 4, width: 2 };
    }
    return null;
  }

  /** Precedence climbing over or < and < not < comparisons/in/is < ~ < + - < * / // % (then unary, **). */
  private parseBinary(minPrec: number): Expr {
    let left: Expr;
    if (minPrec <= 3 && this.isName('not')) {
      this.p++;
      left = { k: 'un', op: 'not', a: this.parseBinary(3) };
    } else left = this.parseUnary();
    for (;;) {
      const op = this.binaryOp();
      if (!op || op.prec < minPrec) return left;
      if (op.op === 'is') {
        this.p++;
        left = this.parseIsTest(left);
        continue;
      }
      this.p += op.width;
      const right = this.parseBinary(op.prec + 1);
      left = op.op === 'not in' ? { k: 'un', op: 'not', a: { k: 'bin', op: 'in', a: left, b: right } } : { k: 'bin', op: op.op, a: left, b: right };
    }
  }

  private parseIsTest(a: Expr): Expr {
    let neg = false;
    if (this.isName('not')) {
      this.p++;
      neg = true;
    }
    const nt = this.next();
    const args: Expr[] = [];
    if (this.isOp('(')) {
      this.p++;
      while (!this.isOp(')')) {
        args.push(this.parseExpr());
        if (!this.isOp(')')) this.expectOp(',');
      }
      this.p++;
    } else if (this.peek() && (this.peek()!.t === 'num' || this.peek()!.t === 'str')) {
      args.push(this.parsePrimary());
    }
    return { k: 'test', a, n: nt.v, args, neg, at: nt.at };
  }

  private parseUnary(): Expr {
    if (this.isOp('-')) {
      this.p++;
      return { k: 'un', op: '-', a: this.parseUnary() };
    }
    if (this.isOp('+')) {
      this.p++;
      return this.parseUnary();
    }
    const a = this.parseFilter();
    if (this.isOp('**')) {
      this.p++;
      return { k: 'bin', op: '**', a, b: this.parseUnary() };
    }
    return a;
  }
  private parseFilter(): Expr {
    let a = this.parsePostfix(this.parsePrimary());
    while (this.isOp('|')) {
      this.p++;
      const t = this.next();
      if (t.t !== 'name') throw new TemplateError('expected a filter name', t.at);
      let name = t.v;
      while (this.isOp('.')) {
        this.p++;
        name += '.' + this.expectName();
      }
      let args: Expr[] = [];
      let kw: [string, Expr][] = [];
      if (this.isOp('(')) [args, kw] = this.parseArgs();
      a = { k: 'filter', a, n: name, args, kw, at: t.at };
    }
    return a;
  }
  private parseArgs(): [Expr[], [string, Expr][]] {
    this.expectOp('(');
    const args: Expr[] = [];
    const kw: [string, Expr][] = [];
    while (!this.isOp(')')) {
      const t = this.peek();
      if (t && t.t === 'name' && this.toks[this.p + 1]?.t === 'op' && this.toks[this.p + 1]!.v === '=') {
        this.p += 2;
        kw.push([t.v, this.parseExpr()]);
      } else {
        if (kw.length) throw new TemplateError('positional argument after keyword argument', t?.at ?? this.end);
        args.push(this.parseExpr());
      }
      if (!this.isOp(')')) this.expectOp(',');
    }
    this.p++;
    return [args, kw];
  }
  private parsePostfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.p++;
        const t = this.next();
        if (t.t !== 'name' && t.t !== 'num') throw new TemplateError('expected an attribute name', t.at);
        e = { k: 'attr', o: e, n: t.v };
      } else if (this.isOp('[')) {
        this.p++;
        if (this.isOp(':')) throw new Unsupported('slice');
        const i = this.parseExpr();
        if (this.isOp(':')) throw new Unsupported('slice');
        this.expectOp(']');
        e = { k: 'index', o: e, i };
      } else if (this.isOp('(')) {
        const at = this.peek()!.at;
        const [args, kw] = this.parseArgs();
        e = { k: 'call', f: e, args, kw, at };
      } else return e;
    }
  }
  parsePrimary(): Expr {
    const t = this.next();
    if (t.t === 'str') {
      let v = t.v;
      // adjacent string literals concatenate, as in Python
      while (this.peek()?.t === 'str') v += this.next().v;
      return { k: 'lit', v };
    }
    if (t.t === 'num') return { k: 'lit', v: Number(t.v) };
    if (t.t === 'name') {
      switch (t.v) {
        case 'true':
        case 'True':
          return { k: 'lit', v: true };
        case 'false':
        case 'False':
          return { k: 'lit', v: false };
        case 'none':
        case 'None':
        case 'null':
          return { k: 'lit', v: null };
        default:
          return { k: 'name', n: t.v, at: t.at };
      }
    }
    if (t.v === '(') {
      if (this.isOp(')')) {
        this.p++;
        return { k: 'list', items: [] };
      }
      const e = this.parseExpr();
      if (this.isOp(',')) {
        const items = [e];
        while (this.isOp(',')) {
          this.p++;
          if (this.isOp(')')) break;
          items.push(this.parseExpr());
        }
        this.expectOp(')');
        return { k: 'list', items };
      }
      this.expectOp(')');
      return e;
    }
    if (t.v === '[') {
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        items.push(this.parseExpr());
        if (!this.isOp(']')) this.expectOp(',');
      }
      this.p++;
      return { k: 'list', items };
    }
    if (t.v === '{') {
      const items: [Expr, Expr][] = [];
      while (!this.isOp('}')) {
        const kt = this.peek();
        let key: Expr;
        if (kt && kt.t === 'name' && this.toks[this.p + 1]?.v === ':') {
          this.p++;
          key = { k: 'lit', v: kt.v };
        } else key = this.parseExpr();
        this.expectOp(':');
        items.push([key, this.parseExpr()]);
        if (!this.isOp('}')) this.expectOp(',');
      }
      this.p++;
      return { k: 'dict', items };
    }
    throw new TemplateError(`unexpected \`${t.v}\``, t.at);
  }
}

function parseExpression(body: string, at: number): Expr {
  const toks = lexExpr(body, at);
  if (!toks.length) throw new TemplateError('empty expression', at);
  const p = new ExprParser(toks, at + body.length);
  const e = p.parseExpr();
  if (!p.done()) throw new TemplateError(`unexpected \`${p.peek()!.v}\` in expression`, p.peek()!.at);
  return e;
}

// ---------------------------------------------------------------- statements

const SUPPORTED = new Set(['if', 'elif', 'else', 'endif', 'for', 'endfor', 'set']);

/**
 * Parse a template into the lite AST, or return null when it uses something only
 * nunjucks handles. Syntax errors inside the subset throw TemplateError.
 */
export function parseLite(source: string): LiteTemplate | null {
  let tags: Tag[];
  try {
    tags = splitTags(source);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
  for (const t of tags) {
    if (t.kind !== 'stmt') continue;
    const word = /^\s*([A-Za-z_]+)/.exec(t.body)?.[1] ?? '';
    if (!SUPPORTED.has(word)) return null;
    if (word === 'set' && !t.body.includes('=')) return null; // block set
  }
  let pos = 0;
  const parseBlock = (ends: string[]): [Stmt[], string, Tag | undefined] => {
    const out: Stmt[] = [];
    while (pos < tags.length) {
      const t = tags[pos++]!;
      if (t.kind === 'text') out.push({ k: 'text', s: t.body });
      else if (t.kind === 'out') out.push({ k: 'out', e: parseExpression(t.body, t.at), at: t.at });
      else {
        const m = /^\s*([A-Za-z_]+)\s*/.exec(t.body)!;
        const word = m[1]!;
        const rest = t.body.slice(m[0].length);
        const restAt = t.at + m[0].length;
        if (ends.includes(word)) return [out, word, t];
        if (word === 'if') {
          const branches: [Expr, Stmt[]][] = [];
          let cond = parseExpression(rest, restAt);
          let orelse: Stmt[] = [];
          for (;;) {
            const [body, end, endTag] = parseBlock(['elif', 'else', 'endif']);
            branches.push([cond, body]);
            if (end === 'elif') {
              const mm = /^\s*elif\s*/.exec(endTag!.body)!;
              cond = parseExpression(endTag!.body.slice(mm[0].length), endTag!.at + mm[0].length);
              continue;
            }
            if (end === 'else') {
              const [eb, e2] = parseBlock(['endif']);
              if (e2 !== 'endif') throw new TemplateError('`{% if %}` without `{% endif %}`', t.at);
              orelse = eb;
            } else if (end !== 'endif') throw new TemplateError('`{% if %}` without `{% endif %}`', t.at);
            break;
          }
          out.push({ k: 'if', branches, orelse });
        } else if (word === 'for') {
          const fm = /^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s+in\s+/.exec(rest);
          if (!fm) throw new TemplateError('expected `for NAME in EXPRESSION`', restAt);
          const iterSrc = rest.slice(fm[0].length);
          if (/\s(if|recursive)\s/.test(` ${iterSrc} `) && /\bif\b/.test(iterSrc) && !/\belse\b/.test(iterSrc)) throw new Unsupported('for-if');
          const iter = parseExpression(iterSrc, restAt + fm[0].length);
          const [body, end] = parseBlock(['else', 'endfor']);
          let orelse: Stmt[] = [];
          if (end === 'else') {
            const [eb, e2] = parseBlock(['endfor']);
            if (e2 !== 'endfor') throw new TemplateError('`{% for %}` without `{% endfor %}`', t.at);
            orelse = eb;
          } else if (end !== 'endfor') throw new TemplateError('`{% for %}` without `{% endfor %}`', t.at);
          out.push({ k: 'for', vars: fm[1]!.split(',').map((s) => s.trim()), iter, body, orelse, at: t.at });
        } else if (word === 'set') {
          const sm = /^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*=(?!=)\s*/.exec(rest);
          if (!sm) throw new TemplateError('expected `set NAME = EXPRESSION`', restAt);
          out.push({ k: 'set', names: sm[1]!.split(',').map((s) => s.trim()), e: parseExpression(rest.slice(sm[0].length), restAt + sm[0].length) });
        } else {
          throw new TemplateError(`unexpected \`{% ${word} %}\``, t.at);
        }
      }
    }
    return [out, '', undefined];
  };
  try {
    const [body, end, endTag] = parseBlock([]);
    if (end) throw new TemplateError(`unexpected \`{% ${end} %}\``, endTag!.at);
    return { body, source };
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

// ---------------------------------------------------------------- evaluation

export interface LiteRuntime {
  /** Look up a global name (tx functions, macros, vars); undefined when absent. */
  lookup(name: string): unknown;
  filter(name: string): ((...args: unknown[]) => unknown) | undefined;
  /** nunjucks.runtime.makeKeywordArgs */
  kwargs(obj: Record<string, unknown>): Record<string, unknown>;
  /** Called when the template calls something that is not a function. */
  notCallable(name: string, offset: number): never;
  /** Offset of the call or output being evaluated, for error positions. */
  at: number;
}

class Scope {
  vars = new Map<string, unknown>();
  constructor(readonly parent?: Scope) {}
  get(n: string): { found: boolean; v?: unknown } {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(n)) return { found: true, v: s.vars.get(n) };
    return { found: false };
  }
}

export function renderLite(t: LiteTemplate, rt: LiteRuntime): string {
  const out: string[] = [];
  execBlock(t.body, new Scope(), rt, out);
  return out.join('');
}

function toOutput(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object' && !(v instanceof String) && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  if (v instanceof String) return v.length > 0;
  return !!v;
}

function execBlock(stmts: Stmt[], scope: Scope, rt: LiteRuntime, out: string[]): void {
  for (const s of stmts) {
    switch (s.k) {
      case 'text':
        out.push(s.s);
        break;
      case 'out':
        rt.at = s.at;
        out.push(toOutput(evalExpr(s.e, scope, rt)));
        break;
      case 'if': {
        let done = false;
        for (const [c, body] of s.branches) {
          if (truthy(evalExpr(c, scope, rt))) {
            execBlock(body, scope, rt, out);
            done = true;
            break;
          }
        }
        if (!done) execBlock(s.orelse, scope, rt, out);
        break;
      }
      case 'set': {
        const v = evalExpr(s.e, scope, rt);
        if (s.names.length === 1) scope.vars.set(s.names[0]!, v);
        else s.names.forEach((n, i) => scope.vars.set(n, (v as unknown[])?.[i]));
        break;
      }
      case 'for': {
        let it = evalExpr(s.iter, scope, rt);
        let items: unknown[];
        if (Array.isArray(it)) items = it;
        else if (it && typeof it === 'object') {
          items = s.vars.length > 1 ? Object.entries(it) : Object.keys(it);
        } else if (typeof it === 'string') items = [...it];
        else items = [];
        if (!items.length) {
          execBlock(s.orelse, scope, rt, out);
          break;
        }
        const len = items.length;
        items.forEach((item, i) => {
          const inner = new Scope(scope);
          if (s.vars.length === 1) inner.vars.set(s.vars[0]!, item);
          else s.vars.forEach((n, j) => inner.vars.set(n, (item as unknown[])?.[j]));
          inner.vars.set('loop', { index: i + 1, index0: i, revindex: len - i, revindex0: len - i - 1, first: i === 0, last: i === len - 1, length: len });
          execBlock(s.body, inner, rt, out);
        });
        it = undefined;
        break;
      }
    }
  }
}

function callArgs(args: Expr[], kw: [string, Expr][], scope: Scope, rt: LiteRuntime): unknown[] {
  const vals = args.map((a) => evalExpr(a, scope, rt));
  if (kw.length) {
    const o: Record<string, unknown> = {};
    for (const [k, e] of kw) o[k] = evalExpr(e, scope, rt);
    vals.push(rt.kwargs(o));
  }
  return vals;
}

function exprName(e: Expr): string {
  if (e.k === 'name') return e.n;
  if (e.k === 'attr') return `${exprName(e.o)}.${e.n}`;
  return 'expression';
}

export function evalExpr(e: Expr, scope: Scope, rt: LiteRuntime): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'name': {
      const l = scope.get(e.n);
      return l.found ? l.v : rt.lookup(e.n);
    }
    case 'attr': {
      const o = evalExpr(e.o, scope, rt) as Record<string, unknown> | null | undefined;
      if (o === null || o === undefined) return undefined;
      const v = (o as Record<string, unknown>)[e.n];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(o) : v;
    }
    case 'index': {
      const o = evalExpr(e.o, scope, rt) as Record<string, unknown> | null | undefined;
      if (o === null || o === undefined) return undefined;
      let i = evalExpr(e.i, scope, rt) as string | number;
      if (Array.isArray(o) && typeof i === 'number' && i < 0) i = o.length + i;
      return (o as Record<string | number, unknown>)[i];
    }
    case 'call': {
      const f = evalExpr(e.f, scope, rt);
      if (typeof f !== 'function') rt.notCallable(exprName(e.f), e.at);
      rt.at = e.at;
      return (f as (...a: unknown[]) => unknown)(...callArgs(e.args, e.kw, scope, rt));
    }
    case 'list':
      return e.items.map((x) => evalExpr(x, scope, rt));
    case 'dict': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of e.items) o[String(evalExpr(k, scope, rt))] = evalExpr(v, scope, rt);
      return o;
    }
    case 'un': {
      const a = evalExpr(e.a, scope, rt);
      return e.op === 'not' ? !truthy(a) : -(a as number);
    }
    case 'cond':
      return truthy(evalExpr(e.c, scope, rt)) ? evalExpr(e.a, scope, rt) : e.b ? evalExpr(e.b, scope, rt) : undefined;
    case 'bin': {
      if (e.op === 'and') {
        const a = evalExpr(e.a, scope, rt);
        return truthy(a) ? evalExpr(e.b, scope, rt) : a;
      }
      if (e.op === 'or') {
        const a = evalExpr(e.a, scope, rt);
        return truthy(a) ? a : evalExpr(e.b, scope, rt);
      }
      const a = evalExpr(e.a, scope, rt) as never;
      const b = evalExpr(e.b, scope, rt) as never;
      switch (e.op) {
        case '~':
          return toOutput(a) + toOutput(b);
        case '+':
          return (a as number) + (b as number);
        case '-':
          return (a as number) - (b as number);
        case '*':
          return (a as number) * (b as number);
        case '/':
          return (a as number) / (b as number);
        case '//':
          return Math.floor((a as number) / (b as number));
        case '%':
          return (a as number) % (b as number);
        case '**':
          return (a as number) ** (b as number);
        case '==':
          return looseEq(a, b);
        case '!=':
          return !looseEq(a, b);
        case '<':
          return a < b;
        case '>':
          return a > b;
        case '<=':
          return a <= b;
        case '>=':
          return a >= b;
        case 'in':
          return inOp(a, b);
      }
      throw new Error(`unknown operator ${e.op}`);
    }
    case 'filter': {
      const f = rt.filter(e.n);
      if (!f) throw new TemplateError(`unknown filter \`${e.n}\``, e.at);
      return f(evalExpr(e.a, scope, rt), ...callArgs(e.args, e.kw, scope, rt));
    }
    case 'test': {
      const a = evalExpr(e.a, scope, rt);
      const args = e.args.map((x) => evalExpr(x, scope, rt));
      const r = runTest(e.n, a, args, e.at);
      return e.neg ? !r : r;
    }
  }
}

function looseEq(a: unknown, b: unknown): boolean {
  if (a instanceof String || b instanceof String) return String(a) === String(b);
  return a === b;
}

function inOp(a: unknown, b: unknown): boolean {
  if (Array.isArray(b)) return b.some((x) => looseEq(x, a));
  if (typeof b === 'string' || b instanceof String) return String(b).includes(String(a));
  if (b && typeof b === 'object') return Object.prototype.hasOwnProperty.call(b, String(a));
  return false;
}

function runTest(name: string, a: unknown, args: unknown[], at: number): boolean {
  switch (name) {
    case 'defined':
      return a !== undefined;
    case 'undefined':
      return a === undefined;
    case 'none':
    case 'null':
      return a === null;
    case 'number':
      return typeof a === 'number';
    case 'string':
      return typeof a === 'string' || a instanceof String;
    case 'mapping':
      return !!a && typeof a === 'object' && !Array.isArray(a);
    case 'iterable':
    case 'sequence':
      return Array.isArray(a) || typeof a === 'string';
    case 'true':
      return a === true;
    case 'false':
      return a === false;
    case 'odd':
      return (a as number) % 2 === 1;
    case 'even':
      return (a as number) % 2 === 0;
    case 'divisibleby':
      return (a as number) % (args[0] as number) === 0;
    case 'eq':
    case 'equalto':
    case 'sameas':
      return looseEq(a, args[0]);
    case 'callable':
      return typeof a === 'function';
    default:
      throw new TemplateError(`unknown test \`is ${name}\``, at);
  }
}

// ---------------------------------------------------------------- static analysis

/** A call found by `staticCalls`: its callee name and literal arguments (null when not literal). */
export interface StaticCall {
  name: string;
  args: unknown[] | null;
  kw: Record<string, unknown> | null;
}

function literalValue(e: Expr): { ok: boolean; v?: unknown } {
  switch (e.k) {
    case 'lit':
      return { ok: true, v: e.v };
    case 'list': {
      const out: unknown[] = [];
      for (const x of e.items) {
        const r = literalValue(x);
        if (!r.ok) return { ok: false };
        out.push(r.v);
      }
      return { ok: true, v: out };
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.items) {
        const a = literalValue(k);
        const b = literalValue(v);
        if (!a.ok || !b.ok) return { ok: false };
        out[String(a.v)] = b.v;
      }
      return { ok: true, v: out };
    }
    case 'un':
      if (e.op === '-') {
        const r = literalValue(e.a);
        return r.ok && typeof r.v === 'number' ? { ok: true, v: -r.v } : { ok: false };
      }
      return { ok: false };
    default:
      return { ok: false };
  }
}

/**
 * Every call by plain name in the template, with literal arguments where they are
 * literals, and every other name it reads. Lets the compiler learn a model's refs,
 * sources and config without rendering it.
 */
export function staticCalls(t: LiteTemplate): { calls: StaticCall[]; names: Set<string> } {
  const calls: StaticCall[] = [];
  const names = new Set<string>();
  const visitE = (e: Expr | null): void => {
    if (!e) return;
    switch (e.k) {
      case 'name':
        names.add(e.n);
        return;
      case 'call': {
        if (e.f.k === 'name') {
          const args: unknown[] = [];
          let ok = true;
          for (const a of e.args) {
            const r = literalValue(a);
            if (!r.ok) ok = false;
            args.push(r.v);
          }
          const kw: Record<string, unknown> = {};
          let kwOk = true;
          for (const [k, v] of e.kw) {
            const r = literalValue(v);
            if (!r.ok) kwOk = false;
            kw[k] = r.v;
          }
          calls.push({ name: e.f.n, args: ok ? args : null, kw: kwOk ? kw : null });
        } else visitE(e.f);
        e.args.forEach(visitE);
        e.kw.forEach(([, v]) => visitE(v));
        return;
      }
      case 'attr':
        visitE(e.o);
        return;
      case 'index':
        visitE(e.o);
        visitE(e.i);
        return;
      case 'list':
        e.items.forEach(visitE);
        return;
      case 'dict':
        e.items.forEach(([k, v]) => (visitE(k), visitE(v)));
        return;
      case 'un':
        visitE(e.a);
        return;
      case 'bin':
        visitE(e.a);
        visitE(e.b);
        return;
      case 'filter':
        visitE(e.a);
        e.args.forEach(visitE);
        e.kw.forEach(([, v]) => visitE(v));
        return;
      case 'test':
        visitE(e.a);
        e.args.forEach(visitE);
        return;
      case 'cond':
        visitE(e.c);
        visitE(e.a);
        visitE(e.b);
        return;
      case 'lit':
        return;
    }
  };
  const visitS = (ss: Stmt[]): void => {
    for (const s of ss) {
      if (s.k === 'out') visitE(s.e);
      else if (s.k === 'set') visitE(s.e);
      else if (s.k === 'if') {
        for (const [c, b] of s.branches) {
          visitE(c);
          visitS(b);
        }
        visitS(s.orelse);
      } else if (s.k === 'for') {
        visitE(s.iter);
        visitS(s.body);
        visitS(s.orelse);
      }
    }
  };
  visitS(t.body);
  return { calls, names };
}
