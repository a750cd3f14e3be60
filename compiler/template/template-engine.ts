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

  constructor() {
    this.env = new Environment({ undefinedOutput: 'error' });
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
  addMacroFile(source: string, file: string): void {
    let module: Record<string, unknown>;
    try {
      module = this.env.fromString(source, file).makeModule({});
    } catch (e) {
      throw this.toTxError(e, file);
    }
    for (const [key, fn] of Object.entries(module)) {
      if (typeof fn !== 'function' || !(fn as unknown as Record<symbol, unknown>)[MACRO_INFO] || !key.startsWith(MACRO_PREFIX)) continue;
      const name = key.slice(MACRO_PREFIX.length);
      this.setGlobal(name, asDbtMacro(fn as (...a: unknown[]) => unknown));
      this.macros.set(name, { name, file });
    }
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

  /** Render with the current globals. Errors become TxError with file:line:column. */
  render(t: PreparedTemplate): string {
    this.renders++;
    try {
      return t.template.render({});
    } catch (e) {
      throw this.toTxError(e, t.path);
    }
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
