/**
 * Bad test definitions are project errors: a clear message naming the file and line, exit 2,
 * and (when found before anything runs) nothing built.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Fixture } from './test-fixture.js';

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => f.cleanup()));

function project(props: string, extra: Record<string, string> = {}): Fixture {
  const fx = new Fixture({
    'models/m.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name\n",
    'models/n.sql': "{{ config(materialized='table') }}\nselect 1 as id\n",
    'models/p.yml': props,
    ...extra,
  });
  fixtures.push(fx);
  return fx;
}

/** 1-based line of the first line of the file holding `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('exit 2 before anything runs', () => {
  // [what, properties file, text on the line named, message]
  const cases: [string, string, string, RegExp][] = [
    [
      'a model-level test on a column the model does not declare',
      'models:\n  - name: m\n    data_tests:\n      - unique: {column_name: nme}\n    columns: [{name: id}, {name: name}]\n',
      'unique:',
      /test `unique` on model `m` names column `nme`, which model `m` does not declare \(its columns: id, name\)\n {2}hint: did you mean `name`\?/,
    ],
    [
      'unique_combination_of_columns with an undeclared column',
      'models:\n  - name: m\n    data_tests:\n      - unique_combination_of_columns: {combination_of_columns: [id, nam]}\n    columns: [{name: id}, {name: name}]\n',
      'unique_combination_of_columns:',
      /names column `nam`, which model `m` does not declare[\s\S]*did you mean `name`/,
    ],
    ['an unknown test, with did-you-mean', 'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [not_nul]\n', 'not_nul', /unknown test `not_nul`\n {2}hint: did you mean `not_null`\?/],
    [
      'an unknown argument',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values: {value: [1]}\n',
      'accepted_values:',
      /test `accepted_values` on model `m`, column `id` has no argument `value`\n {2}hint: did you mean `values`\?/,
    ],
    [
      'a missing argument',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - relationships: {to: "ref(\'n\')"}\n',
      'relationships:',
      /test `relationships` on model `m`, column `id` needs the argument `field`/,
    ],
    [
      'values that are not a list',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values: {values: 1}\n',
      'accepted_values:',
      /malformed arguments of test `accepted_values` on model `m`, column `id`: `values` must be a non-empty list/,
    ],
    [
      'accepted_range without bounds',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - accepted_range: {inclusive: false}\n',
      'accepted_range:',
      /malformed arguments of test `accepted_range`[\s\S]*give `min_value` \(or `min`\), `max_value` \(or `max`\), or both/,
    ],
    [
      'relationships to a model that does not exist',
      "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - relationships: {to: ref('nn'), field: id}\n",
      'relationships:',
      /argument `to` refers to `nn`, which does not exist\n {2}hint: did you mean `n`/,
    ],
    [
      'relationships to a field the parent does not declare',
      "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - relationships: {to: ref('n'), field: idd}\n  - name: n\n    columns: [{name: id}]\n",
      'relationships:',
      /field `idd` is not a column of `n` \(its columns: id\)/,
    ],
    ['a column test without a column', 'models:\n  - name: m\n    data_tests: [not_null]\n', 'not_null', /test `not_null` on `m` needs a column/],
    [
      'a model-level test under a column',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - unique_combination_of_columns: {combination_of_columns: [id]}\n',
      'unique_combination_of_columns:',
      /`unique_combination_of_columns` is a model-level test and takes no column/,
    ],
    [
      'an invalid severity',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - not_null: {config: {severity: fatal}}\n',
      'not_null:',
      /invalid value "fatal" for `severity`/,
    ],
    [
      'a threshold that is not a comparison',
      'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - not_null: {config: {warn_if: lots}}\n',
      'not_null:',
      /`warn_if` of the config of test `not_null` on model `m`, column `id` must be a comparison with a count, like ">10"/,
    ],
    [
      'an enforced contract with a column without data_type',
      'models:\n  - name: m\n    config: {contract: {enforced: true}}\n    columns:\n      - {name: id, data_type: integer}\n      - {name: name}\n',
      '{name: name}',
      /column `name` of model `m` has no data_type; an enforced contract needs one for every column/,
    ],
  ];
  it.each(cases)('%s', async (_what, props, marker, message) => {
    const fx = project(props);
    const r = fx.tx('build');
    expect(r.stderr).toContain(`models/p.yml:${lineOf(props, marker)}: `);
    expect(r.stderr).toMatch(message);
    expect(r.code, r.output).toBe(2);
    expect(r.stdout).not.toMatch(/created table/);
  });

  it.each([
    ['a statement that is not a query', '-- remove the bad rows\ndelete from {{ ref("m") }}\n', 2, /singular test `bad` is not a query \(it starts with `delete`\)/],
    ['two statements', 'select 1 as x;\nselect 2 as x\n', 1, /singular test `bad` holds 2 statements/],
    ['nothing but a comment', '-- todo\n', 1, /singular test `bad` is empty/],
  ])('a singular test that is %s', (_what, sql, line, message) => {
    const fx = project('', { 'tests/bad.sql': sql });
    const r = fx.tx('test');
    expect(r.stderr).toContain(`tests/bad.sql:${line}: `);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });
});

describe('a data test naming a column the built relation lacks: the failing test it is (exit 1)', () => {
  it('names the YAML file and line, with did-you-mean, keeps the model unpublished and skips what is downstream', () => {
    const props = 'models:\n  - name: m\n    columns:\n      - name: idd\n        data_tests: [not_null]\n';
    const fx = project(props, { 'models/down.sql': "select * from {{ ref('m') }}\n" });
    const r = fx.tx('build', '--junit-xml', 'junit.xml');
    // n was built: this is not "a project error, nothing written" (exit 2) but a failing node
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/models\/p\.yml:5: test `not_null` names column `idd`, which model m does not have \(it has: id, name\)\n\s+hint: did you mean `id`\?/);
    const res = fx.results();
    expect(res.get('n')!.status).toBe('success');
    // the test ran on the new version of m before publishing it (audit): m is not published
    expect(res.get('m')!.status).toBe('error');
    expect(res.get('m')!.message).toMatch(/not_null_m_idd errored\): not published/);
    expect(res.get('not_null_m_idd')!.status).toBe('error');
    expect(res.get('down')!.status).toBe('skipped');
    expect(fx.read('junit.xml')).toMatch(/<testcase classname="fx\.data_test\.m" name="not_null_m_idd \(m\.idd\)" file="models\/p\.yml" line="5"[^>]*>\s*<error message="models\/p\.yml:5: test `not_null` names column `idd`/);
    // published without audit, then tested: tx test against the built relation says the same, exit 1
    expect(fx.tx('build', '--no-audit').code).toBe(1);
    const t = fx.tx('test');
    expect(t.code).toBe(1);
    expect(t.output).toContain('models/p.yml:5: test `not_null` names column `idd`');
  });

  it('checks the relationships field against the parent relation', () => {
    const props = "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - relationships: {to: ref('n'), field: ident}\n";
    const fx = project(props);
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/models\/p\.yml:6: test `relationships` names column `ident`, which model n does not have \(it has: id\)/);
  });
});

describe('a data test naming a column whose absence is known without the warehouse: exit 2 before anything runs', () => {
  // (a model's enforced contract declares its columns, which the checks above already hold tests to)
  it("a seed's header: at tx compile and at tx build, nothing loaded", () => {
    const props = 'seeds:\n  - name: codes\n    columns:\n      - name: cod\n        data_tests: [not_null]\n';
    const fx = project(props, { 'seeds/codes.csv': 'code,label\n1,a\n' });
    for (const cmd of ['compile', 'build', 'seed']) {
      const r = fx.tx(cmd);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(/models\/p\.yml:5: test `not_null` names column `cod`, which seed codes does not have \(its header: code, label\)\n\s+hint: did you mean `code`\?/);
      expect(r.output).not.toMatch(/loaded seed|created table/);
    }
  });

  it('a header that names the column (any case) passes', () => {
    const fx = project('seeds:\n  - name: codes\n    columns:\n      - name: LABEL\n        data_tests: [not_null]\n', { 'seeds/codes.csv': 'code,"label"\n1,a\n' });
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(0);
  });
});
