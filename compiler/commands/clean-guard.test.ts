/**
 * The warehouse is never in clean-targets' way: the default DuckDB file sits beside project.yml,
 * a project built before the move still reads `target/<name>.duckdb` (one notice line), and
 * `tx clean` refuses to delete a folder holding any target's warehouse file, naming it.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureProject, queryDuckdb, type FixtureProject } from '../../testing/fixture-project.js';

const fixtures: FixtureProject[] = [];
const project = (files: Record<string, string>, dbFile?: string) => {
  const fx = fixtureProject(files, { name: 'wh', dbFile });
  fixtures.push(fx);
  return fx;
};
afterAll(() => fixtures.forEach((f) => f.cleanup()));

describe('the default DuckDB warehouse', () => {
  it('is <project>/<name>.duckdb; tx clean removes target/ and logs/ and leaves it', async () => {
    const fx = project({ 'models/m.sql': "{{ config(materialized='table') }}select 42 as n\n" }, 'wh.duckdb');
    const b = await fx.tx('build');
    expect(b.code, b.output).toBe(0);
    expect(fx.exists('wh.duckdb')).toBe(true);
    expect(fx.exists('target/wh.duckdb')).toBe(false);
    expect(fx.exists('target/manifest.json')).toBe(true);
    const c = await fx.tx('clean');
    expect(c.code, c.output).toBe(0);
    expect(c.stdout).toContain('removed target/');
    expect(fx.exists('target')).toBe(false);
    expect(await queryDuckdb(fx.path('wh.duckdb'), 'select n from main.m')).toEqual([{ n: 42 }]);
  });

  it('a warehouse at the old place target/<name>.duckdb is still read, with a one-line notice, and tx clean refuses to delete it', async () => {
    const fx = project({ 'models/m.sql': "{{ config(materialized='table') }}select * from main.kept\n" }, 'target/wh.duckdb');
    fx.write({ 'target/.keep': '' });
    const db = await DuckDBInstance.create(fx.path('target/wh.duckdb'));
    const conn = await db.connect();
    await conn.run('create table main.kept as select 7 as n');
    conn.closeSync();
    db.closeSync();
    const b = await fx.tx('build');
    expect(b.code, b.output).toBe(0);
    const notices = b.output.split('\n').filter((l) => l.includes('old place'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('the DuckDB warehouse is read from its old place target/wh.duckdb; its default place is now wh.duckdb');
    expect(fx.exists('wh.duckdb')).toBe(false);
    expect(await queryDuckdb(fx.path('target/wh.duckdb'), 'select n from main.m')).toEqual([{ n: 7 }]);
    const c = await fx.tx('clean');
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('clean-targets entry `target` holds the warehouse of target `duckdb` (target/wh.duckdb); refusing to delete it, nothing was removed');
    expect(c.stderr).toContain('mv target/wh.duckdb wh.duckdb');
    expect(fx.exists('target/wh.duckdb')).toBe(true);
    expect(fx.exists('logs')).toBe(true); // nothing was removed, logs/ neither
  });

  it('any target’s file counts, its path rendered from the environment; a folder without one is removed', async () => {
    const fx = project({
      'project.yml': "name: wh\ntarget: dev\ntargets:\n  dev: {type: duckdb, path: \"{{ env_var('WH_PATH', 'data/dev.duckdb') }}\"}\n  pg: {type: postgres, host: localhost}\nclean-targets: [target, data]\n",
      'models/m.sql': 'select 1 as n\n',
    });
    const b = await fx.tx('build');
    expect(b.code, b.output).toBe(0);
    expect(fx.exists('data/dev.duckdb')).toBe(true);
    const c = await fx.tx('clean');
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('clean-targets entry `data` holds the warehouse of target `dev` (data/dev.duckdb)');
    expect(fx.exists('target')).toBe(true); // checked before anything was deleted
    // the same project with the file elsewhere cleans both folders
    const elsewhere = { WH_PATH: fx.path('dev-elsewhere.duckdb') };
    expect((await fx.txWith({ env: elsewhere }, 'build')).code).toBe(0);
    fx.remove('data/dev.duckdb');
    const c2 = await fx.txWith({ env: elsewhere }, 'clean');
    expect(c2.code, c2.output).toBe(0);
    expect(fx.exists('target')).toBe(false);
    expect(fx.exists('dev-elsewhere.duckdb')).toBe(true);
  });
});
