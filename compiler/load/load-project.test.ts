/**
 * files → Project: defaults, paths, the config hierarchy's validation, properties files,
 * docs blocks, file sources, and every load-time bad input with its file:line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { dedent, fixtureProject, REPO_ROOT, type Files, type FixtureProject } from '../../testing/fixture-project.js';
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
