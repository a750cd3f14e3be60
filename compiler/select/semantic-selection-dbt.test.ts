/**
 * Selecting exposures, metrics, semantic models, saved queries and groups, against dbt-core 1.10:
 * the same copy of ../shared/dbt/jaffle_shop with properties files declaring every kind
 * (testing/jaffle-semantic.ts) is listed by `tx ls` and `dbt ls` with the same selectors (methods,
 * graph operators, resource types) and the lines are compared; `tx build --select
 * +exposure:weekly_revenue` runs exactly what dbt build runs for it, less the exposure itself (a no-op
 * in dbt's run results, which tx does not write); and `graph.exposures` / `graph.metrics` /
 * `graph.semantic_models` in a model's template compile to what dbt compiles.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';
import { jaffleWithSemantics } from '../../testing/jaffle-semantic.js';
import { provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core 1.10 + dbt-duckdb');

/** A model whose compiled SQL shows what the `graph` variable holds of the dbt-only resources. */
const PROBE = [
  '-- exposures: {{ graph.exposures.keys() | list }}',
  '-- metrics: {{ graph.metrics.keys() | list }}',
  '-- semantic_models: {{ graph.semantic_models.keys() | list }}',
  '-- saved_queries: {{ graph.saved_queries.keys() | list }}',
  '-- groups: {{ graph.groups.keys() | list }}',
  "-- weekly_revenue: {{ (graph.exposures.get('exposure.jaffle_shop.weekly_revenue') or {}).get('depends_on') }}",
  "-- owner: {{ (graph.exposures.get('exposure.jaffle_shop.weekly_revenue') or {}).get('owner') }}",
  "-- type: {{ (graph.exposures.get('exposure.jaffle_shop.raw_orders_audit') or {}).get('type') }}",
  "-- alias: {{ ((graph.semantic_models.get('semantic_model.jaffle_shop.payments') or {}).get('node_relation') or {}).get('alias') }}",
  "-- measures: {{ ((graph.metrics.get('metric.jaffle_shop.average_order_value') or {}).get('type_params') or {}).get('input_measures', []) | map(attribute='name') | list }}",
  "-- metric deps: {{ ((graph.metrics.get('metric.jaffle_shop.order_total_per_customer') or {}).get('depends_on') or {}).get('nodes') }}",
  'select 1 as x',
  '',
].join('\n');

/** A model whose config reads the graph: dbt parses it while the graph is still empty (tags `e0`). */
const CONFIG_PROBE = "{{ config(tags=['e' ~ (graph.exposures | length)]) }}\nselect 1 as x\n";

/** `ls` arguments compared line by line (each a list of argv words). */
const LISTINGS: string[][] = [
  ['--select', '+exposure:weekly_revenue'],
  ['--select', 'exposure:churn_model'],
  ['--select', '+exposure:jaffle_shop.raw_orders_audit'],
  ['--select', '@exposure:churn_model'],
  ['--select', 'exposure:weekly_revenue+'],
  ['--select', 'metric:order_total+'],
  ['--select', '+metric:average_order_value'],
  ['--select', '1+metric:order_total_per_customer'],
  ['--select', 'semantic_model:payments+'],
  ['--select', 'saved_query:*'],
  ['--select', 'group:finance'],
  ['--select', 'group:marketing+'],
  ['--select', 'resource_type:exposure'],
  ['--select', 'resource_type:metric', 'resource_type:saved_query'],
  ['--select', 'resource_type:semantic_model'],
  ['--select', 'tag:finance'],
  ['--select', 'marts'],
  ['--select', '+exposure:*', '--exclude', 'resource_type:test'],
  ['--select', 'path:models/marts'],
  ['--select', 'file:semantic2.yml'],
  ['--select', 'package:jaffle_shop', '--resource-type', 'metric'],
  ['--select', 'semantic_model:pay*'],
  ['--select', '+exposure:churn_model,resource_type:metric'],
  ['--select', 'exposure:*', '--exclude', 'exposure:churn_model'],
  ['--select', '+exposure:raw_orders_audit', '--output', 'name'],
  ['--select', '+exposure:raw_orders_audit', '--output', 'path'],
  ['--resource-type', 'exposure'],
  ['--resource-type', 'metric', '--resource-type', 'semantic_model'],
  ['--select', '+exposure:weekly_revenue', '--exclude-resource-type', 'test'],
  [],
];

/** What `dbt run --select +metric:order_total` would run. */
const RUN_LISTING = ['--select', '+metric:order_total', '--resource-type', 'model'];

const CONFIG_LISTING = ['--select', 'config_probe', '--output', 'json', '--output-keys', 'tags'];

let fx: FixtureProject;
let dbtDir: string;
let dbtLs: string[][];
let dbtBin: string;
const env = { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' };

function dbt(...args: string[]): { code: number | null; stdout: string; output: string } {
  const r = spawnSync(dbtBin, [...args, '--project-dir', dbtDir], { cwd: dbtDir, env: { ...env, DBT_PROFILES_DIR: dbtDir }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, output: `${r.stdout}\n${r.stderr}` };
}

/** dbt commands in one Python process (dbt's programmatic dbtRunner): one start-up and one parse instead of one per command; ls gives its lines. */
const DBT_LS_ALL = `
import json, sys
from dbt.cli.main import dbtRunner
runner = dbtRunner()
out = []
for args in json.loads(sys.argv[1]):
    r = runner.invoke([*args, '--project-dir', sys.argv[2]])
    if not r.success:
        raise SystemExit(f"dbt {args} failed: {r.exception}")
    out.append(list(r.result) if args[1] == 'ls' else [])
print(json.dumps(out))
`;
function dbtInvocations(invocations: string[][]): string[][] {
  const python = join(dbtBin, '..', 'python');
  const r = spawnSync(python, ['-c', DBT_LS_ALL, JSON.stringify(invocations), dbtDir], { cwd: dbtDir, env: { ...env, DBT_PROFILES_DIR: dbtDir }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`dbt failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[][];
}
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean).sort();
type Results = { results: { unique_id: string; status: string }[] };

beforeAll(async () => {
  if (noPython) return;
  dbtBin = join((await provisionDbtCore()).dir, 'bin', 'dbt');
  fx = fixtureProject({}, { prefix: 'tx-semantic-select-' });
  fx.remove('project.yml');
  jaffleWithSemantics(fx.dir);
  writeFileSync(fx.path('models/graph_probe.sql'), PROBE);
  writeFileSync(fx.path('models/config_probe.sql'), CONFIG_PROBE);
  dbtDir = mkdtempSync(join(tmpdir(), 'tx-dbt-semantic-select-'));
  jaffleWithSemantics(dbtDir);
  writeFileSync(join(dbtDir, 'models/graph_probe.sql'), PROBE);
  writeFileSync(join(dbtDir, 'models/config_probe.sql'), CONFIG_PROBE);
  writeFileSync(join(dbtDir, 'profiles.yml'), `jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(dbtDir, 'jaffle_shop.duckdb')}\n      threads: 2\n`);
  // the listings, then the model-only listing the run test compares with, then the compile of the probe
  dbtLs = dbtInvocations([...[...LISTINGS, RUN_LISTING, CONFIG_LISTING].map((a) => ['-q', 'ls', ...a]), ['-q', 'compile', '--select', 'graph_probe']]);
}, 600_000);

afterAll(() => {
  fx?.cleanup();
  if (dbtDir) rmSync(dbtDir, { recursive: true, force: true });
});

describe.skipIf(noPython)('selecting exposures, metrics, semantic models, saved queries and groups: tx ls = dbt ls (dbt-core 1.10)', () => {
  it.each(LISTINGS.map((a, i) => [a.join(' ') || '(no selection)', i]))('ls %s', async (_name, i) => {
    const t = await fx.tx('ls', '-q', ...LISTINGS[i as number]!);
    expect(t.code, t.output).toBe(0);
    const want = [...dbtLs[i as number]!].sort();
    expect(want.length).toBeGreaterThan(0);
    expect(lines(t.stdout)).toEqual(want);
  }, 120_000);

  it('the lines name exposures and metrics as dbt ls does, and a package-qualified selector finds them', async () => {
    const t = await fx.tx('ls', '-q', '--select', 'exposure:jaffle_shop.weekly_revenue', 'metric:jaffle_shop.order_total', 'exposure:other_package.weekly_revenue');
    expect(t.code, t.output).toBe(0);
    expect(lines(t.stdout)).toEqual(['exposure:jaffle_shop.weekly_revenue', 'metric:jaffle_shop.order_total']);
  });

  it('a disabled exposure is not selectable', async () => {
    const t = await fx.tx('ls', '-q', '--select', 'exposure:retired_report');
    expect(t.code, t.output).toBe(0);
    expect(t.stdout.trim()).toBe('');
  });

  it('bad selector values stop with exit 2 and a clear message', async () => {
    const three = await fx.tx('ls', '--select', 'exposure:a.b.c');
    expect(three.code).toBe(2);
    expect(three.output).toMatch(/invalid exposure selector value `a\.b\.c`.*\n?.*exposure:NAME or exposure:PACKAGE\.NAME/);
    const type = await fx.tx('ls', '--select', 'resource_type:exposures');
    expect(type.code).toBe(2);
    expect(type.output).toMatch(/unknown resource_type `exposures`[\s\S]*did you mean `exposure`/);
    const flag = await fx.tx('ls', '--resource-type', 'metrics');
    expect(flag.code).toBe(2);
    expect(flag.output).toMatch(/--resource-type: unknown resource type `metrics`/);
  });
});

describe.skipIf(noPython)('building what an exposure needs', () => {
  it('tx build --select +exposure:weekly_revenue runs exactly the models, seeds and tests dbt build runs (the exposure is not run)', async () => {
    const d = dbt('build', '--select', '+exposure:weekly_revenue');
    expect(d.code, d.output).toBe(0);
    const dbtRan = (JSON.parse(readFileSync(join(dbtDir, 'target', 'run_results.json'), 'utf8')) as Results).results;
    // dbt lists the exposure as a no-op; everything else it ran is what tx must run
    expect(dbtRan.filter((r) => r.unique_id.startsWith('exposure.')).map((r) => [r.unique_id, r.status])).toEqual([['exposure.jaffle_shop.weekly_revenue', 'no-op']]);
    const want = dbtRan.map((r) => r.unique_id).filter((id) => !id.startsWith('exposure.')).sort();

    const t = await fx.tx('build', '--select', '+exposure:weekly_revenue');
    expect(t.code, t.output).toBe(0);
    const ran = fx.json<Results>('target/run_results.json').results;
    expect(ran.map((r) => r.unique_id).sort()).toEqual(want);
    expect(ran.every((r) => r.status === 'success' || r.status === 'pass')).toBe(true);
    // the models the exposure reads, their parents, the seeds, and their tests; not the time spine or the probe
    expect(want.filter((id) => !id.startsWith('test.'))).toEqual([
      'model.jaffle_shop.customers',
      'model.jaffle_shop.orders',
      'model.jaffle_shop.stg_customers',
      'model.jaffle_shop.stg_orders',
      'model.jaffle_shop.stg_payments',
      'seed.jaffle_shop.raw_customers',
      'seed.jaffle_shop.raw_orders',
      'seed.jaffle_shop.raw_payments',
    ]);
  }, 300_000);

  it('tx run --select +metric:order_total runs the models dbt run would (no semantic model, no metric)', async () => {
    // dbt ls prints a model by its fqn, whose last part is its name
    const want = dbtLs[LISTINGS.length]!.map((l) => `model.jaffle_shop.${l.split('.').pop()!}`).sort();
    expect(want).toContain('model.jaffle_shop.stg_payments');
    const t = await fx.tx('run', '--select', '+metric:order_total');
    expect(t.code, t.output).toBe(0);
    expect(fx.json<Results>('target/run_results.json').results.map((r) => r.unique_id).sort()).toEqual(want);
  }, 120_000);

  it('selecting only an exposure builds nothing', async () => {
    const t = await fx.tx('build', '--select', 'exposure:weekly_revenue');
    expect(t.code, t.output).toBe(0);
    expect(fx.json<Results>('target/run_results.json').results).toEqual([]);
  });
});

describe.skipIf(noPython)('graph.exposures, graph.metrics, graph.semantic_models in templates', () => {
  it('compile to what dbt compiles', async () => {
    const t = await fx.tx('compile', '-q', '--select', 'graph_probe');
    expect(t.code, t.output).toBe(0);
    const want = readFileSync(join(dbtDir, 'target', 'compiled', 'jaffle_shop', 'models', 'graph_probe.sql'), 'utf8');
    expect(want).toContain("'exposure.jaffle_shop.weekly_revenue'");
    expect(want).toContain("['order_total', 'order_count']");
    expect(readFileSync(fx.path('target/compiled/jaffle_shop/models/graph_probe.sql'), 'utf8').trimEnd()).toBe(want.trimEnd());
  }, 120_000);
});

describe.skipIf(noPython)('the graph while models are still being read', () => {
  it('a config() that reads graph.exposures sees what dbt sees at parse time (an empty graph), and compiling goes on', async () => {
    const want = (JSON.parse(dbtLs[LISTINGS.length + 1]![0]!) as { tags: string[] }).tags;
    expect(want).toEqual(['e0']);
    const t = await fx.tx('ls', '-q', '--select', 'config_probe', '--output', 'json');
    expect(t.code, t.output).toBe(0);
    expect((JSON.parse(t.stdout.trim()) as { tags: string[] }).tags).toEqual(want);
  });
});
