/**
 * A properties file → models, seeds, sources, unit tests and dbt-only entries, each with its
 * file:line; tests split into arguments and config; file sources' formats from their extension.
 */
import { describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { thrown } from '../../testing/thrown.js';
import { parseYaml } from './yaml-file.js';
import { formatFromPath, parseProperties, parseTests } from './properties.js';

const F = 'models/schema.yml';
const parse = (text: string) => parseProperties(parseYaml(text, F));

const errorOf = (fn: () => unknown): TxError => thrown(fn, TxError);

describe('parseProperties', () => {
  it('an empty file has nothing', () => {
    expect(parse('')).toEqual({ models: [], seeds: [], sources: [], unitTests: [], dbtOnly: {} });
    expect(parse('# only a comment\n')).toEqual({ models: [], seeds: [], sources: [], unitTests: [], dbtOnly: {} });
  });

  it('a model with columns, tests and config, every field with its line', () => {
    const p = parse(
      [
        'version: 2', // 1
        'models:', // 2
        '  - name: orders', // 3
        '    description: One row per order', // 4
        '    config:', // 5
        '      materialized: table', // 6
        '    meta: {owner: ann}', // 7
        '    columns:', // 8
        '      - name: id', // 9
        '        description: the key', // 10
        '        data_type: integer', // 11
        '        meta: {pii: false}', // 12
        '        tests:', // 13
        '          - unique', // 14
        '          - not_null', // 15
        '      - name: status', // 16
        '        data_tests:', // 17
        '          - accepted_values:', // 18
        '              values: [a, b]', // 19
        '              severity: warn', // 20
        '    tests:', // 21
        '      - dbt_utils.expression_is_true:', // 22
        '          expression: "id > 0"', // 23
        '          config: {where: "id is not null", limit: 5}', // 24
        '          tags: [t]', // 25
        '',
      ].join('\n'),
    );
    expect(p.seeds).toEqual([]);
    expect(p.sources).toEqual([]);
    expect(p.unitTests).toEqual([]);
    expect(p.dbtOnly).toEqual({});
    expect(p.models).toEqual([
      {
        name: 'orders',
        description: 'One row per order',
        config: { materialized: 'table', meta: { owner: 'ann' } }, // the top-level meta merged in, as dbt does
        meta: { owner: 'ann' },
        file: F,
        line: 3,
        columns: [
          {
            name: 'id',
            description: 'the key',
            dataType: 'integer',
            meta: { pii: false },
            line: 9,
            tests: [
              { name: 'unique', args: {}, config: {}, file: F, line: 14, column: 'id' },
              { name: 'not_null', args: {}, config: {}, file: F, line: 15, column: 'id' },
            ],
          },
          {
            name: 'status',
            description: '',
            dataType: undefined,
            meta: {},
            line: 16,
            tests: [{ name: 'accepted_values', args: { values: ['a', 'b'] }, config: { severity: 'warn' }, file: F, line: 18, column: 'status' }],
          },
        ],
        tests: [
          {
            name: 'dbt_utils.expression_is_true',
            args: { expression: 'id > 0' },
            config: { where: 'id is not null', limit: 5, tags: ['t'] },
            file: F,
            line: 22,
            column: undefined,
          },
        ],
      },
    ]);
  });

  it('`data_tests:` of a model is read, with the lines of its entries', () => {
    const p = parse(['models:', '  - name: a', '    data_tests:', '      - x', '      - y', '    columns:', '      - name: c', '        data_tests:', '          - z', ''].join('\n'));
    expect(p.models[0]!.tests.map((t) => [t.name, t.line])).toEqual([
      ['x', 4],
      ['y', 5],
    ]);
    expect(p.models[0]!.columns[0]!.tests.map((t) => [t.name, t.line, t.column])).toEqual([['z', 9, 'c']]);
  });

  it('a model with only a name gets empty defaults', () => {
    expect(parse('models:\n  - name: a\n').models).toEqual([{ name: 'a', description: '', config: {}, columns: [], tests: [], meta: {}, file: F, line: 2 }]);
  });

  it('seeds are read like models', () => {
    const p = parse(['seeds:', '  - name: s1', '    config: {delimiter: ";"}', '  - name: s2', '    columns:', '      - name: c', '        tests: [not_null]', ''].join('\n'));
    expect(p.models).toEqual([]);
    expect(p.seeds).toEqual([
      { name: 's1', description: '', config: { delimiter: ';' }, columns: [], tests: [], meta: {}, file: F, line: 2 },
      {
        name: 's2',
        description: '',
        config: {},
        columns: [{ name: 'c', description: '', dataType: undefined, meta: {}, line: 6, tests: [{ name: 'not_null', args: {}, config: {}, file: F, line: 7, column: 'c' }] }],
        tests: [],
        meta: {},
        file: F,
        line: 4,
      },
    ]);
  });

  it('sources: schema, identifier and the source-level fields a table inherits or overrides', () => {
    const p = parse(
      [
        'sources:', // 1
        '  - name: raw', // 2
        '    description: the raw layer', // 3
        '    database: lake', // 4
        '    meta: {team: a, tier: 1}', // 5
        '    tags: [s1, s2]', // 6
        '    freshness: {warn_after: {count: 1, period: day}}', // 7
        '    loaded_at_field: _loaded', // 8
        '    tables:', // 9
        '      - name: orders', // 10
        '        description: orders table', // 11
        '        identifier: ORDERS_V2', // 12
        '        meta: {tier: 2}', // 13
        '        tags: [t1]', // 14
        '        columns:', // 15
        '          - name: id', // 16
        '            tests: [unique]', // 17
        '        tests:', // 18
        '          - fresh', // 19
        '      - name: customers', // 20
        '        freshness: {error_after: {count: 2, period: hour}}', // 21
        '        loaded_at_field: updated_at', // 22
        '        data_tests:', // 23
        '          - t2', // 24
        '  - name: other', // 25
        '    schema: elsewhere', // 26
        '    tables:', // 27
        '      - name: x', // 28
        '',
      ].join('\n'),
    );
    expect(p.sources).toEqual([
      {
        sourceName: 'raw',
        name: 'orders',
        description: 'orders table',
        sourceDescription: 'the raw layer',
        schema: 'raw',
        database: 'lake',
        identifier: 'ORDERS_V2',
        path: undefined,
        format: undefined,
        options: {},
        maxRejectedRows: undefined,
        columns: [{ name: 'id', description: '', dataType: undefined, meta: {}, line: 16, tests: [{ name: 'unique', args: {}, config: {}, file: F, line: 17, column: 'id' }] }],
        tests: [{ name: 'fresh', args: {}, config: {}, file: F, line: 19, column: undefined }],
        freshness: { warn_after: { count: 1, period: 'day' } },
        loadedAtField: '_loaded',
        meta: { team: 'a', tier: 2 },
        tags: ['s1', 's2', 't1'],
        file: F,
        line: 10,
      },
      {
        sourceName: 'raw',
        name: 'customers',
        description: '',
        sourceDescription: 'the raw layer',
        schema: 'raw',
        database: 'lake',
        identifier: 'customers',
        path: undefined,
        format: undefined,
        options: {},
        maxRejectedRows: undefined,
        columns: [],
        tests: [{ name: 't2', args: {}, config: {}, file: F, line: 24, column: undefined }],
        freshness: { error_after: { count: 2, period: 'hour' } },
        loadedAtField: 'updated_at',
        meta: { team: 'a', tier: 1 },
        tags: ['s1', 's2'],
        file: F,
        line: 20,
      },
      {
        sourceName: 'other',
        name: 'x',
        description: '',
        sourceDescription: '',
        schema: 'elsewhere',
        database: undefined,
        identifier: 'x',
        path: undefined,
        format: undefined,
        options: {},
        maxRejectedRows: undefined,
        columns: [],
        tests: [],
        freshness: undefined,
        loadedAtField: undefined,
        meta: {},
        tags: [],
        file: F,
        line: 28,
      },
    ]);
  });

  it('file sources: the format from the extension, an explicit format, templated paths and options', () => {
    const p = parse(
      [
        'sources:',
        '  - name: files',
        '    tables:',
        '      - name: a',
        '        path: data/a.CSV.gz',
        '        max_rejected_rows: 10',
        '        options: {delimiter: ";", header: false}',
        '      - name: b',
        '        path: data/b/',
        '        format: parquet',
        '      - name: c',
        '        path: "data/{{ var(\'day\') }}.bin"',
        '      - name: d',
        '        path: data/d.json',
        '        format: csv',
        '',
      ].join('\n'),
    );
    expect(p.sources.map((s) => [s.name, s.path, s.format, s.options, s.maxRejectedRows])).toEqual([
      ['a', 'data/a.CSV.gz', 'csv', { delimiter: ';', header: false }, 10],
      ['b', 'data/b/', 'parquet', {}, undefined],
      ['c', "data/{{ var('day') }}.bin", undefined, {}, undefined],
      ['d', 'data/d.json', 'csv', {}, undefined],
    ]);
  });

  it('a file source whose format cannot be inferred: the source, the path, file:line of `path:` and a hint', () => {
    const e = errorOf(() => parse(['sources:', '  - name: files', '    tables:', '      - name: ok', '        path: a.csv', '      - name: blob', '', '        path: data/blob.bin', ''].join('\n')));
    expect(e.code).toBe('PROJECT');
    expect(e.message).toBe('cannot infer the format of file source `files.blob` from `data/blob.bin`');
    expect(e.location).toEqual({ file: F, line: 8, column: undefined });
    expect(e.hint).toBe('add `format: csv|parquet|json|avro|orc`');
  });

  it('unit tests keep their raw entry, name, model and line', () => {
    const p = parse(['unit_tests:', '  - name: u1', '    model: orders', '    given: []', '  - {name: u2}', ''].join('\n'));
    expect(p.unitTests).toEqual([
      { name: 'u1', model: 'orders', raw: { name: 'u1', model: 'orders', given: [] }, file: F, line: 2 },
      { name: 'u2', model: '', raw: { name: 'u2' }, file: F, line: 5 },
    ]);
    // names that YAML reads as numbers are text
    expect(parse('unit_tests:\n  - {name: 5, model: 7}\n').unitTests.map((u) => [u.name, u.model])).toEqual([['5', '7']]);
  });

  it('dbt-only entries are kept by key; empty lists and other keys are not', () => {
    const p = parse(['version: 2', 'metrics:', '  - name: m1', '  - name: m2', 'exposures:', '  - name: e', 'groups: []', 'macros:', '  - name: mac', ''].join('\n'));
    expect(p.dbtOnly).toEqual({ metrics: [{ name: 'm1' }, { name: 'm2' }], exposures: [{ name: 'e' }] });
  });

  it('the file is validated against the schema first: an unknown key names file:line', () => {
    const e = errorOf(() => parse(['models:', '  - name: a', '    descripton: x', ''].join('\n')));
    expect(e.message).toBe('unknown key `descripton` in properties (models.0)');
    expect(e.location).toEqual({ file: F, line: 3, column: undefined });
    expect(e.hint).toBe('did you mean `description`?');
  });
});

describe('parseTests', () => {
  const file = parseYaml(['tests:', '  - a', '  - b: null', '  - c: {x: 1}', ''].join('\n'), 'p.yml');

  it('a name, a name with no arguments, a name with arguments', () => {
    expect(parseTests(file, ['tests'], ['a', { b: null }, { c: { x: 1 } }], 'col')).toEqual([
      { name: 'a', args: {}, config: {}, file: 'p.yml', line: 2, column: 'col' },
      { name: 'b', args: {}, config: {}, file: 'p.yml', line: 3, column: 'col' },
      { name: 'c', args: { x: 1 }, config: {}, file: 'p.yml', line: 4, column: 'col' },
    ]);
  });

  it('every config key goes to config, `arguments:` to args, `config:` merged under the top-level keys', () => {
    const body = {
      severity: 'warn',
      where: 'w',
      limit: 1,
      warn_if: '>1',
      error_if: '>2',
      tags: ['t'],
      enabled: false,
      store_failures: true,
      meta: { m: 1 },
      fail_calc: 'count(*)',
      alias: 'al',
      schema: 'sc',
      arguments: { column_name: 'id', values: [1] },
      config: { severity: 'error', database: 'db' },
      other: 'o',
    };
    expect(parseTests(file, ['tests'], [{ t: body }])).toEqual([
      {
        name: 't',
        args: { column_name: 'id', values: [1], other: 'o' },
        config: {
          severity: 'warn',
          where: 'w',
          limit: 1,
          warn_if: '>1',
          error_if: '>2',
          tags: ['t'],
          enabled: false,
          store_failures: true,
          meta: { m: 1 },
          fail_calc: 'count(*)',
          alias: 'al',
          schema: 'sc',
          database: 'db',
        },
        file: 'p.yml',
        line: 2,
        column: undefined,
      },
    ]);
  });

  it('a `config:` or `arguments:` that is not a map is ignored', () => {
    expect(parseTests(file, ['tests'], [{ t: { config: 'xy', arguments: 'ab', severity: 'warn' } }])).toEqual([
      { name: 't', args: {}, config: { severity: 'warn' }, file: 'p.yml', line: 2, column: undefined },
    ]);
  });

  it('a map with several keys, or none, is an error naming the keys and the line', () => {
    const e = errorOf(() => parseTests(file, ['tests'], ['a', { x: 1, y: 2 }]));
    expect(e.code).toBe('PROJECT');
    expect(e.message).toBe('a test must be a name or a map with one key (the test name); got keys x, y');
    expect(e.location).toEqual({ file: 'p.yml', line: 3, column: undefined });
    expect(errorOf(() => parseTests(file, ['tests'], [{}])).message).toBe('a test must be a name or a map with one key (the test name); got keys (none)');
    expect(errorOf(() => parseTests(file, ['tests'], [42])).message).toBe('a test must be a name or a map with one key (the test name); got keys (none)');
  });

  it('arguments that are not a map are an error naming the test and the line', () => {
    for (const body of ['x', [1], 3]) {
      const e = errorOf(() => parseTests(file, ['tests'], ['a', 'b', { unique: body }]));
      expect(e.code).toBe('PROJECT');
      expect(e.message).toBe('arguments of test `unique` must be a map');
      expect(e.location).toEqual({ file: 'p.yml', line: 4, column: undefined });
    }
  });
});

describe('formatFromPath', () => {
  it.each([
    ['a.csv', 'csv'],
    ['a.CSV', 'csv'],
    ['a.csv.gz', 'csv'],
    ['a.csv.gzip', 'csv'],
    ['a.csv.zst', 'csv'],
    ['a.tsv', 'csv'],
    ['a.tsv.gz', 'csv'],
    ['dir/*.parquet', 'parquet'],
    ['a.PARQUET', 'parquet'],
    ['a.json', 'json'],
    ['a.jsonl', 'json'],
    ['a.ndjson', 'json'],
    ['a.ndjson.gz', 'json'],
    ['a.avro', 'avro'],
    ['a.orc', 'orc'],
  ])('%s is %s', (path, format) => {
    expect(formatFromPath(path)).toBe(format);
  });

  it.each(['a.csv.bak', 'a.tsv.zst', 'csv', 'a_csv', 'a.parquet.tmp', 'a.json.zst', 'a.avro.gz', 'a.orc.gz', 'a.xlsx', 'data/', 'a.csv/b'])('%s has no format', (path) => {
    expect(formatFromPath(path)).toBeUndefined();
  });
});

describe('tests: and data_tests: in one entry', () => {
  // dbt-core 1.10 refuses it ("Invalid test config: cannot have both 'tests' and 'data_tests' defined"); tx read data_tests and dropped tests
  const both = (where: string) => {
    const e = errorOf(() => parse(where));
    expect(e.code).toBe('PROJECT');
    expect(e.message).toBe('an entry has both `tests:` and `data_tests:` (its test list under two names)');
    return e.location.line;
  };
  it('is an error naming the line of `tests:`, on a model, a column, a version and a source table', () => {
    expect(both('models:\n  - name: m\n    data_tests: [unique]\n    tests: [not_null]\n')).toBe(4);
    expect(both('models:\n  - name: m\n    columns:\n      - name: id\n        tests: [not_null]\n        data_tests: [unique]\n')).toBe(5);
    expect(both('models:\n  - name: m\n    versions:\n      - v: 1\n        data_tests: [unique]\n        tests: []\n')).toBe(6);
    expect(both('sources:\n  - name: s\n    tables:\n      - name: t\n        tests: [x]\n        data_tests: [y]\n')).toBe(5);
  });
  it('either name alone is the test list', () => {
    expect(parse('models:\n  - name: m\n    tests: [unique]\n').models[0]!.tests.map((t) => t.name)).toEqual(['unique']);
    expect(parse('models:\n  - name: m\n    data_tests: [not_null]\n').models[0]!.tests.map((t) => t.name)).toEqual(['not_null']);
  });
});
