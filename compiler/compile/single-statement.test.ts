/**
 * The one-statement tokenizer: hand-written cases for each engine's lexer rules, then the same
 * corpus against the engines' own parsers (DuckDB's extract_statements, and a PostgreSQL
 * prepared statement, which refuses several commands), so the tokenizer cannot drift from them.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres } from '../../testing/services/postgres.js';
import { flavourOf, severalStatements, splitStatements, type SqlFlavour } from './single-statement.js';

const count = (sql: string, f: SqlFlavour) => splitStatements(sql, f).statements.length;

describe('splitStatements', () => {
  it('splits at a bare semicolon and allows one trailing semicolon with comments after it', () => {
    for (const f of ['duckdb', 'postgres', 'hive'] as const) {
      expect(count('select 1', f)).toBe(1);
      expect(count('select 1;', f)).toBe(1);
      expect(count('select 1 ;  \n -- done\n /* bye */ \n', f)).toBe(1);
      expect(count('select 1; select 2', f)).toBe(2);
      expect(count(';;select 1;;', f)).toBe(1);
      expect(count('', f)).toBe(0);
      expect(count('-- only a comment', f)).toBe(0);
    }
  });

  it('the injection of the issue: a quote closed early, a statement, and a comment eating the rest', () => {
    const sql = "select * from t\nwhere status <> 'x'; drop table main.sentinel; --'";
    for (const f of ['duckdb', 'postgres', 'hive'] as const) {
      expect(count(sql, f)).toBe(2);
      expect(severalStatements(sql, f)).toEqual({ problem: expect.stringContaining('holds 2 statements: a `;` on line 2 ends the first, and `drop table main.sentinel` follows'), line: 2 });
    }
    // the same value through a quoting literal is one statement
    expect(count("select * from t where status <> 'x''; drop table main.sentinel; --'", 'duckdb')).toBe(1);
    expect(count("select * from t where status <> 'x\\'; drop table main.sentinel; --'", 'hive')).toBe(1);
  });

  it('semicolons inside strings, quoted identifiers and comments do not split', () => {
    expect(count(`select 'a;b', 'it''s;' as "x;""y" -- c;d\n/* e;f */`, 'duckdb')).toBe(1);
    expect(count(`select 'a;b', 'it''s;' as "x;""y" -- c;d\n/* e;f */`, 'postgres')).toBe(1);
    expect(count('select `a;b``c` from t -- ;\n', 'hive')).toBe(1);
  });

  it('a carriage return ends a -- comment, as in every engine’s lexer', () => {
    for (const f of ['duckdb', 'postgres', 'hive'] as const) {
      expect(count('select 1 -- note\r; drop table main.sentinel', f)).toBe(2);
      expect(count('select 1 -- note\r\n; ', f)).toBe(1);
    }
  });

  it('nested block comments (PostgreSQL, DuckDB, Spark 3)', () => {
    for (const f of ['duckdb', 'postgres', 'hive'] as const) {
      expect(count('select /* a /* b */ ; */ 1', f)).toBe(1);
      expect(count('select /* a /* b */ */ 1; select 2', f)).toBe(2);
    }
  });

  it('E strings take backslash escapes on PostgreSQL and DuckDB; plain strings do not', () => {
    expect(count("select E'a\\';b'", 'postgres')).toBe(1);
    expect(count("select e'a\\';b'", 'duckdb')).toBe(1);
    expect(count("select 'a\\'; select 2", 'postgres')).toBe(2);
    expect(count("select 'a\\'; select 2", 'duckdb')).toBe(2);
    // an identifier ending in e before a quote is no E prefix
    expect(count("select * from t where some_e = 'a\\'; select 2", 'postgres')).toBe(2);
  });

  it('dollar quotes, but not $1 parameters or $ inside a name', () => {
    expect(count('select $$a;b$$', 'postgres')).toBe(1);
    expect(count('select $tag$ a;$$; $tag$', 'duckdb')).toBe(1);
    expect(count('select $1; select 2', 'postgres')).toBe(2);
    expect(count('select a$b$; select $b$', 'postgres')).toBe(2);
    expect(count('select $$a;b$$', 'hive')).toBe(2); // no dollar quotes in Spark
  });

  it('Hive/Spark: double-quoted strings and backslash escapes, raw strings without', () => {
    expect(count(`select "a;b", 'c\\';d', "e\\";f"`, 'hive')).toBe(1);
    expect(count(`select 'a\\'; select 2'`, 'hive')).toBe(1);
    expect(count(`select r'a\\'; select 2`, 'hive')).toBe(2);
    // "…" is an identifier elsewhere, with "" doubled, and no backslash escapes
    expect(count(`select "a\\"; select 2`, 'postgres')).toBe(2);
  });

  it('reports an unterminated quote or comment with its line, and still counts what came before', () => {
    const r = splitStatements("select 1;\nselect 'open", 'duckdb');
    expect(r.unterminated).toEqual({ what: 'string', line: 2 });
    expect(r.statements).toHaveLength(2);
    expect(splitStatements('select 1 /* never closed', 'postgres').unterminated).toEqual({ what: '/* comment', line: 1 });
    expect(splitStatements('select $x$ never closed', 'postgres').unterminated).toEqual({ what: '$x$ quote', line: 1 });
  });

  it('lines of statements and separators count newlines inside strings and comments', () => {
    const r = splitStatements("select '\n\n'\n/*\n*/; \n\n select 2", 'postgres');
    expect(r.statements.map((s) => s.line)).toEqual([1, 7]);
    expect(r.separatorLines).toEqual([5]);
  });

  it('flavours of target types', () => {
    expect(flavourOf('duckdb')).toBe('duckdb');
    expect(flavourOf('postgres')).toBe('postgres');
    expect(flavourOf('hive')).toBe('hive');
  });
});

/** Cases whose statement count the engines decide; none has an unterminated part. */
const CORPUS = [
  'select 1',
  'select 1;',
  'select 1; select 2',
  'select 1; -- x',
  "select 'a;b'",
  "select 'it''s; fine'",
  "select * from (select 1 as x) as t where 'x' <> 'x'; select 2; --'",
  'select /* a /* b */ ; */ 1',
  'select /* a */ 1; /* b */ select 2 /* c; */',
  'select $$a;b$$',
  'select $t$ a;$$ $t$',
  'select $t$ a; $u$ ; $t$; select 3',
  "select E'a\\';b'",
  "select e'\\\\'; select 2",
  "select 'a\\'; select 2",
  'select "a;""b" from (select 1 as "a;""b") as t',
  'select 1 as "x;"; select 2',
  '-- lead\nselect 1\n-- ; tail',
  "select U&'d\\0061t;a'",
  "select 'a' -- '; select 2\n; select 3",
  'select 1 -- x\r; select 2',
];

/** Random texts of the pieces a semicolon hides behind, between `select 1` and `; select 2` (a fixed seed: the same texts every run). */
function randomTexts(n: number): string[] {
  const pieces = ["'", '"', '$$', '$a$', ';', '--', '/*', '*/', '\n', '\r', 'E', 'e', '\\', ' ', 'x', 'U&', '1', '$1', '\f', '\v', 'b', 'X', 'N', '\u00a0'];
  let seed = 12345;
  const next = (m: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % m);
  return Array.from({ length: n }, () => {
    let s = 'select 1 ';
    for (let j = 1 + next(7); j > 0; j--) s += pieces[next(pieces.length)];
    return `${s} ; select 2`;
  });
}

describe('agrees with DuckDB’s own parser', () => {
  it('every corpus case splits as extract_statements splits it', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      let decided = 0;
      for (const sql of CORPUS) {
        let theirs: number;
        try {
          theirs = (await c.extractStatements(sql)).count;
        } catch (e) {
          expect((e as Error).message).toMatch(/NOT IMPLEMENTED/); // U&'' strings: DuckDB does not read them
          continue;
        }
        decided++;
        expect({ sql, n: count(sql, 'duckdb') }).toEqual({ sql, n: theirs });
      }
      expect(decided).toBe(CORPUS.length - 1);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});

describe('agrees with the engines’ parsers on random text', () => {
  it('every text DuckDB’s and PostgreSQL’s parsers read is one statement for the tokenizer exactly when it is for them', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const m = (await import('libpg-query')) as unknown as { loadModule(): Promise<void>; parseSync(s: string): { stmts?: unknown[] } };
    await m.loadModule();
    try {
      const decided = { duckdb: 0, postgres: 0 };
      for (const sql of randomTexts(10000)) {
        let duck: number | undefined;
        let pg: number | undefined;
        try {
          duck = (await c.extractStatements(sql)).count;
        } catch {
          // not DuckDB SQL
        }
        try {
          pg = m.parseSync(sql).stmts?.length ?? 0;
        } catch {
          // not PostgreSQL SQL
        }
        if (duck !== undefined) (decided.duckdb++, expect({ sql, one: count(sql, 'duckdb') <= 1 }).toEqual({ sql, one: duck <= 1 }));
        if (pg !== undefined) (decided.postgres++, expect({ sql, one: count(sql, 'postgres') <= 1 }).toEqual({ sql, one: pg <= 1 }));
      }
      // hundreds of texts are SQL to each (a comment or a string swallows the junk)
      expect(decided.duckdb).toBeGreaterThan(500);
      expect(decided.postgres).toBeGreaterThan(500);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});

describe('agrees with PostgreSQL’s parser', () => {
  let client: pg.Client | undefined;
  beforeAll(async () => {
    const svc = await startPostgres();
    client = new pg.Client({ connectionString: svc.url });
    await client.connect();
  });
  afterAll(async () => client?.end());

  it('a case is one statement exactly when PostgreSQL prepares it', async () => {
    let i = 0;
    let decided = 0;
    for (const sql of CORPUS) {
      let theirs: 'one' | 'several' | 'other';
      try {
        // a named query goes through Parse, which refuses several commands
        await client!.query({ name: `tx_one_${i++}`, text: sql });
        theirs = 'one';
      } catch (e) {
        theirs = /cannot insert multiple commands into a prepared statement/.test((e as Error).message) ? 'several' : 'other';
      }
      if (theirs === 'other') continue; // a case PostgreSQL cannot plan (none here)
      decided++;
      expect({ sql, one: count(sql, 'postgres') === 1 }).toEqual({ sql, one: theirs === 'one' });
    }
    expect(decided).toBe(CORPUS.length);
  });
});
