/**
 * A small Python expression evaluator for differential tests: the same expression text is eval'd
 * by CPython against dbt's base context and here against tx's host values, so that one list of
 * cases drives both sides. Supports literals, names, attributes, calls with keywords, subscripts,
 * unary minus, + - * / // %, comparisons, `not`, lists, tuples, dicts, sets and `lambda`.
 */
import {
  Kwargs,
  PyError,
  PyFloat,
  isPlainObject,
  makeTuple,
} from '../../jinja/values.js';
import { add, compare, eq, floordiv, iterate, len, makeDict, makeSet, mod, mul, pyIndex, pyMethod, pyRepr, pyStr, sub, truediv, truthy } from '../../jinja/py.js';
import { NotImplemented, binaryDunder, compareDunder, unaryDunder } from '../dunder.js';

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'name'; name: string }
  | { k: 'attr'; of: Node; name: string }
  | { k: 'call'; fn: Node; args: Node[]; kwargs: [string, Node][] }
  | { k: 'index'; of: Node; key: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'neg'; a: Node }
  | { k: 'not'; a: Node }
  | { k: 'list'; items: Node[] }
  | { k: 'tuple'; items: Node[] }
  | { k: 'set'; items: Node[] }
  | { k: 'dict'; items: [Node, Node][] }
  | { k: 'lambda'; params: string[]; body: Node };

interface Tok {
  t: 'num' | 'str' | 'name' | 'op' | 'end';
  v: string;
  val?: unknown;
}

function unescape(body: string): string {
  return body.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'u':
      case 'U':
      case 'x':
        return String.fromCodePoint(parseInt(e.slice(1), 16));
      case '\\':
      case "'":
      case '"':
        return e;
      case '\n':
        return '';
      default:
        return '\\' + e;
    }
  });
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const m = /^(?:\d+\.\d*(?:e[+-]?\d+)?|\d+e[+-]?\d+|\.\d+|\d+)/i.exec(src.slice(i));
    if (m) {
      const text = m[0];
      toks.push({ t: 'num', v: text, val: /[.e]/i.test(text) ? new PyFloat(Number(text)) : Number(text) });
      i += text.length;
      continue;
    }
    const sm = /^([rb]?)('''|"""|'|")/.exec(src.slice(i));
    if (sm) {
      const raw = sm[1] === 'r';
      const q = sm[2]!;
      let j = i + sm[0].length;
      let body = '';
      while (j < src.length && !src.startsWith(q, j)) {
        if (src[j] === '\\') {
          body += src.slice(j, j + 2);
          j += 2;
        } else body += src[j++];
      }
      toks.push({ t: 'str', v: body, val: raw ? body : unescape(body) });
      i = j + q.length;
      continue;
    }
    const nm = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (nm) {
      toks.push({ t: 'name', v: nm[0] });
      i += nm[0].length;
      continue;
    }
    const op = /^(?:\/\/|==|!=|<=|>=|\*\*|[-+*/%<>()[\]{},:.=])/.exec(src.slice(i));
    if (!op) throw new Error(`bad character ${c} in ${src}`);
    toks.push({ t: 'op', v: op[0] });
    i += op[0].length;
  }
  toks.push({ t: 'end', v: '' });
  return toks;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.v !== v) throw new Error(`expected ${v}, got ${t.v}`);
  }
  parseAll(): Node {
    const n = this.expr();
    if (this.peek().t !== 'end') throw new Error(`trailing ${this.peek().v}`);
    return n;
  }
  expr(): Node {
    const t = this.peek();
    if (t.t === 'name' && t.v === 'lambda') {
      this.next();
      const params: string[] = [];
      while (!this.isOp(':')) {
        params.push(this.next().v);
        if (this.isOp(',')) this.next();
      }
      this.expect(':');
      return { k: 'lambda', params, body: this.expr() };
    }
    return this.notExpr();
  }
  private notExpr(): Node {
    const t = this.peek();
    if (t.t === 'name' && t.v === 'not') {
      this.next();
      return { k: 'not', a: this.notExpr() };
    }
    return this.comparison();
  }
  private comparison(): Node {
    const a = this.additive();
    const t = this.peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { k: 'bin', op: t.v, a, b: this.additive() };
    }
    if (t.t === 'name' && t.v === 'in') {
      this.next();
      return { k: 'bin', op: 'in', a, b: this.additive() };
    }
    return a;
  }
  private additive(): Node {
    let a = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().v;
      a = { k: 'bin', op, a, b: this.term() };
    }
    return a;
  }
  private term(): Node {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next().v;
      a = { k: 'bin', op, a, b: this.unary() };
    }
    return a;
  }
  private unary(): Node {
    if (this.isOp('-')) {
      this.next();
      const a = this.unary();
      if (a.k === 'lit' && typeof a.v === 'number') return { k: 'lit', v: -a.v };
      if (a.k === 'lit' && a.v instanceof PyFloat) return { k: 'lit', v: new PyFloat(-a.v.value) };
      return { k: 'neg', a };
    }
    return this.postfix();
  }
  private postfix(): Node {
    let n = this.atom();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        n = { k: 'attr', of: n, name: this.next().v };
      } else if (this.isOp('(')) {
        this.next();
        const args: Node[] = [];
        const kwargs: [string, Node][] = [];
        while (!this.isOp(')')) {
          const t = this.peek();
          const after = this.toks[this.i + 1]!;
          if (t.t === 'name' && after.t === 'op' && after.v === '=') {
            this.next();
            this.next();
            kwargs.push([t.v, this.expr()]);
          } else args.push(this.expr());
          if (this.isOp(',')) this.next();
        }
        this.expect(')');
        n = { k: 'call', fn: n, args, kwargs };
      } else if (this.isOp('[')) {
        this.next();
        const key = this.expr();
        this.expect(']');
        n = { k: 'index', of: n, key };
      } else return n;
    }
  }
  private seq(close: string): { items: Node[]; trailingComma: boolean } {
    const items: Node[] = [];
    let trailingComma = false;
    while (!this.isOp(close)) {
      items.push(this.expr());
      trailingComma = false;
      if (this.isOp(',')) {
        this.next();
        trailingComma = true;
      }
    }
    this.expect(close);
    return { items, trailingComma };
  }
  private atom(): Node {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', v: t.val };
    if (t.t === 'str') {
      let s = t.val as string;
      while (this.peek().t === 'str') s += this.next().val as string;
      return { k: 'lit', v: s };
    }
    if (t.t === 'name') {
      if (t.v === 'None') return { k: 'lit', v: null };
      if (t.v === 'True') return { k: 'lit', v: true };
      if (t.v === 'False') return { k: 'lit', v: false };
      return { k: 'name', name: t.v };
    }
    if (t.v === '(') {
      const { items, trailingComma } = this.seq(')');
      if (items.length === 1 && !trailingComma) return items[0]!;
      return { k: 'tuple', items };
    }
    if (t.v === '[') return { k: 'list', items: this.seq(']').items };
    if (t.v === '{') {
      if (this.isOp('}')) {
        this.next();
        return { k: 'dict', items: [] };
      }
      const first = this.expr();
      if (this.isOp(':')) {
        this.next();
        const items: [Node, Node][] = [[first, this.expr()]];
        while (this.isOp(',')) {
          this.next();
          if (this.isOp('}')) break;
          const k = this.expr();
          this.expect(':');
          items.push([k, this.expr()]);
        }
        this.expect('}');
        return { k: 'dict', items };
      }
      const items = [first];
      while (this.isOp(',')) {
        this.next();
        if (this.isOp('}')) break;
        items.push(this.expr());
      }
      this.expect('}');
      return { k: 'set', items };
    }
    throw new Error(`unexpected ${t.v}`);
  }
}

export function parsePy(src: string): Node {
  return new Parser(tokenize(src)).parseAll();
}

function attrOf(obj: unknown, name: string): unknown {
  if (obj instanceof Map) {
    if (obj.has(name)) return obj.get(name);
  } else if (isPlainObject(obj) && Object.prototype.hasOwnProperty.call(obj, name)) {
    return obj[name];
  }
  if ((obj !== null && typeof obj === 'object') || typeof obj === 'function') {
    if (name in (obj as object)) {
      const v = (obj as Record<string, unknown>)[name];
      return typeof v === 'function' && !isPlainObject(obj) ? (v as (...a: unknown[]) => unknown).bind(obj) : v;
    }
  }
  const m = pyMethod(obj, name);
  if (m !== undefined) return m;
  throw new PyError('AttributeError', `no attribute ${name}`);
}

function binary(op: string, a: unknown, b: unknown): unknown {
  if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
    const r = compareDunder(op, a, b);
    if (r !== NotImplemented) return r;
    if (op === '==') return eq(a, b);
    if (op === '!=') return !eq(a, b);
    return compare(op as '<', a, b);
  }
  if (op === 'in') {
    for (const x of iterate(b)) if (eq(x, a)) return true;
    return false;
  }
  const r = binaryDunder(op, a, b);
  if (r !== NotImplemented) return r;
  switch (op) {
    case '+':
      return add(a, b);
    case '-':
      return sub(a, b);
    case '*':
      return mul(a, b);
    case '/':
      return truediv(a, b);
    case '//':
      return floordiv(a, b);
    default:
      return mod(a, b);
  }
}

export type Scope = Record<string, unknown>;

export function evalPy(n: Node, scope: Scope): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'name':
      if (!(n.name in scope)) throw new PyError('NameError', `name '${n.name}' is not defined`);
      return scope[n.name];
    case 'attr':
      return attrOf(evalPy(n.of, scope), n.name);
    case 'index':
      return pyIndex(evalPy(n.of, scope), evalPy(n.key, scope));
    case 'call': {
      const fn = evalPy(n.fn, scope);
      if (typeof fn !== 'function') throw new PyError('TypeError', `'${typeof fn}' object is not callable`);
      const args = n.args.map((a) => evalPy(a, scope));
      if (n.kwargs.length > 0) args.push(new Kwargs(new Map(n.kwargs.map(([k, v]) => [k, evalPy(v, scope)]))));
      return (fn as (...a: unknown[]) => unknown)(...args);
    }
    case 'bin':
      return binary(n.op, evalPy(n.a, scope), evalPy(n.b, scope));
    case 'neg': {
      const a = evalPy(n.a, scope);
      const r = unaryDunder('__neg__', a);
      return r !== NotImplemented ? r : sub(0, a);
    }
    case 'not':
      return !truthy(evalPy(n.a, scope));
    case 'list':
      return n.items.map((x) => evalPy(x, scope));
    case 'tuple':
      return makeTuple(n.items.map((x) => evalPy(x, scope)));
    case 'set':
      return makeSet(n.items.map((x) => evalPy(x, scope)));
    case 'dict':
      return makeDict(n.items.map(([k, v]) => [evalPy(k, scope), evalPy(v, scope)]));
    case 'lambda':
      return (...args: unknown[]) => {
        const inner: Scope = Object.create(scope) as Scope;
        n.params.forEach((p, i) => {
          inner[p] = args[i];
        });
        return evalPy(n.body, inner);
      };
    default:
      throw new Error('unreachable');
  }
}

export interface Outcome {
  str?: string;
  repr?: string;
  error?: string;
  message?: string;
}

/** The builtins the reference runner offers too. */
export function harnessBuiltins(): Scope {
  return {
    list: (x: unknown) => [...iterate(x)],
    tuple: (x: unknown) => makeTuple([...iterate(x)]),
    str: (x: unknown) => pyStr(x),
    repr: (x: unknown) => pyRepr(x),
    len: (x: unknown) => len(x),
    sorted: (x: unknown) => {
      const items = [...iterate(x)];
      return items.sort((a, b) => (compare('<', a, b) ? -1 : compare('<', b, a) ? 1 : 0));
    },
    next: (x: unknown) => {
      const f = (x as { __next__?: () => unknown }).__next__;
      if (typeof f === 'function') return f.call(x);
      throw new PyError('TypeError', `object is not an iterator`);
    },
  };
}

/** Evaluates one case: its str and repr, or the Python exception type. */
export function runCase(src: string, scope: Scope): Outcome {
  let v: unknown;
  try {
    v = evalPy(parsePy(src), scope);
    return { str: pyStr(v), repr: pyRepr(v) };
  } catch (e) {
    if (e instanceof PyError) return { error: e.type, message: e.message };
    return { error: 'JS:' + (e as Error).name, message: (e as Error).stack ?? String(e) };
  }
}
