/**
 * Selection: every selector form, union and intersection, --exclude, bad selectors, and
 * `tx ls` (text and --output json) through the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledProject } from '../compile/compile-project.js';
import { TxError } from '../errors.js';
import { compileFixture, dedent, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';
import { NodeSelector, parseCriteria, selectNodes, specFromCli, withAttachedTests, type Criteria, type IndirectSelection } from './selector.js';
import { stateMethods } from './state.js';
import { thrown } from '../../testing/thrown.js';

//   countries (seed) ─┐
//   raw.events ───────┼─▶ stg_a ─┐
//                     │          ├─▶ fct ─▶ rpt ─▶ not_null_rpt_id (test)
//                     └─ stg_b ──┤
//                                └─▶ other
const FILES = {
  'project.yml': dedent(`
    name: sel
    models:
      sel:
        staging:
          +tags: [staging]
        marts:
          +materialized: table
  `),
  'seeds/countries.csv': 'code,name\nUS,United States\n',
  'models/sources.yml': dedent(`
    version: 2
    sources:
      - name: raw
        tables:
          - name: events
          - name: clicks
            path: data/clicks.csv
  `),
  'data/clicks.csv': 'id\n1\n',
  'models/staging/stg_a.sql': "select e.* from {{ source('raw', 'events') }} e join {{ ref('countries') }} c on e.code = c.code",
  'models/staging/stg_b.sql': 'select 1 as id',
  'models/marts/fct.sql': "{{ config(tags=['finance'], meta={'owner': {'team': 'fin'}}) }}select * from {{ ref('stg_a') }} join {{ ref('stg_b') }} using (id)",
  'models/marts/rpt.sql': "{{ config(materialized='view') }}select * from {{ ref('fct') }}",
  'models/marts/other.sql': "select * from {{ ref('stg_b') }}",
  'models/marts/props.yml': 'version: 2\nmodels:\n  - name: rpt\n    columns:\n      - name: id\n        tests: [not_null]\n',
};

let c: CompiledProject;
beforeAll(async () => {
  c = await compileFixture(FILES);
});

/** Names of the selected nodes, sorted; tests appear as `test:<name>`, sources as `raw.<name>`. */
function sel(select?: string[], exclude?: string[]): string[] {
  const ids = selectNodes(c.nodes, c.dag, c.project.name, select, exclude);
  return [...ids]
    .map((id) => {
      const n = c.nodes.get(id)!;
      return n.resourceType === 'test' ? 'test' : n.resourceType === 'source' ? `raw.${n.name}` : n.name;
    })
    .sort();
}

function selError(select: string[]): TxError {
  try {
    sel(select);
  } catch (e) {
    if (e instanceof TxError) return e;
    throw e;
  }
  throw new Error(`expected selector ${select.join(' ')} to be rejected`);
}

describe('selector forms', () => {
  it('a name selects one node; no selection selects everything', () => {
    expect(sel(['fct'])).toEqual(['fct']);
    expect(sel()).toEqual(['countries', 'fct', 'other', 'raw.clicks', 'raw.events', 'rpt', 'stg_a', 'stg_b', 'test']);
  });

  it('+model selects it and all its ancestors', () => {
    expect(sel(['+fct'])).toEqual(['countries', 'fct', 'raw.events', 'stg_a', 'stg_b']);
  });

  it('model+ selects it and all its descendants', () => {
    expect(sel(['stg_b+'])).toEqual(['fct', 'other', 'rpt', 'stg_b', 'test']);
  });

  it('N+model and model+N limit the depth', () => {
    expect(sel(['1+rpt'])).toEqual(['fct', 'rpt']);
    expect(sel(['2+rpt'])).toEqual(['fct', 'rpt', 'stg_a', 'stg_b']);
    expect(sel(['stg_a+1'])).toEqual(['fct', 'stg_a']);
  });

  it('@ does not combine with +', () => {
    for (const bad of ['@+stg_b', '@stg_b+', '@2+stg_b']) expect(() => sel([bad])).toThrow(/`@` cannot be combined with `\+`/);
  });

  it('@model selects descendants and the ancestors of those descendants', () => {
    expect(sel(['@stg_b'])).toEqual(['countries', 'fct', 'other', 'raw.events', 'rpt', 'stg_a', 'stg_b', 'test']);
  });

  it('tag:', () => {
    expect(sel(['tag:staging'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['tag:finance'])).toEqual(['fct']);
    expect(sel(['tag:fin*'])).toEqual(['fct']);
  });

  it('path: a folder or one file', () => {
    expect(sel(['path:models/staging'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['path:models/marts/rpt.sql'])).toEqual(['rpt']);
    expect(sel(['path:seeds'])).toEqual(['countries']);
  });

  it('config.materialized:', () => {
    expect(sel(['config.materialized:table'])).toEqual(['fct', 'other']);
    expect(sel(['config.materialized:view'])).toEqual(['rpt', 'stg_a', 'stg_b']);
  });

  it('source: a whole source, one table, and its downstream', () => {
    expect(sel(['source:raw'])).toEqual(['raw.clicks', 'raw.events']);
    expect(sel(['source:raw.events'])).toEqual(['raw.events']);
    expect(sel(['source:raw.events+'])).toEqual(['fct', 'raw.events', 'rpt', 'stg_a', 'test']);
  });

  it('resource_type:', () => {
    expect(sel(['resource_type:seed'])).toEqual(['countries']);
    expect(sel(['resource_type:source'])).toEqual(['raw.clicks', 'raw.events']);
    expect(sel(['resource_type:test'])).toEqual(['test']);
    expect(sel(['resource_type:model'])).toEqual(['fct', 'other', 'rpt', 'stg_a', 'stg_b']);
  });

  it('* wildcards in names', () => {
    expect(sel(['stg_*'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['*_b'])).toEqual(['stg_b']);
    expect(sel(['s*l.marts.*'])).toEqual(['fct', 'other', 'rpt']);
  });

  it('a folder name selects the models inside it', () => {
    expect(sel(['marts'])).toEqual(['fct', 'other', 'rpt']);
  });

  it('union: a space inside one argument, or several arguments', () => {
    expect(sel(['stg_a rpt'])).toEqual(['rpt', 'stg_a']);
    expect(sel(['stg_a', 'rpt'])).toEqual(['rpt', 'stg_a']);
    expect(sel(['tag:finance +stg_a'])).toEqual(['countries', 'fct', 'raw.events', 'stg_a']);
  });

  it('intersection: a comma', () => {
    expect(sel(['tag:staging,stg_b+'])).toEqual(['stg_b']);
    expect(sel(['+rpt,config.materialized:table'])).toEqual(['fct']);
    expect(sel(['+rpt,resource_type:model,tag:staging'])).toEqual(['stg_a', 'stg_b']);
  });

  it('--exclude removes what it matches, after graph operators', () => {
    expect(sel(['marts'], ['rpt'])).toEqual(['fct', 'other']);
    expect(sel(['+rpt'], ['tag:staging', 'resource_type:source'])).toEqual(['countries', 'fct', 'rpt']);
    expect(sel(undefined, ['marts+'])).toEqual(['countries', 'raw.clicks', 'raw.events', 'stg_a', 'stg_b']);
  });

  it('a selector that matches nothing selects nothing', () => {
    expect(sel(['no_such_model'])).toEqual([]);
  });
});

describe('invalid selectors', () => {
  it('an unknown method suggests the closest', () => {
    const e = selError(['tags:finance']);
    expect(e.code).toBe('SELECTOR');
    expect(e.message).toContain('tags');
    expect(e.hint).toContain('`tag`');
    expect(e.exitCode).toBe(2);
  });

  it('a method with no value', () => {
    expect(selError(['tag:']).code).toBe('SELECTOR');
  });

  it('an unknown resource type suggests the closest', () => {
    const e = selError(['resource_type:modle']);
    expect(e.hint).toContain('`model`');
  });

  it('malformed graph operators', () => {
    expect(selError(['a+b+']).code).toBe('SELECTOR');
    expect(selError(['fct++']).code).toBe('SELECTOR');
  });

  it('config: with no key', () => {
    expect(selError(['config:table']).code).toBe('SELECTOR');
  });
});

// m ─▶ n; m has two generic tests and a singular one; n has a unit test
const TEST_FILES = {
  'project.yml': 'name: tt\n',
  'models/m.sql': "{{ config(materialized='table') }}select 1 as id",
  'models/n.sql': "select * from {{ ref('m') }}",
  'models/props.yml': dedent(`
    version: 2
    models:
      - name: m
        columns:
          - name: id
            tests: [not_null, unique]
    unit_tests:
      - name: m_is_one
        model: n
        given:
          - input: ref('m')
            rows:
              - {id: 1}
        expect:
          rows:
            - {id: 1}
  `),
  'tests/assert_m_positive.sql': "select * from {{ ref('m') }} where id < 0",
};

describe('selecting tests', () => {
  let t: CompiledProject;
  beforeAll(async () => {
    t = await compileFixture(TEST_FILES);
  });
  const names = (ids: Set<string>): string[] => [...ids].map((id) => t.nodes.get(id)!.name).sort();
  const pick = (select?: string[], exclude?: string[]): string[] => names(selectNodes(t.nodes, t.dag, t.project.name, select, exclude));
  const idOf = (name: string): string => [...t.nodes.values()].find((n) => n.name === name)!.uniqueId;

  it('resource_type:test is the data tests, resource_type:unit_test the unit tests', () => {
    expect(pick(['resource_type:test'])).toEqual(['assert_m_positive', 'not_null_m_id', 'unique_m_id']);
    expect(pick(['resource_type:unit_test'])).toEqual(['m_is_one']);
    expect(pick(['resource_type:model'])).toEqual(['m', 'n']);
  });

  it('test_type: generic, singular, unit, data', () => {
    expect(pick(['test_type:generic'])).toEqual(['not_null_m_id', 'unique_m_id']);
    expect(pick(['test_type:singular'])).toEqual(['assert_m_positive']);
    expect(pick(['test_type:unit'])).toEqual(['m_is_one']);
    expect(pick(['test_type:data'])).toEqual(['assert_m_positive', 'not_null_m_id', 'unique_m_id']);
    const e = (() => {
      try {
        pick(['test_type:generik']);
      } catch (err) {
        return err as TxError;
      }
      throw new Error('test_type:generik was accepted');
    })();
    expect(e.code).toBe('SELECTOR');
    expect(e.message).toBe('unknown test_type `generik`');
    expect(e.hint).toContain('`generic`');
  });

  it('test_name: the generic test\'s name, else the test\'s own', () => {
    expect(pick(['test_name:not_null'])).toEqual(['not_null_m_id']);
    expect(pick(['test_name:assert_*'])).toEqual(['assert_m_positive']);
    expect(pick(['test_name:m'])).toEqual([]);
  });

  it('package: the project itself', () => {
    expect(pick(['package:tt'])).toEqual(pick());
    expect(pick(['package:other'])).toEqual([]);
  });

  it('withAttachedTests adds the tests on selected nodes (not those excluded, not those of other nodes)', () => {
    const m = new Set([idOf('m')]);
    expect(names(withAttachedTests(m, t.nodes))).toEqual(['assert_m_positive', 'm', 'not_null_m_id', 'unique_m_id']);
    expect(names(withAttachedTests(m, t.nodes, new Set([idOf('unique_m_id')])))).toEqual(['assert_m_positive', 'm', 'not_null_m_id']);
    expect(names(withAttachedTests(new Set([idOf('n')]), t.nodes))).toEqual(['m_is_one', 'n']);
    // a selected test attaches nothing more
    expect(names(withAttachedTests(new Set([idOf('not_null_m_id')]), t.nodes))).toEqual(['not_null_m_id']);
  });
});

describe.concurrent('tx ls (built CLI)', () => {
  let fx: FixtureProject;
  beforeAll(() => {
    fx = fixtureProject(FILES);
  });
  afterAll(() => fx.cleanup());

  it('prints the selection as text, one fqn a line, in DAG order', async () => {
    const r = await fx.tx('ls', '--select', '+rpt', '--exclude', 'resource_type:source');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // as dbt ls: a selected model brings its tests (eager indirect selection), exactly what `tx build` would run
    expect([...lines].sort()).toEqual(['sel.countries', 'sel.marts.fct', 'sel.marts.not_null_rpt_id', 'sel.marts.rpt', 'sel.staging.stg_a', 'sel.staging.stg_b']);
    expect(lines.indexOf('sel.marts.fct')).toBeGreaterThan(lines.indexOf('sel.staging.stg_a'));
    expect(lines.indexOf('sel.marts.rpt')).toBeGreaterThan(lines.indexOf('sel.marts.fct'));
    expect(fx.exists('sel.duckdb')).toBe(false);
  });

  it('--output json: one JSON object a line with type, config and depends_on', async () => {
    const r = await fx.tx('ls', '--select', 'tag:finance', 'source:raw.events', '--output', 'json');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => x.unique_id).sort()).toEqual(['model.sel.fct', 'source.sel.raw.events']);
    const fct = rows.find((x) => x.name === 'fct')!;
    expect(fct).toMatchObject({
      resource_type: 'model',
      path: 'models/marts/fct.sql',
      tags: ['finance'],
      config: { materialized: 'table' },
      relation_name: '"main"."fct"',
    });
    expect((fct.depends_on as string[]).sort()).toEqual(['model.sel.stg_a', 'model.sel.stg_b']);
  });

  it('an invalid selector exits 2 with the error on stderr', async () => {
    const r = await fx.tx('ls', '--select', 'tags:finance');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown selector method `tags`/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('parsing selectors (exact)', () => {
  const crit = (over: Partial<Criteria>): Criteria => ({
    kind: 'criteria',
    raw: '',
    method: 'fqn',
    value: '',
    parents: false,
    parentsDepth: undefined,
    children: false,
    childrenDepth: undefined,
    childrensParents: false,
    indirect: undefined,
    ...over,
  });

  it('every graph operator, with and without depths and methods', () => {
    expect(parseCriteria('fct')).toEqual(crit({ raw: 'fct', value: 'fct' }));
    expect(parseCriteria('+fct')).toEqual(crit({ raw: '+fct', value: 'fct', parents: true }));
    expect(parseCriteria('fct+')).toEqual(crit({ raw: 'fct+', value: 'fct', children: true }));
    expect(parseCriteria('12+tag:x+3', 'cautious')).toEqual(
      crit({ raw: '12+tag:x+3', method: 'tag', value: 'x', parents: true, parentsDepth: 12, children: true, childrenDepth: 3, indirect: 'cautious' }),
    );
    expect(parseCriteria('config.materialized:table+')).toEqual(crit({ raw: 'config.materialized:table+', method: 'config.materialized', value: 'table', children: true }));
    expect(parseCriteria('@source:raw.events')).toEqual(crit({ raw: '@source:raw.events', method: 'source', value: 'raw.events', childrensParents: true }));
    // a colon at the start is no method
    expect(parseCriteria(':x')).toEqual(crit({ raw: ':x', value: ':x' }));
    // a value that contains the method's name
    expect(parseCriteria('2+tag:tag')).toMatchObject({ method: 'tag', value: 'tag', parents: true, parentsDepth: 2 });
  });

  it('malformed operators: the selector and the forms', () => {
    const forms = 'forms: name, +name, name+, 2+name, name+1, @name, tag:x, path:models/x, config.materialized:table, state:modified, result:error';
    for (const bad of ['a+b+', 'fct++', '+', '', '@', 'a@b', '+@a']) {
      let e: TxError | undefined;
      try {
        parseCriteria(bad);
      } catch (err) {
        e = err as TxError;
      }
      expect([e?.code, e?.message, e?.hint]).toEqual(['SELECTOR', `invalid selector \`${bad}\``, forms]);
    }
    for (const bad of ['@+a', '@a+', '@2+a', '@a+1']) {
      let e: TxError | undefined;
      try {
        parseCriteria(bad);
      } catch (err) {
        e = err as TxError;
      }
      expect([e?.code, e?.message, e?.hint]).toEqual(['SELECTOR', `invalid selector \`${bad}\`: \`@\` cannot be combined with \`+\``, forms]);
    }
  });

  it('--select and --exclude: words are a union, commas an intersection, exclude a difference', () => {
    const i = (raw: string, parts: string[], expectExists = true, indirect?: IndirectSelection) => ({ kind: 'intersection', raw, expectExists, indirect, parts: parts.map((p) => parseCriteria(p, indirect)) });
    expect(specFromCli(['a b,c', ' d  '], undefined)).toEqual({ kind: 'union', raw: 'a b,c  d  ', indirect: undefined, parts: [i('a', ['a']), i('b,c', ['b', 'c']), i('d', ['d'])] });
    expect(specFromCli(undefined, undefined, 'buildable')).toEqual({
      kind: 'union',
      raw: 'fqn:* source:*',
      indirect: 'buildable',
      parts: [i('fqn:*', ['fqn:*'], false, 'buildable'), i('source:*', ['source:*'], false, 'buildable')],
    });
    expect(specFromCli([], ['x,'], 'empty')).toEqual({
      kind: 'difference',
      raw: '',
      indirect: 'empty',
      parts: [
        { kind: 'union', raw: 'fqn:* source:*', indirect: 'empty', parts: [i('fqn:*', ['fqn:*'], false, 'empty'), i('source:*', ['source:*'], false, 'empty')] },
        { kind: 'union', raw: 'x,', indirect: 'empty', parts: [i('x,', ['x'], true, 'empty')] },
      ],
    });
    expect(specFromCli(['a'], [])).toMatchObject({ kind: 'union', raw: 'a' });
    let e: TxError | undefined;
    try {
      specFromCli([','], undefined);
    } catch (err) {
      e = err as TxError;
    }
    expect([e?.code, e?.message]).toEqual(['SELECTOR', 'invalid selector `,`']);
  });
});

describe('selector methods (exact)', () => {
  it('errors: unknown method, no value, config without key, unknown resource type', () => {
    const methods = 'tag, path, config, source, resource_type, test_type, fqn, file, package, test_name, exposure, metric, semantic_model, saved_query, group, state, result, source_status';
    let e = selError(['tags:finance']);
    expect([e.message, e.hint]).toEqual(['unknown selector method `tags` in `tags:finance`', 'did you mean `tag`?']);
    e = selError(['zzzzzzzz:finance']);
    expect([e.message, e.hint]).toEqual(['unknown selector method `zzzzzzzz` in `zzzzzzzz:finance`', `methods: ${methods}`]);
    e = selError(['+tag:']);
    expect([e.code, e.message]).toEqual(['SELECTOR', 'selector `+tag:` has no value after `tag:`']);
    e = selError(['config:table']);
    expect([e.code, e.message]).toEqual(['SELECTOR', '`config:` needs a key, e.g. config.materialized:table']);
    e = selError(['resource_type:modle']);
    expect([e.code, e.message, e.hint]).toEqual(['SELECTOR', 'unknown resource_type `modle`', 'did you mean `model`?']);
    // a method's sub-key does not change which method it is
    expect(sel(['tag.x:staging'])).toEqual(['stg_a', 'stg_b']);
  });

  it('globs: `*` and `?`; other characters are literal', () => {
    expect(sel(['stg_?'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['stg?a'])).toEqual(['stg_a']);
    expect(sel(['stg.a'])).toEqual([]);
    expect(sel(['st(g)_a'])).toEqual([]);
    expect(sel(['tag:staging|finance'])).toEqual([]);
    expect(sel(['tag:stag'])).toEqual([]);
    expect(sel(['tag:taging'])).toEqual([]);
  });

  it('fqn: the name, the dotted fqn, a dotted prefix, a folder (not tests); sources as source.table', () => {
    expect(sel(['sel.marts.fct'])).toEqual(['fct']);
    expect(sel(['fqn:sel.marts'])).toEqual(['fct', 'other', 'rpt']);
    expect(sel(['marts.stg_a'])).toEqual([]);
    expect(sel(['staging'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['raw.events'])).toEqual(['raw.events']);
    expect(sel(['sel'])).toEqual([]);
    expect(sel(['marts*'])).toEqual([]);
    expect(sel(['sel.mart'])).toEqual([]);
  });

  it('path: and file:', () => {
    expect(sel(['path:models/staging/'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['path:models/stag'])).toEqual([]);
    expect(sel(['path:models/*/rpt.sql'])).toEqual(['rpt']);
    expect(sel(['file:rpt.sql'])).toEqual(['rpt']);
    expect(sel(['path:rpt.sql'])).toEqual([]);
    expect(sel(['file:models/marts/rpt.sql'])).toEqual(['rpt']);
  });

  it('config: lists match on any element, missing keys never', () => {
    expect(sel(['config.tags:finance'])).toEqual(['fct']);
    expect(sel(['config.tags:staging'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['config.no_such_key:*'])).toEqual([]);
    expect(sel(['config.materialized.x:*'])).toEqual([]);
  });

  it('source: source and table globs', () => {
    expect(sel(['source:r*'])).toEqual(['raw.clicks', 'raw.events']);
    expect(sel(['source:raw.c*'])).toEqual(['raw.clicks']);
    expect(sel(['source:ra'])).toEqual([]);
    expect(sel(['source:raw.event'])).toEqual([]);
    expect(sel(['source:fct'])).toEqual([]);
  });

  it('a criterion that matches nothing is reported with near names', () => {
    const missed: [string, string | undefined][] = [];
    const ctx = { onNoMatch: (raw: string, hint: string | undefined) => missed.push([raw, hint]) };
    selectNodes(c.nodes, c.dag, c.project.name, ['stg_c', 'tag:nothing', 'fct'], ['zzzzzzzz'], ctx);
    expect(missed).toEqual([
      ['stg_c', 'did you mean `stg_a`, `stg_b`?'],
      ['tag:nothing', undefined],
      ['zzzzzzzz', undefined],
    ]);
    missed.length = 0;
    selectNodes(c.nodes, c.dag, c.project.name, undefined, undefined, ctx);
    expect(missed).toEqual([]);
  });
});

describe('indirect selection: eager, cautious, buildable, empty', () => {
  // m ─▶ n; a relationships test reads both n and m; not_null reads m only
  let r: CompiledProject;
  beforeAll(async () => {
    r = await compileFixture({
      'project.yml': 'name: ind\n',
      'models/m.sql': 'select 1 as id',
      'models/n.sql': "select * from {{ ref('m') }}",
      'models/o.sql': 'select 2 as id',
      'models/props.yml': dedent(`
        version: 2
        models:
          - name: m
            columns:
              - name: id
                tests: [not_null]
          - name: n
            columns:
              - name: id
                tests:
                  - relationships:
                      to: ref('m')
                      field: id
          - name: o
            columns:
              - name: id
                tests:
                  - relationships:
                      to: ref('m')
                      field: id
          - name: p
            columns:
              - name: id
                tests:
                  - relationships:
                      to: source('raw', 't')
                      field: id
        sources:
          - name: raw
            tables:
              - name: t
      `),
      'models/p.sql': 'select 3 as id',
    });
  });
  const pick = (select: string[], mode: IndirectSelection, exclude?: string[]): string[] =>
    [...new NodeSelector(r.nodes, r.dag, r.project.name).select(specFromCli(select, exclude, mode))].map((id) => r.nodes.get(id)!.name.replace(/_[0-9a-f]{6,}$/, '')).sort();

  it('eager: every test on a selected node', () => {
    expect(pick(['m'], 'eager')).toEqual(['m', 'not_null_m_id', 'relationships_n_id__id__ref_m_', 'relationships_o_id__id__ref_m_']);
  });

  it('cautious: only tests all of whose parents are selected', () => {
    expect(pick(['m'], 'cautious')).toEqual(['m', 'not_null_m_id']);
    expect(pick(['m', 'n'], 'cautious')).toEqual(['m', 'n', 'not_null_m_id', 'relationships_n_id__id__ref_m_']);
    expect(pick(['n'], 'cautious')).toEqual(['n']);
  });

  it('buildable: also tests whose other parents are upstream of the selection', () => {
    expect(pick(['n'], 'buildable')).toEqual(['n', 'relationships_n_id__id__ref_m_']);
    expect(pick(['o'], 'buildable')).toEqual(['o']);
    expect(pick(['m'], 'buildable')).toEqual(['m', 'not_null_m_id']);
  });

  it("buildable (as dbt): a test's parents may also be any source, upstream or not", () => {
    expect(pick(['p'], 'buildable')).toEqual(['p', 'relationships_p_id__id__source_raw_t_']);
    expect(pick(['p'], 'cautious')).toEqual(['p']);
  });

  it('withAttachedTests: a test with several parents comes with any one of them', () => {
    const names = (ids: Set<string>) => [...ids].map((id) => r.nodes.get(id)!.name.replace(/_[0-9a-f]{6,}$/, '')).sort();
    const n = [...r.nodes.values()].find((x) => x.name === 'n')!.uniqueId;
    expect(names(withAttachedTests(new Set([n]), r.nodes))).toEqual(['n', 'relationships_n_id__id__ref_m_']);
  });

  it('empty: no tests at all', () => {
    expect(pick(['m', 'n'], 'empty')).toEqual(['m', 'n']);
  });

  it('exclude removes tests the selection brought', () => {
    expect(pick(['m'], 'eager', ['resource_type:test'])).toEqual(['m']);
    expect(pick(['m', 'n'], 'cautious', ['o'])).toEqual(['m', 'n', 'not_null_m_id', 'relationships_n_id__id__ref_m_']);
  });
});

describe('selector details (exact)', () => {
  const err = (f: () => unknown): TxError => thrown(f, TxError);

  it('resource_type: knows every dbt resource type, also those the project has none of', () => {
    for (const t of ['snapshot', 'analysis', 'exposure', 'metric', 'semantic_model', 'saved_query']) expect(sel([`resource_type:${t}`])).toEqual([]);
  });

  it('config: a nested key, dotted', () => {
    expect(sel(['config.meta.owner.team:fin'])).toEqual(['fct']);
    expect(sel(['config.meta.owner.team:other'])).toEqual([]);
  });

  it('source: matches sources only, never a model in a folder of that name', () => {
    expect(sel(['source:marts'])).toEqual([]);
    expect(sel(['source:*.fct'])).toEqual([]);
  });

  it('path: any number of trailing slashes', () => {
    expect(sel(['path:models/staging//'])).toEqual(['stg_a', 'stg_b']);
    expect(sel(['path:models/marts/rpt.sql/'])).toEqual(['rpt']);
  });

  it('test_type: a near miss suggests the type', () => {
    expect(err(() => sel(['test_type:singulr'])).hint).toBe('did you mean `singular`?');
    expect(err(() => sel(['test_type:unti'])).hint).toBe('did you mean `unit`?');
  });

  it('exposure:, metric:, ...: a value with more than two parts', () => {
    const e = selError(['metric:a.b.c']);
    expect([e.code, e.message, e.hint]).toEqual(['SELECTOR', 'invalid metric selector value `a.b.c` in `metric:a.b.c`', 'write metric:NAME or metric:PACKAGE.NAME']);
  });

  it('source_status: needs the sources.json of an earlier run', () => {
    const e = err(() => selectNodes(c.nodes, c.dag, c.project.name, ['source_status:fresher'], undefined, { stateMethods: stateMethods(undefined) }));
    expect([e.code, e.message]).toEqual(['USAGE', '`source_status:fresher` compares with an earlier sources.json, but no --state was given']);
  });

  it('state:, result:, source_status: without the --state methods (the docs site): a usage error, nothing selected', () => {
    for (const s of ['state:modified', 'state:modified.body', 'result:error', 'source_status:fresher']) {
      const e = selError([s]);
      expect([e.code, e.message]).toEqual(['USAGE', `\`${s}\` compares with an earlier run, but this selection has no --state artifacts`]);
    }
  });

  it('a depth before `+` is parents only; a depth after it is children', () => {
    expect(parseCriteria('2+a')).toMatchObject({ parents: true, parentsDepth: 2, children: false, childrenDepth: undefined });
    expect(parseCriteria('a+12')).toMatchObject({ parents: false, children: true, childrenDepth: 12 });
    expect(sel(['1+stg_a'])).toEqual(['countries', 'raw.events', 'stg_a']);
  });

  it('near names: for one criterion only, never a test, and none for semantic methods without semantic nodes', () => {
    const missed: [string, string | undefined][] = [];
    const ctx = { onNoMatch: (raw: string, hint: string | undefined) => missed.push([raw, hint]) };
    selectNodes(c.nodes, c.dag, c.project.name, ['stg_c,tag:staging', 'not_null_rpt_i', 'exposure:nothing'], undefined, ctx);
    expect(missed).toEqual([
      ['stg_c,tag:staging', undefined],
      ['not_null_rpt_i', undefined],
      ['exposure:nothing', undefined],
    ]);
  });
});
