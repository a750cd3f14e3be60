/**
 * One statement per node, decided by the target's own parser: DuckDB's extract_statements and
 * PostgreSQL's grammar (libpg_query). Each case is one the engines' parsers decide for real; the
 * tokenizer is only the fallback for text they cannot parse.
 */
import { describe, expect, it } from 'vitest';
import { parsingEngineOf, severalStatementsParsed, StatementChecks } from './engine-statements.js';
import { severalStatements } from './single-statement.js';

const ENGINES = ['duckdb', 'postgres'] as const;
const several = (sql: string, engine: (typeof ENGINES)[number]) => severalStatementsParsed(sql, engine, engine);

describe('the target’s parser decides', () => {
  it('the injection of issue 13 is two statements, with the line of the `;` and the statement after it', async () => {
    const sql = "select * from t\nwhere status <> 'x'; drop table main.sentinel; --'";
    for (const e of ENGINES) {
      expect(await several(sql, e)).toEqual({ problem: 'holds 2 statements: a `;` on line 2 ends the first, and `drop table main.sentinel` follows', line: 2 });
    }
  });

  it('where the parser and the tokenizer disagree, the parser wins: a tokenizer that knows no dollar quote or plain string ending in a backslash', async () => {
    // the Hive tokenizer reads these as several statements; DuckDB's and PostgreSQL's parsers read one
    const cases = ["select $q$ a; b $q$ as s", "select 'a\\' as s, ';' as t", 'select $$;$$ as s; -- trailing'];
    for (const sql of cases) {
      expect(severalStatements(sql, 'hive'), sql).toBeDefined();
      for (const e of ENGINES) expect(await severalStatementsParsed(sql, 'hive', e), `${e}: ${sql}`).toBeUndefined();
    }
    // and the other way: the Hive tokenizer reads a backslash as an escape, so one string; the parsers read two statements
    const sql = "select 'x\\'; drop table main.sentinel; --'";
    expect(severalStatements(sql, 'hive')).toBeUndefined();
    for (const e of ENGINES) expect((await severalStatementsParsed(sql, 'hive', e))?.problem, e).toMatch(/holds 2 statements/);
  });

  it('engine syntax with `;` inside: dollar quotes with tags, E strings with escaped quotes, nested comments, one trailing `;`', async () => {
    const one = [
      "select $tag$ a;$$; $tag$ as s",
      "select E'a\\'; drop table main.sentinel; --' as s",
      "select 'it''s; fine' as s /* a /* nested ; */ still; a comment */",
      'select 1 as "x;""y";  \n -- done;\n /* bye; */',
      ';;select 1;;',
    ];
    for (const sql of one) for (const e of ENGINES) expect(await several(sql, e), `${e}: ${sql}`).toBeUndefined();
    const two = ["select 'a\\'; drop table main.sentinel; --'", 'select /* a /* b */ */ 1; select 2', 'select $a$b$a$; select 2'];
    for (const sql of two) for (const e of ENGINES) expect((await several(sql, e))?.problem, `${e}: ${sql}`).toMatch(/^holds 2 statements/);
  });

  it('a carriage return ends a `--` comment: a var inside a comment cannot hide a statement behind it', async () => {
    const sql = 'select 1 as id -- note: hi\r; drop table main.sentinel; --\n';
    for (const e of ENGINES) expect(await several(sql, e), e).toEqual({ problem: expect.stringContaining('`drop table main.sentinel` follows'), line: 1 });
  });

  it('three statements are counted, the second is shown, long ones cut', async () => {
    const sql = `select 1;\n\nselect ${'x, '.repeat(40)}2 as y;\nselect 3`;
    for (const e of ENGINES) {
      const r = await several(sql, e);
      expect(r?.line).toBe(1);
      expect(r?.problem).toMatch(/^holds 3 statements: a `;` on line 1 ends the first, and `select (x, )+x,\.\.\.` follows$/);
    }
  });

  it('DuckDB: a PIVOT, which its parser expands into several statements, is one written statement', async () => {
    expect(await several('pivot cities on state using count(*);', 'duckdb')).toBeUndefined();
    expect((await several('pivot cities on state using count(*); drop table main.sentinel', 'duckdb'))?.problem).toMatch(/^holds 2 statements: .*`drop table main\.sentinel` follows/);
    expect((await several('select 1; pivot cities on state using count(*)', 'duckdb'))?.problem).toMatch(/^holds 2 statements/);
  });

  it('text the parser cannot read is split by the tokenizer (it may parse once wrapped in `create table … as (…)`)', async () => {
    const sql = "select * from t where s <> 'x'); drop table main.sentinel; select ('')";
    for (const e of ENGINES) expect((await several(sql, e))?.problem, e).toMatch(/^holds 3 statements: a `;` on line 1 ends the first, and `drop table main.sentinel` follows/);
    // a syntax error alone is not this check's business
    for (const e of ENGINES) expect(await several('select (1;', e), e).toBeUndefined();
  });
});

describe('StatementChecks', () => {
  it('with a parser, text with a `;` waits for settle(); without one the tokenizer throws at once', async () => {
    const fail = (s: { problem: string }) => new Error(s.problem);
    const c = new StatementChecks('duckdb', parsingEngineOf('duckdb'));
    expect(() => c.check('select 1; select 2', fail)).not.toThrow();
    c.check('select 1', fail);
    c.check("select $x$;$x$", fail);
    await expect(c.settle()).rejects.toThrow(/holds 2 statements/);
    await expect(c.settle()).resolves.toBeUndefined(); // settled: nothing waits any more
    const h = new StatementChecks('hive', parsingEngineOf('hive'));
    expect(() => h.check('select 1; select 2', fail)).toThrow(/holds 2 statements/);
    await expect(new StatementChecks('postgres', 'postgres').checkNow("select 'a'; drop table x", fail)).rejects.toThrow(/drop table x/);
  });

  it('parsers of target types', () => {
    expect(parsingEngineOf('duckdb')).toBe('duckdb');
    expect(parsingEngineOf('postgres')).toBe('postgres');
    expect(parsingEngineOf('hive')).toBeUndefined();
    expect(parsingEngineOf('spark')).toBeUndefined();
  });
});
