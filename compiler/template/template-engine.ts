import { TxError, didYouMean } from '../errors.js';
import type { Stmt } from './jinja/ast.js';
import { MACRO_INFO, MACRO_PREFIX, RenderError, asDbtMacro, type MacroInfo as JinjaMacroInfo } from './jinja/compile.js';
import { Environment, Template, TemplateError, errorPlaces, toTemplateError } from './jinja/environment.js';
import { pyStr } from './jinja/py.js';
import { lineCol } from './jinja/position.js';
import { Undefined } from './jinja/values.js';

/** A template ready to render: parsed and compiled once. */
export interface PreparedTemplate {
  path: string;
  source: string;
  template: Template;
  /** The syntax tree, for reading ref/source/config calls without rendering. */
  ast: Stmt[];
}

export interface MacroInfo {
  name: string;
  file: string;
}

export { lineCol };

/** How many template errors one run reports before it stops collecting. */
export const MAX_TEMPLATE_ERRORS = 50;

/**
 * The template environment of one project: one Jinja2 environment (Python semantics,
 * dbt's settings, printing an undefined name is an error), tx's functions and the
 * project's macros as globals. Per-node values (ref, this, config, ...) are globals
 * set before each render.
 */
export class TemplateEngine {
  readonly env: Environment;
  readonly macros = new Map<string, MacroInfo>();
  /** How many templates were rendered (the compile cache's tests count them). */
  renders = 0;

  /** dbt packages' macros by package name (`dbt_utils.star`); `dbt` holds dbt's global macros. */
  readonly namespaces = new Map<string, Record<string, unknown>>();
  /** The packages whose macros are running, innermost last: a package's macros see its own unprefixed, as in dbt. */
  private readonly packageStack: (string | null)[] = [];
  /** The package of each template being rendered (render(t, pkg)), innermost last. */
  private readonly templatePackages: (string | undefined)[] = [];

  constructor() {
    this.env = new Environment({ undefinedOutput: 'error' });
    const base = this.env.resolve.bind(this.env);
    const stack = this.packageStack;
    this.env.resolve = (name, ctx) => {
      for (let i = stack.length - 1; i >= 0; i--) {
        const pkg = stack[i];
        if (pkg === null) continue;
        const ns = this.namespaces.get(pkg!);
        if (ns && Object.prototype.hasOwnProperty.call(ns, name)) return ns[name];
      }
      return base(name, ctx);
    };
  }

  /** A macro of a package (or `dbt`), or of the flat namespace when `pkg` is null; undefined when there is none. */
  macroOf(pkg: string | null, name: string): ((...a: unknown[]) => unknown) | undefined {
    if (pkg === null) {
      const top = this.packageStack[this.packageStack.length - 1];
      const ns = top ? this.namespaces.get(top) : undefined;
      const v = ns && Object.prototype.hasOwnProperty.call(ns, name) ? ns[name] : this.macros.has(name) ? this.env.globals[name] : undefined;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown) : undefined;
    }
    const ns = this.namespaces.get(pkg);
    const v = ns && Object.prototype.hasOwnProperty.call(ns, name) ? ns[name] : undefined;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown) : undefined;
  }

  /** Set a global visible to every template and macro (tx functions, per-node values). */
  setGlobal(name: string, value: unknown): void {
    this.env.globals[name] = value;
  }

  getGlobal(name: string): unknown {
    return this.env.globals[name];
  }

  /**
   * Register every `{% macro %}` of a file as a global. Later files override
   * earlier ones, so project macros override tx's built-ins of the same name.
   */
  addMacroFile(source: string, file: string, pkg?: { name: string; global: boolean }): void {
    let module: Record<string, unknown>;
    try {
      module = this.env.fromString(source, file).makeModule({});
    } catch (e) {
      throw this.toTxError(e, file);
    }
    for (const [key, fn] of Object.entries(module)) {
      if (typeof fn !== 'function' || !(fn as unknown as Record<symbol, unknown>)[MACRO_INFO] || !key.startsWith(MACRO_PREFIX)) continue;
      const name = key.slice(MACRO_PREFIX.length);
      const macro = this.inPackage(pkg && !pkg.global ? pkg.name : null, asDbtMacro(fn as (...a: unknown[]) => unknown));
      if (pkg) {
        let ns = this.namespaces.get(pkg.name);
        if (!ns) this.namespaces.set(pkg.name, (ns = Object.create(null) as Record<string, unknown>));
        ns[name] = macro;
        if (!pkg.global) continue;
      }
      this.setGlobal(name, macro);
      this.macros.set(name, { name, file });
    }
  }

  /** Wrap a macro so that while it runs, names resolve in its package first (null: the flat namespace only). */
  private inPackage(pkg: string | null, fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    const stack = this.packageStack;
    const env = this.env as { undefinedOutput: 'error' | 'empty' };
    const wrapped = (...args: unknown[]): unknown => {
      stack.push(pkg);
      // a package's macros print an undefined name as nothing, as dbt does: packages build unchanged
      const before = env.undefinedOutput;
      if (pkg !== null) env.undefinedOutput = 'empty';
      try {
        return fn(...args);
      } finally {
        stack.pop();
        env.undefinedOutput = before;
      }
    };
    for (const sym of Object.getOwnPropertySymbols(fn)) Object.defineProperty(wrapped, sym, { value: (fn as unknown as Record<symbol, unknown>)[sym] });
    Object.defineProperty(wrapped, 'name', { value: fn.name });
    return wrapped;
  }

  /** Parse and compile a template; a syntax error is a TxError with file:line:col. */
  prepare(source: string, path: string): PreparedTemplate {
    try {
      const template = this.env.fromString(source, path);
      return { path, source, template, ast: template.ast };
    } catch (e) {
      throw this.toTxError(e, path);
    }
  }

  /**
   * Render with the current globals. Errors become TxError with file:line:column. `pkg`: the
   * installed package the template belongs to; its macros are seen unprefixed, as in dbt.
   */
  render(t: PreparedTemplate, pkg?: string): string {
    this.renders++;
    if (pkg) this.packageStack.push(pkg);
    // a template rendered inside another (a var's template) belongs to the same package
    this.templatePackages.push(pkg ?? this.templatePackage);
    try {
      return t.template.render({});
    } catch (e) {
      throw this.toTxError(e, t.path);
    } finally {
      if (pkg) this.packageStack.pop();
      this.templatePackages.pop();
    }
  }

  /** The installed package of the template being rendered (a package's node), undefined for the root project's. */
  get templatePackage(): string | undefined {
    return this.templatePackages[this.templatePackages.length - 1];
  }

  /** Call a macro from tx's own code; its value as Python's str(), errors as TxError. */
  callMacro(name: string, args: unknown[]): string {
    const fn = this.env.globals[name];
    if (typeof fn !== 'function') throw new TxError('TEMPLATE', `macro \`${name}\` is not defined`, { hint: didYouMean(name, this.macros.keys()) });
    try {
      const v = (fn as (...a: unknown[]) => unknown)(...args);
      return typeof v === 'string' ? v : v === null || v === undefined ? '' : pyStr(v);
    } catch (e) {
      throw this.toTxError(e, this.macros.get(name)?.file ?? name);
    }
  }

  /** Render a one-off string (project.yml values, hooks, export paths). */
  renderString(source: string, path: string): string {
    if (!source.includes('{')) return source;
    return this.render(this.prepare(source, path));
  }

  /** The names a did-you-mean may suggest: macros, functions and other globals. */
  private known(): string[] {
    return [...new Set([...this.macros.keys(), ...Object.keys(this.env.globals)])];
  }

  toTxError(e0: unknown, file: string): TxError {
    const e = e0 instanceof RenderError ? toTemplateError(e0, { name: file, source: '' }) : e0;
    if (e instanceof TxError) {
      if (e.location.file) return e;
      const { top, inner } = errorPlaces(e);
      if (top) return new TxError(e.code, e.message + innerNote(inner), { file: top.file, line: top.line, column: top.column, hint: e.hint, cause: e });
      return new TxError(e.code, e.message, { file, hint: e.hint, cause: e });
    }
    if (e instanceof TemplateError) {
      let hint: string | undefined;
      let msg = e.message;
      const called = (e.original as { calledName?: string } | undefined)?.calledName;
      const undef = /^'([^']+)' is undefined$/.exec(msg);
      if (called) {
        hint = didYouMean(called, this.known());
        msg = `undefined macro or function \`${called}\``;
        return new TxError('TEMPLATE', `${msg}${innerNote(e.inner)}`, { file: e.file || file, line: e.line, column: e.column, hint, cause: e });
      } else if (undef) {
        // a name read as a value: suggest values, not macros and functions
        const g = this.env.globals;
        hint = didYouMean(undef[1]!, Object.keys(g).filter((k) => typeof g[k] !== 'function'));
        msg = `\`${undef[1]}\` is undefined`;
      }
      const type = e.pyType === 'TemplateSyntaxError' || e.pyType === 'TemplateAssertionError' ? 'syntax error' : e.pyType;
      return new TxError('TEMPLATE', `${type}: ${msg}${innerNote(e.inner)}`, { file: e.file || file, line: e.line, column: e.column, hint, cause: e });
    }
    if (e instanceof Undefined) return new TxError('TEMPLATE', e.hint, { file });
    const { top, inner } = errorPlaces(e);
    return new TxError('TEMPLATE', `internal error while rendering: ${String((e as Error)?.message ?? e)}${innerNote(inner)}`, {
      file: top?.file ?? file,
      line: top?.line,
      column: top?.column,
      cause: e,
    });
  }
}

/** ` (at macros/x.sql:3:5)` when an error happened inside a macro of another place. */
function innerNote(inner: { file: string; line: number; column: number } | undefined): string {
  return inner ? ` (at ${inner.file}:${inner.line}:${inner.column})` : '';
}

export type { JinjaMacroInfo };
