/**
 * The one selection of every command: indirect selection of tests (eager, cautious, buildable,
 * empty — dbt-core graph/selector.py's rules), --resource-type/--exclude-resource-type, selectors.yml,
 * criteria that match nothing, and the state: methods against an earlier manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestOf } from '../artifacts/dbt-manifest.js';
import { compileProject, type CompiledProject } from '../compile/compile-project.js';
import { TxError } from '../errors.js';
import { loadProject } from '../load/load-project.js';
import { dedent, fixtureProject, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import { selectFor, type SelectionOptions } from './selection.js';
import type { ManifestJson, SelectState } from './state.js';

//   s (seed) ─▶ a ─▶ c ◀─ x        y
//   a: not_null_a_id;  c: relationships to x (parents c, x), relationships to y (parents c, y)
//   orders ─▶ orders_unit (unit test)
const FILES: Files = {
  'project.yml': 'name: pick\n',
  'seeds/s.csv': 'id\n1\n',
  'models/a.sql': "select id from {{ ref('s') }}",
  'models/x.sql': 'select 1 as id',
  'models/y.sql': 'select 1 as id',
  'models/c.sql': "{{ config(tags=['nightly']) }}select a.id from {{ ref('a') }} a join {{ ref('x') }} using (id)",
  'models/orders.sql': 'select 1 as id',
  'models/props.yml': dedent(`
    version: 2
    models:
      - name: a
        columns:
          - name: id
            tests: [not_null]
      - name: c
        columns:
          - name: id
            tests:
              - relationships: {to: ref('x'), field: id}
              - relationships: {to: ref('y'), field: id}
    unit_tests:
      - name: orders_unit
        model: orders
        given: []
        expect:
          rows:
            - {id: 1}
  `),
  'selectors.yml': dedent(`
    selectors:
      - name: c_tree
        definition:
          union:
            - method: fqn
              value: c
              parents: true
            - exclude:
                - s
      - name: nightly_models
        definition:
          intersection:
            - method: selector
              value: c_tree
            - tag:nightly
      - name: cautious_c
        definition:
          method: fqn
          value: c
          indirect_selection: cautious
      - name: empty_one
        definition:
          union:
            - nosuch_model
            - a
  `),
};

let fx: FixtureProject;
let c: CompiledProject;
beforeAll(async () => {
  fx = fixtureProject(FILES);
  c = await compileProject(loadProject(fx.dir), { noCache: true });
});
afterAll(() => fx.cleanup());

const names = (ids: string[]): string[] => ids.map((id) => c.nodes.get(id)!.name).sort();
const pick = (command: string, o: SelectionOptions): string[] => names(selectFor(c, command, o).ids);
/** The relationships test from c to `to` (generic test names carry a hash). */
const rel = (to: string): string => [...c.nodes.values()].find((n) => n.test?.testName === 'relationships' && n.dependsOn.includes(`model.pick.${to}`))!.name;

describe('indirect selection (dbt graph/selector.py expand_selection)', () => {
  it('eager (the default): every test touching a selected node', () => {
    expect(pick('ls', { select: ['c'] })).toEqual(['c', rel('x'), rel('y')].sort());
  });
  it('cautious: only tests whose parents are all selected', () => {
    expect(pick('ls', { select: ['c'], indirectSelection: 'cautious' })).toEqual(['c']);
    // the relationships test's other parent arrives through a second criterion of the union
    expect(pick('ls', { select: ['c', 'x'], indirectSelection: 'cautious' })).toEqual(['c', rel('x'), 'x'].sort());
  });
  it('buildable: tests whose parents are selected or ancestors of the selection', () => {
    expect(pick('ls', { select: ['c'], indirectSelection: 'buildable' })).toEqual(['c', rel('x')].sort());
  });
  it('empty: no tests at all', () => {
    expect(pick('ls', { select: ['c'], indirectSelection: 'empty' })).toEqual(['c']);
    expect(pick('ls', { select: ['orders'], indirectSelection: 'empty' })).toEqual(['orders']);
    expect(pick('ls', { select: ['orders'] })).toEqual(['orders', 'orders_unit']);
  });
  it('an excluded node takes its tests with it (eager on both sides)', () => {
    expect(pick('ls', { select: ['c', 'x'], exclude: ['x'] })).toEqual(['c', rel('y')].sort());
  });
  it('an unknown mode is a usage error with a suggestion', () => {
    const e = (() => {
      try {
        selectFor(c, 'ls', { select: ['c'], indirectSelection: 'cautios' });
      } catch (x) {
        return x as TxError;
      }
    })();
    expect(e?.code).toBe('USAGE');
    expect(e?.hint).toMatch(/cautious/);
  });
});

describe('one selection for every command', () => {
  it('ls lists what build runs (plus the sources, which build does not run)', () => {
    for (const select of [['c'], ['+c'], ['a+'], ['tag:nightly'], ['orders']]) {
      const build = pick('build', { select });
      const ls = pick('ls', { select }).filter((n) => c.nodes.get([...c.nodes.keys()].find((id) => c.nodes.get(id)!.name === n)!)!.resourceType !== 'source');
      expect(build).toEqual(ls);
    }
  });
  it('each command keeps the resource types it runs', () => {
    expect(pick('run', { select: ['+c'] })).toEqual(['a', 'c', 'x']);
    expect(pick('seed', { select: ['+c'] })).toEqual(['s']);
    expect(pick('test', { select: ['+c'] })).toEqual(['not_null_a_id', rel('x'), rel('y')].sort());
    expect(pick('build', { select: ['+c'] })).toEqual(['a', 'c', 'not_null_a_id', rel('x'), rel('y'), 's', 'x'].sort());
  });
  it('--resource-type and --exclude-resource-type', () => {
    expect(pick('ls', { select: ['+c'], resourceTypes: ['model'] })).toEqual(['a', 'c', 'x']);
    expect(pick('ls', { resourceTypes: ['unit_test'] })).toEqual(['orders_unit']);
    expect(pick('ls', { select: ['+c', 'orders'], excludeResourceTypes: ['test', 'unit_test'] })).toEqual(['a', 'c', 'orders', 's', 'x']);
    expect(pick('build', { select: ['+c'], resourceTypes: ['seed', 'model'] })).toEqual(['a', 'c', 's', 'x']);
    expect(() => selectFor(c, 'ls', { resourceTypes: ['modle'] })).toThrow(/unknown resource type `modle`/);
  });
  it('a criterion that matches nothing is reported with near names, the rest still selects', () => {
    const r = selectFor(c, 'build', { select: ['order', 'a', 'tag:nope'] });
    expect(names(r.ids)).toEqual(['a', 'not_null_a_id']);
    expect(r.noMatch.map((m) => m.criterion)).toEqual(['order', 'tag:nope']);
    expect(r.noMatch[0]!.hint).toMatch(/`orders`/);
    expect(selectFor(c, 'ls', { exclude: ['nosuch'] }).noMatch.map((m) => m.criterion)).toEqual(['nosuch']);
    expect(selectFor(c, 'ls', {}).noMatch).toEqual([]);
  });
});

describe('selectors.yml', () => {
  it('union with exclude, parents: true', () => {
    expect(pick('ls', { selector: 'c_tree', resourceTypes: ['model', 'seed'] })).toEqual(['a', 'c', 'x']);
  });
  it('method: selector inside an intersection', () => {
    expect(pick('ls', { selector: 'nightly_models' })).toEqual(['c', rel('x'), rel('y')].sort());
  });
  it('a definition sets its own indirect_selection', () => {
    expect(pick('ls', { selector: 'cautious_c' })).toEqual(['c']);
  });
  it('criteria of a definition that match nothing are reported', () => {
    const r = selectFor(c, 'ls', { selector: 'empty_one' });
    expect(names(r.ids)).toEqual(['a', 'not_null_a_id']);
    expect(r.noMatch.map((m) => m.criterion)).toEqual(['nosuch_model']);
  });
  it('an unknown selector suggests the closest; --selector with --select is refused', () => {
    expect(() => selectFor(c, 'ls', { selector: 'c_tre' })).toThrow(/no selector `c_tre`/);
    try {
      selectFor(c, 'ls', { selector: 'c_tre' });
    } catch (e) {
      expect((e as TxError).hint).toMatch(/c_tree/);
    }
    expect(() => selectFor(c, 'ls', { selector: 'c_tree', select: ['a'] })).toThrow(/cannot be combined/);
  });
});

describe('state: against an earlier manifest', () => {
  const V1: Files = {
    'project.yml': 'name: st\nvars:\n  tag_v: one\n  body_v: 1\n',
    'macros/fmt.sql': '{% macro fmt(c) %}upper({{ c }}){% endmacro %}\n{% macro wrap(c) %}{{ fmt(c) }}{% endmacro %}',
    'models/base.sql': "select 'a' as id",
    'models/m_body.sql': "select id from {{ ref('base') }}",
    'models/m_macro.sql': "select {{ wrap('id') }} as id from {{ ref('base') }}",
    'models/m_var_config.sql': "{{ config(tags=[var('tag_v')]) }}select id from {{ ref('base') }}",
    'models/m_var_body.sql': "select id, {{ var('body_v') }} as v from {{ ref('base') }}",
    'models/downstream.sql': "select * from {{ ref('m_body') }}",
    'models/props.yml': 'version: 2\nmodels:\n  - name: m_body\n    description: one\n    config:\n      persist_docs: {relation: true}\n',
  };
  let old: ManifestJson;
  let c2: CompiledProject;
  let st: SelectState;
  beforeAll(async () => {
    const f1 = fixtureProject(V1);
    old = JSON.parse(JSON.stringify(manifestOf(await compileProject(loadProject(f1.dir), { noCache: true })))) as ManifestJson;
    f1.cleanup();
    const f2 = fixtureProject({
      ...V1,
      'project.yml': 'name: st\nvars:\n  tag_v: two\n  body_v: 2\n',
      'macros/fmt.sql': '{% macro fmt(c) %}lower({{ c }}){% endmacro %}\n{% macro wrap(c) %}{{ fmt(c) }}{% endmacro %}',
      'models/m_body.sql': "select id, 1 as extra from {{ ref('base') }}",
      'models/added.sql': 'select 1 as n',
      'models/props.yml': 'version: 2\nmodels:\n  - name: m_body\n    description: two\n    config:\n      persist_docs: {relation: true}\n',
    });
    c2 = await compileProject(loadProject(f2.dir), { noCache: true });
    f2.cleanup();
    st = { dir: 'prod', manifest: old, current: () => manifestOf(c2) as unknown as ManifestJson };
  });
  const sel = (select: string[]) => selectFor(c2, 'run', { select, state: st }).ids.map((id) => c2.nodes.get(id)!.name).sort();

  it('state:modified: body, macro (through the macro that calls it) and a var in config; not a var in the body (as dbt)', () => {
    expect(sel(['state:modified'])).toEqual(['added', 'm_body', 'm_macro', 'm_var_config']);
    expect(sel(['state:modified+'])).toEqual(['added', 'downstream', 'm_body', 'm_macro', 'm_var_config']);
  });
  it('the sub-selectors each see their own change', () => {
    expect(sel(['state:modified.body'])).toEqual(['added', 'm_body']);
    expect(sel(['state:modified.macros'])).toEqual(['m_macro']);
    expect(sel(['state:modified.configs'])).toEqual(['added', 'm_var_config']);
    expect(sel(['state:modified.persisted_descriptions'])).toEqual(['added', 'm_body']);
    expect(sel(['state:modified.relation'])).toEqual(['added']);
    expect(sel(['state:modified.contract'])).toEqual(['added']);
  });
  it('state:new, state:old, state:unmodified', () => {
    expect(sel(['state:new'])).toEqual(['added']);
    expect(sel(['state:old'])).toEqual(['base', 'downstream', 'm_body', 'm_macro', 'm_var_body', 'm_var_config']);
    expect(sel(['state:unmodified'])).toEqual(['base', 'downstream', 'm_var_body']);
  });
  it('without a state, or with an unknown check: a clear error', () => {
    expect(() => selectFor(c2, 'run', { select: ['state:modified'] })).toThrow(/no --state was given/);
    expect(() => selectFor(c2, 'run', { select: ['state:modifed'], state: st })).toThrow(/unknown state selector/);
    expect(() => selectFor(c2, 'run', { select: ['result:error'], state: st })).toThrow(/holds none/);
  });
  it('result: reads the state run_results.json', () => {
    const id = (n: string) => [...c2.nodes.values()].find((x) => x.name === n)!.uniqueId;
    const withResults: SelectState = { ...st, runResults: { results: [{ unique_id: id('m_body'), status: 'error' }, { unique_id: id('downstream'), status: 'skipped' }, { unique_id: id('base'), status: 'success' }] } };
    const r = (s: string) => selectFor(c2, 'run', { select: [s], state: withResults }).ids.map((x) => c2.nodes.get(x)!.name).sort();
    expect(r('result:error')).toEqual(['m_body']);
    expect(r('result:skipped')).toEqual(['downstream']);
    expect(r('result:error+')).toEqual(['downstream', 'm_body']);
    expect(r('result:success')).toEqual(['base']);
    expect(() => r('result:errror')).toThrow(/unknown result status/);
  });
});

// a ─▶ b ─▶ exposure e1;  a ─▶ semantic model sm (measure m1) ─▶ metric met1 ─▶ saved query q1;  c alone
// b and met1 are in group g1
describe('exposures, metrics, semantic models, saved queries and groups (dbt-core graph/selector_methods.py)', () => {
  let fs: FixtureProject;
  let cs: CompiledProject;
  beforeAll(async () => {
    fs = fixtureProject({
      'dbt_project.yml': 'name: sem\nconfig-version: 2\nprofile: sem\n',
      'models/a.sql': 'select 1 as id',
      'models/b.sql': "select * from {{ ref('a') }}",
      'models/c.sql': 'select 2 as id',
      'models/props.yml': dedent(`
        version: 2
        groups:
          - name: g1
            owner: {name: team}
        models:
          - name: b
            config: {group: g1}
        exposures:
          - name: e1
            type: dashboard
            owner: {name: team}
            tags: [dash]
            depends_on: ["ref('b')"]
        semantic_models:
          - name: sm
            model: ref('a')
            entities: [{name: id, type: primary}]
            measures: [{name: m1, agg: sum, expr: id}]
        metrics:
          - name: met1
            label: Met 1
            type: simple
            type_params: {measure: m1}
            config: {group: g1}
        saved_queries:
          - name: q1
            query_params: {metrics: [met1]}
      `),
    });
    fs.remove('project.yml');
    cs = await compileProject(loadProject(fs.dir), { noCache: true });
  });
  afterAll(() => fs.cleanup());
  const both = (command: string, o: SelectionOptions) => {
    const r = selectFor(cs, command, o);
    return { ids: r.ids.map((id) => cs.nodes.get(id)!.name).sort(), resources: [...r.resources].sort() };
  };

  it('+exposure:x lists the exposure and its parents; build and run get only the models', () => {
    expect(both('ls', { select: ['+exposure:e1'] })).toEqual({ ids: ['a', 'b'], resources: ['exposure.sem.e1'] });
    expect(both('build', { select: ['+exposure:e1'] })).toEqual({ ids: ['a', 'b'], resources: [] });
    expect(both('run', { select: ['+exposure:sem.e1'] })).toEqual({ ids: ['a', 'b'], resources: [] });
    expect(both('build', { select: ['exposure:e1'] })).toEqual({ ids: [], resources: [] });
    expect(both('ls', { select: ['exposure:other.e1'] })).toEqual({ ids: [], resources: [] });
  });
  it('children and @ go through semantic models, metrics and saved queries', () => {
    expect(both('ls', { select: ['a+'] }).resources).toEqual(['exposure.sem.e1', 'metric.sem.met1', 'saved_query.sem.q1', 'semantic_model.sem.sm']);
    expect(both('ls', { select: ['metric:met1+'] })).toEqual({ ids: [], resources: ['metric.sem.met1', 'saved_query.sem.q1'] });
    expect(both('ls', { select: ['+saved_query:q1'] })).toEqual({ ids: ['a'], resources: ['metric.sem.met1', 'saved_query.sem.q1', 'semantic_model.sem.sm'] });
    expect(both('ls', { select: ['@semantic_model:sm'] })).toEqual({ ids: ['a'], resources: ['metric.sem.met1', 'saved_query.sem.q1', 'semantic_model.sem.sm'] });
    // @ includes the node's own parents (dbt's select_childrens_parents)
    expect(both('ls', { select: ['@b'] })).toEqual({ ids: ['a', 'b'], resources: ['exposure.sem.e1'] });
  });
  it('group: the nodes and metrics of a group; resource_type and --resource-type know the new types', () => {
    expect(both('ls', { select: ['group:g1'] })).toEqual({ ids: ['b'], resources: ['metric.sem.met1'] });
    expect(both('ls', { select: ['resource_type:semantic_model'] })).toEqual({ ids: [], resources: ['semantic_model.sem.sm'] });
    expect(both('ls', { resourceTypes: ['exposure', 'saved_query'] })).toEqual({ ids: [], resources: ['exposure.sem.e1', 'saved_query.sem.q1'] });
    expect(both('ls', { excludeResourceTypes: ['model', 'metric'] })).toEqual({ ids: [], resources: ['exposure.sem.e1', 'saved_query.sem.q1', 'semantic_model.sem.sm'] });
    // a plain name finds an exposure too (dbt's fqn method covers every non-source node)
    expect(both('ls', { select: ['e1'] })).toEqual({ ids: [], resources: ['exposure.sem.e1'] });
  });
  it('tag, path, file and package find them too; exposure: only exposures; other methods none of them', () => {
    const all = ['exposure.sem.e1', 'metric.sem.met1', 'saved_query.sem.q1', 'semantic_model.sem.sm'];
    expect(both('ls', { select: ['tag:dash'] })).toEqual({ ids: [], resources: ['exposure.sem.e1'] });
    expect(both('ls', { select: ['path:models/props.yml'] })).toEqual({ ids: [], resources: all });
    expect(both('ls', { select: ['file:props.yml'] })).toEqual({ ids: [], resources: all });
    expect(both('ls', { select: ['package:sem'] })).toEqual({ ids: ['a', 'b', 'c'], resources: all });
    expect(both('ls', { select: ['package:other'] })).toEqual({ ids: [], resources: [] });
    expect(both('ls', { select: ['exposure:met1'] })).toEqual({ ids: [], resources: [] });
    // group:* is what has a group: the grouped model and metric
    expect(both('ls', { select: ['group:*'] })).toEqual({ ids: ['b'], resources: ['metric.sem.met1'] });
    for (const s of ['source:*', 'test_name:*', 'test_type:data', 'config.enabled:*']) expect(both('ls', { select: [s] }).resources).toEqual([]);
  });
  it('bad values are errors; a name that matches nothing is reported with near names', () => {
    expect(() => selectFor(cs, 'ls', { select: ['metric:a.b.c'] })).toThrow(/invalid metric selector value `a\.b\.c`/);
    expect(() => selectFor(cs, 'ls', { select: ['resource_type:metrics'] })).toThrow(/unknown resource_type `metrics`/);
    expect(() => selectFor(cs, 'ls', { resourceTypes: ['exposures'] })).toThrow(/unknown resource type `exposures`/);
    expect(selectFor(cs, 'ls', { select: ['exposure:e2'] }).noMatch).toEqual([{ criterion: 'exposure:e2', hint: 'did you mean `e1`?' }]);
  });
});
