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

const BLOCK = /\{%-?\s*(macro|test)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*-?%\}[\s\S]*?\{%-?\s*end(?:macro|test)\s*-?%\}/g;

/** Every macro block of a file's text. */
export function macroBlocks(text: string): MacroBlock[] {
  const out: MacroBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const name = m[1] === 'test' ? `test_${m[2]!}` : m[2]!;
    const args = m[3]!
      .split(',')
      .map((a) => a.split('=')[0]!.trim())
      .filter(Boolean);
    out.push({ name, sql: m[0], args });
  }
  return out;
}

const JINJA = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const CALL = /(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/** Names called as functions inside the Jinja tags of `text` that are in `known`, in first-use order. */
export function macroCalls(text: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const tag of text.matchAll(JINJA)) {
    for (const c of tag[0].matchAll(CALL)) {
      const name = c[1]!;
      if (known.has(name) && !out.includes(name)) out.push(name);
    }
  }
  return out;
}
