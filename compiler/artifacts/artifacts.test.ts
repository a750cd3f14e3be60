/**
 * Artifacts in target/: manifest.json, run_results.json, compiled and executed SQL files,
 * written by `tx compile` and `tx build` through the built CLI. No secret reaches any of them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, type FixtureProject, type TxRun } from '../../testing/fixture-project.js';

// JSON artifacts are read loosely: the tests assert their shape.
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'pa55-w0rd-never-logged';
const FILES = {
  'project.yml': dedent(`
    name: art
    targets:
      duckdb:
        type: duckdb
        path: target/art.duckdb
        password: "{{ env_var('TX_FX_PASSWORD') }}"
  `),
  'seeds/s.csv': 'id,label\n1,one\n2,two\n',
  'data/f.csv': 'id\n1\n2\n3\n',
  'models/props.yml': dedent(`
    version: 2
    sources:
      - name: raw
        tables:
          - name: f
            path: data/f.csv
    models:
      - name: a
        description: The a model.
        columns:
          - name: id
            description: Key.
            tests: [not_null]
  `),
  'models/a.sql': "{{ config(materialized='table', tags=['t1']) }}\nselect s.id, s.label from {{ ref('s') }} s join {{ source('raw', 'f') }} f using (id)\n",
  'models/b.sql': "select count(*) as n from {{ ref('a') }}\n",
  'models/e.sql': "{{ config(materialized='ephemeral') }}select 10 as x\n",
  'models/c.sql': "{{ config(materialized='table') }}select * from {{ ref('e') }}\n",
};

let fx: FixtureProject;
let compile: TxRun;
let afterCompile: { dbExists: boolean; manifest: Obj; compiledFiles: string[] };
let build: TxRun;
let manifest: Obj;
let runResults: Obj;
let txRun: Obj;

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split('\\').join('/')).sort();
}

beforeAll(async () => {
  fx = fixtureProject(FILES);
  const env = { TX_FX_PASSWORD: SECRET };
  compile = await fx.txWith({ env }, 'compile');
  afterCompile = {
    dbExists: fx.exists('target/art.duckdb'),
    manifest: fx.json('target/manifest.json'),
    compiledFiles: filesUnder(fx.path('target/compiled')),
  };
  build = await fx.txWith({ env }, 'build');
  manifest = fx.json('target/manifest.json');
  runResults = fx.json('target/run_results.json');
  txRun = fx.json('target/tx_run.json');
}, 120_000);
afterAll(() => fx?.cleanup());

describe('tx compile', () => {
  it('writes manifest.json and compiled SQL without touching the database', () => {
    expect(compile.stderr).toBe('');
    expect(compile.code).toBe(0);
    const summary = /^Compiled (.*) in \d+\.\d\ds/m.exec(compile.stdout)?.[1] ?? '';
    expect(summary.split(', ').sort()).toEqual(['1 seed', '1 source', '1 test', '4 models']);
    expect(afterCompile.dbExists).toBe(false);
    expect(Object.keys(afterCompile.manifest.nodes).sort()).toEqual(['model.art.a', 'model.art.b', 'model.art.c', 'model.art.e', 'seed.art.s', expect.stringMatching(/^test\.art\./)]);
    expect(afterCompile.compiledFiles).toEqual(expect.arrayContaining(['art/models/a.sql', 'art/models/b.sql', 'art/models/c.sql']));
  });
});

describe('manifest.json (dbt manifest v12)', () => {
  it('every node has type, config, depends_on, raw and compiled SQL, and a sha256 checksum of its file', () => {
    const a = manifest.nodes['model.art.a'];
    expect(a).toMatchObject({
      unique_id: 'model.art.a',
      resource_type: 'model',
      package_name: 'art',
      name: 'a',
      // as dbt: path relative to the models folder, original_file_path relative to the project
      path: 'a.sql',
      original_file_path: 'models/a.sql',
      // as dbt-duckdb: the catalog DuckDB names after the file target/art.duckdb
      database: 'art',
      schema: 'main',
      alias: 'a',
      language: 'sql',
      compiled: true,
      compiled_path: 'target/compiled/art/models/a.sql',
      patch_path: 'art://models/props.yml',
      refs: [{ name: 's', package: null, version: null }],
      sources: [['raw', 'f']],
      depends_on: { macros: [] },
      fqn: ['art', 'a'],
      relation_name: '"main"."a"',
      config: { materialized: 'table', tags: ['t1'] },
      tags: ['t1'],
      description: 'The a model.',
      raw_code: FILES['models/a.sql'],
      // jinja2 (keep_trailing_newline off, as in dbt) drops the file's last newline
      compiled_code: '\nselect s.id, s.label from "main"."s" s join "raw"."f" f using (id)',
      // dbt's checksum: sha256 of the file's text, stripped
      checksum: { name: 'sha256', checksum: createHash('sha256').update(FILES['models/a.sql'].trim()).digest('hex') },
    });
    expect(a.depends_on.nodes.sort()).toEqual(['seed.art.s', 'source.art.raw.f']);
    expect(a.columns.id).toMatchObject({ name: 'id', description: 'Key.', data_type: null, meta: {} });
    // dbt's config: defaults filled, hooks as lists
    expect(a.config).toMatchObject({ enabled: true, 'post-hook': [], 'pre-hook': [], on_schema_change: 'ignore', contract: { enforced: false } });
    expect(manifest.nodes['model.art.b']).toMatchObject({ resource_type: 'model', config: { materialized: 'view' }, depends_on: { nodes: ['model.art.a'] } });
    expect(manifest.nodes['model.art.e']).toMatchObject({ config: { materialized: 'ephemeral' }, relation_name: null, schema: 'main', alias: 'e' });
    expect(manifest.nodes['model.art.c'].compiled_code).toContain('"__tx_cte__e" as (');
  });

  it('seeds, sources and tests are there with their type and dependencies', () => {
    const seed = manifest.nodes['seed.art.s'];
    // a seed depends on nothing: dbt's seed has depends_on.macros only
    expect(seed).toMatchObject({ resource_type: 'seed', relation_name: '"main"."s"', depends_on: { macros: [] }, path: 's.csv', original_file_path: 'seeds/s.csv', config: { materialized: 'seed' } });
    expect(seed.checksum).toEqual({ name: 'sha256', checksum: createHash('sha256').update(FILES['seeds/s.csv'].trim()).digest('hex') });
    expect(seed.depends_on.nodes).toBeUndefined();
    expect(manifest.sources['source.art.raw.f']).toMatchObject({
      resource_type: 'source',
      package_name: 'art',
      source_name: 'raw',
      identifier: 'f',
      loader: '',
      relation_name: '"raw"."f"',
      original_file_path: 'models/props.yml',
      external: { location: 'data/f.csv', file_format: 'csv' },
    });
    const test = Object.values(manifest.nodes as Record<string, Obj>).find((n) => n.resource_type === 'test')!;
    expect(test.depends_on.nodes).toEqual(['model.art.a']);
    // dbt's own not_null, as dbt names it (listed alone: dbt renders no get_where_subquery for it)
    expect(test.depends_on.macros).toEqual(['macro.dbt.test_not_null']);
    expect(test).toMatchObject({ attached_node: 'model.art.a', column_name: 'id', file_key_name: 'models.a', original_file_path: 'models/props.yml', refs: [{ name: 'a', package: null, version: null }] });
    expect(test.test_metadata).toEqual({ name: 'not_null', kwargs: { column_name: 'id', model: "{{ get_where_subquery(ref('a')) }}" }, namespace: null });
    expect(test.config).toMatchObject({ severity: 'ERROR', materialized: 'test' });
    expect(test.compiled_code).toMatch(/"main"\."a"/);
    // the built-in generic test is tx's macro under dbt's name (package dbt), dispatching as dbt's to
    // default__test_not_null (tx's SQL, package dbt too); a test dbt has not, tx's
    expect(manifest.macros['macro.dbt.test_not_null']).toMatchObject({ resource_type: 'macro', package_name: 'dbt', path: 'compiler/compile/builtin-macros.ts', macro_sql: expect.stringContaining("adapter.dispatch('test_not_null', 'dbt')") });
    expect(manifest.macros['macro.dbt.default__test_not_null']).toMatchObject({ resource_type: 'macro', package_name: 'dbt', path: 'compiler/compile/builtin-macros.ts', macro_sql: expect.stringContaining('is null') });
    expect(manifest.macros['macro.tx.test_not_null']).toBeUndefined();
    expect(manifest.macros['macro.tx.test_accepted_range']).toMatchObject({ package_name: 'tx' });
  });

  it('parent and child maps follow the DAG', () => {
    expect(manifest.parent_map['model.art.b']).toEqual(['model.art.a']);
    expect(manifest.child_map['model.art.a']).toEqual(expect.arrayContaining(['model.art.b']));
    expect(manifest.child_map['seed.art.s']).toEqual(['model.art.a']);
  });

  it('has dbt\'s metadata; the target, without its password, is in tx_run.json', () => {
    expect(manifest.metadata).toMatchObject({
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      dbt_version: expect.stringMatching(/^1\.10\.0\+tx\./),
      project_name: 'art',
      adapter_type: 'duckdb',
      invocation_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      env: {},
    });
    for (const k of ['exposures', 'metrics', 'groups', 'selectors', 'disabled', 'group_map', 'saved_queries', 'semantic_models', 'unit_tests']) expect(manifest[k], k).toEqual({});
    expect(txRun.metadata).toMatchObject({ project_name: 'art', target: { name: 'duckdb', type: 'duckdb', schema: 'main' } });
    expect(txRun.metadata.target.password).toBeUndefined();
  });
});

describe('run_results.json', () => {
  it('has status, timing, rows affected and message for every node that ran', () => {
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(runResults.args.which).toBe('build');
    expect(runResults.metadata).toMatchObject({ dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', invocation_id: manifest.metadata.invocation_id });
    expect(typeof runResults.elapsed_time).toBe('number');
    const byId: Record<string, Obj> = Object.fromEntries((runResults.results as Obj[]).map((r) => [r.unique_id, r]));
    expect(Object.keys(byId)).toHaveLength(7);
    expect(Object.keys(byId)).toEqual(expect.arrayContaining(['model.art.a', 'model.art.b', 'model.art.c', 'model.art.e', 'seed.art.s', 'source.art.raw.f', expect.stringMatching(/^test\.art\./)]));
    expect(byId['model.art.a']).toMatchObject({
      status: 'success',
      // its test ran on the new version before it was swapped in (audit before publish)
      message: 'created table main.a (audited: 1 test passed before publish)',
      adapter_response: { rows_affected: 2 },
      thread_id: expect.stringMatching(/^Thread-\d+ \(worker\)$/),
      compiled: true,
      compiled_code: manifest.nodes['model.art.a'].compiled_code,
      relation_name: '"main"."a"',
    });
    expect(byId['seed.art.s']).toMatchObject({ status: 'success', adapter_response: { rows_affected: 2 } });
    expect(byId['source.art.raw.f']).toMatchObject({ status: 'success', adapter_response: { rows_affected: 3 } });
    expect(byId['model.art.b']).toMatchObject({ status: 'success', message: 'created view main.b' });
    const test = Object.values(byId).find((r) => String(r.unique_id).startsWith('test.'))!;
    expect(test).toMatchObject({ status: 'pass', failures: 0 });
    // what only tx knows (rejected rows of a file source) is in tx_run.json, same invocation
    expect(txRun.metadata.invocation_id).toBe(runResults.metadata.invocation_id);
    const f = (txRun.results as Obj[]).find((r) => r.unique_id === 'source.art.raw.f')!;
    expect(f.details).toMatchObject({ rows_rejected: 0 });
    expect(byId['source.art.raw.f'].details).toBeUndefined();
    for (const id of ['model.art.a', 'model.art.b', 'seed.art.s']) {
      const r = byId[id];
      expect(r.execution_time).toBeGreaterThan(0);
      expect(r.timing[0].name).toBe('execute');
      expect(Date.parse(r.timing[0].completed_at)).toBeGreaterThanOrEqual(Date.parse(r.timing[0].started_at));
    }
  });
});

describe('SQL files', () => {
  it('target/compiled/** holds the compiled SQL of each node', () => {
    expect(fx.read('target/compiled/art/models/a.sql')).toBe(`${manifest.nodes['model.art.a'].compiled_code}\n`);
    expect(fx.read('target/compiled/art/models/c.sql')).toContain('"__tx_cte__e"');
    // a generic test's file sits under its properties file, as dbt writes it
    expect(filesUnder(fx.path('target/compiled')).some((f) => /^art\/models\/[^/]+\.ya?ml\/[^/]+\.sql$/.test(f))).toBe(true);
  });

  it('target/run/** holds the SQL that was executed for each built model', () => {
    const run = filesUnder(fx.path('target/run')).filter((f) => f.endsWith('.sql'));
    expect(run).toEqual(expect.arrayContaining(['art/models/a.sql', 'art/models/b.sql', 'art/models/c.sql']));
    expect(fx.read('target/run/art/models/b.sql')).toBe('select count(*) as n from "main"."a"\n');
  });

  it('no artifact and no log holds the password', () => {
    const all = [...filesUnder(fx.path('target')).map((f) => join('target', f)), ...filesUnder(fx.path('logs')).map((f) => join('logs', f))].filter(
      (f) => !f.endsWith('.duckdb') && !f.endsWith('.wal') && !/\/$/.test(f),
    );
    let checked = 0;
    for (const f of all) {
      let text: string;
      try {
        text = readFileSync(fx.path(f), 'utf8');
      } catch {
        continue; // a folder
      }
      checked++;
      expect(text, f).not.toContain(SECRET);
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe('--target-path, --log-path, --no-write-json (as in dbt)', () => {
  it('put artifacts and the log elsewhere, or leave the JSON artifacts out', async () => {
    const r = await fx.txWith({ env: { TX_FX_PASSWORD: SECRET } }, 'build', '--target-path', 'elsewhere/t', '--log-path', 'elsewhere/l');
    expect(r.code, r.output).toBe(0);
    expect(fx.json<Obj>('elsewhere/t/manifest.json').metadata.invocation_id).toBe(fx.json<Obj>('elsewhere/t/run_results.json').metadata.invocation_id);
    expect(fx.exists('elsewhere/t/tx_run.json')).toBe(true);
    expect(fx.exists('elsewhere/t/compiled/art/models/a.sql')).toBe(true);
    expect(fx.read('elsewhere/l/tx.log')).toContain('created table main.a');
    const docs = await fx.tx('docs', 'generate', '--no-catalog', '--target-path', 'elsewhere/t');
    expect(docs.code, docs.output).toBe(0);
    expect(fx.exists('elsewhere/t/docs/index.html')).toBe(true);

    const before = fx.read('target/run_results.json');
    const quiet = await fx.txWith({ env: { TX_FX_PASSWORD: SECRET } }, 'build', '--no-write-json', '--target-path', 'nojson');
    expect(quiet.code, quiet.output).toBe(0);
    expect(['manifest.json', 'run_results.json', 'tx_run.json'].filter((f) => fx.exists(`nojson/${f}`))).toEqual([]);
    expect(fx.exists('nojson/compiled/art/models/a.sql')).toBe(true);
    expect(fx.read('target/run_results.json')).toBe(before);
  }, 120_000);
});
