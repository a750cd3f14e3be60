/**
 * The Jinja2 parser: tokens in, a syntax tree out, with jinja2 3.1's grammar and
 * precedence (jinja2/parser.py), plus the block tags dbt adds through extensions:
 * `{% test %}`, `{% materialization %}` and `{% docs %}`, each a macro under the name dbt
 * gives it. `do` and `break`/`continue` are on, as dbt enables them.
 */
import type { CallArgs, Expr, Param, Stmt, Target, TemplateAst } from './ast.js';
import { LexError, normalizeSource, tokenize, type Token } from './lexer.js';
import { PyFloat } from './values.js';

/** A TemplateSyntaxError (or another parse-time error type) at an offset into the normalised source. */
export class SyntaxErr extends LexError {
  constructor(
    message: string,
    at: number,
    readonly type = 'TemplateSyntaxError',
  ) {
    super(message, at);
  }
}

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
/** Operators and names after an operand that parseOr's levels (or … **) go on with. */
const BINARY_OPS = new Set([...COMPARE_OPS, '+', '-', '~', '*', '/', '//', '%', '**']);
const BINARY_NAMES = new Set(['or', 'and', 'in', 'not']);
const ASSIGN_END = new Set(['in']);

const BLOCK_NAMES: Record<string, string> = {
  endfor: 'for',
  endif: 'if',
  endmacro: 'macro',
  endcall: 'call',
  endfilter: 'filter',
  endset: 'set',
  endwith: 'with',
  endblock: 'block',
  endtest: 'test',
  endmaterialization: 'materialization',
  enddocs: 'docs',
  endautoescape: 'autoescape',
};

export function parseTemplate(source: string): TemplateAst {
  const src = normalizeSource(source);
  let tokens: Token[];
  try {
    tokens = tokenize(src);
  } catch (e) {
    if (e instanceof LexError) throw new SyntaxErr(e.message, e.at);
    throw e;
  }
  const p = new Parser(tokens);
  const body = p.subparse(null);
  return { body, source: src };
}

class Parser {
  private i = 0;
  /** The stack of open blocks, for "the innermost block that needs to be closed". */
  private readonly stack: string[] = [];
  private readonly stackAt: number[] = [];
  private readonly endStack: string[][] = [];
  /** An operand parseOr read ahead (and where it began): parsePow takes it instead of reading one. */
  private pending: { e: Expr; at: number } | undefined;

  constructor(private readonly toks: Token[]) {}

  private get cur(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.type !== 'eof') this.i++;
    return t;
  }
  private fail(msg: string, at = this.cur.at): never {
    throw new SyntaxErr(msg, at);
  }
  private isOp(v: string, t = this.cur): boolean {
    return t.type === 'op' && t.value === v;
  }
  private isName(v: string, t = this.cur): boolean {
    return t.type === 'name' && t.value === v;
  }
  private describe(t: Token): string {
    switch (t.type) {
      case 'eof':
        return 'end of template';
      case 'block_end':
        return 'end of statement block';
      case 'var_end':
        return 'end of print statement';
      case 'name':
      case 'op':
        return t.value;
      case 'string':
        return 'string';
      case 'integer':
        return 'integer';
      case 'float':
        return 'float';
      default:
        return t.type;
    }
  }
  private expectOp(v: string): Token {
    if (!this.isOp(v)) this.unexpected(`'${v}'`);
    return this.next();
  }
  private expectName(): Token {
    if (this.cur.type !== 'name') this.unexpected('name');
    return this.next();
  }
  private expectBlockEnd(): void {
    if (this.cur.type !== 'block_end') this.unexpected("'end of statement block'");
    this.next();
  }
  /** The end of a tag that opens a body: jinja2 allows a Python-style colon before it. */
  private expectBodyStart(): void {
    if (this.isOp(':')) this.next();
    this.expectBlockEnd();
  }
  private unexpected(expected: string): never {
    const t = this.cur;
    if (t.type === 'eof') this.failEof();
    this.fail(`expected token ${expected}, got '${this.describe(t)}'`);
  }
  private failEof(): never {
    const expected = this.endStack.length ? this.endStack[this.endStack.length - 1]! : [];
    let msg = 'Unexpected end of template.';
    if (expected.length) msg += ` Jinja was looking for the following tags: ${expected.map((e) => `'${e}'`).join(' or ')}.`;
    if (this.stack.length) msg += ` The innermost block that needs to be closed is '${this.stack[this.stack.length - 1]}'.`;
    // point at the block left open (jinja2 points at the end of the template, which helps less)
    this.fail(msg, this.stackAt.length ? this.stackAt[this.stackAt.length - 1]! : this.cur.at);
  }

  // ------------------------------------------------------------------ statements

  /** Parse until one of `end` (tag names) or the end of the template. */
  subparse(end: string[] | null): Stmt[] {
    const body: Stmt[] = [];
    if (end) this.endStack.push(end);
    try {
      for (;;) {
        const t = this.cur;
        if (t.type === 'data') {
          body.push({ k: 'data', s: t.value });
          this.next();
        } else if (t.type === 'var_begin') {
          this.next();
          const e = this.parseTuple();
          if (this.cur.type !== 'var_end') this.unexpected("'end of print statement'");
          this.next();
          body.push({ k: 'out', e, at: e.at });
        } else if (t.type === 'block_begin') {
          this.next();
          if (end && this.cur.type === 'name' && end.includes(this.cur.value)) return body;
          body.push(...this.parseStatement());
        } else if (t.type === 'eof') {
          if (end) this.failEof();
          return body;
        } else {
          this.fail(`unexpected '${this.describe(t)}'`);
        }
      }
    } finally {
      if (end) this.endStack.pop();
    }
  }

  private parseStatement(): Stmt[] {
    const t = this.cur;
    if (t.type !== 'name') this.fail('tag name expected');
    this.stack.push(t.value);
    this.stackAt.push(t.at);
    let popped = false;
    try {
      switch (t.value) {
        case 'if':
          return [this.parseIf()];
        case 'for':
          return [this.parseFor()];
        case 'set':
          return [this.parseSet()];
        case 'macro':
          return [this.parseMacro()];
        case 'call':
          return [this.parseCallBlock()];
        case 'filter':
          return [this.parseFilterBlock()];
        case 'with':
          return [this.parseWith()];
        case 'do': {
          this.next();
          const e = this.parseTuple();
          this.expectBlockEnd();
          return [{ k: 'do', e, at: t.at }];
        }
        case 'break':
        case 'continue': {
          this.next();
          this.expectBlockEnd();
          return [{ k: t.value, at: t.at }];
        }
        case 'block': {
          this.next();
          this.expectName();
          while (this.isName('scoped') || this.isName('required')) this.next();
          this.expectBodyStart();
          const body = this.subparse(['endblock']);
          this.next();
          if (this.cur.type === 'name') this.next();
          this.expectBlockEnd();
          return [{ k: 'scope', body, at: t.at }];
        }
        case 'autoescape': {
          this.next();
          this.parseExpression();
          this.expectBodyStart();
          const body = this.subparse(['endautoescape']);
          this.next();
          this.expectBlockEnd();
          return [{ k: 'scope', body, at: t.at }];
        }
        case 'test':
          return [this.parseDbtTest()];
        case 'materialization':
          return [this.parseMaterialization()];
        case 'docs':
          return [this.parseDocs()];
        case 'extends':
        case 'include':
        case 'import':
        case 'from': {
          // they parse, and fail when run: dbt's environment has no template loader
          this.next();
          while (this.cur.type !== 'block_end' && this.cur.type !== 'eof') this.next();
          this.expectBlockEnd();
          return [{ k: 'raise', type: 'TypeError', message: 'no loader for this environment specified', at: t.at }];
        }
        default:
          break;
      }
      this.stack.pop();
      this.stackAt.pop();
      popped = true;
      const name = t.value;
      let msg = `Encountered unknown tag '${name}'.`;
      if (this.endStack.length) {
        const expected = this.endStack[this.endStack.length - 1]!;
        msg += ` Jinja was looking for the following tags: ${expected.map((e) => `'${e}'`).join(' or ')}.`;
        if (this.stack.length) msg += ` The innermost block that needs to be closed is '${this.stack[this.stack.length - 1]}'.`;
      } else if (BLOCK_NAMES[name]) {
        msg = `Unexpected end tag '${name}'. Jinja was looking for the end of the template.`;
      }
      return this.fail(msg, t.at);
    } finally {
      if (!popped) {
        this.stack.pop();
        this.stackAt.pop();
      }
    }
  }

  private parseIf(): Stmt {
    const at = this.next().at;
    const test = this.parseTuple(false);
    this.expectBodyStart();
    const body = this.subparse(['elif', 'else', 'endif']);
    const tag = this.next();
    if (tag.value === 'elif') {
      // re-enter as a nested if
      this.i--;
      const nested = this.parseIf();
      return { k: 'if', test, body, orelse: [nested], at };
    }
    if (tag.value === 'else') {
      this.expectBodyStart();
      const orelse = this.subparse(['endif']);
      this.next();
      this.expectBlockEnd();
      return { k: 'if', test, body, orelse, at };
    }
    this.expectBlockEnd();
    return { k: 'if', test, body, orelse: [], at };
  }

  private parseFor(): Stmt {
    const at = this.next().at;
    const target = this.parseAssignTarget(ASSIGN_END, false);
    if (!this.isName('in')) this.unexpected("'in'");
    this.next();
    const iter = this.parseTuple(false, new Set(['recursive']), false);
    let filter: Expr | null = null;
    if (this.isName('if')) {
      this.next();
      filter = this.parseExpression();
    }
    let recursive = false;
    if (this.isName('recursive')) {
      this.next();
      recursive = true;
    }
    this.expectBodyStart();
    const body = this.subparse(['endfor', 'else']);
    let orelse: Stmt[] = [];
    if (this.next().value === 'else') {
      this.expectBodyStart();
      orelse = this.subparse(['endfor']);
      this.next();
    }
    this.expectBlockEnd();
    return { k: 'for', target, iter, filter, recursive, body, orelse, at };
  }

  private parseSet(): Stmt {
    const at = this.next().at;
    const target = this.parseAssignTarget(null, true);
    if (this.isOp('=')) {
      this.next();
      const e = this.parseTuple();
      this.expectBlockEnd();
      return { k: 'set', target, e, at };
    }
    const filter = this.parseFilter(null);
    this.expectBodyStart();
    const body = this.subparse(['endset']);
    this.next();
    this.expectBlockEnd();
    return { k: 'setblock', target, filter, body, at };
  }

  private parseSignature(): Param[] {
    const params: Param[] = [];
    this.expectOp('(');
    let seenDefault = false;
    while (!this.isOp(')')) {
      if (params.length) this.expectOp(',');
      const n = this.expectName();
      if (params.some((p) => p.name === n.value)) throw new SyntaxErr(`duplicate argument '${n.value}' in function definition`, n.at, 'SyntaxError');
      // dbt 1.10 reads type annotations in macro signatures (`a: str`, `c: Dict[str, int] = {}`)
      if (this.isOp(':')) {
        this.next();
        this.skipTypeAnnotation();
      }
      let def: Expr | null = null;
      if (this.isOp('=')) {
        this.next();
        def = this.parseExpression();
        seenDefault = true;
      } else if (seenDefault) {
        this.fail('non-default argument follows default argument', n.at);
      }
      params.push({ name: n.value, default: def });
    }
    this.next();
    return params;
  }

  /** A type in a macro signature: a name, optionally subscripted with types (`List[int]`). */
  private skipTypeAnnotation(): void {
    this.expectName();
    while (this.isOp('.')) {
      this.next();
      this.expectName();
    }
    if (this.isOp('[')) {
      this.next();
      for (;;) {
        this.skipTypeAnnotation();
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        break;
      }
      this.expectOp(']');
    }
  }

  private parseMacro(): Stmt {
    const at = this.next().at;
    const name = this.expectName().value;
    const params = this.parseSignature();
    this.expectBodyStart();
    const body = this.subparse(['endmacro']);
    this.next();
    this.expectBlockEnd();
    return { k: 'macro', name, params, body, at };
  }

  private parseDbtTest(): Stmt {
    const at = this.next().at;
    const name = this.expectName().value;
    const params = this.parseSignature();
    this.expectBodyStart();
    const body = this.subparse(['endtest']);
    this.next();
    this.expectBlockEnd();
    return { k: 'macro', name: `test_${name}`, params, body, at };
  }

  /**
   * dbt's `{% materialization name, default|adapter='x', supported_languages=[...] %}`: a macro
   * named materialization_<name>_<adapter> whose one parameter is supported_languages.
   */
  private parseMaterialization(): Stmt {
    const at = this.next().at;
    const name = this.expectName().value;
    let adapter = 'default';
    let languages: Expr | null = null;
    while (this.isOp(',')) {
      this.next();
      const key = this.expectName();
      if (key.value === 'default') continue;
      if (key.value === 'adapter') {
        this.expectOp('=');
        const value = this.parseExpression();
        if (value.k !== 'const' || typeof value.v !== 'string') this.fail('the adapter of a materialization must be a string', value.at);
        adapter = value.v;
      } else if (key.value === 'supported_languages') {
        this.expectOp('=');
        languages = this.parseExpression();
      } else {
        throw new SyntaxErr(`materialization '${name}' received an unknown argument '${key.value}'`, key.at, 'MaterializationArgError');
      }
    }
    if (!languages) languages = { k: 'list', items: [{ k: 'const', v: 'sql', at }], at };
    this.expectBodyStart();
    const body = this.subparse(['endmaterialization']);
    this.next();
    this.expectBlockEnd();
    return { k: 'macro', name: `materialization_${name}_${adapter}`, params: [{ name: 'supported_languages', default: languages }], body, at };
  }

  private parseDocs(): Stmt {
    const at = this.next().at;
    const name = this.expectName().value;
    this.expectBodyStart();
    const body = this.subparse(['enddocs']);
    this.next();
    this.expectBlockEnd();
    return { k: 'macro', name: `docs_${name}`, params: [], body, at };
  }

  private parseCallBlock(): Stmt {
    const at = this.next().at;
    const params = this.isOp('(') ? this.parseSignature() : [];
    const call = this.parseExpression();
    if (call.k !== 'call') this.fail('expected call', call.at);
    this.expectBodyStart();
    const body = this.subparse(['endcall']);
    this.next();
    this.expectBlockEnd();
    return { k: 'callblock', call, params, body, at };
  }

  private parseFilterBlock(): Stmt {
    const at = this.next().at;
    const filter = this.parseFilter(null, true);
    if (!filter) this.unexpected("'|'");
    this.expectBodyStart();
    const body = this.subparse(['endfilter']);
    this.next();
    this.expectBlockEnd();
    return { k: 'filterblock', filter, body, at };
  }

  private parseWith(): Stmt {
    const at = this.next().at;
    const targets: [Target, Expr][] = [];
    while (this.cur.type !== 'block_end') {
      if (targets.length) this.expectOp(',');
      const t = this.parseAssignTarget(null, false);
      this.expectOp('=');
      targets.push([t, this.parseExpression()]);
    }
    this.expectBlockEnd();
    const body = this.subparse(['endwith']);
    this.next();
    this.expectBlockEnd();
    return { k: 'with', targets, body, at };
  }

  private parseAssignTarget(extraEnd: Set<string> | null, withNamespace: boolean): Target {
    if (withNamespace && this.cur.type === 'name' && this.isOp('.', this.peek())) {
      const ns = this.next();
      this.next();
      const attr = this.expectName();
      return { k: 'nsref', ns: ns.value, attr: attr.value, at: ns.at };
    }
    const at = this.cur.at;
    const items: Target[] = [];
    let comma = false;
    for (;;) {
      if (items.length) {
        if (!this.isOp(',')) break;
        this.next();
        comma = true;
      }
      if (this.isOp('(')) {
        this.next();
        items.push(this.parseAssignTarget(null, false));
        this.expectOp(')');
        continue;
      }
      // after a comma jinja2 always reads another target (a trailing comma is an error there)
      if (this.cur.type !== 'name' || (!comma && extraEnd && extraEnd.has(this.cur.value))) {
        if (items.length && !comma) break;
        if (this.cur.type !== 'name') this.fail(`unexpected '${this.describe(this.cur)}'`);
      }
      const n = this.expectName();
      if (['true', 'false', 'none', 'True', 'False', 'None'].includes(n.value)) this.fail(`can't assign to ${n.value}`, n.at);
      items.push({ k: 'name', n: n.value, at: n.at });
    }
    if (!comma && items.length === 1) return items[0]!;
    return { k: 'tuple', items, at };
  }

  // ------------------------------------------------------------------ expressions

  /**
   * A tuple or a single expression (jinja2's parse_tuple): `a, b` is a tuple without
   * parentheses; `explicit` is set inside `( )`.
   */
  parseTuple(withCondexpr = true, extraEnd: Set<string> | null = null, simplifiedUnused = false, explicit = false): Expr {
    void simplifiedUnused;
    const at = this.cur.at;
    const items: Expr[] = [];
    let comma = false;
    for (;;) {
      if (items.length) {
        if (!this.isOp(',')) break;
        this.next();
        comma = true;
      }
      if (this.tupleEnds(extraEnd)) break;
      items.push(withCondexpr ? this.parseExpression() : this.parseOr());
    }
    if (!comma) {
      if (items.length) return items[0]!;
      if (!explicit) this.fail(`Expected an expression, got '${this.describe(this.cur)}'`);
    }
    return { k: 'tuple', items, at };
  }

  private tupleEnds(extraEnd: Set<string> | null): boolean {
    const t = this.cur;
    if (t.type === 'var_end' || t.type === 'block_end' || t.type === 'eof') return true;
    if (t.type === 'op' && (t.value === ')' || t.value === ']' || t.value === '}')) return true;
    if (t.type === 'name' && extraEnd?.has(t.value)) return true;
    return false;
  }

  parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): Expr {
    const at = this.cur.at;
    let e = this.parseOr();
    while (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      let b: Expr | null = null;
      if (this.isName('else')) {
        this.next();
        b = this.parseCondexpr();
      }
      e = { k: 'cond', test, a: e, b, at };
    }
    return e;
  }

  private parseOr(): Expr {
    // most expressions are one operand (a name, a call, a literal): read it, and when no operator
    // follows, skip the nine levels below that would each hand it back unchanged
    if (!this.isName('not')) {
      const at = this.cur.at;
      const e = this.parseUnary();
      const t = this.cur;
      if (!(t.type === 'op' ? BINARY_OPS.has(t.value) : t.type === 'name' && BINARY_NAMES.has(t.value))) return e;
      this.pending = { e, at };
    }
    let a = this.parseAnd();
    while (this.isName('or')) {
      const at = this.next().at;
      a = { k: 'bin', op: 'or', a, b: this.parseAnd(), at };
    }
    return a;
  }

  private parseAnd(): Expr {
    let a = this.parseNot();
    while (this.isName('and')) {
      const at = this.next().at;
      a = { k: 'bin', op: 'and', a, b: this.parseNot(), at };
    }
    return a;
  }

  private parseNot(): Expr {
    if (!this.pending && this.isName('not')) {
      const at = this.next().at;
      return { k: 'un', op: 'not', a: this.parseNot(), at };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const at = this.pending?.at ?? this.cur.at;
    const first = this.parseMath1();
    const ops: [string, Expr][] = [];
    for (;;) {
      const t = this.cur;
      if (t.type === 'op' && COMPARE_OPS.has(t.value)) {
        this.next();
        ops.push([t.value, this.parseMath1()]);
      } else if (this.isName('in')) {
        this.next();
        ops.push(['in', this.parseMath1()]);
      } else if (this.isName('not') && this.isName('in', this.peek())) {
        this.next();
        this.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    if (!ops.length) return first;
    return { k: 'compare', first, ops, at };
  }

  private parseMath1(): Expr {
    let a = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      a = { k: 'bin', op: t.value, a, b: this.parseConcat(), at: t.at };
    }
    return a;
  }

  private parseConcat(): Expr {
    let a = this.parseMath2();
    while (this.isOp('~')) {
      const t = this.next();
      a = { k: 'bin', op: '~', a, b: this.parseMath2(), at: t.at };
    }
    return a;
  }

  private parseMath2(): Expr {
    let a = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      a = { k: 'bin', op: t.value, a, b: this.parsePow(), at: t.at };
    }
    return a;
  }

  private parsePow(): Expr {
    let a: Expr;
    if (this.pending) {
      a = this.pending.e;
      this.pending = undefined;
    } else a = this.parseUnary();
    while (this.isOp('**')) {
      const t = this.next();
      a = { k: 'bin', op: '**', a, b: this.parseUnary(), at: t.at };
    }
    return a;
  }

  private parseUnary(withFilter = true): Expr {
    const t = this.cur;
    let node: Expr;
    if (this.isOp('-')) {
      this.next();
      node = { k: 'un', op: '-', a: this.parseUnary(false), at: t.at };
    } else if (this.isOp('+')) {
      this.next();
      node = { k: 'un', op: '+', a: this.parseUnary(false), at: t.at };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const t = this.cur;
    switch (t.type) {
      case 'name': {
        this.next();
        switch (t.value) {
          case 'true':
          case 'True':
            return { k: 'const', v: true, at: t.at };
          case 'false':
          case 'False':
            return { k: 'const', v: false, at: t.at };
          case 'none':
          case 'None':
            return { k: 'const', v: null, at: t.at };
          default:
            return { k: 'name', n: t.value, at: t.at };
        }
      }
      case 'string': {
        this.next();
        let v = t.value;
        while (this.cur.type === 'string') v += this.next().value;
        return { k: 'const', v, at: t.at };
      }
      case 'integer':
        this.next();
        return { k: 'const', v: t.big ?? t.num!, at: t.at };
      case 'float':
        this.next();
        return { k: 'const', v: new PyFloat(t.num!), at: t.at };
      case 'op':
        if (t.value === '(') {
          this.next();
          const e = this.parseTuple(true, null, false, true);
          this.expectOp(')');
          return e;
        }
        if (t.value === '[') return this.parseList();
        if (t.value === '{') return this.parseDict();
        break;
      default:
        break;
    }
    if (t.type === 'eof') this.failEof();
    return this.fail(`unexpected '${this.describe(t)}'`);
  }

  private parseList(): Expr {
    const at = this.next().at;
    const items: Expr[] = [];
    while (!this.isOp(']')) {
      if (items.length) this.expectOp(',');
      if (this.isOp(']')) break;
      items.push(this.parseExpression());
    }
    this.next();
    return { k: 'list', items, at };
  }

  private parseDict(): Expr {
    const at = this.next().at;
    const items: [Expr, Expr][] = [];
    while (!this.isOp('}')) {
      if (items.length) this.expectOp(',');
      if (this.isOp('}')) break;
      const key = this.parseExpression();
      this.expectOp(':');
      items.push([key, this.parseExpression()]);
    }
    this.next();
    return { k: 'dict', items, at };
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp('.') || this.isOp('[')) node = this.parseSubscript(node);
      else if (this.isOp('(')) node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) node = this.parseFilter(node)!;
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const t = this.next();
    if (t.value === '.') {
      const a = this.cur;
      if (a.type === 'name') {
        this.next();
        return { k: 'getattr', o: node, n: a.value, at: t.at };
      }
      if (a.type !== 'integer') this.fail('expected name or number');
      this.next();
      return { k: 'getitem', o: node, i: { k: 'const', v: a.num!, at: a.at }, at: t.at };
    }
    // [ ... ]
    const args: Expr[] = [];
    while (!this.isOp(']')) {
      if (args.length) {
        this.expectOp(',');
        if (this.isOp(']')) break;
      }
      args.push(this.parseSubscribed());
    }
    this.next();
    const i: Expr = args.length === 1 ? args[0]! : { k: 'tuple', items: args, at: t.at };
    return { k: 'getitem', o: node, i, at: t.at };
  }

  private parseSubscribed(): Expr {
    const at = this.cur.at;
    let start: Expr | null = null;
    if (this.isOp(':')) {
      this.next();
    } else {
      const e = this.parseExpression();
      if (!this.isOp(':')) return e;
      this.next();
      start = e;
    }
    let stop: Expr | null = null;
    let step: Expr | null = null;
    if (!this.isOp(']') && !this.isOp(',') && !this.isOp(':')) stop = this.parseExpression();
    if (this.isOp(':')) {
      this.next();
      if (!this.isOp(']') && !this.isOp(',')) step = this.parseExpression();
    }
    return { k: 'slice', start, stop, step, at };
  }

  private parseCallArgs(): CallArgs {
    const open = this.expectOp('(');
    const out: CallArgs = { args: [], kw: [], dynArgs: null, dynKw: null };
    let first = true;
    while (!this.isOp(')')) {
      if (!first) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      first = false;
      if (this.isOp('*')) {
        if (out.dynArgs || out.dynKw) this.fail('invalid syntax for function call expression');
        this.next();
        out.dynArgs = this.parseExpression();
      } else if (this.isOp('**')) {
        if (out.dynKw) this.fail('invalid syntax for function call expression');
        this.next();
        out.dynKw = this.parseExpression();
      } else if (this.cur.type === 'name' && this.isOp('=', this.peek())) {
        if (out.dynKw) this.fail('invalid syntax for function call expression');
        const key = this.next().value;
        this.next();
        out.kw.push([key, this.parseExpression()]);
      } else {
        if (out.dynArgs || out.dynKw || out.kw.length) this.fail('invalid syntax for function call expression');
        out.args.push(this.parseExpression());
      }
    }
    void open;
    this.next();
    return out;
  }

  private parseCall(node: Expr): Expr {
    const at = this.cur.at;
    return { k: 'call', f: node, at, ...this.parseCallArgs() };
  }

  /** `|name(args)|name2` ...; with `node` null, the filter chain of a filter block or set block. */
  private parseFilter(node: Expr | null, startInline = false): Expr | null {
    let first = startInline;
    while (this.isOp('|') || first) {
      if (!first) this.next();
      first = false;
      const t = this.expectName();
      let name = t.value;
      while (this.isOp('.')) {
        this.next();
        name += '.' + this.expectName().value;
      }
      const args: CallArgs = this.isOp('(') ? this.parseCallArgs() : { args: [], kw: [], dynArgs: null, dynKw: null };
      node = { k: 'filter', node, name, at: t.at, ...args };
    }
    return node;
  }

  private parseTest(node: Expr): Expr {
    const at = this.next().at;
    let negated = false;
    if (this.isName('not')) {
      this.next();
      negated = true;
    }
    let name = this.expectName().value;
    while (this.isOp('.')) {
      this.next();
      name += '.' + this.expectName().value;
    }
    let args: CallArgs = { args: [], kw: [], dynArgs: null, dynKw: null };
    const c = this.cur;
    if (this.isOp('(')) args = this.parseCallArgs();
    else if (
      (c.type === 'name' || c.type === 'string' || c.type === 'integer' || c.type === 'float' || this.isOp('[') || this.isOp('{')) &&
      !this.isName('else') &&
      !this.isName('or') &&
      !this.isName('and')
    ) {
      if (this.isName('is')) this.fail('You cannot chain multiple tests with is');
      let arg = this.parsePrimary();
      arg = this.parsePostfix(arg);
      args.args.push(arg);
    }
    const test: Expr = { k: 'test', node, name, at, ...args };
    return negated ? { k: 'un', op: 'not', a: test, at } : test;
  }
}
