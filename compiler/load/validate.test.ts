/**
 * project.yml and properties files against the shipped JSON Schemas: the first error, chosen by
 * kind (unknown key, then a value outside its list, then a missing key, then the rest), becomes
 * one TxError with its file:line, the path in the file and a hint.
 */
import { describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { thrown } from '../../testing/thrown.js';
import { parseYaml } from './yaml-file.js';
import { loadSchema, validateDefinition, validateYaml } from './validate.js';

const errorOf = (fn: () => unknown): TxError => thrown(fn, TxError);

/** message, location and hint of validating `text` as `name`. */
function check(name: 'project' | 'properties', text: string) {
  const e = errorOf(() => validateYaml(name, parseYaml(text, 'f.yml')));
  expect(e.code).toBe('PROJECT');
  expect(e.exitCode).toBe(2);
  return { message: e.message, line: e.location.line, file: e.location.file, hint: e.hint };
}

describe('validateYaml', () => {
  it('valid files pass', () => {
    expect(() => validateYaml('project', parseYaml('name: p\nthreads: 2\ntargets:\n  t: {type: duckdb, path: x.duckdb}\n', 'f.yml'))).not.toThrow();
    expect(() => validateYaml('properties', parseYaml('models:\n  - name: a\n    config: {materialized: table}\n', 'f.yml'))).not.toThrow();
  });

  it('an unknown key: the key, where, its line, and the key it is a typo of', () => {
    expect(check('project', 'name: p\nmodles: {}\n')).toEqual({ message: 'unknown key `modles` in project.yml (top level)', file: 'f.yml', line: 2, hint: 'did you mean `models`?' });
  });

  it('an unknown key like no allowed one lists the allowed keys', () => {
    const props = Object.keys(loadSchema('project').properties as object);
    expect(props.slice(0, 3)).toEqual(['name', 'version', 'config-version']);
    expect(check('project', 'name: p\nzzzzzzzzzzzz: 1\n')).toEqual({
      message: 'unknown key `zzzzzzzzzzzz` in project.yml (top level)',
      file: 'f.yml',
      line: 2,
      hint: `allowed keys: ${props.join(', ')}`,
    });
  });

  it('an unknown key deep in a properties file names its path and line', () => {
    expect(check('properties', 'models:\n  - name: a\n\n    config: {materialized: 1, x: 2}\n')).toMatchObject({
      message: 'unknown key `x` in properties (models.0.config)',
      line: 4,
    });
  });

  it('a value outside its list: the value, the path, the line and the close value', () => {
    expect(check('properties', 'models:\n  - name: a\n    config: {materialized: tabel}\n')).toEqual({
      message: 'invalid value "tabel" for `models.0.config.materialized` in properties',
      file: 'f.yml',
      line: 3,
      hint: 'did you mean `table`?',
    });
  });

  it('a value like no allowed one lists the allowed values', () => {
    expect(check('properties', 'models:\n  - name: a\n    config:\n      materialized: zzzzzzz\n')).toEqual({
      message: 'invalid value "zzzzzzz" for `models.0.config.materialized` in properties',
      file: 'f.yml',
      line: 4,
      hint: 'allowed: view, table, ephemeral, incremental, external',
    });
  });

  it('a key with `/` and `~` in the path is found in the file (JSON pointer escapes decoded)', () => {
    expect(check('project', 'name: p\ntargets:\n  dev: {type: duckdb}\n  "a/b~c":\n    type: duckdbx\n')).toEqual({
      message: 'invalid value "duckdbx" for `targets.a/b~c.type` in project.yml',
      file: 'f.yml',
      line: 5,
      hint: 'did you mean `duckdb`?',
    });
  });

  it('keys that end or start with digits are keys; indexes of any size are indexes', () => {
    expect(check('project', 'name: p\ntargets:\n  dev: {type: duckdb}\n  dev1:\n    type: duckdbx\n')).toMatchObject({ message: 'invalid value "duckdbx" for `targets.dev1.type` in project.yml', line: 5 });
    expect(check('project', 'name: p\ntargets:\n  dev: {type: duckdb}\n  1dev:\n    type: duckdbx\n')).toMatchObject({ message: 'invalid value "duckdbx" for `targets.1dev.type` in project.yml', line: 5 });
    const models = Array.from({ length: 11 }, (_, i) => `  - name: m${i}`).join('\n');
    expect(check('properties', `models:\n${models}\n    config: {materialized: tabel}\n`)).toMatchObject({ message: 'invalid value "tabel" for `models.10.config.materialized` in properties', line: 13 });
  });

  it('a missing required key names the key and where it is missing', () => {
    expect(check('project', 'name: p\ntargets:\n  t:\n    path: x\n')).toEqual({ message: 'missing required key `type` in project.yml (targets.t)', file: 'f.yml', line: 3, hint: undefined });
    expect(check('project', '\nthreads: 1\n')).toEqual({ message: 'missing required key `name` in project.yml (top level)', file: 'f.yml', line: 2, hint: undefined });
    expect(check('properties', 'models:\n  - name: a\n  - description: x\n')).toMatchObject({ message: 'missing required key `name` in properties (models.1)', line: 3 });
  });

  it('any other error: the path and what is wrong', () => {
    expect(check('project', 'name: p\n\nthreads: x\n')).toEqual({ message: '`threads` must be integer in project.yml', file: 'f.yml', line: 3, hint: undefined });
    expect(check('properties', 'models: 3\n')).toEqual({ message: '`models` must be array in properties', file: 'f.yml', line: 1, hint: undefined });
    expect(check('properties', '- a\n')).toEqual({ message: '`top level` must be object in properties', file: 'f.yml', line: 1, hint: undefined });
  });

  it('among several errors, an unknown key comes first, then a value outside its list, then a missing key, then the rest', () => {
    // unknown key before a type error
    expect(check('properties', 'models:\n  - name: a\n    config: {materialized: 1, x: 2}\n').message).toBe('unknown key `x` in properties (models.0.config)');
    // a value outside its list before a missing key
    expect(check('properties', 'models:\n  - config: {materialized: tabel}\n').message).toBe('invalid value "tabel" for `models.0.config.materialized` in properties');
    // a missing key before a type error
    expect(check('properties', 'models:\n  - description: 3\n').message).toBe('missing required key `name` in properties (models.0)');
    // a missing key before a type error that comes first in the file
    expect(check('properties', 'models:\n  - name: a\n    description: 3\n  - description: x\n')).toMatchObject({ message: 'missing required key `name` in properties (models.1)', line: 4 });
    // a type error in a branch before the oneOf that wraps it
    expect(check('project', 'name: p\non-run-start: 3\n').message).toBe('`on-run-start` must be string in project.yml');
    // a value outside its list before a type error
    expect(check('properties', 'models:\n  - name: a\n    config: {enabled: 3, materialized: tabel}\n').message).toBe(
      'invalid value "tabel" for `models.0.config.materialized` in properties',
    );
    // a missing key before a value outside its list is wrong: the list wins
    expect(check('project', 'targets:\n  t: {type: x}\n').message).toBe('invalid value "x" for `targets.t.type` in project.yml');
  });
});

describe('validateDefinition', () => {
  it('validates against one definition of project.schema.json, at the line it is given', () => {
    expect(() => validateDefinition('model_config', { materialized: 'table', tags: ['a'] }, 'p.yml', 7, 'models: config')).not.toThrow();
    const e = errorOf(() => validateDefinition('model_config', { materialized: 'tabel' }, 'p.yml', 7, 'models: config'));
    expect([e.message, e.location, e.hint]).toEqual(['invalid value "tabel" for `materialized` in models: config', { file: 'p.yml', line: 7, column: undefined }, 'did you mean `table`?']);
    const u = errorOf(() => validateDefinition('model_config', { materializd: 'table' }, 'p.yml', 9, 'models: config'));
    expect([u.message, u.location.line, u.hint]).toEqual(['unknown key `materializd` in models: config (top level)', 9, 'did you mean `materialized`?']);
    const s = errorOf(() => validateDefinition('seed_config', { delimiter: 3 }, 'p.yml', undefined, 'seeds: config'));
    expect([s.message, s.location]).toEqual(['`delimiter` must be string in seeds: config', { file: 'p.yml', line: undefined, column: undefined }]);
  });

  it('definitions refer to each other (a model config with a contract)', () => {
    expect(() => validateDefinition('model_config', { contract: { enforced: true } }, 'p.yml', 1, 'c')).not.toThrow();
    expect(errorOf(() => validateDefinition('model_config', { contract: { enforcd: true } }, 'p.yml', 1, 'c')).message).toBe('unknown key `enforcd` in c (contract)');
  });
});

describe('loadSchema', () => {
  it('reads the shipped schemas', () => {
    expect(loadSchema('project').required).toEqual(['name']);
    expect(Object.keys(loadSchema('properties').properties as object)).toContain('unit_tests');
  });
});
