/**
 * Unit tests of models end to end: given rows (inline maps, inline CSV, CSV fixture files, SQL),
 * overrides (vars, is_incremental with `this`), a row diff on failure, JUnit XML, nothing written
 * to the warehouse, and fixture mistakes as project errors (exit 2) naming file:line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Fixture } from './test-fixture.js';

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => f.cleanup()));

const ORDERS = `{{ config(materialized='incremental', unique_key='id') }}
select o.id, o.amount * {{ var('rate', 1) }} as amount, c.name as customer
from {{ source('shop', 'orders') }} as o
join {{ ref('customers') }} as c on c.id = o.customer_id
{% if is_incremental() %}
where o.id > (select coalesce(max(id), 0) from {{ this }})
{% endif %}
`;

const SOURCES = `
sources:
  - name: shop
    tables:
      - name: orders
        columns:
          - {name: id, data_type: integer}
          - {name: customer_id, data_type: integer}
          - {name: amount, data_type: double}
`;

const UNIT_TESTS = `
unit_tests:
  - name: joins_customers
    model: orders
    overrides: {vars: {rate: 2}}
    given:
      - input: source('shop', 'orders')
        rows:
          - {id: 1, customer_id: 1, amount: 1.5}
          - {id: 2, customer_id: 2, amount: 10}
          - {id: 3, customer_id: 3, amount: 10}
      - input: ref('customers')
        format: csv
        fixture: customers
    expect:
      rows:
        - {id: 1, amount: 3.0, customer: ann}
        - {id: 2, amount: 20, customer: bob}
  - name: incremental_only_new
    model: orders
    overrides: {macros: {is_incremental: true}}
    given:
      - input: source('shop', 'orders')
        rows: [{id: 1, customer_id: 1, amount: 1}, {id: 5, customer_id: 1, amount: 2}]
      - input: ref('customers')
        format: sql
        rows: "select 1 as id, 'ann' as name"
      - input: this
        rows: [{id: 1, amount: 1, customer: ann}]
    expect:
      format: csv
      rows: |
        id,amount,customer
        5,2,ann
`;

const FAILING = `
  - name: totals_are_wrong
    model: orders
    given:
      - input: source('shop', 'orders')
        rows: [{id: 1, customer_id: 1, amount: 1}, {id: 2, customer_id: 1, amount: 4}]
      - input: ref('customers')
        format: csv
        rows: |
          id,name
          1,ann
    expect:
      rows: [{id: 1, amount: 1, customer: ann}, {id: 2, amount: 5, customer: ann}]
`;

function project(props = `${SOURCES}${UNIT_TESTS}`): Fixture {
  const fx = new Fixture({
    'models/orders.sql': ORDERS,
    'models/customers.sql': "select 1 as id, 'ann' as name\n",
    'tests/fixtures/customers.csv': 'id,name\n1,ann\n2,bob\n',
    'models/props.yml': props,
  });
  fixtures.push(fx);
  return fx;
}

describe('unit tests that pass', () => {
  it('run the model on the given rows (maps, CSV file, SQL, vars and is_incremental overrides) without touching warehouse tables', async () => {
    const fx = project();
    const r = fx.tx('test', '--select', 'test_type:unit');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/PASS joins_customers \(unit test of orders\)/);
    expect(r.output).toMatch(/PASS incremental_only_new \(unit test of orders\)/);
    const res = fx.results();
    expect(res.get('joins_customers')!.status).toBe('pass');
    expect(res.get('incremental_only_new')!.status).toBe('pass');
    // nothing was built or created in the warehouse
    expect(await fx.query("select count(*) as n from information_schema.tables where table_schema not in ('information_schema', 'pg_catalog')")).toEqual([{ n: 0n }]);
    // what ran is kept for debugging
    expect(fx.read('target/run/fx/unit_tests/orders/joins_customers.sql')).toContain('__tx_given__src__shop__orders');
  });

  it('a model selects its unit tests; test_type:data leaves them out', () => {
    const fx = project();
    fx.tx('test', '--select', 'orders');
    expect([...fx.results().keys()].sort()).toEqual(['incremental_only_new', 'joins_customers']);
    const d = fx.tx('test', '--select', 'test_type:data');
    expect(d.code).toBe(0);
    expect(d.output).toMatch(/Nothing to test/);
    // dbt's spelling: unit tests are resource_type unit_test, data tests resource_type test
    fx.tx('test', '--select', 'resource_type:unit_test');
    expect([...fx.results().keys()].sort()).toEqual(['incremental_only_new', 'joins_customers']);
    expect(fx.tx('test', '--select', 'resource_type:test').output).toMatch(/Nothing to test/);
  });
});

describe('a failing unit test', () => {
  it('prints a row diff, exits 1 and is a failed test case in JUnit XML', () => {
    const fx = project(`${SOURCES}${UNIT_TESTS}${FAILING}`);
    const r = fx.tx('test', '--junit-xml', 'junit.xml');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/FAIL totals_are_wrong: unit test of orders failed: 1 expected row missing, 1 unexpected row; got 2 rows, expected 2 \(models\/props\.yml:\d+\)/);
    expect(r.output).toContain('  id | amount | customer');
    expect(r.output).toContain('- 2 | 5 | ann');
    expect(r.output).toContain('+ 2 | 4 | ann');
    expect(r.output).toContain('id | amount | customer');
    const xml = fx.read('junit.xml');
    expect(xml).toMatch(/tests="3" failures="1" errors="0"/);
    expect(xml).toMatch(/<testcase classname="fx\.unit_test\.orders" name="totals_are_wrong" file="models\/props\.yml" line="\d+"[^>]*>\s*<failure message="totals_are_wrong: unit test of orders failed/);
    expect(xml).toContain('- 2 | 5 | ann\n+ 2 | 4 | ann</failure>');
    expect(xml).toMatch(/<testcase classname="fx\.unit_test\.orders" name="joins_customers"[^>]*\/>/);
  });

  it('in tx build, a failing unit test runs before its model: the model keeps its previous table and what is downstream is skipped', async () => {
    const fx = project();
    fx.write('models/report.sql', "select count(*) as n from {{ ref('orders') }}\n");
    // the source table the model reads in the warehouse
    await fx.exec('create schema if not exists shop; create table shop.orders as select 1 as id, 1 as customer_id, 2.0 as amount');
    const first = fx.tx('build');
    expect(first.code, first.output).toBe(0);
    // unit tests are reported before the model they test
    const lines = first.output.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/PASS joins_customers/)).toBeGreaterThanOrEqual(0);
    expect(at(/PASS joins_customers/)).toBeLessThan(at(/OK .*main\.orders/));
    expect(await fx.query('select id, amount from main.orders')).toEqual([{ id: 1, amount: 2 }]);

    // new data arrives, and a unit test now fails: the new data must not reach the table
    await fx.exec('insert into shop.orders values (2, 1, 7.0)');
    fx.write('models/props.yml', `${SOURCES}${UNIT_TESTS}${FAILING}`);
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(1);
    const res = fx.results();
    expect(res.get('totals_are_wrong')!.status).toBe('fail');
    expect(res.get('orders')!.status).toBe('skipped');
    expect(res.get('orders')!.message).toMatch(/skipped because totals_are_wrong failed/);
    expect(res.get('report')!.status).toBe('skipped');
    expect(await fx.query('select id, amount from main.orders')).toEqual([{ id: 1, amount: 2 }]);
  });
});

describe('fixtures that do not fit the model: exit 2 with file:line', () => {
  // [what, text replaced, replacement, the text on the line the error names, message]
  const cases: [string, string, string, string, RegExp][] = [
    [
      'a column the input does not have',
      '{id: 1, customer_id: 1, amount: 1.5}',
      '{id: 1, customer_idd: 1, amount: 1.5}',
      'customer_idd',
      /source\('shop', 'orders'\) in unit test `joins_customers`: column `customer_idd` is not a column of source\('shop', 'orders'\)[\s\S]*did you mean `customer_id`/,
    ],
    ['rows for something the model does not read', "input: ref('customers')", "input: ref('customer')", "input: ref('customer')", /unit test `joins_customers` gives rows for ref\('customer'\), which model `orders` does not read/],
    ['an input without given rows', "      - input: ref('customers')\n        format: csv\n        fixture: customers\n", '', '    given:', /unit test `joins_customers` gives no rows for ref\('customers'\), which model `orders` reads/],
    ['an expected column the model does not return', '{id: 2, amount: 20, customer: bob}', '{id: 2, amount: 20, customr: bob}', '    expect:', /unit test `joins_customers`: `expect` names column `customr`, which model `orders` does not return[\s\S]*did you mean `customer`/],
    ['a value that does not fit the declared type', '{id: 2, customer_id: 2, amount: 10}', '{id: 2, customer_id: two, amount: 10}', "- input: source('shop', 'orders')", /unit test `joins_customers`: the given rows for source\('shop', 'orders'\) do not load: Conversion Error/],
    ['a CSV row with too few fields', '        5,2,ann', '        5,2', '        5,2', /`expect` of unit test `incremental_only_new`: CSV row 1 has 2 fields, the header has 3/],
    ['a fixture file that does not exist', 'fixture: customers', 'fixture: nope', 'fixture: nope', /fixture `nope` of ref\('customers'\) in unit test `joins_customers` not found/],
    ['a model that does not exist', 'model: orders', 'model: order', 'model: order', /unit test `joins_customers` tests model `order`, which does not exist[\s\S]*did you mean `orders`/],
    ['an unknown key', 'overrides: {vars: {rate: 2}}', 'overide: {vars: {rate: 2}}', 'overide:', /unit test `joins_customers` has an unknown key `overide`[\s\S]*did you mean `overrides`/],
  ];
  it.each(cases)('%s', (_what, from, to, marker, message) => {
    const props = `${SOURCES}${UNIT_TESTS}`;
    expect(props).toContain(from);
    const fx = project(props.replace(from, to));
    const written = fx.read('models/props.yml').split('\n');
    const line = written.findIndex((l) => l.includes(marker)) + 1;
    expect(line).toBeGreaterThan(0);
    const r = fx.tx('test', '--select', 'test_type:unit');
    expect(r.output).toContain(`models/props.yml:${line}: `);
    expect(r.output).toMatch(message);
    expect(r.code, r.output).toBe(2);
  });
});

describe('a unit test whose inputs declare their columns', () => {
  const files = (slow: string) => ({
    'models/slow.sql': slow,
    'models/doubled.sql': "select x * 2 as x2 from {{ ref('slow') }}\n",
    'models/props.yml': `
models:
  - name: slow
    columns:
      - {name: x, data_type: bigint}
unit_tests:
  - name: doubles
    model: doubled
    given:
      - input: ref('slow')
        rows: [{x: 1}, {x: 4}]
    expect:
      rows: [{x2: 2}, {x2: 8}]
`,
  });
  const timing = (r: { timing?: { started_at: string; completed_at: string }[] } | undefined) => r!.timing![0]!;

  it('is worked out while its input builds (it reads nothing of the warehouse), and is reported after it, as in dbt', () => {
    // a second or more of work in DuckDB
    const fx = new Fixture(files("{{ config(materialized='table') }}\nselect count(distinct hash(range * 7919))::bigint as x from range(40000000)\n"));
    fixtures.push(fx);
    const r = fx.tx('build', '--threads', '1');
    expect(r.code, r.output).toBe(0);
    const res = fx.results();
    const unit = timing(res.get('doubles') as never);
    const slow = timing(res.get('slow') as never);
    // finished before the only thread was free of its input
    expect(Date.parse(unit.completed_at)).toBeLessThan(Date.parse(slow.completed_at));
    const lines = r.output.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/OK .*main\.slow/)).toBeGreaterThanOrEqual(0);
    expect(at(/OK .*main\.slow/)).toBeLessThan(at(/PASS doubles/));
    expect(at(/PASS doubles/)).toBeLessThan(at(/OK .*main\.doubled/));
  });

  it('is skipped when its input fails, as in dbt, though it was worked out', () => {
    const fx = new Fixture(files("select x from no_such_relation\n"));
    fixtures.push(fx);
    const r = fx.tx('build');
    expect(r.code, r.output).toBe(1);
    const res = fx.results();
    expect(res.get('slow')!.status).toBe('error');
    expect(res.get('doubles')!.status).toBe('skipped');
    expect(res.get('doubled')!.status).toBe('skipped');
  });
});
