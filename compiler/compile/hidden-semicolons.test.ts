/**
 * The tokenizer answers for DuckDB's and PostgreSQL's parsers only where every `;` is inside a
 * comment or quote and the text holds no `$`, backslash or NUL (semicolonsHidden). These tests put
 * that claim to the real parsers: DuckDB's extract_statements (@duckdb/node-api) and PostgreSQL's
 * grammar (libpg-query): adversarial cases, random texts from the characters lexers treat
 * specially, and random texts built of comments and quotes that must parse as exactly one statement.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { semicolonsHidden, severalStatementsParsed, StatementChecks } from './engine-statements.js';
import { seededRandom } from '../../testing/seeded-random.js';

type Count = (sql: string) => Promise<number | 'error'>;
const counts: Record<'duckdb' | 'postgres', Count> = {} as never;
const ENGINES = ['duckdb', 'postgres'] as const;

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  counts.duckdb = async (sql) => {
    try {
      return (await c.extractStatements(sql)).count;
    } catch {
      return 'error';
    }
  };
  const m = (await import('libpg-query')) as unknown as { loadModule(): Promise<void>; parseSync(s: string): { stmts?: unknown[] }; default?: unknown };
  const lib = (typeof m.parseSync === 'function' ? m : m.default) as typeof m;
  await lib.loadModule();
  counts.postgres = async (sql) => {
    try {
      return lib.parseSync(sql).stmts?.length ?? 0;
    } catch {
      return 'error';
    }
  };
});

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

describe('semicolonsHidden: where the tokenizer answers for the parser', () => {
  it('adversarial texts: hidden ones are one statement to both parsers; the rest are left to the parser', async () => {
    const hidden = [
      "select 1 as a /* a /* nested ; */ still ; inside */",
      "select 1 as a /*/ ; */",
      "select 1 as a /**/ -- ;\n",
      "select 1 as a /* -- */ , ';' as b",
      "select 1 as a -- /* ;\n, 2 as b /* */",
      "select 'it''s; fine' as a, \"x;\"\"y\" as b",
      "select e'a;''b' as a, E';' as b, n';' as c, x'3b' as d",
      "select 1 as a --;\r, 2 as b",
      "select 1 as a /* ' ; */ , 2 as b /* \" ; */",
      "select '/* ;' as a, '*/ ; --' as b",
      "select 1 as a /* \r\n ; \r */",
      "select 1 as a -- ';\n",
      "select 1 as a -- é ; \u2028 still a comment\n",
      "select 1 */* ; */ 2 as a /*** ; ***/",
      "select 1 --/* ;\n+-- ;\n 2 as a",
    ];
    for (const sql of hidden) {
      expect(semicolonsHidden(sql, 'duckdb'), sql).toBe(true);
      for (const e of ENGINES) expect(await counts[e](sql), `${e}: ${sql}`).toBe(1);
    }
    // the parser decides these: a `;` outside, a `$`, a backslash, a NUL, an unterminated quote or comment
    const asked = [
      'select 1;',
      "select 1 /* a */ */ ; select 2",
      "select 1 /* */ ; */",
      "select 1 as a -- x\r; drop table t",
      "select $$;$$",
      "select $a$ ; $a$",
      "select E'\\'; drop table t; --'",
      "select '\\'; drop table t; --'",
      "select 1 /* \\ ; */",
      'select 1 /* ; */\u0000',
      "select ';",
      "select 1 /* ; ",
      'select ";',
    ];
    for (const sql of asked) for (const e of ENGINES) expect(semicolonsHidden(sql, e), sql).toBe(false);
    // and the parser still finds the second statement in those
    for (const e of ENGINES) {
      expect((await severalStatementsParsed("select 1 /* /* */ ; */", e, e))).toBeUndefined();
      expect(await severalStatementsParsed("select E'\\'; drop table t; --'", e, e)).toBeUndefined();
      expect((await severalStatementsParsed("select '\\'; drop table t; --'", e, e))?.problem).toMatch(/drop table t/);
      expect((await severalStatementsParsed('select 1 as a -- x\r; drop table t', e, e))?.problem).toMatch(/drop table t/);
    }
  });

  it('random texts from the characters lexers treat specially: whenever the tokenizer hides every `;`, neither parser finds two statements', async () => {
    const atoms = [';', ';', ';', "'", "'", "''", '"', '""', '/*', '*/', '/', '*', '-', '--', '\n', '\r', ' ', '\t', '\f', 'e', 'E', 'U&', 'x', 'n', 'é', '(', ')', ',', '1', 'select 1 ', '$', '\\'] as const;
    const r = seededRandom(17);
    let hiddenSeen = 0;
    for (let k = 0; k < 30000; k++) {
      const parts: string[] = [k % 2 ? 'select 1 as a ' : ''];
      const len = 1 + Math.floor(r() * 12);
      for (let j = 0; j < len; j++) parts.push(pick(r, atoms));
      const sql = parts.join('');
      for (const e of ENGINES) {
        if (!sql.includes(';') || !semicolonsHidden(sql, e)) continue;
        hiddenSeen++;
        const n = await counts[e](sql);
        // a text the parser cannot read goes to the tokenizer anyway, which finds one statement
        expect(n === 'error' || n <= 1, `${e}: ${JSON.stringify(sql)} counts ${n}`).toBe(true);
      }
    }
    expect(hiddenSeen).toBeGreaterThan(1000);
  });

  it('random comments and quotes holding `;`s after `select 1 as a`: hidden, and exactly one statement to both parsers', async () => {
    const inner = [';', ';', "''", '""', '/*', '*/', '--', '\r', '\n', '*', '/', '-', ' ', 'e', "'", '"', 'é'] as const;
    const r = seededRandom(13);
    const text = (n: number, not: string[]): string => {
      let s = '';
      for (let j = 0; j < n; j++) s += pick(r, inner.filter((x) => !not.includes(x)));
      return s;
    };
    let checked = 0;
    for (let k = 0; k < 1500; k++) {
      const items: string[] = [];
      for (let j = 0; j < 1 + Math.floor(r() * 4); j++) {
        const kind = Math.floor(r() * 5);
        if (kind === 0) items.push(`, '${text(6, ["'", "''"])}'`);
        else if (kind === 1) items.push(`, e'${text(6, ["'", "''"])}'`);
        else if (kind === 2) items.push(`, 1 as "${text(6, ['"', '""']) || 'x'}"`);
        else if (kind === 3) items.push(`-- ${text(6, ['\n', '\r'])}\n`);
        // a block comment with its nesting balanced: only whole `/* … */` pairs inside
        else items.push(`/* ${text(3, ['/*', '*/', '/', '*'])} /* ${text(3, ['/*', '*/', '/', '*'])} */ ${text(3, ['/*', '*/', '/', '*'])} */`);
      }
      const sql = `select 1 as a ${items.join(' ')}\n`;
      if (!sql.includes(';')) continue;
      for (const e of ENGINES) {
        expect(semicolonsHidden(sql, e), JSON.stringify(sql)).toBe(true);
        expect(await counts[e](sql), `${e}: ${JSON.stringify(sql)}`).toBe(1);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('StatementChecks leaves hidden `;`s alone and still sends the rest to the parser', async () => {
    const fail = (s: { problem: string }) => new Error(s.problem);
    const c = new StatementChecks('duckdb', 'duckdb');
    c.check('select 1 as a -- no; more;\n', fail);
    await expect(c.settle()).resolves.toBeUndefined();
    c.check('select 1 as a -- note\r; drop table t', fail);
    await expect(c.settle()).rejects.toThrow(/drop table t/);
  });
});
