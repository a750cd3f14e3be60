/**
 * One statement per model, test and snapshot, decided by the target's own parser where it has one:
 * DuckDB's (extract_statements of @duckdb/node-api, on an in-memory instance opened once per
 * process) and PostgreSQL's (libpg_query, the server's grammar built to WebAssembly: the npm
 * package libpg-query). Hive/Spark keep the tokenizer of single-statement.ts.
 *
 * Only text holding a `;` outside every comment and quote is asked (a statement needs one to end
 * before another), so a compile of models without one loads neither parser (loading DuckDB's is
 * most of a first `tx ls`). That the tokenizer may answer for the parser when it finds every `;`
 * inside a comment or quote rests on a text where the two lexers cannot differ: no `$` (dollar
 * quotes), no backslash (E'' strings, standard_conforming_strings) and no NUL; what is left, '…'
 * with '' doubled, "…" with "" doubled, `--` to a \n or \r and nested block comments, both
 * engines lex as the tokenizer does (checked against both parsers in hidden-semicolons.test.ts,
 * with adversarial cases and random texts). A syntax error is not this check's business (the
 * database reports it when the node runs); but a text the parser cannot read is judged by the
 * tokenizer: `x'); drop table t; select ('` reads as nothing alone, and as three statements once
 * wrapped in `create table … as (…)`.
 *
 * The count of statements is not taken as is: DuckDB expands a PIVOT into several statements of
 * its own. A second statement is a `;` at which the text splits into two parts that each hold
 * statements and whose counts add up to the whole's.
 */
import { severalStatements, splitStatements, type SqlFlavour } from './single-statement.js';

/** Statements the engine's parser finds in `sql`, or undefined when it cannot parse it. */
type Counter = (sql: string) => Promise<number | undefined>;

export interface Several {
  /** A sentence to follow "the compiled SQL" (`holds 2 statements: a `;` on line 2 ends the first, …`). */
  problem: string;
  /** Line (1-based) of the `;` that ends the first statement. */
  line: number;
}

/** The engines whose own parser decides. */
export type ParsingEngine = 'duckdb' | 'postgres';

/** The engine parser of a target type: DuckDB's and PostgreSQL's; none for Hive/Spark and others (the tokenizer decides). */
export function parsingEngineOf(targetType: string): ParsingEngine | undefined {
  return targetType === 'duckdb' || targetType === 'postgres' ? targetType : undefined;
}

let duckdb: Promise<Counter> | undefined;
let postgres: Promise<Counter> | undefined;

/** The parser of `engine`, loaded on first use and kept for the process. */
function engineParser(engine: ParsingEngine): Promise<Counter> {
  return engine === 'duckdb' ? (duckdb ??= openDuckdb()) : (postgres ??= loadLibpgQuery());
}

async function openDuckdb(): Promise<Counter> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  return async (sql) => {
    try {
      return (await c.extractStatements(sql)).count;
    } catch {
      return undefined;
    }
  };
}

interface LibpgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: unknown[] };
}

async function loadLibpgQuery(): Promise<Counter> {
  const m = (await import('libpg-query')) as unknown as LibpgQuery & { default?: LibpgQuery };
  const lib = typeof m.parseSync === 'function' ? m : m.default!;
  await lib.loadModule();
  return async (sql) => {
    try {
      return lib.parseSync(sql).stmts?.length ?? 0;
    } catch {
      return undefined;
    }
  };
}

/** Text with nothing but whitespace and comments (DuckDB's extract_statements errors on it): no statement, per the tokenizer. */
const blank = (sql: string, flavour: SqlFlavour): boolean => {
  const r = splitStatements(sql, flavour);
  return !r.unterminated && r.statements.length === 0;
};

/** Characters past which the tokenizer does not answer for an engine's lexer: `$`, a backslash, NUL. */
const LEXER_MAY_DIFFER = /[$\\\0]/;

/**
 * True when `engine`'s lexer cannot see a `;` of `sql` outside a comment or quote: every `;` is
 * inside one as the tokenizer (the engine's own flavour) reads it, nothing is left unterminated,
 * and the text holds nothing on which the two lexers could differ. Such a text is one statement
 * (or none) to the parser too, which need not be asked.
 */
export function semicolonsHidden(sql: string, engine: ParsingEngine): boolean {
  if (LEXER_MAY_DIFFER.test(sql)) return false;
  const r = splitStatements(sql, engine);
  return !r.unterminated && r.bareSemicolons === 0;
}

/** Why `sql` is not one statement, as `engine`'s parser reads it (the tokenizer without one); undefined when it is one. */
export async function severalStatementsParsed(sql: string, flavour: SqlFlavour, engine: ParsingEngine | undefined): Promise<Several | undefined> {
  if (!engine || !sql.includes(';')) return severalStatements(sql, flavour);
  if (semicolonsHidden(sql, engine)) return undefined;
  const count = await engineParser(engine);
  const countOf = async (s: string): Promise<number | undefined> => (blank(s, flavour) ? 0 : count(s));
  const whole = await countOf(sql);
  // the parser cannot read it: the tokenizer decides (the text may parse once wrapped)
  if (whole === undefined) return severalStatements(sql, flavour);
  if (whole <= 1) return undefined;
  // the `;`s between statements: prefix and rest each hold statements, and their counts add up
  const ends: number[] = [];
  /** `;`s after which the text so far parses: where the statement after the first one ends. */
  const closes: { at: number; before: number }[] = [];
  for (let i = sql.indexOf(';'); i >= 0; i = sql.indexOf(';', i + 1)) {
    const before = await countOf(sql.slice(0, i));
    if (before === undefined || before < 1) continue;
    closes.push({ at: i, before });
    const after = await countOf(sql.slice(i + 1));
    if (after === undefined || after < 1) continue;
    if (before + after === whole) ends.push(i);
  }
  // several statements of the parser's own making (DuckDB's PIVOT): one written statement
  if (!ends.length) return undefined;
  const first = ends[0]!;
  const upTo = closes.find((c) => c.at === first)!.before;
  const line = lineAt(sql, first);
  const text = sql
    .slice(first + 1, closes.find((c) => c.at > first && c.before > upTo)?.at ?? sql.length)
    .trim()
    .replace(/\s+/g, ' ');
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return { problem: `holds ${ends.length + 1} statements: a \`;\` on line ${line} ends the first, and \`${shown}\` follows`, line };
}

const lineAt = (s: string, i: number): number => {
  let n = 1;
  for (let k = s.indexOf('\n'); k >= 0 && k < i; k = s.indexOf('\n', k + 1)) n++;
  return n;
};

/**
 * The checks of one compile: with a parser, text holding a `;` waits for `settle()` (the parser is
 * asynchronous and the renderers are not); without one, or without a `;`, the tokenizer decides now.
 */
export class StatementChecks {
  private pending: { sql: string; fail: (s: Several) => Error }[] = [];

  constructor(
    private readonly flavour: SqlFlavour,
    private readonly engine: ParsingEngine | undefined,
  ) {}

  /** Check `sql`; `fail` makes the error for several statements. */
  check(sql: string, fail: (s: Several) => Error): void {
    if (!sql.includes(';')) return;
    if (this.engine) {
      if (semicolonsHidden(sql, this.engine)) return;
      this.pending.push({ sql, fail });
      return;
    }
    const several = severalStatements(sql, this.flavour);
    if (several) throw fail(several);
  }

  /** Decide every check still waiting, in the order they came; throws the first failure. */
  async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      const several = await severalStatementsParsed(p.sql, this.flavour, this.engine);
      if (several) throw p.fail(several);
    }
  }

  /** Check one text now (a node rendered again as it runs). */
  async checkNow(sql: string, fail: (s: Several) => Error): Promise<void> {
    if (!sql.includes(';')) return;
    const several = await severalStatementsParsed(sql, this.flavour, this.engine);
    if (several) throw fail(several);
  }
}
