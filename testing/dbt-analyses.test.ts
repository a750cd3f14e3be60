/**
 * dbt analyses (issue 12): `.sql` files under `analysis-paths` are compiled, written to
 * target/compiled/<project>/analysis/... and into manifest.json as `analysis.<project>.<name>`
 * nodes, and never run. jaffle_shop (its analysis-paths is `analysis`) plus two added analyses,
 * one in a subfolder, compiled by tx and by dbt-core 1.10 + dbt-duckdb (`dbt compile`): the same
 * analysis nodes (path, fqn, config, checksum, raw and compiled code, depends_on, compiled_path),
 * parent and child maps, and compiled files. `tx build` runs none of them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, readArtifact, runDbt, writeProfiles } from './dbt-reference.js';
import { REPO_ROOT, runCli, writeFiles, type TxRun } from './fixture-project.js';

const FIXTURE = resolve(REPO_ROOT, '..', 'shared', 'dbt', 'jaffle_shop');
const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-analyses-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const ANALYSES = {
  'analysis/order_counts.sql': "select customer_id, count(*) as n\nfrom {{ ref('orders') }}\ngroup by 1\n",
  'analysis/finance/big_payments.sql': "{{ config(tags=['finance']) }}\nselect p.*\nfrom {{ ref('stg_payments') }} p\njoin {{ ref('customers') }} c using (customer_id)\nwhere amount > 20\n",
};
const IDS = ['analysis.jaffle_shop.big_payments', 'analysis.jaffle_shop.order_counts'];

function copyOf(name: string): string {
  const dir = join(work, name);
  cpSync(FIXTURE, dir, { recursive: true });
  writeFiles(dir, ANALYSES);
  return dir;
}
type Manifest = { nodes: Record<string, Record<string, unknown>>; parent_map: Record<string, string[]>; child_map: Record<string, string[]> };
const manifest = (dir: string) => readArtifact<Manifest>(dir);
// tx names DuckDB relations without the catalog ("main"."orders"), dbt-duckdb with it ("jaffle_shop"."main"."orders")
const noCatalog = (s: unknown) => (typeof s === 'string' ? s.replaceAll('"jaffle_shop".', '') : s);
const FIELDS = ['name', 'resource_type', 'package_name', 'path', 'original_file_path', 'fqn', 'alias', 'checksum', 'config', 'tags', 'raw_code', 'refs', 'sources', 'depends_on', 'compiled_path', 'compiled', 'relation_name', 'database', 'schema', 'language'];
const analysisNode = (m: Manifest, id: string) => ({
  ...Object.fromEntries(FIELDS.map((f) => [f, m.nodes[id]?.[f]])),
  compiled_code: noCatalog(m.nodes[id]?.compiled_code),
  parents: m.parent_map[id],
});

const txDir = copyOf('tx');
let compile: TxRun;
let build: TxRun;
beforeAll(async () => {
  compile = await runCli(['compile'], { cwd: txDir, env, timeoutMs: 180_000 });
  build = await runCli(['build'], { cwd: txDir, env, timeoutMs: 180_000 });
}, 300_000);

describe('analyses with tx', () => {
  it('compiled into target/compiled and manifest.json, never run by build', () => {
    expect(compile.code, compile.output).toBe(0);
    expect(compile.output).not.toMatch(/analysis-paths/);
    expect(readFileSync(join(txDir, 'target', 'compiled', 'jaffle_shop', 'analysis', 'order_counts.sql'), 'utf8')).toBe('select customer_id, count(*) as n\nfrom "main"."orders"\ngroup by 1\n');
    const m = manifest(txDir);
    expect(Object.keys(m.nodes).filter((k) => k.startsWith('analysis.')).sort()).toEqual(IDS);
    expect(m.child_map['model.jaffle_shop.orders']).toContain('analysis.jaffle_shop.order_counts');
    expect(build.code, build.output).toBe(0);
    expect(build.output).toMatch(/OK=28 WARN=0 ERROR=0 SKIP=0/);
    const results = JSON.parse(readFileSync(join(txDir, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string }[] };
    expect(results.results.filter((r) => r.unique_id.startsWith('analysis.'))).toEqual([]);
  });

  it('tx compile --select and tx ls select analyses by name, tag, fqn and resource type', async () => {
    const one = await runCli(['compile', '--select', 'big_payments'], { cwd: txDir, env });
    expect(one.code, one.output).toBe(0);
    expect(one.output).toMatch(/Compiled 1 analysis in /);
    const all = await runCli(['compile', '--select', 'resource_type:analysis'], { cwd: txDir, env });
    expect(all.output).toMatch(/Compiled 2 analyses in /);
    expect(all.output).not.toMatch(/does not match any/);
    const ls = await runCli(['ls', '--select', 'tag:finance', 'jaffle_shop.analysis.order_counts'], { cwd: txDir, env });
    expect(ls.code, ls.output).toBe(0);
    expect(ls.output).not.toMatch(/does not match any/);
    expect(ls.stdout.trim().split('\n').filter((l) => l.startsWith('jaffle_shop.')).sort()).toEqual(['jaffle_shop.analysis.finance.big_payments', 'jaffle_shop.analysis.order_counts']);
  });

  it('an analysis that refs a model that does not exist: exit 2 naming the file', async () => {
    const bad = copyOf('bad');
    writeFileSync(join(bad, 'analysis', 'order_counts.sql'), "select * from {{ ref('orderz') }}\n");
    const r = await runCli(['compile'], { cwd: bad, env });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/analysis\/order_counts\.sql:1: analysis `order_counts` refs `orderz`, which does not exist/);
    expect(r.stderr).toMatch(/did you mean `orders`/);
  });
});

describe.skipIf(noPython)('analyses: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  const venv = dbtCoreVenv();
  const dbtDir = copyOf('dbt');
  const dbtProfiles = join(work, 'dbt-profiles');
  beforeAll(() => {
    // the database file is jaffle_shop.duckdb, as tx's, so both name the same catalog
    writeProfiles(
      dbtProfiles,
      `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dbtProfiles, 'jaffle_shop.duckdb'))}\n      threads: 1\n      config_options: {storage_compatibility_version: v1.5.0}\n`,
    );
  });

  it('dbt compile writes the same analysis nodes, maps and compiled files', () => {
    const txLs = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'compiler', 'cli.js'), 'ls', '--select', 'tag:finance', 'jaffle_shop.analysis.order_counts', '+order_counts', '--resource-type', 'analysis', 'model'], { cwd: txDir, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(txLs.status, txLs.stdout + txLs.stderr).toBe(0);
    const r = runDbt(venv(), dbtDir, ['compile'], { env, profilesDir: dbtProfiles });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const mine = manifest(txDir);
    const theirs = manifest(dbtDir);
    expect(Object.keys(theirs.nodes).filter((k) => k.startsWith('analysis.')).sort()).toEqual(IDS);
    for (const id of IDS) expect(analysisNode(mine, id), id).toEqual(analysisNode(theirs, id));
    for (const parent of ['model.jaffle_shop.orders', 'model.jaffle_shop.customers', 'model.jaffle_shop.stg_payments']) {
      expect(mine.child_map[parent]!.filter((c) => c.startsWith('analysis.')), parent).toEqual(theirs.child_map[parent]!.filter((c) => c.startsWith('analysis.')));
    }
    // dbt ls selects them as tx ls does
    const lsArgs = ['ls', '--select', 'tag:finance', 'jaffle_shop.analysis.order_counts', '+order_counts', '--resource-type', 'analysis', 'model'];
    const dbtLs = runDbt(venv(), dbtDir, [...lsArgs, '--quiet'], { env, profilesDir: dbtProfiles });
    expect(dbtLs.status, dbtLs.stdout + dbtLs.stderr).toBe(0);
    const lines = (t: string) => t.trim().split('\n').filter((l) => /^jaffle_shop\./.test(l)).sort();
    expect(lines(txLs.stdout)).toEqual(lines(dbtLs.stdout));
    expect(lines(txLs.stdout)).toContain('jaffle_shop.analysis.finance.big_payments');
    for (const f of ['analysis/order_counts.sql', 'analysis/finance/big_payments.sql']) {
      const text = (dir: string) => readFileSync(join(dir, 'target', 'compiled', 'jaffle_shop', f), 'utf8').trim();
      expect(text(txDir), f).toBe(noCatalog(text(dbtDir)));
    }
  }, 300_000);
});
