/**
 * tx's Jinja2 environment: jinja2's default globals, filters and tests, dbt's extensions
 * and settings (do, loopcontrols; no autoescape; trim_blocks and lstrip_blocks off), and
 * templates compiled once and rendered many times. `undefinedOutput` chooses what printing
 * an undefined value does: jinja2 prints '' ('empty'); tx's compiler makes it an error
 * ('error'), so a misspelt name never becomes silently empty SQL.
 */
import type { Stmt } from './ast.js';
import { Compiler, ERROR_AT, ERROR_TOP, Frame, MISSING, MacroReturn, Namespace, RenderError, type ErrorPlace, type RenderState, type Runtime, type TemplateInfo } from './compile.js';
import { FILTERS, type FilterFn, type TestFn } from './filters.js';
import { TESTS } from './tests.js';
import { lineCol } from './position.js';
import { SyntaxErr, parseTemplate } from './parser.js';
import * as py from './py.js';
import { PY_REPR, PY_STR, PyError, Undefined, isKwargs, splitArgs } from './values.js';

export interface EnvironmentOptions {
  undefinedOutput?: 'error' | 'empty';
  /** Deepest macro nesting before a RecursionError (default 200). */
  maxDepth?: number;
  /** Longest rendered text or string, in characters (default 200,000,000). */
  maxOutput?: number;
}

/** A template error with jinja2's exception type and the place in the template. */
export class TemplateError extends Error {
  constructor(
    readonly pyType: string,
    message: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly original?: unknown,
    /** Where it happened when that is not the template rendered (a macro in another file). */
    readonly inner?: { file: string; line: number; column: number },
  ) {
    super(message);
  }
}

/** The outermost and innermost places an error passed through, as file:line:col. */
export function errorPlaces(e: unknown): { top?: { file: string; line: number; column: number }; inner?: { file: string; line: number; column: number } } {
  if (e === null || typeof e !== 'object') return {};
  const o = e as Record<symbol, ErrorPlace | undefined>;
  const conv = (p: ErrorPlace | undefined) => (p ? { file: p.tpl.name, ...lineCol(p.tpl.source, p.at) } : undefined);
  const top = conv(o[ERROR_TOP]);
  const inner = conv(o[ERROR_AT]);
  // within one template the innermost place is the precise one
  if (inner && top && inner.file === top.file) return { top: inner };
  return { top, inner };
}

export class Environment implements Runtime {
  readonly globals: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  // null-prototype copies: `'constructor' is filter` must be False, as in jinja2
  readonly filters: Record<string, FilterFn> = Object.assign(Object.create(null) as Record<string, FilterFn>, FILTERS);
  readonly tests: Record<string, TestFn> = Object.assign(Object.create(null) as Record<string, TestFn>, TESTS);
  readonly undefinedOutput: 'error' | 'empty';
  readonly maxDepth: number;
  readonly maxOutput: number;
  depth = 0;

  constructor(opts: EnvironmentOptions = {}) {
    this.undefinedOutput = opts.undefinedOutput ?? 'empty';
    this.maxDepth = opts.maxDepth ?? 200;
    this.maxOutput = opts.maxOutput ?? 200_000_000;
    Object.assign(this.globals, defaultGlobals());
  }

  resolve(name: string, ctx: Record<string, unknown>): unknown {
    if (Object.prototype.hasOwnProperty.call(ctx, name)) return ctx[name];
    const g = this.globals[name];
    if (g !== undefined || name in this.globals) return g;
    return MISSING;
  }
  filter(name: string): FilterFn | undefined {
    return this.filters[name];
  }
  test(name: string): TestFn | undefined {
    return this.tests[name];
  }
  filterFn(name: string): FilterFn | undefined {
    return this.filters[name];
  }
  testFn(name: string): TestFn | undefined {
    return this.tests[name];
  }
  call(fn: unknown, args: unknown[], kwargs?: Map<string, unknown>): unknown {
    return callValueExported(fn, args, kwargs ?? null);
  }

  /** Parse and compile a template; syntax errors are TemplateError('TemplateSyntaxError'). */
  fromString(source: string, name = '<template>'): Template {
    let ast;
    try {
      ast = parseTemplate(source);
    } catch (e) {
      if (e instanceof SyntaxErr) {
        const src = normalizedForError(source);
        const { line, column } = lineCol(src, e.at);
        throw new TemplateError(e.type, e.message, name, line, column, e);
      }
      throw e;
    }
    const info: TemplateInfo = { name, source: ast.source };
    const body = ast.body;
    // compiled to closures on first use: a model read only for its refs never pays for it,
    // and thousands of compiled templates are not all alive at once
    const compile = (): ((f: Frame, s: RenderState) => string) => {
      const compiler = new Compiler(
        info,
        (n, at) => {
          if (!this.filters[n]) throw syntaxAt('TemplateAssertionError', `No filter named '${n}'.`, info, at);
        },
        (n, at) => {
          if (!this.tests[n]) throw syntaxAt('TemplateAssertionError', `No test named '${n}'.`, info, at);
        },
        this,
      );
      try {
        return compiler.block(body);
      } catch (e) {
        throw toTemplateError(e, info);
      }
    };
    return new Template(this, info, body, compile);
  }
}

function normalizedForError(source: string): string {
  return source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
}

function syntaxAt(type: string, msg: string, info: TemplateInfo, at: number): TemplateError {
  const { line, column } = lineCol(info.source, at);
  return new TemplateError(type, msg, info.name, line, column);
}

/** Turn anything thrown while rendering into a TemplateError with a place, or rethrow host errors. */
export function toTemplateError(e: unknown, info: TemplateInfo): unknown {
  if (e instanceof TemplateError) return e;
  if (e instanceof RenderError) {
    const { top, inner } = errorPlaces(e);
    if (top) return new TemplateError(e.type, e.message, top.file, top.line, top.column, e.original, inner);
    const { line, column } = lineCol(e.tpl.source, e.at);
    return new TemplateError(e.type, e.message, e.tpl.name, line, column, e.original);
  }
  if (e instanceof PyError) return new TemplateError(e.type, e.message, info.name, undefined, undefined, e);
  return e;
}

export class Template {
  private compiled: ((f: Frame, s: RenderState) => string) | null = null;
  constructor(
    readonly env: Environment,
    readonly info: TemplateInfo,
    readonly ast: Stmt[],
    private readonly compile: () => (f: Frame, s: RenderState) => string,
  ) {}

  /** The compiled body (compile-time errors such as an unknown filter surface here). */
  private get body(): (f: Frame, s: RenderState) => string {
    return (this.compiled ??= this.compile());
  }

  get name(): string {
    return this.info.name;
  }

  /** Render with a context (names looked up before the globals). */
  render(ctx: Record<string, unknown> = {}): string {
    const st: RenderState = { rt: this.env, ctx };
    const depth = this.env.depth;
    try {
      return this.body(new Frame(null), st);
    } catch (e) {
      if (e instanceof MacroReturn) throw new TemplateError('MacroReturn', `return(${py.pyRepr(e.value)}) outside of a macro`, this.info.name, undefined, undefined, e);
      throw toTemplateError(e, this.info);
    } finally {
      this.env.depth = depth;
    }
  }

  /**
   * Run the template's top level and return what it defines (macros and top-level
   * variables), as jinja2's `Template.module` does; macros stay bound to `ctx`.
   */
  makeModule(ctx: Record<string, unknown> = {}): Record<string, unknown> {
    const st: RenderState = { rt: this.env, ctx };
    const frame = new Frame(null);
    try {
      this.body(frame, st);
    } catch (e) {
      throw toTemplateError(e, this.info);
    }
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of frame.vars) if (!k.startsWith('_')) out[k] = v;
    return out;
  }
}

import { callValue as callValueExported } from './compile.js';

class Cycler {
  private pos = 0;
  constructor(readonly items: unknown[]) {
    if (!items.length) throw new PyError('RuntimeError', 'at least one item has to be provided');
  }
  get current(): unknown {
    return this.items[this.pos];
  }
  reset(): null {
    this.pos = 0;
    return null;
  }
  next(): unknown {
    const v = this.items[this.pos];
    this.pos = (this.pos + 1) % this.items.length;
    return v;
  }
}

class Joiner {
  private used = false;
  constructor(readonly sep: string) {}
  __call__(): string {
    if (!this.used) {
      this.used = true;
      return '';
    }
    return this.sep;
  }
}

function intArg(x: unknown): number {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new PyError('TypeError', `'${py.typeName(x)}' object cannot be interpreted as an integer`);
  return x;
}

/** Python's dict(*args, **kwargs). */
function pyDict(...args: unknown[]): Map<unknown, unknown> {
  const { pos, kw } = splitArgs(args);
  const d = new Map<unknown, unknown>();
  if (pos.length > 1) throw new PyError('TypeError', `dict expected at most 1 argument, got ${pos.length}`);
  if (pos.length === 1) {
    const src = pos[0];
    if (src instanceof Map) for (const [k, v] of src) py.dictSet(d, k, v);
    else if (src !== null && typeof src === 'object' && Object.getPrototypeOf(src) === Object.prototype) for (const [k, v] of Object.entries(src)) d.set(k, v);
    else {
      let i = 0;
      for (const item of py.iterate(src)) {
        const pair = [...py.iterate(item)];
        if (pair.length !== 2) throw new PyError('ValueError', `dictionary update sequence element #${i} has length ${pair.length}; 2 is required`);
        py.dictSet(d, pair[0], pair[1]);
        i++;
      }
    }
  }
  for (const [k, v] of kw) d.set(k, v);
  return d;
}

/** jinja2's DEFAULT_NAMESPACE (range, dict, cycler, joiner, namespace) and dbt's `return`. */
function defaultGlobals(): Record<string, unknown> {
  return {
    // dbt's base context: `{{ return(x) }}` makes the macro being called return x
    return: (...args: unknown[]) => {
      throw new MacroReturn(args[0] ?? null);
    },
    range: (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      if (kw.size) throw new PyError('TypeError', 'range() takes no keyword arguments');
      if (pos.length === 0) throw new PyError('TypeError', 'range expected at least 1 argument, got 0');
      if (pos.length > 3) throw new PyError('TypeError', `range expected at most 3 arguments, got ${pos.length}`);
      const n = pos.map((x) => intArg(x));
      const r = n.length === 1 ? new py.PyRange(0, n[0]!, 1) : new py.PyRange(n[0]!, n[1]!, n.length === 3 ? n[2]! : 1);
      // dbt's environment is jinja2's sandbox, which refuses ranges over MAX_RANGE
      if (r.size > MAX_RANGE) throw new PyError('OverflowError', `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`);
      return r;
    },
    dict: pyDict,
    namespace: (...args: unknown[]) => {
      // Namespace(*args, **kwargs) holds dict(*args, **kwargs)
      const d = pyDict(...args);
      return new Namespace(new Map([...d].map(([k, v]) => [String(k), v])));
    },
    cycler: (...args: unknown[]) => new Cycler(args.filter((a) => !isKwargs(a))),
    joiner: (...args: unknown[]) => {
      const { pos, kw } = splitArgs(args);
      if (pos.length > 1) throw new PyError('TypeError', `Joiner.__init__() takes from 1 to 2 positional arguments but ${pos.length + 1} were given`);
      const sep = (pos[0] ?? kw.get('sep') ?? ', ') as string;
      return new Joiner(py.pyStr(sep));
    },
  };
}

const MAX_RANGE = 100_000;

export { MacroReturn, Undefined, PY_STR, PY_REPR };
