/**
 * Column names in a dbt project's generic tests (issue 12), against dbt-core 1.10 + dbt-postgres:
 * dbt passes a column's name to a test as written, quoted only where the column says `quote: true`.
 * So on PostgreSQL `name: CustomerID` finds the case-folded column `customerid` a model made with
 * `select 1 as CustomerID`, and `name: MixedName` with `quote: true` finds `"MixedName"`. One project,
 * copied unchanged, built by dbt and by tx: every test passes in both, with the same test ids, and
 * the manifest's `quote` of each column is dbt's (tx quoted every name before, so the first column's
 * tests failed with "column "CustomerID" does not exist").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dedent, runCli, writeFiles } from './fixture-project.js';
import { dbtCoreVenv, dbtEnv, dbtPostgresProfile, noPythonFor, readArtifact, runDbt } from './dbt-reference.js';
import { postgresForSuite } from './postgres-scratch.js';

const noPython = await noPythonFor('dbt-core 1.10 with dbt-postgres');

const work = mkdtempSync(join(tmpdir(), 'tx-dbt-quoting-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const files = (profile: string): Record<string, string> => ({
  'dbt_project.yml': "name: quoting\nversion: '1.0'\nconfig-version: 2\nprofile: quoting\nmodels:\n  quoting:\n    +materialized: table\n",
  'profiles.yml': profile,
  'models/customers.sql': 'select 1 as CustomerID, \'x\' as "MixedName"\nunion all select 2, \'y\'\n',
  'models/orders.sql': 'select 10 as OrderID, 1 as CustomerID\n',
  'models/props.yml': dedent(`
    version: 2
    models:
      - name: customers
        columns:
          - name: CustomerID
            data_tests: [not_null, unique]
          - name: MixedName
            quote: true
            data_tests: [not_null]
      - name: orders
        columns:
          - name: CustomerID
            quote: false
            data_tests:
              - relationships:
                  to: ref('customers')
                  field: CustomerID
  `),
});

type RunResults = { results: { unique_id: string; status: string }[] };
type Manifest = { nodes: Record<string, { columns?: Record<string, { quote: boolean | null }> }> };

describe.skipIf(noPython)('generic tests on a dbt project: column names quoted as dbt quotes them', () => {
  const venv = dbtCoreVenv();
  const pg = postgresForSuite();

  it('on PostgreSQL: the same tests pass in tx and dbt, and the manifest keeps each column\'s quote', async () => {
    const profile = (db: string) => dbtPostgresProfile('quoting', pg.svc(), db, 'quoting');
    const txDb = await pg.scratch('tx_quoting');
    const dbtDb = await pg.scratch('dbt_quoting');
    const txDir = join(work, 'tx');
    const dbtDir = join(work, 'dbt');
    writeFiles(txDir, files(profile(txDb.db.name)));
    writeFiles(dbtDir, files(profile(dbtDb.db.name)));
    const d = runDbt(venv(), dbtDir, ['build'], { env });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const t = await runCli(['build'], { cwd: txDir, env, timeoutMs: 300_000 });
    expect(t.code, t.output).toBe(0);
    const tests = (dir: string) =>
      Object.fromEntries(
        readArtifact<RunResults>(dir, 'run_results.json')
          .results.filter((r) => r.unique_id.startsWith('test.'))
          .map((r) => [r.unique_id, r.status]),
      );
    expect(tests(txDir)).toEqual(tests(dbtDir));
    expect(Object.values(tests(dbtDir))).toEqual(['pass', 'pass', 'pass', 'pass']);
    const quotes = (dir: string) => {
      const m = readArtifact<Manifest>(dir);
      return ['model.quoting.customers', 'model.quoting.orders'].map((id) => Object.fromEntries(Object.entries(m.nodes[id]!.columns ?? {}).map(([k, c]) => [k, c.quote])));
    };
    expect(quotes(txDir)).toEqual(quotes(dbtDir));
    expect(quotes(dbtDir)).toEqual([{ CustomerID: null, MixedName: true }, { CustomerID: false }]);
  }, 600_000);
});
