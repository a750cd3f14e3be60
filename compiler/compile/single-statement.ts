/**
 * One statement per model, test and snapshot: a tokenizer that splits compiled SQL at the
 * semicolons the engine would split it at, and nowhere else.
 *
 * It knows what each engine's lexer knows about the text a semicolon can hide in:
 * - strings: '…' with '' doubled (every engine); PostgreSQL and DuckDB E'…' with backslash
 *   escapes; Hive/Spark '…' and "…" with backslash escapes, and Spark's raw r'…';
 * - quoted identifiers: "…" with "" doubled (PostgreSQL, DuckDB), `…` with `` doubled (Hive);
 * - dollar quotes $tag$…$tag$ (PostgreSQL, DuckDB; `$1` and `a$b` are not quotes);
 * - comments: `-- …` to the end of the line (a \n or a \r), and nested `/* … *\/` (PostgreSQL, DuckDB and
 *   Spark 3 all nest them).
 * A trailing semicolon, with only whitespace and comments after it, is one statement.
 * It decides for Hive/Spark, and where DuckDB's or PostgreSQL's parser cannot read the text; on
 * those two targets their own parser decides (engine-statements.ts). The DuckDB part is checked
 * against DuckDB's parser (extract_statements) and the PostgreSQL part against the server's (a
 * prepared statement refuses several commands) in the tests.
 */

export type SqlFlavour = 'duckdb' | 'postgres' | 'hive';

/** A statement found in the text: where it starts and ends (offsets), and its first line (1-based). */
export interface StatementSpan {
  start: number;
  end: number;
  line: number;
}

export interface SplitResult {
  /** Statements holding something other than whitespace and comments. */
  statements: StatementSpan[];
  /** Line (1-based) of each `;` that ends a non-empty statement before another one. */
  separatorLines: number[];
  /** An unterminated quote or comment: what it is and the line it starts on. */
  unterminated?: { what: string; line: number };
  /** The `;`s outside every comment, string, quoted identifier and dollar quote (a trailing one too). */
  bareSemicolons: number;
}

/** The flavour of a target type (unknown types get the strictest mix: PostgreSQL's rules). */
export function flavourOf(targetType: string): SqlFlavour {
  return targetType === 'hive' || targetType === 'spark' ? 'hive' : targetType === 'duckdb' ? 'duckdb' : 'postgres';
}

const isIdentChar = (c: string | undefined): boolean => !!c && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** Split `sql` into statements as the `flavour` engine's lexer would. */
export function splitStatements(sql: string, flavour: SqlFlavour): SplitResult {
  const hive = flavour === 'hive';
  const statements: StatementSpan[] = [];
  const separatorLines: number[] = [];
  let line = 1;
  let i = 0;
  const n = sql.length;
  let stmtStart = 0;
  let stmtLine = 1;
  let hasContent = false;
  let pendingSeparator: number | undefined;
  let bareSemicolons = 0;

  const advanceTo = (j: number): void => {
    for (let k = i; k < j && k < n; k++) if (sql.charCodeAt(k) === 10) line++;
    i = Math.min(j, n);
  };
  const unterminated = (what: string, at: number): SplitResult => {
    if (hasContent) statements.push({ start: stmtStart, end: n, line: stmtLine });
    return { statements, separatorLines, unterminated: { what, line: at }, bareSemicolons };
  };
  const content = (): void => {
    if (!hasContent) {
      hasContent = true;
      stmtLine = line;
      if (pendingSeparator !== undefined) separatorLines.push(pendingSeparator);
      pendingSeparator = undefined;
    }
  };

  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    // -- comment, to the end of the line: a \r ends it too (the lexers of PostgreSQL, DuckDB and Spark)
    if (c === '-' && next === '-') {
      let end = i + 2;
      while (end < n && sql.charCodeAt(end) !== 10 && sql.charCodeAt(end) !== 13) end++;
      advanceTo(end);
      continue;
    }
    // /* comment */, nested
    if (c === '/' && next === '*') {
      const startLine = line;
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth++, (j += 2));
        else if (sql[j] === '*' && sql[j + 1] === '/') (depth--, (j += 2));
        else j++;
      }
      if (depth > 0) return unterminated('/* comment', startLine);
      advanceTo(j);
      continue;
    }
    if (c === ';') {
      bareSemicolons++;
      if (hasContent) {
        statements.push({ start: stmtStart, end: i, line: stmtLine });
        pendingSeparator = line;
      }
      hasContent = false;
      advanceTo(i + 1);
      stmtStart = i;
      continue;
    }
    if (/\s/.test(c)) {
      advanceTo(i + 1);
      continue;
    }
    content();
    const prev = i > 0 ? sql[i - 1] : undefined;
    // quoted strings and identifiers
    if (c === "'" || c === '"' || (c === '`' && hive)) {
      const startLine = line;
      const prefix = prev && /[A-Za-z]/.test(prev) && !isIdentChar(sql[i - 2]) ? prev.toLowerCase() : '';
      let backslash: boolean;
      if (hive) backslash = c !== '`' && prefix !== 'r';
      else backslash = c === "'" && prefix === 'e';
      const j = endOfQuoted(sql, i, c, backslash);
      if (j < 0) return unterminated(c === '`' ? 'backtick identifier' : c === '"' ? (hive ? 'string' : 'quoted identifier') : 'string', startLine);
      advanceTo(j);
      continue;
    }
    // dollar quotes: not after an identifier character (`a$b$` is a name), not `$1`
    if (c === '$' && !hive && !isIdentChar(prev)) {
      const m = DOLLAR_TAG.exec(sql.slice(i, i + 256));
      if (m) {
        const startLine = line;
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        if (end < 0) return unterminated(`${tag} quote`, startLine);
        advanceTo(end + tag.length);
        continue;
      }
    }
    advanceTo(i + 1);
  }
  if (hasContent) statements.push({ start: stmtStart, end: n, line: stmtLine });
  return { statements, separatorLines, bareSemicolons };
}

/**
 * Index just past the closing quote of the quoted run starting at `start`, or -1 when it is not
 * closed. A doubled quote character stays inside; with `backslash`, `\x` escapes any character.
 */
function endOfQuoted(sql: string, start: number, quote: string, backslash: boolean): number {
  let j = start + 1;
  const n = sql.length;
  while (j < n) {
    const ch = sql[j]!;
    if (backslash && ch === '\\') {
      j += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return -1;
}

/** Why `sql` is not one statement (a sentence to follow "the compiled SQL"), with the line to point at; undefined when it is one. */
export function severalStatements(sql: string, flavour: SqlFlavour): { problem: string; line: number } | undefined {
  // only a `;` separates statements: most models have none, and need no tokenizing (a tenth of a 10,000-model compile)
  if (!sql.includes(';')) return undefined;
  const r = splitStatements(sql, flavour);
  if (r.statements.length > 1) {
    const second = r.statements[1]!;
    const text = sql.slice(second.start, second.end).trim().replace(/\s+/g, ' ');
    const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    return {
      problem: `holds ${r.statements.length} statements: a \`;\` on line ${r.separatorLines[0]} ends the first, and \`${shown}\` follows`,
      line: r.separatorLines[0] ?? second.line,
    };
  }
  return undefined;
}
