/**
 * Data tests end to end on real DuckDB files: every built-in generic test, custom generic tests
 * ({% test %} blocks in macros/ and tests/generic/) and singular tests, each passing on good rows
 * and failing on bad ones; exit codes and JUnit XML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, type RunResult } from './test-fixture.js';

// dbt accepts both keys: \`tests:\` (older) and \`data_tests:\`
const MODEL_TESTS = (model: string, key = 'data_tests') => `
  - name: ${model}
    ${key}:
      - unique_combination_of_columns: {combination_of_columns: [id, name]}
      - expression_is_true: {expression: "age <= 120"}
    columns:
      - name: id
        ${key}: [unique, not_null]
      - name: name
        ${key}: [not_null, all_lowercase]
      - name: status
        ${key}:
          - accepted_values: {values: [active, inactive]}
      - name: age
        ${key}:
          - accepted_range: {min_value: 0, max_value: 120}
          - expression_is_true: {expression: ">= 0"}
      - name: dept_id
        ${key}:
          - relationships: {to: ref('depts'), field: dept_id}
          - accepted_values: {values: [10, 20], quote: false}
          - is_even
`;

function files(): Record<string, string> {
  return {
    'seeds/people.csv': 'id,name,status,age,dept_id\n1,ann,active,30,10\n2,bob,inactive,40,20\n3,cid,active,50,10\n',
    'seeds/depts.csv': 'dept_id,dept\n10,sales\n20,ops\n',
    'models/good.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('people') }}\n",
    'models/bad.sql': `{{ config(materialized='table') }}
      select * from {{ ref('people') }}
      union all select 3, null, 'deleted', 150, 99
      union all select null, 'EVE', 'active', -1, 10
      union all select 1, 'ann', 'active', 30, 10
      `,
    'models/props.yml': `version: 2\nmodels:\n${MODEL_TESTS('good', 'tests')}${MODEL_TESTS('bad')}`,
    'macros/is_even.sql': `
      {% test is_even(model, column_name) %}
      select * from {{ model }} where {{ column_name }} % 2 <> 0
      {% endtest %}
      `,
    'tests/generic/all_lowercase.sql': `
      {%- test all_lowercase(model, column_name) -%}
      select * from {{ model }} where {{ column_name }} <> lower({{ column_name }})
      {%- endtest -%}
      `,
    'tests/assert_good_has_three_people.sql': "select count(*) as n from {{ ref('good') }} having count(*) <> 3\n",
    'tests/assert_bad_has_no_deleted.sql': "-- failing rows: deleted people\nselect * from {{ ref('bad') }} where status = 'deleted'\n",
  };
}

/** The result whose test name starts with `prefix` (generic test names end with an argument hash). */
function find(results: Map<string, RunResult>, prefix: string): RunResult {
  const hits = [...results.entries()].filter(([k]) => k === prefix || k.startsWith(`${prefix}_`));
  expect(hits.map(([k]) => k), `one result named ${prefix}*`).toHaveLength(1);
  return hits[0]![1];
}

describe('built-in, custom and singular tests on good and bad rows', () => {
  let fx: Fixture;
  let run: ReturnType<Fixture['tx']>;
  let results: Map<string, RunResult>;
  beforeAll(() => {
    fx = new Fixture(files());
    // --no-audit: `bad` is published although its tests fail, so that the tests reading two models
    // (relationships) see its rows too; audit before publish: compiler/run/audit-before-publish.test.ts
    run = fx.tx('build', '--no-audit', '--junit-xml', 'out/junit.xml');
    results = fx.results();
  });
  afterAll(() => fx.cleanup());

  const expected: [string, number][] = [
    ['unique_{m}_id', 2],
    ['not_null_{m}_id', 1],
    ['not_null_{m}_name', 1],
    ['all_lowercase_{m}_name', 1],
    ['accepted_values_{m}_status', 1],
    ['accepted_range_{m}_age', 2],
    ['expression_is_true_{m}_age___0', 1],
    ['relationships_{m}_dept_id', 1],
    ['accepted_values_{m}_dept_id', 1],
    ['is_even_{m}_dept_id', 1],
    ['unique_combination_of_columns_{m}', 1],
  ];

  it('exits 1 because error-severity tests failed', () => {
    expect(run.code, run.output).toBe(1);
  });

  it.each(expected)('%s passes on good rows and fails on bad ones with the right count', (name, failures) => {
    const good = find(results, name.replace('{m}', 'good'));
    expect(good.status, good.message).toBe('pass');
    expect(good.failures).toBe(0);
    const bad = find(results, name.replace('{m}', 'bad'));
    expect(bad.status, bad.message).toBe('fail');
    expect(bad.failures).toBe(failures);
  });

  it('model-level expression_is_true passes and fails', () => {
    const all = [...results.entries()].filter(([k]) => /^expression_is_true_(good|bad)_age_120$/.test(k));
    expect(Object.fromEntries(all.map(([k, r]) => [k.split('_')[3], [r.status, r.failures]]))).toEqual({ good: ['pass', 0], bad: ['fail', 1] });
  });

  it('singular tests pass and fail', () => {
    expect(results.get('assert_good_has_three_people')!.status).toBe('pass');
    const bad = results.get('assert_bad_has_no_deleted')!;
    expect(bad.status).toBe('fail');
    expect(bad.failures).toBe(1);
  });

  it('prints the test, model and column, the failing row count and some rows', () => {
    expect(run.output).toMatch(/FAIL not_null_bad_name: 1 failing row in bad\.name \(models\/props\.yml:\d+\)/);
    expect(run.output).toMatch(/FAIL accepted_values_bad_status__active__inactive: 1 failing row in bad\.status/);
    expect(run.output).toContain('value_field=deleted, n_records=1');
    // the summary at the end repeats each failure with where it is defined
    expect(run.output).toMatch(/tests failed/);
    expect(run.output).toMatch(/FAIL relationships_bad_dept_id__dept_id__ref_depts_ on bad\.dept_id, models\/props\.yml:\d+/);
    expect(run.output).toContain('from_field=99');
  });

  it('writes JUnit XML with one test case per data test, failures naming the failing tests', () => {
    const xml = fx.read('out/junit.xml');
    const cases = xml.match(/<testcase /g) ?? [];
    const tests = [...results.keys()].filter((k) => !['people', 'depts', 'good', 'bad'].includes(k));
    expect(cases.length).toBe(tests.length);
    const failures = [...results.values()].filter((r) => r.status === 'fail').length;
    expect(xml).toMatch(new RegExp(`<testsuites name="tx build \\(fx\\)" tests="${tests.length}" failures="${failures}" errors="0" skipped="0"`));
    expect(xml).toMatch(/<testcase classname="fx\.data_test\.bad" name="not_null_bad_name \(bad\.name\)" file="models\/props\.yml" line="\d+" time="[\d.]+">\s*<failure message="not_null_bad_name: 1 failing row in bad\.name/);
    expect(xml).toMatch(/<testcase classname="fx\.singular\.bad" name="assert_bad_has_no_deleted" file="tests\/assert_bad_has_no_deleted\.sql"[^>]*>\s*<failure /);
    expect(xml).toMatch(/<testcase classname="fx\.data_test\.good" name="not_null_good_name \(good\.name\)"[^>]*\/>/);
  });

  it('tx test --select test_type:singular runs only singular tests; a model selects its tests', () => {
    const r = fx.tx('test', '--select', 'test_type:singular');
    expect(r.code).toBe(1);
    expect([...fx.results().keys()].sort()).toEqual(['assert_bad_has_no_deleted', 'assert_good_has_three_people']);
    const g = fx.tx('test', '--select', 'good');
    expect(g.code, g.output).toBe(0);
    const names = [...fx.results().keys()];
    expect(names.length).toBe(13); // 12 generic tests of good + the singular test on it
    expect(names.every((n) => n.includes('good'))).toBe(true);
    const generic = fx.tx('test', '--select', 'good', '--exclude', 'test_type:singular');
    expect(generic.code).toBe(0);
    expect(fx.results().size).toBe(12);
  });
});

// A tx project (project.yml): a test whose macro asks the warehouse (adapter.get_columns_in_relation)
// or reads `execute` renders again when it runs, as in a dbt project. Rendered only at compile,
// where nothing is asked, `no_null_columns` saw no columns and selected nothing: a pass on null rows.
describe('tests that ask the warehouse render again when they run (tx project)', () => {
  let fx: Fixture;
  beforeAll(() => {
    fx = new Fixture({
      'models/good.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name\n",
      'models/bad.sql': "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name union all select 2, null union all select null, 'c'\n",
      'models/props.yml': `
        version: 2
        models:
          - name: good
            data_tests: [no_null_columns, only_when_executing]
          - name: bad
            data_tests: [no_null_columns, only_when_executing]
        `,
      'macros/no_null_columns.sql': `
        {% test no_null_columns(model) %}
        {% set cols = adapter.get_columns_in_relation(model) %}
        select * from {{ model }} where {% for c in cols %}{{ c.name }} is null{% if not loop.last %} or {% endif %}{% else %}false{% endfor %}
        {% endtest %}
        `,
      // renders nothing while compiling: allowed, since it renders again when it runs
      'macros/only_when_executing.sql': `
        {% test only_when_executing(model) %}
        {% if not execute %}{{ return('') }}{% endif %}
        select * from {{ model }} where id > 1
        {% endtest %}
        `,
      'tests/bad_has_no_null_names.sql': "-- depends_on: {{ ref('bad') }}\n{% if execute %}\nselect * from {{ ref('bad') }} where name is null\n{% endif %}\n",
    });
  });
  afterAll(() => fx.cleanup());

  it('fail on the rows the query run against the built table selects, pass on good rows', () => {
    const r = fx.tx('build', '--no-audit');
    expect(r.code, r.output).toBe(1);
    const results = fx.results();
    const status = (prefix: string) => {
      const r = find(results, prefix);
      return [r.status, r.failures];
    };
    expect(status('no_null_columns_good')).toEqual(['pass', 0]);
    expect(status('no_null_columns_bad')).toEqual(['fail', 2]);
    expect(status('only_when_executing_good')).toEqual(['pass', 0]);
    expect(status('only_when_executing_bad')).toEqual(['fail', 1]);
    expect(results.get('bad_has_no_null_names')?.status).toBe('fail');
    expect(results.get('bad_has_no_null_names')?.failures).toBe(1);
    // compiled without the warehouse; run with its columns
    const ran = fx.read(`target/run/fx/models/props.yml/${[...results.keys()].find((k) => k.startsWith('no_null_columns_bad'))}.sql`);
    expect(ran).toMatch(/where id is null or name is null/);
  });

  it('gate the publish: the audit renders them against the new version', () => {
    fx.write('models/bad.sql', "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name union all select 5, null\n");
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/ERROR model bad[\s\S]*failed its audit/);
    // the previous version of bad (3 rows) is still the published one
    const t = fx.tx('test', '--select', 'bad');
    expect(fx.results().get('bad_has_no_null_names')?.failures, t.output).toBe(1);
    expect(find(fx.results(), 'only_when_executing_bad').failures).toBe(1);
  });

  it('one that renders nothing when it runs too: an error naming it, not the database\'s syntax error', () => {
    fx.write('tests/never.sql', "-- depends_on: {{ ref('good') }}\n{% if execute and var('never', false) %}select 1{% endif %}\n");
    const r = fx.tx('test', '--select', 'never');
    // the project's error, as when a test renders nothing while compiling
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/ERROR test never: tests\/never\.sql: test `never` rendered to nothing when it ran; a test is a query selecting the failing rows/);
    fx.remove('tests/never.sql');
  });
});
