/**
 * Evaluation of a Jinja2 syntax tree, compiled once into JavaScript closures and run many
 * times. Scoping follows jinja2's generated code: `for` iterations, macro calls, `with`,
 * set blocks and filter blocks get a new frame whose parent is the enclosing one; `if` does
 * not; assignments never leak out of a frame (namespace attributes do). Values follow
 * Python's semantics through py.ts.
 */
import { walk, type CallArgs, type Expr, type Param, type Stmt, type Target } from './ast.js';
import type { FilterEnv, FilterFn, TestFn } from './filters.js';
import * as py from './py.js';
import { NotImplemented, binaryDunder, compareDunder, unaryDunder } from '../context/dunder.js';
import { CONTEXT_FILTERS, IMPOSSIBLE, freshCopy, hasSafeRepr, mayFold, unwritableName, writtenNegative } from './fold.js';
import { Kwargs, Markup, PY_REPR, PY_STR, PyError, Undefined, isKwargs, isPlainObject, makeTuple } from './values.js';

/** Variables of one scope; `parent` is the enclosing scope. */
export class Frame {
  /** Made on the first assignment: most frames (a macro without locals, a loop body) set little. */
  private map: Map<string, unknown> | null = null;
  constructor(readonly parent: Frame | null) {}
  get vars(): Map<string, unknown> {
    return (this.map ??= new Map());
  }
  set(name: string, value: unknown): void {
    (this.map ??= new Map()).set(name, value);
  }
  lookup(name: string): unknown {
    let f: Frame | null = this;
    while (f) {
      const m = f.map;
      if (m !== null) {
        const v = m.get(name);
        if (v !== undefined || m.has(name)) return v;
      }
      f = f.parent;
    }
    return MISSING;
  }
}

export const MISSING: unique symbol = Symbol('missing');

/** The name dbt gives a template's macros. */
export const MACRO_PREFIX = 'dbt_macro__';

/** What a compiled template needs from its environment while it runs. */
export interface Runtime extends FilterEnv {
  /** Names not found in any frame: the render context, then the globals. */
  resolve(name: string, ctx: Record<string, unknown>): unknown;
  /** 'error': printing an undefined value is an error; 'empty': it prints as '' (jinja2's default). */
  readonly undefinedOutput: 'error' | 'empty';
  readonly maxDepth: number;
  readonly maxOutput: number;
  depth: number;
  filterFn(name: string): FilterFn | undefined;
  testFn(name: string): TestFn | undefined;
}

/** The state of one render: its context and where errors point. */
export interface RenderState {
  rt: Runtime;
  ctx: Record<string, unknown>;
  /** Set while the compiler evaluates a constant expression as jinja2's as_const does (fold.ts). */
  folding?: boolean;
}

/**
 * Raised by `{{ return(x) }}` (dbt). A jinja2 macro does not catch it: dbt's MacroGenerator,
 * which wraps the macros of macro files, does (see asDbtMacro).
 */
export class MacroReturn {
  constructor(readonly value: unknown) {}
}

/** Wrap a macro as dbt's MacroGenerator does: `return(x)` inside it makes the call give x. */
export function asDbtMacro(fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const wrapped = (...args: unknown[]): unknown => {
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof MacroReturn) return e.value;
      throw e;
    }
  };
  for (const sym of [MACRO_INFO, PY_STR, PY_REPR]) {
    const v = (fn as unknown as Record<symbol, unknown>)[sym];
    if (v !== undefined) Object.defineProperty(wrapped, sym, { value: v });
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped;
}

/** An error raised while rendering, with the offset and template it came from. */
export class RenderError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly at: number,
    readonly tpl: TemplateInfo,
    readonly original: unknown,
  ) {
    super(message);
  }
}

export interface TemplateInfo {
  name: string;
  source: string;
}

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

type EvalFn = (f: Frame, s: RenderState) => unknown;
type StmtFn = (f: Frame, s: RenderState) => string;

/** Marks a JS function as a macro and holds what `caller`-aware code needs. */
export const MACRO_INFO = Symbol('tx.macro');
export interface MacroInfo {
  name: string;
  params: string[];
  catchKwargs: boolean;
  catchVarargs: boolean;
  caller: boolean;
  file: string;
}

function toRenderError(e: unknown, at: number, tpl: TemplateInfo): unknown {
  if (e instanceof RenderError || e instanceof MacroReturn || e === BREAK || e === CONTINUE) return e;
  if (e instanceof PyError) return new RenderError(e.type, e.message, at, tpl, e);
  if (e instanceof RangeError && /call stack/.test(e.message)) return new RenderError('RecursionError', 'maximum recursion depth exceeded', at, tpl, e);
  if (e instanceof RangeError && /string length/i.test(e.message)) return new RenderError('MemoryError', 'the rendered text grew beyond what one string can hold', at, tpl, e);
  // a JavaScript error from a host function is a bug of tx, reported as such with the place
  if (e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e instanceof SyntaxError)
    return new RenderError('InternalError', `tx failed inside a template function (${e.constructor.name}: ${e.message}); please report it`, at, tpl, e);
  return e; // host errors (TxError and others) keep their identity; the caller adds the place
}

/**
 * Where an error happened: ERROR_AT is the innermost place (a macro's line, say), ERROR_TOP
 * the outermost one seen so far (as it propagates: finally the template being rendered).
 */
export const ERROR_AT = Symbol('tx.error.at');
export const ERROR_TOP = Symbol('tx.error.top');
export interface ErrorPlace {
  at: number;
  tpl: TemplateInfo;
}
function mark(e: unknown, at: number, tpl: TemplateInfo): unknown {
  const r = toRenderError(e, at, tpl);
  if (r !== null && typeof r === 'object' && !(r instanceof MacroReturn) && r !== BREAK && r !== CONTINUE) {
    const o = r as Record<symbol, unknown>;
    try {
      if (!o[ERROR_AT]) o[ERROR_AT] = { at, tpl };
      o[ERROR_TOP] = { at, tpl };
    } catch {
      /* frozen */
    }
  }
  return r;
}

/** The loop variable of a for loop. */
export class LoopContext {
  index0 = -1;
  private lastChanged: unknown = MISSING;
  constructor(
    private readonly items: unknown[],
    readonly depth0: number,
    private readonly recurse: ((items: unknown, depth: number) => string) | null,
  ) {}
  get length(): number {
    return this.items.length;
  }
  get index(): number {
    return this.index0 + 1;
  }
  get revindex(): number {
    return this.items.length - this.index0;
  }
  get revindex0(): number {
    return this.items.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.items.length - 1;
  }
  get depth(): number {
    return this.depth0 + 1;
  }
  get previtem(): unknown {
    return this.index0 > 0 ? this.items[this.index0 - 1] : new Undefined('previtem', 'there is no previous item');
  }
  get nextitem(): unknown {
    return this.index0 + 1 < this.items.length ? this.items[this.index0 + 1] : new Undefined('nextitem', 'there is no next item');
  }
  cycle(...args: unknown[]): unknown {
    if (args.length && isKwargs(args[args.length - 1])) args.pop();
    if (!args.length) throw new PyError('TypeError', 'no items for cycling given');
    return args[this.index0 % args.length];
  }
  changed(...args: unknown[]): boolean {
    if (args.length && isKwargs(args[args.length - 1])) args.pop();
    const v = makeTuple(args);
    if (this.lastChanged === MISSING || !py.eq(this.lastChanged, v)) {
      this.lastChanged = v;
      return true;
    }
    return false;
  }
  __call__(iterable: unknown): string {
    if (!this.recurse) throw new PyError('TypeError', 'The loop must have the \'recursive\' marker to be called recursively.');
    return this.recurse(iterable, this.depth0 + 1);
  }
  [PY_STR](): string {
    return `<LoopContext ${this.index}/${this.length}>`;
  }
  [PY_REPR](): string {
    return this[PY_STR]();
  }
}

/** jinja2's namespace(): attributes that `{% set ns.x = … %}` may assign from any scope. */
export class Namespace {
  constructor(init: Map<string, unknown>) {
    for (const [k, v] of init) (this as unknown as Record<string, unknown>)[k] = v;
  }
  [PY_STR](): string {
    return this[PY_REPR]();
  }
  [PY_REPR](): string {
    const d = py.makeDict(Object.entries(this));
    return `<Namespace ${py.pyRepr(d)}>`;
  }
}

/** Every name an expression of these statements reads (nested macros included, as jinja2 counts them). */
function namesUsed(stmts: Stmt[], out: Set<string>): void {
  walk(stmts, (e) => {
    if (e.k === 'name') out.add(e.n);
  });
}

/** Call a template value: macros, host functions, objects with __call__. */
export function callValue(fn: unknown, args: unknown[], kw: Map<string, unknown> | null): unknown {
  if (typeof fn === 'function') {
    if (kw && kw.size) args.push(new Kwargs(kw));
    return (fn as (...a: unknown[]) => unknown)(...args);
  }
  if (fn instanceof Undefined) {
    const err = new PyError(fn.exc, fn.hint);
    if (fn.hint === `'${fn.name}' is undefined`) (err as PyError & { calledName?: string }).calledName = fn.name;
    throw err;
  }
  if (fn !== null && typeof fn === 'object') {
    const c = (fn as { __call__?: unknown }).__call__;
    if (typeof c === 'function') {
      if (kw && kw.size) args.push(new Kwargs(kw));
      return (c as (...a: unknown[]) => unknown).apply(fn, args);
    }
  }
  throw new PyError('TypeError', `'${py.typeName(fn)}' object is not callable`);
}

/** What `x if cond` gives when cond is false: an Undefined that prints as '' even in tx's strict mode. */
export const INLINE_IF_FALSE = new Undefined('', 'the inline if-expression evaluated to false and no else section was defined.');

function undefinedName(name: string): Undefined {
  return new Undefined(name, `'${name}' is undefined`);
}

/** The keyword arguments of a call that has none (never written to). */
const EMPTY_KW: Map<string, unknown> = new Map();

/** Compiles the statements of one template. */
export class Compiler {
  /** How many `for` loops enclose the code being compiled (within the current macro). */
  private loopDepth = 0;
  /** Constant expressions' values (IMPOSSIBLE where jinja2's as_const fails), each evaluated once. */
  private readonly consts = new Map<Expr, unknown>();
  /** A runtime for folding: its filters and tests, and no variable (resolve raises Impossible). */
  private readonly foldRt: Runtime | undefined;

  constructor(
    readonly tpl: TemplateInfo,
    private readonly checkFilter: (name: string, at: number) => void,
    private readonly checkTest: (name: string, at: number) => void,
    /** The environment, for constant folding as jinja2 folds (none: nothing is folded). */
    rt?: Runtime,
  ) {
    if (rt) {
      const folding = Object.create(rt) as Runtime;
      Object.defineProperty(folding, 'resolve', {
        value: () => {
          throw IMPOSSIBLE;
        },
      });
      this.foldRt = folding;
    }
  }

  /**
   * The value jinja2's as_const gives `e` (fold.ts), with `fn` its closure; IMPOSSIBLE when it
   * has none. Evaluated once per node, in folding mode: no variable, no call, a constant slice
   * through getitem.
   */
  private constValue(e: Expr, fn: EvalFn): unknown {
    if (e.k === 'const') return e.v;
    if (!this.foldRt || !mayFold(e)) return IMPOSSIBLE;
    if (this.consts.has(e)) return this.consts.get(e);
    let v: unknown;
    try {
      v = fn(new Frame(null), { rt: this.foldRt, ctx: Object.create(null) as Record<string, unknown>, folding: true });
    } catch {
      v = IMPOSSIBLE;
    }
    this.consts.set(e, v);
    return v;
  }

  /** A compile-time error at an offset of this template. */
  fail(type: string, message: string, at: number): never {
    throw new RenderError(type, message, at, this.tpl, null);
  }

  block(stmts: Stmt[]): StmtFn {
    const fns = stmts.map((s) => this.stmt(s));
    if (fns.length === 0) return () => '';
    if (fns.length === 1) return fns[0]!;
    return (f, s) => {
      let out = '';
      for (let i = 0; i < fns.length; i++) out += fns[i]!(f, s);
      if (out.length > s.rt.maxOutput) throw new PyError('MemoryError', `the rendered text is longer than tx's limit of ${s.rt.maxOutput} characters`);
      return out;
    };
  }

  private guard<T>(at: number, fn: (f: Frame, s: RenderState) => T): (f: Frame, s: RenderState) => T {
    const tpl = this.tpl;
    return (f, s) => {
      try {
        return fn(f, s);
      } catch (e) {
        throw mark(e, at, tpl);
      }
    };
  }

  stmt(s: Stmt): StmtFn {
    switch (s.k) {
      case 'data': {
        const text = s.s;
        return () => text;
      }
      case 'out': {
        let e = this.expr(s.e);
        // jinja2 prints a constant expression as it compiles, whatever its value (an undefined one too)
        const c = this.constValue(s.e, e);
        if (c !== IMPOSSIBLE) e = () => c;
        return this.guard(startOf(s.e), (f, st) => {
          const v = e(f, st);
          if (typeof v === 'string') return v;
          if (v instanceof Undefined) {
            if (st.rt.undefinedOutput === 'empty' || v === INLINE_IF_FALSE) return '';
            throw new PyError(v.exc, v.hint);
          }
          return py.pyStr(v);
        });
      }
      case 'if': {
        const test = this.expr(s.test);
        const body = this.block(s.body);
        const orelse = this.block(s.orelse);
        const at = s.test.at;
        const tpl = this.tpl;
        return (f, st) => {
          let t: boolean;
          try {
            t = py.truthy(test(f, st));
          } catch (e) {
            throw mark(e, at, tpl);
          }
          return t ? body(f, st) : orelse(f, st);
        };
      }
      case 'for':
        return this.forLoop(s);
      case 'set': {
        const e = this.expr(s.e);
        const assign = this.assigner(s.target);
        return this.guard(s.at, (f, st) => {
          assign(f, e(f, st));
          return '';
        });
      }
      case 'setblock': {
        const body = this.block(s.body);
        const filter = s.filter ? this.filterChain(s.filter) : null;
        const assign = this.assigner(s.target);
        return this.guard(s.at, (f, st) => {
          let v: unknown = body(new Frame(f), st);
          if (filter) v = filter(v, f, st);
          assign(f, v);
          return '';
        });
      }
      case 'macro': {
        // dbt's parser stores `{% macro m %}` as `dbt_macro__m` (MacroFuzzParser); macro files are
        // read back without the prefix, and a template cannot call its own macros by plain name.
        const name = MACRO_PREFIX + s.name;
        const make = this.macro(name, s.params, s.body, s.at);
        return (f, st) => {
          f.set(name, make(f, st));
          return '';
        };
      }
      case 'callblock': {
        const callerMake = this.macro('caller', s.params, s.body, s.at);
        const call = s.call as Extract<Expr, { k: 'call' }>;
        const fn = this.expr(call.f);
        const args = this.args(call);
        return this.guard(s.at, (f, st) => {
          const caller = callerMake(f, st);
          const { pos, kw: given } = args(f, st);
          const kw = new Map(given);
          kw.set('caller', caller);
          const v = callValue(fn(f, st), pos, kw);
          if (v instanceof Undefined) {
            if (st.rt.undefinedOutput === 'empty') return '';
            throw new PyError(v.exc, v.hint);
          }
          return typeof v === 'string' ? v : py.pyStr(v);
        });
      }
      case 'filterblock': {
        const body = this.block(s.body);
        const filter = this.filterChain(s.filter);
        return this.guard(s.at, (f, st) => py.pyStr(filter(body(new Frame(f), st), f, st)));
      }
      case 'with': {
        const values = s.targets.map(([t, e]) => [this.assigner(t), this.expr(e)] as const);
        const body = this.block(s.body);
        return this.guard(s.at, (f, st) => {
          const inner = new Frame(f);
          const vals = values.map(([, e]) => e(f, st));
          values.forEach(([assign], i) => assign(inner, vals[i]));
          return body(inner, st);
        });
      }
      case 'do': {
        const e = this.expr(s.e);
        return this.guard(s.at, (f, st) => {
          e(f, st);
          return '';
        });
      }
      case 'break':
        if (this.loopDepth === 0) this.fail('TemplateSyntaxError', "'break' outside loop", s.at);
        return () => {
          throw BREAK;
        };
      case 'continue':
        if (this.loopDepth === 0) this.fail('TemplateSyntaxError', "'continue' not properly in loop", s.at);
        return () => {
          throw CONTINUE;
        };
      case 'scope': {
        const body = this.block(s.body);
        return (f, st) => body(new Frame(f), st);
      }
      case 'raise': {
        const { type, message } = s;
        return this.guard(s.at, () => {
          throw new PyError(type, message);
        });
      }
    }
  }

  /** A function storing a value into a target in a frame. */
  private assigner(t: Target): (f: Frame, v: unknown) => void {
    switch (t.k) {
      case 'name': {
        const n = t.n;
        return (f, v) => void f.set(n, v);
      }
      case 'nsref': {
        const { ns, attr } = t;
        return (f, v) => {
          const o = f.lookup(ns);
          if (!(o instanceof Namespace)) throw new PyError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
          (o as unknown as Record<string, unknown>)[attr] = v;
        };
      }
      case 'tuple': {
        const subs = t.items.map((x) => this.assigner(x));
        const n = subs.length;
        return (f, v) => {
          const items = [...py.iterate(v)];
          if (items.length < n) throw new PyError('ValueError', `not enough values to unpack (expected ${n}, got ${items.length})`);
          if (items.length > n) throw new PyError('ValueError', `too many values to unpack (expected ${n})`);
          for (let i = 0; i < n; i++) subs[i]!(f, items[i]);
        };
      }
    }
  }

  private forLoop(s: Extract<Stmt, { k: 'for' }>): StmtFn {
    const iter = this.expr(s.iter);
    const filter = s.filter ? this.expr(s.filter) : null;
    const assign = this.assigner(s.target);
    const targetNames: string[] = [];
    const collect = (t: Target): void => {
      if (t.k === 'name') targetNames.push(t.n);
      else if (t.k === 'tuple') t.items.forEach(collect);
    };
    collect(s.target);
    if (targetNames.includes('loop')) this.fail('TemplateAssertionError', "Can't assign to special loop variable in for-loop target", s.at);
    this.loopDepth++;
    let body: StmtFn;
    try {
      body = this.block(s.body);
    } finally {
      this.loopDepth--;
    }
    const orelse = this.block(s.orelse);
    const recursive = s.recursive;
    const hasElse = s.orelse.length > 0;
    const at = s.at;
    const tpl = this.tpl;
    const run = (iterable: unknown, depth0: number, f: Frame, st: RenderState): string => {
      let items: unknown[];
      try {
        items = Array.isArray(iterable) ? (iterable as unknown[]) : [...py.iterate(iterable)];
        if (filter) {
          const kept: unknown[] = [];
          for (const it of items) {
            const inner = new Frame(f);
            assign(inner, it);
            if (py.truthy(filter(inner, st))) kept.push(it);
          }
          items = kept;
        }
      } catch (e) {
        throw mark(e, at, tpl);
      }
      const loop = new LoopContext(items, depth0, recursive ? (it, d) => run(it, d, f, st) : null);
      let out = '';
      // jinja2 marks the loop as iterated at the end of a body that ran through, so the else
      // branch also runs when every iteration ended in break or continue
      let iterated = false;
      const max = st.rt.maxOutput;
      for (let i = 0; i < items.length; i++) {
        loop.index0 = i;
        const inner = new Frame(f);
        inner.set('loop', loop);
        try {
          assign(inner, items[i]);
        } catch (e) {
          throw mark(e, at, tpl);
        }
        try {
          out += body(inner, st);
          iterated = true;
        } catch (e) {
          if (e === CONTINUE) continue;
          if (e === BREAK) break;
          throw e;
        }
        if (out.length > max) throw mark(new PyError('MemoryError', `the rendered text is longer than tx's limit of ${max} characters`), at, tpl);
      }
      if (!iterated && hasElse) out += orelse(f, st);
      return out;
    };
    const iterAt = s.iter.at;
    return (f, st) => {
      let it: unknown;
      try {
        it = iter(f, st);
      } catch (e) {
        throw mark(e, iterAt, tpl);
      }
      return run(it, 0, f, st);
    };
  }

  /** A macro definition: returns a factory making the callable in the defining frame. */
  private macro(name: string, params: Param[], bodyStmts: Stmt[], at: number): (f: Frame, st: RenderState) => (...a: unknown[]) => unknown {
    const outerLoops = this.loopDepth;
    this.loopDepth = 0;
    let body: StmtFn;
    try {
      body = this.block(bodyStmts);
    } finally {
      this.loopDepth = outerLoops;
    }
    const defaults = params.map((p) => (p.default ? this.expr(p.default) : null));
    const names = params.map((p) => p.name);
    const used = new Set<string>();
    namesUsed(bodyStmts, used);
    const catchKwargs = used.has('kwargs');
    const catchVarargs = used.has('varargs');
    const explicitCaller = names.includes('caller');
    const caller = used.has('caller') && !explicitCaller;
    const count = names.length;
    const info: MacroInfo = { name, params: names, catchKwargs, catchVarargs, caller, file: this.tpl.name };
    const tpl = this.tpl;
    return (def, st) => {
      const fn = (...all: unknown[]): unknown => {
        let kw: Map<string, unknown> | null = null;
        if (all.length && isKwargs(all[all.length - 1])) kw = new Map((all.pop() as Kwargs).values);
        const frame = new Frame(def);
        const rt = st.rt;
        for (let i = 0; i < count; i++) {
          const pname = names[i]!;
          let v: unknown = MISSING;
          if (i < all.length) v = all[i];
          else if (kw && kw.has(pname)) {
            v = kw.get(pname);
            kw.delete(pname);
          }
          if (v === MISSING) {
            const d = defaults[i];
            v = d ? d(frame, st) : new Undefined(pname, `parameter '${pname}' was not provided`);
          }
          frame.set(pname, v);
        }
        if (caller) {
          let c: unknown = kw?.get('caller');
          if (kw) kw.delete('caller');
          if (c === undefined || c === null) c = new Undefined('caller', 'No caller defined');
          frame.set('caller', c);
        }
        if (catchKwargs) frame.set('kwargs', py.makeDict(kw ? [...kw] : []));
        else if (kw && kw.size) {
          if (kw.has('caller')) throw new PyError('TypeError', `macro '${name}' was invoked with two values for the special caller argument. This is most likely a bug.`);
          throw new PyError('TypeError', `macro '${name}' takes no keyword argument '${kw.keys().next().value}'`);
        }
        if (catchVarargs) frame.set('varargs', makeTuple(all.slice(count)));
        else if (all.length > count) throw new PyError('TypeError', `macro '${name}' takes not more than ${count} argument(s)`);
        if (++rt.depth > rt.maxDepth) {
          rt.depth--;
          throw new PyError('RecursionError', `maximum recursion depth exceeded: macros nested more than ${rt.maxDepth} deep (a macro that calls itself without end?)`);
        }
        try {
          return body(frame, st);
        } catch (e) {
          if (e === BREAK || e === CONTINUE) throw mark(new PyError('TemplateSyntaxError', 'break or continue outside of a loop'), at, tpl);
          throw e;
        } finally {
          rt.depth--;
        }
      };
      Object.defineProperty(fn, MACRO_INFO, { value: info });
      Object.defineProperty(fn, 'name', { value: name });
      (fn as unknown as Record<symbol, unknown>)[PY_STR] = () => `<Macro '${name}'>`;
      (fn as unknown as Record<symbol, unknown>)[PY_REPR] = () => `<Macro '${name}'>`;
      return fn;
    };
  }

  private args(a: CallArgs): (f: Frame, st: RenderState) => { pos: unknown[]; kw: Map<string, unknown> } {
    const pos = a.args.map((x) => this.expr(x));
    const kw = a.kw.map(([k, x]) => [k, this.expr(x)] as const);
    const dynArgs = a.dynArgs ? this.expr(a.dynArgs) : null;
    const dynKw = a.dynKw ? this.expr(a.dynKw) : null;
    return (f, st) => {
      const p: unknown[] = new Array(pos.length);
      for (let i = 0; i < pos.length; i++) p[i] = pos[i]!(f, st);
      if (dynArgs) for (const x of py.iterate(dynArgs(f, st))) p.push(x);
      const k = kw.length || dynKw ? new Map<string, unknown>() : EMPTY_KW;
      for (const [name, e] of kw) k.set(name, e(f, st));
      if (dynKw) {
        const d = dynKw(f, st);
        if (d instanceof Map) for (const [key, v] of d) k.set(String(key), v);
        else if (isPlainObject(d)) for (const key of Object.keys(d)) k.set(key, d[key]);
        else throw new PyError('TypeError', `argument after ** must be a mapping, not ${py.typeName(d)}`);
      }
      return { pos: p, kw: k };
    };
  }

  /** A filter expression whose innermost node is null (set blocks, filter blocks), as a function of the value. */
  private filterChain(e: Expr): (v: unknown, f: Frame, st: RenderState) => unknown {
    if (e.k !== 'filter') throw new Error('not a filter chain');
    const inner = e.node ? this.filterChain(e.node) : null;
    this.checkFilter(e.name, e.at);
    const args = this.args(e);
    const name = e.name;
    return (v, f, st) => {
      const value = inner ? inner(v, f, st) : v;
      const { pos, kw } = args(f, st);
      return st.rt.filterFn(name)!(st.rt, value, pos, kw);
    };
  }

  /** An expression's closure; a constant one (jinja2's optimizer folds it) gives its value. */
  expr(e: Expr): EvalFn {
    const fn = this.exprClosure(e);
    const v = this.constValue(e, fn);
    if (v === IMPOSSIBLE || (e.k !== 'const' && !hasSafeRepr(v))) return fn;
    // an infinite or NaN float is written `inf` / `nan` in jinja2's generated source: a NameError as it runs
    const unwritable = unwritableName(v);
    if (unwritable !== undefined) {
      return (f, st) => {
        if (st.folding) return v;
        throw new PyError('NameError', `name '${unwritable}' is not defined`);
      };
    }
    if (e.k === 'const') return fn;
    return Array.isArray(v) || v instanceof Map || v instanceof Set ? () => freshCopy(v) : () => v;
  }

  private exprClosure(e: Expr): EvalFn {
    switch (e.k) {
      case 'const': {
        const v = e.v;
        return () => v;
      }
      case 'name': {
        const n = e.n;
        return (f, st) => {
          const v = f.lookup(n);
          if (v !== MISSING) return v;
          const r = st.rt.resolve(n, st.ctx);
          return r === MISSING ? undefinedName(n) : r;
        };
      }
      case 'getattr': {
        const o = this.expr(e.o);
        const n = e.n;
        return this.guard(startOf(e.o), (f, st) => {
          const obj = o(f, st);
          if (obj instanceof LoopContext) return loopAttr(obj, n);
          if (typeof obj === 'function') {
            if ((obj as unknown as Record<symbol, unknown>)[MACRO_INFO]) return macroAttr(obj as unknown as Record<symbol, MacroInfo>, n);
            // a host class (modules.datetime.datetime): its static members are its attributes
            if (!n.startsWith('_') && n in obj && n !== 'prototype' && n !== 'length' && n !== 'name') {
              const v = (obj as unknown as Record<string, unknown>)[n];
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(obj) : v;
            }
          }
          return py.getAttr(obj, n);
        });
      }
      case 'getitem': {
        const o = this.expr(e.o);
        if (e.i.k === 'slice') {
          const sl = e.i;
          const a = sl.start ? this.expr(sl.start) : null;
          const b = sl.stop ? this.expr(sl.stop) : null;
          const c = sl.step ? this.expr(sl.step) : null;
          // a constant slice goes through getitem, which makes a failed one undefined (fold.ts)
          return this.guard(e.at, (f, st) =>
            st.folding ? py.getItem(o(f, st), new py.PySlice(a ? a(f, st) : null, b ? b(f, st) : null, c ? c(f, st) : null)) : py.sliceOf(o(f, st), a ? a(f, st) : null, b ? b(f, st) : null, c ? c(f, st) : null),
          );
        }
        const i = this.expr(e.i);
        return this.guard(e.at, (f, st) => py.getItem(o(f, st), i(f, st)));
      }
      case 'slice':
        throw new PyError('TemplateSyntaxError', 'a slice is only allowed inside [ ]');
      case 'call':
        return this.call(e);
      case 'filter': {
        if (!e.node) throw new Error('filter without a value');
        this.checkFilter(e.name, e.at);
        const node = this.expr(e.node);
        const args = this.args(e);
        const name = e.name;
        const contextual = CONTEXT_FILTERS.has(name);
        return this.guard(e.at, (f, st) => {
          if (contextual && st.folding) throw IMPOSSIBLE;
          const v = node(f, st);
          const { pos, kw } = args(f, st);
          return st.rt.filterFn(name)!(st.rt, v, pos, kw);
        });
      }
      case 'test': {
        this.checkTest(e.name, e.at);
        const node = this.expr(e.node);
        const args = this.args(e);
        const name = e.name;
        return this.guard(e.at, (f, st) => {
          const v = node(f, st);
          const { pos, kw } = args(f, st);
          if (kw.size) pos.push(new Kwargs(kw));
          return st.rt.testFn(name)!(st.rt, v, pos);
        });
      }
      case 'list': {
        const items = e.items.map((x) => this.expr(x));
        return (f, st) => items.map((x) => x(f, st));
      }
      case 'tuple': {
        const items = e.items.map((x) => this.expr(x));
        return (f, st) => makeTuple(items.map((x) => x(f, st)));
      }
      case 'dict': {
        const items = e.items.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        return this.guard(e.at, (f, st) => py.makeDict(items.map(([k, v]) => [k(f, st), v(f, st)])));
      }
      case 'cond': {
        const test = this.expr(e.test);
        const a = this.expr(e.a);
        const b = e.b ? this.expr(e.b) : null;
        return this.guard(e.at, (f, st) => {
          if (py.truthy(test(f, st))) return a(f, st);
          if (b) return b(f, st);
          // "if we evaluate to an undefined object, we better do that at runtime" (jinja2)
          if (st.folding) throw IMPOSSIBLE;
          return INLINE_IF_FALSE;
        });
      }
      case 'un': {
        const a = this.expr(e.a);
        if (e.op === 'not') return this.guard(e.at, (f, st) => !py.truthy(a(f, st)));
        // a host object's __neg__ / __pos__ (timedelta) first
        const dunder = e.op === '-' ? '__neg__' : '__pos__';
        const op = e.op === '-' ? py.neg : py.pos;
        return this.guard(e.at, (f, st) => {
          const x = a(f, st);
          if (isHostObject(x)) {
            const r = unaryDunder(dunder, x);
            if (r !== NotImplemented) return r;
          }
          return op(x);
        });
      }
      case 'bin': {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        switch (e.op) {
          case 'and':
            return this.guard(e.at, (f, st) => {
              const x = a(f, st);
              return py.truthy(x) ? b(f, st) : x;
            });
          case 'or':
            return this.guard(e.at, (f, st) => {
              const x = a(f, st);
              return py.truthy(x) ? x : b(f, st);
            });
          case '+':
            return this.guard(e.at, (f, st) => {
              const x = a(f, st);
              const y = b(f, st);
              if (typeof x === 'string' && typeof y === 'string') return checkLen(x + y, st);
              return checkLen(arith('+', py.add, x, y), st);
            });
          case '-':
            return this.guard(e.at, (f, st) => arith('-', py.sub, a(f, st), b(f, st)));
          case '*':
            return this.guard(e.at, (f, st) => {
              const x = a(f, st);
              const y = b(f, st);
              const lim = st.rt.maxOutput;
              if (typeof x === 'string' && typeof y === 'number' && x.length * y > lim) throw tooLong(lim);
              if (typeof y === 'string' && typeof x === 'number' && y.length * x > lim) throw tooLong(lim);
              if (Array.isArray(x) && typeof y === 'number' && x.length * y > lim) throw tooLong(lim);
              return arith('*', py.mul, x, y);
            });
          case '/':
            return this.guard(e.at, (f, st) => arith('/', py.truediv, a(f, st), b(f, st)));
          case '//':
            return this.guard(e.at, (f, st) => arith('//', py.floordiv, a(f, st), b(f, st)));
          case '%':
            return this.guard(e.at, (f, st) => checkLen(arith('%', py.mod, a(f, st), b(f, st)), st));
          case '**': {
            // a folded negative left operand is written `-2` in jinja2's generated source, where
            // `-2 ** x` is -(2 ** x) (fold.ts)
            const left = this.constValue(e.a, a);
            // (with a constant exponent too jinja2 computes the power as it compiles: only one tx
            // cannot, a complex number, gets here, and raises)
            if (left !== IMPOSSIBLE && hasSafeRepr(left) && writtenNegative(left) && this.constValue(e.b, b) === IMPOSSIBLE) {
              const abs = py.neg(left);
              // (as_const computes the power itself: the source is not involved)
              return this.guard(e.at, (f, st) => (st.folding ? arith('**', py.pow, left, b(f, st)) : py.neg(arith('**', py.pow, abs, b(f, st)))));
            }
            return this.guard(e.at, (f, st) => arith('**', py.pow, a(f, st), b(f, st)));
          }
          case '~':
            return this.guard(e.at, (f, st) => {
              const x = a(f, st);
              const y = b(f, st);
              // jinja2 joins str(x) and str(y), and str() of an undefined value is '': tx's strict
              // mode refuses that as it refuses printing one (an INLINE_IF_FALSE stays '')
              if (st.rt.undefinedOutput === 'error') {
                if (x instanceof Undefined && x !== INLINE_IF_FALSE) throw new PyError(x.exc, x.hint);
                if (y instanceof Undefined && y !== INLINE_IF_FALSE) throw new PyError(y.exc, y.hint);
              }
              return checkLen(py.concat(x instanceof Undefined ? '' : x, y instanceof Undefined ? '' : y), st);
            });
          default:
            throw new Error(`unknown operator ${e.op}`);
        }
      }
      case 'compare': {
        const first = this.expr(e.first);
        const ops = e.ops.map(([op, x]) => [op, this.expr(x)] as const);
        return this.guard(e.at, (f, st) => {
          let left = first(f, st);
          for (const [op, x] of ops) {
            const right = x(f, st);
            let ok: boolean;
            if ((isHostObject(left) || isHostObject(right)) && op !== 'in' && op !== 'notin') {
              const r = compareDunder(op, left, right);
              if (r !== NotImplemented) {
                if (!py.truthy(r)) return false;
                left = right;
                continue;
              }
            }
            switch (op) {
              case '==':
                ok = py.eq(left, right);
                break;
              case '!=':
                ok = !py.eq(left, right);
                break;
              case 'in':
                ok = py.contains(right, left);
                break;
              case 'notin':
                ok = !py.contains(right, left);
                break;
              default:
                ok = py.compare(op as py.CompareOp, left, right);
            }
            if (!ok) return false;
            left = right;
          }
          return true;
        });
      }
    }
  }

  private call(e: Extract<Expr, { k: 'call' }>): EvalFn {
    const fn = this.expr(e.f);
    const args = this.args(e);
    // an error in a call points at the start of the callee (`boom(` rather than its parenthesis)
    return this.guard(startOf(e.f), (f, st) => {
      if (st.folding) throw IMPOSSIBLE;
      const callee = fn(f, st);
      const { pos, kw } = args(f, st);
      return callValue(callee, pos, kw.size ? kw : null);
    });
  }
}

/** An object of the host (datetime, timedelta, …) that may define Python's operator methods. */
function isHostObject(x: unknown): boolean {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Map) && !(x instanceof Set) && !(x instanceof Undefined) && !(x instanceof Markup);
}

/** A binary operator: Python's __op__/__rop__ methods of host objects first, then py.ts. */
function arith(op: string, fn: (a: unknown, b: unknown) => unknown, a: unknown, b: unknown): unknown {
  if (isHostObject(a) || isHostObject(b)) {
    const r = binaryDunder(op, a, b);
    if (r !== NotImplemented) return r;
  }
  return fn(a, b);
}

/** Where an expression starts in the source (its leftmost token). */
function startOf(e: Expr): number {
  switch (e.k) {
    case 'getattr':
    case 'getitem':
      return startOf(e.o);
    case 'call':
      return startOf(e.f);
    case 'filter':
    case 'test':
      return e.node ? startOf(e.node) : e.at;
    case 'bin':
      return startOf(e.a);
    case 'compare':
      return startOf(e.first);
    default:
      return e.at;
  }
}

function tooLong(lim: number): PyError {
  return new PyError('MemoryError', `the string would be longer than tx's limit of ${lim} characters`);
}

function checkLen<T>(v: T, st: RenderState): T {
  if (typeof v === 'string' && v.length > st.rt.maxOutput) throw tooLong(st.rt.maxOutput);
  return v;
}

/** The attributes of a jinja2 Macro object. */
function macroAttr(fn: Record<symbol, MacroInfo>, n: string): unknown {
  const info = fn[MACRO_INFO]!;
  switch (n) {
    case 'name':
      return info.name;
    case 'arguments':
      return makeTuple([...info.params]);
    case 'catch_kwargs':
      return info.catchKwargs;
    case 'catch_varargs':
      return info.catchVarargs;
    case 'caller':
      return info.caller;
    default:
      return new Undefined(n, `'Macro object' has no attribute '${n}'`);
  }
}

function loopAttr(loop: LoopContext, n: string): unknown {
  switch (n) {
    case 'index':
    case 'index0':
    case 'revindex':
    case 'revindex0':
    case 'first':
    case 'last':
    case 'length':
    case 'depth':
    case 'depth0':
    case 'previtem':
    case 'nextitem':
      return loop[n];
    case 'cycle':
      return loop.cycle.bind(loop);
    case 'changed':
      return loop.changed.bind(loop);
    default:
      return new Undefined(n, `'jinja2.runtime.LoopContext object' has no attribute '${n}'`);
  }
}

export { Markup };
