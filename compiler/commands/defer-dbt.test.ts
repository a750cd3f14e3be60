/**
 * --defer against dbt-core 1.10 (dbt-duckdb) on the same dbt project, in a prod and a ci schema:
 * - `compile --select child --defer --state prod-artifacts` writes child's compiled SQL naming the
 *   prod relation of its unselected, unbuilt parent, as dbt's does;
 * - the manifest written under --defer keeps every node's own (ci) relation and, as dbt 1.10 writes
 *   it (its artifacts drop `defer_relation`), no `defer_relation` key; tx's passes ManifestV12;
 * - `build --select state:modified+ --defer` then the same nodes' relations as dbt's manifest;
 * - `show --defer` (a model and --inline) reads the prod parent where ci has none.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, dedent, fixtureProject, writeFiles, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import { provisionDbtArtifacts, provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core and dbt-artifacts-parser');

const FILES: Files = {
  'dbt_project.yml': dedent(`
    name: slim
    profile: slim
    config-version: 2
    models:
      slim:
        +materialized: table
  `),
  'profiles.yml': dedent(`
    slim:
      target: prod
      outputs:
        prod: {type: duckdb, path: wh.duckdb, schema: prod, threads: 1}
        ci: {type: duckdb, path: wh.duckdb, schema: ci, threads: 1}
  `),
  'seeds/people.csv': 'id,name\n1,ann\n2,bob\n',
  'models/base.sql': "select id, name from {{ ref('people') }}",
  'models/child.sql': "select id, name from {{ ref('base') }}",
};
const CHANGED = { 'models/child.sql': "select id, upper(name) as name from {{ ref('base') }}" };

type Node = Record<string, unknown>;
type Manifest = { nodes: Record<string, Node> };
/**
 * What a manifest says of each model and seed's relation, and whether it has a defer_relation key.
 * The relation name without its database part: tx names DuckDB relations `"schema"."name"`, dbt-duckdb
 * `"wh"."schema"."name"` (a difference outside --defer).
 */
const relations = (m: Manifest) =>
  Object.fromEntries(
    Object.values(m.nodes)
      .filter((n) => n.resource_type !== 'test')
      .map((n) => [n.unique_id, { schema: n.schema, alias: n.alias, relation_name: String(n.relation_name).replace(/^"wh"\./, ''), defer_relation: 'defer_relation' in n }]),
  );

let dbtBin = '';
let artifactsPython = '';
const dirs: string[] = [];
const fixtures: FixtureProject[] = [];
beforeAll(async () => {
  if (noPython) return;
  dbtBin = join((await provisionDbtCore()).dir, 'bin', 'dbt');
  artifactsPython = (await provisionDbtArtifacts()).python;
}, 600_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const f of fixtures) f.cleanup();
});

function dbt(dir: string, ...args: string[]): void {
  const r = spawnSync(dbtBin, [...args, '--profiles-dir', dir, '--project-dir', dir], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } });
  expect(r.status, `dbt ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

describe('--defer: tx and dbt-core 1.10', () => {
  it.skipIf(noPython)('compile, build and show --defer read the prod parent; the manifest keeps each node\'s own relation as dbt writes it', async () => {
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-defer-dbt-'));
    dirs.push(dbtDir);
    writeFiles(dbtDir, FILES);
    const fx = fixtureProject(FILES);
    fixtures.push(fx);

    // production: everything built in prod, its manifest saved
    dbt(dbtDir, 'build');
    cpSync(join(dbtDir, 'target/manifest.json'), join(dbtDir, 'prod-artifacts/manifest.json'));
    const prod = await fx.tx('build');
    expect(prod.code, prod.output).toBe(0);
    cpSync(fx.path('target/manifest.json'), fx.path('prod-artifacts/manifest.json'));
    writeFiles(dbtDir, CHANGED);
    fx.write(CHANGED);

    // compile in ci, where nothing is built: child's ref('base') names prod's base
    dbt(dbtDir, 'compile', '--target', 'ci', '--select', 'child', '--defer', '--state', 'prod-artifacts');
    const c = await fx.tx('compile', '--target', 'ci', '--select', 'child', '--defer', '--state', 'prod-artifacts');
    expect(c.code, c.output).toBe(0);
    const dbtCompiled = readFileSync(join(dbtDir, 'target/compiled/slim/models/child.sql'), 'utf8');
    expect(dbtCompiled).toContain('"wh"."prod"."base"');
    expect(fx.read('target/compiled/slim/models/child.sql').trim()).toBe(dbtCompiled.trim());
    const dbtCompileManifest = JSON.parse(readFileSync(join(dbtDir, 'target/manifest.json'), 'utf8')) as Manifest;
    const txCompileManifest = fx.json<Manifest>('target/manifest.json');
    expect(relations(dbtCompileManifest)['model.slim.base']).toEqual({ schema: 'ci', alias: 'base', relation_name: '"ci"."base"', defer_relation: false });
    expect(relations(txCompileManifest)).toEqual(relations(dbtCompileManifest));
    expect(String(txCompileManifest.nodes['model.slim.child']!.compiled_code)).toContain('"wh"."prod"."base"');

    // show: the changed model's SQL over prod's base; an inline query's ref too
    const shown = await fx.tx('show', '--target', 'ci', '--select', 'child', '--defer', '--state', 'prod-artifacts', '--output', 'json', '-q');
    expect(shown.code, shown.output).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual([
      { id: 1, name: 'ANN' },
      { id: 2, name: 'BOB' },
    ]);
    const inline = await fx.tx('show', '--target', 'ci', '--inline', "select count(*) as n from {{ ref('base') }}", '--defer', '--state', 'prod-artifacts', '--output', 'json', '-q');
    expect(inline.code, inline.output).toBe(0);
    expect(JSON.parse(inline.stdout)).toEqual([{ n: 2 }]);
    const noDefer = await fx.tx('show', '--target', 'ci', '--inline', "select count(*) as n from {{ ref('base') }}");
    expect(noDefer.code).not.toBe(0); // ci.base does not exist: the deferral is what made it work

    // build the modified model in ci: same relations in both manifests, still no defer_relation
    dbt(dbtDir, 'build', '--target', 'ci', '--select', 'state:modified+', '--defer', '--state', 'prod-artifacts');
    const b = await fx.tx('build', '--target', 'ci', '--select', 'state:modified+', '--defer', '--state', 'prod-artifacts');
    expect(b.code, b.output).toBe(0);
    const dbtBuild = JSON.parse(readFileSync(join(dbtDir, 'target/manifest.json'), 'utf8')) as Manifest;
    expect(relations(fx.json<Manifest>('target/manifest.json'))).toEqual(relations(dbtBuild));
    expect(fx.read('target/compiled/slim/models/child.sql')).toContain('"wh"."prod"."base"');

    // tx's manifest under --defer is a valid ManifestV12
    const v = spawnSync(artifactsPython, [join(REPO_ROOT, 'compiler', 'artifacts', 'python', 'validate_dbt_artifacts.py'), `manifest=${fx.path('target/manifest.json')}`], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout.trim().split('\n').pop()!) as Record<string, { errors: number; first: string[] }>;
    expect(report.manifest, JSON.stringify(report.manifest!.first)).toMatchObject({ errors: 0 });
  }, 600_000);
});
