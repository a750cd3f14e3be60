/**
 * files → Project: defaults, paths, the config hierarchy's validation, properties files,
 * docs blocks, file sources, and every load-time bad input with its file:line.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TxError } from '../errors.js';
import { dedent, fixtureProject, REPO_ROOT, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import type { DbtProjectOptions } from './dbt-project.js';
import { loadProject } from './load-project.js';
import { formatFromPath } from './properties.js';

const made: FixtureProject[] = [];
afterEach(() => {
  for (const f of made.splice(0)) f.cleanup();
});

function load(files: Files) {
  const fx = fixtureProject(files);
  made.push(fx);
  return loadProject(fx.dir);
}

function loadError(files: Files): TxError {
  try {
    load(files);
  } catch (e) {
    if (e instanceof TxError) return e;
    throw e;
  }
  throw new Error('expected loading the fixture to fail');
}

describe('project.yml', () => {
  it('only `name` is a valid project with defaults everywhere', () => {
    const p = load({ 'project.yml': 'name: tiny\n', 'models/a.sql': 'select 1' });
    expect(p.name).toBe('tiny');
    expect(p.paths).toMatchObject({ models: ['models'], seeds: ['seeds'], macros: ['macros'], tests: ['tests'] });
    expect(p.targetPath).toBe('target');
    expect(p.logPath).toBe('logs');
    expect(p.defaultTarget).toBe('duckdb');
    expect(p.targets.duckdb).toEqual({ type: 'duckdb', path: 'tiny.duckdb', schema: 'main' });
    expect(p.cleanTargets).toEqual(['target', 'logs']);
    expect(p.models.map((m) => m.name)).toEqual(['a']);
  });

  it('`paths` moves models, seeds and macros', () => {
    const p = load({
      'project.yml': 'name: p\npaths:\n  models: [sql, more_sql]\n  seeds: data_seeds\n  macros: lib\n',
      'sql/a.sql': 'select 1',
      'more_sql/b.sql': 'select 2',
      'models/ignored.sql': 'select 3',
      'data_seeds/s.csv': 'x\n1\n',
      'lib/m.sql': '{% macro m() %}1{% endmacro %}',
    });
    expect(p.models.map((m) => m.path)).toEqual(['more_sql/b.sql', 'sql/a.sql']);
    expect(p.seeds.map((s) => s.path)).toEqual(['data_seeds/s.csv']);
    expect(p.macros.map((m) => m.path)).toEqual(['lib/m.sql']);
  });

  it('vars, targets, default target and hooks are read', () => {
    const p = load({
      'project.yml': dedent(`
        name: p
        vars:
          a: 1
          nested: {b: [1, 2]}
        target: dev
        targets:
          dev: {type: duckdb, path: target/dev.duckdb}
          ci: {type: duckdb, path: ':memory:'}
        on-run-start: "select 1"
        on-run-end: ["select 2", "select 3"]
      `),
    });
    expect(p.vars).toEqual({ a: 1, nested: { b: [1, 2] } });
    expect(p.defaultTarget).toBe('dev');
    expect(Object.keys(p.targets)).toEqual(['dev', 'ci']);
    expect(p.onRunStart).toEqual(['select 1']);
    expect(p.onRunEnd).toEqual(['select 2', 'select 3']);
  });

  it('a misspelled config key in the models: hierarchy: "did you mean `materialized`?" with file:line', () => {
    const e = loadError({
      'project.yml': 'name: p\nmodels:\n  p:\n    marts:\n      +materialzed: table\n',
      'models/marts/a.sql': 'select 1',
    });
    expect(e.code).toBe('PROJECT');
    expect(e.message).toContain('materialzed');
    expect(e.hint).toBe('did you mean `materialized`?');
    expect(e.location).toMatchObject({ file: 'project.yml', line: 5 });
    expect(e.exitCode).toBe(2);
  });

  it('a misspelled config key without `+` is caught too (it is not a folder)', () => {
    const e = loadError({ 'project.yml': 'name: p\nmodels:\n  p:\n    materialzed: table\n', 'models/a.sql': 'select 1' });
    expect(e.hint).toContain('materialized');
    expect(e.location).toMatchObject({ file: 'project.yml', line: 4 });
  });

  it('a misspelled folder in the hierarchy suggests the folder', () => {
    const e = loadError({ 'project.yml': 'name: p\nmodels:\n  p:\n    mart:\n      +materialized: table\n', 'models/marts/a.sql': 'select 1' });
    expect(e.code).toBe('PROJECT');
    expect(e.message).toContain('`mart`');
    expect(e.hint).toContain('`marts`');
    expect(e.location.line).toBe(4);
  });

  it('an invalid value in the hierarchy names the allowed values', () => {
    const e = loadError({ 'project.yml': 'name: p\nmodels:\n  +materialized: tabel\n', 'models/a.sql': 'select 1' });
    expect(e.code).toBe('PROJECT');
    expect(e.hint).toContain('`table`');
  });

  it('a misspelled top-level key', () => {
    const e = loadError({ 'project.yml': 'name: p\nvar:\n  a: 1\n' });
    expect(e.code).toBe('PROJECT');
    expect(e.message).toContain('`var`');
    expect(e.hint).toContain('vars');
    expect(e.location).toMatchObject({ file: 'project.yml', line: 2 });
  });

  it('a misspelled seed config key', () => {
    const e = loadError({ 'project.yml': 'name: p\nseeds:\n  +column_type: {a: int}\n', 'seeds/s.csv': 'a\n1\n' });
    expect(e.hint).toContain('column_types');
  });

  it('a YAML syntax error names file:line', () => {
    const e = loadError({ 'project.yml': 'name: p\nvars:\n  a: 1\n b: 2\n' });
    expect(e.code).toBe('YAML');
    expect(e.location.file).toBe('project.yml');
    expect(e.location.line).toBe(4);
  });

  it('a YAML syntax error in a properties file names file:line', () => {
    const e = loadError({ 'models/a.sql': 'select 1', 'models/props.yml': 'version: 2\nmodels:\n  - name: a\n   description: bad indent\n' });
    expect(e.code).toBe('YAML');
    expect(e.location.file).toBe('models/props.yml');
    expect(e.location.line).toBe(4);
  });

  it('a duplicate YAML key is an error', () => {
    const e = loadError({ 'project.yml': 'name: p\nname: q\n' });
    expect(e.code).toBe('YAML');
    expect(e.location.file).toBe('project.yml');
  });

  it('an empty project.yml and a missing one are clear errors', () => {
    expect(loadError({ 'project.yml': '' }).message).toMatch(/name/);
    const fx = fixtureProject({});
    made.push(fx);
    fx.remove('project.yml');
    expect(() => loadProject(fx.dir)).toThrow(/no project\.yml/);
  });

  it('the JSON Schemas for project.yml and properties files ship with the package', () => {
    for (const name of ['project', 'properties']) {
      const s = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
      expect(s.$schema).toMatch(/json-schema\.org/);
    }
  });
});

describe('properties files', () => {
  it('model and column descriptions, tests and config are read', () => {
    const p = load({
      'models/orders.sql': 'select 1 as id',
      'models/orders.yml': dedent(`
        version: 2
        models:
          - name: orders
            description: All orders.
            config:
              materialized: table
            columns:
              - name: id
                description: The key.
                data_type: integer
                tests: [not_null, unique]
      `),
    });
    const m = p.modelProps.get('orders')!;
    expect(m.description).toBe('All orders.');
    expect(m.config).toEqual({ materialized: 'table' });
    expect(m.columns.map((c) => [c.name, c.description, c.dataType, c.tests.map((t) => t.name)])).toEqual([['id', 'The key.', 'integer', ['not_null', 'unique']]]);
    expect(m.file).toBe('models/orders.yml');
  });

  it('a misspelled config key in a properties file: "did you mean", with file:line', () => {
    const e = loadError({
      'models/a.sql': 'select 1',
      'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    config:\n      materialzed: table\n',
    });
    expect(e.code).toBe('PROJECT');
    expect(e.hint).toBe('did you mean `materialized`?');
    expect(e.location).toMatchObject({ file: 'models/props.yml', line: 5 });
  });

  it('a misspelled model key (`descripion`) in a properties file', () => {
    const e = loadError({ 'models/a.sql': 'select 1', 'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    descripion: x\n' });
    expect(e.hint).toContain('description');
    expect(e.location.line).toBe(4);
  });

  it('a model described twice', () => {
    const e = loadError({
      'models/a.sql': 'select 1',
      'models/one.yml': 'version: 2\nmodels:\n  - name: a\n',
      'models/two.yml': 'version: 2\nmodels:\n  - name: a\n',
    });
    expect(e.code).toBe('DUPLICATE');
    expect(e.location.file).toBe('models/two.yml');
  });

  it('docs blocks from .md files, and a docs block defined twice', () => {
    const p = load({ 'models/docs.md': '{% docs a %}\nAlpha.\n{% enddocs %}\n{%- docs b -%}Beta{%- enddocs -%}\n' });
    expect(p.docs.get('a')).toEqual({ text: 'Alpha.', file: 'models/docs.md' });
    expect(p.docs.get('b')?.text).toBe('Beta');
    const e = loadError({ 'models/x.md': '{% docs a %}1{% enddocs %}', 'models/y.md': '\n\n{% docs a %}2{% enddocs %}' });
    expect(e.code).toBe('DUPLICATE');
    expect(e.location).toMatchObject({ file: 'models/y.md', line: 3 });
  });

  it('two models with one name in different folders', () => {
    const e = loadError({ 'models/a.sql': 'select 1', 'models/sub/a.sql': 'select 2' });
    expect(e.code).toBe('DUPLICATE');
    expect(e.message).toContain('models/a.sql');
    expect(e.message).toContain('models/sub/a.sql');
  });

  it('file sources: format inferred from the extension (csv, parquet, json), explicit for folders', () => {
    const p = load({
      'models/sources.yml': dedent(`
        version: 2
        sources:
          - name: raw
            tables:
              - {name: c, path: data/c.csv}
              - {name: cz, path: data/c.csv.gz}
              - {name: p, path: data/p.parquet}
              - {name: j, path: data/j.json}
              - {name: nd, path: data/j.ndjson}
              - {name: g, path: 'data/parts/*.parquet'}
              - {name: folder, path: data/parts, format: parquet}
              - {name: db_table}
      `),
    });
    expect(Object.fromEntries(p.sources.map((s) => [s.name, s.format ?? null]))).toEqual({
      c: 'csv',
      cz: 'csv',
      p: 'parquet',
      j: 'json',
      nd: 'json',
      g: 'parquet',
      folder: 'parquet',
      db_table: null,
    });
    expect(p.sources.find((s) => s.name === 'db_table')!.path).toBeUndefined();
    expect(formatFromPath('x/part-0001.snappy.parquet')).toBe('parquet');
  });

  it('a file source whose format cannot be inferred names the file and line', () => {
    const e = loadError({ 'models/s.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: x\n        path: data/x.dat\n' });
    expect(e.code).toBe('PROJECT');
    expect(e.location).toMatchObject({ file: 'models/s.yml', line: 6 });
    expect(e.hint).toMatch(/format/);
  });
});

describe('project defaults and load errors (exact)', () => {
  it('a folder without a project file', () => {
    const fx = fixtureProject({ 'models/a.sql': 'select 1' });
    made.push(fx);
    fx.remove('project.yml');
    let e: TxError | undefined;
    try {
      loadProject(fx.dir);
    } catch (err) {
      e = err as TxError;
    }
    expect([e?.code, e?.message, e?.hint, e?.exitCode]).toEqual([
      'PROJECT',
      `no project.yml or dbt_project.yml in ${fx.dir}`,
      'pass --project-dir pointing at the folder that holds project.yml or dbt_project.yml',
      2,
    ]);
  });

  it('an empty project.yml, or one that is not a map', () => {
    for (const text of ['', '# nothing\n', 'just text\n']) {
      const e = loadError({ 'project.yml': text });
      expect([e.code, e.message, e.location]).toEqual(['PROJECT', 'project.yml is empty; it needs at least `name:`', { file: 'project.yml', line: 1, column: undefined }]);
    }
  });

  it('every default, and every setting that replaces one', () => {
    const d = load({ 'project.yml': 'name: d\n' });
    expect([d.version, d.targetPath, d.logPath, d.cleanTargets, d.exportRoots, d.onRunStart, d.onRunEnd, d.vars]).toEqual([undefined, 'target', 'logs', ['target', 'logs'], ['output'], [], [], {}]);
    expect(d.paths).toEqual({ models: ['models'], seeds: ['seeds'], macros: ['macros'], tests: ['tests'], docs: ['models'], snapshots: ['snapshots'] });
    expect([d.modelsConfig, d.seedsConfig, d.testsConfig, d.snapshotsConfig, d.packages, d.dispatch, d.projectFile, d.profilesFile]).toEqual([{}, {}, {}, {}, [], [], 'project.yml', undefined]);
    const p = load({
      'project.yml': dedent(`
        name: p
        version: 2
        target-path: out
        log-path: l
        export_roots: [exports]
        paths:
          models: sql
          docs: [docs]
          snapshots: snaps
          tests: checks
        on-run-start: "select 1"
        data_tests:
          +severity: warn
        snapshots:
          +enabled: true
      `),
      'sql/a.sql': 'select 1',
    });
    expect([p.version, p.targetPath, p.logPath, p.cleanTargets, p.exportRoots, p.onRunStart]).toEqual(['2', 'out', 'l', ['out', 'l'], ['exports'], ['select 1']]);
    expect(p.paths).toEqual({ models: ['sql'], seeds: ['seeds'], macros: ['macros'], tests: ['checks'], docs: ['docs'], snapshots: ['snaps'] });
    expect([p.testsConfig, p.snapshotsConfig]).toEqual([{ '+severity': 'warn' }, { '+enabled': true }]);
    expect(load({ 'project.yml': 'name: q\nclean-targets: [build]\ntests:\n  +severity: warn\n' })).toMatchObject({ cleanTargets: ['build'], testsConfig: { '+severity': 'warn' } });
    expect(load({ 'project.yml': 'name: q\npaths:\n  models: [m1, m2]\n' }).paths.docs).toEqual(['m1', 'm2']);
  });

  it('targets: the default DuckDB target, or the first target when there is no `duckdb` one', () => {
    const p = load({ 'project.yml': 'name: t\ntargets:\n  pg: {type: postgres}\n  other: {type: duckdb}\n' });
    expect([p.defaultTarget, p.targets]).toEqual(['pg', { pg: { type: 'postgres' }, other: { type: 'duckdb' } }]);
    const q = load({ 'project.yml': 'name: t\ntargets:\n  pg: {type: postgres}\n  duckdb: {type: duckdb, path: x.duckdb}\n' });
    expect([q.defaultTarget, q.targets.duckdb]).toEqual(['duckdb', { type: 'duckdb', path: 'x.duckdb' }]);
    const r = load({ 'project.yml': 'name: t\ntarget: pg\ntargets:\n  duckdb: {type: duckdb}\n  pg: {type: postgres}\n' });
    expect(r.defaultTarget).toBe('pg');
  });

  it('models, seeds, macros, generic and singular tests, snapshots, docs and properties files are found where they live', () => {
    const p = load({
      'project.yml': 'name: f\n',
      'models/a.sql': 'select 1',
      'models/a.md': '{% docs a_doc %}A{% enddocs %}',
      'models/props.yml': 'version: 2\nmodels:\n  - name: a\n',
      'seeds/s.csv': 'x\n1\n',
      'seeds/t.tsv': 'y\n1\n',
      'seeds/props.yaml': 'version: 2\nseeds:\n  - name: s\n',
      'macros/m.sql': '{% macro m() %}1{% endmacro %}',
      'tests/generic/g.sql': '{% test g(model) %}select 1{% endtest %}',
      'tests/singular.sql': 'select 1 where false',
      'snapshots/snap.sql': "{% snapshot snap %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select 1 as id{% endsnapshot %}",
    });
    expect(p.models.map((m) => m.path)).toEqual(['models/a.sql']);
    expect(p.seeds.map((m) => m.path)).toEqual(['seeds/s.csv', 'seeds/t.tsv']);
    expect(p.macros.map((m) => m.path)).toEqual(['macros/m.sql', 'tests/generic/g.sql']);
    expect(p.singularTests.map((m) => m.path)).toEqual(['tests/singular.sql']);
    expect(p.propertyFiles).toEqual(['models/props.yml', 'seeds/props.yaml']);
    expect([...p.modelProps.keys(), ...p.seedProps.keys()]).toEqual(['a', 's']);
    expect([...p.docs.keys()]).toEqual(['a_doc']);
    expect(p.snapshots!.map((s) => s.name)).toEqual(['snap']);
  });

  it('two seeds with one name, a source table defined twice, a model described twice: exact errors', () => {
    let e = loadError({ 'project.yml': 'name: p\n', 'seeds/a/s.csv': 'x\n1\n', 'seeds/b/s.csv': 'x\n1\n' });
    expect([e.code, e.message, e.hint, e.location.file]).toEqual(['DUPLICATE', 'two seeds are named `s`: seeds/a/s.csv and seeds/b/s.csv', 'seed names must be unique across the project; rename one', 'seeds/b/s.csv']);
    e = loadError({ 'project.yml': 'name: p\n', 'models/a/m.sql': 'select 1', 'models/b/m.sql': 'select 1' });
    expect([e.message, e.hint]).toEqual(['two models are named `m`: models/a/m.sql and models/b/m.sql', 'model names must be unique across the project; rename one']);
    e = loadError({
      'project.yml': 'name: p\n',
      'models/one.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n',
      'models/two.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: other\n      - name: events\n',
    });
    expect([e.code, e.message, e.location]).toEqual(['DUPLICATE', 'source table `raw.events` is defined twice (also in models/one.yml)', { file: 'models/two.yml', line: 6, column: undefined }]);
    e = loadError({ 'project.yml': 'name: p\n', 'models/m.sql': 'select 1', 'models/one.yml': 'version: 2\nmodels:\n  - name: m\n', 'models/two.yml': 'version: 2\n\nmodels:\n  - name: m\n' });
    expect([e.code, e.message, e.location]).toEqual(['DUPLICATE', 'model `m` is described twice (also in models/one.yml)', { file: 'models/two.yml', line: 4, column: undefined }]);
    // seeds described twice: the last wins
    const p = load({ 'project.yml': 'name: p\n', 'seeds/s.csv': 'x\n1\n', 'seeds/one.yml': 'version: 2\nseeds:\n  - name: s\n    description: one\n', 'seeds/two.yml': 'version: 2\nseeds:\n  - name: s\n    description: two\n' });
    expect(p.seedProps.get('s')!.description).toBe('two');
  });

  it('the hierarchy knows nested folders, node paths and node names', () => {
    const files = { 'models/a/b/c.sql': 'select 1', 'seeds/x/y.csv': 'v\n1\n' };
    expect(() => load({ ...files, 'project.yml': 'name: p\nmodels:\n  p:\n    a:\n      b:\n        c: {+enabled: true}\n    c: {+enabled: true}\nseeds:\n  p:\n    x:\n      y: {+enabled: true}\n' })).not.toThrow();
    expect(() => load({ ...files, 'project.yml': 'name: p\nmodels:\n  p:\n    a:\n      c: {+enabled: true}\n' })).toThrow('`c` in project.yml (models.p.a) is neither a config key nor a folder or model name');
    expect(() => load({ ...files, 'project.yml': 'name: p\nmodels:\n  p:\n    b: {+enabled: true}\n' })).toThrow('`b` in project.yml (models.p) is neither a config key nor a folder or model name');
    expect(() => load({ ...files, 'project.yml': 'name: p\nseeds:\n  p:\n    a: {+enabled: true}\n' })).toThrow('`a` in project.yml (seeds.p) is neither a config key nor a folder or seed name');
    expect(() => load({ ...files, 'project.yml': 'name: p\nmodels:\n  p:\n    x: {+enabled: true}\n' })).toThrow('`x` in project.yml (models.p) is neither a config key nor a folder or model name');
  });

  it('unit tests and dbt-only entries of every properties file are gathered, each entry with its file', () => {
    const p = load({
      'project.yml': 'name: p\n',
      'models/m.sql': 'select 1 as id',
      'models/a.yml': 'version: 2\nmetrics:\n  - name: m1\nunit_tests:\n  - name: u1\n    model: m\n',
      'models/b.yml': 'version: 2\nmetrics:\n  - name: m2\nexposures:\n  - name: e1\n',
    });
    expect(p.unitTests.map((u) => [u.name, u.file])).toEqual([['u1', 'models/a.yml']]);
    expect(p.dbtOnly).toEqual({
      metrics: [
        { name: 'm1', original_file_path: 'models/a.yml' },
        { name: 'm2', original_file_path: 'models/b.yml' },
      ],
      exposures: [{ name: 'e1', original_file_path: 'models/b.yml' }],
    });
    expect(p.notes).toContain('properties files: tx writes to manifest.json and does not run 1 exposures, 2 metrics');
    expect(load({ 'project.yml': 'name: p\n', 'models/m.sql': 'select 1' }).notes!.filter((n) => n.startsWith('properties files'))).toEqual([]);
  });
});

describe('dbt projects: dispatch and the file named in errors', () => {
  const dbtLoad = (files: Files) => {
    const fx = fixtureProject(files);
    made.push(fx);
    fx.remove('project.yml');
    return loadProject(fx.dir, { home: fx.dir, env: {} });
  };
  const dbtError = (files: Files): TxError => {
    try {
      dbtLoad(files);
    } catch (e) {
      if (e instanceof TxError) return e;
      throw e;
    }
    throw new Error('expected loading the dbt project to fail');
  };

  it('dispatch: a list of macro_namespace and search_order', () => {
    const p = dbtLoad({ 'dbt_project.yml': 'name: shop\ndispatch:\n  - macro_namespace: dbt_utils\n    search_order: [shop, dbt_utils]\n' });
    expect(p.dispatch).toEqual([{ macroNamespace: 'dbt_utils', searchOrder: ['shop', 'dbt_utils'] }]);
    expect(p.projectFile).toBe('dbt_project.yml');
    expect(dbtLoad({ 'dbt_project.yml': 'name: shop\n' }).dispatch).toEqual([]);
  });

  it('a dispatch that is not a list, or an entry without a namespace or a search order', () => {
    let e = dbtError({ 'dbt_project.yml': 'name: shop\n\ndispatch: dbt_utils\n' });
    expect([e.code, e.message, e.location]).toEqual(['PROJECT', '`dispatch` in dbt_project.yml must be a list of {macro_namespace, search_order}', { file: 'dbt_project.yml', line: 3, column: undefined }]);
    const need = (i: number) => `entry ${i} of \`dispatch\` needs \`macro_namespace\` (a package name) and \`search_order\` (a list of package names)`;
    for (const bad of ['{search_order: [a]}', '{macro_namespace: 3, search_order: [a]}', '{macro_namespace: x}', '{macro_namespace: x, search_order: a}', '{macro_namespace: x, search_order: []}', 'null']) {
      e = dbtError({ 'dbt_project.yml': `name: shop\ndispatch:\n  - {macro_namespace: ok, search_order: [ok]}\n  - ${bad}\n` });
      expect([e.code, e.message, e.location]).toEqual(['PROJECT', need(2), { file: 'dbt_project.yml', line: 4, column: undefined }]);
    }
  });

  it('errors about the project file name dbt_project.yml, not project.yml', () => {
    const e = dbtError({ 'dbt_project.yml': 'name: shop\nmodels:\n  shop:\n    stagng:\n      +materialized: table\n', 'models/staging/a.sql': 'select 1' });
    expect([e.code, e.message, e.hint, e.location]).toEqual([
      'PROJECT',
      '`stagng` in dbt_project.yml (models.shop) is neither a config key nor a folder or model name',
      'did you mean `staging`?',
      { file: 'dbt_project.yml', line: 4, column: undefined },
    ]);
  });
});

describe('finding the project from the working directory', () => {
  // process.cwd() is what tx starts from without --project-dir; Stryker runs suites in worker
  // threads, where process.chdir() is not allowed, so the working directory is given this way.
  const inCwd = <T>(cwd: string, f: () => T): T => {
    const spy = vi.spyOn(process, 'cwd').mockReturnValue(cwd);
    try {
      return f();
    } finally {
      spy.mockRestore();
    }
  };

  it('the nearest folder up from the working directory that holds a project file', () => {
    const fx = fixtureProject({ 'project.yml': 'name: up\n', 'models/deep/er/a.sql': 'select 1' });
    made.push(fx);
    const dir = realpathSync(fx.dir);
    const p = inCwd(join(dir, 'models', 'deep', 'er'), () => loadProject());
    expect([p.dir, p.name, p.models.map((m) => m.path)]).toEqual([dir, 'up', ['models/deep/er/a.sql']]);
    expect(inCwd(dir, () => loadProject()).dir).toBe(dir);
  });

  it('no project file in the working directory or any parent folder', () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tx-noproject-')));
    try {
      let e: TxError | undefined;
      try {
        inCwd(dir, () => loadProject());
      } catch (err) {
        e = err as TxError;
      }
      expect([e?.code, e?.message, e?.hint, e?.exitCode]).toEqual(['PROJECT', `no project.yml or dbt_project.yml in ${dir} or any parent folder`, 'run tx inside a project or pass --project-dir', 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('load details: hooks, the old warehouse place, analyses', () => {
  it('each hook keeps the line it is on in project.yml, for errors at run time', () => {
    const p = load({ 'project.yml': 'name: h\non-run-start: "select 1"\non-run-end:\n  - select 2\n\n  - select 3\n' });
    expect(p.hookLines).toEqual({ onRunStart: [2], onRunEnd: [4, 6] });
    expect(load({ 'project.yml': 'name: h\n' }).hookLines).toEqual({ onRunStart: [], onRunEnd: [] });
  });

  it('a warehouse still at target/<name>.duckdb is read there, with a notice; configured targets get none', () => {
    const p = load({ 'project.yml': 'name: w\n', 'target/w.duckdb': '' });
    expect(p.targets).toEqual({ duckdb: { type: 'duckdb', path: 'target/w.duckdb', schema: 'main' } });
    expect(p.notes).toEqual([
      "the DuckDB warehouse is read from its old place target/w.duckdb; its default place is now w.duckdb (out of tx clean's way): move it there with `mv target/w.duckdb w.duckdb`",
    ]);
    const q = load({ 'project.yml': 'name: w\ntargets:\n  dev: {type: duckdb, path: dev.duckdb}\n', 'target/w.duckdb': '' });
    expect([q.targets, q.notes]).toEqual([{ dev: { type: 'duckdb', path: 'dev.duckdb' } }, []]);
  });

  it('analyses are read from a dbt project only', () => {
    expect(load({ 'project.yml': 'name: a\n', 'analyses/x.sql': 'select 1' }).analyses).toEqual([]);
    const dbt = (files: Files) => {
      const fx = fixtureProject(files);
      made.push(fx);
      fx.remove('project.yml');
      return loadProject(fx.dir, { home: fx.dir, env: {} }).analyses!.map((f) => f.path);
    };
    expect(dbt({ 'dbt_project.yml': 'name: a\n', 'analyses/x.sql': 'select 1', 'an/y.sql': 'select 2' })).toEqual(['analyses/x.sql']);
    expect(dbt({ 'dbt_project.yml': 'name: a\nanalysis-paths: [an]\n', 'analyses/x.sql': 'select 1', 'an/y.sql': 'select 2' })).toEqual(['an/y.sql']);
  });
});

describe('installed dbt packages (dbt_packages/)', () => {
  const PKG_PROJECT: Files = {
    'dbt_project.yml': dedent(`
      name: shop
      vars: {pkg_a: {x: 1}, pkg_b: [1, 2], pkg_c: null, keep: 3}
    `),
    'models/root.sql': 'select 1',
    'models/marts/m.sql': 'select 1',
    'models/root.yml': 'version: 2\nmodels:\n  - name: root\nsources:\n  - name: raw\n    tables: [{name: r}]\n',
    'models/root.md': '{% docs shared %}root{% enddocs %}',
    'seeds/rs.csv': 'x\n1\n',
    'seeds/props.yml': 'version: 2\nseeds:\n  - name: rs\n',
    'tests/rt.sql': 'select 1 where false',
    'snapshots/rsnap.sql': "{% snapshot rsnap %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select 1 as id{% endsnapshot %}",
    'dbt_packages/pkg_a/dbt_project.yml': 'name: pkg_a\n',
    'dbt_packages/pkg_a/models/staging/pa.sql': 'select 1',
    'dbt_packages/pkg_a/models/props.yml': 'version: 2\nmodels:\n  - name: pa\nsources:\n  - name: src\n    tables: [{name: t}]\n',
    'dbt_packages/pkg_a/models/pa.md': '{% docs shared %}package{% enddocs %}\n{% docs own %}own{% enddocs %}',
    'dbt_packages/pkg_a/seeds/ps.csv': 'x\n1\n',
    'dbt_packages/pkg_a/seeds/props.yml': 'version: 2\nseeds:\n  - name: ps\n',
    'dbt_packages/pkg_a/tests/pt.sql': 'select 1 where false',
    'dbt_packages/pkg_a/snapshots/psnap.sql': "{% snapshot psnap %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select 1 as id{% endsnapshot %}",
    'dbt_packages/pkg_b/dbt_project.yml': 'name: pkg_b\n',
    'dbt_packages/pkg_c/dbt_project.yml': 'name: pkg_c\n',
    // a package's integration project installing the root itself: the root wins
    'dbt_packages/self/dbt_project.yml': 'name: shop\n',
    'dbt_packages/self/models/selfm.sql': 'select 1',
  };
  const dbtLoad = (files: Files) => {
    const fx = fixtureProject(files);
    made.push(fx);
    fx.remove('project.yml');
    return loadProject(fx.dir, { home: fx.dir, env: {} });
  };

  it("a package's models, seeds, tests, snapshots, sources, docs and properties join the root's, after them", () => {
    const p = dbtLoad(PKG_PROJECT);
    expect(p.packages!.map((x) => x.name)).toEqual(['pkg_a', 'pkg_b', 'pkg_c']);
    expect(p.models.map((m) => m.path)).toEqual(['models/marts/m.sql', 'models/root.sql', 'dbt_packages/pkg_a/models/staging/pa.sql']);
    expect(p.seeds.map((m) => m.path)).toEqual(['seeds/rs.csv', 'dbt_packages/pkg_a/seeds/ps.csv']);
    expect(p.singularTests.map((m) => m.path)).toEqual(['tests/rt.sql', 'dbt_packages/pkg_a/tests/pt.sql']);
    expect(p.snapshots!.map((m) => m.path)).toEqual(['snapshots/rsnap.sql', 'dbt_packages/pkg_a/snapshots/psnap.sql']);
    expect(p.sources.map((s) => `${s.sourceName}.${s.name}`)).toEqual(['raw.r', 'src.t']);
    expect([[...p.modelProps.keys()], [...p.seedProps.keys()]]).toEqual([['root', 'pkg_a/pa'], ['rs', 'pkg_a/ps']]);
    expect(p.propertyFiles).toEqual(['models/root.yml', 'seeds/props.yml', 'dbt_packages/pkg_a/models/props.yml', 'dbt_packages/pkg_a/seeds/props.yml']);
    // a docs block of the root keeps its text; the package adds the blocks the root lacks
    expect([...p.docs].map(([k, v]) => [k, v.text])).toEqual([
      ['shared', 'root'],
      ['own', 'own'],
    ]);
  });

  it("the root's vars scoped to a package (a map under its name) are the package's, not the root's", () => {
    expect(dbtLoad(PKG_PROJECT).vars).toEqual({ pkg_b: [1, 2], pkg_c: null, keep: 3 });
  });

  it("a root config block naming a package is checked against the package's folders", () => {
    const ok = dbtLoad({ ...PKG_PROJECT, 'dbt_project.yml': 'name: shop\nmodels:\n  pkg_a:\n    staging:\n      +materialized: table\nseeds:\n  pkg_a:\n    ps:\n      +enabled: true\n' });
    expect(ok.modelsConfig).toEqual({ pkg_a: { staging: { '+materialized': 'table' } } });
    const err = (yml: string): string => {
      try {
        dbtLoad({ ...PKG_PROJECT, 'dbt_project.yml': yml });
      } catch (e) {
        return (e as TxError).message;
      }
      throw new Error('expected the project to be refused');
    };
    // `marts` is a folder of the root, not of pkg_a
    expect(err('name: shop\nmodels:\n  pkg_a:\n    marts:\n      +materialized: table\n')).toBe('`marts` in dbt_project.yml (models.pkg_a) is neither a config key nor a folder or model name');
    expect(err('name: shop\nseeds:\n  pkg_a:\n    rs:\n      +enabled: true\n')).toBe('`rs` in dbt_project.yml (seeds.pkg_a) is neither a config key nor a folder or seed name');
  });
});

describe("templates in a dbt project's properties files (the loader's side; testing/dbt-properties-templates.test.ts compares with dbt parse)", () => {
  const FILES: Files = {
    'dbt_project.yml': dedent(`
      name: propt
      profile: propt
      vars: {raw_schema: main, prefix: shop, pkg_a: {scoped: from_root}, g: glob}
    `),
    'profiles.yml': dedent(`
      propt:
        target: dev
        outputs:
          dev: {type: duckdb, path: x.duckdb, threads: 1, password: pw}
          pg: {type: postgres, host: h, database: dbx, user: "{{ env_var('PGU', 'anon') }}"}
    `),
    'models/m.sql': 'select 1',
    'models/props.yml': dedent(`
      version: 2
      sources:
        - name: raw
          schema: "{{ var('raw_schema') }}"
          meta:
            owner: "{{ env_var('SRC_OWNER', 'nobody') }}"
            t: "{{ target }}"
            p: "{{ project_name }}"
          tables:
            - name: orders
              identifier: "{{ var('prefix') }}_orders"
      models:
        - name: m
          config:
            materialized: "{{ var('mat', 'table') }}"
    `),
    'dbt_packages/pkg_a/dbt_project.yml': 'name: pkg_a\nvars: {own: pkgown, scoped: pkg_default}\n',
    'dbt_packages/pkg_a/models/pa.sql': 'select 1',
    'dbt_packages/pkg_a/models/props.yml': "version: 2\nmodels:\n  - name: pa\n    config:\n      meta: {v: \"{{ var('own') }}-{{ var('scoped') }}-{{ var('g') }}-{{ project_name }}\"}\n",
  };
  const loaded = (o: DbtProjectOptions) => {
    const fx = fixtureProject(FILES);
    made.push(fx);
    fx.remove('project.yml');
    const p = loadProject(fx.dir, { home: fx.dir, env: {}, ...o });
    return { source: p.sources.map((s) => [s.schema, s.identifier, s.meta]), config: Object.fromEntries([...p.modelProps].map(([k, v]) => [k, v.config])) };
  };

  it('var(), env_var(), target (no password) and project_name; a package sees its vars, the root block for it, the root globals', () => {
    expect(loaded({})).toEqual({
      source: [['main', 'shop_orders', { owner: 'nobody', t: { name: 'dev', path: 'x.duckdb', profile_name: 'propt', schema: 'main', threads: 1, type: 'duckdb' }, p: 'propt' }]],
      config: { m: { materialized: 'table' }, 'pkg_a/pa': { meta: { v: 'pkgown-from_root-glob-propt' } } },
    });
  });

  it('--vars win everywhere; --target picks the output (a templated value rendered, dbname from database); env_var reads the environment', () => {
    expect(loaded({ vars: { mat: 'view', scoped: 'cli' }, target: 'pg', env: { SRC_OWNER: 'team', PGU: 'u1' } })).toEqual({
      source: [['main', 'shop_orders', { owner: 'team', t: { database: 'dbx', dbname: 'dbx', host: 'h', name: 'pg', profile_name: 'propt', type: 'postgres', user: 'u1' }, p: 'propt' }]],
      config: { m: { materialized: 'view' }, 'pkg_a/pa': { meta: { v: 'pkgown-cli-glob-propt' } } },
    });
  });
});
