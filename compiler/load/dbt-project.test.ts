/**
 * dbt projects as they are: dbt_project.yml's keys mapped onto the project model,
 * require-dbt-version against 1.10, templated config values, other projects' config blocks,
 * dbt-only properties, profiles.yml discovery, seed types as dbt infers them, and the bad
 * inputs (both project files, a typo'd key, a range without 1.10) with file and line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { dedent, fixtureProject, type Files, type FixtureProject } from '../../testing/fixture-project.js';
import { configFromHierarchy } from './config-hierarchy.js';
import { findProfilesFile } from './dbt-project.js';
import { inferDbtSeedTypes, parseCsvRows } from './dbt-seed-types.js';
import { loadProject } from './load-project.js';

const made: FixtureProject[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const f of made.splice(0)) f.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder with no profiles.yml, as `~/.dbt`, so the machine's own never leaks in. */
function emptyHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'tx-dbt-home-'));
  dirs.push(d);
  return d;
}

function load(files: Files, opts: { vars?: Record<string, unknown>; profilesDir?: string } = {}) {
  const fx = fixtureProject(files);
  made.push(fx);
  return loadProject(fx.dir, { ...opts, home: emptyHome(), env: {} });
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

const JAFFLE = dedent(`
  name: 'jaffle_shop'
  config-version: 2
  version: '0.1'
  profile: 'jaffle_shop'
  model-paths: ["models"]
  seed-paths: ["seeds"]
  test-paths: ["tests"]
  analysis-paths: ["analysis"]
  macro-paths: ["macros"]
  target-path: "target"
  clean-targets: ["target", "dbt_modules", "logs"]
  require-dbt-version: [">=1.0.0", "<2.0.0"]
  models:
    jaffle_shop:
        materialized: table
        staging:
          materialized: view
`);

describe('dbt_project.yml', () => {
  it('jaffle_shop\'s dbt_project.yml maps onto the project model', () => {
    const p = load({ 'dbt_project.yml': JAFFLE, 'models/staging/stg.sql': 'select 1 as id', 'models/top.sql': 'select 1 as id' });
    expect(p.projectFile).toBe('dbt_project.yml');
    expect(p.name).toBe('jaffle_shop');
    expect(p.version).toBe('0.1');
    expect(p.paths).toMatchObject({ models: ['models'], seeds: ['seeds'], tests: ['tests'], macros: ['macros'] });
    expect(p.cleanTargets).toEqual(['target', 'dbt_modules', 'logs']);
    expect(configFromHierarchy(p.modelsConfig, p.name, ['models', 'staging'], 'stg').materialized).toBe('view');
    expect(configFromHierarchy(p.modelsConfig, p.name, ['models'], 'top').materialized).toBe('table');
    // analysis-paths is read now (analyses are compiled into manifest.json): no note
    expect(p.notes!.join('\n')).not.toMatch(/`analysis-paths`/);
    expect(p.notes!.join('\n')).toMatch(/no profiles\.yml found .*embedded DuckDB/);
    // the default target: embedded DuckDB in target/
    expect(p.targets.duckdb).toMatchObject({ type: 'duckdb', path: 'jaffle_shop.duckdb' });
  });

  it('every key dbt-core 1.10 documents is accepted', () => {
    const p = load({
      'dbt_project.yml': dedent(`
        name: full
        version: 1.0.0
        config-version: 2
        profile: full
        model-paths: [m]
        seed-paths: [s]
        test-paths: [t]
        analysis-paths: [analyses]
        macro-paths: [mac]
        snapshot-paths: [snapshots]
        docs-paths: [docs]
        asset-paths: [assets]
        target-path: out
        log-path: lg
        packages-install-path: dbt_packages
        clean-targets: [out]
        require-dbt-version: ">=1.8.0,<1.11.0"
        quoting: {database: false, schema: false, identifier: false}
        dispatch:
          - macro_namespace: dbt_utils
            search_order: [full, dbt_utils]
        flags: {send_anonymous_usage_stats: false}
        query-comment: "{{ query_comment }}"
        dbt-cloud: {project-id: 12345}
        on-run-start: ["select 1"]
        on-run-end: "select 2"
        vars: {a: 1, full: {b: 2}}
        models: {full: {+materialized: table}}
        seeds: {+schema: raw}
        data_tests: {+severity: warn}
        sources: {full: {+enabled: true}}
        snapshots: {+target_schema: snaps}
        metrics: {+enabled: true}
        semantic-models: {+enabled: true}
        saved-queries: {+enabled: true}
        exposures: {+enabled: true}
        unit_tests: {+enabled: true}
      `),
      'm/a.sql': 'select 1 as id',
    });
    expect(p.paths).toMatchObject({ models: ['m'], seeds: ['s'], tests: ['t'], macros: ['mac'], docs: ['docs'] });
    expect(p.targetPath).toBe('out');
    expect(p.logPath).toBe('lg');
    expect(p.onRunStart).toEqual(['select 1']);
    expect(p.onRunEnd).toEqual(['select 2']);
    // the root project's scoped vars over the global ones
    expect(p.vars).toEqual({ a: 1, b: 2 });
    expect(p.testsConfig).toEqual({ '+severity': 'warn' });
    const ignored = p.notes!.find((n) => n.includes('does not act on'))!;
    for (const k of ['quoting', 'flags', 'query-comment', 'dbt-cloud']) expect(ignored).toContain(`\`${k}\``);
    // tx acts on these now: dispatch (adapter.dispatch's search order), packages-install-path (packages),
    // and the config blocks of the resources it writes to manifest.json
    for (const k of ['analysis-paths', 'dispatch', 'packages-install-path', 'metrics', 'semantic-models', 'saved-queries', 'exposures']) expect(ignored).not.toContain(`\`${k}\``);
    expect(p.raw).toMatchObject({ metrics: { '+enabled': true }, 'semantic-models': { '+enabled': true }, 'saved-queries': { '+enabled': true }, exposures: { '+enabled': true } });
  });

  it('a templated config value is rendered with --vars (not the project\'s vars, as in dbt), as a native value', () => {
    const files: Files = {
      'dbt_project.yml': dedent(`
        name: tpl
        vars: {load_source_data: true}
        models:
          tpl:
            +enabled: "{{ var('load_source_data', false) }}"
            +schema: "{{ 'sch' ~ 'ema' }}"
            +post-hook: "{{ this }}"
      `),
      'models/a.sql': 'select 1 as id',
    };
    const p = load(files);
    const cfg = configFromHierarchy(p.modelsConfig, 'tpl', ['models'], 'a');
    // the project's vars are not visible in dbt_project.yml: the default
    expect(cfg.enabled).toBe(false);
    expect(cfg.schema).toBe('schema');
    // hooks render when they run
    expect(cfg.post_hook).toBe('{{ this }}');
    // --vars are
    const q = load(files, { vars: { load_source_data: true } });
    expect(configFromHierarchy(q.modelsConfig, 'tpl', ['models'], 'a').enabled).toBe(true);
  });

  it('a config block naming another project is a warning, not an error', () => {
    const p = load({
      'dbt_project.yml': dedent(`
        name: mine
        models:
          mine: {+materialized: table}
          dbt_utils: {+schema: utils}
      `),
      'models/a.sql': 'select 1 as id',
    });
    expect(p.notes!.join('\n')).toMatch(/`models\.dbt_utils` configures project `dbt_utils`, which is not this project/);
    expect(p.modelsConfig).toEqual({ mine: { '+materialized': 'table' } });
  });

  it('an unknown key far from every dbt key is kept with a note; a near one is a did-you-mean error', () => {
    const p = load({ 'dbt_project.yml': 'name: k\nmy_team_owner: data\n', 'models/a.sql': 'select 1 as id' });
    expect(p.notes!.join('\n')).toMatch(/kept and not used: `my_team_owner`/);
    const e = loadError({ 'dbt_project.yml': 'name: k\nmodel-path: [models]\n' });
    expect(e.format()).toMatch(/^dbt_project\.yml:2: unknown key `model-path` in dbt_project\.yml/);
    expect(e.hint).toMatch(/did you mean `model-paths`/);
    expect(e.exitCode).toBe(2);
  });

  it('a config key near a known one is an error naming dbt_project.yml; a far one is noted', () => {
    const e = loadError({ 'dbt_project.yml': 'name: k\nmodels:\n  k:\n    +materialised: table\n', 'models/a.sql': 'select 1' });
    expect(e.location.file).toBe('dbt_project.yml');
    expect(e.message).toMatch(/unknown config key `\+materialised` in dbt_project\.yml/);
    expect(e.hint).toMatch(/did you mean `materialized`/);
    const p = load({ 'dbt_project.yml': 'name: k\nmodels:\n  k:\n    +snowflake_warehouse: big\n', 'models/a.sql': 'select 1' });
    expect(p.notes!.join('\n')).toMatch(/`models\.k\.\+snowflake_warehouse`/);
  });

  it('a folder holding both project.yml and dbt_project.yml is an error naming both', () => {
    const e = loadError({ 'dbt_project.yml': 'name: a\n', 'project.yml': 'name: a\n' });
    expect(e.message).toMatch(/holds both project\.yml and dbt_project\.yml/);
    expect(e.exitCode).toBe(2);
  });

  it('require-dbt-version: ranges including 1.10 pass, others fail with the version tx follows', () => {
    const ok = ['>=1.0.0', ['>=1.0.0', '<2.0.0'], '>=1.10.0,<1.11.0', '1.10.4', '1.10.*', '<=1.10.0', '>1.9.9', '1.*'];
    for (const v of ok) expect(() => load({ 'dbt_project.yml': `name: v\nrequire-dbt-version: ${JSON.stringify(v)}\n` })).not.toThrow();
    for (const v of ['>=1.11.0', '<1.10.0', ['>=1.0.0', '<1.10.0'], '1.9.3', '2.*', '>=0.21.0,<1.0.0']) {
      const e = loadError({ 'dbt_project.yml': `name: v\nrequire-dbt-version: ${JSON.stringify(v)}\n` });
      expect(e.message).toMatch(/excludes dbt 1\.10, the dbt version tx is compatible with/);
      expect(e.format()).toMatch(/^dbt_project\.yml:2:/);
    }
    expect(loadError({ 'dbt_project.yml': 'name: v\nrequire-dbt-version: "about one"\n' }).message).toMatch(/not a version specifier/);
  });

  it('dbt-only properties (semantic models, metrics, ...) are read and noted, not errors', () => {
    const p = load({
      'dbt_project.yml': 'name: sl\n',
      'models/a.sql': 'select 1 as id',
      'models/sl.yml': dedent(`
        version: 2
        semantic_models:
          - name: orders
            model: ref('a')
        metrics:
          - {name: m1, type: simple}
          - {name: m2, type: simple}
        saved_queries: [{name: q}]
        groups: [{name: finance, owner: {name: x}}]
        analyses: [{name: an}]
        exposures: [{name: dash, type: dashboard, owner: {email: a@b.c}}]
      `),
    });
    expect(p.notes!.join('\n')).toMatch(/tx writes to manifest\.json and does not run 1 exposures, 1 groups, 2 metrics, 1 saved_queries, 1 semantic_models/);
    expect(p.notes!.join('\n')).toMatch(/tx reads and does not use 1 analyses/);
    expect(p.dbtOnly!.metrics).toEqual([
      { name: 'm1', type: 'simple', original_file_path: 'models/sl.yml' },
      { name: 'm2', type: 'simple', original_file_path: 'models/sl.yml' },
    ]);
  });
});

describe('properties files of a dbt project', () => {
  it('config keys tx does not know are noted and not applied; a near one is a did-you-mean error', () => {
    const p = load({
      'dbt_project.yml': 'name: pc\n',
      'models/a.sql': 'select 1 as id',
      'models/a.yml': 'version: 2\nmodels:\n  - name: a\n    config: {materialized: table, on_configuration_change: apply, snowflake_warehouse: big}\n',
    });
    expect(p.modelProps.get('a')!.config).toEqual({ materialized: 'table' });
    expect(p.notes!.join('\n')).toMatch(/config tx does not know, kept in the node's config \(config\.get, manifest\.json\) and not acted on: `models\/a\.yml: models\.a\.config\.on_configuration_change`, `models\/a\.yml: models\.a\.config\.snowflake_warehouse`/);
    const e = loadError({
      'dbt_project.yml': 'name: pc\n',
      'models/a.sql': 'select 1 as id',
      'models/a.yml': 'version: 2\nmodels:\n  - name: a\n    config: {materialised: table}\n',
    });
    expect(e.location.file).toBe('models/a.yml');
    expect(e.hint).toMatch(/did you mean `materialized`/);
  });
});

describe('profiles.yml', () => {
  it('is found as dbt finds it: --profiles-dir, DBT_PROFILES_DIR, the project folder, ~/.dbt', () => {
    const root = emptyHome();
    const mk = (d: string): string => {
      mkdirSync(join(root, d), { recursive: true });
      writeFileSync(join(root, d, 'profiles.yml'), 'p: {}\n');
      return join(root, d);
    };
    const project = mk('project');
    const home = join(root, 'home');
    mkdirSync(join(home, '.dbt'), { recursive: true });
    writeFileSync(join(home, '.dbt', 'profiles.yml'), 'p: {}\n');
    const flag = mk('flag');
    const envDir = mk('env');
    expect(findProfilesFile(project, { profilesDir: flag, env: { DBT_PROFILES_DIR: envDir }, home }).file).toBe(join(flag, 'profiles.yml'));
    expect(findProfilesFile(project, { env: { DBT_PROFILES_DIR: envDir }, home }).file).toBe(join(envDir, 'profiles.yml'));
    expect(findProfilesFile(project, { env: {}, home }).file).toBe(join(project, 'profiles.yml'));
    expect(findProfilesFile(join(root, 'nowhere'), { env: {}, home }).file).toBe(join(home, '.dbt', 'profiles.yml'));
    expect(findProfilesFile(join(root, 'nowhere'), { env: {}, home: join(root, 'none') }).file).toBeUndefined();
  });

  it('duckdb and postgres outputs become targets with dbt\'s key names mapped', () => {
    const prof = emptyHome();
    writeFileSync(
      join(prof, 'profiles.yml'),
      dedent(`
        shop:
          target: dev
          outputs:
            dev: {type: duckdb, path: dev.duckdb, threads: 4}
            pg: {type: postgres, host: localhost, port: 5432, user: u, pass: "{{ env_var('PW') }}", dbname: d, schema: s, threads: 2}
            sf: {type: snowflake, account: x}
      `),
    );
    const p = load({ 'dbt_project.yml': 'name: shop\nprofile: shop\n', 'models/a.sql': 'select 1 as id' }, { profilesDir: prof });
    expect(p.defaultTarget).toBe('dev');
    expect(p.targets.dev).toEqual({ type: 'duckdb', path: 'dev.duckdb', threads: 4, schema: 'main' });
    expect(p.targets.pg).toEqual({ type: 'postgres', host: 'localhost', port: 5432, user: 'u', password: "{{ env_var('PW') }}", database: 'd', schema: 's', threads: 2 });
    expect(p.notes!.join('\n')).toMatch(/left out: sf \(type snowflake\)/);
    const e = (() => {
      try {
        load({ 'dbt_project.yml': 'name: shop\nprofile: shoop\n' }, { profilesDir: prof });
      } catch (x) {
        return x as TxError;
      }
      throw new Error('expected an error');
    })();
    expect(e.message).toMatch(/no profile `shoop`/);
    expect(e.hint).toMatch(/did you mean `shop`/);
    // --profile picks another profile of the file
    writeFileSync(join(prof, 'profiles.yml'), 'shop: {outputs: {dev: {type: duckdb}}}\nother: {target: x, outputs: {x: {type: duckdb, path: x.duckdb}}}\n');
    const fx = fixtureProject({ 'dbt_project.yml': 'name: shop\nprofile: shop\n' });
    made.push(fx);
    const o = loadProject(fx.dir, { profilesDir: prof, profile: 'other', env: {}, home: emptyHome() });
    expect(o.targets).toEqual({ x: { type: 'duckdb', path: 'x.duckdb', schema: 'main' } });
    const d = load({ 'dbt_project.yml': 'name: shop\nprofile: shop\n' }, { profilesDir: prof });
    expect(d.targets.dev).toEqual({ type: 'duckdb', path: 'shop.duckdb', schema: 'main' });
  });
});

describe('profiles.yml: bad input', () => {
  const profileError = (yml: string): TxError => {
    const prof = emptyHome();
    writeFileSync(join(prof, 'profiles.yml'), yml);
    try {
      load({ 'dbt_project.yml': 'name: shop\n' }, { profilesDir: prof });
    } catch (e) {
      if (e instanceof TxError) return e;
      throw e;
    }
    throw new Error('expected an error');
  };

  it('a typo\'d key is an error with did-you-mean, naming the file and line', () => {
    const e = profileError('shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      hots: localhost\n');
    expect(e.message).toMatch(/unknown key `hots` in output `dev` of profile `shop` \(type postgres\)/);
    expect(e.hint).toMatch(/did you mean `host`/);
    expect(e.location.file).toMatch(/profiles\.yml$/);
    expect(e.location.line).toBe(6);
    expect(e.exitCode).toBe(2);
  });

  it('a profile whose target is not among its outputs is an error', () => {
    const e = profileError('shop:\n  target: prod\n  outputs:\n    dev: {type: duckdb}\n');
    expect(e.message).toMatch(/profile `shop` names target `prod`, which is not among its outputs/);
    expect(e.location.line).toBe(2);
  });

  it('dbt-duckdb keys tx cannot honour (plugins, filesystems, secrets) are one note each, never an error nor a value; attach is used', () => {
    const prof = emptyHome();
    writeFileSync(
      join(prof, 'profiles.yml'),
      'shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, plugins: [{module: excel}], filesystems: [{fs: s3}], secrets: [{type: s3, secret: hush-hush-value}], attach: [], keep_open: true}\n    other: {type: duckdb, filesystems: []}\n',
    );
    const p = load({ 'dbt_project.yml': 'name: shop\n' }, { profilesDir: prof });
    const notes = p.notes!.join('\n');
    expect(notes).toMatch(/dbt-duckdb `plugins` \(dev\) are not supported: tx runs no Python plugins/);
    expect(notes).toMatch(/dbt-duckdb `filesystems` \(dev, other\) are not supported: they are Python fsspec filesystems/);
    expect(notes).toMatch(/dbt-duckdb `secrets` \(dev\) are not created/);
    for (const k of ['plugins', 'filesystems', 'secrets']) expect(p.notes!.filter((n) => n.includes(`\`${k}\``)).length, k).toBe(1);
    // other keys tx does not use stay in the one generic note
    expect(notes).toMatch(/keys tx does not use \(yet\): `dev\.keep_open`/);
    expect(notes).not.toMatch(/`dev\.attach`|hush-hush-value/);
    expect(p.profilesFile).toBe(join(prof, 'profiles.yml'));
  });
});

describe('seed types as dbt infers them', () => {
  it('matches dbt-core 1.10 with dbt-duckdb (agate type tester, convert_type) on every kind of column', () => {
    // the expected types are what dbt_common.clients.agate_helper.from_csv + DuckDBAdapter.convert_type give
    const csv = dedent(`
      i,f,f0,d,dt,iso,b,t,nul,mixed,money,pct,dmy,neg
      1,1.5,2.0,2020-01-02,2020-01-02 03:04:05,2020-01-02T03:04:05Z,true,x,,1,$1,5%,2020-1-2,-3
      2,2,3.00,2020-02-29,2020-01-02 13:04:05,2020-01-02T03:04,False,y,null,a,"1,000",6%,2020-12-31,-4.50
      ,,,,,,,,,,,,,
    `);
    expect(inferDbtSeedTypes(csv)).toEqual({
      i: 'integer',
      f: 'double',
      f0: 'integer',
      d: 'date',
      dt: 'timestamp',
      iso: 'timestamp',
      b: 'boolean',
      t: 'string',
      nul: 'integer',
      mixed: 'string',
      money: 'integer',
      pct: 'integer',
      dmy: 'date',
      neg: 'double',
    });
    expect(inferDbtSeedTypes('a,b\n2020-02-30,true\n')).toEqual({ a: 'string', b: 'boolean' });
  });

  it('reads CSV as Python\'s csv module does: quotes, doubled quotes, newlines in quotes, a BOM', () => {
    expect(parseCsvRows('\ufeffa,b\r\n"x,1","say ""hi"""\n"multi\nline",\n\n')).toEqual([
      ['a', 'b'],
      ['x,1', 'say "hi"'],
      ['multi\nline', ''],
    ]);
    expect(parseCsvRows("a;b\n'1;2';3\n", ';', "'")).toEqual([
      ['a', 'b'],
      ['1;2', '3'],
    ]);
  });
});
