/**
 * The relationships test is an anti-join: a parent column with repeated values never multiplies the
 * child's rows. DuckDB's profiler counts the rows out of every operator of the compiled test; with
 * the left join it replaced, the join alone put out child rows × repeats (450,100 here).
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { compileFixture } from '../../testing/fixture-project.js';

interface ProfileNode {
  operator_type?: string;
  operator_cardinality?: number;
  children?: ProfileNode[];
}
const cardinalities = (n: ProfileNode, out: [string, number][] = []): [string, number][] => {
  if (n.operator_cardinality !== undefined) out.push([n.operator_type ?? '?', n.operator_cardinality]);
  for (const c of n.children ?? []) cardinalities(c, out);
  return out;
};

describe('relationships', () => {
  it('finds the orphans, once each, and no operator handles more rows than the two tables hold', async () => {
    const c = await compileFixture({
      'models/child.sql': 'select 1 as k',
      'models/parent.sql': 'select 1 as k',
      'models/p.yml': "version: 2\nmodels:\n  - name: child\n    columns:\n      - name: k\n        data_tests:\n          - relationships: {to: ref('parent'), field: k}\n",
    });
    const test = [...c.nodes.values()].find((n) => n.test?.testName === 'relationships')!;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const profile = join(tmpdir(), `tx-rel-profile-${process.pid}.json`);
    try {
      // 1,000 child rows over keys 1..10 (plus nulls, which are no orphans); the parent holds keys 1..9, each 500 times
      await conn.run('create table main.child as select case when i % 50 = 0 then null else (i % 10) + 1 end as k from range(1000) t(i)');
      await conn.run('create table main.parent as select (i % 9) + 1 as k from range(4500) t(i)');
      await conn.run("pragma enable_profiling = 'json'");
      await conn.run(`pragma profiling_output = '${profile}'`);
      const rows = (await conn.runAndReadAll(test.compiledSql!)).getRowObjectsJS();
      await conn.run('pragma disable_profiling');
      // key 10 is the orphan: i % 10 = 9, 100 rows, none of them null (i % 50 = 0 means i % 10 = 0)
      expect(rows).toHaveLength(100);
      expect(new Set(rows.map((r) => Number(r.from_field)))).toEqual(new Set([10]));
      const ops = cardinalities(JSON.parse(readFileSync(profile, 'utf8')) as ProfileNode);
      expect(ops.length).toBeGreaterThan(2);
      for (const [op, n] of ops) expect({ op, n: n <= 1000 + 4500 }).toEqual({ op, n: true });
    } finally {
      conn.closeSync();
      db.closeSync();
      rmSync(profile, { force: true });
    }
  });
});
