/**
 * Custom generic tests are written as dbt writes them:
 *
 *     {% test is_positive(model, column_name) %} select ... {% endtest %}
 *
 * Nunjucks has no `test` tag, so a macro file is rewritten before it is parsed: each test block
 * becomes `{% macro test_is_positive(...) %} ... {% endmacro %}`. The rewrite stays on the same
 * lines, so template errors keep pointing at the right line of the user's file.
 */
export function rewriteTestBlocks(source: string): string {
  if (!/\{%-?\s*(test|endtest)\b/.test(source)) return source;
  return source
    .replace(/\{%(-?)(\s*)test(\s+)([A-Za-z_][A-Za-z0-9_]*)(\s*)\(/g, (_m, dash: string, s1: string, s2: string, name: string, s3: string) => `{%${dash}${s1}macro${s2}test_${name}${s3}(`)
    .replace(/\{%(-?)(\s*)endtest(\s*)(-?)%\}/g, (_m, d1: string, s1: string, s2: string, d2: string) => `{%${d1}${s1}endmacro${s2}${d2}%}`);
}

/** One parameter of a macro: its name and whether it has a default. */
export interface MacroParam {
  name: string;
  hasDefault: boolean;
}

export interface MacroSignature {
  name: string;
  params: MacroParam[];
  file: string;
  line: number;
}

/** Split `a, b=[1, 2], c='x,y'` at top-level commas. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      cur += ch;
      if (ch === '\\') cur += s[++i] ?? '';
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** The `{% macro name(params) %}` signatures of a (rewritten) macro file, in file order. */
export function macroSignatures(source: string, file: string): MacroSignature[] {
  const out: MacroSignature[] = [];
  const re = /\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    // find the closing parenthesis of the parameter list
    let depth = 1;
    let i = re.lastIndex;
    let quote: string | null = null;
    for (; i < source.length && depth > 0; i++) {
      const ch = source[i]!;
      if (quote) {
        if (ch === quote) quote = null;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    const inner = source.slice(re.lastIndex, i - 1);
    const params = splitTopLevel(inner)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const eq = p.indexOf('=');
        return { name: (eq < 0 ? p : p.slice(0, eq)).trim(), hasDefault: eq >= 0 };
      });
    out.push({ name: m[1]!, params, file, line: source.slice(0, m.index).split('\n').length });
  }
  return out;
}
