/**
 * `run_query` before any node runs (issue 12, "Bad input"): on-run-start hooks render as dbt
 * renders them, when they run, with `execute` true and the warehouse reachable (a hook's
 * run_query answers from the warehouse); a run_query that fails in the warehouse stops the build
 * with exit 2, naming dbt_project.yml and the hook's line, the database's own message and the
 * query, and nothing is built. A model whose run_query fails renders when it runs (as in dbt), so
 * that node fails, its result naming models/…:LINE and the database's message. On embedded
 * DuckDB and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relationsOf, runCli, writeFiles } from './fixture-project.js';
import { queryRows } from './postgres-scratch.js';
import { createTestDatabase, startPostgres, type PostgresService, type TestDatabase } from './services/postgres.js';

const work = mkdtempSync(join(tmpdir(), 'tx-run-query-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A dbt project whose on-run-start hook (line 6 of dbt_project.yml) calls a macro running `query`. */
function project(name: string, profile: string, query: string): string {
  const dir = join(work, name);
  writeFiles(dir, {
    'dbt_project.yml': "name: rq\nversion: '1.0'\nconfig-version: 2\nprofile: rq\non-run-start:\n  - \"{{ hook_from_query() }}\"\n",
    'profiles.yml': `rq:\n  target: dev\n  outputs:\n    dev:\n${profile}`,
    'macros/hook_from_query.sql': `{% macro hook_from_query() %}\n  {% set r = run_query(${JSON.stringify(query)}) %}\n  {% if execute %}create table {{ target.schema }}.hook_out as select {{ r.columns[0].values()[0] }} as v{% endif %}\n{% endmacro %}\n`,
    'models/m.sql': 'select 1 as a\n',
  });
  return dir;
}

const cases: {
  target: string;
  setup(): Promise<{ profile: string; relations(): Promise<string[]>; value(): Promise<unknown>; done?(): Promise<void> }>;
  dbMessage: RegExp;
}[] = [
  {
    target: 'DuckDB',
    dbMessage: /Catalog Error: Table with name nosuch does not exist/,
    async setup() {
      const db = join(work, `duck-${Math.random().toString(36).slice(2)}.duckdb`);
      return {
        profile: `      type: duckdb\n      path: ${JSON.stringify(db)}\n`,
        relations: async () => (await relationsOf(db).catch(() => [])).map((r) => r.name),
        value: async () => (await import('./fixture-project.js')).queryDuckdb(db, 'select v from hook_out').then((r) => Number(r[0]!.v)),
      };
    },
  },
  {
    target: 'PostgreSQL',
    dbMessage: /relation "nosuch" does not exist/,
    async setup() {
      svc ??= await startPostgres();
      const db: TestDatabase = await createTestDatabase(svc, 'tx_run_query');
      const u = new URL(db.url);
      const q = (sql: string) => queryRows(db.url, sql);
      await q('create schema rq');
      return {
        profile: `      type: postgres\n      host: ${u.hostname}\n      port: ${u.port || 5432}\n      user: ${decodeURIComponent(u.username)}\n      pass: ${JSON.stringify(decodeURIComponent(u.password) || 'unused')}\n      dbname: ${db.name}\n      schema: rq\n`,
        relations: async () => (await q("select table_name from information_schema.tables where table_schema = 'rq' order by 1")).map((r) => String(r.table_name)),
        value: async () => Number((await q('select v from rq.hook_out'))[0]!.v),
        done: () => db.drop(),
      };
    },
  },
];
let svc: PostgresService | undefined;
afterAll(async () => svc?.stop());

for (const t of cases) {
  describe(`run_query in an on-run-start hook on ${t.target}`, () => {
    let env: Awaited<ReturnType<(typeof t)['setup']>>;
    beforeAll(async () => {
      env = await t.setup();
    }, 120_000);
    afterAll(async () => env?.done?.().catch(() => undefined));

    it('a query failing in the warehouse: exit 2 naming dbt_project.yml:6, the database message and the query; nothing built', async () => {
      const dir = project(`bad-${t.target}`, env.profile, 'select * from nosuch');
      const r = await runCli(['build', '--project-dir', dir, '--profiles-dir', dir], { cwd: dir, env: { DBT_PROFILES_DIR: undefined } });
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(/dbt_project\.yml:6: on-run-start hook 1 failed/);
      expect(r.output).toMatch(t.dbMessage);
      expect(r.output).toMatch(/select \* from nosuch/);
      expect(r.output).not.toMatch(/OK created/);
      expect(await env.relations()).toEqual([]);
    }, 120_000);

    it('a model whose run_query fails when it runs: that node fails naming models/bad.sql:2 and the database message, and is not built', async () => {
      const dir = project(`model-${t.target}`, env.profile, 'select 41 + 1 as x');
      writeFiles(dir, { 'models/bad.sql': "select 1 as z\n{% set r = run_query('select * from nosuch') %}\n", 'dbt_project.yml': "name: rq\nversion: '1.0'\nconfig-version: 2\nprofile: rq\n" });
      const r = await runCli(['build', '--project-dir', dir, '--profiles-dir', dir, '--select', 'bad'], { cwd: dir, env: { DBT_PROFILES_DIR: undefined } });
      // as in dbt: the model renders when it runs, so its failure is the node's (exit 1)
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(/ERROR model bad/);
      expect(r.output).toMatch(/models\/bad\.sql:2: a query from a template failed in the warehouse/);
      expect(r.output).toMatch(t.dbMessage);
      expect(await env.relations()).toEqual([]);
    }, 120_000);

    it('answers from the warehouse (execute is true when the hook runs)', async () => {
      const dir = project(`ok-${t.target}`, env.profile, 'select 41 + 1 as x');
      const r = await runCli(['build', '--project-dir', dir, '--profiles-dir', dir], { cwd: dir, env: { DBT_PROFILES_DIR: undefined } });
      expect(r.code, r.output).toBe(0);
      expect(await env.value()).toBe(42);
      expect(await env.relations()).toEqual(['hook_out', 'm']);
    }, 120_000);
  });
}
