/**
 * Templates in dbt_project.yml, the root's and an installed package's, and `meta` in properties
 * files (issue 12), against dbt-core 1.10 + dbt-duckdb parsing a copy of the same project:
 *  - the root's dbt_project.yml renders with --vars only (the project's own vars are not visible
 *    there), a package's with no vars at all, both with env_var(); one `{{ expression }}` keeps its
 *    value's type (`{{ var('v', 7) }}` is 7), constant text stays text (`{{ 3 }}` is "3"), an env
 *    var is text ("0123") unless `as_number`/`as_bool` convert it, mixed text is text;
 *  - a package's `+enabled` template disables its folder; its `vars:` stay unrendered until a node
 *    of the package calls var() (with the package's own vars visible there);
 *  - a model's top-level `meta:` is merged into its config (both at once is dbt's error), `meta`
 *    is updated level by level (project, folder, properties, config()), a column's `config:`
 *    (meta, tags) merges over its own.
 * The manifests' fields are compared with dbt's (equal), and the package node's compiled SQL.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, runCli, writeFiles } from './fixture-project.js';
import { provisionDbtCore } from './services/dbt-venvs.js';
import { findPython, type Venv } from './services/python-venv.js';
import { serviceUnavailable } from './services/require.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv (TX_TEST_PYTHON) for dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-dbt-project-tpl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = {
  HOME: join(work, 'home'),
  DBT_PROFILES_DIR: undefined,
  DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
  DO_NOT_TRACK: '1',
  NO_COLOR: '1',
  NUM: '0123',
  NUM2: '45',
  FLAG: 'True',
  LST: '[1,2]',
};

const FILES: Record<string, string> = {
  'app/dbt_project.yml': dedent(`
    name: app
    version: "1.0"
    config-version: 2
    profile: app
    vars:
      pv: from_project
      app:
        pv2: 42
    models:
      app:
        +meta:
          const_int: "{{ 3 }}"
          mixed: "x{{ 3 }}"
          env: "{{ env_var('NUM') }}"
          var_default: "{{ var('v', 7) }}"
          const_str: "{{ '5' }}"
          project_var: "{{ var('pv', 'none') }}"
          scoped_var: "{{ var('pv2', 'none') }}"
          two_nodes: "{{ 1 }}{{ 2 }}"
          as_number: "{{ env_var('NUM2') | as_number }}"
          as_bool: "{{ env_var('FLAG') | as_bool }}"
          const_true_text: "{{ 'True' }}"
          trailing_space: "{{ env_var('NUM') }} "
          const_list: "{{ [1, 2] }}"
          const_float: "{{ 1.50 }}"
          const_none: "{{ none }}"
          env_list: "{{ env_var('LST') }}"
          var_list: "{{ var('lst', [1, 2]) }}"
          plain: 3
        sub:
          +meta: {sub: 1, level: sub}
          +post-hook: ["select '{{ this }}' as x"]
      pkg:
        +tags: [from_root]
  `),
  'app/packages.yml': 'packages:\n  - local: ../pkg\n',
  'app/models/m.sql': 'select 1 as id, 2 as b\n',
  'app/models/sub/n.sql': "{{ config(meta={'sqlcfg': 1, 'level': 'sql'}) }}\nselect 1 as id\n",
  'app/models/m.yml': dedent(`
    version: 2
    models:
      - name: m
        meta: {top: 1, plain: 4}
        columns:
          - name: id
            meta: {colmeta: 1, cb: top}
            tags: [ct]
            config:
              meta: {colcfg: 1, cb: cfg}
              tags: [cc]
          - name: b
            config:
              tags: [only_cfg]
      - name: n
        config:
          meta: {ymlcfg: 1, level: yml}
  `),
  'pkg/dbt_project.yml': dedent(`
    name: pkg
    version: "1.0"
    config-version: 2
    vars:
      pkg_on: "{{ env_var('PKG_ON', 'no') }}"
      pkg_num: 5
    models:
      pkg:
        +enabled: "{{ var('pkg_enabled', true) }}"
        +meta:
          pa: "{{ env_var('NUM') }}"
          pb: "{{ var('pv', 'unset') }}"
          pc: "{{ 3 }}"
          pd: "{{ var('pkg_on', 'unset') }}"
        offdir:
          +enabled: "{{ var('pkg_off_enabled', false) }}"
  `),
  'pkg/models/pm.sql': "select '{{ var(\"pkg_on\") }}' as v, {{ var('pkg_num') }} as n, '{{ var('pv', 'unset') }}' as pv\n",
  'pkg/models/offdir/poff.sql': 'select 1 as x\n',
};

const profile = (db: string) => `app:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`;

type Col = { meta: unknown; tags: unknown; config?: unknown };
type Node = { config: Record<string, unknown>; meta: unknown; tags: string[]; columns: Record<string, Col> };
type Manifest = { nodes: Record<string, Node>; disabled: Record<string, unknown> };
const picked = (dir: string) => {
  const m = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
  const nodes = Object.fromEntries(
    Object.entries(m.nodes)
      .filter(([k]) => k.startsWith('model.'))
      .map(([k, n]) => [
        k,
        {
          meta: n.config.meta,
          nodeMeta: n.meta,
          tags: [...((n.config.tags as string[]) ?? [])].sort(), // dbt's order comes from a Python set
          postHook: (n.config['post-hook'] as { sql: string }[] | undefined)?.map((h) => h.sql),
          columns: Object.fromEntries(Object.entries(n.columns).map(([c, v]) => [c, { meta: v.meta, tags: [...(v.tags as string[])].sort(), config: { ...(v.config as object), tags: [...((v.config as { tags: string[] }).tags ?? [])].sort() } }])),
        },
      ]),
  );
  return { nodes, disabled: Object.keys(m.disabled ?? {}).sort() };
};

function copyProject(name: string): string {
  const dir = join(work, name);
  writeFiles(dir, FILES);
  writeFileSync(join(dir, 'app', 'profiles.yml'), profile(join(dir, 'app', 'app.duckdb')));
  return join(dir, 'app');
}

describe.skipIf(noPython)('dbt_project.yml templates and properties meta: tx against dbt-core 1.10', () => {
  let venv: Venv;
  const dbt = (dir: string, ...args: string[]) => spawnSync(join(venv.dir, 'bin', 'dbt'), [...args, '--profiles-dir', dir], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  beforeAll(async () => {
    venv = await provisionDbtCore();
  }, 590_000);

  for (const vars of [undefined, '{pkg_enabled: false, pkg_off_enabled: true, pv: cli, v: 8}']) {
    it(`the manifests' meta, tags, hooks and disabled nodes are dbt's${vars ? ' with --vars' : ''}; the package node's SQL too`, async () => {
      const tag = vars ? 'vars' : 'plain';
      const dbtDir = copyProject(`dbt-${tag}`);
      const txDir = copyProject(`tx-${tag}`);
      const v = vars ? ['--vars', vars] : [];
      const dd = dbt(dbtDir, 'deps');
      expect(dd.status, dd.stdout + dd.stderr).toBe(0);
      const dc = dbt(dbtDir, 'compile', ...v);
      expect(dc.status, dc.stdout + dc.stderr).toBe(0);
      expect((await runCli(['deps'], { cwd: txDir, env })).code).toBe(0);
      const tc = await runCli(['compile', ...v], { cwd: txDir, env });
      expect(tc.code, tc.output).toBe(0);
      const tx = picked(txDir);
      const ref = picked(dbtDir);
      expect(tx).toEqual(ref);
      // what dbt gave, spelled out (so the test says what it checks)
      const meta = ref.nodes['model.app.m']!.meta as Record<string, unknown>;
      expect(meta).toMatchObject({ const_int: '3', mixed: 'x3', env: '0123', const_str: '5', two_nodes: '12', as_number: 45, as_bool: true, const_true_text: 'True', const_list: '[1, 2]', const_none: 'None', env_list: '[1,2]', var_list: [1, 2], top: 1, plain: 4 });
      expect(meta.var_default).toBe(vars ? 8 : 7);
      expect(meta.project_var).toBe(vars ? 'cli' : 'none');
      expect(ref.nodes['model.app.n']!.meta).toMatchObject({ sub: 1, ymlcfg: 1, sqlcfg: 1, level: 'sql' });
      // a package's dbt_project.yml sees no vars, --vars included
      expect(ref.nodes['model.pkg.pm']!.meta).toEqual({ pa: '0123', pb: 'unset', pc: '3', pd: 'unset' });
      expect(ref.disabled).toEqual(['model.pkg.poff']);
      const sql = (dir: string) => readFileSync(join(dir, 'target', 'compiled', 'pkg', 'models', 'pm.sql'), 'utf8').trim();
      expect(sql(txDir)).toBe(sql(dbtDir));
      expect(sql(dbtDir)).toBe(`select 'no' as v, 5 as n, '${vars ? 'cli' : 'from_project'}' as pv`);
    }, 300_000);
  }

  it('bad input: top-level meta beside config.meta, as_number of "0123": both fail naming the file, nothing built', async () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      [
        'both-meta',
        (dir) => writeFileSync(join(dir, 'models', 'm.yml'), 'version: 2\nmodels:\n  - name: m\n    meta: {a: 1}\n    config:\n      meta: {b: 2}\n'),
        /models\/m\.yml[\s\S]*found meta dictionary in 'config' dictionary and as top-level key/,
      ],
      [
        'as-number',
        (dir) => writeFileSync(join(dir, 'dbt_project.yml'), readFileSync(join(dir, 'dbt_project.yml'), 'utf8').replace("env_var('NUM2') | as_number", "env_var('NUM') | as_number")),
        /Could not convert value '0123' into type 'number'/,
      ],
    ];
    for (const [name, edit, re] of cases) {
      const dbtDir = copyProject(`dbt-${name}`);
      const txDir = copyProject(`tx-${name}`);
      edit(dbtDir);
      edit(txDir);
      // dbt renders dbt_project.yml in deps too: the as_number error may stop it there
      const dd = dbt(dbtDir, 'deps');
      const d = dd.status === 0 ? dbt(dbtDir, 'parse') : dd;
      expect(d.status, name).not.toBe(0);
      expect(d.stdout + d.stderr).toMatch(name === 'both-meta' ? /found meta dictionary in 'config' dictionary and as top-level key/ : re);
      expect((await runCli(['deps'], { cwd: txDir, env })).code).toBe(0);
      const t = await runCli(['build'], { cwd: txDir, env });
      expect(t.code, t.output).toBe(2);
      expect(t.output).toMatch(re);
      expect(t.output).not.toMatch(/OK created/);
    }
  }, 300_000);
});

describe.skipIf(noPython)('config keys tx does not know: kept in the node\'s config, as dbt keeps them', () => {
  it('dbt_project.yml blocks (+ folder levels) and a properties file\'s config: the same manifest config and config.get() as dbt compile', async () => {
    const proj = (dir: string) => {
      writeFiles(dir, {
        'dbt_project.yml': "name: c1\nversion: '1.0'\nconfig-version: 2\nprofile: c1\nmodels:\n  c1:\n    +my_custom_key: top\n    +snowflake_warehouse: wh\n    sub:\n      +my_custom_key: sub\nseeds:\n  c1:\n    +seed_custom: 5\n",
        'profiles.yml': `c1:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dir, 'c1.duckdb'))}\n`,
        'models/sub/m.sql': "select '{{ config.get(\"my_custom_key\") }}' as k, '{{ config.get(\"other_custom\", \"dflt\") }}' as o\n",
        'models/n.sql': "select '{{ config.get(\"other_custom\") }}' as o\n",
        'models/n.yml': 'version: 2\nmodels:\n  - name: n\n    config:\n      other_custom: [1, 2]\n      materialized: table\n',
        'seeds/s.csv': 'a\n1\n',
      });
      return dir;
    };
    const venv = await provisionDbtCore();
    const dbtDir = proj(join(work, 'custom-dbt'));
    const txDir = proj(join(work, 'custom-tx'));
    const d = spawnSync(join(venv.dir, 'bin', 'dbt'), ['compile', '--profiles-dir', dbtDir], { cwd: dbtDir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const t = await runCli(['compile'], { cwd: txDir, env });
    expect(t.code, t.output).toBe(0);
    expect(t.output).toMatch(/dbt_project\.yml: config tx does not know, kept in the nodes' config \(config\.get, manifest\.json\) and not acted on: `models\.c1\.\+my_custom_key`/);
    expect(t.output).toMatch(/properties files: config tx does not know, kept in the node's config \(config\.get, manifest\.json\) and not acted on: `models\/n\.yml: models\.n\.config\.other_custom`/);
    const keys = ['my_custom_key', 'snowflake_warehouse', 'other_custom', 'seed_custom', 'materialized'];
    const pick = (dir: string) => {
      const m = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
      return Object.fromEntries(Object.entries(m.nodes).map(([k, n]) => [k, Object.fromEntries(keys.map((x) => [x, n.config[x] ?? null]))]));
    };
    expect(pick(txDir)).toEqual(pick(dbtDir));
    expect(pick(dbtDir)['model.c1.m']).toMatchObject({ my_custom_key: 'sub', snowflake_warehouse: 'wh' });
    for (const f of ['sub/m.sql', 'n.sql']) {
      const sql = (dir: string) => readFileSync(join(dir, 'target', 'compiled', 'c1', 'models', f), 'utf8').trim();
      expect(sql(txDir), f).toBe(sql(dbtDir));
    }
  }, 300_000);
});

describe('tx debug: the migration report of a dbt project', () => {
  it('names dbt_project.yml, profiles.yml and the packages, and each dbt-duckdb key tx cannot honour once, never a secret', async () => {
    const dir = join(work, 'debug');
    writeFiles(dir, {
      'app/dbt_project.yml': 'name: app\nversion: "1.0"\nconfig-version: 2\nprofile: app\n',
      'app/packages.yml': 'packages:\n  - local: ../pkg\n',
      'app/models/m.sql': 'select 1 as id\n',
      'app/models/m.yml': 'version: 2\nmetrics: []\nsemantic_models:\n  - name: sm\n    model: ref("m")\n    entities: [{name: id, type: primary}]\n',
      'pkg/dbt_project.yml': 'name: pkg\nversion: "1.0"\nconfig-version: 2\n',
      'app/profiles.yml': dedent(`
        app:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: app.duckdb
              filesystems: [{fs: s3, anon: false}]
              secrets: [{type: s3, key_id: AKIAEXAMPLE, secret: "{{ env_var('S3_SECRET') }}"}]
              plugins: [{module: excel}]
      `),
    });
    const app = join(dir, 'app');
    const e = { ...env, S3_SECRET: 'hush-hush-value' };
    expect((await runCli(['deps'], { cwd: app, env: e })).code).toBe(0);
    const r = await runCli(['debug'], { cwd: app, env: e });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain('migration report (a dbt project, read as dbt-core 1.10 reads it):');
    expect(r.stdout).toContain(`dbt_project.yml: ${join(app, 'dbt_project.yml')}`);
    expect(r.stdout).toContain(`profiles.yml: ${join(app, 'profiles.yml')}`);
    expect(r.stdout).toMatch(/packages: pkg \(dbt_packages\/pkg\)/);
    expect(r.stdout).toMatch(/semantic_models/);
    for (const [k, said] of [
      ['filesystems', /`filesystems` \(dev\) are not supported: they are Python fsspec filesystems/],
      ['secrets', /`secrets` \(dev\) are not created/],
      ['plugins', /`plugins` \(dev\) are not supported/],
    ] as const) {
      expect(r.stdout).toMatch(said);
      // once in all the output: the report replaces the warnings debug would print
      expect(r.output.split('\n').filter((l) => l.includes(`\`${k}\``)).length, k).toBe(1);
    }
    expect(r.output).not.toMatch(/hush-hush-value|AKIAEXAMPLE/);
    expect(r.stdout).toMatch(/target dev: OK/);
  }, 120_000);
});
