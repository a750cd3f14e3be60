import nunjucks from 'nunjucks';
import { TxError, didYouMean } from '../errors.js';
import { rewriteTestBlocks } from '../testing/generic-test-blocks.js';
import { parseLite, renderLite, TemplateError, type LiteRuntime, type LiteTemplate } from './jinja-lite.js';

/** A template ready to render: the fast path when possible, nunjucks otherwise. */
export interface PreparedTemplate {
  path: string;
  source: string;
  lite: LiteTemplate | null;
  nj: nunjucks.Template | null;
}

/** Thrown by `{{ return(x) }}` inside a macro; the macro wrapper turns it into the macro's value. */
class MacroReturn {
  constructor(readonly value: unknown) {}
}

export interface MacroInfo {
  name: string;
  file: string;
}

/** Offset → 1-based line and column. */
export function lineCol(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/**
 * The template environment of one project: nunjucks for macros and for templates
 * outside the fast subset, the lite evaluator for the rest, one global namespace
 * (tx functions, built-in macros, project macros) shared by both.
 */
export class TemplateEngine {
  readonly env: nunjucks.Environment;
  readonly macros = new Map<string, MacroInfo>();
  private readonly rt: LiteRuntime;
  private readonly baseGlobals = new Set<string>();

  constructor() {
    this.env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false, dev: true, trimBlocks: false, lstripBlocks: false });
    this.env.addGlobal('return', (v: unknown) => {
      throw new MacroReturn(v);
    });
    for (const k of Object.keys((this.env as unknown as { globals: object }).globals)) this.baseGlobals.add(k);
    const globals = (this.env as unknown as { globals: Record<string, unknown> }).globals;
    const env = this.env;
    this.rt = {
      at: 0,
      lookup: (n) => globals[n],
      filter: (n) => {
        try {
          return env.getFilter(n) as (...a: unknown[]) => unknown;
        } catch {
          return undefined;
        }
      },
      kwargs: (o) => (nunjucks.runtime as unknown as { makeKeywordArgs(o: object): Record<string, unknown> }).makeKeywordArgs(o),
      notCallable: () => {
        throw new Error('unreachable');
      },
    };
    this.rt.notCallable = (name, offset) => {
      const known = [...this.macros.keys(), ...Object.keys(globals).filter((k) => typeof globals[k] === 'function')];
      const e = new TemplateError(`undefined macro or function \`${name}\``, offset) as TemplateError & { hint?: string };
      e.hint = didYouMean(name, known);
      throw e;
    };
  }

  /** Set a global visible to every template and macro (tx functions, per-node values). */
  setGlobal(name: string, value: unknown): void {
    (this.env as unknown as { globals: Record<string, unknown> }).globals[name] = value;
  }

  getGlobal(name: string): unknown {
    return (this.env as unknown as { globals: Record<string, unknown> }).globals[name];
  }

  /**
   * Register every `{% macro %}` of a file as a global. Later files override
   * earlier ones, so project macros override tx's built-ins of the same name.
   */
  addMacroFile(source: string, file: string): void {
    let exported: Record<string, unknown> = {};
    try {
      // `{% test x() %}` blocks (custom generic tests) become `{% macro test_x() %}`
      const tpl = new nunjucks.Template(rewriteTestBlocks(source), this.env, file, true);
      const ctx = {};
      (tpl as unknown as { getExported(ctx: object, cb: (err: Error | null, exp: Record<string, unknown>) => void): void }).getExported(ctx, (err, exp) => {
        if (err) throw err;
        exported = exp;
      });
    } catch (e) {
      throw this.toTxError(e, source, file, null);
    }
    for (const [name, fn] of Object.entries(exported)) {
      if (typeof fn !== 'function') continue;
      const macro = fn as (...a: unknown[]) => unknown;
      const wrapped = (...args: unknown[]): unknown => {
        try {
          return macro(...args);
        } catch (e) {
          if (e instanceof MacroReturn) return e.value;
          throw e;
        }
      };
      this.setGlobal(name, wrapped);
      this.macros.set(name, { name, file });
    }
  }

  prepare(source: string, path: string): PreparedTemplate {
    try {
      const lite = parseLite(source);
      return { path, source, lite, nj: null };
    } catch (e) {
      throw this.toTxError(e, source, path, null);
    }
  }

  /** Render with the current globals. Errors become TxError with file:line:column. */
  render(t: PreparedTemplate): string {
    if (t.lite) {
      try {
        return renderLite(t.lite, this.rt);
      } catch (e) {
        if (e instanceof MacroReturn) return String(e.value ?? '');
        throw this.toTxError(e, t.source, t.path, this.rt.at);
      }
    }
    try {
      if (!t.nj) t.nj = new nunjucks.Template(t.source, this.env, t.path, true);
      return t.nj.render({});
    } catch (e) {
      throw this.toTxError(e, t.source, t.path, null);
    }
  }

  /** Render a one-off string (project.yml values, hooks, export paths). */
  renderString(source: string, path: string): string {
    if (!source.includes('{')) return source;
    return this.render(this.prepare(source, path));
  }

  private toTxError(e: unknown, source: string, file: string, offset: number | null): TxError {
    if (e instanceof TxError) {
      if (e.location.file) return e;
      const pos = offset != null ? lineCol(source, offset) : undefined;
      return new TxError(e.code, e.message, { file, line: pos?.line, column: pos?.column, hint: e.hint, cause: e });
    }
    if (e instanceof TemplateError) {
      const pos = lineCol(source, e.offset);
      return new TxError('TEMPLATE', e.message, { file, line: pos.line, column: pos.column, hint: (e as { hint?: string }).hint });
    }
    const err = e as { message?: string; lineno?: number; colno?: number; cause?: unknown };
    if (err.cause instanceof TxError) return this.toTxError(err.cause, source, file, null);
    let msg = String(err.message ?? e);
    // nunjucks: "(file) [Line 3, Column 5]\n  message"
    const m = /\[Line (\d+), Column (\d+)\]\s*\n?\s*([\s\S]*)$/.exec(msg);
    let line = err.lineno;
    let column = err.colno;
    if (m) {
      line = Number(m[1]);
      column = Number(m[2]);
      msg = m[3]!;
    }
    msg = msg.replace(/^Error: /, '').replace(/^Template render error: /, '').replace(/^\(unknown path\)\s*/, '').trim();
    let hint: string | undefined;
    const undef = /Unable to call `([^`]+)`, which is undefined or falsey/.exec(msg);
    if (undef) {
      msg = `undefined macro or function \`${undef[1]}\``;
      hint = didYouMean(undef[1]!, this.macros.keys());
    }
    return new TxError('TEMPLATE', msg, { file, line: line || undefined, column: column || undefined, hint, cause: e });
  }
}
