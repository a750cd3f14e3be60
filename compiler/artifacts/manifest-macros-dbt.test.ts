/**
 * manifest.json's `macros` against dbt-core 1.10's own (`dbt parse`) on a copy of dbt_utils'
 * integration tests: the root project's and the installed package's macros (dbt_utils' 116, two of
 * which tx missed while a default argument held a parenthesis), each with dbt's unique id, name,
 * package, `path` and `original_file_path` (a macro's path keeps its `macros/` folder; a package's is
 * inside the package); every node's `depends_on.macros` (a generic test's macro as dbt's resolver
 * finds it, then `get_where_subquery` for all but dbt's unique and not_null; a model's calls, bare
 * and namespaced, `dbt.*` included, in the order Jinja finishes them), but for three nodes whose
 * calls dbt's parse-time render skips (STATIC_MACROS); and tx's copies of dbt's global macros, listed
 * under dbt's ids. Not compared: the rest of dbt's own `macro.dbt.*` (its materializations and
 * adapter macros, which tx does not ship as macros), a macro's `arguments` and `depends_on`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtUtilsIntegrationEnv, noPythonFor, runDbt } from '../../testing/dbt-reference.js';
import { REPO_ROOT, runCli } from '../../testing/fixture-project.js';

const SHARED = resolve(REPO_ROOT, '..', 'shared', 'dbt');
const noPython = await noPythonFor('dbt-core 1.10');

const work = mkdtempSync(join(tmpdir(), 'tx-manifest-macros-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtUtilsIntegrationEnv(work, 'dbt_utils_macros');

/** Nodes whose calls are inside a loop over a query's rows or under `{% if execute %}`: dbt's parse lists none of them, tx's reading of the text all. */
const STATIC_MACROS = new Set([
  'model.dbt_utils_integration_tests.test_get_column_values',
  'model.dbt_utils_integration_tests.test_get_column_values_where',
  'test.dbt_utils_integration_tests.assert_get_query_results_as_dict_objects_equal',
]);

type Entry = Record<string, unknown> & { depends_on?: { macros?: string[] }; test_metadata?: { namespace?: string | null; name?: string } };
type Manifest = { macros: Record<string, Entry>; nodes: Record<string, Entry> };

describe.skipIf(noPython)("manifest.json's macros, as dbt-core 1.10 lists them", () => {
  const venv = dbtCoreVenv();

  it("dbt_utils' integration tests: the project's and the package's macros, a package test's macro", async () => {
    const root = join(work, 'dbt_utils');
    cpSync(join(SHARED, 'dbt_utils'), root, { recursive: true });
    const dir = join(root, 'integration_tests');
    for (const args of [['deps'], ['parse', '--target-path', 'dbt_target']]) {
      const r = runDbt(venv(), dir, args, { env });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    // tx parse beside dbt parse (a compile lists get_where_subquery for unique and not_null too, as dbt compile does: where-subquery.test.ts)
    const r = await runCli(['parse', '-q'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const dbt = JSON.parse(readFileSync(join(dir, 'dbt_target', 'manifest.json'), 'utf8')) as Manifest;
    const tx = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;

    const ours = (m: Manifest) => Object.keys(m.macros).filter((id) => /^macro\.(dbt_utils|dbt_utils_integration_tests)\./.test(id)).sort();
    expect(ours(dbt).length).toBeGreaterThan(120);
    expect(ours(tx)).toEqual(ours(dbt));
    const fields = (e: Entry) => ({ unique_id: e.unique_id, name: e.name, package_name: e.package_name, path: e.path, original_file_path: e.original_file_path });
    for (const id of ours(dbt)) expect(fields(tx.macros[id]!), id).toEqual(fields(dbt.macros[id]!));

    // a package's generic test depends on that package's test macro (of the tests both list: dbt's
    // parse also keeps one on `test_unpivot_original_api`, a model without a file, which tx leaves out)
    const packageTests = Object.entries(dbt.nodes).filter(([id, n]) => id in tx.nodes && id.startsWith('test.') && n.test_metadata?.namespace === 'dbt_utils' && n.depends_on?.macros?.[0]?.startsWith('macro.dbt_utils.'));
    expect(packageTests.length).toBeGreaterThan(50);
    for (const [id, n] of packageTests) expect(tx.nodes[id]?.depends_on?.macros?.[0], id).toBe(n.depends_on!.macros![0]);

    // every node's depends_on.macros, as dbt lists it (its order included)
    const both = Object.keys(dbt.nodes).filter((id) => id in tx.nodes && !STATIC_MACROS.has(id));
    expect(both.length).toBeGreaterThan(230);
    const listed = (m: Manifest, id: string) => m.nodes[id]!.depends_on?.macros ?? [];
    for (const id of both) expect(listed(tx, id), id).toEqual(listed(dbt, id));
    // of which: dbt's own tests and macros under dbt's ids, namespaced calls, the test macro of a
    // project that overrides a package's (dbt lists the project's for `dbt_utils.not_empty_string`)
    const all = new Set(both.flatMap((id) => listed(dbt, id)));
    for (const m of ['macro.dbt.test_not_null', 'macro.dbt.test_accepted_values', 'macro.dbt.get_where_subquery', 'macro.dbt.type_string', 'macro.dbt.dateadd', 'macro.dbt_utils.star', 'macro.dbt_utils_integration_tests.test_not_empty_string']) expect(all, m).toContain(m);
    // a macro listed is one manifest.json lists
    for (const id of both) for (const m of listed(tx, id)) expect(tx.macros[m], `${id}: ${m}`).toBeDefined();
    // the three where tx reads more calls than dbt's render made: dbt's are among tx's
    for (const id of STATIC_MACROS) for (const m of listed(dbt, id)) expect(listed(tx, id), id).toContain(m);
    // tx's copies of dbt's global macros are dbt's (`macro.dbt.dateadd`, package dbt), and of the
    // target's adapter's (`macro.dbt_postgres.postgres__dateadd`, no other adapter's); their files tx's
    const globals = Object.keys(tx.macros).filter((id) => /^macro\.dbt(_postgres)?\./.test(id));
    expect(globals.length).toBeGreaterThan(100);
    expect(globals).toContain('macro.dbt_postgres.postgres__dateadd');
    expect(Object.keys(tx.macros).filter((id) => /^macro\.dbt_(duckdb|spark)\.|\.(duckdb|spark)__/.test(id))).toEqual([]);
    for (const id of globals) {
      expect(dbt.macros[id], id).toBeDefined();
      expect(tx.macros[id]).toMatchObject({ package_name: dbt.macros[id]!.package_name, name: dbt.macros[id]!.name });
      expect(String(tx.macros[id]!.path)).toMatch(/^compiler\/(compile\/builtin-macros\.ts|template\/dbt-global-macros\/\w+\.sql)$/);
    }
  }, 600_000);
});
