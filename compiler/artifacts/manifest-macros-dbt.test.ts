/**
 * manifest.json's `macros` against dbt-core 1.10's own (`dbt parse`) on a copy of dbt_utils'
 * integration tests: the root project's and the installed package's macros (dbt_utils' 116, two of
 * which tx missed while a default argument held a parenthesis), each with dbt's unique id, name,
 * package, `path` and `original_file_path` (a macro's path keeps its `macros/` folder; a package's is
 * inside the package); and a generic test's macro in `depends_on.macros` (`macro.dbt_utils.test_equality`
 * for `dbt_utils.equality`, which tx left empty). Not compared: dbt's own `macro.dbt.*` and adapter
 * macros (tx's built-ins are `macro.tx.*`), `arguments`, and the rest of `depends_on.macros`.
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
    const r = await runCli(['compile', '-q'], { cwd: dir, env, timeoutMs: 120_000 });
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
  }, 600_000);
});
