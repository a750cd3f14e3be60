/**
 * manifestBytes (manifest.json serialized node by node, out of V8's heap, its nodes through one
 * reused block of 1 MB or, here too, of 64 bytes) gives exactly the bytes
 * of the manifest object serialized whole, on projects that exercise every section it streams
 * and everything that reads a streamed node back (semantic models' refs, group_map): the example
 * project, jaffle_shop with every dbt-only resource, and a project of escapes, sources, seeds,
 * snapshots, unit tests, generic and singular tests, analyses and disabled models. Secrets are
 * scrubbed per piece as the whole text would be, also a secret that is part of the placeholder's
 * text.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, writeFiles } from '../../testing/fixture-project.js';
import { JAFFLE, jaffleWithSemantics } from '../../testing/jaffle-semantic.js';
import { compileProject } from '../compile/compile-project.js';
import { loadProject } from '../load/load-project.js';
import { registerSecret, resetSecrets, scrub } from '../log/scrub.js';
import { artifactJson } from './artifact-json.js';
import { manifestBytes, manifestOf } from './dbt-manifest.js';

const dirs: string[] = [];
afterEach(() => resetSecrets());
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tx-manifest-bytes-'));
  dirs.push(d);
  return d;
};

/** The streamed bytes (taken first: nothing built yet) and the whole object's, of one compile. */
async function both(dir: string, clean?: (t: string) => string): Promise<{ streamed: string; whole: string }> {
  const c = await compileProject(loadProject(dir), { noCache: true });
  // no cleaner: each entry written in pieces; scrub without secrets too; with secrets, entries joined and cleaned
  const streamed = Buffer.concat(manifestBytes(c, clean)).toString('utf8');
  // a block of 64 bytes: flushed before nearly every entry, and most entries too long for it
  const tiny = Buffer.concat(manifestBytes(c, clean, 64)).toString('utf8');
  clean ??= (t) => t;
  const whole = clean(artifactJson(manifestOf(c)));
  expect(tiny).toBe(whole);
  // once the object exists it is used as it is
  expect(Buffer.concat(manifestBytes(c, clean)).toString('utf8')).toBe(whole);
  return { streamed, whole };
}

const MIXED: Record<string, string> = {
  'dbt_project.yml': "name: mixed\nversion: '1.0'\nanalysis-paths: [analyses]\nmodels:\n  mixed:\n    staging:\n      +group: core\n",
  'macros/m.sql': '{% macro twice(x) %}{{ x }} * 2{% endmacro %}',
  'seeds/s.csv': 'id,label\n1,one\n',
  'seeds/props.yml': 'version: 2\nseeds:\n  - name: s\n    description: a seed\n',
  'models/sources.yml':
    'version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: events\n        columns:\n          - name: id\n            tests: [unique]\n',
  'models/props.yml':
    'version: 2\ngroups:\n  - name: core\n    owner: {name: Core}\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null, unique]\n  - name: unused\n    config: {enabled: false}\nunit_tests:\n  - name: a_doubles\n    model: b\n    given:\n      - input: ref(\'a\')\n        rows: [{id: 1}]\n    expect:\n      rows: [{x: 2}]\n',
  // escapes JSON must write: quotes, backslashes, tabs, control characters, non-ASCII, a NUL, the placeholder's own words
  'models/a.sql': "{{ config(materialized='table') }}\nselect id, 'a \"quoted\" \\\\ back\tslash' as q, 'ünï€ode 😀' as u, '\\u0000tx-manifest-x:nodes' as lookalike, '\u0001' as c1 from {{ ref('s') }}",
  'models/b.sql': "select {{ twice('1') }} as x from {{ ref('a') }}\n-- \u0000 a NUL in a comment",
  'models/staging/e.sql': "{{ config(materialized='ephemeral') }}select 10 as x from {{ source('raw', 'events') }}",
  'models/unused.sql': 'select 1 as gone',
  'models/c.sql': "select * from {{ ref('e') }} -- the password is s3cr3t-value",
  'snapshots/snap.sql':
    "{% snapshot snap %}{{ config(unique_key='id', strategy='check', check_cols='all', target_schema='snaps') }}select * from {{ ref('a') }}{% endsnapshot %}",
  'tests/no_rows.sql': "select * from {{ ref('b') }} where x < 0",
  'analyses/look.sql': "select count(*) from {{ ref('c') }}",
};

describe('manifestBytes', () => {
  it('the example project: the same bytes as the whole object', async () => {
    const dir = tempDir();
    for (const f of ['project.yml', 'models', 'macros', 'seeds', 'tests', 'data']) cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
    const { streamed, whole } = await both(dir);
    expect(streamed.length).toBeGreaterThan(10_000);
    expect(streamed).toBe(whole);
  });

  it('jaffle_shop with groups, exposures, semantic models, metrics and saved queries: the same bytes', async () => {
    const dir = tempDir();
    cpSync(JAFFLE, dir, { recursive: true });
    jaffleWithSemantics(dir);
    const { streamed, whole } = await both(dir);
    const m = JSON.parse(streamed) as { semantic_models: Record<string, { node_relation: unknown }>; group_map: Record<string, string[]> };
    // what reads streamed nodes back found them: a semantic model's relation, a group's members
    expect(Object.values(m.semantic_models).length).toBeGreaterThan(0);
    for (const s of Object.values(m.semantic_models)) expect(s.node_relation).not.toBeNull();
    expect(Object.values(m.group_map).flat().length).toBeGreaterThan(0);
    expect(streamed).toBe(whole);
  });

  it('sources, seeds, snapshots, unit tests, tests, analyses, disabled models and escapes: the same bytes', async () => {
    const dir = tempDir();
    writeFiles(dir, MIXED);
    const { streamed, whole } = await both(dir);
    const m = JSON.parse(streamed) as Record<string, Record<string, unknown>>;
    expect(Object.keys(m.sources!)).toEqual(['source.mixed.raw.events']);
    expect(Object.keys(m.unit_tests!)).toEqual(['unit_test.mixed.b.a_doubles']);
    expect(Object.keys(m.nodes!)).toEqual(expect.arrayContaining(['model.mixed.a', 'snapshot.mixed.snap', 'analysis.mixed.look', 'seed.mixed.s']));
    expect(Object.keys(m.disabled!)).toEqual(['model.mixed.unused']);
    expect(m.group_map).toEqual({ core: ['model.mixed.e'] });
    expect(streamed).toBe(whole);
  });

  it('models sharing a config, and configs that differ only where dbtConfig looks: the same bytes', async () => {
    // a model's config is serialized once per distinct config: each node must still get its own
    const dir = tempDir();
    const files: Record<string, string> = {
      'dbt_project.yml': "name: cfg\nversion: '1.0'\nmodels:\n  cfg:\n    +materialized: table\n    hooked:\n      +post-hook: \"grant select on {{ this }} to s3cr3t-value\"\n    odd:\n      +meta: {ratio: .nan, big: 1e400}\n    odd2:\n      +meta: {ratio: null, big: null}\n",
      'models/props.yml': 'version: 2\nmodels:\n  - name: t2\n    config: {contract: {enforced: true}}\n    columns:\n      - name: x\n        data_type: int\n',
    };
    for (let i = 0; i < 30; i++) files[`models/same/m${i}.sql`] = `select ${i} as x`;
    Object.assign(files, {
      'models/t1.sql': "{{ config(tags=['b', 'a']) }}select 1 as x",
      'models/t2.sql': "{{ config(tags=['a', 'b']) }}select 1 as x",
      'models/t3.sql': "{{ config(tags='a', pre_hook=['select 1', 'select 2']) }}select 1 as x",
      'models/t4.sql': "{{ config(tags=['a'], pre_hook='select 1') }}select 1 as x",
      'models/t5.sql': "{{ config(materialized='view', docs={'show': false}) }}select 1 as x",
      'models/hooked/h1.sql': 'select 1 as x',
      'models/hooked/h2.sql': 'select 2 as x',
      'models/odd/o1.sql': 'select 1 as x',
      'models/odd2/o2.sql': 'select 1 as x',
    });
    writeFiles(dir, files);
    registerSecret('s3cr3t-value', 'test');
    const { streamed, whole } = await both(dir, scrub);
    const m = JSON.parse(streamed) as { nodes: Record<string, { config: Record<string, unknown> }> };
    expect(m.nodes['model.cfg.t1']!.config.tags).toEqual(['b', 'a']);
    expect(m.nodes['model.cfg.t2']!.config.tags).toEqual(['a', 'b']);
    expect(m.nodes['model.cfg.t2']!.config.contract).toEqual({ enforced: true, alias_types: true });
    expect(m.nodes['model.cfg.t3']!.config['pre-hook']).toHaveLength(2);
    expect(m.nodes['model.cfg.t5']!.config.materialized).toBe('view');
    expect(m.nodes['model.cfg.m7']!.config.materialized).toBe('table');
    expect(streamed).not.toContain('s3cr3t-value');
    expect(streamed).toBe(whole);
  });

  it('secrets are scrubbed as in the whole text, also one that is a word of the placeholder', async () => {
    registerSecret('s3cr3t-value', 'test');
    registerSecret('manifest', 'test');
    const dir = tempDir();
    writeFiles(dir, MIXED);
    const { streamed, whole } = await both(dir, scrub);
    expect(streamed).not.toContain('s3cr3t-value');
    expect(streamed).toContain('the password is *****');
    expect(streamed).toBe(whole);
    JSON.parse(streamed);
  });

  it('scrub with no secret registered (entries written in pieces) and a cleaner of its own (entries joined): the same bytes', async () => {
    const dir = tempDir();
    writeFiles(dir, MIXED);
    const plain = await both(dir, scrub);
    expect(plain.streamed).toContain('the password is s3cr3t-value');
    expect(plain.streamed).toBe(plain.whole);
    const upper = (t: string) => t.replace(/password/g, 'PASSWORD');
    const { streamed, whole } = await both(dir, upper);
    expect(streamed).toContain('the PASSWORD is');
    expect(streamed).toBe(whole);
  });
});
